"""rm_cases: one row a case — status, phase, holder, exchange, counts."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, UTCDateTime, metadata, org

from stafet.domain.events import CaseEvent
from stafet.domain.state import CaseState

rm_cases = sa.Table(
    "rm_cases", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("subject_ref", sa.String(64), nullable=False),
    sa.Column("subject_kind", sa.String(10), nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("phase", sa.Integer, nullable=False),
    sa.Column("holder", sa.String(130), nullable=False),
    sa.Column("holder_org", sa.String(64), nullable=False),
    sa.Column("holder_temporary", sa.Boolean, nullable=False),
    sa.Column("holder_since", UTCDateTime, nullable=False),
    sa.Column("exchange_state", sa.String(10)),
    sa.Column("exchange_from", sa.String(130)),
    sa.Column("exchange_to", sa.String(130)),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("closed_at", UTCDateTime),
    sa.Column("plan_accepted_at", UTCDateTime),
    sa.Column("participants_active", sa.Integer, nullable=False),
    sa.Column("goals", sa.Integer, nullable=False),
    sa.Column("efforts", sa.Integer, nullable=False),
    sa.Column("agreements_open", sa.Integer, nullable=False),
    sa.Column("agreements_total", sa.Integer, nullable=False),
    sa.Column("meetings_held", sa.Integer, nullable=False),
    sa.Column("consents_given", sa.Integer, nullable=False),
    sa.Column("consents_revoked", sa.Integer, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("last_event_at", UTCDateTime, nullable=False),
    sa.Index("rm_cases_holder", "holder"),
)


def case_row(s: CaseState, last_event_at: object) -> dict[str, object]:
    baton = s.baton
    exchange = baton.exchange
    return {
        "case_id": str(s.id),
        "subject_ref": s.subject_ref,
        "subject_kind": s.subject_kind,
        "title": s.title,
        "status": s.status,
        "phase": s.phase,
        "holder": baton.holder,
        "holder_org": org(baton.holder),
        "holder_temporary": baton.temporary,
        "holder_since": baton.since,
        "exchange_state": exchange.state if exchange else None,
        "exchange_from": exchange.outgoing if exchange else None,
        "exchange_to": exchange.incoming if exchange else None,
        "opened_at": s.opened_at,
        "closed_at": s.closure.closed_at if s.closure else None,
        "plan_accepted_at": s.plan_acceptance.accepted_at if s.plan_acceptance else None,
        "participants_active": sum(p.active for p in s.participants.values()),
        "goals": len(s.goals),
        "efforts": len(s.efforts),
        "agreements_open": len(s.open_agreements()),
        "agreements_total": len(s.agreements),
        "meetings_held": sum(m.status == "held" for m in s.meetings.values()),
        "consents_given": len(s.consents),
        "consents_revoked": sum(c.revoked_at is not None for c in s.consents.values()),
        "version": s.version,
        "last_event_at": last_event_at,
    }


class Cases(Projection):
    name = "cases"
    tables = (rm_cases,)

    def apply(self, rows: Rows, event: CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        rows.put_later(rm_cases, (str(after.id),), lambda: case_row(after, event.recorded_at))
