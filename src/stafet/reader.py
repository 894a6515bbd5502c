"""Reading personal data: every read goes through a Reader, which writes the access log.

    >>> from stafet import Ledger
    >>> ledger = Ledger("sqlite:///:memory:")
    >>> case = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-4711",
    ...                         subject_kind="adult", title="Forløb")
    >>> reader = ledger.reader("anne@jobcenter", purpose="forberede koordinerende møde")
    >>> reader.case(case.case_id).baton.holder
    'anne@jobcenter'
    >>> [e.action for e in ledger.access_log.entries(subject_ref="borger-4711")]
    ['show']
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from stafet.domain.errors import InvalidCommand
from stafet.domain.events import CaseEvent
from stafet.domain.state import CaseState
from stafet.domain.values import ParticipantRef, ShortText

if TYPE_CHECKING:
    from stafet.ledger import Ledger

T = TypeVar("T")
_ACTOR: TypeAdapter[str] = TypeAdapter(ParticipantRef)
_PURPOSE: TypeAdapter[str] = TypeAdapter(ShortText)


class Reader:
    """One person reading for one purpose. Each method logs what it read."""

    def __init__(self, ledger: Ledger, actor: str | None, purpose: str | None) -> None:
        try:
            self.actor = _ACTOR.validate_python(actor)
        except ValidationError:
            raise InvalidCommand(
                "say who is reading: --as person@org (every read of personal data is logged)."
            ) from None
        if purpose is None and ledger.policy.purpose_required:
            raise InvalidCommand(
                "say why you read this (--purpose): every read of personal data is logged with "
                "its purpose."
            )
        try:
            self.purpose = _PURPOSE.validate_python(purpose) if purpose is not None else None
        except ValidationError:
            raise InvalidCommand("the purpose must be 1-500 characters of text.") from None
        self.ledger = ledger

    def _log(self, action: str, state: CaseState | None = None,
             criterion: str | None = None) -> None:
        self.ledger.access_log.record(
            at=self.ledger.clock(), actor=self.actor, action=action, purpose=self.purpose,
            case_id=str(state.id) if state else None,
            subject_ref=state.subject_ref if state else None, criterion=criterion,
        )

    def case(self, ref: UUID | str) -> CaseState:
        state = self.ledger.get_case(ref)
        self._log("show", state)
        return state

    def case_as_of(self, ref: UUID | str, moment: datetime) -> CaseState:
        state = self.ledger.get_case_as_of(ref, moment)
        self._log("show-as-of", state, criterion=moment.isoformat())
        return state

    def history(self, ref: UUID | str) -> list[CaseEvent]:
        events = self.ledger.history(ref)
        self._log("history", self.ledger.get_case(ref))
        return events

    def timeline(self, ref: UUID | str) -> CaseState:
        state = self.ledger.get_case(ref)
        self._log("timeline", state)
        return state

    def searched(self, criterion: str, case_ids: Iterable[str] = ()) -> None:
        """Log a search (its criterion), and each case it found."""
        self._log("search", criterion=criterion)
        self._log_cases("search-hit", criterion, case_ids)

    def exported(self, what: str, case_ids: Iterable[str] = ()) -> None:
        """Log an export, and each case whose data it hands out (so each citizen sees it)."""
        self._log("export", criterion=what)
        self._log_cases("export-hit", what, case_ids)

    def _log_cases(self, action: str, criterion: str, case_ids: Iterable[str]) -> None:
        ids = [str(c) for c in case_ids]
        subjects = self.ledger.store.keys.subject_ids_of(ids)
        self.ledger.access_log.record_many(
            at=self.ledger.clock(), actor=self.actor, action=action, purpose=self.purpose,
            criterion=criterion, cases=[(c, subjects.get(c)) for c in ids])
