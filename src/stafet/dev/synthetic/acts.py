"""What a case's people might do next: each act yields proposals (a command's name and its
fields), best first. The story hands them to the domain's ``decide`` one by one and keeps
the first that is accepted.

Acts read the case's state to choose something plausible (who holds the baton, which
agreements are open, which goals exist) but never judge whether it is allowed: there is no
rule here. Where several people or goals would do, an act offers them in random order and
lets the domain pick out the ones it accepts, so the choice stays uniform among the allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from stafet.dev.synthetic.population import Person
from stafet.dev.synthetic.vocabulary import DECISIONS, MINUTES, NOTE_FORMS, ORGS, TITLES, VIEWS
from stafet.domain.state import Agreement, CaseState, Meeting, Participant
from stafet.domain.values import GoalLevel, org_of

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory

Proposal = tuple[str, dict[str, Any]]
Proposals = Iterator[Proposal]

# Story choices, not rules: who works on a case and is written to about it, and who keeps
# its log (the professionals with a case system of their own).
PROFESSIONAL_KINDS = frozenset({"authority", "provider", "volunteer"})
WRITER_KINDS = frozenset({"authority", "provider"})
CITIZEN_KINDS = frozenset({"citizen", "relative"})

# How a goal's or an effort's status usually moves on (the domain accepts any change).
GOAL_MOVES = {"open": ["in_progress"], "in_progress": ["achieved", "partly_achieved", "in_progress"]}
GOAL_MOVES_LATER = ["in_progress", "not_achieved", "dropped", "open"]
EFFORT_MOVES = {"planned": ["started"], "started": ["paused", "completed", "completed", "stopped"],
                "paused": ["started", "stopped"]}


# -- who ---------------------------------------------------------------------------------


def active(state: CaseState, kinds: frozenset[str] | None = None) -> list[Participant]:
    return [p for p in state.participants.values()
            if p.active and (kinds is None or p.kind in kinds)]


def writer(story: CaseStory) -> Participant:
    """Who writes: the holder often, else another professional."""
    state = story.case
    if story.rng.random() < 0.4:
        return state.participants[state.baton.holder]
    return story.rng.choice(active(state, WRITER_KINDS))


def role_of(story: CaseStory, ref: str) -> str | None:
    """The actor's role as they would sign: the first part of their title."""
    title = story.case.participants[ref].title
    return title.split(",")[0] if title else None


# -- the case ------------------------------------------------------------------------------


def open_case(story: CaseStory) -> Proposals:
    people, rng = story.people, story.rng
    opener = people.opener
    prefix = {"adult": "borger", "child": "barn", "family": "familie"}[people.kind]
    yield "case.open", {
        "actor": opener.ref, "actor_role": opener.title.split(",")[0],
        "subject_ref": f"{prefix}-{people.handle}", "subject_kind": people.kind,
        "title": rng.choice(TITLES[people.kind]), "holder_kind": opener.kind,
        "holder_title": opener.title, "holder_name": opener.name,
        # Children's cases are more often opened by whoever noticed first (a school, a daycare).
        "temporary": rng.random() < (0.6 if people.kind == "child" else 0.3),
    }


def close(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    follow = rng.choice(active(state, PROFESSIONAL_KINDS))
    continuing = [sp for sp in sorted(state.sector_plans) if rng.random() < 0.6]
    yield "case.close", {
        "actor": state.baton.holder,
        "further_course": f"{story.people.who} fortsætter i de sektorplaner, der lever videre. "
                          f"{follow.name} følger op om tre måneder.",
        "follow_up_by": follow.ref, "continuing_sector_plans": continuing,
    }


def reopen(story: CaseStory) -> Proposals:
    """Often the last holder takes the case up again, else someone else still on it."""
    state, rng = story.case, story.rng
    reason = f"Ny henvendelse: {story.texts.situation()}; forløbet genoptages."
    refs = [p.ref for p in active(state)]
    first = [state.baton.holder] if rng.random() < 0.6 else []
    for ref in first + rng.sample(refs, len(refs)):
        yield "case.reopen", {"actor": ref, "reason": reason}


def phase(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    new = min(3, state.phase + 1) if rng.random() < 0.8 else max(1, state.phase - 1)
    if new != state.phase:
        yield "phase", {
            "actor": state.baton.holder, "phase": new,
            "reason": "Tværfaglig drøftelse" if new > 1 else "Tilbage til lokale indsatser",
        }


def wind_down(story: CaseStory) -> Proposals:
    """Finish what is still open, then close: a hand-over in progress, an open agreement."""
    state, rng = story.case, story.rng
    if state.baton.offered_to:
        yield "baton.grab", {"actor": state.baton.offered_to}
    if state.baton.outgoing:
        yield "baton.release", {"actor": state.baton.outgoing}
    still_open = state.open_agreements()
    if still_open:
        agreement = rng.choice(still_open)
        if rng.random() < 0.85:
            yield from complete(story, agreement)
        else:
            yield from cancel(story, agreement)
    yield from close(story)


def wind_down_dry_run(state: CaseState) -> Proposals:
    """The same wind-down without texts or chance, to count what closing would take."""
    baton = state.baton
    if baton.offered_to:
        yield "baton.grab", {"actor": baton.offered_to}
    if baton.outgoing:
        yield "baton.release", {"actor": baton.outgoing}
    for agreement in state.open_agreements()[:1]:
        yield "agreement.complete", {"actor": baton.holder, "agreement_id": agreement.agreement_id}
    yield "case.close", {"actor": baton.holder, "further_course": "Afsluttes.",
                         "follow_up_by": baton.holder}


# -- people joining and leaving --------------------------------------------------------------


def join(story: CaseStory, person: Person) -> Proposals:
    yield "case.join", {
        "actor": story.case.baton.holder, "participant": person.ref, "kind": person.kind,
        "title": person.title, "participant_name": person.name,
    }


def join_someone(story: CaseStory) -> Proposals:
    outside = [p for p in story.people.network if not story.case.active_participant(p.ref)]
    if outside:
        yield from join(story, story.rng.choice(outside))


def leave_someone(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    professionals = active(state, PROFESSIONAL_KINDS)
    if len(professionals) <= 3:  # a case keeps a core of professionals
        return
    # People finish their agreements before they go.
    responsible = {a.responsible for a in state.open_agreements()}
    can_go = [p for p in professionals if p.ref not in responsible]
    for person in rng.sample(can_go, len(can_go)):
        actor = person.ref if rng.random() < 0.5 else state.baton.holder
        yield "case.leave", {"actor": actor, "participant": person.ref,
                             "reason": "Indsatsen er afsluttet"}


# -- the baton -------------------------------------------------------------------------------


def hand(story: CaseStory, note: str = "Hovedindsatsen flytter; stafetten gives videre.",
         prefer_org: str | None = None) -> Proposals:
    """Hand the baton to someone else on the case (the opener's own colleagues first, when
    ``prefer_org`` is given); the domain says who may take it."""
    state, rng = story.case, story.rng
    holder = state.baton.holder
    others = [p.ref for p in active(state) if p.ref != holder]
    preferred = [ref for ref in others if org_of(ref) == prefer_org]
    rest = [ref for ref in others if ref not in preferred]
    for ref in rng.sample(preferred, len(preferred)) + rng.sample(rest, len(rest)):
        yield "baton.hand", {"actor": holder, "to": ref, "note": note}


def hand_to_permanent(story: CaseStory) -> Proposals:
    """A temporary opener hands over to a permanent holder, at their own place if they can."""
    opener = story.people.opener
    target_note = "{name} bliver fast stafetholder."
    for name, fields in hand(story, prefer_org=opener.org):
        person = story.people.person(fields["to"])
        who = person.name if person and person.name else fields["to"]
        yield name, {**fields, "note": target_note.format(name=who)}


def grab(story: CaseStory) -> Proposals:
    if story.case.baton.offered_to:
        yield "baton.grab", {"actor": story.case.baton.offered_to}


def release(story: CaseStory) -> Proposals:
    if story.case.baton.outgoing:
        yield "baton.release", {"actor": story.case.baton.outgoing}


def decline(story: CaseStory) -> Proposals:
    if story.case.baton.offered_to:
        yield "baton.decline", {"actor": story.case.baton.offered_to,
                                "reason": "Ikke kapacitet lige nu"}


def withdraw(story: CaseStory) -> Proposals:
    yield "baton.withdraw", {"actor": story.case.baton.holder,
                             "reason": "Aftalt på mødet at vente"}


# -- consent and sharing -----------------------------------------------------------------------


def give_consent(story: CaseStory) -> Proposals:
    people = story.people
    expires = story.today + timedelta(days=story.rng.randint(365, 540))
    yield "consent.give", {
        "actor": story.case.baton.holder, "given_by": people.givers, "purpose": people.purpose,
        "recipients": people.recipients, "categories": list(people.categories),
        "expires_on": expires.isoformat(), "subject_age": people.age,
    }


def renew_consent(story: CaseStory) -> Proposals:
    consents = story.case.consents.values()
    if len(consents) <= 20 and any(c.revoked_at is None for c in consents):
        yield from give_consent(story)


def revoke_consent(story: CaseStory) -> Proposals:
    """Revoke an older consent once a newer one is in place."""
    older = [c for c in list(story.case.consents.values())[:-1] if c.revoked_at is None]
    if older:
        consent = story.rng.choice(older)
        yield "consent.revoke", {"actor": story.case.baton.holder,
                                 "consent_id": consent.consent_id,
                                 "reason": "Erstattet af et nyt samtykke"}


def share(story: CaseStory) -> Proposals:
    """Share with another professional; whether a consent covers them is the domain's call."""
    rng, people = story.rng, story.people
    actor = writer(story)
    recipients = [p for p in active(story.case, PROFESSIONAL_KINDS) if p.ref != actor.ref]
    categories = sorted(rng.sample(people.categories, rng.randint(1, 2)))
    for to in rng.sample(recipients, len(recipients)):
        yield "share", {
            "actor": actor.ref, "recipient": to.ref, "purpose": people.purpose,
            "categories": categories,
            "description": f"Status om {', '.join(categories)} fra {org_of(actor.ref)} til "
                           f"{org_of(to.ref)}.",
        }


# -- the plan -----------------------------------------------------------------------------------


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
              "target_date": story.days(60, 720)}
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
    starts = story.today + timedelta(days=rng.randint(0, 45))
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
        "reference": f"{prefix}-{story.today.year}-{rng.randrange(10**5):05d}",
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
    return {"text": story.texts.task(), "responsible": who.ref, "due_on": story.days(7, 90),
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


# -- meetings ------------------------------------------------------------------------------------


def convene(story: CaseStory) -> Proposals:
    state, rng, people = story.case, story.rng, story.people
    if any(m.status == "convened" for m in state.meetings.values()):
        return  # one meeting at a time
    holder = state.baton.holder
    others = [p.ref for p in active(state) if p.ref != holder]
    if not others:
        return
    invited = sorted(rng.sample(others, max(1, len(others) - rng.randint(0, 2))))
    starts = story.calendar(story.day_at(rng.randint(3, 10), rng.choice((9, 10, 13))))
    agenda = story.texts.agenda()
    place = rng.choice([f"{people.opener.org}, mødelokale {rng.randint(1, 6)}",
                        "Borgerens hjem", "Rådhuset, lokale 2.14", "Online (Teams)"])
    kinds = {state.participants[ref].kind for ref in invited}
    yield "meeting.convene", {
        "actor": holder, "starts_at": starts.isoformat(),
        "place": f"{place} (aftalt med borgeren)" if rng.random() < 0.7 else place,
        "place_agreed_with_citizen": rng.random() < 0.7, "invited": invited, "agenda": agenda,
        "kind": "follow_up" if state.meetings else "coordinating",
        "interpreter_language": people.language if "interpreter" in kinds else None,
        "advocate_needed": "advocate" in kinds or None,
    }


def change_agenda(story: CaseStory) -> Proposals:
    upcoming = [m for m in story.case.meetings.values()
                if m.status == "convened" and story.moment < m.starts_at
                and story.agenda_changes[m.meeting_id] < 2]
    if upcoming:
        yield "meeting.agenda", {"actor": story.case.baton.holder,
                                 "meeting_id": upcoming[0].meeting_id,
                                 "agenda": story.texts.agenda()}


def hold(story: CaseStory, meeting: Meeting) -> Proposals:
    """The meeting as held, with up to five agreements; fewer when the case's events run short."""
    state, rng = story.case, story.rng
    holder = state.baton.holder
    present = [ref for ref in meeting.invited if state.active_participant(ref)]
    came = rng.sample(present, max(0, len(present) - rng.randint(0, 1)))
    wanted = max(0, min(rng.randint(0, 5), story.left - 1))
    agreements = [terms(story) for _ in range(wanted)]
    minutes = " ".join(story.texts.compose(MINUTES, org_of(holder))
                       for _ in range(rng.randint(2, 4)))
    fields = {"actor": holder, "meeting_id": meeting.meeting_id,
              "attendees": sorted({holder, *came}), "minutes": minutes,
              "decisions": rng.sample(DECISIONS, rng.randint(0, 2))}
    for count in range(len(agreements), -1, -1):
        yield "meeting.hold", {**fields, "agreements": agreements[:count]}


def cancel_meeting(story: CaseStory, meeting: Meeting) -> Proposals:
    yield "meeting.cancel", {"actor": story.case.baton.holder, "meeting_id": meeting.meeting_id,
                             "reason": "Flere aktører var forhindret; nyt møde indkaldes"}


def send_minutes(story: CaseStory, meeting: Meeting) -> Proposals:
    state = story.case
    recipients = [ref for ref in meeting.invited if state.active_participant(ref)]
    yield "meeting.minutes-sent", {"actor": state.baton.holder, "meeting_id": meeting.meeting_id,
                                   "recipients": recipients or [state.baton.holder]}


# -- the log --------------------------------------------------------------------------------------


def note(story: CaseStory) -> Proposals:
    actor = writer(story)
    org = org_of(story.rng.choice(active(story.case, PROFESSIONAL_KINDS)).ref)
    text = story.texts.compose(NOTE_FORMS, org)
    if story.rng.random() < 0.02:  # now and then a long journal note
        text = " ".join(story.texts.compose(NOTE_FORMS, org) for _ in range(30))
    yield "note", {"actor": actor.ref, "actor_role": role_of(story, actor.ref), "text": text}


def correct(story: CaseStory) -> Proposals:
    version = story.case.version
    if version >= 3:
        yield "correct", {
            "actor": writer(story).ref,
            "position": story.rng.randint(max(2, version - 20), version),
            "correction": "Rettelse: datoen for samtalen var dagen før.",
            "reason": "Forkert dato i notatet",
        }


def _efforts(story: CaseStory, ref: str) -> tuple[tuple[str, str, str], ...]:
    """The efforts this person's organisation offers (title, law, paragraph)."""
    person = story.people.person(ref)
    return ORGS[person.org_type].efforts if person and person.org_type else ()


def _sector_plan(story: CaseStory, ref: str) -> tuple[str, str, str] | None:
    """The sector plan this person's organisation keeps (kind, system, reference prefix)."""
    person = story.people.person(ref)
    return ORGS[person.org_type].sector_plan if person and person.org_type else None
