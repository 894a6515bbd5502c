"""Many writers on one PostgreSQL database (SPEC §12): optimistic concurrency per case.

(a) two ledgers racing on one case: exactly one of two grabs (hands, releases, same
command ids) wins; the other is decided again after the conflict and refused by the rules;
(b) four writer processes on three shared cases: nothing lost, nothing doubled, no gaps,
every baton rule intact on replay, and a command given up on a conflict stored nothing.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from stafet import ConcurrencyConflict, Ledger, RuleViolation
from stafet.application.unit_of_work import MAX_ATTEMPTS
from tests.helpers import ADDICTION, HOLDER, SOCIAL, Scenario
from tests.integration.concurrent_writers import (
    WRITERS,
    RacedLedger,
    check_what_the_writers_left,
    open_ledgers_at_once,
    open_shared_cases,
    run_writers,
)

pytestmark = pytest.mark.postgres


@pytest.fixture
def two_ledgers(pg_schema_url: str) -> Iterator[tuple[Ledger, RacedLedger]]:
    with Ledger(pg_schema_url) as first, RacedLedger(pg_schema_url) as second:
        yield first, second


def _types(ledger: Ledger, case: Scenario) -> list[str]:
    return [type(e).__name__ for e in ledger.history(case.case_id)]


def test_of_two_racing_grabs_exactly_one_wins(two_ledgers: tuple[Ledger, RacedLedger]) -> None:
    ledger, raced = two_ledgers
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.do("baton.hand", to=SOCIAL)
    won: list[Any] = []
    raced.meanwhile = lambda: won.append(ledger.grab_baton(actor=SOCIAL, case_id=case.case_id))

    with pytest.raises(RuleViolation) as refusal:
        raced.grab_baton(actor=SOCIAL, case_id=case.case_id)

    assert raced.conflicts == 1, "the race did not happen: no conflict, no retry"
    assert refusal.value.code == "baton.not_offered"
    assert [e.type for e in won[0].events] == ["BatonGrabbed"]
    assert _types(ledger, case).count("BatonGrabbed") == 1
    assert case.state.baton.stage == "exchange" and case.state.holders == [HOLDER, SOCIAL]


def test_of_two_racing_hand_offs_exactly_one_wins(
    two_ledgers: tuple[Ledger, RacedLedger],
) -> None:
    ledger, raced = two_ledgers
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.join(ADDICTION, kind="provider")
    raced.meanwhile = lambda: ledger.hand_baton(actor=HOLDER, case_id=case.case_id, to=SOCIAL)

    with pytest.raises(RuleViolation) as refusal:
        raced.hand_baton(actor=HOLDER, case_id=case.case_id, to=ADDICTION)

    assert raced.conflicts == 1
    assert refusal.value.code == "baton.handover_open"
    assert _types(ledger, case).count("BatonHanded") == 1
    assert case.state.baton.offered_to == SOCIAL


def test_of_two_racing_releases_exactly_one_wins(
    two_ledgers: tuple[Ledger, RacedLedger],
) -> None:
    ledger, raced = two_ledgers
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.do("baton.hand", to=SOCIAL)
    case.do("baton.grab", actor=SOCIAL)
    raced.meanwhile = lambda: ledger.release_baton(actor=HOLDER, case_id=case.case_id)

    with pytest.raises(RuleViolation) as refusal:
        raced.release_baton(actor=HOLDER, case_id=case.case_id)

    assert raced.conflicts == 1
    assert refusal.value.code == "baton.release_before_grab"
    assert _types(ledger, case).count("BatonReleased") == 1
    assert case.state.holders == [SOCIAL]


def test_a_racing_note_is_decided_again_and_stored_after_the_other(
    two_ledgers: tuple[Ledger, RacedLedger],
) -> None:
    ledger, raced = two_ledgers
    case = Scenario(ledger)
    raced.meanwhile = lambda: ledger.log_note(actor=HOLDER, case_id=case.case_id, text="først")

    result = raced.log_note(actor=HOLDER, case_id=case.case_id, text="bagefter")

    assert raced.conflicts == 1
    assert result.version == 3 and [e.position for e in result.events] == [3]
    assert [getattr(e, "text", None) for e in ledger.history(case.case_id)] == [
        None, "først", "bagefter",
    ]


def test_the_same_command_id_racing_is_stored_once_and_both_get_its_result(
    two_ledgers: tuple[Ledger, RacedLedger],
) -> None:
    ledger, raced = two_ledgers
    case = Scenario(ledger)
    first: list[Any] = []
    raced.meanwhile = lambda: first.append(
        ledger.log_note(actor=HOLDER, case_id=case.case_id, text="én gang", command_id="n-1")
    )

    again = raced.log_note(actor=HOLDER, case_id=case.case_id, text="én gang", command_id="n-1")

    assert raced.conflicts == 1
    assert again.replayed and not first[0].replayed
    assert again.model_dump(exclude={"replayed"}) == first[0].model_dump(exclude={"replayed"})
    assert _types(ledger, case) == ["CaseOpened", "NoteLogged"]


def test_the_same_command_id_racing_with_other_content_is_refused(
    two_ledgers: tuple[Ledger, RacedLedger],
) -> None:
    ledger, raced = two_ledgers
    case = Scenario(ledger)
    raced.meanwhile = lambda: ledger.log_note(
        actor=HOLDER, case_id=case.case_id, text="den ene", command_id="n-1"
    )
    with pytest.raises(RuleViolation) as refusal:
        raced.log_note(actor=HOLDER, case_id=case.case_id, text="den anden", command_id="n-1")
    assert refusal.value.code == "command.id_reused"
    assert _types(ledger, case) == ["CaseOpened", "NoteLogged"]


def test_a_writer_that_loses_every_race_gives_up_and_stores_nothing(
    two_ledgers: tuple[Ledger, RacedLedger],
) -> None:
    ledger, raced = two_ledgers
    case = Scenario(ledger)
    raced.meanwhile = lambda: ledger.log_note(actor=HOLDER, case_id=case.case_id, text="først")
    raced.races = MAX_ATTEMPTS

    with pytest.raises(ConcurrencyConflict) as gave_up:
        raced.log_note(actor=HOLDER, case_id=case.case_id, text="aldrig", command_id="n-1")

    assert raced.conflicts == MAX_ATTEMPTS
    assert "nothing was stored" in gave_up.value.message
    texts = [getattr(e, "text", None) for e in ledger.history(case.case_id)]
    assert texts == [None] + ["først"] * MAX_ATTEMPTS
    assert ledger.store.recorder.select_command("n-1") is None
    # Sent once more, it is stored (the id was never used).
    assert not raced.log_note(
        actor=HOLDER, case_id=case.case_id, text="aldrig", command_id="n-1"
    ).replayed


def test_threads_grabbing_at_once_exactly_one_wins_each_time(pg_schema_url: str) -> None:
    """The same race without staging: two threads, each with its own ledger, let go at once."""
    rounds = 15
    with Ledger(pg_schema_url) as a, Ledger(pg_schema_url) as b:
        case = Scenario(a)
        case.join(SOCIAL)
        barrier = threading.Barrier(2)
        for turn in range(rounds):
            holder, target = (HOLDER, SOCIAL) if turn % 2 == 0 else (SOCIAL, HOLDER)
            a.hand_baton(actor=holder, case_id=case.case_id, to=target)
            outcomes: list[Any] = []

            def grab(ledger: Ledger, target: str = target, outcomes: list[Any] = outcomes) -> None:
                barrier.wait(timeout=30)
                try:
                    outcomes.append(ledger.grab_baton(actor=target, case_id=case.case_id))
                except Exception as error:  # collected and judged below
                    outcomes.append(error)

            threads = [threading.Thread(target=grab, args=(ledger,)) for ledger in (a, b)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert not any(t.is_alive() for t in threads), "a grab hung"
            refused = [o for o in outcomes if isinstance(o, RuleViolation)]
            won = [o for o in outcomes if not isinstance(o, Exception)]
            assert len(won) == 1 and len(refused) == 1, outcomes
            assert refused[0].code == "baton.not_offered"
            a.release_baton(actor=holder, case_id=case.case_id)
        history = a.history(case.case_id)
        assert [type(e).__name__ for e in history].count("BatonGrabbed") == rounds
        assert [e.position for e in history] == list(range(1, len(history) + 1))


@pytest.mark.process
def test_four_writer_processes_on_three_cases_lose_and_double_nothing(
    pg_schema_url: str,
) -> None:
    operations = 200
    with Ledger(pg_schema_url) as ledger:  # creates the schema and tables before any child
        case_ids = open_shared_cases(ledger, 3, WRITERS)
        setup_versions = {c: ledger.get_case(c).version for c in case_ids}

        reports = run_writers(
            multiprocessing.get_context("spawn"), pg_schema_url, case_ids, WRITERS, operations
        )

        counts = check_what_the_writers_left(ledger, case_ids, setup_versions, reports)
    assert counts["acks"] + counts["refused"] + counts["conflicts"] == operations * len(WRITERS)
    assert counts["baton_acks"] > 0 and counts["refused"] > 0, counts  # the race was real


@pytest.mark.process
def test_writer_processes_can_open_the_ledger_at_the_same_moment(pg_schema_url: str) -> None:
    """SPEC §12: many writer processes at once, e.g. several `stafet` commands started
    together. Opening the ledger must not depend on luck."""
    with Ledger(pg_schema_url):  # schema and tables exist before any child starts
        pass
    outcomes = open_ledgers_at_once(
        multiprocessing.get_context("spawn"), pg_schema_url, processes=4, rounds=15
    )
    assert [o for o in outcomes if o != "ok"] == []
