"""One case, step by step (to be rewritten: it still keeps its own copy of the rules)."""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from stafet.dev.synthetic.item import Item
from stafet.dev.synthetic.parameters import DEFAULT_START, WORKDAY
from stafet.dev.synthetic.planner import CaseSpec
from stafet.dev.synthetic.vocabulary import (
    AGENDA,
    CATEGORIES,
    CLINICS,
    DAYCARES,
    DECISIONS,
    FIRST,
    GOALS,
    INTERPRETER_LANGUAGES,
    LAST,
    MINUTES,
    NETWORK,
    NOTE_FORMS,
    OPENERS,
    ORGS,
    PURPOSE,
    SCHOOLS,
    SITUATION,
    TASKS,
    TITLES,
    TOWNS,
    VIEWS,
    WHO,
    OrgType,
)


@dataclass
class _Person:
    ref: str
    kind: str
    org: str  # org slug
    org_type: str
    title: str
    name: str | None
    active: bool = False


@dataclass
class _Consent:
    cid: str
    recipients: frozenset[str]  # org slugs
    categories: tuple[str, ...]
    expires: date
    revoked: bool = False
    superseded: bool = False


@dataclass
class _Meeting:
    mid: str
    start: int  # working second
    invited: list[str]
    status: str = "convened"
    minutes_sent: bool = False
    agenda_changes: int = 0


@dataclass
class _Model:
    """What the generator knows of a case: the parts of its state the rules look at."""

    people: dict[str, _Person] = field(default_factory=dict)
    stage: str = "held"
    holder: str = ""
    offered_to: str | None = None
    outgoing: str | None = None
    consents: list[_Consent] = field(default_factory=list)
    accepted: bool = False
    goals: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> level, status, text
    efforts: dict[str, str] = field(default_factory=dict)  # id -> status
    agreements: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> status, responsible
    meetings: dict[str, _Meeting] = field(default_factory=dict)
    sector_plans: list[str] = field(default_factory=list)
    phase: int = 1
    status: str = "open"
    version: int = 0

    def active(self, professional: bool | None = None) -> list[_Person]:
        return [p for p in self.people.values() if p.active and (
            professional is None or (p.kind in ("authority", "provider", "volunteer")) == professional)]

    def baton_eligible(self) -> list[_Person]:
        return [p for p in self.people.values() if p.active and p.kind in ("authority", "provider")]

    def open_agreements(self) -> list[str]:
        return [a for a, (status, _) in self.agreements.items() if status == "open"]

    def involved(self) -> set[str]:
        """Who may not leave: the holders and whoever is in a hand-over."""
        return {r for r in (self.holder, self.outgoing, self.offered_to) if r}


class _CaseSim:
    def __init__(self, spec: CaseSpec, seed: int, epoch: date | None = None) -> None:
        self.spec = spec
        self.rng = random.Random(f"stafet-synthetic:{seed}:{spec.number}:{spec.events}")
        self.epoch = epoch or (DEFAULT_START - timedelta(days=DEFAULT_START.weekday()))
        self.m = _Model()
        self.w = spec.opens
        self.gap = max(1.0, (spec.until - spec.opens) / max(spec.events, 1))
        self.todo: deque[Callable[[], Item | None]] = deque()
        self.closing = False
        rng = self.rng
        self.handle = f"{rng.getrandbits(24):06x}"
        self.town, self.town_name = rng.choice(TOWNS)
        self.places = {"school": rng.choice(SCHOOLS), "daycare": rng.choice(DAYCARES),
                       "clinic": rng.choice(CLINICS)}
        self.age = rng.randint(3, 17) if spec.kind == "child" else None
        self.who = WHO[spec.kind]
        self._network()
        self.purpose = PURPOSE[spec.kind]
        self.categories = tuple(sorted(rng.sample(CATEGORIES[spec.kind], 4)))
        # The budget: each life ends in a closure when the case closes; a reopened case
        # has two lives.
        if spec.reopens:
            first = max(3, spec.events * rng.randint(35, 65) // 100)
            self.lives = [first, spec.events - first]
        else:
            self.lives = [spec.events]
        self.left = self.lives.pop(0)

    # -- the people ---------------------------------------------------------------------

    def _org_slug(self, org_type: OrgType) -> str:
        return org_type.slug.format(t=self.town, **self.places)

    def _person(self, org_type: str, used: set[str]) -> _Person:
        o = ORGS[org_type]
        for _ in range(20):
            first, first_name = self.rng.choice(FIRST)
            last, last_name = self.rng.choice(LAST)
            ref = f"{first}.{last}@{self._org_slug(o)}"
            if ref not in used:
                break
        used.add(ref)
        title = self.rng.choice(o.titles).format(T=self.town_name)
        if o.kind == "interpreter":
            ref = f"tolk{len(used)}@{self._org_slug(o)}"
        return _Person(ref, o.kind, self._org_slug(o), org_type, title, f"{first_name} {last_name}")

    def _network(self) -> None:
        rng, kind = self.rng, self.spec.kind
        used: set[str] = set()
        opener_type = rng.choice(OPENERS[kind])
        self.opener = self._person(opener_type, used)
        h = self.handle
        custody = "forældremyndighedsindehaver"
        if kind == "adult":
            self.citizen_side = [_side(f"borger@{h}", "citizen", "Borger")]
            if rng.random() < 0.2:
                self.citizen_side.append(_side(f"paaroerende@{h}", "relative", "Pårørende"))
        elif kind == "child":
            self.citizen_side = [_side(f"mor@barn-{h}", "relative", f"Mor, {custody}"),
                                 _side(f"far@barn-{h}", "relative", f"Far, {custody}")]
            if self.age is not None and self.age >= 13:
                self.citizen_side.append(_side(f"ung@barn-{h}", "citizen", "Den unge"))
        else:
            self.citizen_side = [_side(f"mor@familie-{h}", "citizen", f"Mor, {custody}"),
                                 _side(f"far@familie-{h}", "citizen", f"Far, {custody}")]
        types = [t for t in NETWORK[kind] if t != opener_type]
        chosen = rng.sample(types, rng.randint(min(3, len(types)), min(7, len(types))))
        if opener_type in ("dagtilbud", "skole", "familie") or rng.random() < 0.5:
            chosen.append(opener_type)  # a colleague at the opener's place, often the permanent holder
        if rng.random() < 0.15:
            chosen.append("bisidder")
        self.language = rng.choice(INTERPRETER_LANGUAGES) if rng.random() < 0.1 else None
        if self.language:
            chosen.append("tolk")
        self.network = [self._person(t, used) for t in chosen]
        if rng.random() < 0.3:  # a second person at one of the places
            self.network.append(self._person(rng.choice(chosen), used))
        for p in [self.opener, *self.citizen_side, *self.network]:
            self.m.people[p.ref] = p

    # -- time ----------------------------------------------------------------------------

    def _tick(self, scale: float = 1.0) -> None:
        gap = self.gap * scale
        self.w += max(1, int(self.rng.expovariate(1.0 / gap))) if gap > 1 else 1

    def _calendar(self, w: int) -> datetime:
        day, second = divmod(w, WORKDAY)
        weeks, weekday = divmod(day, 5)
        moment = datetime.combine(self.epoch + timedelta(days=7 * weeks + weekday), time(8))
        return moment + timedelta(seconds=second)

    @property
    def today(self) -> date:
        return self._calendar(self.w).date()

    def _day_at(self, days_ahead: int, hour: int) -> int:
        """The working second of ``hour`` o'clock, ``days_ahead`` working days from now."""
        return (self.w // WORKDAY + days_ahead) * WORKDAY + (hour - 8) * 3600

    # -- emitting ----------------------------------------------------------------------

    def _emit(self, name: str, events: int = 1, **fields: Any) -> Item:
        at = self._calendar(self.w)
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["occurred_at"] = at.isoformat(timespec="seconds")
        self.left -= events
        self.m.version += events
        return Item(self.spec.number, name, fields, events, at, self.w)

    def items(self) -> Iterator[Item]:
        yield self._open()
        while True:
            while self.left > 0:
                self._tick(0.3 if self.todo else 1.0)
                yield self._step()
            if not self.lives or self.m.status != "closed":
                return
            self.left = self.lives.pop(0)
            self.closing = False
            self._tick(20)
            yield self._reopen()

    # -- the order of business ---------------------------------------------------------

    def _needed(self) -> int:
        """Events it takes to close from here: finish the hand-over, the agreements, close."""
        if not self.spec.closes:
            return 0
        m = self.m
        return {"offered": 2, "exchange": 1}.get(m.stage, 0) + len(m.open_agreements()) + 1

    def _room(self, cost: int, extra_needed: int = 0) -> bool:
        return self.left - cost >= self._needed() + extra_needed + (2 if self.spec.closes else 0)

    def _step(self) -> Item:
        if self.spec.closes and not self.closing and self.left - self._needed() <= 2:
            self.closing = True
        if self.closing:
            return self._closing_step()
        for due in (self._baton_due, self._meeting_due, self._minutes_due):
            item = due()
            if item is not None:
                return item
        while self.todo:
            item = self.todo.popleft()()
            if item is not None:
                return item
        return self._free()

    def _closing_step(self) -> Item:
        m = self.m
        if self.left > self._needed():
            return self._note()
        if m.stage == "offered":
            return self._grab()
        if m.stage == "exchange":
            return self._release()
        if m.open_agreements():
            aid = self.rng.choice(m.open_agreements())
            return self._complete(aid) if self.rng.random() < 0.85 else self._cancel(aid)
        return self._close()

    def _baton_due(self) -> Item | None:
        m = self.m
        if m.stage == "offered" and self.rng.random() < 0.6:
            roll = self.rng.random()
            if roll < 0.82:
                return self._grab()
            return self._decline() if roll < 0.91 else self._withdraw()
        if m.stage == "exchange" and self.rng.random() < 0.6:
            return self._release()
        return None

    def _meeting_due(self) -> Item | None:
        for meeting in self.m.meetings.values():
            if meeting.status == "convened" and self.w >= meeting.start + 3600:
                if not self.m.accepted:
                    return self._accept()
                if self.rng.random() < 0.93 and self._room(1):
                    item = self._hold(meeting)
                    if item is not None:
                        return item
                return self._cancel_meeting(meeting)
        return None

    def _minutes_due(self) -> Item | None:
        for meeting in self.m.meetings.values():
            if meeting.status == "held" and not meeting.minutes_sent and self.rng.random() < 0.6:
                return self._minutes(meeting)
        return None

    def _free(self) -> Item:
        choices: list[tuple[float, Callable[[], Item | None]]] = [
            (20, self._note), (9, self._share), (7, self._make_agreement),
            (7, self._complete_some), (1, self._cancel_some), (1, self._reassign),
            (4, self._goal_status), (2, self._revise_goal), (2, self._set_goal),
            (3, self._plan_effort), (4, self._effort_status), (4, self._convene),
            (1, self._change_agenda), (2, self._hand), (2, self._join_someone),
            (1, self._leave_someone), (0.5, self._renew_consent), (0.5, self._revoke_consent),
            (3, self._view), (1, self._link_sector_plan), (0.7, self._phase), (1, self._correct),
            (0.8, self._summary),
        ]
        while choices:
            weights = [w for w, _ in choices]
            index = self.rng.choices(range(len(choices)), weights=weights)[0]
            item = choices.pop(index)[1]()
            if item is not None:
                return item
        return self._note()

    # -- helpers for texts and people --------------------------------------------------

    def _pick(self, people: list[_Person]) -> _Person:
        return self.rng.choice(people)

    def _actor(self) -> _Person:
        """Who writes: the holder often, else a professional of an authority or provider."""
        if self.rng.random() < 0.4:
            return self.m.people[self.m.holder]
        return self._pick(self.m.baton_eligible())

    def _cat(self) -> str:
        return self.rng.choice(self.categories)

    def _sit(self) -> str:
        return self.rng.choice(SITUATION[self.spec.kind])

    def _text(self, forms: list[str], **extra: str) -> str:
        form = self.rng.choice(forms)
        person = self._pick(self.m.active(professional=True))
        sit = self._sit()
        values = {"who": self.who.lower(), "Who": self.who, "sit": sit, "Sit": sit[0].upper() + sit[1:],
                  "org": person.org, "cat": self._cat(), "who_l": self.who.lower(), **extra}
        return form.format(**values)

    def _days(self, low: int, high: int) -> str:
        return (self.today + timedelta(days=self.rng.randint(low, high))).isoformat()

    def _givers(self) -> list[dict[str, str]]:
        if self.spec.kind == "adult":
            return [{"role": "citizen"}]
        if self.spec.kind == "family":
            return [{"role": "custody_holder"}, {"role": "custody_holder"}]
        givers = [{"role": "custody_holder"}, {"role": "custody_holder"}]
        if self.age is not None and self.age >= 15:
            givers.append({"role": "youth"})
        return givers

    def _active_consents(self) -> list[_Consent]:
        return [c for c in self.m.consents if not c.revoked and self.today <= c.expires]

    def _covered(self, person: _Person) -> bool:
        return any(person.org in c.recipients for c in self._active_consents())

    # -- the case ----------------------------------------------------------------------

    def _open(self) -> Item:
        o, kind, m = self.opener, self.spec.kind, self.m
        temporary = self.rng.random() < (0.6 if kind == "child" else 0.3)
        o.active = True
        m.holder = o.ref
        prefix = {"adult": "borger", "child": "barn", "family": "familie"}[kind]
        item = self._emit(
            "case.open", actor=o.ref, actor_role=o.title.split(",")[0],
            subject_ref=f"{prefix}-{self.handle}", subject_kind=kind,
            title=self.rng.choice(TITLES[kind]), holder_kind=o.kind, holder_title=o.title,
            holder_name=o.name, temporary=temporary,
        )
        # The intake: who joins, the consent, the first meeting; then, once the plan is
        # accepted, the plan itself.
        if self.rng.random() < 0.3:
            self.todo.append(self._note)
        self.todo.extend(self._join_person(p) for p in self.citizen_side)
        self.todo.append(self._first_consent)
        joiners = [p for p in self.network if p.kind != "interpreter"] or self.network
        first = self.rng.sample(joiners, min(len(joiners), self.rng.randint(2, 5)))
        if self.language:
            first += [p for p in self.network if p.kind == "interpreter"]
        self.todo.extend(self._join_person(p) for p in first)
        if temporary:
            self.todo.append(self._hand_to_permanent)
        self.todo.append(self._convene)
        return item

    def _join_person(self, person: _Person) -> Callable[[], Item | None]:
        def join() -> Item | None:
            if person.active or not self._room(1):
                return None
            needs_consent = self.spec.kind in ("child", "family") and person.kind not in (
                "citizen", "relative")
            if needs_consent and not self._covered(person):
                return None
            person.active = True
            return self._emit(
                "case.join", actor=self.m.holder, participant=person.ref, kind=person.kind,
                title=person.title, participant_name=person.name,
            )
        return join

    def _first_consent(self) -> Item | None:
        return self._give_consent()

    def _give_consent(self) -> Item | None:
        if not self._room(1):
            return None
        m = self.m
        orgs = sorted({p.org for p in [self.opener, *self.network]})
        expires = self.today + timedelta(days=self.rng.randint(365, 540))
        consent = _Consent(f"C{len(m.consents) + 1}", frozenset(orgs), self.categories, expires)
        m.consents.append(consent)
        return self._emit(
            "consent.give", actor=m.holder, given_by=self._givers(), purpose=self.purpose,
            recipients=[f"@{o}" for o in orgs], categories=list(self.categories),
            expires_on=expires.isoformat(), subject_age=self.age,
        )

    def _hand_to_permanent(self) -> Item | None:
        m = self.m
        if m.stage != "held" or not self._room(3):
            return None
        candidates = [p for p in m.baton_eligible() if p.ref != m.holder]
        same = [p for p in candidates if p.org == self.opener.org]
        if not candidates:
            return None
        target = self._pick(same or candidates)
        m.stage, m.offered_to = "offered", target.ref
        return self._emit("baton.hand", actor=m.holder, to=target.ref,
                          note=f"{target.name} bliver fast stafetholder.")

    def _accept(self) -> Item:
        self.m.accepted = True
        item = self._emit("plan.accept", actor=self.m.holder, accepted_by=self._givers(),
                          subject_age=self.age,
                          note=f"{self.who} siger ja til én fælles plan.")
        # The plan is written over the next days.
        self.todo.extend([self._summary, self._first_goals, self._plan_effort, self._view])
        if self.rng.random() < 0.7:
            self.todo.append(self._link_sector_plan)
        self.todo.append(self._plan_effort)
        return item

    def _first_goals(self) -> Item | None:
        item = self._set_goal(level="overall")
        if item is not None:
            self.todo.extendleft([self._set_goal] * self.rng.randint(1, 3))
        return item

    def _close(self) -> Item:
        m = self.m
        m.status = "closed"
        follow = self._pick(m.active(professional=True))
        continuing = [sp for sp in m.sector_plans if self.rng.random() < 0.6]
        return self._emit(
            "case.close", actor=m.holder,
            further_course=f"{self.who} fortsætter i de sektorplaner, der lever videre. "
            f"{follow.name} følger op om tre måneder.",
            follow_up_by=follow.ref, continuing_sector_plans=continuing,
        )

    def _reopen(self) -> Item:
        m = self.m
        m.status = "open"
        eligible = m.baton_eligible()
        last = m.people[m.holder]
        by = last if last in eligible and self.rng.random() < 0.6 else self._pick(eligible)
        m.holder, m.stage, m.offered_to, m.outgoing = by.ref, "held", None, None
        return self._emit("case.reopen", actor=by.ref,
                          reason=f"Ny henvendelse: {self._sit()}; forløbet genoptages.")

    def _phase(self) -> Item | None:
        m = self.m
        phase = min(3, m.phase + 1) if self.rng.random() < 0.8 else max(1, m.phase - 1)
        if phase == m.phase:
            return None
        m.phase = phase
        return self._emit("phase", actor=m.holder, phase=phase,
                          reason="Tværfaglig drøftelse" if phase > 1 else "Tilbage til lokale indsatser")

    # -- people joining and leaving ----------------------------------------------------

    def _join_someone(self) -> Item | None:
        outside = [p for p in self.network if not p.active]
        if not outside:
            return None
        return self._join_person(self._pick(outside))()

    def _leave_someone(self) -> Item | None:
        m = self.m
        professionals = m.active(professional=True)
        if len(professionals) <= 3:
            return None
        responsible = {r for status, r in m.agreements.values() if status == "open"}
        can_go = [p for p in professionals if p.ref not in m.involved() and p.ref not in responsible]
        if not can_go:
            return None
        person = self._pick(can_go)
        person.active = False
        actor = person.ref if self.rng.random() < 0.5 else m.holder
        return self._emit("case.leave", actor=actor, participant=person.ref,
                          reason="Indsatsen er afsluttet")

    # -- the baton ---------------------------------------------------------------------

    def _hand(self) -> Item | None:
        m = self.m
        if m.stage != "held" or not self._room(3):
            return None
        candidates = [p for p in m.baton_eligible() if p.ref != m.holder]
        if not candidates:
            return None
        target = self._pick(candidates)
        m.stage, m.offered_to = "offered", target.ref
        return self._emit("baton.hand", actor=m.holder, to=target.ref,
                          note="Hovedindsatsen flytter; stafetten gives videre.")

    def _grab(self) -> Item:
        m = self.m
        by = m.offered_to
        assert by is not None
        m.stage, m.outgoing, m.holder, m.offered_to = "exchange", m.holder, by, None
        return self._emit("baton.grab", actor=by)

    def _release(self) -> Item:
        m = self.m
        assert m.outgoing is not None
        by, m.outgoing, m.stage = m.outgoing, None, "held"
        return self._emit("baton.release", actor=by)

    def _decline(self) -> Item:
        m = self.m
        by, m.offered_to, m.stage = m.offered_to, None, "held"
        return self._emit("baton.decline", actor=by, reason="Ikke kapacitet lige nu")

    def _withdraw(self) -> Item:
        m = self.m
        m.offered_to, m.stage = None, "held"
        return self._emit("baton.withdraw", actor=m.holder, reason="Aftalt på mødet at vente")

    # -- consent and sharing -----------------------------------------------------------

    def _renew_consent(self) -> Item | None:
        active = self._active_consents()
        if not active or len(self.m.consents) > 20:
            return None
        for c in active:
            c.superseded = True
        return self._give_consent()

    def _revoke_consent(self) -> Item | None:
        m = self.m
        newest = self._active_consents()[-1:]
        old = [c for c in m.consents if c.superseded and not c.revoked and c not in newest]
        if not old or not newest or not self._room(1):
            return None
        consent = self._pick(old)
        consent.revoked = True
        return self._emit("consent.revoke", actor=m.holder, consent_id=consent.cid,
                          reason="Erstattet af et nyt samtykke")

    def _share(self) -> Item | None:
        active = self._active_consents()
        if not active:
            return None
        consent = active[-1]
        actor = self._actor()
        recipients = [p for p in self.m.active(professional=True)
                      if p.org in consent.recipients and p.ref != actor.ref]
        if not recipients:
            return None
        to = self._pick(recipients)
        cats = sorted(self.rng.sample(consent.categories, self.rng.randint(1, 2)))
        return self._emit(
            "share", actor=actor.ref, recipient=to.ref, purpose=self.purpose, categories=cats,
            description=f"Status om {', '.join(cats)} fra {actor.org} til {to.org}.",
        )

    # -- the plan ------------------------------------------------------------------------

    def _summary(self) -> Item | None:
        if not self.m.accepted:
            return None
        sits = self.rng.sample(SITUATION[self.spec.kind], 3)
        return self._emit(
            "plan.summary", actor=self.m.holder,
            text=f"{self.who} har brug for en samlet indsats. Lige nu gælder, at {sits[0]}, "
            f"at {sits[1]}, og at {sits[2]}. Aktørerne er enige om én fælles plan.",
        )

    def _set_goal(self, level: str | None = None) -> Item | None:
        m = self.m
        if not m.accepted or len(m.goals) > 40:
            return None
        overall = [g for g, (lvl, _, _) in m.goals.items() if lvl == "overall"]
        sub = [g for g, (lvl, _, _) in m.goals.items() if lvl == "sub"]
        if level is None:
            if not overall:
                level = "overall"
            else:
                level = "sub" if not sub or self.rng.random() < 0.6 else "progression"
        parent = None
        if level == "sub":
            if not overall:
                return None
            parent = self.rng.choice(overall)
            text = self.rng.choice(GOALS["sub"]).format(who=self.who, cat=self._cat())
        elif level == "progression":
            if not sub:
                return None
            parent = self.rng.choice(sub)
            text = self.rng.choice(GOALS["progression"]).format(cat=self._cat())
        else:
            text = self.rng.choice(GOALS["overall"][self.spec.kind]).format(who=self.who)
        gid = f"G{len(m.goals) + 1}"
        m.goals[gid] = (level, "open", text)
        return self._emit("goal.set", actor=m.holder, level=level, parent_id=parent, text=text,
                          target_date=self._days(60, 720))

    def _revise_goal(self) -> Item | None:
        m = self.m
        if not m.accepted or not m.goals:
            return None
        gid = self.rng.choice(sorted(m.goals))
        level, status, text = m.goals[gid]
        new = f"{text.split(' (revideret')[0]} (revideret {m.version})"
        m.goals[gid] = (level, status, new)
        return self._emit("goal.revise", actor=self._actor().ref, goal_id=gid, text=new,
                          reason="Målet er justeret efter opfølgningsmødet")

    def _goal_status(self) -> Item | None:
        m = self.m
        if not m.accepted or not m.goals:
            return None
        gid = self.rng.choice(sorted(m.goals))
        level, status, text = m.goals[gid]
        options = {"open": ["in_progress"], "in_progress": ["achieved", "partly_achieved", "in_progress"],
                   }.get(status, ["in_progress", "not_achieved", "dropped", "open"])
        new = self.rng.choice([o for o in options if o != status] or ["in_progress"])
        if new == status:
            return None
        m.goals[gid] = (level, new, text)
        return self._emit("goal.status", actor=self._actor().ref, goal_id=gid, status=new,
                          note="Vurderet på opfølgningsmødet" if self.rng.random() < 0.5 else None)

    def _plan_effort(self) -> Item | None:
        m = self.m
        if not m.accepted or len(m.efforts) > 30:
            return None
        providers = [p for p in m.active(professional=True) if ORGS[p.org_type].efforts]
        if not providers:
            return None
        provider = self._pick(providers)
        title, law, paragraph = self.rng.choice(ORGS[provider.org_type].efforts)
        goals = sorted(m.goals)
        goal_ids = self.rng.sample(goals, min(len(goals), self.rng.randint(0, 2)))
        eid = f"E{len(m.efforts) + 1}"
        m.efforts[eid] = "planned"
        starts = self.today + timedelta(days=self.rng.randint(0, 45))
        ends = starts + timedelta(days=self.rng.randint(30, 540)) if self.rng.random() < 0.8 else None
        return self._emit(
            "effort.plan", actor=m.holder, title=title, law=law, paragraph=paragraph,
            provider=provider.ref, starts_on=starts.isoformat(),
            ends_on=ends.isoformat() if ends else None, goal_ids=sorted(goal_ids),
        )

    def _effort_status(self) -> Item | None:
        m = self.m
        moves = {"planned": ["started"], "started": ["paused", "completed", "completed", "stopped"],
                 "paused": ["started", "stopped"]}
        movable = [e for e, status in m.efforts.items() if status in moves]
        if not m.accepted or not movable:
            return None
        eid = self.rng.choice(movable)
        new = self.rng.choice(moves[m.efforts[eid]])
        m.efforts[eid] = new
        return self._emit("effort.status", actor=self._actor().ref, effort_id=eid, status=new)

    def _view(self) -> Item | None:
        m = self.m
        if not m.accepted:
            return None
        given_by = {"adult": "citizen", "family": "citizen"}.get(
            self.spec.kind, "youth" if self.age and self.age >= 13 else "custody_holder")
        goal = self.rng.choice(sorted(m.goals)) if m.goals and self.rng.random() < 0.3 else None
        return self._emit("view", actor=self._actor().ref, text=self.rng.choice(VIEWS),
                          given_by=given_by, goal_id=goal)

    def _link_sector_plan(self) -> Item | None:
        m = self.m
        owners = [p for p in m.active(professional=True) if ORGS[p.org_type].sector_plan]
        if not owners or len(m.sector_plans) > 10:
            return None
        owner = self._pick(owners)
        kind, system, prefix = ORGS[owner.org_type].sector_plan  # type: ignore[misc]
        sid = f"SP{len(m.sector_plans) + 1}"
        m.sector_plans.append(sid)
        reference = f"{prefix}-{self.today.year}-{self.rng.randrange(10**5):05d}"
        return self._emit("sectorplan.link", actor=owner.ref, kind=kind, owner=owner.ref,
                          system=system, reference=reference)

    # -- agreements ----------------------------------------------------------------------

    def _terms(self) -> dict[str, Any]:
        m = self.m
        people = m.active(professional=True)
        if self.rng.random() < 0.15:
            people = [p for p in m.active() if p.kind in ("citizen", "relative")] or people
        who = self._pick(people)
        goal = self.rng.choice(sorted(m.goals)) if m.goals and self.rng.random() < 0.4 else None
        return {"text": self.rng.choice(TASKS).format(cat=self._cat()), "responsible": who.ref,
                "due_on": self._days(7, 90), **({"goal_id": goal} if goal else {})}

    def _new_agreement(self, responsible: str) -> str:
        aid = f"A{len(self.m.agreements) + 1}"
        self.m.agreements[aid] = ("open", responsible)
        return aid

    def _make_agreement(self) -> Item | None:
        if not self.m.accepted or not self._room(1, 1):
            return None
        terms = self._terms()
        self._new_agreement(terms["responsible"])
        return self._emit("agreement.make", actor=self.m.holder, **terms)

    def _reassign(self) -> Item | None:
        m = self.m
        open_ = m.open_agreements()
        if not m.accepted or not open_:
            return None
        old = self.rng.choice(open_)
        terms = self._terms()
        if terms["responsible"] == m.agreements[old][1]:
            return None
        m.agreements[old] = ("reassigned", m.agreements[old][1])
        self._new_agreement(terms["responsible"])
        return self._emit("agreement.make", actor=m.holder, replaces=old, **terms)

    def _complete(self, aid: str) -> Item:
        m = self.m
        responsible = m.people[m.agreements[aid][1]]
        actor = responsible.ref if responsible.active and responsible.kind not in (
            "citizen", "relative") else m.holder
        m.agreements[aid] = ("completed", responsible.ref)
        return self._emit("agreement.complete", actor=actor, agreement_id=aid,
                          note="Udført som aftalt" if self.rng.random() < 0.4 else None)

    def _cancel(self, aid: str) -> Item:
        m = self.m
        m.agreements[aid] = ("cancelled", m.agreements[aid][1])
        return self._emit("agreement.cancel", actor=m.holder, agreement_id=aid,
                          reason="Ikke længere relevant")

    def _complete_some(self) -> Item | None:
        open_ = self.m.open_agreements()
        return self._complete(self.rng.choice(open_)) if open_ else None

    def _cancel_some(self) -> Item | None:
        open_ = self.m.open_agreements()
        return self._cancel(self.rng.choice(open_)) if open_ else None

    # -- meetings ------------------------------------------------------------------------

    def _convene(self) -> Item | None:
        m = self.m
        if any(x.status == "convened" for x in m.meetings.values()) or not self._room(2):
            return None
        others = [p.ref for p in m.active() if p.ref != m.holder]
        if not others:
            return None
        invited = sorted(self.rng.sample(others, max(1, len(others) - self.rng.randint(0, 2))))
        mid = f"M{len(m.meetings) + 1}"
        start = self._day_at(self.rng.randint(3, 10), self.rng.choice((9, 10, 13)))
        m.meetings[mid] = _Meeting(mid, start, invited)
        agenda = self.rng.sample(AGENDA, self.rng.randint(2, 5))
        values = {"who_l": self.who.lower(), "cat": self._cat()}
        place = self.rng.choice([f"{self.opener.org}, mødelokale {self.rng.randint(1, 6)}",
                                 "Borgerens hjem", "Rådhuset, lokale 2.14", "Online (Teams)"])
        interpreter = self.language if any(
            m.people[r].kind == "interpreter" for r in invited) else None
        return self._emit(
            "meeting.convene", actor=m.holder, starts_at=self._calendar(start).isoformat(),
            place=f"{place} (aftalt med borgeren)" if self.rng.random() < 0.7 else place,
            place_agreed_with_citizen=self.rng.random() < 0.7, invited=invited,
            agenda=[a.format(**values) for a in agenda],
            kind="coordinating" if len(m.meetings) == 1 else "follow_up",
            interpreter_language=interpreter,
            advocate_needed=any(m.people[r].kind == "advocate" for r in invited) or None,
        )

    def _change_agenda(self) -> Item | None:
        m = self.m
        upcoming = [x for x in m.meetings.values()
                    if x.status == "convened" and self.w < x.start and x.agenda_changes < 2]
        if not upcoming:
            return None
        meeting = upcoming[0]
        meeting.agenda_changes += 1
        values = {"who_l": self.who.lower(), "cat": self._cat()}
        agenda = [a.format(**values) for a in self.rng.sample(AGENDA, self.rng.randint(2, 5))]
        return self._emit("meeting.agenda", actor=m.holder, meeting_id=meeting.mid, agenda=agenda)

    def _hold(self, meeting: _Meeting) -> Item | None:
        m = self.m
        present = [r for r in meeting.invited if m.people[r].active]
        came = self.rng.sample(present, max(0, len(present) - self.rng.randint(0, 1)))
        attendees = sorted({m.holder, *came})
        room = self.left - 1 - self._needed() - (2 if self.spec.closes else 0)
        if self.spec.closes:
            room //= 2  # each agreement costs one event now and one to finish before closing
        count = max(0, min(self.rng.randint(0, 5), room, self.left - 1))
        agreements = [self._terms() for _ in range(count)]
        for terms in agreements:
            self._new_agreement(terms["responsible"])
        meeting.status = "held"
        minutes = " ".join(self._text(MINUTES) for _ in range(self.rng.randint(2, 4)))
        return self._emit(
            "meeting.hold", events=1 + count, actor=m.holder, meeting_id=meeting.mid,
            attendees=attendees, minutes=minutes,
            decisions=self.rng.sample(DECISIONS, self.rng.randint(0, 2)), agreements=agreements,
        )

    def _cancel_meeting(self, meeting: _Meeting) -> Item:
        meeting.status = "cancelled"
        return self._emit("meeting.cancel", actor=self.m.holder, meeting_id=meeting.mid,
                          reason="Flere aktører var forhindret; nyt møde indkaldes")

    def _minutes(self, meeting: _Meeting) -> Item:
        m = self.m
        meeting.minutes_sent = True
        recipients = [r for r in meeting.invited if m.people[r].active] or [m.holder]
        return self._emit("meeting.minutes-sent", actor=m.holder, meeting_id=meeting.mid,
                          recipients=recipients)

    # -- the log ---------------------------------------------------------------------------

    def _note(self) -> Item:
        actor = self._actor()
        text = self._text(NOTE_FORMS)
        if self.rng.random() < 0.02:  # now and then a long journal note
            text = " ".join(self._text(NOTE_FORMS) for _ in range(30))
        return self._emit("note", actor=actor.ref, actor_role=actor.title.split(",")[0], text=text)

    def _correct(self) -> Item | None:
        m = self.m
        if m.version < 3:
            return None
        position = self.rng.randint(max(2, m.version - 20), m.version)
        return self._emit("correct", actor=self._actor().ref, position=position,
                          correction="Rettelse: datoen for samtalen var dagen før.",
                          reason="Forkert dato i notatet")



def _side(ref: str, kind: str, title: str) -> _Person:
    """Someone on the citizen's side: a pseudonymous handle, never a name or a CPR number."""
    return _Person(ref, kind, "", "", title, None)
