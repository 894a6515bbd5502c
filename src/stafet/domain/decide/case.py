"""Opening, phases, closing and reopening a case (SPEC §4)."""

from __future__ import annotations

from collections.abc import Callable

from stafet.domain import events as ev
from stafet.domain.commands import ChangePhase, CloseCase, OpenCase, RecordBirthMonth, ReopenCase
from stafet.domain.decide.context import Context
from stafet.domain.decide.registry import handles
from stafet.domain.errors import RuleViolation
from stafet.domain.rules import (
    refuse,
    require_baton_eligible,
    require_holder,
    require_known,
    require_no_open_handover,
    require_open,
    require_participant,
)
from stafet.domain.state import CaseState
from stafet.domain.values import BATON_KINDS


def open_case(c: OpenCase, ctx: Context) -> list[ev.CaseEvent]:
    if c.holder_kind not in BATON_KINDS:
        refuse(
            "case.opener",
            "a case is opened by a professional of an authority or a provider, who holds "
            "the baton",
        )
    holder = ev.ParticipantInfo(
        ref=c.actor, kind=c.holder_kind, title=c.holder_title, name=c.holder_name
    )
    return [
        ctx.event(
            None, ev.CaseOpened, subject_ref=c.subject_ref, subject_kind=c.subject_kind,
            title=c.title, holder=holder, temporary=c.temporary,
        )
    ]


@handles(RecordBirthMonth)
def record_birth_month(s: CaseState, c: RecordBirthMonth, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "record the birth month")
    if c.birth_month > f"{ctx.today:%Y-%m}":
        refuse("case.birth_month", f"the birth month {c.birth_month} lies in the future")
    if s.subject_birth_month == c.birth_month:
        refuse("case.birth_month", f"the birth month {c.birth_month} is already recorded")
    return [ctx.event(s, ev.BirthMonthRecorded, birth_month=c.birth_month)]


@handles(ChangePhase)
def change_phase(s: CaseState, c: ChangePhase, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "change the phase")
    if c.phase == s.phase:
        refuse("phase.unchanged", f"the case is already in phase {c.phase}")
    return [ctx.event(s, ev.PhaseChanged, phase=c.phase, reason=c.reason)]


def unmet_closing_conditions(s: CaseState, actor: str) -> list[RuleViolation]:
    """Everything that stands in the way of ``actor`` closing the case now, each as the refusal
    ``close`` would give (code and sentence), in the order ``close`` checks them; empty when
    nothing does. The one list of closing conditions: ``close`` refuses with its first, and
    ``stafet case close --check`` shows them all ("when may I let go of the case?")."""
    unmet: list[RuleViolation] = []
    checks: list[Callable[[], object]] = [
        lambda: require_open(s),
        lambda: require_holder(s, actor, "close the case"),
        lambda: require_no_open_handover(s, "close the case"),
    ]
    for check in checks:
        try:
            check()
        except RuleViolation as refusal:
            unmet.append(refusal)
    still_open = [a.agreement_id for a in s.open_agreements()]
    if still_open:
        unmet.append(RuleViolation(
            f"{len(still_open)} agreement(s) are still open ({', '.join(still_open)}); "
            "complete, cancel or reassign them before closing", code="case.open_agreements"))
    return unmet


@handles(CloseCase)
def close(s: CaseState, c: CloseCase, ctx: Context) -> list[ev.CaseEvent]:
    unmet = unmet_closing_conditions(s, c.actor)
    if unmet and unmet[0].code != "case.open_agreements":
        raise unmet[0]
    require_participant(s, c.follow_up_by)
    for sector_plan_id in c.continuing_sector_plans:
        require_known(s.sector_plans, sector_plan_id, "sector plan")
    if unmet:
        raise unmet[0]
    return [
        ctx.event(
            s, ev.CaseClosed, further_course=c.further_course,
            continuing_sector_plans=c.continuing_sector_plans, follow_up_by=c.follow_up_by,
        )
    ]


@handles(ReopenCase)
def reopen(s: CaseState, c: ReopenCase, ctx: Context) -> list[ev.CaseEvent]:
    if s.status != "closed":
        refuse("case.not_closed", "the case is open; only a closed case can be reopened")
    require_baton_eligible(s, c.actor)
    # Whoever reopens holds the baton; anyone but the last holder only temporarily (SPEC §4).
    temporary = c.actor != s.baton.holder or s.baton.temporary
    return [ctx.event(s, ev.CaseReopened, reason=c.reason, temporary=temporary)]
