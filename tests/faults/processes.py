"""Processes for the fault tests (killed with SIGKILL, or cut off by a server restart), and the
checks of what they leave behind.

Kept out of the test modules so a forked child imports only this (and stafet). A child
reports to the parent through a file of JSON lines, one ``os.write`` a line, so whatever it
reported before it died is on disk: ``{"intent": [ids]}`` before it sends a command (or an
atomic unit of commands), ``{"ack": result}`` once the ledger acknowledged it, ``{"failed":
[ids]}`` when the ledger refused it.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from stafet.projections.base import metadata

from stafet import ConcurrencyConflict, Ledger, RuleViolation, StafetError
from stafet.domain.commands import build_command
from stafet.storage.engine import reading
from stafet.storage.verify import verify
from tests.integration.baton_model import check_history
from tests.integration.concurrent_writers import _choose

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = [
    (ROOT / "examples" / name / "case.jsonl").read_text(encoding="utf-8").splitlines(True)
    for name in ("adult-case", "family-case")
]


def forkserver() -> Any:
    """A multiprocessing context whose children fork from a server that has stafet (and this
    module) imported already: a child starts in milliseconds, not half a second."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


class Reports:
    """The child's side of the report file."""

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def __call__(self, **item: Any) -> None:
        os.write(self.fd, (json.dumps(item, default=str) + "\n").encode("utf-8"))


def read_reports(path: Path) -> list[dict[str, Any]]:
    """What the child reported: every complete line (a line cut off by the kill is not a report)."""
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines(True) if line.endswith("\n")]


def wait_for_report(path: Path, key: str, process: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(key in item for item in read_reports(path)):
            return
        if not process.is_alive():
            raise AssertionError(f"{process.name} died before it reported {key!r}: "
                                 f"exit code {process.exitcode}, reports {read_reports(path)}")
        time.sleep(0.005)
    raise AssertionError(f"{process.name} did not report {key!r} within {timeout} s")


# -- the children -------------------------------------------------------------------------------


def write_until_killed(url: str, case_ids: list[UUID], actors: Sequence[str], writers: Sequence[str],
                       seed: int, prefix: str, report_path: str, read_models: bool | None) -> None:
    """Send commands for ever, single ones and atomic units of several; every one has a
    command id and is reported before it is sent and when it is acknowledged."""
    rng = random.Random(seed)
    report = Reports(report_path)
    with Ledger(url, read_models=read_models) as ledger:
        report(ready=True)
        n = 0
        while True:
            n += 1
            actor = rng.choice(actors)
            size = 1 if rng.random() < 0.7 else rng.randint(2, 4)
            ids = [f"{prefix}-{n}-{k}" for k in range(size)]
            report(intent=ids)
            try:
                if size == 1:
                    case_id = rng.choice(case_ids)
                    name, fields = _choose(rng, ledger, case_id, actor, tuple(writers))
                    results = [ledger.run(name, {"actor": actor, "case_id": case_id,
                                                 "command_id": ids[0], **fields})]
                else:  # like `stafet apply --atomic`: all of them or none
                    work = ledger.unit_of_work()
                    results = []
                    for k, command_id in enumerate(ids):
                        case_id = rng.choice(case_ids)
                        name, fields = ("note", {"text": f"del {k} af {n} – æøå 🙂"})
                        if k == 0:
                            name, fields = _choose(rng, ledger, case_id, actor, tuple(writers))
                        results.append(work.decide(build_command(name, {
                            "actor": actor, "case_id": case_id, "command_id": command_id,
                            **fields})))
                    work.commit()
            except (RuleViolation, ConcurrencyConflict):
                report(failed=ids)
                continue
            for command_id, result in zip(ids, results, strict=True):
                report(ack={**result.model_dump(mode="json"), "command_id": command_id,
                            "actor": actor})


def open_case_killed_after_the_key(url: str, subject_ref: str) -> None:
    """Open a case, and die (SIGKILL) at one chosen point mid-command: right after the
    citizen's key has been tied to the new case, before the CaseOpened event is committed."""
    from stafet.storage.keys import KeyStore

    original = KeyStore.open_case

    def open_case_then_die(self: KeyStore, case_id: UUID, ref: str, at: datetime) -> bytes:
        original(self, case_id, ref, at)
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("unreachable")

    KeyStore.open_case = open_case_then_die  # type: ignore[method-assign]
    with Ledger(url) as ledger:
        ledger.open_case(actor="anne@jobcenter", subject_ref=subject_ref, subject_kind="adult",
                         title="Forløb der aldrig blev gemt")


def project_until_killed(url: str, seed: int, report_path: str) -> None:
    """A projection runner: catch up in batches of random sizes, now and then rebuild one,
    several or all read models, for ever."""
    rng = random.Random(seed)
    report = Reports(report_path)
    with Ledger(url, read_models=False) as ledger:
        runner = ledger.read_models
        report(ready=True)
        while True:
            if rng.random() < 0.2:
                names = rng.sample(runner.names(), rng.randint(1, len(runner.names())))
                runner.rebuild(names if rng.random() < 0.5 else None)
            elif not runner.catch_up(batch_size=rng.choice([1, 2, 7, 33, 128, 500])):
                time.sleep(0.02)  # caught up: poll, as `stafet projections run` does


def append_examples(url: str, seed: int, report_path: str) -> None:
    """A writer beside the runners: replays the example cases (atomic batches, ~40 events
    each) for ever."""
    rng = random.Random(seed)
    report = Reports(report_path)
    with Ledger(url, read_models=False) as ledger:
        report(ready=True)
        while True:
            ledger.apply_batch(rng.choice(EXAMPLES), atomic=True)
            time.sleep(rng.uniform(0.0, 0.1))  # keep the log small enough to rebuild often


def write_through_outage(url: str, case_ids: list[UUID], actor: str, seed: int, prefix: str,
                         report_path: str, stop_path: str) -> None:
    """A long-lived writer (one Ledger, like a server process): sends notes until the stop
    file appears, reporting every outcome; an error does not end it."""
    rng = random.Random(seed)
    report = Reports(report_path)
    ledger = None
    n = 0
    while not os.path.exists(stop_path):
        n += 1
        command_id = f"{prefix}-{n}"
        try:
            if ledger is None:
                ledger = Ledger(url)
                report(ready=True)
            report(intent=[command_id])
            result = ledger.run("note", {"actor": actor, "case_id": rng.choice(case_ids),
                                         "command_id": command_id, "text": f"notat {n}"})
        except Exception as error:  # recorded and judged by the test
            report(error={"command_id": command_id, "type": type(error).__name__,
                          "stafet": isinstance(error, StafetError), "message": str(error)[:500],
                          "at": time.time()})
            time.sleep(0.05)
            continue
        report(ack={**result.model_dump(mode="json"), "command_id": command_id,
                    "actor": actor, "at": time.time()})
        time.sleep(0.01)
    if ledger is not None:
        ledger.close()
    report(stopped=True)


# -- the checks ---------------------------------------------------------------------------------


def read_model_rows(ledger: Ledger) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every rm_ table, in a stable order (rm_tracking without its timestamp)."""
    engine = ledger.read_models.engine
    out: dict[str, list[tuple[Any, ...]]] = {}
    with reading(engine) as conn:
        for table in metadata.sorted_tables:
            if not table.name.startswith("rm_"):
                continue
            columns = [c for c in table.columns if not (
                table.name == "rm_tracking" and c.name == "updated_at")]
            rows = conn.execute(sa.select(*columns)).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def assert_read_models_equal_a_rebuild(ledger: Ledger) -> int:
    """Catch up, keep every rm_ row, rebuild from the log, and compare row for row."""
    runner = ledger.read_models
    runner.catch_up()
    head = runner.head()
    assert all(s.position == head for s in runner.status()), runner.status()
    caught_up = read_model_rows(ledger)
    runner.rebuild()
    rebuilt = read_model_rows(ledger)
    for name in rebuilt:
        assert caught_up[name] == rebuilt[name], _first_difference(name, caught_up[name],
                                                                   rebuilt[name])
    return sum(len(rows) for rows in rebuilt.values())


def _first_difference(name: str, before: list[Any], after: list[Any]) -> str:
    only_before = [r for r in before if r not in after][:3]
    only_after = [r for r in after if r not in before][:3]
    return (f"{name} after catch-up differs from a rebuild ({len(before)} vs {len(after)} rows):"
            f"\n  only after catch-up: {only_before}\n  only in the rebuild: {only_after}")


def assert_log_intact(ledger: Ledger) -> dict[UUID, list[Any]]:
    """verify is clean; every case's history runs 1..n without a gap and keeps the baton
    rules. Returns the histories."""
    report = verify(ledger.store.recorder)
    assert report.ok, report.problem
    histories = {}
    for case_id in ledger.case_ids(limit=100_000):
        history = ledger.history(case_id)
        assert [e.originator_version for e in history] == list(range(1, len(history) + 1)), (
            f"case {case_id} has a gap: {[e.originator_version for e in history]}")
        check_history(history)
        histories[case_id] = history
    # The log also holds the administration's stream (roles, prunes), which is not a case.
    administration = ledger.store.roles().version
    assert report.count == sum(len(h) for h in histories.values()) + administration
    return histories


def stored_by_command_id(histories: dict[UUID, list[Any]]) -> dict[str, list[tuple[UUID, int, str, str]]]:
    out: dict[str, list[tuple[UUID, int, str, str]]] = {}
    for case_id, history in histories.items():
        for e in history:
            if e.command_id:
                out.setdefault(e.command_id, []).append(
                    (case_id, e.originator_version, type(e).__name__, e.actor))
    return out


def assert_acknowledged_stored(ledger: Ledger, histories: dict[UUID, list[Any]],
                               acks: list[dict[str, Any]]) -> None:
    """Every acknowledged command is stored once, at the positions it was told, with its
    type and actor; its command id is remembered with the same result."""
    stored = stored_by_command_id(histories)
    for ack in acks:
        case_id = UUID(ack["case_id"])
        expected = [(case_id, e["position"], e["type"], ack["actor"]) for e in ack["events"]]
        assert stored.get(ack["command_id"], []) == expected, (
            f"acknowledged {ack['command_id']} is not stored as acknowledged: stored "
            f"{stored.get(ack['command_id'])}, acknowledged {expected}")
        record = ledger.store.recorder.select_command(ack["command_id"])
        assert record is not None, f"acknowledged {ack['command_id']}: its command id is lost"
        assert record.result["events"] == ack["events"], (record.result, ack)


def iter_acks(reports: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    return (item["ack"] for item in reports if "ack" in item)


class Children:
    """Child processes started for one test; whatever is still alive at the end is killed
    (by its own process id), so a failing test leaves nothing running."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.started: list[Any] = []

    def start(self, target: Any, name: str, *args: Any) -> Any:
        child = self.context.Process(target=target, name=name, args=args, daemon=True)
        child.start()
        self.started.append(child)
        return child

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *_: object) -> None:
        for child in self.started:
            if child.is_alive():
                child.kill()
            child.join(timeout=30)
