"""rm_consents: every consent, its givers, purpose, recipients, categories and status.

``status`` is 'active' or 'revoked' as the log says. Whether an active consent has expired
depends on the date in Copenhagen (``stafet.domain.rules.consent_expired``), which the
database cannot tell: SQLite's CURRENT_DATE is the UTC date, PostgreSQL's the session's. So
there is no view for it; ``stafet.projections.queries.consents`` answers at the ledger's clock.
"""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, UTCDateTime, as_list, event_types, metadata

from stafet.domain import events as ev
from stafet.domain.state import CaseState

rm_consents = sa.Table(
    "rm_consents", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("consent_id", sa.String(8), primary_key=True),
    sa.Column("given_by", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text, nullable=False),
    sa.Column("recipients", sa.Text, nullable=False),
    sa.Column("categories", sa.Text, nullable=False),
    sa.Column("given_at", UTCDateTime, nullable=False),
    sa.Column("expires_on", sa.Date),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("revoked_at", UTCDateTime),
)

# No views: the former ``rm_consents_now`` judged expiry by the database's date (see above).
# Kept as a name because the runner creates the views of the modules it knows.
VIEWS: dict[str, str] = {}


class Consents(Projection):
    name = "consents"
    tables = (rm_consents,)
    handles = event_types(ev.ConsentGiven, ev.ConsentRevoked)

    def apply(self, rows: Rows, event: ev.CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        assert isinstance(event, ev.ConsentGiven | ev.ConsentRevoked)
        c = after.consents[event.consent_id]
        rows.put(rm_consents, {
            "case_id": str(after.id), "consent_id": c.consent_id,
            "given_by": as_list(g.role for g in c.given_by), "purpose": c.purpose,
            "recipients": as_list(c.recipients), "categories": as_list(c.categories),
            "given_at": c.given_at, "expires_on": c.expires_on,
            "status": "revoked" if c.revoked_at else "active", "revoked_at": c.revoked_at,
        })
