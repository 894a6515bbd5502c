"""SPEC §12 / projections/runner.py: the runner records each projection's position in the same
transaction as its rows, so a runner killed at any moment leaves the read models exactly as
the fold of the log up to the recorded position, and a restarted runner goes on from there:
nothing skipped, nothing doubled. Several runners at once are safe.

The runners are real processes (``stafet projections run``, or a small Python child that calls
``catch_up`` in batches) killed with SIGKILL. On PostgreSQL the test holds a lock on one read
model table so the runner is provably stuck *inside* a batch (it holds the batch's advisory
lock and waits on that table) at five different points: reading positions, applying events,
writing the first rows, writing the last rows, and recording the position after every row is
written. On SQLite a runner is killed while it holds the database's write lock (mid-batch).

After every kill the tables must equal a reference made by a separate runner (into another
database) from exactly as many events as the recorded position; at the end they must equal
a full rebuild.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from stafet.projections.runner import REBUILD_BATCH_SIZE, ReadModels

from stafet import Ledger
from tests.readside.story import EVERY_TABLE, Driver, bulk_history
from tests.readside.support import (
    STAFET,
    Child,
    Clock,
    close_ledger,
    diff,
    dump_tables,
    open_ledger,
    pg_conninfo,
    rebuilt,
    schema_of,
    tracking,
    utc,
)

# Tier (tests/README.md): projection runners in processes, killed mid-batch.
pytestmark = [pytest.mark.fault, pytest.mark.process]


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        if child.proc.poll() is None:
            child.proc.kill()
            child.proc.wait(timeout=10)


class _Enough(Exception):
    pass


class Reference:
    """The read models as the fold of the log's first events, made by a separate runner into
    a scratch SQLite database; moved forward to each position asked for."""

    def __init__(self, url: str, scratch: Path) -> None:
        self.url = url
        self.ref_url = f"sqlite:///{scratch / f'reference-{time.monotonic_ns()}.db'}"
        self.position = 0

    def at(self, position: int) -> dict[str, list[tuple[Any, ...]]]:
        assert position >= self.position, "the reference only moves forward"
        with open_ledger(self.url, read_models=False) as ledger:
            count = len(ledger.store.recorder.select_notifications(
                start=self.position, limit=10**9, stop=position, inclusive_of_start=False))
            runner = ReadModels(ledger.store, ledger.policy, ledger.clock, read_url=self.ref_url)
            try:
                if count:
                    def enough(applied: int, head: int) -> None:
                        raise _Enough

                    with pytest.raises(_Enough):
                        runner.catch_up(batch_size=count, progress=enough)
            finally:
                runner.engine.dispose()
        self.position = position
        assert {p for p, _ in tracking(self.ref_url).values()} <= {position}
        return dump_tables(self.ref_url)


def assert_consistent(url: str, reference: Reference) -> int:
    """Every projection at one position, and the rows exactly the fold up to it."""
    positions = {p for p, _ in tracking(url).values()}
    assert len(positions) <= 1, f"projections stand at different positions: {tracking(url)}"
    position = positions.pop() if positions else 0
    now = dump_tables(url)
    assert len(now["rm_events"]) == position, (
        f"rm_events has {len(now['rm_events'])} rows but rm_tracking says {position}")
    expected = reference.at(position)
    assert now == expected, f"at position {position}:\n" + diff(now, expected)
    return position


def wait_caught_up(url: str, head: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        positions = tracking(url)
        if positions and all(p == head for p, _ in positions.values()):
            return
        assert time.monotonic() < deadline, f"runner did not catch up to {head}: {positions}"
        time.sleep(0.05)


def assert_equals_rebuild(url: str) -> None:
    before = dump_tables(url)
    after = rebuilt(url)
    assert before == after, "tables differ from a rebuild:\n" + diff(before, after)


# -- SQLite ---------------------------------------------------------------------------------


def _sqlite_writer_busy(path: str) -> bool:
    """Does someone hold the SQLite write lock right now (is a batch in flight)?"""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        assert "locked" in str(error), error
        return True
    else:
        probe.execute("ROLLBACK")
        return False
    finally:
        probe.close()


def test_sqlite_runner_killed_mid_batch_resumes_without_gaps_or_doubles(
    tmp_path: Path, children: list[Child]
) -> None:
    path = str(tmp_path / "crash.db")
    url = f"sqlite:///{path}"
    clock = Clock(utc(2026, 3, 2, 8))
    with open_ledger(url, clock=clock, read_models=False) as ledger:
        bulk_history(ledger, clock, cases=30, events_per_case=200)
        head = ledger.store.recorder.max_notification_id()
    assert head == 6000
    reference = Reference(url, tmp_path)
    position, kills = 0, []
    # (events to let through first, how far into the batch to strike)
    for further, into_batch in ((0, 0.0), (700, 0.004), (1500, 0.012), (1000, 0.025)):
        child = Child.python(url, tmp_path, batch=200)
        children.append(child)
        child.wait_line("ready")
        deadline = time.monotonic() + 30
        while True:
            now = max((p for p, _ in tracking(url).values()), default=0)
            if now >= position + further and _sqlite_writer_busy(path):
                time.sleep(into_batch)
                if _sqlite_writer_busy(path):
                    child.kill()  # it holds the write lock: it is inside a batch
                    break
            assert child.proc.poll() is None, f"runner finished before the kill: {child.out}"
            assert time.monotonic() < deadline, "never caught the runner inside a batch"
            time.sleep(0.001)
        reached = assert_consistent(url, reference)
        assert reached >= position
        kills.append(reached)
        position = reached
    assert kills[-1] < head, kills
    assert len(set(kills)) > 1, f"all kills at one position: {kills}"
    # restarted, it finishes the job
    child = Child.python(url, tmp_path, batch=200)
    children.append(child)
    assert child.finish() == 0, child.err
    assert assert_consistent(url, reference) == head
    assert_equals_rebuild(url)


def test_sqlite_rebuild_killed_half_way_is_finished_by_the_next_run(
    tmp_path: Path, children: list[Child]
) -> None:
    path = str(tmp_path / "rebuild.db")
    url = f"sqlite:///{path}"
    clock = Clock(utc(2026, 3, 2, 8))
    # Enough events for the rebuild to take several of its (bigger) batches.
    cases = 2 * REBUILD_BATCH_SIZE // 200 + 10
    with open_ledger(url, clock=clock, read_models=True) as ledger:
        bulk_history(ledger, clock, cases=cases, events_per_case=200)
        head = ledger.store.recorder.max_notification_id()
    rebuild = Child([str(STAFET), "--db", url, "projections", "rebuild"], tmp_path)
    children.append(rebuild)
    deadline = time.monotonic() + 30
    while True:  # the rebuild has emptied the tables and is replaying the log
        positions = [p for p, _ in tracking(url).values()]
        if positions and 0 < max(positions) < head - 1000 and _sqlite_writer_busy(path):
            rebuild.kill()
            break
        assert rebuild.proc.poll() is None, f"rebuild ended before the kill: {rebuild.err}"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    assert assert_consistent(url, Reference(url, tmp_path)) < head
    runner = Child.cli_run(url, tmp_path)
    children.append(runner)
    wait_caught_up(url, head)
    assert runner.stop() == 0, runner.err
    assert_equals_rebuild(url)


# -- PostgreSQL -------------------------------------------------------------------------------

# (table, lock mode, where the runner is stuck in its batch)
STUCK_POINTS = [
    ("rm_tracking", "ACCESS EXCLUSIVE", "reading the positions, before any row"),
    ("rm_caseload", "ACCESS EXCLUSIVE", "applying events (looking up a caseload row)"),
    ("rm_attention", "EXCLUSIVE", "writing the first rows"),
    ("rm_events", "EXCLUSIVE", "writing the last rows"),
    ("rm_tracking", "EXCLUSIVE", "recording the position, every row written"),
]


def _stuck_backend(admin: psycopg.Connection[Any], table: str) -> int | None:
    """The backend waiting for our lock on ``table`` while holding the runner's batch lock."""
    row = admin.execute(
        "SELECT w.pid FROM pg_locks w JOIN pg_class c ON c.oid = w.relation "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE NOT w.granted AND c.relname = %s AND n.nspname = current_setting('search_path') "
        "AND EXISTS (SELECT 1 FROM pg_locks a WHERE a.pid = w.pid AND a.locktype = 'advisory' "
        "AND a.granted)", (table,)).fetchone()
    return row[0] if row else None


def _wait_backend_gone(admin: psycopg.Connection[Any], pid: int) -> None:
    deadline = time.monotonic() + 20
    while admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
        assert time.monotonic() < deadline, f"backend {pid} of the killed runner lingers"
        time.sleep(0.02)


@pytest.mark.postgres
def test_postgres_runner_killed_inside_a_batch_at_five_points(
    pg_schema_url: str, tmp_path: Path, children: list[Child]
) -> None:
    url = pg_schema_url
    schema = schema_of(url)
    clock = Clock(utc(2026, 3, 2, 8))
    ledger = Ledger(url, clock=clock, read_models=False)
    admin = psycopg.connect(pg_conninfo(url), autocommit=True,
                            options=f"-csearch_path={schema}")
    try:
        ledger.read_models  # noqa: B018  (creates the rm_ tables)
        reference = Reference(url, tmp_path)
        first, child = 0, None
        for table, mode, where in STUCK_POINTS:
            before = {p for p, _ in tracking(url).values()} or {0}
            locker = psycopg.connect(pg_conninfo(url))
            locker.execute(sql.SQL("LOCK TABLE {} IN {} MODE").format(
                sql.Identifier(schema, table), sql.SQL(mode)))
            bulk_history(ledger, clock, cases=3, events_per_case=120, first=first)
            first += 3
            if child is None:
                child = Child.cli_run(url, tmp_path, poll=0.2)
                children.append(child)
            deadline = time.monotonic() + 30
            while (pid := _stuck_backend(admin, table)) is None:
                assert child.proc.poll() is None, child.err
                assert time.monotonic() < deadline, f"runner never got stuck {where}"
                time.sleep(0.02)
            child.kill()
            locker.rollback()
            locker.close()
            _wait_backend_gone(admin, pid)
            # the killed batch left nothing behind: same position as before, same rows
            assert {assert_consistent(url, reference)} == before, where
            # a new runner goes on from there, and follows the log into the next round
            child = Child.cli_run(url, tmp_path, poll=0.2)
            children.append(child)
            head = ledger.store.recorder.max_notification_id()
            wait_caught_up(url, head)
            assert assert_consistent(url, reference) == head
        assert child is not None and child.stop() == 0, child and child.err
    finally:
        admin.close()
        close_ledger(ledger)
    assert_equals_rebuild(url)


@pytest.mark.postgres
def test_postgres_runner_killed_after_some_batches_resumes(
    pg_schema_url: str, tmp_path: Path, children: list[Child]
) -> None:
    url = pg_schema_url
    schema = schema_of(url)
    clock = Clock(utc(2026, 3, 2, 8))
    with open_ledger(url, clock=clock, read_models=False) as ledger:
        ledger.read_models  # noqa: B018
        bulk_history(ledger, clock, cases=20, events_per_case=150)
        head = ledger.store.recorder.max_notification_id()
    admin = psycopg.connect(pg_conninfo(url), autocommit=True, options=f"-csearch_path={schema}")
    try:
        child = Child.cli_run(url, tmp_path)
        children.append(child)
        deadline = time.monotonic() + 30
        while not 0 < max((p for p, _ in tracking(url).values()), default=0) < head - 1000:
            assert time.monotonic() < deadline and child.proc.poll() is None, child.err
            time.sleep(0.005)
        # one batch is in: the next one gets stuck writing its last rows, and dies there
        with psycopg.connect(pg_conninfo(url)) as locker:
            locker.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                sql.Identifier(schema, "rm_events")))
            deadline = time.monotonic() + 30
            while (pid := _stuck_backend(admin, "rm_events")) is None:
                assert time.monotonic() < deadline and child.proc.poll() is None, child.err
                time.sleep(0.02)
            child.kill()
            locker.rollback()
        _wait_backend_gone(admin, pid)
    finally:
        admin.close()
    reached = assert_consistent(url, Reference(url, tmp_path))
    assert 0 < reached < head
    child = Child.cli_run(url, tmp_path)
    children.append(child)
    wait_caught_up(url, head)
    assert child.stop() == 0
    assert_equals_rebuild(url)


# -- two runners at once ------------------------------------------------------------------------

APPLIED = re.compile(r"applied (\d+) events")


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_two_runners_at_once_apply_each_event_once(
    backend: str, tmp_path: Path, children: list[Child], request: pytest.FixtureRequest
) -> None:
    url = (f"sqlite:///{tmp_path / 'two.db'}" if backend == "sqlite"
           else request.getfixturevalue("pg_schema_url"))
    clock = Clock(utc(2026, 3, 2, 8))
    with open_ledger(url, clock=clock, read_models=False) as ledger:
        ledger.read_models  # noqa: B018  (tables exist before the runners start)
        runners = [Child.cli_run(url, tmp_path, poll=0.05) for _ in range(2)]
        children.extend(runners)
        for runner in runners:  # each has done its first catch-up and follows the log
            deadline = time.monotonic() + 30
            while not any("Following the log" in line for line in runner.err):
                assert runner.proc.poll() is None and time.monotonic() < deadline, runner.err
                time.sleep(0.02)
        # writers: many small transactions and some big ones, while both runners follow
        driver = Driver(ledger, clock)
        for round_ in range(3):
            driver.run(EVERY_TABLE)
            bulk_history(ledger, clock, cases=3, events_per_case=120, first=100 * round_)
        head = ledger.store.recorder.max_notification_id()
        wait_caught_up(url, head)
    codes = [runner.stop() for runner in runners]
    assert codes == [0, 0], [r.err for r in runners]
    for runner in runners:
        assert not any("Traceback" in line or "rror" in line for line in runner.err), runner.err
    applied = [sum(int(m.group(1)) for line in r.err if (m := APPLIED.search(line))) for r in runners]
    assert sum(applied) == head, f"events applied by the two runners {applied}, log has {head}"
    assert_equals_rebuild(url)
