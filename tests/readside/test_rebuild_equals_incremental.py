"""docs/read-models.md: "`stafet projections rebuild` empties them and replays the log, and the
result equals what was kept up to date incrementally, row for row" (SPEC §12: projections
track their position exactly once).

Random sequences of valid work (cases opened and reopened, people joining and leaving,
consents, the plan, goals, efforts, agreements, meetings, the whole baton cycle, time
passing, entries logged after the fact) are written to a real store while the read models
are kept current either after every write (the SQLite default) or by catch-ups in small
uneven batches at random moments (as `stafet projections run` does beside the writers on
PostgreSQL). Then every rm_ table, sorted, must equal what a full rebuild makes of the log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.readside.story import EVERY_TABLE, Driver, steps
from tests.readside.support import (
    RM_TABLES,
    Clock,
    diff,
    dump_tables,
    fresh_store,
    open_ledger,
    rebuilt,
    tracking,
    utc,
)

# Tier (tests/README.md): hypothesis: rebuilt read models equal incremental ones.
pytestmark = [pytest.mark.slow]

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
START = utc(2026, 3, 2, 8, 0)


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> str | None:
    if request.node.callspec.params["backend"] == "postgres":
        return request.getfixturevalue("pg_url")
    return None


def _write_and_compare(backend: str, tmp_path: Path, pg: str | None,
                       story: list[tuple[str, int, int, bool]], every_commit: bool) -> Driver:
    with fresh_store(backend, tmp_path, pg) as url:
        clock = Clock(START)
        with open_ledger(url, clock=clock, read_models=every_commit, snapshot_interval=9) as ledger:
            driver = Driver(ledger, clock, catch_up=not every_commit)
            driver.run(story)
            head = ledger.store.recorder.max_notification_id() or 0
            incremental = dump_tables(url, with_views=True)
            positions = tracking(url)
            # the same runner, rebuilt in place
            ledger.read_models.rebuild()
            in_place = dump_tables(url, with_views=True)
        assert {p for p, _ in positions.values()} == {head}, positions
        assert len(incremental["rm_events"]) == head, "an event is missing or doubled in rm_events"
        assert incremental == in_place, "rebuild differs from the incremental tables:\n" + diff(
            incremental, in_place)
        # a fresh process's runner (empty state cache) rebuilds to the very same rows
        fresh = rebuilt(url)
        assert {k: v for k, v in incremental.items() if k in RM_TABLES} == fresh, diff(
            incremental, fresh)
    return driver


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_story_touching_every_table_rebuilds_to_the_same_rows(
    backend: str, tmp_path: Path, pg: str | None
) -> None:
    for every_commit in (True, False):
        driver = _write_and_compare(backend, tmp_path, pg, EVERY_TABLE, every_commit)
        # the story really did touch every table: each command kind was stored
        wanted = {"case.open", "case.join", "case.leave", "consent.give", "consent.revoke",
                  "plan.accept", "goal.set", "goal.revise", "goal.status", "effort.plan",
                  "effort.status", "agreement.make", "agreement.complete", "agreement.cancel",
                  "meeting.convene", "meeting.agenda", "meeting.hold", "meeting.cancel",
                  "meeting.minutes-sent", "baton.hand", "baton.grab", "baton.release",
                  "baton.decline", "baton.withdraw", "case.close", "case.reopen", "share"}
        assert wanted <= set(driver.stored), sorted(wanted - set(driver.stored))


def test_every_table_has_rows_after_the_story(tmp_path: Path) -> None:
    with fresh_store("sqlite", tmp_path, None) as url, open_ledger(url, clock=Clock(START)) as ledger:
        Driver(ledger, ledger.clock).run(EVERY_TABLE)  # type: ignore[arg-type]
        tables = dump_tables(url)
    assert [name for name, rows in tables.items() if not rows] == []


HYPOTHESIS = {"deadline": None, "database": None,
              "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture]}


@settings(max_examples=20, **HYPOTHESIS)
@given(story=steps, every_commit=st.booleans())
def test_rebuild_equals_incremental_row_for_row_sqlite(
    tmp_path: Path, story: list[tuple[str, int, int, bool]], every_commit: bool,
) -> None:
    _write_and_compare("sqlite", tmp_path, None, story, every_commit)


@pytest.mark.postgres
@settings(max_examples=6, **HYPOTHESIS)
@given(story=steps, every_commit=st.booleans())
def test_rebuild_equals_incremental_row_for_row_postgres(
    tmp_path: Path, pg_url: str, story: list[tuple[str, int, int, bool]], every_commit: bool,
) -> None:
    _write_and_compare("postgres", tmp_path, pg_url, story, every_commit)
