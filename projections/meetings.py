"""rm_meetings: convened, held and cancelled meetings."""

from __future__ import annotations

import sqlalchemy as sa
from stafet.projections.base import Projection, Rows, UTCDateTime, event_types, metadata

from stafet.domain import events as ev
from stafet.domain.state import CaseState

rm_meetings = sa.Table(
    "rm_meetings", metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("meeting_id", sa.String(8), primary_key=True),
    sa.Column("kind", sa.String(14), nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("place", sa.Text, nullable=False),
    sa.Column("place_agreed_with_citizen", sa.Boolean, nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("invited", sa.Integer, nullable=False),
    sa.Column("attendees", sa.Integer, nullable=False),
    sa.Column("agenda_items", sa.Integer, nullable=False),
    sa.Column("late_agenda_changes", sa.Integer, nullable=False),
    sa.Column("interpreter_language", sa.Text),
    sa.Column("advocate_needed", sa.Boolean, nullable=False),
    sa.Column("minutes_sent", sa.Boolean, nullable=False),
)


class Meetings(Projection):
    name = "meetings"
    tables = (rm_meetings,)
    handles = event_types(
        ev.MeetingConvened, ev.MeetingAgendaChanged, ev.MeetingHeld, ev.MeetingCancelled,
        ev.MinutesSent, ev.MeetingRescheduled, ev.MeetingHoldWithdrawn,
    )

    def apply(self, rows: Rows, event: ev.CaseEvent, before: CaseState | None,
              after: CaseState, notification_id: int) -> None:
        assert isinstance(event, ev.MeetingConvened | ev.MeetingAgendaChanged | ev.MeetingHeld
                          | ev.MeetingCancelled | ev.MinutesSent | ev.MeetingRescheduled
                          | ev.MeetingHoldWithdrawn)
        m = after.meetings[event.meeting_id]
        rows.put(rm_meetings, {
            "case_id": str(after.id), "meeting_id": m.meeting_id, "kind": m.kind,
            "starts_at": m.starts_at, "place": m.place,
            "place_agreed_with_citizen": m.place_agreed_with_citizen, "status": m.status,
            "invited": len(m.invited), "attendees": len(m.attendees),
            "agenda_items": len(m.agenda), "late_agenda_changes": m.late_agenda_changes,
            "interpreter_language": m.interpreter_language,
            "advocate_needed": m.advocate_needed, "minutes_sent": m.minutes_sent,
        })
