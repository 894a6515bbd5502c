"""Notes, corrections, and setting up a store."""

from __future__ import annotations

from typing import Any

import click

from stafet.cli.app import Ctx, cli, pass_ctx
from stafet.cli.texts import long_text
from stafet.cli.write import common_of, run, write_options


@cli.command("note")
@click.argument("case_ref", metavar="CASE")
@click.argument("text", required=False)
@long_text("text", "TEXT")
@write_options
@pass_ctx
def note(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Write a note in the case's log.

    \b
    Example:
      stafet --as bo@socialcenter note 3fa85f "Mads er visiteret til bostøtte fra 1. maj."
      stafet --as bo@socialcenter note 3fa85f --file notat.txt
      pbpaste | stafet --as bo@socialcenter note 3fa85f -
    """
    common = common_of(kw)
    run(ctx, "note", case_ref, kw, common)


@cli.command("correct")
@click.argument("case_ref", metavar="CASE")
@click.argument("position", type=int)
@click.option("--correction", metavar="TEXT", help="What is right ('-': from stdin).")
@click.option("--reason", required=True, metavar="TEXT", help="Why the entry was wrong.")
@long_text("correction", "--correction")
@write_options
@pass_ctx
def correct(ctx: Ctx, case_ref: str, **kw: Any) -> None:
    """Correct an earlier entry by its position; the entry itself is never changed.

    \b
    Example:
      stafet --as anne@jobcenter correct 3fa85f 12 --correction "Mødet var den 7. marts" \\
          --reason "Forkert dato"
    """
    common = common_of(kw)
    run(ctx, "correct", case_ref, kw, common)
