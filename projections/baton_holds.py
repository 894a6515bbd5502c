"""rm_baton_holds: one row per holding interval — holder, from, to, how it ended."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, UTCDateTime, event_types, metadata, org

from stafet.domain import events as ev
from stafet.domain.state import CaseState

rm_baton_holds = sa.Table(
    "rm_baton_holds", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True),
    sa.Column("holder", sa.String(130), nullable=False),
    sa.Column("holder_org", sa.String(64), nullable=False),
    sa.Column("temporary", sa.Boolean, nullable=False),
    sa.Column("held_from", UTCDateTime, nullable=False),
    sa.Column("held_until", UTCDateTime),
    sa.Column("from_position", sa.Integer, nullable=False),
    sa.Column("until_position", sa.Integer),
    sa.Column("ended", sa.Text),
    sa.Index("rm_baton_holds_holder", "holder"),
)


class BatonHolds(Projection):
    name = "baton_holds"
    tables = (rm_baton_holds,)
    handles = event_types(
        ev.CaseOpened, ev.BatonGrabbed, ev.BatonReleased, ev.CaseClosed, ev.CaseReopened,
        ev.BatonConfirmed,
    )

    def apply(self, rows: Rows, event: ev.CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        unchanged = len(before.holds) if before else 0
        changed = [i for i, h in enumerate(after.holds)
                   if i >= unchanged or (before and h != before.holds[i])]
        for seq in changed:
            h = after.holds[seq]
            rows.put(rm_baton_holds, {
                "case_id": str(after.id), "seq": seq + 1, "holder": h.holder,
                "holder_org": org(h.holder), "temporary": h.temporary, "held_from": h.since,
                "held_until": h.until, "from_position": h.since_position,
                "until_position": h.until_position, "ended": h.ended,
            })
