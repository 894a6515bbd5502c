"""rm_caseload: active cases per coordinator (holder), with the over-the-limit flag."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, metadata, org

from stafet.domain.events import CaseEvent
from stafet.domain.state import CaseState

rm_caseload = sa.Table(
    "rm_caseload", metadata,
    sa.Column("holder", sa.String(130), primary_key=True),
    sa.Column("holder_org", sa.String(64), nullable=False),
    sa.Column("active_cases", sa.Integer, nullable=False),
    sa.Column("temporary_cases", sa.Integer, nullable=False),
    sa.Column("over_limit", sa.Boolean, nullable=False),
)


def _held(s: CaseState | None) -> tuple[str, bool] | None:
    """(holder, temporary) if the case is open and counts on someone's caseload."""
    if s is None or s.status != "open":
        return None
    return s.baton.holder, s.baton.temporary


class Caseload(Projection):
    name = "caseload"
    tables = (rm_caseload,)

    def apply(self, rows: Rows, event: CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        old, new = _held(before), _held(after)
        if old == new:
            return
        if old:
            self._count(rows, old[0], -1, -int(old[1]))
        if new:
            self._count(rows, new[0], +1, +int(new[1]))

    def _count(self, rows: Rows, holder: str, delta: int, temporary_delta: int) -> None:
        row = rows.get(rm_caseload, (holder,))
        active = (row["active_cases"] if row else 0) + delta
        temporary = (row["temporary_cases"] if row else 0) + temporary_delta
        if active <= 0:
            rows.delete(rm_caseload, (holder,))
            return
        rows.put(rm_caseload, {
            "holder": holder, "holder_org": org(holder), "active_cases": active,
            "temporary_cases": temporary, "over_limit": active > self.policy.caseload_limit,
        })
