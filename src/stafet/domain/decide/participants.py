"""Participants joining and leaving (SPEC §4, §6)."""

from __future__ import annotations

from stafet.domain import events as ev
from stafet.domain.commands import JoinCase, LeaveCase
from stafet.domain.decide.context import Context
from stafet.domain.decide.registry import handles
from stafet.domain.rules import (
    a,
    consent_is_active,
    covering_consent,
    refuse,
    require_participant,
)
from stafet.domain.state import CaseState
from stafet.domain.values import CITIZEN_SIDE_KINDS


@handles(JoinCase)
def join(s: CaseState, c: JoinCase, ctx: Context) -> list[ev.CaseEvent]:
    if s.active_participant(c.participant):
        refuse("participant.already", f"{c.participant} is already an active participant")
    needs_consent = (
        s.subject_kind in ctx.policy.consent_required_to_join
        and c.kind not in CITIZEN_SIDE_KINDS
    )
    if needs_consent and covering_consent(s, c.participant, ctx.effective_at) is None:
        active = [k for k in s.consents.values() if consent_is_active(k, ctx.effective_at)]
        refuse(
            "participant.consent",
            f"{a(s.subject_kind)}'s case admits {c.participant} only under an active consent "
            "that covers them; record the consent first ("
            + ("; ".join(f"{k.consent_id} '{k.purpose}' covers {', '.join(k.recipients)}"
                         for k in active) if active else "there is no active consent yet")
            + ")",
        )
    info = ev.ParticipantInfo(
        ref=c.participant, kind=c.kind, title=c.title, name=c.participant_name
    )
    return [ctx.event(s, ev.ParticipantJoined, participant=info)]


@handles(LeaveCase)
def leave(s: CaseState, c: LeaveCase, ctx: Context) -> list[ev.CaseEvent]:
    require_participant(s, c.participant)
    if c.actor not in (c.participant, s.baton.holder):
        refuse(
            "participant.leave_by",
            f"only {c.participant} themselves or the holder can take them off the case",
        )
    if c.participant in s.holders or c.participant == s.baton.offered_to:
        refuse(
            "participant.holds",
            f"{c.participant} holds the baton or is in a hand-over, and cannot leave the case",
        )
    return [ctx.event(s, ev.ParticipantLeft, ref=c.participant, reason=c.reason)]
