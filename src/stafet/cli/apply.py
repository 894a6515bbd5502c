"""``stafet apply FILE.jsonl``: a batch of commands, one JSON object a line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

from stafet.application.batch import BatchLineError, decode_lines
from stafet.application.unit_of_work import CommandResult
from stafet.cli.app import Ctx, cli, pass_ctx

PROGRESS_FROM_LINES = 200


@cli.command("apply")
@click.argument("file", type=click.File("rb"))
@click.option("--atomic", is_flag=True,
              help="All or nothing: if any line is refused, no line is stored.")
@click.option("--batch-id", metavar="NAME",
              help="Name the batch for a safe re-run (default: the file's path; stdin has "
              "none, so each run of it stores anew).")
@pass_ctx
def apply_cmd(ctx: Ctx, file: IO[bytes], atomic: bool, batch_id: str | None) -> None:
    """Apply a batch of commands from FILE (JSON Lines; '-' reads stdin), in order.

    Each line is one command: {"command": "baton.hand", "actor": "anne@jobcenter",
    "case": "3fa85f", "to": "bo@socialcenter"}. A case.open line may say "as": "name";
    later lines then name that case as "case": "$name". "actor" may be left out when
    --as is given. Blank lines and lines starting with '#' are skipped.

    Stops at the first refused line and says which and why, which lines were stored and
    which cases they opened. Without --atomic the lines before it stay stored; with --atomic
    nothing is stored.

    Safe to apply again: each line without its own "command_id" gets one derived from the
    file's path (or --batch-id) and the line's text, so after fixing the refused line, apply
    the file again: the stored lines are not stored twice (no second case), the rest is.

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

        name = getattr(file, "name", "-")
        key = batch_id or (None if not isinstance(name, str) or name in ("-", "<stdin>")
                           else str(Path(name).resolve()))
        try:
            results = ctx.ledger.apply_batch(lines, actor=ctx.actor, atomic=atomic,
                                             progress=progress, key=key)
        except BatchLineError as error:
            error.after = _report_stop(ctx, error, atomic)
            raise
    cases = sorted({str(r.case_id) for r in results})
    events = sum(len(r.events) for r in results if not r.replayed)
    again = sum(1 for r in results if r.replayed)
    if ctx.as_json:
        ctx.emit_json({"applied": len(results), "events": events, "cases": cases,
                       "opened": _opened(results), "already_stored": again})
    else:
        click.echo(f"Applied {len(results)} commands ({events} new events) to {len(cases)} "
                   f"case(s): {', '.join(c[:8] for c in cases)}"
                   + (f" ({again} stored before, not again)" if again else ""))


def _opened(results: list[CommandResult]) -> list[str]:
    """The cases the batch opened (not those a line opened in an earlier run)."""
    return [str(r.case_id) for r in results if r.command == "case.open" and not r.replayed]


def _report_stop(ctx: Ctx, error: BatchLineError, atomic: bool) -> str | None:
    """What the batch stored before the refused line (nothing, if atomic): JSON on stdout
    with --json, else the line said after the refusal."""
    stored = error.stored
    numbers = [n for n, _ in stored]
    opened = _opened([r for _, r in stored])
    if ctx.as_json:
        ctx.emit_json({"stopped_at_line": error.line_no, "stored_lines": numbers,
                       "opened": opened, "cases": sorted({str(r.case_id) for _, r in stored})})
        return None
    if atomic or not stored:
        return None  # nothing stored: the refusal alone says it all
    return (f"Stored line{'s' if len(numbers) > 1 else ''} {_ranges(numbers)}"
            + (f"; opened case(s) {', '.join(opened)}" if opened else "")
            + ". Fix the refused line and apply the file again: what is stored is not stored "
            "twice.")


def _ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 5] -> '1-3, 5'."""
    out: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(out)
