"""rm_attention: the attention flags of SPEC §9, one row a flag, with when it is due.

A flag is due from ``since`` (and, for an expiring consent, until ``until``): ``due_at`` says
so, once. Every read in stafet asks it at the ledger's clock (``stafet.projections.queries``);
the view ``rm_attention_now`` asks it at the database server's clock, for BI tools.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, UTCDateTime, metadata

from stafet.domain.attention import attention_flags
from stafet.domain.events import CaseEvent
from stafet.domain.state import CaseState

rm_attention = sa.Table(
    "rm_attention", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("flag", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(16), primary_key=True),
    sa.Column("holder", sa.String(130), nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),
    sa.Column("until", UTCDateTime),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Index("rm_attention_since", "since"),
)



def due_at(moment: datetime | sa.ColumnElement[datetime]) -> sa.ColumnElement[bool]:
    """The flags of rm_attention due at this moment: from ``since`` (inclusive) until ``until``
    (exclusive; none: until the event that clears the flag). The one "due now" predicate."""
    t = rm_attention
    return sa.and_(t.c.since <= moment, sa.or_(t.c.until.is_(None), t.c.until > moment))


def _server_clock_view() -> str:
    """``due_at`` the database server's clock, as SQL both SQLite and PostgreSQL run.

    Server clock, for BI tools: stafet itself never reads the view. (CURRENT_TIMESTAMP is UTC
    text to the second on SQLite, which the stored UTC text compares with to the second.)"""
    query = sa.select(rm_attention).where(due_at(sa.func.current_timestamp()))
    return str(query.compile(compile_kwargs={"literal_binds": True}))


VIEWS = {"rm_attention_now": _server_clock_view()}


class Attention(Projection):
    name = "attention"
    version = 2  # 2: short_notice, meeting_unrecorded, minutes_not_sent
    tables = (rm_attention,)

    def apply(self, rows: Rows, event: CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        case_id = str(after.id)
        rows.replace_case(rm_attention, case_id, lambda: [
            {"case_id": case_id, "flag": f.flag, "key": f.key, "holder": after.baton.holder,
             "since": f.since, "until": f.until, "detail": f.detail}
            for f in attention_flags(after, self.policy)
        ])
