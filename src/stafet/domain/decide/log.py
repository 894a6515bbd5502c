"""Notes and corrections: the log is never edited, only added to (SPEC §1)."""

from __future__ import annotations

from stafet.domain import events as ev
from stafet.domain.commands import CorrectEntry, LogNote
from stafet.domain.decide.context import Context
from stafet.domain.decide.registry import handles
from stafet.domain.rules import refuse
from stafet.domain.state import CaseState


@handles(LogNote)
def note(s: CaseState, c: LogNote, ctx: Context) -> list[ev.CaseEvent]:
    return [ctx.event(s, ev.NoteLogged, text=c.text)]


@handles(CorrectEntry)
def correct(s: CaseState, c: CorrectEntry, ctx: Context) -> list[ev.CaseEvent]:
    if c.position > s.version:
        refuse(
            "correct.position",
            f"there is no entry at position {c.position}; this case has {s.version} entries",
        )
    return [
        ctx.event(
            s, ev.EntryCorrected, corrects_position=c.position, correction=c.correction,
            reason=c.reason,
        )
    ]
