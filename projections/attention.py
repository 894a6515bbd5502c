"""rm_attention: the attention flags of SPEC §9, one row a flag, with when it is due.

A flag is due from ``since`` (and, for an expiring consent, until ``until``); the view
``rm_attention_now`` shows those due at the database's current time.
"""

from __future__ import annotations

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

VIEWS = {
    "rm_attention_now": (
        "SELECT * FROM rm_attention WHERE since <= CURRENT_TIMESTAMP "
        "AND (until IS NULL OR until > CURRENT_TIMESTAMP)"
    ),
}


class Attention(Projection):
    name = "attention"
    tables = (rm_attention,)

    def apply(self, rows: Rows, event: CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        case_id = str(after.id)
        rows.replace_case(rm_attention, case_id, lambda: [
            {"case_id": case_id, "flag": f.flag, "key": f.key, "holder": after.baton.holder,
             "since": f.since, "until": f.until, "detail": f.detail}
            for f in attention_flags(after, self.policy)
        ])
