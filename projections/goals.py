"""rm_goals: the plan's goals (overall, sub, progression) with their current text and status."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, event_types, metadata

from stafet.domain import events as ev
from stafet.domain.state import CaseState

rm_goals = sa.Table(
    "rm_goals", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("goal_id", sa.String(8), primary_key=True),
    sa.Column("level", sa.String(12), nullable=False),
    sa.Column("parent_id", sa.String(8)),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("target_date", sa.Date),
    sa.Column("revisions", sa.Integer, nullable=False),
)


class Goals(Projection):
    name = "goals"
    tables = (rm_goals,)
    handles = event_types(ev.GoalSet, ev.PlanGoalRevised, ev.GoalStatusChanged)

    def apply(self, rows: Rows, event: ev.CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        assert isinstance(event, ev.GoalSet | ev.PlanGoalRevised | ev.GoalStatusChanged)
        g = after.goals[event.goal_id]
        rows.put(rm_goals, {
            "case_id": str(after.id), "goal_id": g.goal_id, "level": g.level,
            "parent_id": g.parent_id, "text": g.text, "status": g.status,
            "target_date": g.target_date, "revisions": g.revisions,
        })
