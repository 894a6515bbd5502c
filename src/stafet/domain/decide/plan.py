"""The five-part plan (SPEC §5): acceptance first, then summary, goals, efforts,
agreements and the citizen's own views; sector plans are linked, not copied."""

from __future__ import annotations

from stafet.domain import events as ev
from stafet.domain.commands import (
    AcceptPlan,
    AgreementTerms,
    CancelAgreement,
    ChangeEffortStatus,
    ChangeGoalStatus,
    CompleteAgreement,
    LinkSectorPlan,
    MakeAgreement,
    PlanEffort,
    RecordCitizenView,
    ReopenAgreement,
    ReviseGoal,
    SetGoal,
    SummarizeSituation,
)
from stafet.domain.decide.context import Context
from stafet.domain.decide.registry import handles
from stafet.domain.rules import (
    a,
    check_givers,
    refuse,
    require_known,
    require_participant,
    require_plan_accepted,
    subject_age,
)
from stafet.domain.state import Agreement, CaseState

# Which level a goal's parent must have.
PARENT_LEVEL = {"overall": None, "sub": "overall", "progression": "sub"}


@handles(AcceptPlan)
def accept(s: CaseState, c: AcceptPlan, ctx: Context) -> list[ev.CaseEvent]:
    if s.plan_acceptance is not None:
        refuse("plan.accepted", "the plan has already been accepted")
    check_givers(s, (g.role for g in c.accepted_by), subject_age(s, c.subject_age, ctx.today),
                 ctx.policy)
    givers = [ev.ConsentGiver(role=g.role, name=g.name) for g in c.accepted_by]
    return [ctx.event(s, ev.PlanAccepted, accepted_by=givers, note=c.note)]


@handles(SummarizeSituation)
def summarize(s: CaseState, c: SummarizeSituation, ctx: Context) -> list[ev.CaseEvent]:
    require_plan_accepted(s)
    return [ctx.event(s, ev.SituationSummarized, text=c.text)]


@handles(SetGoal)
def set_goal(s: CaseState, c: SetGoal, ctx: Context) -> list[ev.CaseEvent]:
    require_plan_accepted(s)
    wanted = PARENT_LEVEL[c.level]
    if wanted is None and c.parent_id is not None:
        refuse("goal.parent", "an overall goal has no parent goal")
    if wanted is not None:
        if c.parent_id is None:
            refuse("goal.parent", f"{a(c.level)} goal needs a parent {wanted} goal (parent_id)")
        parent = require_known(s.goals, c.parent_id, "goal")
        if parent.level != wanted:
            refuse(
                "goal.parent",
                f"{a(c.level)} goal's parent must be {a(wanted)} goal; {c.parent_id} is "
                f"{parent.level}",
            )
    return [
        ctx.event(
            s, ev.GoalSet, goal_id=f"G{len(s.goals) + 1}", level=c.level,
            parent_id=c.parent_id, text=c.text, target_date=c.target_date,
        )
    ]


@handles(ReviseGoal)
def revise_goal(s: CaseState, c: ReviseGoal, ctx: Context) -> list[ev.CaseEvent]:
    require_plan_accepted(s)
    goal = require_known(s.goals, c.goal_id, "goal")
    if goal.text == c.text:
        refuse("goal.unchanged", f"goal {c.goal_id} already reads exactly so")
    return [ctx.event(s, ev.PlanGoalRevised, goal_id=c.goal_id, text=c.text, reason=c.reason)]


@handles(ChangeGoalStatus)
def change_goal_status(s: CaseState, c: ChangeGoalStatus, ctx: Context) -> list[ev.CaseEvent]:
    require_plan_accepted(s)
    goal = require_known(s.goals, c.goal_id, "goal")
    if goal.status == c.status:
        refuse("goal.unchanged", f"goal {c.goal_id} is already {c.status}")
    return [
        ctx.event(s, ev.GoalStatusChanged, goal_id=c.goal_id, status=c.status, note=c.note)
    ]


@handles(PlanEffort)
def plan_effort(s: CaseState, c: PlanEffort, ctx: Context) -> list[ev.CaseEvent]:
    require_plan_accepted(s)
    require_participant(s, c.provider)
    for goal_id in c.goal_ids:
        require_known(s.goals, goal_id, "goal")
    return [
        ctx.event(
            s, ev.EffortPlanned, effort_id=f"E{len(s.efforts) + 1}", title=c.title, law=c.law,
            paragraph=c.paragraph, provider=c.provider, starts_on=c.starts_on,
            ends_on=c.ends_on, goal_ids=c.goal_ids,
        )
    ]


@handles(ChangeEffortStatus)
def change_effort_status(
    s: CaseState, c: ChangeEffortStatus, ctx: Context
) -> list[ev.CaseEvent]:
    require_plan_accepted(s)
    effort = require_known(s.efforts, c.effort_id, "effort")
    if effort.status == c.status:
        refuse("effort.unchanged", f"effort {c.effort_id} is already {c.status}")
    return [
        ctx.event(s, ev.EffortStatusChanged, effort_id=c.effort_id, status=c.status, note=c.note)
    ]


def agreement_made(
    s: CaseState,
    terms: AgreementTerms,
    ctx: Context,
    meeting_id: str | None = None,
    replaces: str | None = None,
) -> ev.AgreementMade:
    """An agreement: who does what, by when. Made alone or at a meeting."""
    require_plan_accepted(s)
    require_participant(s, terms.responsible)
    if terms.due_on < ctx.today:
        refuse("agreement.due", "due_on is before the day the agreement is made")
    if terms.goal_id is not None:
        require_known(s.goals, terms.goal_id, "goal")
    if replaces is not None:
        _require_open_agreement(s, replaces)
    return ctx.event(
        s, ev.AgreementMade, agreement_id=f"A{len(s.agreements) + 1}", text=terms.text,
        responsible=terms.responsible, due_on=terms.due_on, meeting_id=meeting_id,
        goal_id=terms.goal_id, replaces=replaces,
    )


def _require_open_agreement(s: CaseState, agreement_id: str) -> Agreement:
    agreement = require_known(s.agreements, agreement_id, "agreement")
    if agreement.status != "open":
        refuse("agreement.closed", f"agreement {agreement_id} is already {agreement.status}")
    return agreement


@handles(MakeAgreement)
def make_agreement(s: CaseState, c: MakeAgreement, ctx: Context) -> list[ev.CaseEvent]:
    return [agreement_made(s, c, ctx, replaces=c.replaces)]


def _require_answerable(s: CaseState, agreement: Agreement, actor: str, doing: str) -> None:
    """An agreement is closed by whoever answers for it, or by the holder who coordinates."""
    if actor not in (agreement.responsible, s.baton.holder):
        refuse("agreement.not_responsible",
               f"only {agreement.responsible} (responsible) or the holder ({s.baton.holder}) "
               f"can {doing} agreement {agreement.agreement_id}")


@handles(CompleteAgreement)
def complete_agreement(s: CaseState, c: CompleteAgreement, ctx: Context) -> list[ev.CaseEvent]:
    agreement = _require_open_agreement(s, c.agreement_id)
    _require_answerable(s, agreement, c.actor, "complete")
    return [ctx.event(s, ev.AgreementCompleted, agreement_id=c.agreement_id, note=c.note)]


@handles(CancelAgreement)
def cancel_agreement(s: CaseState, c: CancelAgreement, ctx: Context) -> list[ev.CaseEvent]:
    agreement = _require_open_agreement(s, c.agreement_id)
    _require_answerable(s, agreement, c.actor, "cancel")
    return [ctx.event(s, ev.AgreementCancelled, agreement_id=c.agreement_id, reason=c.reason)]


@handles(ReopenAgreement)
def reopen_agreement(s: CaseState, c: ReopenAgreement, ctx: Context) -> list[ev.CaseEvent]:
    agreement = require_known(s.agreements, c.agreement_id, "agreement")
    if agreement.status not in ("completed", "cancelled"):
        refuse("agreement.not_closed",
               f"agreement {c.agreement_id} is {agreement.status}; only a completed or cancelled "
               "agreement can be reopened")
    _require_answerable(s, agreement, c.actor, "reopen")
    return [ctx.event(s, ev.AgreementReopened, agreement_id=c.agreement_id, reason=c.reason)]


@handles(RecordCitizenView)
def record_view(s: CaseState, c: RecordCitizenView, ctx: Context) -> list[ev.CaseEvent]:
    require_plan_accepted(s)
    if c.goal_id is not None:
        require_known(s.goals, c.goal_id, "goal")
    return [
        ctx.event(s, ev.CitizenViewRecorded, text=c.text, given_by=c.given_by, goal_id=c.goal_id)
    ]


@handles(LinkSectorPlan)
def link_sector_plan(s: CaseState, c: LinkSectorPlan, ctx: Context) -> list[ev.CaseEvent]:
    require_participant(s, c.owner)
    return [
        ctx.event(
            s, ev.SectorPlanLinked, sector_plan_id=f"SP{len(s.sector_plans) + 1}",
            kind=c.kind, owner=c.owner, system=c.system, reference=c.reference,
        )
    ]
