"""``stafet case …``: read a case (show, history, list)."""

from __future__ import annotations

import textwrap
from dataclasses import asdict
from datetime import date, datetime

import click

from stafet.cli.app import Ctx, cli, flag_option, pass_ctx
from stafet.cli.dates import MOMENT
from stafet.cli.index import added_to
from stafet.cli.lazy import LazyGroup
from stafet.cli.meeting_view import meeting_lines, terminal_width
from stafet.cli.render import case_json, event_json, table
from stafet.domain.attention import Flag, attention_flags
from stafet.domain.calendar import Lang, day, when
from stafet.domain.errors import InvalidCommand
from stafet.domain.events import CaseEvent, EntryCorrected, MeetingHeld, MeetingHoldWithdrawn
from stafet.domain.policy import Policy
from stafet.domain.state import CaseState
from stafet.domain.values import local_date
from stafet.projections.queries import CaseFilter
from stafet.wording import corrected_marker, describe, details, withdrawn_marker


def parse_moment(text: str, option: str) -> datetime:
    """A time flag read by the one parser (``stafet.cli.dates``), its error naming ``option``."""
    try:
        return MOMENT.convert(text, None, None)
    except click.BadParameter as error:
        raise InvalidCommand(f"{option} {error.message}.") from None


@cli.group(cls=LazyGroup, lazy=added_to("case"))
def case() -> None:
    """Open, close and read cases.

    \b
    Example:
      stafet --as anne@jobcenter case open --subject borger-3c9e41 --kind adult --title "Forløb"
      stafet case show 3fa85f
    """


@case.command("show")
@click.argument("case_ref", metavar="CASE")
@click.option("--as-of", metavar="TIME",
              help="Show the case as it stood at this time, e.g. 2026-05-01T12:00 (by the "
              "recorded time unless --time business).")
@click.option("--time", "by", type=click.Choice(["recorded", "business"]), default="recorded",
              show_default=True,
              help="With --as-of: 'recorded', as the log stood then (what anyone could have "
              "read); 'business', as things were in the world then, with what was logged "
              "later about earlier (each entry's --occurred-at).")
@pass_ctx
def show(ctx: Ctx, case_ref: str, as_of: str | None, by: str) -> None:
    """Show the case as it stands: holder, plan in five sections, people, consents, meetings.

    CASE is the case id or its first 6+ characters. Needs --as and --purpose: every read
    of personal data is written to the access log.

    \b
    Example:
      stafet case show 3fa85f
      stafet --json case show 3fa85f
      stafet case show 3fa85f --as-of 2026-05-01T12:00
      stafet case show 3fa85f --as-of 2026-02-01 --time business   # the plan on 1 February
    """
    reader = ctx.reader  # first: a store that is not there is refused before it is made
    moment = parse_moment(as_of, "--as-of") if as_of else ctx.ledger.clock()
    if by == "business" and not as_of:
        raise InvalidCommand("--time goes with --as-of.")
    state = (reader.case_as_of(case_ref, moment, "business" if by == "business" else "recorded")
             if as_of else reader.case(case_ref))
    flags = due_flags(state, ctx.ledger.policy, moment)
    if ctx.as_json:
        ctx.emit_json({**case_json(state), "flags": [
            {"flag": f.flag, "key": f.key, "since": f.since, "detail": f.detail}
            for f in flags]})
    else:
        click.echo(render_case(state, flags, moment, width=terminal_width()))


def due_flags(state: CaseState, policy: Policy, moment: datetime) -> list[Flag]:
    """The case's own attention flags due at ``moment``, oldest first."""
    return sorted((f for f in attention_flags(state, policy) if f.due_at(moment)),
                  key=lambda f: (f.since, f.flag, f.key))


@case.command("history")
@click.argument("case_ref", metavar="CASE")
@click.option("--lang", type=click.Choice(["en", "da"]), default="en", show_default=True,
              help="Tell the story in English or Danish.")
@click.option("--metadata", is_flag=True,
              help="Positions, event types, actors and times only, no personal fields (an "
              "auditor may read this of any case).")
@pass_ctx
def history(ctx: Ctx, case_ref: str, lang: str, metadata: bool) -> None:
    """The full story of the case, oldest first, one line an event, in plain words.

    \b
    Example:
      stafet case history 3fa85f
      stafet case history 3fa85f --lang da
      stafet --as revisor@kommunen case history 3fa85f --metadata
    """
    language: Lang = "da" if lang == "da" else "en"
    if metadata:
        entries = ctx.reader.history_metadata(case_ref)
        if ctx.as_json:
            ctx.emit_json([asdict(m) for m in entries])
            return
        click.echo(table(["#", "RECORDED", "OCCURRED", "WHO", "ROLE", "TYPE"], [
            [str(m.position), when(m.recorded_at, language), when(m.occurred_at, language)
             if m.occurred_at else "-", m.actor, m.actor_role or "-", m.type]
            for m in entries]))
        return
    events = ctx.reader.history(case_ref)
    if ctx.as_json:
        ctx.emit_json([event_json(e) for e in events])
        return
    headers = ["#", "HVORNÅR", "HVEM", "HVAD"] if lang == "da" else ["#", "WHEN", "WHO", "WHAT"]
    click.echo(history_table(events, headers, language, terminal_width()))


@case.command("list")
@click.option("--holder", metavar="PERSON@ORG", help="Cases this coordinator holds.")
@click.option("--org", metavar="ORG", help="Cases held at this organisation.")
@flag_option("Cases with this attention flag due now.")
@click.option("--status", type=click.Choice(["open", "closed"]), help="Open or closed cases.")
@click.option("--subject", "subject_ref", metavar="REF",
              help="The cases of this citizen (their reference, e.g. borger-3c9e41); found by "
              "its keyed hash, and the search is access-logged under the citizen.")
@pass_ctx
def list_cases(ctx: Ctx, holder: str | None, org: str | None, status: str | None,
               flag: str | None, subject_ref: str | None) -> None:
    """List cases (from the rm_cases read model), oldest first.

    \b
    Example:
      stafet case list
      stafet case list --org jobcenter-odense --status open
      stafet case list --flag agreement_overdue
      stafet case list --subject borger-3c9e41
    """
    rows = ctx.reader.case_list(CaseFilter(holder=holder, org=org, status=status, flag=flag,
                                           subject=subject_ref))
    if ctx.as_json:
        ctx.emit_json([r.model_dump() for r in rows])
        return
    click.echo(table(["CASE", "STATUS", "PHASE", "HOLDER", "OPENED", "TITLE"], [
        [r.case_id[:8], r.status, str(r.phase),
         r.holder + (" (temporary)" if r.holder_temporary else ""), when(r.opened_at),
         r.title] for r in rows]))


def corrections_of(events: list[CaseEvent]) -> dict[int, list[int]]:
    """Position -> the positions of the later entries that correct it."""
    found: dict[int, list[int]] = {}
    for e in events:
        if isinstance(e, EntryCorrected):
            found.setdefault(e.corrects_position, []).append(e.originator_version)
    return found


def withdrawals_of(events: list[CaseEvent]) -> dict[int, int]:
    """Position of a MeetingHeld -> the position of the entry that says it was not held."""
    held: dict[str, int] = {}
    found: dict[int, int] = {}
    for e in events:
        if isinstance(e, MeetingHeld):
            held[e.meeting_id] = e.originator_version
        elif isinstance(e, MeetingHoldWithdrawn) and e.meeting_id in held:
            found[held.pop(e.meeting_id)] = e.originator_version
    return found


def history_table(events: list[CaseEvent], headers: list[str], lang: Lang,
                  width: int | None) -> str:
    """The story, one event a row, each text in full: a corrected entry marked beside it, a
    meeting's agenda, minutes and decisions after its sentence; long texts wrapped to ``width``
    under the WHAT column (or whole on one line an event, for a file or a pipe)."""
    corrected = corrections_of(events)
    withdrawn = withdrawals_of(events)
    rows = []
    for e in events:
        what = " — ".join([describe(e, width=None, lang=lang), *details(e, lang)])
        if e.originator_version in corrected:
            what += " " + corrected_marker(corrected[e.originator_version], lang)
        if e.originator_version in withdrawn:
            what += " " + withdrawn_marker(withdrawn[e.originator_version], lang)
        rows.append([str(e.originator_version), when(e.effective_at, lang), e.actor, what])
    lines = table(headers, rows).splitlines()
    start = lines[0].index(headers[-1])
    out = []
    for line in lines:
        out += _wrapped(line[:start], line[start:], start, width)
    return "\n".join(out)


def _wrapped(prefix: str, text: str, indent: int, width: int | None) -> list[str]:
    if width is None or len(prefix) + len(text) <= width:
        return [(prefix + text).rstrip()]
    lines = textwrap.wrap(text, max(width - len(prefix), 30)) or [""]
    return [prefix + lines[0], *(" " * indent + line for line in lines[1:])]


def _period(starts: date | None, ends: date | None) -> str:
    if starts and ends:
        return f"{day(starts)} – {day(ends)}"
    if starts:
        return f"from {day(starts)}"
    return f"until {day(ends)}" if ends else ""


def _block(rows: list[list[str]], headers: list[str], indent: int) -> str:
    """An aligned table under a section heading, or '-' when the section is empty."""
    pad = " " * indent
    if not rows:
        return pad + "-"
    return textwrap.indent(table(headers, rows), pad)


def render_case(s: CaseState, flags: list[Flag] | None = None,
                now: datetime | None = None, width: int | None = None) -> str:
    """The case for people; with ``flags``, what needs attention in it, and with ``now``,
    open agreements past their due date marked overdue."""
    out: list[str] = []
    add = out.append
    add(f"Case {s.id}  —  {s.title}")
    add(f"  Citizen: {s.subject_ref} ({s.subject_kind})   Status: {s.status}   Phase: {s.phase}"
        f"   Opened: {when(s.opened_at)}   Version: {s.version}")
    holder = s.baton.holder + (" (temporary)" if s.baton.temporary else "")
    add(f"  Stafetholder: {holder}, since {when(s.baton.since)}")
    if s.baton.stage == "offered":
        add(f"  Hand-over in progress: offered to {s.baton.offered_to}, not yet grabbed")
    elif s.baton.stage == "exchange":
        add(f"  Exchange zone: {s.baton.holder} has grabbed; {s.baton.outgoing} has yet to release")
    if s.closure:
        add(f"  Closed {when(s.closure.closed_at)}; follow-up by {s.closure.follow_up_by}: "
            f"{s.closure.further_course}")
    if flags:
        add("")
        add("Needs attention")
        add(_block([[f.flag, when(f.since), f.detail] for f in flags],
                   ["FLAG", "SINCE", "DETAIL"], indent=2))

    add("")
    add("Plan" + ("" if s.plan_acceptance else "  (not yet accepted by the citizen)"))
    add("  1. Situation")
    add(textwrap.indent(s.summary or "-", "     "))
    add("  2. Goals")
    for g in s.goals.values():
        indent = {"overall": "", "sub": "  ", "progression": "    "}[g.level]
        add(f"     {indent}{g.goal_id:<4} {g.text}  [{g.status}]"
            + (f" by {day(g.target_date)}" if g.target_date else ""))
    if not s.goals:
        add("     -")
    add("  3. Efforts")
    add(_block([
        [f.effort_id, f"{f.law} {f.paragraph}", f.provider, _period(f.starts_on, f.ends_on),
         f.status, f.title] for f in s.efforts.values()
    ], ["", "LAW", "PROVIDER", "PERIOD", "STATUS", "EFFORT"], indent=5))
    add("  4. Agreements")
    add(_block([
        [a.agreement_id, a.responsible, day(a.due_on),
         "overdue" if now and a.status == "open" and a.due_on < local_date(now) else a.status,
         a.text]
        for a in s.agreements.values()
    ], ["", "RESPONSIBLE", "DUE", "STATUS", "AGREEMENT"], indent=5))
    add("  5. The citizen's own views")
    for v in s.citizen_views:
        add(textwrap.indent(f"{day(v.recorded_at.date())}: “{v.text}” ({v.given_by})", "     "))
    if not s.citizen_views:
        add("     -")
    if s.sector_plans:
        add("  Sector plans (linked)")
        for p in s.sector_plans.values():
            add(f"     {p.sector_plan_id:<4} {p.kind} — {p.owner}, {p.system}: {p.reference}")

    add("")
    add("Participants")
    add(_block([
        [p.ref, p.kind, p.title or "", "" if p.active else f"left {when(p.left_at)}"]
        for p in s.participants.values()
    ], ["WHO", "KIND", "ROLE", ""], indent=2))
    add("")
    add("Consents")
    for c in s.consents.values():
        state = "revoked" if c.revoked_at else (f"until {day(c.expires_on)}" if c.expires_on
                                                 else "active")
        add(f"  {c.consent_id:<4} {c.purpose}  [{state}]")
        add(f"       about:       {', '.join(c.categories)}")
        add(f"       shared with: {', '.join(c.recipients)}")
    if not s.consents:
        add("  -")
    add("")
    add("Meetings")
    add(_block([
        [m.meeting_id, when(m.starts_at), m.status + (", minutes sent" if m.minutes_sent else ""),
         m.place] for m in s.meetings.values()
    ], ["", "WHEN", "STATUS", "PLACE"], indent=2))
    if s.meetings:
        add("")
        add("Meetings in full (agenda, minutes, decisions; also `stafet meeting show CASE M1`)")
        for m in s.meetings.values():
            out.extend(meeting_lines(s, m, indent=2, width=width))
    if s.corrections:
        add("")
        add("Corrections")
        for fix in s.corrections:
            add(f"  entry {fix.corrects_position} corrected by entry {fix.position} "
                f"({when(fix.at)}, {fix.actor}): {fix.correction}  (why: {fix.reason})")
    return "\n".join(out)
