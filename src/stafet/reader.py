"""Reading: every read goes through a Reader, the one gate. It asks the authorisation policy
(``stafet.domain.authorisation``), hands out only what the reader may see, and writes the
access log, refusals included.

A Reader is one person reading for one purpose. It has a method per read the ledger offers
(a case, its history, the case list, attention, caseload, exports, the access log); each
brings what it reads from up to date, reads (the read models through
``stafet.projections.queries``, at the ledger's clock), and logs what it handed out. The
command line, the HTTP API, reports and the web view only format its answers.

    >>> from stafet import Ledger
    >>> ledger = Ledger("sqlite:///:memory:")
    >>> case = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-4711",
    ...                         subject_kind="adult", title="Forløb")
    >>> reader = ledger.reader("anne@jobcenter", purpose="forberede koordinerende møde")
    >>> reader.case(case.case_id).baton.holder
    'anne@jobcenter'
    >>> [row.holder for row in reader.case_list(CaseFilter(org="jobcenter"))]
    ['anne@jobcenter']
    >>> ledger.reader("eva@udenfor", purpose="nysgerrighed").case(case.case_id)
    Traceback (most recent call last):
    stafet.domain.errors.NotAllowed: eva@udenfor takes no part in this case, so may not read it
    >>> for e in ledger.access_log.entries("borger-4711"):
    ...     print(e.actor, e.action, e.outcome or "read")
    anne@jobcenter show read
    anne@jobcenter search-hit read
    eva@udenfor show refused
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from stafet.domain.administration import Roles, require_role
from stafet.domain.authorisation import (
    CaseView,
    OverviewScope,
    case_view,
    check_purpose,
    may_read_subject_log,
    overview_scope,
)
from stafet.domain.commands import valid_actor
from stafet.domain.errors import CaseNotFound, NotAllowed
from stafet.domain.events import CaseEvent, ParticipantLeft
from stafet.domain.state import CaseState
from stafet.projections import queries
from stafet.projections.queries import (
    Attention,
    AttentionFilter,
    CaseFilter,
    CaseloadRow,
    CaseRow,
    ConsentRow,
    FlagRow,
    TableExport,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from stafet.ledger import Ledger
    from stafet.storage.access import AccessEntry

__all__ = ["AttentionFilter", "CaseFilter", "EventMetadata", "FeedPage", "LoggedEvent", "Provenance",
           "Reader", "ReportData"]

EVENT_BATCH = 1000
WITHHELD = "[withheld]"  # personal content a team leader outside the case does not see
T = TypeVar("T")


@dataclass(frozen=True)
class LoggedEvent:
    """An event with its place in the whole log (``notification_id``, the global order)."""

    notification_id: int
    event: CaseEvent


@dataclass(frozen=True)
class FeedPage:
    """Events a reader may follow, and the log position to ask from next."""

    events: list[LoggedEvent]
    next_after: int


@dataclass(frozen=True)
class EventMetadata:
    """What an auditor sees of an event: where, what kind, who and when; no personal fields."""

    position: int
    type: str
    actor: str
    actor_role: str | None
    recorded_at: datetime
    occurred_at: datetime | None

    @classmethod
    def of(cls, e: CaseEvent) -> EventMetadata:
        return cls(e.originator_version, type(e).__name__, e.actor, e.actor_role,
                   e.recorded_at, e.occurred_at)


class Provenance(BaseModel):
    """Where a document about a case comes from: the store, the case's last entry in it with
    that entry's case hash, the log's head (position, how many events, chain hash) when it was
    made, and who made it, when and why. ``digest()`` is what ``stafet verify --digest`` checks
    the log against."""

    model_config = ConfigDict(frozen=True)

    store: str
    case_id: UUID
    case_position: int
    case_hash: str
    log_position: int
    log_count: int
    log_hash: str
    made_at: datetime
    made_by: str
    purpose: str | None = None
    as_of: datetime | None = None

    def digest_json(self) -> str:
        """The log's head as a ``stafet-digest-v1`` file: ``stafet verify --digest FILE``
        says whether the log still holds, unchanged, every event this was made from."""
        from stafet.storage.verify import Digest

        return Digest(count=self.log_count, head=self.log_hash,
                      taken_at=self.made_at.isoformat()).dumps()


class ReportData(BaseModel):
    """One case for a document (a report, a meeting document, a FHIR bundle): the case as
    the reader may see it, its events up to that point, oldest first, and the provenance."""

    model_config = ConfigDict(frozen=True)

    state: CaseState
    events: list[CaseEvent]
    provenance: Provenance
    entry_hashes: dict[int, str] = {}  # position -> case hash (for exports; else empty)


class Reader:
    """One person reading for one purpose. Each method checks, reads and logs."""

    def __init__(self, ledger: Ledger, actor: str | None, purpose: str | None) -> None:
        self.ledger = ledger
        self.actor = valid_actor(actor)
        self._purpose = purpose

    # -- the gate ----------------------------------------------------------------------------

    @property
    def purpose(self) -> str | None:
        """Why they read: needed (a sentence, per the policy) before a read of personal data."""
        return check_purpose(self._purpose, self.ledger.policy)

    def _roles(self) -> Roles:
        return self.ledger.roles()

    def _allowed(self, action: str, decide: Callable[[], T], state: CaseState | None = None,
                 subject_ref: str | None = None, criterion: str | None = None) -> T:
        """Ask the policy; a refusal is access-logged (with what was asked for), then raised."""
        try:
            return decide()
        except NotAllowed:
            self.ledger.access_log.record(
                at=self.ledger.clock(), actor=self.actor, action=action, purpose=self._purpose,
                case_id=str(state.id) if state else None,
                subject_ref=subject_ref or (state.subject_ref if state else None),
                criterion=criterion, refused=True)
            raise

    def _read_models(self) -> Engine:
        """The read models, brought up to date first: catching up is safe beside a running
        ``stafet projections run`` and cheap when they are current, so nobody reads stale
        rows. Only the reads of rm_ tables touch them (a case is read from the log)."""
        runner = self.ledger.read_models
        runner.catch_up()
        return runner.engine

    def _log(self, action: str, state: CaseState | None = None,
             criterion: str | None = None, subject_ref: str | None = None) -> None:
        self.ledger.access_log.record(
            at=self.ledger.clock(), actor=self.actor, action=action, purpose=self._purpose,
            case_id=str(state.id) if state else None,
            subject_ref=subject_ref or (state.subject_ref if state else None),
            criterion=criterion,
        )

    def _log_cases(self, action: str, criterion: str, case_ids: Iterable[str]) -> None:
        ids = [str(c) for c in case_ids]
        subjects = self.ledger.store.keys.subject_ids_of(ids)
        self.ledger.access_log.record_many(
            at=self.ledger.clock(), actor=self.actor, action=action, purpose=self._purpose,
            criterion=criterion, cases=[(c, subjects.get(c)) for c in ids])

    def _searched(self, criterion: str, case_ids: Iterable[str] = ()) -> None:
        """Log a search (its criterion), and each case it found."""
        self._log("search", criterion=criterion)
        self._log_cases("search-hit", criterion, case_ids)

    def _exported(self, what: str, case_ids: Iterable[str] = ()) -> None:
        """Log an export, and each case whose data it hands out (so each citizen sees it)."""
        self._log("export", criterion=what)
        self._log_cases("export-hit", what, case_ids)

    # -- one case, from the log ----------------------------------------------------------------

    def _view(self, action: str, ref: UUID | str, metadata_only: bool = False,
              criterion: str | None = None) -> tuple[CaseState, CaseView]:
        """The case now, and what this reader may see of it (or NotAllowed, logged)."""
        state = self.ledger.get_case(ref)
        view = self._allowed(action, lambda: case_view(
            self.actor, state, self._roles(), metadata_only=metadata_only), state,
            criterion=criterion)
        return state, view

    def _until(self, state: CaseState, view: CaseView) -> int:
        """The last entry a former participant sees: the one that took them off the case."""
        if view.version is not None:
            return view.version
        # A snapshot made before leaving positions were kept: find the entry in the log.
        return max(e.originator_version for e in self.ledger.history(state.id)
                   if isinstance(e, ParticipantLeft) and e.ref == self.actor)

    def _as_seen(self, state: CaseState, view: CaseView) -> CaseState:
        if view.kind == "until":
            return self.ledger.get_case(state.id, version=self._until(state, view))
        return state

    def case(self, ref: UUID | str) -> CaseState:
        """The case as it stands (``ref``: its id or a unique prefix of 6+ characters); for a
        former participant, as it stood when they left."""
        self.purpose  # noqa: B018  (asked for before anything is read)
        state, view = self._view("show", ref)
        self._log("show", state)
        return self._as_seen(state, view)

    def case_as_of(self, ref: UUID | str, moment: datetime,
                   by: Literal["recorded", "business"] = "recorded") -> CaseState:
        """The case exactly as the log stood at a recorded time, or (``by="business"``) as it
        was in the world at that time (never past a former participant's leaving)."""
        self.purpose  # noqa: B018
        criterion = moment.isoformat() + ("" if by == "recorded" else " (business time)")
        state, view = self._view("show-as-of", ref, criterion=criterion)
        last = self._until(state, view) if view.kind == "until" else None
        then = self.ledger.get_case_as_of(state.id, moment, by, last)
        if by == "recorded" and last is not None and then.version > last:
            then = self._as_seen(state, view)
        self._log("show-as-of", state, criterion=criterion)
        return then

    def history(self, ref: UUID | str) -> list[CaseEvent]:
        """Every event of the case, oldest first (a former participant's: up to their leaving)."""
        self.purpose  # noqa: B018
        state, view = self._view("history", ref)
        events = self.ledger.history(state.id)
        if view.kind == "until":
            last = self._until(state, view)
            events = [e for e in events if e.originator_version <= last]
        self._log("history", state)
        return events

    def history_metadata(self, ref: UUID | str) -> list[EventMetadata]:
        """The history without personal fields: positions, types, actors and times. An
        auditor's read of any case; a participant's of their own."""
        state, view = self._view("history-metadata", ref, metadata_only=True)
        events = self.ledger.history(state.id)
        if view.kind == "until":
            last = self._until(state, view)
            events = [e for e in events if e.originator_version <= last]
        self._log("history-metadata", state)
        return [EventMetadata.of(e) for e in events]

    def timeline(self, ref: UUID | str) -> CaseState:
        """The case, for its baton holds (``.holds``)."""
        self.purpose  # noqa: B018
        state, view = self._view("timeline", ref)
        self._log("timeline", state)
        return self._as_seen(state, view)

    # -- documents about one case ---------------------------------------------------------------

    def report(self, ref: UUID | str, as_of: datetime | None = None) -> ReportData:
        """The case for a report (``stafet report``): as it stands, or as the log stood at a
        recorded time, with its events and provenance. Read as ``case show`` is (a former
        participant: up to their leaving); access-logged as ``report``."""
        return self._document("report", ref, as_of,
                              as_of.isoformat() if as_of is not None else None)

    def meeting_document(self, ref: UUID | str, meeting_id: str) -> ReportData:
        """The case for one meeting's document (invitation, agenda, minutes, agreements);
        access-logged as ``meeting-doc`` with the meeting's id."""
        return self._document("meeting-doc", ref, None, f"meeting {meeting_id.upper()}")

    def export_case(self, ref: UUID | str, form: str, as_of: datetime | None = None,
                    ) -> ReportData:
        """The case for an export to another system (``form``, e.g. 'FHIR bundle');
        access-logged as an export of that case, like ``export --table``."""
        data = self._document("export", ref, as_of, form)
        self._log_cases("export-hit", form, [str(data.state.id)])
        hashes = {link.position: link.case_hash.hex()
                  for link in self.ledger.store.recorder.select_case_chain(data.state.id)
                  if link.position <= data.state.version}
        return data.model_copy(update={"entry_hashes": hashes})

    def _document(self, action: str, ref: UUID | str, as_of: datetime | None,
                  criterion: str | None) -> ReportData:
        self.purpose  # noqa: B018  (asked for before anything is read)
        state, view = self._view(action, ref, criterion=criterion)
        seen = self._as_seen(state, view)
        if as_of is not None:
            then = self.ledger.get_case_as_of(state.id, as_of)
            seen = then if then.version <= seen.version else seen
        store = self.ledger.store
        head = store.head()
        head_link = next(iter(store.recorder.select_chain(head - 1, 1)), None)
        case_link = store.recorder.select_chain_link(state.id, seen.version)
        events = [e for e in self.ledger.history(state.id) if e.originator_version <= seen.version]
        self._log(action, state, criterion=criterion)
        return ReportData(state=seen, events=events, provenance=Provenance(
            store=self.ledger.storage.display_url, case_id=state.id,
            case_position=seen.version, case_hash=case_link.case_hash.hex() if case_link else "",
            log_position=head, log_count=store.recorder.count_chain(head),
            log_hash=head_link.chain_hash.hex() if head_link else "",
            made_at=self.ledger.clock(), made_by=self.actor, purpose=self._purpose,
            as_of=as_of))

    # -- across cases, from the read models ----------------------------------------------------

    def _scope(self) -> OverviewScope:
        return overview_scope(self.actor, self._roles())

    def case_list(self, where: CaseFilter | None = None) -> list[CaseRow]:
        """Cases, oldest first; a flag filter means due at the ledger's clock. Only the cases
        the reader takes part in, and for a team leader those where their organisation takes
        part (without personal content). Logged as a search and a hit for each case listed."""
        self.purpose  # noqa: B018
        where = where or CaseFilter()
        engine = self._read_models()
        ids = None
        if where.subject is not None:  # by the keyed hash: the reference is never searched
            ids = {str(c) for c in self.ledger.store.keys.cases_of(where.subject)}
        rows = queries.case_list(engine, self.ledger.clock(), where, self._scope(), ids)
        mine = queries.taking_part(engine, self.actor)
        rows = [r if r.case_id in mine else _withheld_case(r) for r in rows]
        criterion = f"case list {where.criterion() or 'all cases'}"
        self._log("search", criterion=criterion, subject_ref=where.subject)
        self._log_cases("search-hit", criterion, [r.case_id for r in rows])
        return rows

    def attention(self, where: AttentionFilter | None = None,
                  at: datetime | None = None) -> Attention:
        """The flags due at ``at`` (default: the ledger's clock) and the coordinators over the
        caseload limit, as far as the reader sees them (see ``case_list``). Logged as a
        search and a hit for each case flagged."""
        self.purpose  # noqa: B018
        where = where or AttentionFilter()
        engine = self._read_models()
        answer = queries.attention(engine, at or self.ledger.clock(), where, self._scope())
        mine = queries.taking_part(engine, self.actor)
        answer = answer.model_copy(update={"flags": [
            f if f.case_id in mine else _withheld_flag(f) for f in answer.flags]})
        self._searched(f"attention {where.criterion()}".rstrip(), answer.case_ids())
        return answer

    def caseload(self, org: str | None = None,
                 sort: queries.CaseloadOrder = "load") -> list[CaseloadRow]:
        """Active cases per coordinator, the most first (or by name): the reader's own, and
        every coordinator's at an organisation they lead (of ``org`` only, if given). Counts,
        no citizen's data: not logged."""
        return queries.caseload(self._read_models(), self._scope(), org, sort)

    def consents(self, case_ref: UUID | str | None = None) -> list[ConsentRow]:
        """Consents (of one case, or of every case the reader takes part in) with their status
        at the ledger's clock. Logged as a search and a hit for each case."""
        self.purpose  # noqa: B018
        engine = self._read_models()
        if case_ref is not None:
            state, view = self._view("consents", case_ref)
            if view.kind != "full":  # the read model is the case now, after they left
                self._allowed("consents", lambda: _refuse_former(self.actor), state)
            rows = queries.consents(engine, self.ledger.clock(), str(state.id))
        else:
            rows = queries.consents(engine, self.ledger.clock(),
                                    case_ids=queries.taking_part(engine, self.actor))
        self._searched(f"consents {case_ref or 'of all my cases'}",
                      sorted({r.case_id for r in rows}))
        return rows

    def export_table(self, name: str) -> TableExport:
        """A read model (``rm_cases`` ...): the rows of the cases the reader takes part in.
        Logged before a row is handed out: the export and each case the rows are about."""
        self.purpose  # noqa: B018
        engine = self._read_models()
        scope = self._scope()
        self._exported(name, queries.table_case_ids(engine, name, scope))
        return queries.export_table(engine, name, scope)

    def export_events(self) -> Iterator[LoggedEvent]:
        """The raw event stream of the cases the reader takes part in, in log order, read in
        batches as it is iterated. Logged at once: the export and every case in it."""
        self.purpose  # noqa: B018
        mine = queries.taking_part(self._read_models(), self.actor)
        self._exported("the event stream", sorted(mine))
        return self._events({UUID(c) for c in mine})

    def _events(self, cases: set[UUID]) -> Iterator[LoggedEvent]:
        position = 0
        while batch := self.ledger.store.read_after(position, EVENT_BATCH):
            for position, event in batch:
                if isinstance(event, CaseEvent) and event.originator_id in cases:
                    yield LoggedEvent(position, event)

    def feed(self, after: int = 0, limit: int = EVENT_BATCH) -> FeedPage:
        """The events after a log position that the reader may follow: those of the cases they
        take part in, and for a feed system (role ``feed`` for an organisation) of the cases
        where that organisation takes part. ``next_after`` is where to ask from next (the
        last position read, seen or not). Each page that hands out events is access-logged."""
        self.purpose  # noqa: B018
        roles = self._roles()
        scope = OverviewScope(self.actor, roles.orgs_of(self.actor, "feed"))
        # Who sees which case is read from the read models, brought up to at least ``head``;
        # an event past it (a case opened a moment ago) waits for the next page, else it would
        # be judged against read models that do not know its case yet, and skipped for good.
        head = self.ledger.store.head()
        seen = queries.seen_cases(self._read_models(), scope)
        batch = [(p, e) for p, e in self.ledger.store.read_after(after, limit) if p <= head]
        events = [LoggedEvent(position, event) for position, event in batch
                  if isinstance(event, CaseEvent) and str(event.originator_id) in seen]
        if events:
            self._log_cases("feed-hit", f"events {events[0].notification_id}-"
                            f"{events[-1].notification_id}",
                            sorted({str(e.event.originator_id) for e in events}))
        return FeedPage(events, batch[-1][0] if batch else after)

    # -- the access log ----------------------------------------------------------------------

    def access_log(self, subject_ref: str | None = None) -> list[AccessEntry]:
        """Who read what, when and why: about one citizen for the data protection officer or
        the citizen's own side; the whole log for the data protection officer. The read is
        itself logged."""
        if subject_ref is None:
            self._allowed("access-log", lambda: require_role(
                self._roles(), self.actor, "dpo", "read the whole access log"))
            entries = self.ledger.access_log.entries()
            self._log("access-log", criterion="the whole log")
            return entries
        cases = []
        for case_id in self.ledger.store.keys.cases_of(subject_ref):
            with contextlib.suppress(CaseNotFound):  # a case.open that never committed
                cases.append(self.ledger.get_case(case_id))
        self._allowed("access-log", lambda: may_read_subject_log(self.actor, self._roles(),
                                                                  cases),
                      subject_ref=subject_ref)
        entries = self.ledger.access_log.entries(subject_ref)
        self._log("access-log", subject_ref=subject_ref, criterion="one citizen")
        return entries


def _refuse_former(actor: str) -> None:
    raise NotAllowed(f"{actor} has left this case and reads it as it stood then (case show), "
                     "not its consents now", code="read.left")


def _withheld_case(row: CaseRow) -> CaseRow:
    """A case row as a team leader outside the case sees it: no title, no citizen."""
    return row.model_copy(update={"title": WITHHELD, "subject_ref": WITHHELD})


def _withheld_flag(flag: FlagRow) -> FlagRow:
    """A flag as a team leader outside the case sees it: what kind, not the details."""
    return flag.model_copy(update={"detail": flag.flag.replace("_", " ")})
