"""The plan's verbs: accept, summary, goals, efforts, agreements, views, sector plans."""

from __future__ import annotations

from typing import Any

import click

from stafet.cli.app import Ctx, Renamed, choice_of, cli, pass_ctx
from stafet.cli.dates import DAY
from stafet.cli.texts import long_text
from stafet.cli.write import GIVER_ROLES, common_of, givers, run, write_options
from stafet.domain.values import EffortStatus, GiverRole, GoalLevel, GoalStatus

GIVER_HELP = f"Who accepted ({GIVER_ROLES}), optionally ROLE:NAME. Repeatable."


@cli.group()
def plan() -> None:
    """The coordinating plan: acceptance and the summary of the situation.

    \b
    Example:
      stafet plan accept 3fa85f --by citizen
      stafet plan summary 3fa85f "Mads er 39 år og ønsker at blive tømrer."
    """


@plan.command("accept")
@click.argument("case_ref", metavar="CASE")
@click.option("--by", "accepted_by", multiple=True, required=True, metavar="ROLE", help=GIVER_HELP)
@click.option("--subject-age", type=int, help="The child's age, when a youth accepts; by "
              "default worked out from the birth month on the case (stafet case birth-month).")
@click.option("--note", metavar="TEXT")
@write_options
@pass_ctx
def plan_accept(ctx: Ctx, case_ref: str, accepted_by: tuple[str, ...], **kw: Any) -> None:
    """Record that the citizen (or who consents for them) accepted the plan.

    Plan sections can be written only after this.

    \b
    Example:
      stafet --as anne@jobcenter plan accept 3fa85f --by citizen
    """
    common = common_of(kw)
    run(ctx, "plan.accept", case_ref, {**kw, "accepted_by": givers(accepted_by)}, common)


@plan.command("summary")
@click.argument("case_ref", metavar="CASE")
@click.argument("text", required=False)
@long_text("text", "TEXT")
@write_options
@pass_ctx
def plan_summary(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Write (or rewrite) section 1: the citizen's overall situation.

    \b
    Example:
      stafet --as anne@jobcenter plan summary 3fa85f "Mads er 39 år ..."
    """
    common = common_of(kw)
    run(ctx, "plan.summary", case_ref, kw, common)


@cli.group()
def goal() -> None:
    """Section 2: overall goals, sub-goals and progression goals.

    \b
    Example:
      stafet goal set 3fa85f "Mads bliver selvforsørgende" --level overall
      stafet goal status 3fa85f G1 achieved
    """


@goal.command("set")
@click.argument("case_ref", metavar="CASE")
@click.argument("text")
@click.option("--level", required=True, type=choice_of(GoalLevel))
@click.option("--parent", "parent_id", metavar="GOAL",
              help="The parent goal: an overall goal for a sub-goal, a sub-goal for a "
              "progression goal.")
@click.option("--target", "target_date", metavar="DATE", type=DAY,
              help="Target date, e.g. 2026-12-31 or 31.12.2026.")
@write_options
@pass_ctx
def goal_set(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Set a goal everyone agrees on.

    \b
    Example:
      stafet --as anne@jobcenter goal set 3fa85f "Mads bliver tømrer" --level overall
      stafet --as anne@jobcenter goal set 3fa85f "Starter på EUV" --level sub --parent G1
    """
    common = common_of(kw)
    run(ctx, "goal.set", case_ref, kw, common)


@goal.command("revise")
@click.argument("case_ref", metavar="CASE")
@click.argument("goal_id", metavar="GOAL")
@click.argument("text")
@click.option("--reason", required=True, metavar="TEXT")
@write_options
@pass_ctx
def goal_revise(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Revise a goal's text; the old text stays in the history.

    \b
    Example:
      stafet --as anne@jobcenter goal revise 3fa85f G2 "Starter på EUV i januar" --reason "Udsat"
    """
    common = common_of(kw)
    run(ctx, "goal.revise", case_ref, kw, common)


@goal.command("status")
@click.argument("case_ref", metavar="CASE")
@click.argument("goal_id", metavar="GOAL")
@click.argument("status", type=choice_of(GoalStatus))
@click.option("--note", metavar="TEXT")
@write_options
@pass_ctx
def goal_status(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Mark how far a goal has come.

    \b
    Example:
      stafet --as anne@jobcenter goal status 3fa85f G2 achieved
    """
    common = common_of(kw)
    run(ctx, "goal.status", case_ref, kw, common)


@cli.group()
def effort() -> None:
    """Section 3: planned efforts under each law.

    \b
    Example:
      stafet effort plan 3fa85f "Bostøtte" --law SEL --paragraph "§ 85" --provider bo@socialcenter
      stafet effort status 3fa85f E1 started
    """


@effort.command("plan")
@click.argument("case_ref", metavar="CASE")
@click.argument("title")
@click.option("--law", required=True, help="LAB, SEL, Barnets Lov, Sundhedsloven, ...")
@click.option("--paragraph", required=True, help="e.g. '§ 32'")
@click.option("--provider", required=True, metavar="PERSON@ORG", help="Who delivers it.")
@click.option("--starts-on", "--from", "starts_on", cls=Renamed, metavar="DATE",
              type=DAY, help="The first day of the effort.")
@click.option("--ends-on", "--to", "ends_on", cls=Renamed, metavar="DATE",
              type=DAY, help="The last day of the effort.")
@click.option("--goal", "goal_ids", multiple=True, metavar="GOAL", help="A goal it serves.")
@write_options
@pass_ctx
def effort_plan(ctx: Ctx, case_ref: str, goal_ids: tuple[str, ...], **kw: Any) -> None:
    """Plan an effort (indsats) under a named law and paragraph.

    \b
    Example:
      stafet --as anne@jobcenter effort plan 3fa85f "Ambulant behandling" --law SEL \\
          --paragraph "§ 101" --provider jens@misbrugscenter --starts-on 2026-03-01 --goal G3
    """
    common = common_of(kw)
    run(ctx, "effort.plan", case_ref, {**kw, "goal_ids": list(goal_ids)}, common)


@effort.command("status")
@click.argument("case_ref", metavar="CASE")
@click.argument("effort_id", metavar="EFFORT")
@click.argument("status", type=choice_of(EffortStatus))
@click.option("--note", metavar="TEXT")
@write_options
@pass_ctx
def effort_status(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Mark an effort as started, paused, completed or stopped.

    \b
    Example:
      stafet --as jens@misbrugscenter effort status 3fa85f E2 started
    """
    common = common_of(kw)
    run(ctx, "effort.status", case_ref, kw, common)


@cli.group()
def agreement() -> None:
    """Section 4: agreements — who does what, by when.

    \b
    Example:
      stafet agreement make 3fa85f "visitere til bostøtte" --responsible bo@socialcenter --due 2026-04-30
      stafet agreement complete 3fa85f A1
    """


@agreement.command("make")
@click.argument("case_ref", metavar="CASE")
@click.argument("text")
@click.option("--responsible", required=True, metavar="PERSON@ORG")
@click.option("--due", "due_on", required=True, metavar="DATE", type=DAY,
              help="The last day, e.g. 2026-04-15 or 15.4.2026.")
@click.option("--goal", "goal_id", metavar="GOAL")
@click.option("--replaces", metavar="AGREEMENT",
              help="An open agreement this one takes over (it is marked reassigned).")
@write_options
@pass_ctx
def agreement_make(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Make an agreement with a responsible participant and a due date.

    \b
    Example:
      stafet --as anne@jobcenter agreement make 3fa85f "afklare optag på EUV" \\
          --responsible nina@uu --due 2026-04-15
    """
    common = common_of(kw)
    run(ctx, "agreement.make", case_ref, kw, common)


@agreement.command("complete")
@click.argument("case_ref", metavar="CASE")
@click.argument("agreement_id", metavar="AGREEMENT")
@click.option("--note", metavar="TEXT")
@write_options
@pass_ctx
def agreement_complete(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Mark an agreement as done.

    \b
    Example:
      stafet --as nina@uu agreement complete 3fa85f A2
    """
    common = common_of(kw)
    run(ctx, "agreement.complete", case_ref, kw, common)


@agreement.command("cancel")
@click.argument("case_ref", metavar="CASE")
@click.argument("agreement_id", metavar="AGREEMENT")
@click.option("--reason", required=True, metavar="TEXT")
@write_options
@pass_ctx
def agreement_cancel(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Cancel an open agreement, saying why.

    \b
    Example:
      stafet --as anne@jobcenter agreement cancel 3fa85f A3 --reason "Ikke længere relevant"
    """
    common = common_of(kw)
    run(ctx, "agreement.cancel", case_ref, kw, common)


@agreement.command("reopen")
@click.argument("case_ref", metavar="CASE")
@click.argument("agreement_id", metavar="AGREEMENT")
@click.option("--reason", required=True, metavar="TEXT")
@write_options
@pass_ctx
def agreement_reopen(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Reopen a completed or cancelled agreement (closed by mistake, or not done after all).

    \b
    Example:
      stafet --as anne@jobcenter agreement reopen 3fa85f A2 --reason "Markeret som udført ved en fejl"
    """
    common = common_of(kw)
    run(ctx, "agreement.reopen", case_ref, kw, common)


@cli.command("view")
@click.argument("case_ref", metavar="CASE")
@click.argument("text")
@click.option("--by", "given_by", default="citizen", show_default=True, type=choice_of(GiverRole))
@click.option("--goal", "goal_id", metavar="GOAL", help="The goal the view is about.")
@write_options
@pass_ctx
def view(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Section 5: write down the citizen's own views and wishes, in their words.

    \b
    Example:
      stafet --as anne@jobcenter view 3fa85f "Jeg vil gerne være tømrer."
    """
    common = common_of(kw)
    run(ctx, "view", case_ref, kw, common)


@cli.group()
def sectorplan() -> None:
    """Sector plans in the authorities' own systems: linked, not copied.

    \b
    Example:
      stafet sectorplan link 3fa85f --plan "Handleplan (SEL § 141)" --owner bo@socialcenter \
          --system Nexus --reference HP-118842
    """


@sectorplan.command("link")
@click.argument("case_ref", metavar="CASE")
@click.option("--plan", "--kind", "kind", cls=Renamed, required=True,
              help="Which plan, e.g. 'Min Plan (LAB § 27)', 'Handleplan (SEL § 141)'.")
@click.option("--owner", required=True, metavar="PERSON@ORG")
@click.option("--system", required=True, help="The system it lives in, e.g. Nexus.")
@click.option("--reference", required=True, help="Its id or address there.")
@write_options
@pass_ctx
def sectorplan_link(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Link a sector plan held in another system.

    \b
    Example:
      stafet --as anne@jobcenter sectorplan link 3fa85f --plan "Min Plan (LAB § 27)" \\
          --owner anne@jobcenter --system Jobnet --reference MP-2026-0448213
    """
    common = common_of(kw)
    run(ctx, "sectorplan.link", case_ref, kw, common)
