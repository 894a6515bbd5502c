"""Writing a generated stream into a ledger, many commands a transaction."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from stafet.dev.synthetic.item import Item

if TYPE_CHECKING:
    from stafet.domain.state import CaseState
    from stafet.ledger import Ledger


@dataclass
class LoadReport:
    cases: int = 0
    commands: int = 0
    events: int = 0
    seconds: float = 0.0
    by_command: Counter[str] = field(default_factory=Counter)
    case_ids: dict[int, UUID] = field(default_factory=dict)


def load(
    ledger: Ledger,
    items: Iterable[Item],
    *,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
    keep_states: int = 50_000,
) -> LoadReport:
    """Write the stream with one unit of work per ``batch`` commands.

    Meant for a ledger no one else writes to at the same time (a fresh database, a
    benchmark): the states this loader decided are carried from one unit to the next
    (``keep_states`` of them, least recently used dropped), so a case is read from the
    store only when it fell out of that memory. Returns what was written, and each case
    number's id in the ledger."""
    import time as _time

    from stafet.application.unit_of_work import UnitOfWork

    report = LoadReport()
    states: dict[UUID, CaseState] = {}
    started = _time.perf_counter()
    work: UnitOfWork | None = None
    in_batch = 0

    def commit(unit: UnitOfWork) -> None:
        unit.commit()
        for case_id, state in unit.states.items():
            states.pop(case_id, None)
            states[case_id] = state
        while len(states) > keep_states:
            states.pop(next(iter(states)))

    for item in items:
        if work is None:
            work = ledger.unit_of_work()
            in_batch = 0
        case_id = report.case_ids.get(item.case)
        if case_id is not None and case_id not in work.states and case_id in states:
            work.states[case_id] = states[case_id]
            work.loaded_versions[case_id] = states[case_id].version
        result = work.decide(item.command(case_id))
        if item.name == "case.open":
            report.case_ids[item.case] = result.case_id
            report.cases += 1
        report.commands += 1
        report.events += len(result.events)
        report.by_command[item.name] += 1
        in_batch += 1
        if progress:
            progress(len(result.events))
        if in_batch >= batch:
            commit(work)
            work = None
    if work is not None:
        commit(work)
    report.seconds = _time.perf_counter() - started
    return report
