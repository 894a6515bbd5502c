"""Cases and events as people read them, and as JSON for machines (SPEC §11)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from stafet.domain.events import CaseEvent
from stafet.domain.state import CaseState

# -- JSON ---------------------------------------------------------------------------------


def iso(moment: datetime) -> str:
    """One timestamp style in all JSON output, as pydantic writes it: 2026-03-02T08:15:00Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def json_default(value: Any) -> Any:
    """For json.dumps: timestamps in the one style, days as ISO dates, anything else as text."""
    if isinstance(value, datetime):
        return iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def case_json(s: CaseState) -> dict[str, Any]:
    exchange = s.baton.exchange
    dump = s.model_dump(mode="json")
    return {
        "case_id": str(s.id),
        "status": s.status,
        "phase": s.phase,
        "title": s.title,
        "subject_ref": s.subject_ref,
        "subject_kind": s.subject_kind,
        "subject_birth_month": s.subject_birth_month,
        "opened_at": dump["opened_at"],
        "holder": s.baton.holder,
        "holder_temporary": s.baton.temporary,
        "holders": s.holders,
        "exchange": exchange.as_json() if exchange else None,
        "participants": list(dump["participants"].values()),
        "plan": {
            "accepted": dump["plan_acceptance"],
            "summary": s.summary,
            "goals": list(dump["goals"].values()),
            "efforts": list(dump["efforts"].values()),
            "agreements": list(dump["agreements"].values()),
            "citizen_views": dump["citizen_views"],
            "sector_plans": list(dump["sector_plans"].values()),
        },
        "consents": list(dump["consents"].values()),
        "meetings": list(dump["meetings"].values()),
        "closure": dump["closure"],
        "version": s.version,
    }


def event_json(e: CaseEvent) -> dict[str, Any]:
    return {
        "position": e.originator_version,
        "type": type(e).__name__,
        "actor": e.actor,
        "actor_role": e.actor_role,
        "recorded_at": iso(e.recorded_at),
        "occurred_at": iso(e.occurred_at) if e.occurred_at else None,
        "command_id": e.command_id,
        "data": e.data(),
    }


# -- for people ---------------------------------------------------------------------------


def table(headers: list[str], rows: list[list[str]]) -> str:
    """Columns aligned to their widest cell; the last column runs free."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers) - 1)]
    lines = []
    for row in [headers, *rows]:
        cells = [f"{cell!s:<{widths[i]}}" for i, cell in enumerate(row[:-1])]
        lines.append("  ".join([*cells, str(row[-1])]).rstrip())
    return "\n".join(lines)
