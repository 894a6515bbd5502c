"""rm_events: the flat audit table — every event, in log order, with a plain-words summary."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, UTCDateTime, metadata, org

from stafet.domain.events import CaseEvent
from stafet.domain.state import CaseState
from stafet.wording import describe

rm_events = sa.Table(
    "rm_events", metadata,
    sa.Column("notification_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(130), nullable=False),
    sa.Column("actor_org", sa.String(64), nullable=False),
    sa.Column("actor_role", sa.Text),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Column("occurred_at", UTCDateTime),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Index("rm_events_case", "case_id", "position", unique=True),
)


class Events(Projection):
    name = "events"
    tables = (rm_events,)

    def apply(self, rows: Rows, event: CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        rows.append(rm_events, {
            "notification_id": notification_id, "case_id": str(event.originator_id),
            "position": event.originator_version, "type": type(event).__name__,
            "actor": event.actor, "actor_org": org(event.actor), "actor_role": event.actor_role,
            "recorded_at": event.recorded_at, "occurred_at": event.occurred_at,
            "summary": describe(event, width=None),
        })
