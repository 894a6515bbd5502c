"""``evolve(state, event) -> state``: how each recorded fact changes a case.

Evolve trusts the log: the rules were checked when the event was decided, so
nothing here refuses anything. Every view of a case is a fold of this function.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import singledispatch
from typing import Any

from stafet.domain import events as ev
from stafet.domain.state import (
    Agreement,
    Baton,
    CaseSnapshot,
    CaseState,
    CitizenView,
    Closure,
    Consent,
    Correction,
    Effort,
    Goal,
    Hold,
    Meeting,
    Participant,
    PlanAcceptance,
    SectorPlan,
)


def project_case(
    state: CaseState | None, events: Iterable[ev.CaseEvent | CaseSnapshot]
) -> CaseState | None:
    """Fold events (a snapshot first, if any) into a state; the library's projector."""
    for event in events:
        state = evolve(state, event)
    return state


def evolve(state: CaseState | None, event: ev.CaseEvent | CaseSnapshot) -> CaseState:
    if isinstance(event, CaseSnapshot):
        return event.state
    if isinstance(event, ev.CaseOpened):
        return _opened(event)
    assert state is not None, f"{type(event).__name__} before CaseOpened"
    changes = _apply(event, state)
    return state.model_copy(update={**changes, "version": event.originator_version})


def _put(mapping: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    return {**mapping, key: value}


def _opened(e: ev.CaseOpened) -> CaseState:
    holder = Participant(
        ref=e.holder.ref, kind=e.holder.kind, title=e.holder.title, name=e.holder.name,
        joined_at=e.effective_at,
    )
    return CaseState(
        id=e.originator_id,
        version=e.originator_version,
        subject_ref=e.subject_ref,
        subject_kind=e.subject_kind,
        title=e.title,
        opened_at=e.effective_at,
        baton=Baton(stage="held", holder=holder.ref, temporary=e.temporary, since=e.effective_at),
        participants={holder.ref: holder},
        holds=[Hold(holder=holder.ref, since=e.effective_at, since_position=e.originator_version,
                    temporary=e.temporary)],
    )


def _end_holds(s: CaseState, e: ev.CaseEvent, who: set[str], how: str) -> list[Hold]:
    return [
        h.model_copy(update={"until": e.effective_at, "until_position": e.originator_version,
                             "ended": how})
        if h.until is None and h.holder in who else h
        for h in s.holds
    ]


@singledispatch
def _apply(event: ev.CaseEvent, state: CaseState) -> dict[str, Any]:
    raise TypeError(f"no evolve rule for {type(event).__name__}")


@_apply.register
def _(e: ev.CaseClosed, s: CaseState) -> dict[str, Any]:
    closure = Closure(
        further_course=e.further_course, continuing_sector_plans=e.continuing_sector_plans,
        follow_up_by=e.follow_up_by, closed_at=e.effective_at,
    )
    holds = _end_holds(s, e, set(s.holders), "case closed")
    return {"status": "closed", "closure": closure, "holds": holds}


@_apply.register
def _(e: ev.CaseReopened, s: CaseState) -> dict[str, Any]:
    baton = Baton(stage="held", holder=e.actor, temporary=e.temporary, since=e.effective_at)
    hold = Hold(holder=e.actor, since=e.effective_at, since_position=e.originator_version,
                temporary=e.temporary)
    return {"status": "open", "closure": None, "baton": baton, "holds": [*s.holds, hold]}


@_apply.register
def _(e: ev.BirthMonthRecorded, s: CaseState) -> dict[str, Any]:
    return {"subject_birth_month": e.birth_month}


@_apply.register
def _(e: ev.PhaseChanged, s: CaseState) -> dict[str, Any]:
    return {"phase": e.phase}


@_apply.register
def _(e: ev.ParticipantJoined, s: CaseState) -> dict[str, Any]:
    p = e.participant
    joined = Participant(
        ref=p.ref, kind=p.kind, title=p.title, name=p.name, joined_at=e.effective_at
    )
    return {"participants": _put(s.participants, p.ref, joined)}


@_apply.register
def _(e: ev.ParticipantLeft, s: CaseState) -> dict[str, Any]:
    left = s.participants[e.ref].model_copy(
        update={"active": False, "left_at": e.effective_at, "left_position": e.originator_version})
    return {"participants": _put(s.participants, e.ref, left)}


@_apply.register
def _(e: ev.BatonHanded, s: CaseState) -> dict[str, Any]:
    return {"baton": s.baton.model_copy(
        update={"stage": "offered", "offered_to": e.to, "changed_at": e.effective_at})}


@_apply.register
def _(e: ev.BatonGrabbed, s: CaseState) -> dict[str, Any]:
    baton = Baton(
        stage="exchange", holder=e.actor, outgoing=s.baton.holder, temporary=False,
        since=e.effective_at,
    )
    hold = Hold(holder=e.actor, since=e.effective_at, since_position=e.originator_version)
    return {"baton": baton, "holds": [*s.holds, hold]}


@_apply.register
def _(e: ev.BatonReleased, s: CaseState) -> dict[str, Any]:
    holds = _end_holds(s, e, {e.actor}, f"released to {s.baton.holder}")
    return {"baton": s.baton.model_copy(
                update={"stage": "held", "outgoing": None, "changed_at": e.effective_at}),
            "holds": holds}


@_apply.register(ev.BatonDeclined)
@_apply.register(ev.HandoverWithdrawn)
def _(e: ev.CaseEvent, s: CaseState) -> dict[str, Any]:
    return {"baton": s.baton.model_copy(
        update={"stage": "held", "offered_to": None, "changed_at": e.effective_at})}


@_apply.register
def _(e: ev.BatonConfirmed, s: CaseState) -> dict[str, Any]:
    holds = [h.model_copy(update={"temporary": False})
             if h.until is None and h.holder == s.baton.holder else h for h in s.holds]
    return {"baton": s.baton.model_copy(update={"temporary": False, "changed_at": e.effective_at}),
            "holds": holds}


@_apply.register
def _(e: ev.ConsentGiven, s: CaseState) -> dict[str, Any]:
    consent = Consent(
        consent_id=e.consent_id, given_by=e.given_by, purpose=e.purpose,
        recipients=e.recipients, categories=e.categories, expires_on=e.expires_on,
        subject_age=e.subject_age, given_at=e.effective_at,
    )
    return {"consents": _put(s.consents, e.consent_id, consent)}


@_apply.register
def _(e: ev.ConsentRevoked, s: CaseState) -> dict[str, Any]:
    revoked = s.consents[e.consent_id].model_copy(
        update={"revoked_at": e.effective_at, "revoke_reason": e.reason, "revoked_by": e.revoked_by}
    )
    return {"consents": _put(s.consents, e.consent_id, revoked)}


@_apply.register
def _(e: ev.InformationShared, s: CaseState) -> dict[str, Any]:
    return {}


@_apply.register
def _(e: ev.PlanAccepted, s: CaseState) -> dict[str, Any]:
    return {"plan_acceptance": PlanAcceptance(accepted_by=e.accepted_by, accepted_at=e.effective_at)}


@_apply.register
def _(e: ev.SituationSummarized, s: CaseState) -> dict[str, Any]:
    return {"summary": e.text}


@_apply.register
def _(e: ev.GoalSet, s: CaseState) -> dict[str, Any]:
    goal = Goal(
        goal_id=e.goal_id, level=e.level, parent_id=e.parent_id, text=e.text,
        target_date=e.target_date,
    )
    return {"goals": _put(s.goals, e.goal_id, goal)}


@_apply.register
def _(e: ev.PlanGoalRevised, s: CaseState) -> dict[str, Any]:
    goal = s.goals[e.goal_id]
    revised = goal.model_copy(update={"text": e.text, "revisions": goal.revisions + 1})
    return {"goals": _put(s.goals, e.goal_id, revised)}


@_apply.register
def _(e: ev.GoalStatusChanged, s: CaseState) -> dict[str, Any]:
    goal = s.goals[e.goal_id].model_copy(update={"status": e.status})
    return {"goals": _put(s.goals, e.goal_id, goal)}


@_apply.register
def _(e: ev.EffortPlanned, s: CaseState) -> dict[str, Any]:
    effort = Effort(
        effort_id=e.effort_id, title=e.title, law=e.law, paragraph=e.paragraph,
        provider=e.provider, starts_on=e.starts_on, ends_on=e.ends_on, goal_ids=e.goal_ids,
    )
    return {"efforts": _put(s.efforts, e.effort_id, effort)}


@_apply.register
def _(e: ev.EffortStatusChanged, s: CaseState) -> dict[str, Any]:
    effort = s.efforts[e.effort_id].model_copy(update={"status": e.status})
    return {"efforts": _put(s.efforts, e.effort_id, effort)}


@_apply.register
def _(e: ev.AgreementMade, s: CaseState) -> dict[str, Any]:
    agreements = dict(s.agreements)
    if e.replaces:
        agreements[e.replaces] = agreements[e.replaces].model_copy(
            update={"status": "reassigned", "replaced_by": e.agreement_id}
        )
    agreements[e.agreement_id] = Agreement(
        agreement_id=e.agreement_id, text=e.text, responsible=e.responsible, due_on=e.due_on,
        meeting_id=e.meeting_id, goal_id=e.goal_id, made_at=e.effective_at,
    )
    return {"agreements": agreements}


@_apply.register
def _(e: ev.AgreementCompleted, s: CaseState) -> dict[str, Any]:
    done = s.agreements[e.agreement_id].model_copy(update={"status": "completed"})
    return {"agreements": _put(s.agreements, e.agreement_id, done)}


@_apply.register
def _(e: ev.AgreementCancelled, s: CaseState) -> dict[str, Any]:
    cancelled = s.agreements[e.agreement_id].model_copy(update={"status": "cancelled"})
    return {"agreements": _put(s.agreements, e.agreement_id, cancelled)}


@_apply.register
def _(e: ev.AgreementReopened, s: CaseState) -> dict[str, Any]:
    reopened = s.agreements[e.agreement_id].model_copy(update={"status": "open"})
    return {"agreements": _put(s.agreements, e.agreement_id, reopened)}


@_apply.register
def _(e: ev.CitizenViewRecorded, s: CaseState) -> dict[str, Any]:
    view = CitizenView(
        text=e.text, given_by=e.given_by, goal_id=e.goal_id, recorded_at=e.effective_at
    )
    return {"citizen_views": [*s.citizen_views, view]}


@_apply.register
def _(e: ev.SectorPlanLinked, s: CaseState) -> dict[str, Any]:
    plan = SectorPlan(
        sector_plan_id=e.sector_plan_id, kind=e.kind, owner=e.owner, system=e.system,
        reference=e.reference,
    )
    return {"sector_plans": _put(s.sector_plans, e.sector_plan_id, plan)}


@_apply.register
def _(e: ev.MeetingConvened, s: CaseState) -> dict[str, Any]:
    meeting = Meeting(
        meeting_id=e.meeting_id, kind=e.kind, starts_at=e.starts_at, place=e.place,
        place_agreed_with_citizen=e.place_agreed_with_citizen, invited=e.invited,
        agenda=e.agenda, interpreter_language=e.interpreter_language,
        advocate_needed=e.advocate_needed, convened_at=e.effective_at,
    )
    return {"meetings": _put(s.meetings, e.meeting_id, meeting)}


@_apply.register
def _(e: ev.MeetingAgendaChanged, s: CaseState) -> dict[str, Any]:
    meeting = s.meetings[e.meeting_id]
    changed = meeting.model_copy(
        update={"agenda": e.agenda, "late_agenda_changes": meeting.late_agenda_changes + e.late}
    )
    return {"meetings": _put(s.meetings, e.meeting_id, changed)}


@_apply.register
def _(e: ev.MeetingHeld, s: CaseState) -> dict[str, Any]:
    held = s.meetings[e.meeting_id].model_copy(
        update={
            "status": "held", "attendees": e.attendees, "minutes": e.minutes,
            "decisions": e.decisions,
        }
    )
    return {"meetings": _put(s.meetings, e.meeting_id, held)}


@_apply.register
def _(e: ev.MeetingRescheduled, s: CaseState) -> dict[str, Any]:
    meeting = s.meetings[e.meeting_id]
    moved = meeting.model_copy(update={"starts_at": e.starts_at, "place": e.place or meeting.place,
                                       "reschedules": meeting.reschedules + 1})
    return {"meetings": _put(s.meetings, e.meeting_id, moved)}


@_apply.register
def _(e: ev.MeetingHoldWithdrawn, s: CaseState) -> dict[str, Any]:
    # Convened again: what the wrong record said no longer counts (the history keeps it).
    back = s.meetings[e.meeting_id].model_copy(update={
        "status": "convened", "attendees": [], "minutes": None, "decisions": [],
        "minutes_sent": False, "hold_withdrawn": s.meetings[e.meeting_id].hold_withdrawn + 1})
    return {"meetings": _put(s.meetings, e.meeting_id, back)}


@_apply.register
def _(e: ev.MeetingCancelled, s: CaseState) -> dict[str, Any]:
    cancelled = s.meetings[e.meeting_id].model_copy(update={"status": "cancelled"})
    return {"meetings": _put(s.meetings, e.meeting_id, cancelled)}


@_apply.register
def _(e: ev.MinutesSent, s: CaseState) -> dict[str, Any]:
    sent = s.meetings[e.meeting_id].model_copy(update={"minutes_sent": True})
    return {"meetings": _put(s.meetings, e.meeting_id, sent)}


@_apply.register
def _(e: ev.PersonalDataErased, s: CaseState) -> dict[str, Any]:
    return {"personal_data_erased": True}


@_apply.register
def _(e: ev.NoteLogged, s: CaseState) -> dict[str, Any]:
    return {}


@_apply.register
def _(e: ev.EntryCorrected, s: CaseState) -> dict[str, Any]:
    correction = Correction(position=e.originator_version, corrects_position=e.corrects_position,
                            correction=e.correction, reason=e.reason, actor=e.actor,
                            at=e.effective_at)
    return {"corrections": [*s.corrections, correction]}
