"""What each page shows, built from what the Reader handed out: no storage, no rule, no
authorisation decision here (the Reader made them), only wording and arrangement.

The case itself is worded by ``stafet.documents.model`` (the report's view model: the plan's
five sections, meetings, agreements with overdue marks, consents, holds) and drawn by
``stafet.documents.timeline_svg``; events are told by ``stafet.wording``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from markupsafe import Markup

from stafet.documents.model import CaseDocument, MeetingView, build
from stafet.documents.timeline_svg import draw
from stafet.domain.calendar import Lang, when
from stafet.domain.events import CaseEvent
from stafet.domain.state import CaseState, Participant
from stafet.domain.values import BATON_KINDS, org_of
from stafet.projections.queries import Attention, CaseloadRow, CaseRow
from stafet.reader import WITHHELD, Provenance, ReportData
from stafet.storage.access import AccessEntry
from stafet.web.words import ACTIONS, FLAGS
from stafet.wording import describe

Role = Literal["professional", "citizen", "former"]


@dataclass(frozen=True)
class Person:
    ref: str
    label: str  # "Name, title" or the handle


def person(p: Participant) -> Person:
    words = [w for w in (p.name, p.title) if w]
    return Person(p.ref, f"{', '.join(words)} ({p.ref})" if words else p.ref)


@dataclass(frozen=True)
class HistoryLine:
    position: int
    when: str
    who: str
    text: str
    type: str


@dataclass(frozen=True)
class BatonView:
    holder: Person
    since: str
    temporary: bool
    stage: str
    offered_to: Person | None
    outgoing: Person | None
    i_hold: bool  # I am the holder (in an exchange: the incoming one)
    i_am_target: bool  # the baton is offered to me
    i_let_go: bool  # I am the outgoing holder of an exchange


@dataclass(frozen=True)
class AccessLine:
    when: str
    who: str
    what: str
    why: str
    refused: bool


@dataclass(frozen=True)
class CasePage:
    doc: CaseDocument
    state: CaseState
    role: Role
    me: str
    baton: BatonView
    timeline: Markup
    history: list[HistoryLine]
    hand_targets: list[Person]
    people: list[Person]  # active participants
    professionals: list[Person]  # active participants who may hold the baton
    coming: list[MeetingView]
    access: list[AccessLine]
    access_total: int
    view_giver: str  # who the citizen's own words are from: citizen | custody_holder
    plain: dict[str, str]  # a participant's handle -> the words a citizen knows them by

    def said(self, ref: str) -> str:
        """A participant as the citizen's view names them: their title (or name), else the
        handle."""
        return self.plain.get(ref, ref)

    @property
    def active(self) -> bool:
        return self.role != "former"


def role_in(state: CaseState, actor: str) -> Role:
    """How the page is laid out for this reader: the citizen's side (a participant of kind
    citizen) reads the plain view; a former participant reads the case as it stood."""
    p = state.participants.get(actor)
    if p is None or not p.active:
        return "former" if p is not None else "professional"
    return "citizen" if p.kind == "citizen" else "professional"


def case_page(state: CaseState, events: list[CaseEvent], actor: str, purpose: str | None,
              now: datetime, store: str, lang: Lang,
              access: list[AccessEntry] | None = None) -> CasePage:
    """The case as the reader may see it (``state`` and ``events`` from the Reader)."""
    events = [e for e in events if e.originator_version <= state.version]
    data = ReportData(state=state, events=events, provenance=Provenance(
        store=store, case_id=state.id, case_position=state.version, case_hash="",
        log_position=0, log_count=0, log_hash="", made_at=now, made_by=actor,
        purpose=purpose))
    doc = build(data, lang=lang)
    participants = state.participants
    active = [p for p in participants.values() if p.active]

    def who(ref: str | None) -> Person | None:
        if ref is None:
            return None
        p = participants.get(ref)
        return person(p) if p is not None else Person(ref, ref)

    b = state.baton
    holder = who(b.holder)
    assert holder is not None
    baton = BatonView(
        holder=holder, since=when(b.since, lang), temporary=b.temporary, stage=b.stage,
        offered_to=who(b.offered_to), outgoing=who(b.outgoing),
        i_hold=b.holder == actor, i_am_target=b.stage == "offered" and b.offered_to == actor,
        i_let_go=b.stage == "exchange" and b.outgoing == actor)
    role = role_in(state, actor)
    label = {"da": "Stafetholdere over tid, én række pr. holder",
             "en": "Baton holders over time, one row a holder"}[lang]
    timeline = Markup(draw(doc.holds, now, lang, label=label)) if doc.holds else Markup("")
    history = [HistoryLine(e.originator_version, when(e.effective_at, lang), e.actor,
                           describe(e, width=None, lang=lang), type(e).__name__)
               for e in events]
    coming = [m for m in (doc.meeting(mid) for mid, meeting in state.meetings.items()
                          if meeting.status == "convened" and meeting.starts_at >= now)
              if m is not None]
    lines = [AccessLine(when(a.at, lang), a.actor, ACTIONS[lang].get(a.action, a.action),
                        a.purpose or "-", a.outcome == "refused")
             for a in reversed(access or [])]
    return CasePage(
        doc=doc, state=state, role=role, me=actor, baton=baton, timeline=timeline,
        history=history,
        hand_targets=[person(p) for p in active if p.kind in BATON_KINDS and p.ref != b.holder],
        people=[person(p) for p in active],
        professionals=[person(p) for p in active if p.kind in BATON_KINDS],
        coming=coming, access=lines[:200], access_total=len(lines),
        view_giver="citizen" if state.subject_kind == "adult" else "custody_holder",
        plain={ref: p.name or p.title or ref for ref, p in participants.items()})


# -- across cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseLine:
    case_id: str
    title: str
    subject_ref: str
    holder: str
    i_hold: bool
    exchange: str | None
    flags: list[str]
    agreements_open: int
    last_change: str
    mine: bool


def flag_name(flag: str, lang: Lang) -> str:
    return FLAGS[lang].get(flag, flag.replace("_", " "))


def case_lines(rows: list[CaseRow], attention: Attention, actor: str, lang: Lang,
               mine_only: bool = True) -> list[CaseLine]:
    """The case list as people read it: the cases I hold the baton of first, then the rest,
    the most recently changed first; a team leader's rows of cases they take no part in
    (withheld by the Reader) are left out of 'my cases'."""
    flags: dict[str, list[str]] = {}
    for f in attention.flags:
        flags.setdefault(f.case_id, []).append(flag_name(f.flag, lang))
    out = []
    for r in rows:
        mine = r.title != WITHHELD
        if mine_only and not mine:
            continue
        exchange = None
        if r.exchange_state:
            exchange = f"{r.exchange_from} → {r.exchange_to}"
        out.append(CaseLine(
            case_id=r.case_id, title=r.title, subject_ref=r.subject_ref, holder=r.holder,
            i_hold=actor in (r.holder, r.exchange_from), exchange=exchange,
            flags=sorted(set(flags.get(r.case_id, []))), agreements_open=r.agreements_open,
            last_change=when(r.last_event_at, lang), mine=mine))
    by_change = {r.case_id: r.last_event_at for r in rows}
    out.sort(key=lambda line: by_change[line.case_id], reverse=True)
    out.sort(key=lambda line: not line.i_hold)
    return out


@dataclass(frozen=True)
class FlagLine:
    case_id: str
    title: str
    mine: bool
    flag: str
    name: str
    detail: str
    holder: str
    since: str


@dataclass(frozen=True)
class Board:
    lines: list[FlagLine]
    per_flag: list[tuple[str, str, int]]  # flag, its name, how many
    per_holder: list[tuple[str, int]]
    caseload: list[CaseloadRow]
    over_limit: list[CaseloadRow]
    holders: list[str]  # for the filter


def board(rows: list[CaseRow], attention: Attention, caseload: list[CaseloadRow],
          lang: Lang) -> Board:
    titles = {r.case_id: r.title for r in rows}
    lines = []
    for f in attention.flags:
        title = titles.get(f.case_id, WITHHELD)
        mine = title != WITHHELD
        # the Reader withholds the details of a case the reader takes no part in
        detail = "–" if not mine else f.detail if lang == "en" else (
            f"{flag_name(f.flag, lang)} {f.key}".strip())
        lines.append(FlagLine(f.case_id, title, mine, f.flag, flag_name(f.flag, lang),
                              detail, f.holder, when(f.since, lang)))
    flags = Counter(f.flag for f in attention.flags)
    holders = Counter(f.holder for f in attention.flags)
    return Board(
        lines=lines,
        per_flag=[(k, flag_name(k, lang), n) for k, n in flags.most_common()],
        per_holder=holders.most_common(),
        caseload=caseload, over_limit=attention.caseload_over_limit,
        holders=sorted({*holders, *(c.holder for c in caseload)}))


def org_name(ref: str) -> str:
    return org_of(ref) if "@" in ref else ref
