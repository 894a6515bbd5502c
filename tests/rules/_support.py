"""Vocabulary of test_baton_rules.py and test_case_rules.py: refusals with their sentence, input
refusals, the baton brought to a stage, and the 'never zero holders' check on a baton timeline."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

from stafet import InvalidCommand, RuleViolation
from stafet.domain.attention import Flag, attention_flags
from stafet.domain.events import CaseEvent
from stafet.domain.policy import Policy
from stafet.domain.state import CaseState
from tests.helpers import HOLDER, SOCIAL, Scenario
from tests.rules._domain import DomainLedger

OUTSIDER = "eva@udenfor"  # never joins any case
OPEN: dict[str, Any] = {  # the fields of a plain case.open
    "actor": HOLDER, "subject_ref": "borger-4711", "subject_kind": "adult", "title": "Samlet forløb",
}


def one_sentence(message: str) -> None:
    """A refusal is one clear sentence: a single line, no second sentence, not a dump."""
    assert message.strip(), "the refusal has no message"
    assert "\n" not in message, f"more than one line: {message!r}"
    assert ". " not in message.rstrip("."), f"more than one sentence: {message!r}"
    assert "Traceback" not in message and len(message) <= 300, message


def refusal(case: Scenario, name: str, code: str, says: str, actor: str = HOLDER,
            **fields: Any) -> str:
    """Refused by the rule ``code`` (log unchanged, see Scenario.refused), in one sentence that
    matches the regular expression ``says``."""
    message = case.refused(name, code, actor=actor, **fields)
    assert re.search(says, message), f"{message!r} does not say {says!r}"
    one_sentence(message)
    return message


def _store(ledger: DomainLedger) -> tuple[Any, ...]:
    return ledger.head(), tuple(ledger.case_ids())


def invalid(ledger: DomainLedger, name: str, fields: dict[str, Any], field: str, says: str) -> str:
    """Refused as bad input naming ``field`` before anything ran; nothing stored anywhere."""
    case_id = fields.get("case_id")
    before = _store(ledger)
    history = [e.model_dump() for e in ledger.history(case_id)] if case_id else None
    with pytest.raises(InvalidCommand) as refused:
        ledger.run(name, fields)
    message = refused.value.message
    assert f"field '{field}'" in message, message
    assert re.search(says, message), f"{message!r} does not say {says!r}"
    one_sentence(message)
    assert _store(ledger) == before
    if case_id:
        assert [e.model_dump() for e in ledger.history(case_id)] == history
    return message


def refused_open(ledger: DomainLedger, code: str, says: str, **fields: Any) -> str:
    """``case.open`` refused by a rule: no case and no event stored."""
    before = _store(ledger)
    with pytest.raises(RuleViolation) as refused:
        ledger.run("case.open", fields)
    assert refused.value.code == code, refused.value.message
    assert re.search(says, refused.value.message), refused.value.message
    one_sentence(refused.value.message)
    assert _store(ledger) == before
    return refused.value.message


def events(case: Scenario) -> list[CaseEvent]:
    return case.ledger.history(case.case_id)


def last(case: Scenario) -> CaseEvent:
    return events(case)[-1]


def types(case: Scenario) -> list[str]:
    return [type(e).__name__ for e in events(case)]


def flags(state: CaseState, policy: Policy) -> dict[str, Flag]:
    return {f.flag: f for f in attention_flags(state, policy)}


def to_stage(case: Scenario, stage: str, to: str = SOCIAL) -> None:
    """Bring the baton (held by HOLDER, ``to`` already joined) to held, offered or exchange."""
    if stage in ("offered", "exchange"):
        case.do("baton.hand", to=to)
    if stage == "exchange":
        case.do("baton.grab", actor=to)
    assert case.state.baton.stage == stage


def assert_always_held(state: CaseState) -> None:
    """From open to close somebody holds the baton (SPEC §4), by position in the log and by
    the time things happened: no moment of the case's life is left without a holder.
    For a case that was never reopened (a closed stretch has no holder, rightly)."""
    holds = state.holds
    end = state.version if state.status == "open" else state.version - 1
    for position in range(1, end + 1):
        holding = [h.holder for h in holds if h.since_position <= position
                   and (h.until_position is None or position < h.until_position)]
        assert holding, f"nobody holds the baton at position {position}: {holds}"
    closed_at = state.closure.closed_at if state.closure else None
    moments: set[datetime] = {state.opened_at}
    moments |= {h.since for h in holds} | {h.until for h in holds if h.until is not None}
    for moment in sorted(moments):
        if moment < state.opened_at or (closed_at is not None and moment >= closed_at):
            continue
        holding = [h.holder for h in holds
                   if h.since <= moment and (h.until is None or moment < h.until)]
        assert holding, f"nobody holds the baton at {moment.isoformat()}: {holds}"


class OpenedWith(Scenario):
    """A Scenario whose ``case.open`` carries extra fields (a business time, the actor's role)."""

    def __init__(self, ledger: DomainLedger, **fields: Any) -> None:
        self.ledger = ledger
        self.case_id = ledger.run("case.open", {**OPEN, "temporary": False, **fields}).case_id
