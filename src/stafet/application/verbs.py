"""One method per command verb of SPEC §11, written out so editors and type checkers see them.

Each builds its command (validated by pydantic: bad input raises ``InvalidCommand`` naming the
field) and hands it to ``execute``, which decides it against the stored case and stores it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TypedDict, Unpack
from uuid import UUID

from stafet.application.unit_of_work import CommandResult
from stafet.domain import commands as c
from stafet.domain.commands import Command
from stafet.domain.values import (
    EffortStatus,
    GiverRole,
    GoalLevel,
    GoalStatus,
    MeetingKind,
    ParticipantKind,
    SubjectKind,
)

CaseId = UUID | str


class Common(TypedDict, total=False):
    """What every command may also carry."""

    actor_role: str | None  # the role the actor acts in (default: as the case knows them)
    command_id: str | None  # re-sending a command with the same id stores it once
    occurred_at: datetime | None  # when it happened, if not now (business time)


class CommandVerbs:
    """The write side of the Ledger, one verb a method."""

    def execute(self, command: Command) -> CommandResult:
        raise NotImplementedError

    def resolve_case(self, ref: CaseId) -> UUID:
        raise NotImplementedError

    # -- the case and its people (SPEC §4) -----------------------------------------------

    def open_case(
        self,
        *,
        actor: str,
        subject_ref: str,
        subject_kind: SubjectKind,
        title: str,
        holder_kind: ParticipantKind = "authority",
        holder_title: str | None = None,
        holder_name: str | None = None,
        temporary: bool = True,
        **common: Unpack[Common],
    ) -> CommandResult:
        """Open a case; the actor holds the baton (temporarily, by default)."""
        return self.execute(
            c.OpenCase(
                actor=actor,
                subject_ref=subject_ref,
                subject_kind=subject_kind,
                title=title,
                holder_kind=holder_kind,
                holder_title=holder_title,
                holder_name=holder_name,
                temporary=temporary,
                **common,
            )
        )

    def join_case(
        self,
        *,
        actor: str,
        case_id: CaseId,
        participant: str,
        kind: ParticipantKind,
        title: str | None = None,
        participant_name: str | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.JoinCase(
                actor=actor,
                case_id=self.resolve_case(case_id),
                participant=participant,
                kind=kind,
                title=title,
                participant_name=participant_name,
                **common,
            )
        )

    def leave_case(
        self,
        *,
        actor: str,
        case_id: CaseId,
        participant: str,
        reason: str | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.LeaveCase(
                actor=actor,
                case_id=self.resolve_case(case_id),
                participant=participant,
                reason=reason,
                **common,
            )
        )

    def close_case(
        self,
        *,
        actor: str,
        case_id: CaseId,
        further_course: str,
        follow_up_by: str,
        continuing_sector_plans: Sequence[str] = (),
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.CloseCase(
                actor=actor,
                case_id=self.resolve_case(case_id),
                further_course=further_course,
                follow_up_by=follow_up_by,
                continuing_sector_plans=list(continuing_sector_plans),
                **common,
            )
        )

    def reopen_case(
        self, *, actor: str, case_id: CaseId, reason: str, **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.ReopenCase(actor=actor, case_id=self.resolve_case(case_id), reason=reason, **common)
        )

    def change_phase(
        self, *, actor: str, case_id: CaseId, phase: int, reason: str | None = None, **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.ChangePhase(
                actor=actor, case_id=self.resolve_case(case_id), phase=phase, reason=reason, **common
            )
        )

    def hand_baton(
        self, *, actor: str, case_id: CaseId, to: str, note: str | None = None, **common: Unpack[Common]
    ) -> CommandResult:
        """Offer the baton; the holder keeps it until ``to`` grabs and the holder releases."""
        return self.execute(
            c.HandBaton(actor=actor, case_id=self.resolve_case(case_id), to=to, note=note, **common)
        )

    def grab_baton(self, *, actor: str, case_id: CaseId, **common: Unpack[Common]) -> CommandResult:
        return self.execute(c.GrabBaton(actor=actor, case_id=self.resolve_case(case_id), **common))

    def release_baton(self, *, actor: str, case_id: CaseId, **common: Unpack[Common]) -> CommandResult:
        """Let go of the baton: refused until another authority has grabbed it."""
        return self.execute(c.ReleaseBaton(actor=actor, case_id=self.resolve_case(case_id), **common))

    def decline_baton(
        self, *, actor: str, case_id: CaseId, reason: str | None = None, **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.DeclineBaton(actor=actor, case_id=self.resolve_case(case_id), reason=reason, **common)
        )

    def withdraw_handover(
        self, *, actor: str, case_id: CaseId, reason: str | None = None, **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.WithdrawHandover(actor=actor, case_id=self.resolve_case(case_id), reason=reason, **common)
        )

    # -- consent (SPEC §6) ---------------------------------------------------------------

    def give_consent(
        self,
        *,
        actor: str,
        case_id: CaseId,
        given_by: Sequence[c.Giver],
        purpose: str,
        recipients: Sequence[str],
        categories: Sequence[str],
        expires_on: date | None = None,
        subject_age: int | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.GiveConsent(
                actor=actor,
                case_id=self.resolve_case(case_id),
                given_by=list(given_by),
                purpose=purpose,
                recipients=list(recipients),
                categories=list(categories),
                expires_on=expires_on,
                subject_age=subject_age,
                **common,
            )
        )

    def revoke_consent(
        self,
        *,
        actor: str,
        case_id: CaseId,
        consent_id: str,
        reason: str | None = None,
        revoked_by: c.Giver | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        """``revoked_by``: which of those who gave it withdrew it (role, and name if known)."""
        return self.execute(
            c.RevokeConsent(
                actor=actor,
                case_id=self.resolve_case(case_id),
                consent_id=consent_id,
                reason=reason,
                revoked_by=revoked_by,
                **common,
            )
        )

    def share_information(
        self,
        *,
        actor: str,
        case_id: CaseId,
        recipient: str,
        purpose: str,
        categories: Sequence[str],
        description: str,
        **common: Unpack[Common],
    ) -> CommandResult:
        """Refused unless an active consent covers the recipient and purpose."""
        return self.execute(
            c.ShareInformation(
                actor=actor,
                case_id=self.resolve_case(case_id),
                recipient=recipient,
                purpose=purpose,
                categories=list(categories),
                description=description,
                **common,
            )
        )

    # -- the plan (SPEC §5) --------------------------------------------------------------

    def accept_plan(
        self,
        *,
        actor: str,
        case_id: CaseId,
        accepted_by: Sequence[c.Giver],
        subject_age: int | None = None,
        note: str | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.AcceptPlan(
                actor=actor,
                case_id=self.resolve_case(case_id),
                accepted_by=list(accepted_by),
                subject_age=subject_age,
                note=note,
                **common,
            )
        )

    def summarize_situation(
        self, *, actor: str, case_id: CaseId, text: str, **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.SummarizeSituation(actor=actor, case_id=self.resolve_case(case_id), text=text, **common)
        )

    def set_goal(
        self,
        *,
        actor: str,
        case_id: CaseId,
        level: GoalLevel,
        text: str,
        parent_id: str | None = None,
        target_date: date | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.SetGoal(
                actor=actor,
                case_id=self.resolve_case(case_id),
                level=level,
                text=text,
                parent_id=parent_id,
                target_date=target_date,
                **common,
            )
        )

    def revise_goal(
        self, *, actor: str, case_id: CaseId, goal_id: str, text: str, reason: str, **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.ReviseGoal(
                actor=actor,
                case_id=self.resolve_case(case_id),
                goal_id=goal_id,
                text=text,
                reason=reason,
                **common,
            )
        )

    def change_goal_status(
        self,
        *,
        actor: str,
        case_id: CaseId,
        goal_id: str,
        status: GoalStatus,
        note: str | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.ChangeGoalStatus(
                actor=actor,
                case_id=self.resolve_case(case_id),
                goal_id=goal_id,
                status=status,
                note=note,
                **common,
            )
        )

    def plan_effort(
        self,
        *,
        actor: str,
        case_id: CaseId,
        title: str,
        law: str,
        paragraph: str,
        provider: str,
        starts_on: date | None = None,
        ends_on: date | None = None,
        goal_ids: Sequence[str] = (),
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.PlanEffort(
                actor=actor,
                case_id=self.resolve_case(case_id),
                title=title,
                law=law,
                paragraph=paragraph,
                provider=provider,
                starts_on=starts_on,
                ends_on=ends_on,
                goal_ids=list(goal_ids),
                **common,
            )
        )

    def change_effort_status(
        self,
        *,
        actor: str,
        case_id: CaseId,
        effort_id: str,
        status: EffortStatus,
        note: str | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.ChangeEffortStatus(
                actor=actor,
                case_id=self.resolve_case(case_id),
                effort_id=effort_id,
                status=status,
                note=note,
                **common,
            )
        )

    def make_agreement(
        self,
        *,
        actor: str,
        case_id: CaseId,
        text: str,
        responsible: str,
        due_on: date,
        goal_id: str | None = None,
        replaces: str | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.MakeAgreement(
                actor=actor,
                case_id=self.resolve_case(case_id),
                text=text,
                responsible=responsible,
                due_on=due_on,
                goal_id=goal_id,
                replaces=replaces,
                **common,
            )
        )

    def complete_agreement(
        self,
        *,
        actor: str,
        case_id: CaseId,
        agreement_id: str,
        note: str | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.CompleteAgreement(
                actor=actor,
                case_id=self.resolve_case(case_id),
                agreement_id=agreement_id,
                note=note,
                **common,
            )
        )

    def cancel_agreement(
        self, *, actor: str, case_id: CaseId, agreement_id: str, reason: str, **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.CancelAgreement(
                actor=actor,
                case_id=self.resolve_case(case_id),
                agreement_id=agreement_id,
                reason=reason,
                **common,
            )
        )

    def record_citizen_view(
        self,
        *,
        actor: str,
        case_id: CaseId,
        text: str,
        given_by: GiverRole = "citizen",
        goal_id: str | None = None,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.RecordCitizenView(
                actor=actor,
                case_id=self.resolve_case(case_id),
                text=text,
                given_by=given_by,
                goal_id=goal_id,
                **common,
            )
        )

    def link_sector_plan(
        self,
        *,
        actor: str,
        case_id: CaseId,
        kind: str,
        owner: str,
        system: str,
        reference: str,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.LinkSectorPlan(
                actor=actor,
                case_id=self.resolve_case(case_id),
                kind=kind,
                owner=owner,
                system=system,
                reference=reference,
                **common,
            )
        )

    # -- meetings (SPEC §7) and the log ----------------------------------------------------

    def convene_meeting(
        self,
        *,
        actor: str,
        case_id: CaseId,
        starts_at: datetime,
        place: str,
        invited: Sequence[str],
        agenda: Sequence[str],
        place_agreed_with_citizen: bool = False,
        kind: MeetingKind = "coordinating",
        interpreter_language: str | None = None,
        advocate_needed: bool = False,
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.ConveneMeeting(
                actor=actor,
                case_id=self.resolve_case(case_id),
                starts_at=starts_at,
                place=place,
                invited=list(invited),
                agenda=list(agenda),
                place_agreed_with_citizen=place_agreed_with_citizen,
                kind=kind,
                interpreter_language=interpreter_language,
                advocate_needed=advocate_needed,
                **common,
            )
        )

    def change_agenda(
        self, *, actor: str, case_id: CaseId, meeting_id: str, agenda: Sequence[str], **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.ChangeAgenda(
                actor=actor,
                case_id=self.resolve_case(case_id),
                meeting_id=meeting_id,
                agenda=list(agenda),
                **common,
            )
        )

    def hold_meeting(
        self,
        *,
        actor: str,
        case_id: CaseId,
        meeting_id: str,
        attendees: Sequence[str],
        minutes: str,
        decisions: Sequence[str] = (),
        agreements: Sequence[c.AgreementTerms] = (),
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.HoldMeeting(
                actor=actor,
                case_id=self.resolve_case(case_id),
                meeting_id=meeting_id,
                attendees=list(attendees),
                minutes=minutes,
                decisions=list(decisions),
                agreements=list(agreements),
                **common,
            )
        )

    def cancel_meeting(
        self, *, actor: str, case_id: CaseId, meeting_id: str, reason: str, **common: Unpack[Common]
    ) -> CommandResult:
        return self.execute(
            c.CancelMeeting(
                actor=actor,
                case_id=self.resolve_case(case_id),
                meeting_id=meeting_id,
                reason=reason,
                **common,
            )
        )

    def send_minutes(
        self,
        *,
        actor: str,
        case_id: CaseId,
        meeting_id: str,
        recipients: Sequence[str] = (),
        **common: Unpack[Common],
    ) -> CommandResult:
        return self.execute(
            c.SendMinutes(
                actor=actor,
                case_id=self.resolve_case(case_id),
                meeting_id=meeting_id,
                recipients=list(recipients),
                **common,
            )
        )

    def log_note(self, *, actor: str, case_id: CaseId, text: str, **common: Unpack[Common]) -> CommandResult:
        return self.execute(c.LogNote(actor=actor, case_id=self.resolve_case(case_id), text=text, **common))

    def correct_entry(
        self,
        *,
        actor: str,
        case_id: CaseId,
        position: int,
        correction: str,
        reason: str,
        **common: Unpack[Common],
    ) -> CommandResult:
        """Correct an earlier entry by a new event that points at it (nothing is edited)."""
        return self.execute(
            c.CorrectEntry(
                actor=actor,
                case_id=self.resolve_case(case_id),
                position=position,
                correction=correction,
                reason=reason,
                **common,
            )
        )

    # -- undoing and confirming (issue 17) -------------------------------------------------

    def confirm_baton(
        self, *, actor: str, case_id: CaseId, note: str | None = None, **common: Unpack[Common]
    ) -> CommandResult:
        """The temporary holder stays: they hold the baton permanently from now on."""
        return self.execute(c.ConfirmBaton(
            actor=actor, case_id=self.resolve_case(case_id), note=note, **common))

    def reopen_agreement(
        self, *, actor: str, case_id: CaseId, agreement_id: str, reason: str,
        **common: Unpack[Common],
    ) -> CommandResult:
        """A completed or cancelled agreement is open again."""
        return self.execute(c.ReopenAgreement(
            actor=actor, case_id=self.resolve_case(case_id), agreement_id=agreement_id,
            reason=reason, **common))

    def reschedule_meeting(
        self, *, actor: str, case_id: CaseId, meeting_id: str, starts_at: datetime,
        place: str | None = None, reason: str | None = None, **common: Unpack[Common],
    ) -> CommandResult:
        """Move a convened meeting to another time (and place)."""
        return self.execute(c.RescheduleMeeting(
            actor=actor, case_id=self.resolve_case(case_id), meeting_id=meeting_id,
            starts_at=starts_at, place=place, reason=reason, **common))

    def withdraw_meeting_held(
        self, *, actor: str, case_id: CaseId, meeting_id: str, reason: str,
        **common: Unpack[Common],
    ) -> CommandResult:
        """A meeting wrongly recorded as held is marked as not held (convened again)."""
        return self.execute(c.WithdrawMeetingHeld(
            actor=actor, case_id=self.resolve_case(case_id), meeting_id=meeting_id,
            reason=reason, **common))
