"""The write verbs: each turns flags into one command for the Ledger, and reports the result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args

import click

from stafet.application.unit_of_work import CommandResult
from stafet.cli.app import Ctx, Renamed, choice_of, cli, pass_ctx
from stafet.cli.case import case
from stafet.cli.dates import MOMENT
from stafet.cli.render import table
from stafet.domain.calendar import when
from stafet.domain.decide.case import unmet_closing_conditions
from stafet.domain.policy import DEFAULT_POLICY
from stafet.domain.values import BATON_KINDS, GiverRole, ParticipantKind, SubjectKind

F = Callable[..., Any]


def write_options(func: F) -> F:
    """Options every write verb has."""
    func = click.option(
        "--occurred-at", metavar="TIME", type=MOMENT,
        help="When it happened, if not now (business time), e.g. 2026-03-02T09:15 or "
        "2.3.2026 09:15. "
        "Copenhagen time unless an offset is given.",
    )(func)
    func = click.option(
        "--command-id", metavar="ID",
        help="Your id for this command: sending it again stores nothing and returns the first "
        "result.",
    )(func)
    func = click.option(
        "--role", "actor_role", metavar="ROLE",
        help="Your role in this, e.g. 'koordinerende sagsbehandler'.",
    )(func)
    return func


def run(ctx: Ctx, name: str, case_ref: str | None, fields: dict[str, Any],
        common: dict[str, Any]) -> CommandResult:
    """Build, execute and report one command."""
    payload: dict[str, Any] = {"actor": ctx.require_actor()}
    payload.update({k: v for k, v in common.items() if v is not None})
    if case_ref is not None:
        payload["case_id"] = ctx.ledger.resolve_case(case_ref)
    payload.update({k: v for k, v in fields.items() if v is not None and v != ()})
    result = ctx.ledger.run(name, payload)
    if ctx.as_json:
        ctx.emit_json(result.model_dump(mode="json"))
    else:
        stored = ", ".join(f"{e.type} (#{e.position})" for e in result.events)
        again = "Already stored earlier: " if result.replayed else "Stored "
        created = f"; created {', '.join(result.created)}" if result.created else ""
        click.echo(f"{again}{stored} in case {str(result.case_id)[:8]}{created}.")
    return result


def common_of(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: kwargs.pop(k) for k in ("occurred_at", "command_id", "actor_role")}


GIVER_ROLES = ", ".join(get_args(GiverRole))


def givers(values: tuple[str, ...]) -> list[dict[str, str]]:
    """'custody_holder' or 'custody_holder:Name' -> {"role": ..., "name": ...}."""
    out = []
    for value in values:
        role, _, name = value.partition(":")
        out.append({"role": role.strip(), **({"name": name.strip()} if name.strip() else {})})
    return out


# -- the case -------------------------------------------------------------------------------


@case.command("open")
@click.option("--subject", "subject_ref", required=True, metavar="REF",
              help="The citizen's pseudonymous reference (never a CPR number).")
@click.option("--subject-kind", "--kind", "subject_kind", cls=Renamed, required=True,
              type=choice_of(SubjectKind), help="Who the case is about (it selects the consent rules).")
@click.option("--title", required=True, help="A short title for the course.")
@click.option("--holder-kind", default="authority", show_default=True,
              type=click.Choice(sorted(BATON_KINDS)), help="What you take part as.")
@click.option("--holder-title", metavar="TEXT", help="Your title, e.g. 'Pædagog, Solsikken'.")
@click.option("--permanent", is_flag=True,
              help="You are the permanent holder (default: temporary; policy temporary_holder_days "
              f"says hand on within {DEFAULT_POLICY.temporary_holder_days} days).")
@write_options
@pass_ctx
def case_open(ctx: Ctx, permanent: bool, **kw: Any) -> None:
    """Open a case; you hold the baton (temporarily unless --permanent).

    \b
    Example:
      stafet --as mette@solsikken case open --subject familie-8d21 --subject-kind family \\
          --title "Bekymring for Emma" --holder-title "Pædagog"
    """
    common = common_of(kw)
    run(ctx, "case.open", None, {**kw, "temporary": not permanent}, common)


@case.command("join")
@click.argument("case_ref", metavar="CASE")
@click.argument("participant", metavar="PERSON@ORG")
@click.option("--kind", required=True, type=choice_of(ParticipantKind),
              help="What they take part as.")
@click.option("--title", metavar="TEXT", help="Their title or relation, e.g. 'Psykolog, PPR'.")
@click.option("--name", "participant_name", metavar="TEXT", help="Their name (optional).")
@write_options
@pass_ctx
def case_join(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Add a participant to the case.

    \b
    Example:
      stafet --as anne@jobcenter case join 3fa85f bo@socialcenter --kind authority
    """
    common = common_of(kw)
    run(ctx, "case.join", case_ref, kw, common)


@case.command("leave")
@click.argument("case_ref", metavar="CASE")
@click.argument("participant", metavar="PERSON@ORG")
@click.option("--reason", metavar="TEXT")
@write_options
@pass_ctx
def case_leave(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Take a participant off the case (yourself, or anyone if you hold the baton).

    \b
    Example:
      stafet --as mette@solsikken case leave 3fa85f mette@solsikken --reason "Skolestart"
    """
    common = common_of(kw)
    run(ctx, "case.leave", case_ref, kw, common)


@case.command("close")
@click.argument("case_ref", metavar="CASE")
@click.option("--further-course", metavar="TEXT",
              help="What happens after the case closes (required unless --check).")
@click.option("--follow-up-by", metavar="PERSON@ORG", help="Who follows up (required unless --check).")
@click.option("--sector-plan", "continuing_sector_plans", multiple=True, metavar="SP",
              help="A linked sector plan that lives on (repeatable), e.g. SP1.")
@click.option("--check", is_flag=True,
              help="Close nothing: list every condition not yet met for you to close the case.")
@write_options
@pass_ctx
def case_close(ctx: Ctx, case_ref: str, continuing_sector_plans: tuple[str, ...], check: bool,
               **kw: Any) -> None:
    """Close the case (holder only; no open hand-over or agreements).

    With --check, nothing is stored: it lists every condition not yet met (exit 1 if any).

    \b
    Example:
      stafet --as bo@socialcenter case close 3fa85f --check
      stafet --as bo@socialcenter case close 3fa85f --follow-up-by bo@socialcenter \\
          --further-course "Handleplanen efter SEL § 141 fortsætter" --sector-plan SP2
    """
    if check:
        _closing_check(ctx, case_ref)
        return
    for flag, value in (("--further-course", kw["further_course"]),
                        ("--follow-up-by", kw["follow_up_by"])):
        if not value:
            raise click.UsageError(f"Missing option '{flag}' (or give --check).")
    common = common_of(kw)
    run(ctx, "case.close", case_ref,
        {**kw, "continuing_sector_plans": list(continuing_sector_plans)}, common)


def _closing_check(ctx: Ctx, case_ref: str) -> None:
    """What stands in the way of closing, from the rules ``case close`` itself applies."""
    actor = ctx.require_actor()
    state = ctx.reader.case(case_ref)
    unmet = unmet_closing_conditions(state, actor)
    if ctx.as_json:
        ctx.emit_json({"case_id": str(state.id), "may_close": not unmet,
                       "unmet": [{"code": r.code, "message": r.message} for r in unmet]})
    elif unmet:
        click.echo(f"{actor} cannot close case {str(state.id)[:8]} yet:")
        for refusal in unmet:
            click.echo(f"  - {refusal.message}")
    else:
        click.echo(f"Nothing stands in the way: {actor} may close case {str(state.id)[:8]} "
                   "(give --further-course and --follow-up-by).")
    if unmet:
        raise SystemExit(1)


@case.command("birth-month")
@click.argument("case_ref", metavar="CASE")
@click.argument("birth_month", metavar="YYYY-MM")
@write_options
@pass_ctx
def case_birth_month(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Record the birth month of the person the case is about, once (holder only).

    A youth's age for consent and plan acceptance then follows from it: no need to type
    --subject-age each time (it still overrides). Personal data, sealed like the rest.

    \b
    Example:
      stafet --as mette@solsikken case birth-month 3fa85f 2010-05
      stafet --as mette@solsikken case birth-month 3fa85f 5.2010
    """
    common = common_of(kw)
    run(ctx, "case.birth-month", case_ref, kw, common)


@case.command("reopen")
@click.argument("case_ref", metavar="CASE")
@click.option("--reason", required=True, metavar="TEXT")
@write_options
@pass_ctx
def case_reopen(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Reopen a closed case; you hold the baton.

    \b
    Example:
      stafet --as bo@socialcenter case reopen 3fa85f --reason "Ny bekymring"
    """
    common = common_of(kw)
    run(ctx, "case.reopen", case_ref, kw, common)


@cli.command("phase")
@click.argument("case_ref", metavar="CASE")
@click.argument("phase", type=click.IntRange(1, 3))
@click.option("--reason", metavar="TEXT")
@write_options
@pass_ctx
def phase(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Move the case to phase 1, 2 or 3 (holder only).

    1 local efforts, 2 cross-disciplinary discussion, 3 holistic solutions.

    \b
    Example:
      stafet --as anne@jobcenter phase 3fa85f 2 --reason "Tværfaglig drøftelse"
    """
    common = common_of(kw)
    run(ctx, "phase", case_ref, kw, common)


# -- the baton ------------------------------------------------------------------------------


@cli.group()
def baton() -> None:
    """Hand, grab, release, decline or withdraw the baton, or confirm a temporary holding.

    \b
    Example:
      stafet baton hand 3fa85f --to bo@socialcenter
      stafet --as bo@socialcenter baton grab 3fa85f
      stafet baton release 3fa85f
    """


@baton.command("hand")
@click.argument("case_ref", metavar="CASE")
@click.option("--to", required=True, metavar="PERSON@ORG", help="Who you offer the baton to.")
@click.option("--note", metavar="TEXT")
@write_options
@pass_ctx
def baton_hand(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Offer the baton to another participant (holder only). They must grab it.

    \b
    Example:
      stafet --as anne@jobcenter baton hand 3fa85f --to bo@socialcenter
    """
    common = common_of(kw)
    run(ctx, "baton.hand", case_ref, kw, common)


def _baton_verb(name: str, verb: str, doc: str, with_reason: bool) -> None:
    @click.argument("case_ref", metavar="CASE")
    @write_options
    @pass_ctx
    def command(ctx: Ctx, case_ref: str, **kw: Any) -> None:
        common = common_of(kw)
        run(ctx, name, case_ref, kw, common)

    command.__doc__ = doc
    if with_reason:
        command = click.option("--reason", metavar="TEXT")(command)
    baton.command(verb)(command)


_baton_verb("baton.grab", "grab", """Take the baton you were offered; you now hold it.

    The outgoing holder stays listed until they release.

    \b
    Example:
      stafet --as bo@socialcenter baton grab 3fa85f
    """, with_reason=False)
_baton_verb("baton.release", "release", """Let go of the baton after another holder grabbed it.

    Refused until someone else has grabbed it: a stafetholder cannot release the baton
    before another authority has taken it.

    \b
    Example:
      stafet --as anne@jobcenter baton release 3fa85f
    """, with_reason=False)
_baton_verb("baton.confirm", "confirm", """Stay on as the permanent holder (you hold it temporarily).

    A temporary holder chosen to stay needs no hand-over: this makes the holding permanent.

    \b
    Example:
      stafet --as mette@solsikken baton confirm 3fa85f
    """, with_reason=False)
_baton_verb("baton.decline", "decline", """Say no to a baton you were offered.

    \b
    Example:
      stafet --as bo@socialcenter baton decline 3fa85f --reason "Ikke vores målgruppe"
    """, with_reason=True)
_baton_verb("baton.withdraw", "withdraw", """Take back an offer nobody has grabbed yet.

    \b
    Example:
      stafet --as anne@jobcenter baton withdraw 3fa85f --reason "Forkert modtager"
    """, with_reason=True)


@baton.command("timeline")
@click.argument("case_ref", metavar="CASE")
@pass_ctx
def baton_timeline(ctx: Ctx, case_ref: str) -> None:
    """Who held the baton, from when to when, and how each holding ended.

    \b
    Example:
      stafet baton timeline 3fa85f
    """
    holds = ctx.reader.timeline(case_ref).holds
    if ctx.as_json:
        ctx.emit_json([h.model_dump(mode="json") for h in holds])
        return
    rows = [
        [h.holder + (" (temporary)" if h.temporary else ""), when(h.since),
         when(h.until) if h.until else "-", h.ended or "holds the baton"]
        for h in holds
    ]
    click.echo(table(["HOLDER", "FROM", "TO", "ENDED"], rows))
