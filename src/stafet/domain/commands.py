"""Commands: what a user asks the ledger to do, validated field by field before anything runs.

A command is input, not a fact; the domain decides which events (if any) follow.
Each command has a stable name (``baton.hand``) used by the CLI and by JSONL batches.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from stafet.domain.errors import InvalidCommand, cut
from stafet.domain.values import (
    BirthMonth,
    CommandId,
    Day,
    EffortStatus,
    EntityId,
    GiverRole,
    GoalLevel,
    GoalStatus,
    Label,
    MeetingKind,
    MeetingTime,
    Moment,
    ParticipantKind,
    ParticipantRef,
    Purpose,
    Recipient,
    ShortText,
    SubjectKind,
    SubjectRef,
    Text,
)


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    name: ClassVar[str]
    REGISTRY: ClassVar[dict[str, type[Command]]] = {}

    actor: ParticipantRef
    actor_role: ShortText | None = None
    command_id: CommandId | None = None
    occurred_at: Moment | None = None

    def __init__(self, /, **data: Any) -> None:
        # Built from Python (Ledger.hand_baton(...)): bad input is one sentence naming the
        # field, exactly as from the CLI or a batch (build_command).
        try:
            super().__init__(**data)
        except ValidationError as error:
            raise InvalidCommand(describe_validation_error(error, self.name),
                                 field=failed_field(error)) from None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            Command.REGISTRY[cls.name] = cls

    @model_validator(mode="before")
    @classmethod
    def _no_nul_anywhere(cls, data: Any) -> Any:
        # NUL is no character of any text a person writes, and PostgreSQL cannot store it.
        where = _nul_path(data)
        if where is not None:
            raise ValueError(f"{where or 'input'} must not contain NUL (\\x00) characters")
        return data


def _nul_path(value: Any, path: str = "") -> str | None:
    """The dotted path of the first text holding a NUL character, or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else (
        enumerate(value) if isinstance(value, list | tuple) else ())
    for key, item in items:
        if isinstance(key, str) and "\x00" in key:
            return path or "input"
        found = _nul_path(item, f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


class CaseCommand(Command):
    """A command about an existing case."""

    case_id: UUID


class Giver(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    role: GiverRole
    name: ShortText | None = None


class NewParticipant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    kind: ParticipantKind
    title: ShortText | None = None
    name: ShortText | None = None


# -- the case ---------------------------------------------------------------------------


class OpenCase(Command):
    """Open a coordination case; the actor holds the baton (temporarily, by default)."""

    name = "case.open"
    subject_ref: SubjectRef
    subject_kind: SubjectKind
    title: ShortText
    holder_kind: ParticipantKind = "authority"
    holder_title: ShortText | None = None
    holder_name: ShortText | None = None
    temporary: bool = True


class JoinCase(CaseCommand):
    name = "case.join"
    participant: ParticipantRef
    kind: ParticipantKind
    title: ShortText | None = None
    participant_name: ShortText | None = None


class LeaveCase(CaseCommand):
    name = "case.leave"
    participant: ParticipantRef
    reason: ShortText | None = None


class RecordBirthMonth(CaseCommand):
    name = "case.birth-month"
    birth_month: BirthMonth


class CloseCase(CaseCommand):
    name = "case.close"
    further_course: Text
    follow_up_by: ParticipantRef
    continuing_sector_plans: list[EntityId] = []


class ReopenCase(CaseCommand):
    name = "case.reopen"
    reason: Text


class ChangePhase(CaseCommand):
    name = "phase"
    phase: int = Field(ge=1, le=3)
    reason: ShortText | None = None


# -- the baton ----------------------------------------------------------------------------


class HandBaton(CaseCommand):
    name = "baton.hand"
    to: ParticipantRef
    note: ShortText | None = None


class GrabBaton(CaseCommand):
    name = "baton.grab"


class ReleaseBaton(CaseCommand):
    name = "baton.release"


class ConfirmBaton(CaseCommand):
    """The temporary holder stays: they hold the baton permanently from now on."""

    name = "baton.confirm"
    note: ShortText | None = None


class DeclineBaton(CaseCommand):
    name = "baton.decline"
    reason: ShortText | None = None


class WithdrawHandover(CaseCommand):
    name = "baton.withdraw"
    reason: ShortText | None = None


# -- consent ------------------------------------------------------------------------------


class GiveConsent(CaseCommand):
    name = "consent.give"
    given_by: list[Giver] = Field(min_length=1)
    purpose: Purpose
    recipients: list[Recipient] = Field(min_length=1)
    categories: list[Label] = Field(min_length=1)
    expires_on: Day | None = None
    subject_age: int | None = Field(default=None, ge=0, le=17)


class RevokeConsent(CaseCommand):
    name = "consent.revoke"
    consent_id: EntityId
    reason: ShortText | None = None
    revoked_by: Giver | None = None


class ShareInformation(CaseCommand):
    name = "share"
    recipient: ParticipantRef
    purpose: Purpose
    categories: list[Label] = Field(min_length=1)
    description: Text


# -- the plan -----------------------------------------------------------------------------


class AcceptPlan(CaseCommand):
    name = "plan.accept"
    accepted_by: list[Giver] = Field(min_length=1)
    subject_age: int | None = Field(default=None, ge=0, le=17)
    note: ShortText | None = None


class SummarizeSituation(CaseCommand):
    name = "plan.summary"
    text: Text


class SetGoal(CaseCommand):
    name = "goal.set"
    level: GoalLevel
    text: Text
    parent_id: EntityId | None = None
    target_date: Day | None = None


class ReviseGoal(CaseCommand):
    name = "goal.revise"
    goal_id: EntityId
    text: Text
    reason: ShortText


class ChangeGoalStatus(CaseCommand):
    name = "goal.status"
    goal_id: EntityId
    status: GoalStatus
    note: ShortText | None = None


class PlanEffort(CaseCommand):
    name = "effort.plan"
    title: ShortText
    law: ShortText
    paragraph: ShortText
    provider: ParticipantRef
    starts_on: Day | None = None
    ends_on: Day | None = None
    goal_ids: list[EntityId] = []

    @model_validator(mode="after")
    def _period(self) -> PlanEffort:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class ChangeEffortStatus(CaseCommand):
    name = "effort.status"
    effort_id: EntityId
    status: EffortStatus
    note: ShortText | None = None


class AgreementTerms(BaseModel):
    """One agreement: who does what, by when."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    text: Text
    responsible: ParticipantRef
    due_on: Day
    goal_id: EntityId | None = None


class MakeAgreement(CaseCommand, AgreementTerms):
    name = "agreement.make"
    replaces: EntityId | None = None


class CompleteAgreement(CaseCommand):
    name = "agreement.complete"
    agreement_id: EntityId
    note: ShortText | None = None


class CancelAgreement(CaseCommand):
    name = "agreement.cancel"
    agreement_id: EntityId
    reason: ShortText


class ReopenAgreement(CaseCommand):
    name = "agreement.reopen"
    agreement_id: EntityId
    reason: ShortText


class RecordCitizenView(CaseCommand):
    name = "view"
    text: Text
    given_by: GiverRole = "citizen"
    goal_id: EntityId | None = None


class LinkSectorPlan(CaseCommand):
    name = "sectorplan.link"
    kind: ShortText
    owner: ParticipantRef
    system: ShortText
    reference: ShortText


# -- meetings -----------------------------------------------------------------------------


class ConveneMeeting(CaseCommand):
    name = "meeting.convene"
    starts_at: MeetingTime
    place: ShortText
    place_agreed_with_citizen: bool = False
    invited: list[ParticipantRef] = Field(min_length=1)
    agenda: list[ShortText] = Field(min_length=1)
    kind: MeetingKind = "coordinating"
    interpreter_language: ShortText | None = None
    advocate_needed: bool = False


class ChangeAgenda(CaseCommand):
    name = "meeting.agenda"
    meeting_id: EntityId
    agenda: list[ShortText] = Field(min_length=1)


class HoldMeeting(CaseCommand):
    name = "meeting.hold"
    meeting_id: EntityId
    attendees: list[ParticipantRef] = Field(min_length=1)
    minutes: Text
    decisions: list[ShortText] = []
    agreements: list[AgreementTerms] = []


class RescheduleMeeting(CaseCommand):
    name = "meeting.reschedule"
    meeting_id: EntityId
    starts_at: MeetingTime
    place: ShortText | None = None
    reason: ShortText | None = None


class WithdrawMeetingHeld(CaseCommand):
    """A meeting wrongly recorded as held is marked as not held: convened again."""

    name = "meeting.not-held"
    meeting_id: EntityId
    reason: ShortText


class CancelMeeting(CaseCommand):
    name = "meeting.cancel"
    meeting_id: EntityId
    reason: ShortText


class SendMinutes(CaseCommand):
    name = "meeting.minutes-sent"
    meeting_id: EntityId
    recipients: list[ParticipantRef] = []


# -- the log ------------------------------------------------------------------------------


class LogNote(CaseCommand):
    name = "note"
    text: Text


class CorrectEntry(CaseCommand):
    name = "correct"
    position: int = Field(ge=1)
    correction: Text
    reason: ShortText


class EraseCase(CaseCommand):
    """Record that the citizen's personal data in this case is erased (see Ledger.erase_subject)."""

    name = "erase"
    reason: ShortText


# What a person or a batch may send. Erasure is not among them: it is one act with the key's
# deletion (Ledger.erase_subject, `stafet erase`), never an event on its own.
COMMANDS: dict[str, type[Command]] = {
    name: cls for name, cls in Command.REGISTRY.items()
    if issubclass(cls, CaseCommand | OpenCase) and cls is not EraseCase
}


def describe_validation_error(error: ValidationError, command_name: str | None = None) -> str:
    """One sentence naming the first field that failed and why."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if not field:
        # A check across fields (a model validator) starts its message with the field it blames.
        field, _, message = message.partition(" ")
    if first["type"] == "extra_forbidden":
        message = "is not a field of this command"
    elif first["type"] == "missing":
        message = "is required"
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    prefix = f"{command_name}: " if command_name else ""
    return f"{prefix}field '{cut(field)}' {message[0].lower()}{message[1:]}".rstrip(".") + "."


def build_command(name: str, fields: dict[str, Any]) -> Command:
    """Validate raw input (CLI flags, a JSONL line) into a command, or raise InvalidCommand."""
    try:
        cls = COMMANDS[name]
    except KeyError:
        known = ", ".join(sorted(COMMANDS))
        raise InvalidCommand(f"unknown command '{cut(name)}'; known commands: {known}.") from None
    try:
        return cls.model_validate(fields)
    except ValidationError as error:
        raise InvalidCommand(describe_validation_error(error, name),
                             field=failed_field(error)) from None


def failed_field(error: ValidationError) -> str | None:
    """The dotted path of the first field that failed (as ``describe_validation_error`` names it)."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return field or first["msg"].removeprefix("Value error, ").partition(" ")[0] or None


_ACTOR: TypeAdapter[str] = TypeAdapter(ParticipantRef, config=ConfigDict(defer_build=True))


def valid_actor(actor: str | None) -> str:
    """Who acts or reads, as ``person@org``; anything else is refused before anything runs."""
    try:
        return _ACTOR.validate_python(actor)
    except ValidationError:
        raise InvalidCommand(
            "say who you are: --as person@org (every act and every read of personal data is "
            "checked and logged)."
        ) from None
