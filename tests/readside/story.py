"""Random but mostly valid work on a ledger, for the read-side properties.

A step is ``(action, a, b, flag)``: the action names a command (or ``tick``: time passes, or
``catch_up``: the projections catch up in a batch of a given size); ``a`` and ``b`` pick the
case, the people, the ids and the dates among those that exist *now*, so almost every step
is a command the rules accept, and a shrunk sequence stays meaningful. A refused command is
simply not stored (the rules are tested elsewhere); the driver counts what was stored.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from stafet import Ledger, RuleViolation
from stafet.domain.state import CaseState
from stafet.domain.values import local_date
from tests.readside.support import Clock

KINDS = {
    "anne@jobcenter": "authority",
    "bo@socialcenter": "authority",
    "carl@misbrugscenter": "provider",
    "dorte@frivilligcenter": "volunteer",
    "borger@hjemme": "citizen",
    "ida@psykiatrien": "authority",
}
PEOPLE = list(KINDS)
PROS = [p for p, k in KINDS.items() if k in ("authority", "provider")]
GOAL_STATUSES = ("in_progress", "achieved", "partly_achieved", "not_achieved", "dropped", "open")
EFFORT_STATUSES = ("started", "paused", "completed", "stopped", "planned")
LAWS = (("LAB", "§ 31 b"), ("SEL", "§ 101"), ("SEL", "§ 85"), ("Sundhedsloven", "§ 141"))

ACTIONS = (
    "open", "join", "join", "join", "leave", "consent.give", "consent.revoke", "plan.accept",
    "plan.summary", "goal.set", "goal.set", "goal.revise", "goal.status", "effort.plan",
    "effort.status", "agreement.make", "agreement.make", "agreement.complete",
    "agreement.cancel", "view", "sectorplan.link", "meeting.convene", "meeting.agenda",
    "meeting.hold", "meeting.cancel", "meeting.minutes-sent", "share", "baton.hand",
    "baton.hand", "baton.grab", "baton.grab", "baton.release", "baton.release",
    "baton.decline", "baton.withdraw", "phase", "case.close", "case.reopen", "note",
    "correct", "tick", "tick", "catch_up",
)

# Commands that need the citizen's acceptance of the plan first (SPEC §5).
PLAN_ACTIONS = frozenset({"plan.summary", "goal.set", "goal.revise", "goal.status", "effort.plan",
                          "effort.status", "agreement.make", "view", "meeting.hold"})

step = st.tuples(st.sampled_from(ACTIONS), st.integers(0, 999), st.integers(0, 999), st.booleans())
steps = st.lists(step, min_size=10, max_size=50)


def _pick(items: list[Any], n: int) -> Any:
    return items[n % len(items)] if items else None


class Driver:
    def __init__(self, ledger: Ledger, clock: Clock, catch_up: bool = False) -> None:
        self.ledger = ledger
        self.clock = clock
        self.catch_up = catch_up  # honour "catch_up" steps (when writes do not catch up)
        self.cases: list[UUID] = []
        self.stored: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    # -- helpers ------------------------------------------------------------------------

    @property
    def today(self) -> date:
        return local_date(self.clock.now)

    def _do(self, name: str, actor: str, case_id: UUID | None = None, **fields: Any) -> bool:
        if case_id is not None:
            fields["case_id"] = case_id
        try:
            result = self.ledger.run(name, {"actor": actor, **fields})
        except RuleViolation:
            self.refused[name] += 1
            return False
        if name == "case.open":
            self.cases.append(result.case_id)
        self.stored[name] += 1
        return True

    @staticmethod
    def _active(s: CaseState, pros_only: bool = False) -> list[str]:
        return [p.ref for p in s.participants.values()
                if p.active and (not pros_only or p.kind in ("authority", "provider"))]

    def _giver(self, s: CaseState) -> list[dict[str, str]]:
        return [{"role": "citizen" if s.subject_kind == "adult" else "custody_holder"}]

    def _backdated(self, b: int) -> dict[str, Any]:
        """Now and then an entry logged after the fact (business time before recorded time)."""
        if b % 5:
            return {}
        return {"occurred_at": self.clock.now - timedelta(hours=1 + b % 30)}

    def _offer(self, case_id: UUID, s: CaseState, b: int) -> None:
        """Hand the baton to another professional, bringing one in if there is none."""
        holder = s.baton.holder
        target = _pick([p for p in self._active(s, pros_only=True) if p != holder], b)
        if target is None:
            target = _pick([p for p in PROS if p != holder], b)
            if s.subject_kind != "adult":
                self._do("consent.give", holder, case_id, given_by=self._giver(s),
                         purpose="deltagelse", recipients=[target], categories=["helbred"])
            self._do("case.join", holder, case_id, participant=target, kind=KINDS[target])
        self._do("baton.hand", holder, case_id, to=target, note="bolig fylder mest nu",
                 **self._backdated(b))

    # -- one step -----------------------------------------------------------------------

    def run(self, steps: list[tuple[str, int, int, bool]]) -> None:
        for action, a, b, flag in steps:
            self.step(action, a, b, flag)
        if self.catch_up:
            self.ledger.read_models.catch_up()

    def step(self, action: str, a: int, b: int, flag: bool) -> None:
        if action == "tick":
            self.clock.advance(hours=1 + a % 200, minutes=b % 60)
            return
        if action == "catch_up":
            if self.catch_up:
                self.ledger.read_models.catch_up(batch_size=1 + a % 7)
            return
        if action == "open" or not self.cases:
            self._do("case.open", _pick(PROS, a), subject_ref=f"borger-{b:04d}",
                     subject_kind="family" if b % 4 == 0 else "adult",
                     title=f"Forløb {b} — Ærø/Østerbro", temporary=flag,
                     holder_kind=KINDS[_pick(PROS, a)], **self._backdated(b))
            return
        case_id = _pick(self.cases, a // 7)
        s = self.ledger.get_case(case_id)
        holder = s.baton.holder
        active = self._active(s)
        pros = self._active(s, pros_only=True)
        if s.status == "closed" and action != "case.reopen" and b % 3:
            action = "case.reopen"  # closed cases mostly come back, so the story goes on
        do = self._do
        if action in PLAN_ACTIONS and s.plan_acceptance is None:
            do("plan.accept", holder, case_id, accepted_by=self._giver(s))
        if action == "join":
            who = _pick(PEOPLE, b)
            if s.subject_kind != "adult" and KINDS[who] not in ("citizen", "relative") and flag:
                do("consent.give", holder, case_id, given_by=self._giver(s), purpose="deltagelse",
                   recipients=[who], categories=["helbred"])
            do("case.join", holder, case_id, participant=who, kind=KINDS[who],
               title=f"Kontaktperson {b}", **self._backdated(b))
        elif action == "leave":
            others = [p for p in active if p not in s.holders and p != s.baton.offered_to]
            who = _pick(others, b)
            if who:
                do("case.leave", who if flag else holder, case_id, participant=who,
                   reason="afsluttet indsats")
        elif action == "consent.give":
            recipients = [f"@{_pick(PEOPLE, b).split('@')[1]}", _pick(PEOPLE, a)]
            expires = self.today + timedelta(days=b % 40) if flag else None
            do("consent.give", holder, case_id, given_by=self._giver(s),
               purpose=("koordinering", "deltagelse")[b % 2], recipients=recipients,
               categories=["helbred", "beskæftigelse"][: 1 + b % 2], expires_on=expires,
               **self._backdated(a))
        elif action == "consent.revoke":
            consent = _pick(sorted(s.consents), b)
            if consent:
                do("consent.revoke", holder, case_id, consent_id=consent, reason="borgeren ønsker det")
        elif action == "plan.accept":
            do("plan.accept", holder, case_id, accepted_by=self._giver(s))
        elif action == "plan.summary":
            do("plan.summary", holder, case_id, text=f"Situationen, version {b}: bolig og job")
        elif action == "goal.set":
            level = ("overall", "sub", "progression")[b % 3]
            want = {"overall": None, "sub": "overall", "progression": "sub"}[level]
            parents = [g for g, goal in s.goals.items() if goal.level == want]
            parent = _pick(parents, a) if want else None
            if want and not parent:
                level, parent = "overall", None
            do("goal.set", _pick(active, a), case_id, level=level, parent_id=parent,
               text=f"Mål {b}: egen bolig", target_date=self.today + timedelta(days=30 + b)
               if flag else None)
        elif action == "goal.revise":
            goal = _pick(sorted(s.goals), b)
            if goal:
                do("goal.revise", _pick(active, a), case_id, goal_id=goal,
                   text=f"Revideret mål {a}-{b}", reason="ny viden")
        elif action == "goal.status":
            goal = _pick(sorted(s.goals), b)
            if goal:
                do("goal.status", _pick(active, a), case_id, goal_id=goal,
                   status=_pick(list(GOAL_STATUSES), a))
        elif action == "effort.plan":
            law, paragraph = _pick(list(LAWS), b)
            starts = self.today + timedelta(days=b % 20) if flag else None
            do("effort.plan", holder, case_id, title=f"Indsats {b}", law=law, paragraph=paragraph,
               provider=_pick(pros, a), starts_on=starts,
               ends_on=starts + timedelta(days=90) if starts else None,
               goal_ids=sorted(s.goals)[: b % 3])
        elif action == "effort.status":
            effort = _pick(sorted(s.efforts), b)
            if effort:
                do("effort.status", _pick(active, a), case_id, effort_id=effort,
                   status=_pick(list(EFFORT_STATUSES), a))
        elif action == "agreement.make":
            open_ones = [x.agreement_id for x in s.open_agreements()]
            do("agreement.make", holder, case_id, text=f"Aftale {b}", responsible=_pick(active, a),
               due_on=self.today + timedelta(days=b % 12),
               goal_id=_pick(sorted(s.goals), a) if b % 2 else None,
               replaces=_pick(open_ones, a) if flag else None)
        elif action in ("agreement.complete", "agreement.cancel"):
            agreement = _pick([x for x in s.open_agreements()], b)
            if agreement:
                actor = agreement.responsible if flag else holder
                extra = {"reason": "ikke længere relevant"} if action == "agreement.cancel" else {}
                do(action, actor, case_id, agreement_id=agreement.agreement_id, **extra)
        elif action == "view":
            do("view", holder, case_id, text=f"Jeg ønsker {b}", given_by="citizen")
        elif action == "sectorplan.link":
            do("sectorplan.link", holder, case_id, kind="Handleplan (SEL § 141)",
               owner=_pick(pros, a), system="Nexus", reference=f"HP-{b}")
        elif action == "meeting.convene":
            do("meeting.convene", holder, case_id,
               starts_at=self.clock.now + timedelta(hours=1 + (b % 10) * 24),
               place="Rådhuset", place_agreed_with_citizen=flag, invited=active[: 1 + b % 4],
               agenda=["Status", "Aftaler"][: 1 + a % 2],
               kind="follow_up" if b % 3 == 0 else "coordinating",
               interpreter_language="arabisk" if a % 5 == 0 else None, advocate_needed=flag)
        elif action in ("meeting.agenda", "meeting.hold", "meeting.cancel"):
            meeting = _pick([m for m, x in s.meetings.items() if x.status == "convened"], b)
            if not meeting:
                return
            if action == "meeting.agenda":
                do(action, holder, case_id, meeting_id=meeting, agenda=[f"Punkt {a}", "Eventuelt"])
            elif action == "meeting.cancel":
                do(action, holder, case_id, meeting_id=meeting, reason="sygdom")
            else:
                starts = s.meetings[meeting].starts_at
                if starts > self.clock.now:  # a meeting is held once it has started: time passes
                    self.clock.advance(seconds=(starts - self.clock.now).total_seconds() + 3600)
                terms = [{"text": f"Mødeaftale {i}", "responsible": _pick(active, a + i),
                          "due_on": (self.today + timedelta(days=(b + i) % 9)).isoformat()}
                         for i in range(b % 3)]
                do(action, holder, case_id, meeting_id=meeting, attendees=active[: 1 + a % 3],
                   minutes="Referat: vi talte om bolig.", decisions=["Næste møde"],
                   agreements=terms)
        elif action == "meeting.minutes-sent":
            meeting = _pick([m for m, x in s.meetings.items() if x.status == "held"
                             and not x.minutes_sent], b)
            if meeting:
                do(action, holder, case_id, meeting_id=meeting)
        elif action == "share":
            do("share", holder, case_id, recipient=_pick(active, a),
               purpose=("koordinering", "deltagelse")[b % 2], categories=["helbred"],
               description="Lægeattest")
        elif action == "baton.hand":
            if s.baton.stage == "held":
                self._offer(case_id, s, b)
        elif action in ("baton.grab", "baton.decline", "baton.withdraw"):
            if s.baton.stage == "held":
                self._offer(case_id, s, b)
                s = self.ledger.get_case(case_id)
            if action == "baton.withdraw":
                do(action, s.baton.holder, case_id, reason="fortrudt")
            else:
                extra = {"reason": "ingen kapacitet"} if action == "baton.decline" else {}
                do(action, s.baton.offered_to or holder, case_id, **extra, **self._backdated(b))
        elif action == "baton.release":
            if s.baton.stage == "held":
                self._offer(case_id, s, b)
                s = self.ledger.get_case(case_id)
            if s.baton.stage == "offered":
                do("baton.grab", s.baton.offered_to or holder, case_id)
                s = self.ledger.get_case(case_id)
            do(action, s.baton.outgoing or s.baton.holder, case_id, **self._backdated(b))
        elif action == "phase":
            do("phase", holder, case_id, phase=1 + b % 3, reason="tværfaglig drøftelse")
        elif action == "case.close":
            if flag:  # tidy up first, so closing has a chance
                if s.baton.stage == "offered":
                    do("baton.withdraw", holder, case_id)
                elif s.baton.stage == "exchange":
                    do("baton.release", s.baton.outgoing or holder, case_id)
                s = self.ledger.get_case(case_id)
                for agreement in s.open_agreements():
                    do("agreement.cancel", s.baton.holder, case_id,
                       agreement_id=agreement.agreement_id, reason="forløbet slutter")
                s = self.ledger.get_case(case_id)
            do("case.close", s.baton.holder, case_id, further_course="Jobcentret følger op",
               follow_up_by=_pick(self._active(s), a), **self._backdated(b))
        elif action == "case.reopen":
            actor = _pick([p.ref for p in s.participants.values()
                           if p.active and p.kind in ("authority", "provider")], a)
            if actor:
                do("case.reopen", actor, case_id, reason="ny henvendelse")
        elif action == "note":
            do("note", _pick(active, a), case_id, text=f"Notat {b}: samtale med borgeren")
        elif action == "correct":
            do("correct", holder, case_id, position=1 + b % s.version, correction="rettet dato",
               reason="tastefejl")
        else:  # pragma: no cover
            raise AssertionError(f"unknown action {action}")


# A story that stores every kind of command at least once (and so fills every rm_ table).
EVERY_TABLE: list[tuple[str, int, int, bool]] = [
    ("open", 0, 1, True),              # anne, temporary, adult
    ("join", 0, 1, False),             # bo
    ("join", 0, 2, False),             # carl
    ("join", 0, 4, False),             # citizen
    ("join", 0, 3, False),             # dorte (volunteer)
    ("consent.give", 0, 1, True),      # expiring consent
    ("consent.give", 1, 2, False),
    ("consent.revoke", 0, 1, False),
    ("plan.accept", 0, 0, False),
    ("plan.summary", 0, 5, False),
    ("goal.set", 0, 0, True),          # overall G1
    ("goal.set", 0, 1, False),         # sub G2
    ("goal.set", 0, 2, False),         # progression G3
    ("goal.revise", 0, 0, False),
    ("goal.status", 0, 0, False),
    ("effort.plan", 0, 1, True),
    ("effort.status", 0, 0, False),
    ("agreement.make", 0, 3, False),
    ("agreement.make", 0, 4, True),    # replaces the first
    ("agreement.make", 0, 5, False),
    ("agreement.complete", 0, 0, False),
    ("view", 0, 1, False),
    ("sectorplan.link", 0, 1, False),
    ("meeting.convene", 0, 20, True),  # starts in an hour (held once it has started)
    ("meeting.agenda", 0, 0, False),
    ("meeting.hold", 0, 2, False),
    ("meeting.minutes-sent", 0, 0, False),
    ("meeting.convene", 0, 1, False),
    ("meeting.cancel", 0, 0, False),
    ("share", 0, 1, False),
    ("phase", 0, 1, False),
    ("tick", 50, 0, False),
    ("baton.hand", 0, 0, False),       # anne -> bo
    ("baton.decline", 0, 0, False),
    ("baton.hand", 0, 1, False),       # anne -> carl
    ("baton.withdraw", 0, 0, False),
    ("baton.hand", 0, 0, False),
    ("baton.grab", 0, 0, False),
    ("tick", 150, 0, False),
    ("baton.release", 0, 0, False),
    ("leave", 0, 0, True),
    ("note", 0, 1, False),
    ("correct", 0, 2, False),
    ("open", 1, 3, False),             # bo opens a second case
    ("agreement.cancel", 0, 0, False),
    ("case.close", 0, 0, True),
    ("case.reopen", 0, 0, False),
    ("catch_up", 2, 0, False),
]


def bulk_history(ledger: Ledger, clock: Clock, cases: int, events_per_case: int,
                 first: int = 0) -> None:
    """Many events quickly: each case's commands decided together and stored in one
    transaction (baton hand-offs, agreements made and completed, consents, notes)."""
    from stafet.domain.commands import build_command

    pros = PROS[:3]
    for i in range(first, first + cases):
        work = ledger.unit_of_work()
        opener = pros[i % 3]
        opened = work.decide(build_command("case.open", {
            "actor": opener, "subject_ref": f"borger-{i:05d}", "subject_kind": "adult",
            "title": f"Forløb {i}", "temporary": i % 2 == 0}))
        case_id = opened.case_id
        today = local_date(clock.now)

        def do(name: str, actor: str, **fields: Any) -> None:
            work.decide(build_command(name, {"actor": actor, "case_id": case_id, **fields}))  # noqa: B023

        for ref in pros:
            if ref != opener:
                do("case.join", opener, participant=ref, kind=KINDS[ref])
        do("case.join", opener, participant="borger@hjemme", kind="citizen")
        do("consent.give", opener, given_by=[{"role": "citizen"}], purpose="koordinering",
           recipients=["@jobcenter"], categories=["helbred"],
           expires_on=(today + timedelta(days=10 + i % 20)).isoformat())
        do("plan.accept", opener, accepted_by=[{"role": "citizen"}])
        holder, n = opener, 0
        while work.states[case_id].version < events_per_case:
            n += 1
            nxt = pros[(pros.index(holder) + 1) % 3]
            if n % 4 == 0:
                do("baton.hand", holder, to=nxt)
                do("baton.grab", nxt)
                do("baton.release", holder)
                holder = nxt
            elif n % 4 == 1:
                do("agreement.make", holder, text=f"Aftale {n}", responsible=nxt,
                   due_on=(today + timedelta(days=n % 9)).isoformat())
            elif n % 4 == 2 and work.states[case_id].open_agreements():
                agreement = work.states[case_id].open_agreements()[0]
                do("agreement.complete", holder, agreement_id=agreement.agreement_id)
            else:
                do("note", holder, text=f"Notat {n}")
        work.commit()
        clock.advance(hours=3)
