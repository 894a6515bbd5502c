"""SIGKILL mid-command and mid-batch (SPEC §12), on an SQLite file and on PostgreSQL.

(a) Writer processes send single commands and atomic units of several (like ``apply
--atomic``), each with a command id, and are killed at random moments (seeded). After every
kill: ``verify`` is clean; every case's history runs 1..n and keeps the baton rules;
every command the child was told was stored (and reported to us before it died) is stored,
at its positions, with its command id; the command in flight when it died is stored wholly or
not at all; nothing else is stored; the read models, caught up, equal a rebuild row for row.
On SQLite every write brings the read models up to date, so a kill there also lands inside
a projection batch.

(b) Projection runners catching up in batches of random sizes, and now and then rebuilding
some or all read models, beside a writer, are killed at random moments. After every kill
the read models, caught up, equal a rebuild row for row, and every projection's position is
the head of the log.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from stafet import Ledger
from tests.faults.processes import (
    EXAMPLES,
    Children,
    append_examples,
    assert_acknowledged_stored,
    assert_log_intact,
    assert_read_models_equal_a_rebuild,
    forkserver,
    iter_acks,
    open_case_killed_after_the_key,
    project_until_killed,
    read_reports,
    stored_by_command_id,
    wait_for_report,
    write_until_killed,
)
from tests.integration.concurrent_writers import WRITERS, RacedLedger, open_shared_cases

# Tier (tests/README.md): kills writer and runner processes with SIGKILL.
pytestmark = [pytest.mark.fault, pytest.mark.process]

SEED = 20_261_130
WRITER_ROUNDS = 5  # two writer processes a round, each killed at its own random moment
RUNNER_ROUNDS = 4  # one or two runners and a writer a round


def _kill_at(process: Any, moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))
    assert process.is_alive(), f"{process.name} ended by itself: exit code {process.exitcode}"
    process.kill()  # SIGKILL
    process.join(timeout=30)
    assert process.exitcode == -9, (process.name, process.exitcode)


MIN_ACKS_BEFORE_KILL = 3


def _wait_for_acks(path: Path, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(list(iter_acks(read_reports(path)))) < count:
        assert time.monotonic() < deadline, f"{path.name}: fewer than {count} acknowledged in {timeout} s"
        time.sleep(0.02)


def _in_flight(reports: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(the ids of the last command or unit sent and never answered, every id refused)."""
    answered = {a["command_id"] for a in iter_acks(reports)}
    failed = [i for item in reports if "failed" in item for i in item["failed"]]
    intents = [item["intent"] for item in reports if "intent" in item]
    # In flight until every id of it is answered: a kill can fall between the acks of one
    # atomic unit (one line each), after the unit was stored whole.
    if intents and not set(intents[-1]) <= (answered | set(failed)):
        return intents[-1], failed
    return [], failed


def test_writers_killed_mid_command_lose_nothing_acknowledged_and_store_no_half(
    store_url: str, workdir: Path,
) -> None:
    in_flight_at_kill = 0
    all_acks: list[dict[str, Any]] = []
    with Ledger(store_url) as ledger, Children(forkserver()) as children:
        case_ids = open_shared_cases(ledger, 3, WRITERS)
        for round_no in range(WRITER_ROUNDS):
            rng = random.Random(SEED + round_no)
            writers = []
            for n, actors in enumerate((WRITERS[:2], WRITERS[2:])):
                path = workdir / f"writer-{round_no}-{n}.jsonl"
                prefix = f"r{round_no}w{n}"
                # On PostgreSQL the writers leave the read models to a runner; sometimes they
                # bring them up to date themselves, as on SQLite, so a kill lands in a batch.
                read_models = None if rng.random() < 0.5 else True
                child = children.start(write_until_killed, f"writer {prefix}", store_url,
                                       case_ids, actors, WRITERS, rng.randrange(10**9), prefix,
                                       str(path), read_models)
                writers.append((child, path, prefix))
            for child, path, _ in writers:
                wait_for_report(path, "ready", child)
                # Killed mid-work, not before it: however loaded the machine, each writer has
                # had a few commands acknowledged before the random moment of its kill.
                _wait_for_acks(path, MIN_ACKS_BEFORE_KILL)
            started = time.monotonic()
            for child, _, _ in sorted(writers, key=lambda _: rng.random()):
                _kill_at(child, started + rng.uniform(0.02, 0.5))

            histories = assert_log_intact(ledger)
            stored = stored_by_command_id(histories)
            for _child, path, prefix in writers:
                reports = read_reports(path)
                acks = list(iter_acks(reports))
                assert_acknowledged_stored(ledger, histories, acks)
                all_acks += acks
                flying, failed = _in_flight(reports)
                in_flight_at_kill += bool(flying)
                stored_flying = [i for i in flying if i in stored]
                assert stored_flying in ([], flying), (
                    f"the unit in flight when {prefix} was killed is stored half-way: "
                    f"{stored_flying} of {flying}")
                assert not [i for i in failed if i in stored], f"refused yet stored: {failed}"
                ours = {i for i in stored if i.startswith(prefix + "-")}
                unexplained = ours - {a["command_id"] for a in acks} - set(flying)
                assert not unexplained, f"stored, never acknowledged nor in flight: {unexplained}"
            assert_read_models_equal_a_rebuild(ledger)
        # Everything acknowledged in earlier rounds is still there after the later kills.
        assert_acknowledged_stored(ledger, assert_log_intact(ledger), all_acks)
    assert len(all_acks) > 10, "the writers hardly wrote anything before they were killed"
    assert in_flight_at_kill >= WRITER_ROUNDS // 2, (
        f"only {in_flight_at_kill} of {2 * WRITER_ROUNDS} kills hit a command in flight")


def test_projection_runners_killed_mid_batch_leave_read_models_equal_to_a_rebuild(
    store_url: str, workdir: Path,
) -> None:
    killed_behind = 0  # rounds in which the runners died with work left (positions < head)
    with Ledger(store_url, read_models=False) as ledger, Children(forkserver()) as children:
        for n in range(6):  # ~250 events of every kind to project, before the writer adds more
            ledger.apply_batch(EXAMPLES[n % 2], atomic=True)
        for round_no in range(RUNNER_ROUNDS):
            rng = random.Random(SEED + 100 + round_no)
            runners = []
            for n in range(1 if rng.random() < 0.5 else 2):
                path = workdir / f"runner-{round_no}-{n}.jsonl"
                runners.append((children.start(project_until_killed, f"runner {round_no}.{n}",
                                               store_url, rng.randrange(10**9), str(path)), path))
            writer_path = workdir / f"examples-{round_no}.jsonl"
            writer = children.start(append_examples, f"writer {round_no}", store_url,
                                    rng.randrange(10**9), str(writer_path))
            for runner, path in runners:
                wait_for_report(path, "ready", runner)
            wait_for_report(writer_path, "ready", writer)
            # The writer dies first, each runner a moment later: a runner that then still has
            # work left (positions behind the head) died in the middle of it.
            writer_dies = time.monotonic() + rng.uniform(0.05, 0.6)
            _kill_at(writer, writer_dies)
            for runner, _ in runners:
                _kill_at(runner, writer_dies + rng.uniform(0.0, 0.1))

            assert_log_intact(ledger)
            status = ledger.read_models.status()
            assert all(0 <= s.position <= s.head for s in status), status
            killed_behind += any(s.lag for s in status)
            assert assert_read_models_equal_a_rebuild(ledger) > 0
    assert killed_behind >= 1, (
        f"in only {killed_behind} of {RUNNER_ROUNDS} rounds did a runner die with work left")


# -- one chosen point: between the citizen's key and the CaseOpened event ----------------------

DPO = "dpo@kommunen"


def _with_a_dpo(ledger: Ledger) -> None:
    """The ledger's administrator appoints the data protection officer, who alone erases."""
    ledger.appoint_first_admin("it@kommunen")
    ledger.grant_role(actor="it@kommunen", role="dpo", to=DPO)


def _erase(ledger: Ledger, subject_ref: str) -> list[UUID]:
    return ledger.erase_subject(actor=DPO, subject_ref=subject_ref, reason="Slettefrist udløbet",
                                confirm=subject_ref).cases



def test_a_writer_killed_after_the_citizens_key_leaves_the_citizen_erasable(
    store_url: str,
) -> None:
    with Ledger(store_url) as ledger, Children(forkserver()) as children:
        _with_a_dpo(ledger)
        first = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-77",
                                 subject_kind="adult", title="Første forløb").case_id
        child = children.start(open_case_killed_after_the_key, "writer", store_url, "borger-77")
        child.join(timeout=60)
        assert child.exitcode == -9, child.exitcode
        assert_log_intact(ledger)
        assert ledger.case_ids() == [first]
        assert _erase(ledger, "borger-77") == [first]


def test_an_atomic_batch_decided_again_after_a_conflict_leaves_the_citizen_erasable(
    store_url: str,
) -> None:
    """The same window reached without a kill: the first commit of the batch fails on a
    conflict after the key was stored, and the batch is decided again with a new case id."""
    with Ledger(store_url) as ledger, RacedLedger(store_url) as raced:
        _with_a_dpo(ledger)
        other = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-1",
                                 subject_kind="adult", title="Et andet forløb").case_id
        raced.meanwhile = lambda: ledger.log_note(actor="anne@jobcenter", case_id=other,
                                                  text="imens")
        lines = [json.dumps(line) + "\n" for line in (
            {"command": "case.open", "actor": "anne@jobcenter", "subject_ref": "borger-99",
             "subject_kind": "adult", "title": "Nyt forløb"},
            {"command": "note", "actor": "anne@jobcenter", "case": str(other), "text": "x"},
        )]
        results = raced.apply_batch(lines, atomic=True)
        assert raced.conflicts == 1
        assert_log_intact(ledger)
        assert _erase(ledger, "borger-99") == [results[0].case_id]
