"""rm_participants: who takes part in which case, as what, since when."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, UTCDateTime, event_types, metadata, org

from stafet.domain import events as ev
from stafet.domain.state import CaseState

rm_participants = sa.Table(
    "rm_participants", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("ref", sa.String(130), primary_key=True),
    sa.Column("org", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("title", sa.Text),
    sa.Column("name", sa.Text),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("joined_at", UTCDateTime, nullable=False),
    sa.Column("left_at", UTCDateTime),
    sa.Index("rm_participants_ref", "ref"),
)


class Participants(Projection):
    name = "participants"
    tables = (rm_participants,)
    handles = event_types(ev.CaseOpened, ev.ParticipantJoined, ev.ParticipantLeft)

    def apply(self, rows: Rows, event: ev.CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        if isinstance(event, ev.CaseOpened):
            ref = event.holder.ref
        elif isinstance(event, ev.ParticipantJoined):
            ref = event.participant.ref
        else:
            assert isinstance(event, ev.ParticipantLeft)
            ref = event.ref
        p = after.participants[ref]
        rows.put(rm_participants, {
            "case_id": str(after.id), "ref": p.ref, "org": org(p.ref), "kind": p.kind,
            "title": p.title, "name": p.name, "active": p.active, "joined_at": p.joined_at,
            "left_at": p.left_at,
        })
