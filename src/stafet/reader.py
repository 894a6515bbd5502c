"""Reading: every read goes through a Reader, the one gate, which writes the access log.

A Reader is one person reading for one purpose. It has a method per read the ledger offers
(a case, its history, the case list, attention, caseload, exports, the access log); each
brings what it reads from up to date, reads (the read models through
``stafet.projections.queries``, at the ledger's clock), and logs what it handed out. The
command line, and later the HTTP API, reports and the web view, only format its answers.

    >>> from stafet import Ledger
    >>> ledger = Ledger("sqlite:///:memory:")
    >>> case = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-4711",
    ...                         subject_kind="adult", title="Forløb")
    >>> reader = ledger.reader("anne@jobcenter", purpose="forberede koordinerende møde")
    >>> reader.case(case.case_id).baton.holder
    'anne@jobcenter'
    >>> [row.holder for row in reader.case_list(CaseFilter(org="jobcenter"))]
    ['anne@jobcenter']
    >>> [e.action for e in ledger.access_log.entries(subject_ref="borger-4711")]
    ['show', 'search-hit']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from stafet.domain.errors import InvalidCommand
from stafet.domain.events import CaseEvent
from stafet.domain.state import CaseState
from stafet.domain.values import ParticipantRef, ShortText
from stafet.projections import queries
from stafet.projections.queries import (
    Attention,
    AttentionFilter,
    CaseFilter,
    CaseloadRow,
    CaseRow,
    ConsentRow,
    TableExport,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from stafet.ledger import Ledger
    from stafet.storage.access import AccessEntry

__all__ = ["AttentionFilter", "CaseFilter", "LoggedEvent", "Reader"]

_ACTOR: TypeAdapter[str] = TypeAdapter(ParticipantRef)
_PURPOSE: TypeAdapter[str] = TypeAdapter(ShortText)
EVENT_BATCH = 1000


@dataclass(frozen=True)
class LoggedEvent:
    """An event with its place in the whole log (``notification_id``, the global order)."""

    notification_id: int
    event: CaseEvent


class Reader:
    """One person reading for one purpose. Each method logs what it read.

    ``require_name``: refuse at once without a person (``--as``) and, where the policy asks
    for one, a purpose (the default, and what ``Ledger.reader`` does). With False the reads
    that show personal data still refuse, each before it reads; the reads that need no name
    today (``caseload``, ``access_log``) answer without one.
    """

    def __init__(self, ledger: Ledger, actor: str | None, purpose: str | None, *,
                 require_name: bool = True) -> None:
        self.ledger = ledger
        self.actor: str | None = None
        self.purpose: str | None = None
        if actor is not None or require_name:
            try:
                self.actor = _ACTOR.validate_python(actor)
            except ValidationError:
                raise _no_person() from None
        if purpose is not None:
            try:
                self.purpose = _PURPOSE.validate_python(purpose)
            except ValidationError:
                raise InvalidCommand("the purpose must be 1-500 characters of text.") from None
        if require_name:
            self._named()

    # -- the gate ----------------------------------------------------------------------------

    def _named(self) -> str:
        """Who reads, before anything personal is read: a person, and why if the policy asks."""
        if self.actor is None:
            raise _no_person()
        if self.purpose is None and self.ledger.policy.purpose_required:
            raise InvalidCommand(
                "say why you read this (--purpose): every read of personal data is logged with "
                "its purpose."
            )
        return self.actor

    def _read_models(self) -> Engine:
        """The read models, brought up to date first: catching up is safe beside a running
        ``stafet projections run`` and cheap when they are current, so nobody reads stale
        rows. Only the reads of rm_ tables touch them (a case is read from the log)."""
        runner = self.ledger.read_models
        runner.catch_up()
        return runner.engine

    def _log(self, action: str, state: CaseState | None = None,
             criterion: str | None = None) -> None:
        self.ledger.access_log.record(
            at=self.ledger.clock(), actor=self._named(), action=action, purpose=self.purpose,
            case_id=str(state.id) if state else None,
            subject_ref=state.subject_ref if state else None, criterion=criterion,
        )

    def _log_cases(self, action: str, criterion: str, case_ids: Iterable[str]) -> None:
        ids = [str(c) for c in case_ids]
        subjects = self.ledger.store.keys.subject_ids_of(ids)
        self.ledger.access_log.record_many(
            at=self.ledger.clock(), actor=self._named(), action=action, purpose=self.purpose,
            criterion=criterion, cases=[(c, subjects.get(c)) for c in ids])

    def searched(self, criterion: str, case_ids: Iterable[str] = ()) -> None:
        """Log a search (its criterion), and each case it found."""
        self._log("search", criterion=criterion)
        self._log_cases("search-hit", criterion, case_ids)

    def exported(self, what: str, case_ids: Iterable[str] = ()) -> None:
        """Log an export, and each case whose data it hands out (so each citizen sees it)."""
        self._log("export", criterion=what)
        self._log_cases("export-hit", what, case_ids)

    # -- one case, from the log ----------------------------------------------------------------

    def case(self, ref: UUID | str) -> CaseState:
        """The case as it stands (``ref``: its id or a unique prefix of 6+ characters)."""
        self._named()
        state = self.ledger.get_case(ref)
        self._log("show", state)
        return state

    def case_as_of(self, ref: UUID | str, moment: datetime) -> CaseState:
        """The case exactly as the log stood at a recorded time."""
        self._named()
        state = self.ledger.get_case_as_of(ref, moment)
        self._log("show-as-of", state, criterion=moment.isoformat())
        return state

    def history(self, ref: UUID | str) -> list[CaseEvent]:
        """Every event of the case, oldest first."""
        self._named()
        events = self.ledger.history(ref)
        self._log("history", self.ledger.get_case(ref))
        return events

    def timeline(self, ref: UUID | str) -> CaseState:
        """The case, for its baton holds (``.holds``)."""
        self._named()
        state = self.ledger.get_case(ref)
        self._log("timeline", state)
        return state

    # -- across cases, from the read models ----------------------------------------------------

    def case_list(self, where: CaseFilter | None = None) -> list[CaseRow]:
        """Cases, oldest first; a flag filter means due at the ledger's clock. Logged as a
        search (``case list --org ...``) and a hit for each case listed."""
        self._named()
        where = where or CaseFilter()
        rows = queries.case_list(self._read_models(), self.ledger.clock(), where)
        self.searched(f"case list {where.criterion() or 'all cases'}", [r.case_id for r in rows])
        return rows

    def attention(self, where: AttentionFilter | None = None,
                  at: datetime | None = None) -> Attention:
        """The flags due at ``at`` (default: the ledger's clock) and the coordinators over the
        caseload limit. Logged as a search and a hit for each case flagged."""
        self._named()
        where = where or AttentionFilter()
        answer = queries.attention(self._read_models(), at or self.ledger.clock(), where)
        self.searched(f"attention {where.criterion()}".rstrip(), answer.case_ids())
        return answer

    def caseload(self) -> list[CaseloadRow]:
        """Active cases per coordinator, the most first. Counts of coordinators, no citizen's
        data: not access-logged, and answered without a name (as before the gate existed)."""
        return queries.caseload(self._read_models())

    def consents(self, case_ref: UUID | str | None = None) -> list[ConsentRow]:
        """Consents (of one case, or all) with their status at the ledger's clock: 'expired'
        once past their last day in Copenhagen. Logged as a search and a hit for each case."""
        self._named()
        case_id = str(self.ledger.resolve_case(case_ref)) if case_ref is not None else None
        rows = queries.consents(self._read_models(), self.ledger.clock(), case_id)
        self.searched(f"consents {case_id or 'of all cases'}",
                      sorted({r.case_id for r in rows}))
        return rows

    def export_table(self, name: str) -> TableExport:
        """A whole read model (``rm_cases`` ...). Logged before a row is handed out: the export
        and each case the table's rows are about."""
        self._named()
        engine = self._read_models()
        self.exported(name, queries.table_case_ids(engine, name))
        return queries.export_table(engine, name)

    def export_events(self) -> Iterator[LoggedEvent]:
        """The raw event stream, in log order, read in batches as it is iterated. Logged at
        once (not at the first event): the export and every case in the log."""
        self._named()
        self.exported("the event stream", [str(c) for c in self.ledger.case_ids(limit=None)])
        return self._events()

    def _events(self) -> Iterator[LoggedEvent]:
        position = 0
        while batch := self.ledger.store.read_after(position, EVENT_BATCH):
            for position, event in batch:
                if isinstance(event, CaseEvent):  # the administration's stream is no case
                    yield LoggedEvent(position, event)

    # -- the access log ----------------------------------------------------------------------

    def access_log(self, subject_ref: str | None = None) -> list[AccessEntry]:
        """Who read what, when and why (only the lookups of one citizen's data, given their
        reference). Not itself logged, and answered without a name (as before the gate)."""
        return self.ledger.access_log.entries(subject_ref)


def _no_person() -> InvalidCommand:
    return InvalidCommand(
        "say who is reading: --as person@org (every read of personal data is logged)."
    )
