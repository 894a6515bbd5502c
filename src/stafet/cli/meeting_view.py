"""A meeting as people read it: time, place, who is invited, needs, agenda, and after it the
attendees, minutes, decisions and agreements made there. One rendering for ``meeting show``
and the meetings of ``case show``."""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import Any

from stafet.domain.calendar import day, when
from stafet.domain.state import CaseState, Meeting


def terminal_width() -> int | None:
    """How wide to wrap long texts: the terminal's width ($COLUMNS first); None when the
    output goes to a file or a pipe, where each text stays whole on its line (for grep)."""
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def meeting_json(s: CaseState, m: Meeting) -> dict[str, Any]:
    """The meeting's state with the agreements made at it."""
    return {**m.model_dump(mode="json"), "agreements": [
        a.model_dump(mode="json") for a in s.agreements.values() if a.meeting_id == m.meeting_id]}


def _field(label: str, text: str, indent: int, width: int | None) -> list[str]:
    head = f"{label + ':' if label else '':<11} "
    pad = " " * indent
    if width is None:
        return [pad + head + text]
    wrapped = textwrap.wrap(text, max(width - indent - len(head), 30)) or [""]
    return [pad + head + wrapped[0], *(pad + " " * len(head) + line for line in wrapped[1:])]


def meeting_lines(s: CaseState, m: Meeting, indent: int = 2, width: int | None = None) -> list[str]:
    """The whole meeting, one field a line (long texts wrapped to ``width`` if given)."""
    status = m.status + (", minutes sent" if m.minutes_sent else "")
    if m.reschedules:
        status += f", moved {m.reschedules}×"
    if m.hold_withdrawn:
        status += ", an earlier 'held' was withdrawn"
    kind = "follow-up meeting" if m.kind == "follow_up" else "coordinating meeting"
    out = [" " * indent + f"{m.meeting_id}  {when(m.starts_at)}  {kind}  [{status}]"]
    inner = indent + 4
    place = m.place + (" (agreed with the citizen)" if m.place_agreed_with_citizen else "")
    out += _field("Place", place, inner, width)
    out += _field("Invited", ", ".join(m.invited), inner, width)
    needs = [f"interpreter ({m.interpreter_language})"] if m.interpreter_language else []
    needs += ["the citizen wants an advocate"] if m.advocate_needed else []
    if needs:
        out += _field("Needs", "; ".join(needs), inner, width)
    for n, item in enumerate(m.agenda, start=1):
        out += _field("Agenda" if n == 1 else "", f"{n}. {item}", inner, width)
    if m.status == "held":
        out += _field("Present", ", ".join(m.attendees), inner, width)
        out += _field("Minutes", m.minutes or "-", inner, width)
        for n, decision in enumerate(m.decisions, start=1):
            out += _field("Decisions" if n == 1 else "", f"{n}. {decision}", inner, width)
    made = [a for a in s.agreements.values() if a.meeting_id == m.meeting_id]
    for n, a in enumerate(made, start=1):
        out += _field("Agreements" if n == 1 else "",
                      f"{a.agreement_id} {a.responsible} by {day(a.due_on)} [{a.status}]: {a.text}",
                      inner, width)
    return out
