"""Coordinating meetings."""

from __future__ import annotations

from typing import Any

import click

from stafet.cli.app import Ctx, Renamed, choice_of, cli, pass_ctx
from stafet.cli.dates import DAY, MEETING_TIME
from stafet.cli.index import added_to
from stafet.cli.lazy import LazyGroup
from stafet.cli.meeting_view import meeting_json, meeting_lines, terminal_width
from stafet.cli.texts import long_text
from stafet.cli.write import common_of, run, write_options
from stafet.domain.errors import InvalidCommand, cut
from stafet.domain.values import MeetingKind


@cli.group(cls=LazyGroup, lazy=added_to("meeting"))
def meeting() -> None:
    """Coordinating meetings: convene, agenda, reschedule, hold, not-held, cancel, minutes-sent, show.

    \b
    Example:
      stafet meeting convene 3fa85f --at 2026-03-06T10:00 --place "Jobcentret" --invite bo@socialcenter
      stafet meeting minutes-sent 3fa85f M1
    """


@meeting.command("convene")
@click.argument("case_ref", metavar="CASE")
@click.option("--at", "starts_at", required=True, metavar="TIME", type=MEETING_TIME,
              help="Date and clock time, e.g. 2026-03-06T10:00 or 6.3.2026 10:00.")
@click.option("--place", required=True)
@click.option("--place-agreed", "place_agreed_with_citizen", is_flag=True,
              help="The place was agreed with the citizen.")
@click.option("--invite", "invited", multiple=True, required=True, metavar="PERSON@ORG")
@click.option("--item", "--agenda", "agenda", cls=Renamed, multiple=True, required=True,
              metavar="ITEM", help="An agenda item, one per --item.")
@click.option("--follow-up", is_flag=True, help="A follow-up meeting (default: coordinating).")
@click.option("--kind", type=choice_of(MeetingKind), hidden=True)  # the old spelling
@click.option("--interpreter", "interpreter_language", metavar="LANGUAGE")
@click.option("--advocate", "advocate_needed", is_flag=True, help="The citizen wants an advocate.")
@write_options
@pass_ctx
def convene(ctx: Ctx, case_ref: str, invited: tuple[str, ...], agenda: tuple[str, ...],
            follow_up: bool, kind: str | None, **kw: Any) -> None:
    """Convene a meeting (holder only).

    \b
    Example:
      stafet --as anne@jobcenter meeting convene 3fa85f --at 2026-03-06T10:00 \\
          --place "Jobcentret, lokale 3" --place-agreed --invite bo@socialcenter \\
          --item "Status" --item "Aftaler"
    """
    common = common_of(kw)
    kind = "follow_up" if follow_up else kind
    run(ctx, "meeting.convene", case_ref,
        {**kw, "invited": list(invited), "agenda": list(agenda), "kind": kind}, common)


@meeting.command("agenda")
@click.argument("case_ref", metavar="CASE")
@click.argument("meeting_id", metavar="MEETING")
@click.option("--item", "agenda", multiple=True, required=True, metavar="ITEM",
              help="The new agenda, one item per --item.")
@write_options
@pass_ctx
def agenda(ctx: Ctx, case_ref: str, agenda: tuple[str, ...], **kw: Any) -> None:
    """Change a meeting's agenda; close to the meeting it is flagged as late.

    Late means within the policy's late_agenda_days of the meeting (default 2).

    \b
    Example:
      stafet --as anne@jobcenter meeting agenda 3fa85f M1 --item "Status" --item "Bolig"
    """
    common = common_of(kw)
    run(ctx, "meeting.agenda", case_ref, {**kw, "agenda": list(agenda)}, common)


def _agreement(value: str) -> dict[str, Any]:
    parts = [p.strip() for p in value.split("|", 2)]
    if len(parts) != 3:
        raise InvalidCommand(
            f"--agreement '{cut(value)}' must be RESPONSIBLE|DUE|TEXT, e.g. "
            "'nina@uu|2026-04-15|afklare optag'."
        )
    try:
        due = DAY.convert(parts[1], None, None)
    except click.BadParameter as error:
        raise InvalidCommand(f"--agreement '{cut(value)}': the due date {error.message}.") from None
    return {"responsible": parts[0], "due_on": due, "text": parts[2]}


@meeting.command("hold")
@click.argument("case_ref", metavar="CASE")
@click.argument("meeting_id", metavar="MEETING")
@click.option("--attendee", "attendees", multiple=True, required=True, metavar="PERSON@ORG")
@click.option("--minutes", metavar="TEXT", help="The minutes ('-': from stdin).")
@click.option("--decision", "decisions", multiple=True, metavar="TEXT")
@click.option("--agreement", "agreements", multiple=True, metavar="RESPONSIBLE|DUE|TEXT",
              help="An agreement made at the meeting. Repeatable.")
@long_text("minutes", "--minutes")
@write_options
@pass_ctx
def hold(ctx: Ctx, case_ref: str, attendees: tuple[str, ...], decisions: tuple[str, ...],
         agreements: tuple[str, ...], **kw: Any) -> None:
    """Record a meeting as held: attendees, minutes, decisions and agreements.

    \b
    Example:
      stafet --as anne@jobcenter meeting hold 3fa85f M1 --attendee bo@socialcenter \\
          --minutes "Vi aftalte ..." --agreement "bo@socialcenter|2026-04-30|visitere til bostøtte"
    """
    common = common_of(kw)
    run(ctx, "meeting.hold", case_ref, {
        **kw, "attendees": list(attendees), "decisions": list(decisions),
        "agreements": [_agreement(a) for a in agreements],
    }, common)


@meeting.command("reschedule")
@click.argument("case_ref", metavar="CASE")
@click.argument("meeting_id", metavar="MEETING")
@click.option("--at", "starts_at", required=True, metavar="TIME", type=MEETING_TIME,
              help="The new date and clock time, e.g. 2026-03-09T13:00 or 9.3.2026 13:00.")
@click.option("--place", metavar="TEXT", help="A new place, if it moves too.")
@click.option("--reason", metavar="TEXT")
@write_options
@pass_ctx
def reschedule(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Move a convened meeting to another time (and place); the old time stays in the history.

    \b
    Example:
      stafet --as anne@jobcenter meeting reschedule 3fa85f M1 --at "9.3.2026 13:00" \\
          --reason "Tolken kunne ikke om formiddagen"
    """
    common = common_of(kw)
    run(ctx, "meeting.reschedule", case_ref, kw, common)


@meeting.command("not-held")
@click.argument("case_ref", metavar="CASE")
@click.argument("meeting_id", metavar="MEETING")
@click.option("--reason", required=True, metavar="TEXT", help="Why the record was wrong.")
@write_options
@pass_ctx
def not_held(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Undo a meeting recorded as held by mistake: it is convened again.

    Its minutes and decisions no longer count (the history keeps them). Agreements made at it
    stay; cancel them on their own if they were not made.

    \b
    Example:
      stafet --as anne@jobcenter meeting not-held 3fa85f M1 --reason "Registreret på forkert møde"
    """
    common = common_of(kw)
    run(ctx, "meeting.not-held", case_ref, kw, common)


@meeting.command("cancel")
@click.argument("case_ref", metavar="CASE")
@click.argument("meeting_id", metavar="MEETING")
@click.option("--reason", required=True, metavar="TEXT")
@write_options
@pass_ctx
def cancel(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Cancel a convened meeting.

    \b
    Example:
      stafet --as anne@jobcenter meeting cancel 3fa85f M2 --reason "Borgeren er syg"
    """
    common = common_of(kw)
    run(ctx, "meeting.cancel", case_ref, kw, common)


@meeting.command("minutes-sent")
@click.argument("case_ref", metavar="CASE")
@click.argument("meeting_id", metavar="MEETING")
@click.option("--recipient", "--to", "recipients", cls=Renamed, multiple=True,
              metavar="PERSON@ORG", help="Who got them, one per --recipient (default: everyone "
              "invited).")
@write_options
@pass_ctx
def minutes_sent(ctx: Ctx, case_ref: str, recipients: tuple[str, ...], **kw: Any) -> None:
    """Mark a held meeting's minutes as sent.

    \b
    Example:
      stafet --as anne@jobcenter meeting minutes-sent 3fa85f M1
    """
    common = common_of(kw)
    run(ctx, "meeting.minutes-sent", case_ref, {**kw, "recipients": list(recipients)}, common)


@meeting.command("show")
@click.argument("case_ref", metavar="CASE")
@click.argument("meeting_id", metavar="MEETING")
@pass_ctx
def show(ctx: Ctx, case_ref: str, meeting_id: str) -> None:
    """One meeting in full: time, place, invitees, needs, agenda, minutes, decisions, agreements.

    A read of the case's personal data: needs --as and --purpose (access-logged).

    \b
    Example:
      stafet meeting show 3fa85f M1
      stafet --json meeting show 3fa85f M1
    """
    state = ctx.reader.case(case_ref)
    found = state.meetings.get(meeting_id.strip().upper())
    if found is None:
        known = ", ".join(state.meetings) or "none yet"
        raise InvalidCommand(f"the case has no meeting {cut(meeting_id)} (its meetings: {known}).")
    if ctx.as_json:
        ctx.emit_json(meeting_json(state, found))
    else:
        click.echo("\n".join(meeting_lines(state, found, indent=0, width=terminal_width())))
