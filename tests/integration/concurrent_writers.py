"""Writer processes for the concurrency tests, and the check of what they leave behind.

Kept out of the test modules so a spawned child imports only this (and stafet).  Each
writer is one professional on several shared cases: it reads a case, picks what its part
in the baton allows (grab when offered, release when outgoing, hand when holding, else a
note or a stray baton command) and sends it with a command id of its own.  Between its
read and its write the others move on, so many commands are refused by the rules or
decided again after a conflict; that is the point.
"""

from __future__ import annotations

import random
import traceback
from collections import Counter
from collections.abc import Callable
from typing import Any
from uuid import UUID

from stafet import ConcurrencyConflict, Ledger, RuleViolation
from stafet.application.unit_of_work import UnitOfWork
from stafet.domain.evolve import project_case
from tests.integration.baton_model import assert_model_matches, check_history

OPENER = "anne@jobcenter"
WRITERS = (OPENER, "bo@socialcenter", "carl@misbrugscenter", "dorte@ppr")
KIND = {OPENER: "authority", "bo@socialcenter": "authority",
        "carl@misbrugscenter": "provider", "dorte@ppr": "authority"}


class RacedLedger(Ledger):
    """A ledger that lets another writer act between its decision and its commit.

    ``meanwhile`` runs just before each of the next ``races`` commits (one, unless set);
    ``conflicts`` counts the commits refused because the case moved on.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meanwhile: Callable[[], Any] | None = None
        self.races = 1
        self.conflicts = 0

    def unit_of_work(self) -> UnitOfWork:
        work = super().unit_of_work()
        commit = work.commit
        meanwhile = self.meanwhile
        if meanwhile is not None:
            self.races -= 1
            if self.races <= 0:
                self.meanwhile, self.races = None, 1

        def racing_commit() -> None:
            if meanwhile is not None:
                meanwhile()
            try:
                commit()
            except ConcurrencyConflict:
                self.conflicts += 1
                raise

        work.commit = racing_commit  # type: ignore[method-assign]
        return work


def open_shared_cases(ledger: Ledger, count: int, writers: tuple[str, ...]) -> list[UUID]:
    """Cases opened by the first writer, with every other writer joined."""
    case_ids = []
    for n in range(count):
        case_id = ledger.open_case(
            actor=writers[0], subject_ref=f"borger-{n}", subject_kind="adult",
            title=f"Fælles forløb {n}", holder_kind=KIND[writers[0]],
        ).case_id
        for ref in writers[1:]:
            ledger.join_case(actor=writers[0], case_id=case_id, participant=ref, kind=KIND[ref])
        case_ids.append(case_id)
    return case_ids


def _choose(rng: random.Random, ledger: Ledger, case_id: UUID, actor: str,
            writers: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
    baton = ledger.get_case(case_id).baton
    roll = rng.random()
    if roll < 0.15:  # a stray command, whatever the state: mostly refused
        name = rng.choice(["baton.hand", "baton.grab", "baton.release", "baton.withdraw"])
    elif roll < 0.3:
        name = "note"
    elif baton.stage == "offered" and baton.offered_to == actor:
        name = "baton.decline" if roll < 0.35 else "baton.grab"
    elif baton.stage == "exchange" and baton.outgoing == actor:
        name = "baton.release"
    elif baton.stage == "held" and baton.holder == actor:
        name = "baton.hand"
    elif baton.stage == "offered" and baton.holder == actor and roll < 0.4:
        name = "baton.withdraw"
    else:
        name = "note"
    if name == "baton.hand":
        return name, {"to": rng.choice([w for w in writers if w != actor])}
    if name == "note":
        return name, {"text": f"Notat fra {actor} – æøå"}
    return name, {}


def write_concurrently(
    url: str, actor: str, seed: int, operations: int, case_ids: list[UUID],
    writers: tuple[str, ...], opening: Any, start: Any, out: Any,
) -> None:
    """One writer process: ``operations`` commands on the shared cases, then a report.

    The ledger is constructed while holding ``opening`` (one process at a time): opening
    ledgers at the same moment is tested on its own (``open_ledgers_at_once``; on
    PostgreSQL it fails, see test_concurrency_pg), so that bug cannot hide what this
    checks: concurrent *writes*."""
    report: dict[str, Any] = {
        "actor": actor, "acks": [], "replays": 0, "refused": Counter(), "refused_ids": [],
        "conflicts": [], "errors": [],
    }
    rng = random.Random(seed)
    try:
        with opening:
            ledger = Ledger(url)
        with ledger:
            start.wait(timeout=120)
            for n in range(operations):
                case_id = rng.choice(case_ids)
                command_id = f"{actor}-{n}"
                try:
                    name, fields = _choose(rng, ledger, case_id, actor, writers)
                    body = {"actor": actor, "case_id": case_id, "command_id": command_id,
                            **fields}
                    result = ledger.run(name, body)
                except RuleViolation as refusal:
                    report["refused"][refusal.code] += 1
                    report["refused_ids"].append(command_id)
                    continue
                except ConcurrencyConflict:
                    report["conflicts"].append(command_id)
                    continue
                except Exception:
                    report["errors"].append(f"{command_id}: {traceback.format_exc()}")
                    continue
                ack = result.model_dump(mode="json")
                ack.update(command_id=command_id, actor=actor)
                report["acks"].append(ack)
                if result.replayed:
                    report["errors"].append(f"{command_id}: a new command came back replayed")
                if rng.random() < 0.1:  # the client did not hear the answer and sends again
                    try:
                        again = ledger.run(name, body)
                    except Exception:
                        report["errors"].append(f"{command_id} resent: {traceback.format_exc()}")
                        continue
                    report["replays"] += 1
                    if not again.replayed or again.model_dump(
                        mode="json", exclude={"replayed"}
                    ) != result.model_dump(mode="json", exclude={"replayed"}):
                        report["errors"].append(
                            f"{command_id} resent: {again} is not the first result {result}"
                        )
    except Exception:
        report["errors"].append(f"writer {actor}: {traceback.format_exc()}")
    report["refused"] = dict(report["refused"])
    out.put(report)


def _open_repeatedly(url: str, rounds: int, start: Any, out: Any) -> None:
    outcomes = []
    for _ in range(rounds):
        start.wait(timeout=120)
        try:
            Ledger(url).close()
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(f"{type(error).__module__}.{type(error).__name__}: {error}")
    out.put(outcomes)


def open_ledgers_at_once(context: Any, url: str, processes: int, rounds: int) -> list[str]:
    """``processes`` processes construct a ledger on ``url`` at the same moment, ``rounds``
    times over (a barrier before each); every outcome, "ok" or the error."""
    start = context.Barrier(processes)
    out = context.Queue()
    children = [
        context.Process(target=_open_repeatedly, args=(url, rounds, start, out))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    try:
        outcomes = [o for _ in children for o in out.get(timeout=120)]
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.kill()
                child.join()
    return outcomes


def run_writers(
    context: Any, url: str, case_ids: list[UUID], writers: tuple[str, ...], operations: int,
    timeout: float = 240,
) -> list[dict[str, Any]]:
    """Start one process per writer at once (a barrier), wait for every report."""
    start = context.Barrier(len(writers))
    opening = context.Lock()
    out = context.Queue()
    processes = [
        context.Process(
            target=write_concurrently,
            args=(url, actor, 1000 + n, operations, case_ids, writers, opening, start, out),
            name=f"writer-{actor}",
        )
        for n, actor in enumerate(writers)
    ]
    for process in processes:
        process.start()
    reports = []
    try:
        for _ in processes:
            reports.append(out.get(timeout=timeout))
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()
    assert [p.exitcode for p in processes] == [0] * len(processes), [
        (p.name, p.exitcode) for p in processes
    ]
    return reports


def check_what_the_writers_left(
    ledger: Ledger, case_ids: list[UUID], setup_versions: dict[UUID, int],
    reports: list[dict[str, Any]],
) -> dict[str, int]:
    """Every acknowledged event stored once, at its position, with its type and actor;
    nothing else stored; no history gap; the baton rules hold on replay; conflicts and
    refusals left no trace. Returns counts for the test's own sanity checks."""
    errors = [e for r in reports for e in r["errors"]]
    assert not errors, "\n".join(errors)

    acknowledged: dict[tuple[UUID, int], tuple[str, str, str]] = {}
    for report in reports:
        for ack in report["acks"]:
            case_id = UUID(ack["case_id"])
            positions = [e["position"] for e in ack["events"]]
            assert positions == list(range(ack["version"] - len(positions) + 1,
                                           ack["version"] + 1)), ack
            for event in ack["events"]:
                key = (case_id, event["position"])
                assert key not in acknowledged, (
                    f"two acknowledged commands claim position {key}: "
                    f"{acknowledged[key]} and {ack['command_id']}"
                )
                acknowledged[key] = (event["type"], report["actor"], ack["command_id"])

    total_events = 0
    for case_id in case_ids:
        history = ledger.history(case_id)
        total_events += len(history)
        assert [e.position for e in history] == list(range(1, len(history) + 1)), (
            f"case {case_id} has gaps or repeats: {[e.position for e in history]}"
        )
        model = check_history(history)
        loaded = ledger.get_case(case_id)
        assert project_case(None, history) == loaded
        assert_model_matches(model, loaded)
        for event in history[setup_versions[case_id]:]:
            key = (case_id, event.position)
            assert key in acknowledged, (
                f"stored event {key} {type(event).__name__} by {event.actor} "
                f"({event.command_id}) was never acknowledged to its writer"
            )
            assert acknowledged.pop(key) == (type(event).__name__, event.actor, event.command_id)
    assert not acknowledged, f"acknowledged but not stored (lost): {sorted(acknowledged)}"

    # The log as a whole (what projections read): each event exactly once.
    notifications = ledger.store.recorder.select_notifications(start=1, limit=10 * total_events + 10)
    ids = [n.id for n in notifications]
    assert len(ids) == len(set(ids)) == total_events

    for report in reports:
        for ack in report["acks"]:
            record = ledger.store.recorder.select_command(ack["command_id"])
            assert record is not None and record.result["events"] == ack["events"], ack
        for command_id in report["conflicts"] + report["refused_ids"]:
            assert ledger.store.recorder.select_command(command_id) is None, (
                f"{command_id} was refused or gave up on a conflict, yet its id is stored"
            )
    return {
        "acks": sum(len(r["acks"]) for r in reports),
        "baton_acks": sum(1 for r in reports for a in r["acks"] if a["command"] != "note"),
        "refused": sum(sum(r["refused"].values()) for r in reports),
        "conflicts": sum(len(r["conflicts"]) for r in reports),
        "replays": sum(r["replays"] for r in reports),
        "events": total_events,
    }
