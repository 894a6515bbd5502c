"""Shared helpers for the rule tests of SPEC §5-§8 and §10 (plan, consent, meetings, log).

Everything here works on a real ledger; nothing is mocked.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stafet import CommandResult, InvalidCommand
from stafet.domain.events import CaseEvent
from tests.helpers import HOLDER, Scenario

# A fixed "now" for the tests that need a clock of their own: Monday 2 March 2026, 10:00 in
# Copenhagen (09:00 UTC), well away from a daylight-saving change.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand; give ``DomainLedger(clock=clock)``."""

    def __init__(self, now: datetime = MONDAY) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def assert_one_clear_sentence(message: str, *patterns: str) -> None:
    """A refusal is one sentence (no line breaks, no second sentence) naming what it is about."""
    assert message.strip(), "the refusal has no message"
    assert "\n" not in message, f"more than one line: {message!r}"
    body = message.strip().rstrip(".")
    assert not re.search(r"[.!?]\s+[A-Z]", body), f"more than one sentence: {message!r}"
    for pattern in patterns:
        assert re.search(pattern, message, re.IGNORECASE), f"{pattern!r} not in {message!r}"


def stored(case: Scenario) -> tuple[list[dict[str, Any]], int | None]:
    """Everything a command could have written: the case's log and the newest notification."""
    return (
        [e.model_dump() for e in case.ledger.history(case.case_id)],
        case.ledger.head(),
    )


def invalid(case: Scenario, name: str, field: str, actor: str = HOLDER, **fields: Any) -> str:
    """Assert the command fails validation naming ``field``, and that nothing was stored."""
    before = stored(case)
    with pytest.raises(InvalidCommand) as refusal:
        case.do(name, actor=actor, **fields)
    message = refusal.value.message
    assert f"field '{field}'" in message, message
    assert_one_clear_sentence(message)
    assert stored(case) == before
    return message


def refused(case: Scenario, name: str, code: str, *patterns: str, actor: str = HOLDER,
            **fields: Any) -> str:
    """``Scenario.refused`` (the rule's code, nothing stored) plus one clear sentence."""
    message = case.refused(name, code, actor=actor, **fields)
    assert_one_clear_sentence(message, *patterns)
    return message


def events_of(case: Scenario, result: CommandResult) -> list[CaseEvent]:
    """The stored events a command produced, read back from the log."""
    positions = {e.position for e in result.events}
    return [e for e in case.ledger.history(case.case_id) if e.position in positions]


def only_event(case: Scenario, result: CommandResult, type_name: str) -> CaseEvent:
    """The single event a command stored, checked to be of the given type."""
    events = events_of(case, result)
    assert [type(e).__name__ for e in events] == [type_name]
    return events[0]
