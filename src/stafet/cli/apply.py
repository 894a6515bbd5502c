"""``stafet apply FILE.jsonl``: a batch of commands, one JSON object a line."""

from __future__ import annotations

import sys
from typing import IO

import click

from stafet.application.batch import decode_lines
from stafet.cli.app import Ctx, cli, pass_ctx

PROGRESS_FROM_LINES = 200


@cli.command("apply")
@click.argument("file", type=click.File("rb"))
@click.option("--atomic", is_flag=True,
              help="All or nothing: if any line is refused, no line is stored.")
@pass_ctx
def apply_cmd(ctx: Ctx, file: IO[bytes], atomic: bool) -> None:
    """Apply a batch of commands from FILE (JSON Lines; '-' reads stdin), in order.

    Each line is one command: {"command": "baton.hand", "actor": "anne@jobcenter",
    "case": "3fa85f", "to": "bo@socialcenter"}. A case.open line may say "as": "name";
    later lines then name that case as "case": "$name". "actor" may be left out when
    --as is given. Blank lines and lines starting with '#' are skipped.

    Stops at the first refused line and says which and why. Without --atomic the lines
    before it stay stored; with --atomic nothing is stored.

    \b
    Example:
      stafet apply examples/adult-case/case.jsonl
      cat migration.jsonl | stafet --as anne@jobcenter apply --atomic -
    """
    lines = decode_lines(file.readlines())
    with click.progressbar(length=len(lines), label="Applying", file=sys.stderr,
                           hidden=len(lines) <= PROGRESS_FROM_LINES, show_pos=True) as bar:
        def progress(line_no: int) -> None:
            bar.update(line_no - bar.pos)

        results = ctx.ledger.apply_batch(lines, actor=ctx.actor, atomic=atomic, progress=progress)
    cases = sorted({str(r.case_id) for r in results})
    events = sum(len(r.events) for r in results if not r.replayed)
    if ctx.as_json:
        ctx.emit_json({"applied": len(results), "events": events, "cases": cases})
    else:
        click.echo(f"Applied {len(results)} commands ({events} new events) to {len(cases)} "
                   f"case(s): {', '.join(c[:8] for c in cases)}")
