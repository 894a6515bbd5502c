"""A small vocabulary for tests: a case with people in it, and 'this must be refused'."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import pytest

from stafet import CommandResult, Ledger, RuleViolation
from stafet.domain.state import CaseState

if TYPE_CHECKING:
    from tests.rules._domain import DomainLedger

HOLDER = "anne@jobcenter"
SOCIAL = "bo@socialcenter"
ADDICTION = "carl@misbrugscenter"
VOLUNTEER = "dorte@frivilligcenter"
CITIZEN = "borger@hjemme"


def soon(days: int = 14) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


class Scenario:
    """One case opened by HOLDER (an authority) as permanent holder: on a real ``Ledger``, or on
    the in-memory ``DomainLedger`` of the rule tests (the same calls, no database)."""

    def __init__(
        self, ledger: Ledger | DomainLedger, subject_kind: str = "adult", temporary: bool = False
    ) -> None:
        self.ledger = ledger
        opened = ledger.run("case.open", {
            "actor": HOLDER, "subject_ref": "borger-4711", "subject_kind": subject_kind,
            "title": "Samlet forløb", "temporary": temporary,
        })
        self.case_id: UUID = opened.case_id

    def do(self, name: str, actor: str = HOLDER, **fields: Any) -> CommandResult:
        return self.ledger.run(name, {"actor": actor, "case_id": self.case_id, **fields})

    def refused(self, name: str, code: str, actor: str = HOLDER, **fields: Any) -> str:
        """Assert the command is refused by the named rule and that nothing was stored."""
        before = self.ledger.history(self.case_id)
        max_id = self.ledger.head()
        with pytest.raises(RuleViolation) as refusal:
            self.do(name, actor=actor, **fields)
        assert refusal.value.code == code, refusal.value.message
        after = self.ledger.history(self.case_id)
        assert [e.model_dump() for e in after] == [e.model_dump() for e in before]
        assert self.ledger.head() == max_id
        return refusal.value.message

    @property
    def state(self) -> CaseState:
        return self.ledger.get_case(self.case_id)

    # common set-ups ------------------------------------------------------------------

    def join(self, ref: str, kind: str = "authority", actor: str = HOLDER) -> CommandResult:
        return self.do("case.join", actor=actor, participant=ref, kind=kind)

    def consent_for(self, *recipients: str, purpose: str = "koordinering",
                    categories: tuple[str, ...] = ("helbred", "beskæftigelse"),
                    role: str | None = None, **extra: Any) -> CommandResult:
        role = role or {"adult": "citizen", "child": "custody_holder",
                        "family": "custody_holder"}[self.state.subject_kind]
        return self.do(
            "consent.give", given_by=[{"role": role}], purpose=purpose,
            recipients=list(recipients), categories=list(categories), **extra,
        )

    def accept_plan(self) -> CommandResult:
        role = {"adult": "citizen", "child": "custody_holder",
                "family": "custody_holder"}[self.state.subject_kind]
        return self.do("plan.accept", accepted_by=[{"role": role}])

    def hand_over(self, to: str) -> None:
        """A full hand-over: hand, grab, release."""
        holder = self.state.baton.holder
        self.do("baton.hand", actor=holder, to=to)
        self.do("baton.grab", actor=to)
        self.do("baton.release", actor=holder)
