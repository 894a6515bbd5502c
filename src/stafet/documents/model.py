"""The view model of a document about one case: everything a report or a meeting document
shows, worded in one language, with no layout. Markdown, HTML and PDF render it; nothing
here reads storage (the Reader hands over a ``ReportData``) and nothing is cut short.

    >>> from stafet import Ledger
    >>> ledger = Ledger("sqlite:///:memory:")
    >>> case = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-4711",
    ...                         subject_kind="adult", title="Vejen til uddannelse")
    >>> data = ledger.reader("anne@jobcenter", "journalisering").report(case.case_id)
    >>> doc = build(data, lang="da")
    >>> doc.holder, doc.status, doc.t["s1"]
    ('anne@jobcenter', 'åbent', '1. Borgerens samlede situation')
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from stafet.domain import events as ev
from stafet.domain.calendar import Lang, day, when
from stafet.domain.state import Agreement, CaseState, Goal, Meeting
from stafet.domain.values import local_date, org_of
from stafet.reader import Provenance, ReportData
from stafet.wording import LABELS, WORDS, describe, term

MARK = "◆"  # the margin mark of what concerns the organisation a report is made for

EntityKey = tuple[str, str]


def entities_of(e: ev.CaseEvent) -> list[EntityKey]:
    """What an event shapes: ('plan', ''), ('team', ''), ('goal', 'G1'), ('effort', 'E1'),
    ('agreement', 'A1'), ('meeting', 'M1'), ('consent', 'C1'), ('participant', REF),
    ('note', POSITION) ... Used to mark revisions and corrections and for FHIR provenance."""
    match e:
        case ev.CaseOpened():
            return [("plan", ""), ("team", ""), ("participant", e.holder.ref)]
        case ev.ParticipantJoined():
            return [("team", ""), ("participant", e.participant.ref)]
        case ev.ParticipantLeft():
            return [("team", ""), ("participant", e.ref)]
        case (ev.BatonHanded() | ev.BatonGrabbed() | ev.BatonReleased() | ev.BatonDeclined()
              | ev.HandoverWithdrawn() | ev.CaseReopened() | ev.BatonConfirmed()):
            return [("plan", ""), ("team", "")]
        case (ev.CaseClosed() | ev.PhaseChanged() | ev.PersonalDataErased()
              | ev.BirthMonthRecorded()):
            return [("plan", "")]
        case ev.ConsentGiven() | ev.ConsentRevoked():
            return [("consent", e.consent_id)]
        case ev.InformationShared():
            return [("shared", str(e.originator_version))]
        case (ev.PlanAccepted() | ev.SituationSummarized() | ev.CitizenViewRecorded()
              | ev.SectorPlanLinked()):
            return [("plan", "")]
        case ev.GoalSet():
            return [("plan", ""), ("goal", e.goal_id)]
        case ev.PlanGoalRevised() | ev.GoalStatusChanged():
            return [("goal", e.goal_id)]
        case ev.EffortPlanned() | ev.EffortStatusChanged():
            return [("plan", ""), ("effort", e.effort_id)]
        case ev.AgreementMade():
            replaced = [("agreement", e.replaces)] if e.replaces else []
            return [("plan", ""), ("agreement", e.agreement_id), *replaced]
        case ev.AgreementCompleted() | ev.AgreementCancelled() | ev.AgreementReopened():
            return [("agreement", e.agreement_id)]
        case (ev.MeetingConvened() | ev.MeetingAgendaChanged() | ev.MeetingHeld()
              | ev.MeetingCancelled() | ev.MinutesSent() | ev.MeetingRescheduled()
              | ev.MeetingHoldWithdrawn()):
            return [("meeting", e.meeting_id)]
        case ev.NoteLogged():
            return [("note", str(e.originator_version))]
        case ev.EntryCorrected():
            return [("correction", str(e.originator_version))]
    return []


# -- the pieces ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Revision:
    """An earlier wording, kept in the history: what it said, until when, and why it changed."""

    text: str
    changed: str  # when the next wording replaced it
    who: str
    reason: str | None
    position: int


@dataclass(frozen=True)
class GoalView:
    goal_id: str
    level: str
    depth: int
    text: str
    status: str
    target: str
    revisions: list[Revision]
    corrected_by: list[int]
    parent_id: str | None


@dataclass(frozen=True)
class EffortView:
    effort_id: str
    title: str
    law: str
    provider: str
    period: str
    status: str
    goals: str
    concerns: bool
    corrected_by: list[int]


@dataclass(frozen=True)
class AgreementView:
    agreement_id: str
    text: str
    responsible: str
    due: str
    status: str
    status_key: str
    overdue: bool
    details: list[str]  # made at a meeting, replaced by, the note when completed ...
    concerns: bool
    corrected_by: list[int]


@dataclass(frozen=True)
class ViewOfCitizen:
    text: str
    by: str
    when: str
    goal: str | None


@dataclass(frozen=True)
class SectorPlanView:
    sector_plan_id: str
    kind: str
    owner: str
    system: str
    reference: str
    concerns: bool


@dataclass(frozen=True)
class HoldView:
    holder: str
    since: str
    until: str
    temporary: bool
    ended: str
    concerns: bool
    start: datetime
    end: datetime | None


@dataclass(frozen=True)
class AgendaChange:
    when: str
    items: list[str]
    late: bool


@dataclass(frozen=True)
class MeetingView:
    meeting_id: str
    kind: str
    starts: str
    place: str
    place_agreed: bool
    status: str
    status_key: str
    invited: list[str]
    agenda: list[str]
    agenda_changes: list[AgendaChange]
    first_agenda: list[str]
    interpreter: str | None
    advocate: bool
    attendees: list[str]
    absent: list[str]
    minutes: str | None
    decisions: list[str]
    agreements: list[AgreementView]
    minutes_sent: str | None
    cancel_reason: str | None
    convened_by: str
    convened_at: str
    concerns: bool
    corrected_by: list[int]


@dataclass(frozen=True)
class ConsentView:
    consent_id: str
    givers: str
    purpose: str
    recipients: list[str]
    categories: list[str]
    given: str
    expires: str
    status: str
    status_key: str
    revoke_reason: str | None
    concerns: bool


@dataclass(frozen=True)
class ParticipantView:
    ref: str
    kind: str
    title: str
    name: str
    joined: str
    left: str
    holds: bool
    concerns: bool


@dataclass(frozen=True)
class LogEntry:
    position: int
    when: str
    who: str
    kind: str  # note | correction
    text: str
    reason: str | None = None
    corrects: str | None = None  # the entry it corrects, described in full
    corrects_heading: str | None = None
    concerns: bool = False


@dataclass(frozen=True)
class ProvenanceView:
    text: str
    case_entry: str
    case_hash: str
    log_head: str
    log_hash: str
    check: str
    digest: str
    as_of: str | None
    made: str
    store: str


@dataclass(frozen=True)
class CaseDocument:
    """A case worded for people, in one language: what every document renders."""

    lang: Lang
    t: dict[str, str]
    case_id: str
    case_short: str
    title: str
    subject_ref: str
    subject_kind: str
    status: str
    status_key: str
    phase: int
    phase_text: str
    opened: str
    holder: str
    holder_title: str
    holder_temporary: bool
    holder_since: str
    exchange: str | None
    erased: bool
    acceptance: str | None
    summary: str | None
    summary_revisions: list[Revision]
    goals: list[GoalView]
    efforts: list[EffortView]
    agreements: list[AgreementView]
    views: list[ViewOfCitizen]
    sector_plans: list[SectorPlanView]
    holds: list[HoldView]
    meetings: list[MeetingView]
    consents: list[ConsentView]
    participants: list[ParticipantView]
    log: list[LogEntry]
    closure: list[tuple[str, str]]
    closure_heading: str | None
    provenance: ProvenanceView
    for_org: str | None = None
    concerns: list[str] = field(default_factory=list)
    opened_at: datetime | None = None
    now: datetime | None = None

    def meeting(self, meeting_id: str) -> MeetingView | None:
        return next((m for m in self.meetings if m.meeting_id == meeting_id.upper()), None)


# -- building it -------------------------------------------------------------------------------


class _Builder:
    def __init__(self, data: ReportData, lang: Lang, for_org: str | None) -> None:
        self.s: CaseState = data.state
        self.events = data.events
        self.lang: Lang = lang
        self.t = LABELS[lang]
        self.org = for_org.lstrip("@").lower() if for_org else None
        self.prov = data.provenance
        self.now = data.provenance.as_of or data.provenance.made_at
        self.by_position = {e.originator_version: e for e in self.events}
        self.corrections: dict[EntityKey, list[int]] = {}
        for e in self.events:
            if isinstance(e, ev.EntryCorrected) and e.corrects_position in self.by_position:
                for key in entities_of(self.by_position[e.corrects_position]):
                    self.corrections.setdefault(key, []).append(e.originator_version)
        # Each meeting's own events, found once (a long case has dozens of meetings).
        self.of_meeting: dict[str, list[ev.CaseEvent]] = {}
        for e in self.events:
            meeting_id = getattr(e, "meeting_id", None)
            if isinstance(meeting_id, str):
                self.of_meeting.setdefault(meeting_id, []).append(e)

    # small helpers
    def day(self, value: date | None) -> str:
        return day(value, self.lang)

    def when(self, value: datetime | None) -> str:
        return when(value, self.lang)

    def term(self, value: object) -> str:
        return term(value, self.lang)

    def concerns(self, *refs: str | None) -> bool:
        """Does this name the organisation the report is made for (person@org or @org)?"""
        if self.org is None:
            return False
        return any(r and (r.lstrip("@") == self.org or (
            "@" in r.lstrip("@") and org_of(r.lstrip("@")) == self.org)) for r in refs)

    def corrected(self, kind: str, key: str) -> list[int]:
        return self.corrections.get((kind, key), [])

    def who(self, ref: str) -> str:
        p = self.s.participants.get(ref)
        return f"{p.name} ({ref})" if p is not None and p.name else ref

    def givers(self, givers: Iterable[ev.ConsentGiver]) -> str:
        words = [self.term(g.role) + (f" ({g.name})" if g.name else "") for g in givers]
        return f" {WORDS[self.lang]['and']} ".join(dict.fromkeys(words))

    def period(self, starts: date | None, ends: date | None) -> str:
        if starts or ends:
            return f"{self.day(starts) if starts else '…'} – {self.day(ends) if ends else '…'}"
        return "-"

    # the pieces
    def summary_revisions(self) -> list[Revision]:
        texts = [e for e in self.events if isinstance(e, ev.SituationSummarized)]
        return [Revision(text=a.text, changed=self.when(b.effective_at), who=b.actor, reason=None,
                         position=b.originator_version) for a, b in itertools.pairwise(texts)]

    def goal_revisions(self) -> dict[str, list[Revision]]:
        texts: dict[str, list[tuple[str, ev.CaseEvent]]] = {}
        out: dict[str, list[Revision]] = {}
        for e in self.events:
            if isinstance(e, ev.GoalSet):
                texts[e.goal_id] = [(e.text, e)]
            elif isinstance(e, ev.PlanGoalRevised) and e.goal_id in texts:
                before, _ = texts[e.goal_id][-1]
                out.setdefault(e.goal_id, []).append(Revision(
                    text=before, changed=self.when(e.effective_at), who=e.actor,
                    reason=e.reason, position=e.originator_version))
                texts[e.goal_id].append((e.text, e))
        return out

    def goals(self) -> list[GoalView]:
        revisions = self.goal_revisions()
        children: dict[str | None, list[Goal]] = {}
        for g in self.s.goals.values():
            parent = g.parent_id if g.parent_id in self.s.goals else None
            children.setdefault(parent, []).append(g)
        out: list[GoalView] = []

        def walk(parent: str | None, depth: int) -> None:
            for g in children.get(parent, []):
                out.append(GoalView(
                    goal_id=g.goal_id, level=self.term(g.level), depth=depth, text=g.text,
                    status=self.term(g.status), target=self.day(g.target_date),
                    revisions=revisions.get(g.goal_id, []),
                    corrected_by=self.corrected("goal", g.goal_id), parent_id=g.parent_id))
                walk(g.goal_id, depth + 1)

        walk(None, 0)
        return out

    def agreement(self, a: Agreement, notes: dict[str, str]) -> AgreementView:
        details = []
        if a.meeting_id:
            details.append(self.t["made_at_meeting"].format(meeting=a.meeting_id))
        if a.goal_id:
            details.append(f"{self.t['goal']} {a.goal_id}")
        if a.replaced_by:
            details.append(self.t["replaced_by"].format(agreement=a.replaced_by))
        if a.agreement_id in notes:
            details.append(notes[a.agreement_id])
        overdue = a.status == "open" and a.due_on < local_date(self.now)
        return AgreementView(
            agreement_id=a.agreement_id, text=a.text, responsible=self.who(a.responsible),
            due=self.day(a.due_on), status=self.term(a.status), status_key=a.status,
            overdue=overdue, details=details, concerns=self.concerns(a.responsible),
            corrected_by=self.corrected("agreement", a.agreement_id))

    def agreement_notes(self) -> dict[str, str]:
        """How each closed agreement was closed: 'gennemført 30. mar. 2026 14:00: the note'."""
        notes: dict[str, str] = {}
        for e in self.events:
            if isinstance(e, ev.AgreementCompleted):
                notes[e.agreement_id] = (f"{self.term('completed')} {self.when(e.effective_at)}"
                                         + (f": {e.note}" if e.note else ""))
            elif isinstance(e, ev.AgreementCancelled):
                notes[e.agreement_id] = (f"{self.term('cancelled')} {self.when(e.effective_at)}: "
                                         f"{e.reason}")
        return notes

    def meeting(self, m: Meeting, agreements: list[AgreementView]) -> MeetingView:
        own = self.of_meeting.get(m.meeting_id, [])
        convened = next((e for e in own if isinstance(e, ev.MeetingConvened)), None)
        changes = [AgendaChange(self.when(e.effective_at), list(e.agenda), e.late)
                   for e in own if isinstance(e, ev.MeetingAgendaChanged)]
        sent = next((e for e in own if isinstance(e, ev.MinutesSent)), None)
        cancelled = next((e for e in own if isinstance(e, ev.MeetingCancelled)), None)
        people = {*m.invited, *m.attendees}
        return MeetingView(
            meeting_id=m.meeting_id, kind=self.term(m.kind), starts=self.when(m.starts_at),
            place=m.place, place_agreed=m.place_agreed_with_citizen, status=self.term(m.status),
            status_key=m.status, invited=[self.who(r) for r in m.invited], agenda=list(m.agenda),
            agenda_changes=changes, first_agenda=list(convened.agenda) if convened else [],
            interpreter=m.interpreter_language, advocate=m.advocate_needed,
            attendees=[self.who(r) for r in m.attendees],
            absent=[self.who(r) for r in m.invited if r not in m.attendees]
            if m.status == "held" else [],
            minutes=m.minutes, decisions=list(m.decisions),
            agreements=[a for a in agreements
                        if self.s.agreements[a.agreement_id].meeting_id == m.meeting_id],
            minutes_sent=self.when(sent.effective_at) if sent else None,
            cancel_reason=cancelled.reason if cancelled else None,
            convened_by=convened.actor if convened else "",
            convened_at=self.when(convened.effective_at) if convened else "",
            concerns=self.concerns(*people), corrected_by=self.corrected("meeting", m.meeting_id))

    def consents(self) -> list[ConsentView]:
        out = []
        today = local_date(self.now)
        for c in self.s.consents.values():
            if c.revoked_at is not None:
                key = "revoked"
                status = f"{self.term(key)} {self.when(c.revoked_at)}"
            elif c.expires_on is not None and c.expires_on < today:
                key, status = "expired", self.term("expired")
            else:
                key, status = "active", self.term("active")
            out.append(ConsentView(
                consent_id=c.consent_id, givers=self.givers(c.given_by), purpose=c.purpose,
                recipients=list(c.recipients), categories=list(c.categories),
                given=self.when(c.given_at),
                expires=self.day(c.expires_on) if c.expires_on else self.t["no_expiry"],
                status=status, status_key=key, revoke_reason=c.revoke_reason,
                concerns=self.concerns(*c.recipients)))
        return out

    def holds(self) -> list[HoldView]:
        return [HoldView(
            holder=self.who(h.holder), since=self.when(h.since),
            until=self.when(h.until) if h.until else self.t["now"], temporary=h.temporary,
            ended=self._ended(h.ended), concerns=self.concerns(h.holder), start=h.since,
            end=h.until) for h in self.s.holds]

    def _ended(self, how: str | None) -> str:
        if not how:
            return ""
        if how.startswith("released to "):
            to = how.removeprefix("released to ")
            return (f"gav stafetten videre til {to}" if self.lang == "da"
                    else f"handed the baton to {to}")
        return self.term("closed") if how == "case closed" else how

    def participants(self) -> list[ParticipantView]:
        return [ParticipantView(
            ref=p.ref, kind=self.t["citizen"] if p.kind == "citizen" else self.term(p.kind),
            title=p.title or "", name=p.name or "",
            joined=self.when(p.joined_at), left=self.when(p.left_at) if p.left_at else "",
            holds=p.ref in self.s.holders, concerns=self.concerns(p.ref))
            for p in self.s.participants.values()]

    def log(self) -> list[LogEntry]:
        out = []
        for e in self.events:
            if isinstance(e, ev.NoteLogged):
                out.append(LogEntry(e.originator_version, self.when(e.effective_at), e.actor,
                                    "note", e.text, concerns=self.concerns(e.actor)))
            elif isinstance(e, ev.EntryCorrected):
                original = self.by_position.get(e.corrects_position)
                heading = self.t["corrects"].format(
                    position=e.corrects_position,
                    when=self.when(original.effective_at) if original else "-",
                    who=original.actor if original else "-")
                out.append(LogEntry(
                    e.originator_version, self.when(e.effective_at), e.actor, "correction",
                    e.correction, reason=e.reason,
                    corrects=describe(original, width=None, lang=self.lang) if original else None,
                    corrects_heading=heading,
                    concerns=self.concerns(e.actor, original.actor if original else None)))
        return out

    def provenance(self) -> ProvenanceView:
        p: Provenance = self.prov
        t = self.t
        return ProvenanceView(
            text=t["provenance_text"].format(who=p.made_by, when=self.when(p.made_at),
                                             store=p.store, purpose=p.purpose or "-"),
            case_entry=t["case_entry"].format(position=p.case_position), case_hash=p.case_hash,
            log_head=t["log_head"].format(position=p.log_position, count=p.log_count),
            log_hash=p.log_hash, check=t["check"].format(case=str(p.case_id)[:8]),
            digest=p.digest_json(), as_of=self.when(p.as_of) if p.as_of else None,
            made=self.when(p.made_at), store=p.store)

    def concerns_list(self, doc: CaseDocument) -> list[str]:
        if self.org is None:
            return []
        t = self.t
        found = [f"{t['agreement']} {a.agreement_id}: {a.text} ({t['due']} {a.due}, {a.status})"
                 for a in doc.agreements if a.concerns]
        found += [f"{t['effort']} {f.effort_id}: {f.title}" for f in doc.efforts if f.concerns]
        found += [f"{t['meeting']} {m.meeting_id} ({m.starts})" for m in doc.meetings
                  if m.concerns]
        found += [f"{t['consent']} {c.consent_id}: {c.purpose}" for c in doc.consents
                  if c.concerns]
        found += [f"{t['sector_plan']} {p.sector_plan_id}: {p.kind}, {p.system} {p.reference}"
                  for p in doc.sector_plans if p.concerns]
        found += [f"{t['holder']} {h.since} – {h.until}: {h.holder}" for h in doc.holds
                  if h.concerns]
        found += [f"{t['participants']}: {p.ref}" + (f" ({p.title})" if p.title else "")
                  for p in doc.participants if p.concerns]
        return found

    def build(self) -> CaseDocument:
        s, t = self.s, self.t
        notes = self.agreement_notes()
        agreements = [self.agreement(a, notes) for a in s.agreements.values()]
        holder = s.participants.get(s.baton.holder)
        exchange = s.baton.exchange
        exchange_text = None
        if exchange is not None:
            exchange_text = t[f"exchange_{exchange.state}"].format(
                to=exchange.incoming, from_=exchange.outgoing)
        acceptance = None
        if s.plan_acceptance:
            acceptance = t["plan_accepted"].format(
                givers=self.givers(s.plan_acceptance.accepted_by),
                when=self.day(local_date(s.plan_acceptance.accepted_at)))
        closure: list[tuple[str, str]] = []
        closure_heading = None
        if s.closure:
            closure_heading = t["closure"].format(when=self.when(s.closure.closed_at))
            closure = [(t["further_course"], s.closure.further_course),
                       (t["follow_up_by"], self.who(s.closure.follow_up_by))]
            if s.closure.continuing_sector_plans:
                closure.append((t["continuing"], ", ".join(s.closure.continuing_sector_plans)))
        doc = CaseDocument(
            lang=self.lang, t=t, case_id=str(s.id), case_short=str(s.id)[:8], title=s.title,
            subject_ref=s.subject_ref, subject_kind=self.term(s.subject_kind),
            status=self.term(s.status), status_key=s.status, phase=s.phase,
            phase_text=t.get(f"phase_{s.phase}", ""), opened=self.when(s.opened_at),
            holder=self.who(s.baton.holder), holder_title=(holder.title or "") if holder else "",
            holder_temporary=s.baton.temporary, holder_since=self.when(s.baton.since),
            exchange=exchange_text, erased=s.personal_data_erased, acceptance=acceptance,
            summary=s.summary, summary_revisions=self.summary_revisions(), goals=self.goals(),
            efforts=[EffortView(
                effort_id=f.effort_id, title=f.title, law=f"{f.law} {f.paragraph}",
                provider=self.who(f.provider), period=self.period(f.starts_on, f.ends_on),
                status=self.term(f.status), goals=", ".join(f.goal_ids),
                concerns=self.concerns(f.provider),
                corrected_by=self.corrected("effort", f.effort_id)) for f in s.efforts.values()],
            agreements=agreements,
            views=[ViewOfCitizen(v.text, self.term(v.given_by), self.when(v.recorded_at),
                                 v.goal_id) for v in s.citizen_views],
            sector_plans=[SectorPlanView(p.sector_plan_id, p.kind, self.who(p.owner), p.system,
                                         p.reference, self.concerns(p.owner))
                          for p in s.sector_plans.values()],
            holds=self.holds(),
            meetings=[self.meeting(m, agreements) for m in s.meetings.values()],
            consents=self.consents(), participants=self.participants(), log=self.log(),
            closure=closure, closure_heading=closure_heading, provenance=self.provenance(),
            for_org=self.org, opened_at=s.opened_at, now=self.now)
        if self.org is not None:
            doc = replace(doc, concerns=self.concerns_list(doc))
        return doc


def build(data: ReportData, lang: Lang = "da", for_org: str | None = None) -> CaseDocument:
    """The case worded for people in ``lang``; ``for_org`` marks what concerns that
    organisation (its agreements, efforts, meetings, consents, holds, people)."""
    return _Builder(data, lang, for_org).build()
