"""The event catalogue (SPEC §8): every fact the ledger can record, in the past tense.

Event names are stored with every event (as its topic), so they never change.
An event carries only what happened; the envelope (case, position, actor, times,
command id) is common to all of them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from stafet.domain.values import (
    EffortStatus,
    GiverRole,
    GoalLevel,
    GoalStatus,
    MeetingKind,
    ParticipantKind,
    SubjectKind,
)


class ParticipantInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    ref: str
    kind: ParticipantKind
    title: str | None = None
    name: str | None = None


class ConsentGiver(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    role: GiverRole
    name: str | None = None


class Envelope(BaseModel):
    """What every recorded event carries: where it sits in the log, who, and when."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    recorded_at: datetime
    actor: str
    actor_role: str | None = None
    occurred_at: datetime | None = None
    command_id: str | None = None

    # The shape's version (docs/events.md): raised with each change of the event's fields,
    # together with a static ``upcast_vN_vM(data) -> data`` for the step (stafet.storage.evolution).
    class_version: ClassVar[int] = 1

    @property
    def position(self) -> int:
        return self.originator_version

    @property
    def effective_at(self) -> datetime:
        """When it happened in the world: the business time if given, else when recorded."""
        return self.occurred_at or self.recorded_at

    def data(self) -> dict[str, Any]:
        """The event's own fields, without the envelope."""
        return self.model_dump(mode="json", exclude=set(Envelope.model_fields))


class CaseEvent(Envelope):
    """An event of one case (its stream is the case)."""

    TYPES: ClassVar[dict[str, type[CaseEvent]]] = {}
    PERSONAL: ClassVar[tuple[str, ...]] = ()
    """Fields holding the citizen's personal data (dotted paths; ``[]`` for each list item).
    They are stored encrypted with the citizen's own key and read "[erased]" after erasure."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        CaseEvent.TYPES[cls.__name__] = cls

    @property
    def case_id(self) -> UUID:
        return self.originator_id


# -- the case ---------------------------------------------------------------------------


class CaseOpened(CaseEvent):
    PERSONAL = ("subject_ref", "title", "holder.name")
    subject_ref: str
    subject_kind: SubjectKind
    title: str
    holder: ParticipantInfo
    temporary: bool


class BirthMonthRecorded(CaseEvent):
    """The youth's birth month, recorded once on the case: their age for the consent and
    acceptance rules follows from it (issue 17). Personal data, sealed with their key."""

    PERSONAL = ("birth_month",)
    birth_month: str


class CaseClosed(CaseEvent):
    PERSONAL = ("further_course",)
    further_course: str
    continuing_sector_plans: list[str]
    follow_up_by: str


class CaseReopened(CaseEvent):
    PERSONAL = ("reason",)
    reason: str
    temporary: bool


class PhaseChanged(CaseEvent):
    PERSONAL = ("reason",)
    phase: int
    reason: str | None = None


# -- participants -------------------------------------------------------------------------


class ParticipantJoined(CaseEvent):
    PERSONAL = ("participant.name", "participant.title")
    participant: ParticipantInfo


class ParticipantLeft(CaseEvent):
    PERSONAL = ("reason",)
    ref: str
    reason: str | None = None


# -- the baton ----------------------------------------------------------------------------


class BatonHanded(CaseEvent):
    PERSONAL = ("note",)
    to: str
    note: str | None = None


class BatonGrabbed(CaseEvent):
    pass


class BatonReleased(CaseEvent):
    pass


class BatonConfirmed(CaseEvent):
    """A temporary holder chosen to stay: they now hold the baton permanently (issue 17)."""

    PERSONAL = ("note",)
    note: str | None = None


class BatonDeclined(CaseEvent):
    PERSONAL = ("reason",)
    reason: str | None = None


class HandoverWithdrawn(CaseEvent):
    PERSONAL = ("reason",)
    reason: str | None = None


# -- consent ------------------------------------------------------------------------------


class ConsentGiven(CaseEvent):
    # The purpose is free text and may name the child ("samarbejde om Emma").
    PERSONAL = ("given_by[].name", "purpose")
    consent_id: str
    given_by: list[ConsentGiver]
    purpose: str
    recipients: list[str]
    categories: list[str]
    expires_on: date | None = None
    subject_age: int | None = None


class ConsentRevoked(CaseEvent):
    PERSONAL = ("reason", "revoked_by.name")
    consent_id: str
    reason: str | None = None
    revoked_by: ConsentGiver | None = None  # which of those who gave it withdrew it (issue 17)


class InformationShared(CaseEvent):
    PERSONAL = ("description", "purpose")
    recipient: str
    purpose: str
    categories: list[str]
    description: str
    consent_id: str


# -- the plan -----------------------------------------------------------------------------


class PlanAccepted(CaseEvent):
    PERSONAL = ("accepted_by[].name", "note")
    accepted_by: list[ConsentGiver]
    note: str | None = None


class SituationSummarized(CaseEvent):
    PERSONAL = ("text",)
    text: str


class GoalSet(CaseEvent):
    PERSONAL = ("text",)
    goal_id: str
    level: GoalLevel
    parent_id: str | None = None
    text: str
    target_date: date | None = None


class PlanGoalRevised(CaseEvent):
    PERSONAL = ("text", "reason")
    goal_id: str
    text: str
    reason: str


class GoalStatusChanged(CaseEvent):
    PERSONAL = ("note",)
    goal_id: str
    status: GoalStatus
    note: str | None = None


class EffortPlanned(CaseEvent):
    PERSONAL = ("title",)
    effort_id: str
    title: str
    law: str
    paragraph: str
    provider: str
    starts_on: date | None = None
    ends_on: date | None = None
    goal_ids: list[str] = []


class EffortStatusChanged(CaseEvent):
    PERSONAL = ("note",)
    effort_id: str
    status: EffortStatus
    note: str | None = None


class AgreementMade(CaseEvent):
    PERSONAL = ("text",)
    agreement_id: str
    text: str
    responsible: str
    due_on: date
    meeting_id: str | None = None
    goal_id: str | None = None
    replaces: str | None = None


class AgreementCompleted(CaseEvent):
    PERSONAL = ("note",)
    agreement_id: str
    note: str | None = None


class AgreementCancelled(CaseEvent):
    PERSONAL = ("reason",)
    agreement_id: str
    reason: str


class AgreementReopened(CaseEvent):
    """A completed (or cancelled) agreement is open again: it was closed by mistake, or the
    work is not done after all. The earlier entry stays in the history (issue 17)."""

    PERSONAL = ("reason",)
    agreement_id: str
    reason: str


class CitizenViewRecorded(CaseEvent):
    PERSONAL = ("text",)
    text: str
    given_by: GiverRole
    goal_id: str | None = None


class SectorPlanLinked(CaseEvent):
    PERSONAL = ("reference",)
    sector_plan_id: str
    kind: str
    owner: str
    system: str
    reference: str


# -- meetings -----------------------------------------------------------------------------


class MeetingConvened(CaseEvent):
    PERSONAL = ("place", "agenda")
    meeting_id: str
    kind: MeetingKind
    starts_at: datetime
    place: str
    place_agreed_with_citizen: bool
    invited: list[str]
    agenda: list[str]
    interpreter_language: str | None = None
    advocate_needed: bool = False


class MeetingAgendaChanged(CaseEvent):
    PERSONAL = ("agenda",)
    meeting_id: str
    agenda: list[str]
    late: bool


class MeetingHeld(CaseEvent):
    PERSONAL = ("minutes", "decisions")
    meeting_id: str
    attendees: list[str]
    minutes: str
    decisions: list[str]


class MeetingRescheduled(CaseEvent):
    """A convened meeting moved to another time (and place, if given)."""

    PERSONAL = ("place", "reason")
    meeting_id: str
    starts_at: datetime
    place: str | None = None
    reason: str | None = None


class MeetingHoldWithdrawn(CaseEvent):
    """A meeting recorded as held that was not: it is convened again, its minutes and
    decisions no longer count (they stay in the history). Agreements made at it stay; they
    are entries of their own and are cancelled on their own if they do not hold."""

    PERSONAL = ("reason",)
    meeting_id: str
    reason: str


class MeetingCancelled(CaseEvent):
    PERSONAL = ("reason",)
    meeting_id: str
    reason: str


class MinutesSent(CaseEvent):
    meeting_id: str
    recipients: list[str]


# -- the log ------------------------------------------------------------------------------


class NoteLogged(CaseEvent):
    PERSONAL = ("text",)
    text: str


class EntryCorrected(CaseEvent):
    PERSONAL = ("correction", "reason")
    corrects_position: int
    correction: str
    reason: str


class PersonalDataErased(CaseEvent):
    """The citizen's key was deleted: their personal data in this case now reads "[erased]".
    Carries no personal data itself."""

    reason: str


EVENT_TYPES: dict[str, type[CaseEvent]] = dict(CaseEvent.TYPES)
