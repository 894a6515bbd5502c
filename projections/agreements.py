"""rm_agreements: who does what by when — responsible, due date, status."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, UTCDateTime, event_types, metadata, org

from stafet.domain import events as ev
from stafet.domain.state import CaseState

rm_agreements = sa.Table(
    "rm_agreements", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("agreement_id", sa.String(8), primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("responsible", sa.String(130), nullable=False),
    sa.Column("responsible_org", sa.String(64), nullable=False),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("meeting_id", sa.String(8)),
    sa.Column("goal_id", sa.String(8)),
    sa.Column("made_at", UTCDateTime, nullable=False),
    sa.Column("replaced_by", sa.String(8)),
    sa.Index("rm_agreements_due", "status", "due_on"),
)


class Agreements(Projection):
    name = "agreements"
    tables = (rm_agreements,)
    handles = event_types(ev.AgreementMade, ev.AgreementCompleted, ev.AgreementCancelled,
                          ev.AgreementReopened)

    def apply(self, rows: Rows, event: ev.CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        assert isinstance(event, ev.AgreementMade | ev.AgreementCompleted | ev.AgreementCancelled
                          | ev.AgreementReopened)
        ids = [event.agreement_id]
        if isinstance(event, ev.AgreementMade) and event.replaces:
            ids.append(event.replaces)
        for agreement_id in ids:
            a = after.agreements[agreement_id]
            rows.put(rm_agreements, {
                "case_id": str(after.id), "agreement_id": a.agreement_id, "text": a.text,
                "responsible": a.responsible, "responsible_org": org(a.responsible),
                "due_on": a.due_on, "status": a.status, "meeting_id": a.meeting_id,
                "goal_id": a.goal_id, "made_at": a.made_at, "replaced_by": a.replaced_by,
            })
