"""rm_efforts: planned efforts under each law — law, paragraph, provider, period, status."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, as_list, event_types, metadata, org

from stafet.domain import events as ev
from stafet.domain.state import CaseState

rm_efforts = sa.Table(
    "rm_efforts", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("effort_id", sa.String(8), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("law", sa.Text, nullable=False),
    sa.Column("paragraph", sa.Text, nullable=False),
    sa.Column("provider", sa.String(130), nullable=False),
    sa.Column("provider_org", sa.String(64), nullable=False),
    sa.Column("starts_on", sa.Date),
    sa.Column("ends_on", sa.Date),
    sa.Column("goal_ids", sa.Text, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
)


class Efforts(Projection):
    name = "efforts"
    tables = (rm_efforts,)
    handles = event_types(ev.EffortPlanned, ev.EffortStatusChanged)

    def apply(self, rows: Rows, event: ev.CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        assert isinstance(event, ev.EffortPlanned | ev.EffortStatusChanged)
        f = after.efforts[event.effort_id]
        rows.put(rm_efforts, {
            "case_id": str(after.id), "effort_id": f.effort_id, "title": f.title,
            "law": f.law, "paragraph": f.paragraph, "provider": f.provider,
            "provider_org": org(f.provider), "starts_on": f.starts_on, "ends_on": f.ends_on,
            "goal_ids": as_list(f.goal_ids), "status": f.status,
        })
