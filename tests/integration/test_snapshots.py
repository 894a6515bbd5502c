"""Snapshots: a long case loads right, through its snapshots, at any version (both backends).

The ledger snapshots a case whenever a commit carries its version across a multiple of
``snapshot_interval``, from the new state. Whatever the snapshots hold, the state loaded
must equal the stored history folded from scratch.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import pytest

from stafet import CaseNotFound, Ledger, StafetError
from stafet.domain.commands import build_command
from stafet.domain.events import CaseEvent
from stafet.domain.evolve import project_case
from stafet.domain.state import CaseState
from tests.helpers import ADDICTION, HOLDER, SOCIAL, Scenario


def replay(history: list[CaseEvent], version: int | None = None) -> CaseState:
    state = project_case(None, history[:version] if version else history)
    assert state is not None
    return state


def snapshot_versions(ledger: Ledger, case_id: UUID) -> list[int]:
    assert ledger.store.snapshots is not None
    return [s.originator_version for s in ledger.store.snapshots.get(case_id)]


def due_snapshots(versions: list[int], interval: int) -> list[int]:
    """Where the ledger should have snapshotted: each commit that crossed a multiple."""
    return [new for old, new in itertools.pairwise(versions)
            if new // interval > old // interval]


@contextmanager
def events_read_after(ledger: Ledger) -> Iterator[list[Any]]:
    """Spy on the event store: the ``gt`` of every read (where loading started)."""
    reads: list[Any] = []
    original = ledger.store.events.get

    def get(*args: Any, **kwargs: Any) -> Any:
        reads.append(kwargs.get("gt"))
        return original(*args, **kwargs)

    ledger.store.events.get = get  # type: ignore[method-assign]
    try:
        yield reads
    finally:
        del ledger.store.events.get


def assert_snapshots_hold_the_replayed_state(
    ledger: Ledger, case_id: UUID, history: list[CaseEvent]
) -> None:
    assert ledger.store.snapshots is not None
    for snapshot in ledger.store.snapshots.get(case_id):
        assert CaseState.model_validate(snapshot.state) == replay(
            history, snapshot.originator_version
        ), f"the snapshot at {snapshot.originator_version} differs from the replayed state"


def test_a_small_interval_snapshots_and_loads_every_version_right(db_url: str) -> None:
    interval = 5
    with Ledger(db_url, snapshot_interval=interval) as ledger:
        case = Scenario(ledger)
        versions = [1]

        def did(result: Any) -> None:
            versions.append(result.version)

        did(case.join(SOCIAL))
        did(case.join(ADDICTION, kind="provider"))
        for turn in range(6):
            holder = case.state.baton.holder
            target = [SOCIAL, ADDICTION, HOLDER][turn % 3]
            did(case.do("baton.hand", actor=holder, to=target))
            if turn % 2:
                did(case.do("baton.decline", actor=target, reason="ikke nu"))
                did(case.do("baton.hand", actor=holder, to=target))
            did(case.do("baton.grab", actor=target))
            did(case.do("note", actor=target, text=f"Overtaget, runde {turn}"))
            did(case.do("baton.release", actor=holder))
        # One commit of 12 events: crosses two multiples, snapshotted once, at its end.
        work = ledger.unit_of_work()
        for n in range(12):
            work.decide(build_command("note", {
                "actor": case.state.baton.holder, "case_id": case.case_id, "text": f"samlet {n}",
            }))
        work.commit()
        versions.append(versions[-1] + 12)

        history = ledger.history(case.case_id)
        assert [e.position for e in history] == list(range(1, versions[-1] + 1))
        assert snapshot_versions(ledger, case.case_id) == due_snapshots(versions, interval)
        assert_snapshots_hold_the_replayed_state(ledger, case.case_id, history)

        for version in range(1, len(history) + 1):
            assert ledger.get_case(case.case_id, version=version) == replay(history, version), (
                f"get_case(version={version}) differs from the history replayed to {version}"
            )
        assert ledger.get_case(case.case_id) == replay(history)

        # Loading now starts from the newest snapshot, and at an older version from the newest
        # snapshot at or before it.
        snaps = snapshot_versions(ledger, case.case_id)
        with events_read_after(ledger) as reads:
            ledger.get_case(case.case_id)
            ledger.get_case(case.case_id, version=snaps[0] + 1)
            ledger.get_case(case.case_id, version=snaps[0] - 1)
        assert reads == [snaps[-1], snaps[0], None]


@pytest.mark.slow
def test_ten_thousand_events_load_through_snapshots(db_url: str) -> None:
    """10,000 events: notes in batches, with full hand-overs (one command each) between, so
    the holder differs by version. Default snapshot interval (100)."""
    target = 10_000
    rng = random.Random(4711)
    with Ledger(db_url) as ledger:
        interval = ledger.store.snapshot_interval
        case = Scenario(ledger)
        case.join(SOCIAL)
        versions = [1, 2]
        holder_at: dict[int, str] = {2: HOLDER}
        while versions[-1] < target:
            holder = case.state.baton.holder
            other = SOCIAL if holder == HOLDER else HOLDER
            for name, actor, fields in (
                ("baton.hand", holder, {"to": other}),
                ("baton.grab", other, {}),
                ("baton.release", holder, {}),
            ):
                versions.append(case.do(name, actor=actor, **fields).version)
            holder_at[versions[-1]] = other
            batch = min(rng.randint(150, 700), target - versions[-1])
            work = ledger.unit_of_work()
            for n in range(batch):
                work.decide(build_command("note", {
                    "actor": other, "case_id": case.case_id, "text": f"Notat {versions[-1] + n}",
                }))
            work.commit()
            versions.append(versions[-1] + batch)
        last = versions[-1]

        loaded = ledger.get_case(case.case_id)
        assert loaded.version == last >= target
        history = ledger.history(case.case_id)
        assert [e.position for e in history] == list(range(1, last + 1))
        assert loaded == replay(history)
        assert loaded.baton.holder == holder_at[max(holder_at)]

        snaps = snapshot_versions(ledger, case.case_id)
        assert snaps == due_snapshots(versions, interval)
        assert len(snaps) >= target // 1000
        assert_snapshots_hold_the_replayed_state(ledger, case.case_id, history)

        checked = {1, 2, 3, 4, 5, interval, interval + 1, last // 2, last - 1, last}
        checked |= {v for s in snaps[::5] for v in (s - 1, s, s + 1) if 1 <= v <= last}
        checked |= set(rng.sample(range(1, last + 1), 20))
        for version in sorted(checked):
            at = ledger.get_case(case.case_id, version=version)
            assert at.version == version
            assert at == replay(history, version), f"get_case(version={version}) is wrong"
            holder_then = holder_at[max(v for v in holder_at if v <= version)] if version >= 2 \
                else HOLDER
            if at.baton.stage == "held":
                assert at.baton.holder == holder_then, version

        with events_read_after(ledger) as reads:
            ledger.get_case(case.case_id)
        assert reads == [snaps[-1]], "the latest state is not loaded from the newest snapshot"

    with Ledger(db_url) as fresh:  # nothing cached: straight from the store
        assert fresh.get_case(case.case_id) == loaded
        assert fresh.get_case(case.case_id, version=last // 3) == replay(history, last // 3)


@pytest.mark.parametrize("version", [0, -1])
def test_a_version_below_one_is_refused_naming_the_version(ledger: Ledger, version: int) -> None:
    case = Scenario(ledger)
    with pytest.raises(StafetError) as refusal:
        ledger.get_case(case.case_id, version=version)
    assert not isinstance(refusal.value, CaseNotFound), refusal.value.message
    assert "version" in refusal.value.message
