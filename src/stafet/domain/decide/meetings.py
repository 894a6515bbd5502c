"""Coordinating meetings (SPEC §7): convened and run by the holder."""

from __future__ import annotations

from datetime import timedelta

from stafet.domain import events as ev
from stafet.domain.commands import (
    CancelMeeting,
    ChangeAgenda,
    ConveneMeeting,
    HoldMeeting,
    RescheduleMeeting,
    SendMinutes,
    WithdrawMeetingHeld,
)
from stafet.domain.decide.context import Context
from stafet.domain.decide.plan import agreement_made
from stafet.domain.decide.registry import handles
from stafet.domain.evolve import evolve
from stafet.domain.rules import (
    refuse,
    require_convened_before_start,
    require_holder,
    require_known,
    require_meeting_started,
    require_participant,
)
from stafet.domain.state import CaseState, Meeting


def _convened_meeting(s: CaseState, meeting_id: str) -> Meeting:
    meeting = require_known(s.meetings, meeting_id, "meeting")
    if meeting.status != "convened":
        refuse("meeting.status", f"meeting {meeting_id} is already {meeting.status}")
    return meeting


@handles(ConveneMeeting)
def convene(s: CaseState, c: ConveneMeeting, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "convene a meeting")
    for ref in c.invited:
        require_participant(s, ref)
    require_convened_before_start(c.starts_at, ctx.effective_at, c.occurred_at is not None,
                                  ctx.policy)
    return [
        ctx.event(
            s, ev.MeetingConvened, meeting_id=f"M{len(s.meetings) + 1}", kind=c.kind,
            starts_at=c.starts_at, place=c.place,
            place_agreed_with_citizen=c.place_agreed_with_citizen, invited=c.invited,
            agenda=c.agenda, interpreter_language=c.interpreter_language,
            advocate_needed=c.advocate_needed,
        )
    ]


@handles(ChangeAgenda)
def change_agenda(s: CaseState, c: ChangeAgenda, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "change a meeting's agenda")
    meeting = _convened_meeting(s, c.meeting_id)
    # Allowed, but flagged: participants had less time than agreed to prepare.
    late = meeting.starts_at - ctx.effective_at < timedelta(days=ctx.policy.late_agenda_days)
    return [ctx.event(s, ev.MeetingAgendaChanged, meeting_id=c.meeting_id, agenda=c.agenda, late=late)]


@handles(HoldMeeting)
def hold(s: CaseState, c: HoldMeeting, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "record a meeting as held")
    meeting = _convened_meeting(s, c.meeting_id)
    require_meeting_started(c.meeting_id, meeting.starts_at, ctx.effective_at)
    for ref in c.attendees:
        require_participant(s, ref)
    held = ctx.event(
        s, ev.MeetingHeld, meeting_id=c.meeting_id, attendees=c.attendees, minutes=c.minutes,
        decisions=c.decisions,
    )
    events: list[ev.CaseEvent] = [held]
    state = evolve(s, held)
    for terms in c.agreements:
        made = agreement_made(state, terms, ctx, meeting_id=c.meeting_id)
        events.append(made)
        state = evolve(state, made)
    return events


@handles(RescheduleMeeting)
def reschedule(s: CaseState, c: RescheduleMeeting, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "reschedule a meeting")
    meeting = _convened_meeting(s, c.meeting_id)
    if c.starts_at == meeting.starts_at and c.place in (None, meeting.place):
        refuse("meeting.unchanged", f"meeting {c.meeting_id} is already at that time and place")
    require_convened_before_start(c.starts_at, ctx.effective_at, c.occurred_at is not None,
                                  ctx.policy)
    return [ctx.event(s, ev.MeetingRescheduled, meeting_id=c.meeting_id, starts_at=c.starts_at,
                      place=c.place, reason=c.reason)]


@handles(WithdrawMeetingHeld)
def not_held(s: CaseState, c: WithdrawMeetingHeld, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "mark a meeting as not held")
    meeting = require_known(s.meetings, c.meeting_id, "meeting")
    if meeting.status != "held":
        refuse("meeting.not_held", f"meeting {c.meeting_id} is {meeting.status}, not recorded "
               "as held, so there is nothing to withdraw")
    return [ctx.event(s, ev.MeetingHoldWithdrawn, meeting_id=c.meeting_id, reason=c.reason)]


@handles(CancelMeeting)
def cancel(s: CaseState, c: CancelMeeting, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "cancel a meeting")
    _convened_meeting(s, c.meeting_id)
    return [ctx.event(s, ev.MeetingCancelled, meeting_id=c.meeting_id, reason=c.reason)]


@handles(SendMinutes)
def minutes_sent(s: CaseState, c: SendMinutes, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "mark minutes as sent")
    meeting = require_known(s.meetings, c.meeting_id, "meeting")
    if meeting.status != "held":
        refuse("meeting.not_held", f"meeting {c.meeting_id} has not been held, so it has no minutes")
    if meeting.minutes_sent:
        refuse("meeting.minutes_sent", f"the minutes of meeting {c.meeting_id} are already sent")
    recipients = c.recipients or meeting.invited
    for ref in recipients:
        require_participant(s, ref)
    return [ctx.event(s, ev.MinutesSent, meeting_id=c.meeting_id, recipients=recipients)]
