"""The current state of one case: a left fold of its events (see ``evolve``).

Immutable: every event yields a new ``CaseState``. It satisfies eventsourcing's
immutable-aggregate protocol (``id`` and ``version``), so the library's repository
and snapshot store can hold it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from stafet.domain.events import ConsentGiver
from stafet.domain.values import (
    BATON_KINDS,
    EffortStatus,
    GiverRole,
    GoalLevel,
    GoalStatus,
    MeetingKind,
    ParticipantKind,
    SubjectKind,
)

BatonStage = Literal["held", "offered", "exchange"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


@dataclass(frozen=True)
class Exchange:
    """A hand-over under way: the baton goes from ``outgoing`` to ``incoming``; ``state`` is
    'offered' (handed, not yet grabbed) or 'exchange' (grabbed, not yet released)."""

    state: Literal["offered", "exchange"]
    outgoing: str
    incoming: str

    def as_json(self) -> dict[str, str]:
        """The shape SPEC §11 gives it: ``{from, to, state}``."""
        return {"from": self.outgoing, "to": self.incoming, "state": self.state}


class Baton(_Frozen):
    """HELD(holder) | OFFERED(holder -> offered_to) | EXCHANGE(outgoing -> holder, holder holds)."""

    stage: BatonStage
    holder: str
    offered_to: str | None = None
    outgoing: str | None = None
    temporary: bool = False
    since: datetime
    changed_at: datetime | None = None  # when the baton last moved (hand, grab, release, ...)

    @property
    def last_change(self) -> datetime:
        return self.changed_at or self.since

    @property
    def exchange(self) -> Exchange | None:
        """The hand-over under way, if any (None while the baton is simply held)."""
        if self.stage == "offered" and self.offered_to is not None:
            return Exchange("offered", outgoing=self.holder, incoming=self.offered_to)
        if self.stage == "exchange" and self.outgoing is not None:
            return Exchange("exchange", outgoing=self.outgoing, incoming=self.holder)
        return None


class Hold(_Frozen):
    """One holder's time with the baton; two overlap during an exchange."""

    holder: str
    since: datetime
    since_position: int
    temporary: bool = False
    until: datetime | None = None
    until_position: int | None = None
    ended: str | None = None  # "released to X" | "case closed"


class Participant(_Frozen):
    ref: str
    kind: ParticipantKind
    title: str | None = None
    name: str | None = None
    active: bool = True
    joined_at: datetime
    left_at: datetime | None = None
    left_position: int | None = None  # the entry that took them off (None in older snapshots)

    @property
    def may_hold_baton(self) -> bool:
        return self.active and self.kind in BATON_KINDS


class Consent(_Frozen):
    consent_id: str
    given_by: list[ConsentGiver]
    purpose: str
    recipients: list[str]
    categories: list[str]
    expires_on: date | None = None
    subject_age: int | None = None
    given_at: datetime
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    revoked_by: ConsentGiver | None = None


class Goal(_Frozen):
    goal_id: str
    level: GoalLevel
    parent_id: str | None = None
    text: str
    status: GoalStatus = "open"
    target_date: date | None = None
    revisions: int = 0


class Effort(_Frozen):
    effort_id: str
    title: str
    law: str
    paragraph: str
    provider: str
    starts_on: date | None = None
    ends_on: date | None = None
    goal_ids: list[str] = []
    status: EffortStatus = "planned"


AgreementStatus = Literal["open", "completed", "cancelled", "reassigned"]


class Agreement(_Frozen):
    agreement_id: str
    text: str
    responsible: str
    due_on: date
    meeting_id: str | None = None
    goal_id: str | None = None
    status: AgreementStatus = "open"
    made_at: datetime
    replaced_by: str | None = None


class CitizenView(_Frozen):
    text: str
    given_by: GiverRole
    goal_id: str | None = None
    recorded_at: datetime


class SectorPlan(_Frozen):
    sector_plan_id: str
    kind: str
    owner: str
    system: str
    reference: str


MeetingStatus = Literal["convened", "held", "cancelled"]


class Meeting(_Frozen):
    meeting_id: str
    kind: MeetingKind
    starts_at: datetime
    place: str
    place_agreed_with_citizen: bool
    invited: list[str]
    agenda: list[str]
    interpreter_language: str | None = None
    advocate_needed: bool = False
    status: MeetingStatus = "convened"
    late_agenda_changes: int = 0
    attendees: list[str] = []
    minutes: str | None = None
    decisions: list[str] = []
    minutes_sent: bool = False
    reschedules: int = 0  # times moved to another time or place (MeetingRescheduled)
    hold_withdrawn: int = 0  # times a wrong "held" was withdrawn (MeetingHoldWithdrawn)
    convened_at: datetime | None = None  # business time of the convening (None: older snapshots)


class Correction(_Frozen):
    """A later entry that corrects an earlier one (the earlier entry itself never changes)."""

    position: int  # the correcting entry
    corrects_position: int
    correction: str
    reason: str
    actor: str
    at: datetime


class PlanAcceptance(_Frozen):
    accepted_by: list[ConsentGiver]
    accepted_at: datetime


class Closure(_Frozen):
    further_course: str
    continuing_sector_plans: list[str]
    follow_up_by: str
    closed_at: datetime


class CaseState(_Frozen):
    id: UUID
    version: int
    subject_ref: str
    subject_kind: SubjectKind
    title: str
    subject_birth_month: str | None = None  # 'YYYY-MM', a child's case (BirthMonthRecorded)
    status: Literal["open", "closed"] = "open"
    phase: int = 1
    opened_at: datetime
    baton: Baton
    participants: dict[str, Participant]
    consents: dict[str, Consent] = {}
    plan_acceptance: PlanAcceptance | None = None
    summary: str | None = None
    goals: dict[str, Goal] = {}
    efforts: dict[str, Effort] = {}
    agreements: dict[str, Agreement] = {}
    citizen_views: list[CitizenView] = []
    sector_plans: dict[str, SectorPlan] = {}
    meetings: dict[str, Meeting] = {}
    closure: Closure | None = None
    holds: list[Hold] = []
    corrections: list[Correction] = []
    personal_data_erased: bool = False

    @property
    def holders(self) -> list[str]:
        """Everyone listed as holding the baton: two during an exchange, else one."""
        if self.baton.stage == "exchange" and self.baton.outgoing:
            return [self.baton.outgoing, self.baton.holder]
        return [self.baton.holder]

    def active_participant(self, ref: str) -> Participant | None:
        participant = self.participants.get(ref)
        return participant if participant is not None and participant.active else None

    def open_agreements(self) -> list[Agreement]:
        return [a for a in self.agreements.values() if a.status == "open"]


class CaseSnapshot(BaseModel):
    """The whole state of a case at one position; kept beside the log, never in it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    PERSONAL: ClassVar[tuple[str, ...]] = ("state",)

    originator_id: UUID
    originator_version: int
    state: CaseState

    @classmethod
    def take(cls, state: CaseState) -> CaseSnapshot:
        return cls(originator_id=state.id, originator_version=state.version, state=state)
