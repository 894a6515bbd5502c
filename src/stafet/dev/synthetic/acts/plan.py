"""The plan: acceptance, summary, goals, efforts, views, sector plans and agreements."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from stafet.dev.synthetic.acts.common import CITIZEN_KINDS, PROFESSIONAL_KINDS, Proposals, active, writer
from stafet.dev.synthetic.vocabulary import ORGS, VIEWS
from stafet.domain.state import Agreement
from stafet.domain.values import GoalLevel

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory


# How a goal's or an effort's status usually moves on (the domain accepts any change).
GOAL_MOVES = {"open": ["in_progress"], "in_progress": ["achieved", "partly_achieved", "in_progress"]}
GOAL_MOVES_LATER = ["in_progress", "not_achieved", "dropped", "open"]
EFFORT_MOVES = {"planned": ["started"], "started": ["paused", "completed", "completed", "stopped"],
                "paused": ["started", "stopped"]}


def accept_plan(story: CaseStory) -> Proposals:
    people = story.people
    yield "plan.accept", {"actor": story.case.baton.holder, "accepted_by": people.givers,
                          "subject_age": people.age,
                          "note": f"{people.who} siger ja til én fælles plan."}


def summary(story: CaseStory) -> Proposals:
    sits = story.texts.situations(3)
    yield "plan.summary", {
        "actor": story.case.baton.holder,
        "text": f"{story.people.who} har brug for en samlet indsats. Lige nu gælder, at "
                f"{sits[0]}, at {sits[1]}, og at {sits[2]}. Aktørerne er enige om én fælles plan.",
    }


def set_goal(story: CaseStory, level: GoalLevel | None = None) -> Proposals:
    """A goal: first an overall one, then sub-goals and progression goals under those set."""
    state, rng = story.case, story.rng
    if len(state.goals) > 40:
        return
    levels = {g.level for g in state.goals.values()}
    if level is None:
        if "overall" not in levels:
            level = "overall"
        else:
            level = "sub" if "sub" not in levels or rng.random() < 0.6 else "progression"
    fields = {"actor": state.baton.holder, "level": level, "text": story.texts.goal(level),
              "target_date": story.clock.days(60, 720)}
    if level == "overall":
        yield "goal.set", fields
        return
    # Which of the goals set may be this one's parent is the domain's to say.
    goal_ids = sorted(state.goals)
    for parent in rng.sample(goal_ids, len(goal_ids)):
        yield "goal.set", {**fields, "parent_id": parent}


def revise_goal(story: CaseStory) -> Proposals:
    state = story.case
    if state.goals:
        goal = state.goals[story.rng.choice(sorted(state.goals))]
        text = f"{goal.text.split(' (revideret')[0]} (revideret {state.version})"
        yield "goal.revise", {"actor": writer(story).ref, "goal_id": goal.goal_id, "text": text,
                              "reason": "Målet er justeret efter opfølgningsmødet"}


def goal_status(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    if not state.goals:
        return
    goal = state.goals[rng.choice(sorted(state.goals))]
    options = GOAL_MOVES.get(goal.status, GOAL_MOVES_LATER)
    new = rng.choice([o for o in options if o != goal.status] or ["in_progress"])
    if new != goal.status:
        yield "goal.status", {
            "actor": writer(story).ref, "goal_id": goal.goal_id, "status": new,
            "note": "Vurderet på opfølgningsmødet" if rng.random() < 0.5 else None,
        }


def plan_effort(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    if len(state.efforts) > 30:
        return
    providers = [p for p in active(state, PROFESSIONAL_KINDS) if _efforts(story, p.ref)]
    if not providers:
        return
    provider = rng.choice(providers)
    title, law, paragraph = rng.choice(_efforts(story, provider.ref))
    goals = sorted(state.goals)
    goal_ids = rng.sample(goals, min(len(goals), rng.randint(0, 2)))
    starts = story.clock.today + timedelta(days=rng.randint(0, 45))
    ends = starts + timedelta(days=rng.randint(30, 540)) if rng.random() < 0.8 else None
    yield "effort.plan", {
        "actor": state.baton.holder, "title": title, "law": law, "paragraph": paragraph,
        "provider": provider.ref, "starts_on": starts.isoformat(),
        "ends_on": ends.isoformat() if ends else None, "goal_ids": sorted(goal_ids),
    }


def effort_status(story: CaseStory) -> Proposals:
    movable = [e for e in story.case.efforts.values() if e.status in EFFORT_MOVES]
    if movable:
        effort = story.rng.choice(movable)
        yield "effort.status", {"actor": writer(story).ref, "effort_id": effort.effort_id,
                                "status": story.rng.choice(EFFORT_MOVES[effort.status])}


def view(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    goal = rng.choice(sorted(state.goals)) if state.goals and rng.random() < 0.3 else None
    yield "view", {"actor": writer(story).ref, "text": rng.choice(VIEWS),
                   "given_by": story.people.voice, "goal_id": goal}


def link_sector_plan(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    owners = [p for p in active(state, PROFESSIONAL_KINDS) if _sector_plan(story, p.ref)]
    if not owners or len(state.sector_plans) > 10:
        return
    owner = rng.choice(owners)
    plan = _sector_plan(story, owner.ref)
    assert plan is not None
    kind, system, prefix = plan
    yield "sectorplan.link", {
        "actor": owner.ref, "kind": kind, "owner": owner.ref, "system": system,
        "reference": f"{prefix}-{story.clock.today.year}-{rng.randrange(10**5):05d}",
    }


# -- agreements ---------------------------------------------------------------------------------


def terms(story: CaseStory) -> dict[str, Any]:
    """Who does what by when: mostly a professional, now and then the citizen's side."""
    state, rng = story.case, story.rng
    people = active(state, PROFESSIONAL_KINDS)
    if rng.random() < 0.15:
        people = active(state, CITIZEN_KINDS) or people
    who = rng.choice(people)
    goal = rng.choice(sorted(state.goals)) if state.goals and rng.random() < 0.4 else None
    return {"text": story.texts.task(), "responsible": who.ref, "due_on": story.clock.days(7, 90),
            **({"goal_id": goal} if goal else {})}


def make_agreement(story: CaseStory) -> Proposals:
    yield "agreement.make", {"actor": story.case.baton.holder, **terms(story)}


def reassign(story: CaseStory) -> Proposals:
    still_open = story.case.open_agreements()
    if not still_open:
        return
    old = story.rng.choice(still_open)
    new = terms(story)
    if new["responsible"] != old.responsible:
        yield "agreement.make", {"actor": story.case.baton.holder, "replaces": old.agreement_id,
                                 **new}


def complete(story: CaseStory, agreement: Agreement) -> Proposals:
    """The responsible professional marks it done; for the citizen's side, or when the
    professional is gone, the holder does."""
    state = story.case
    note = "Udført som aftalt" if story.rng.random() < 0.4 else None
    responsible = state.participants.get(agreement.responsible)
    if responsible is not None and responsible.kind not in CITIZEN_KINDS:
        yield "agreement.complete", {"actor": responsible.ref,
                                     "agreement_id": agreement.agreement_id, "note": note}
    yield "agreement.complete", {"actor": state.baton.holder,
                                 "agreement_id": agreement.agreement_id, "note": note}


def cancel(story: CaseStory, agreement: Agreement) -> Proposals:
    yield "agreement.cancel", {"actor": story.case.baton.holder,
                               "agreement_id": agreement.agreement_id,
                               "reason": "Ikke længere relevant"}


def complete_some(story: CaseStory) -> Proposals:
    still_open = story.case.open_agreements()
    if still_open:
        yield from complete(story, story.rng.choice(still_open))


def cancel_some(story: CaseStory) -> Proposals:
    still_open = story.case.open_agreements()
    if still_open:
        yield from cancel(story, story.rng.choice(still_open))


def _efforts(story: CaseStory, ref: str) -> tuple[tuple[str, str, str], ...]:
    """The efforts this person's organisation offers (title, law, paragraph)."""
    person = story.people.person(ref)
    return ORGS[person.org_type].efforts if person and person.org_type else ()


def _sector_plan(story: CaseStory, ref: str) -> tuple[str, str, str] | None:
    """The sector plan this person's organisation keeps (kind, system, reference prefix)."""
    person = story.people.person(ref)
    return ORGS[person.org_type].sector_plan if person and person.org_type else None
