"""``stafet apply FILE.jsonl``: a batch of commands, one JSON object a line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import IO, Any

import click

from stafet.cli.app import Ctx, cli, pass_ctx
from stafet.domain.commands import Command, build_command
from stafet.domain.errors import ConcurrencyConflict, InvalidCommand, StafetError
from stafet.ledger import MAX_ATTEMPTS, CommandResult, Ledger

PROGRESS_FROM_LINES = 200


class BatchLineError(StafetError):
    def __init__(self, line_no: int, error: StafetError) -> None:
        super().__init__(f"line {line_no}: {error.message}", code=error.code)
        self.line_no = line_no
        self.cause = error


def read_line(raw: str, line_no: int) -> dict[str, Any] | None:
    text = raw.strip()
    if not text or text.startswith("#"):
        return None
    try:
        item = json.loads(text)
    except json.JSONDecodeError as error:
        raise BatchLineError(line_no, InvalidCommand(f"not valid JSON ({error.msg}).")) from None
    if not isinstance(item, dict) or not isinstance(item.get("command"), str):
        raise BatchLineError(
            line_no, InvalidCommand('each line is a JSON object with a "command" name.')
        )
    return item


def apply_line(
    ledger: Ledger,
    execute: Callable[[Command], CommandResult],
    item: dict[str, Any],
    labels: dict[str, str],
) -> CommandResult:
    """Run one batch line. ``"as": "name"`` on a case.open binds ``"case": "$name"`` later."""
    fields = dict(item)
    name = fields.pop("command")
    label = fields.pop("as", None)
    case_ref = fields.pop("case", None)
    if case_ref is not None:
        if isinstance(case_ref, str) and case_ref.startswith("$"):
            if case_ref[1:] not in labels:
                raise InvalidCommand(
                    f'no case.open earlier in this batch says "as": "{case_ref[1:]}".'
                )
            fields["case_id"] = labels[case_ref[1:]]
        else:
            fields["case_id"] = str(ledger.resolve_case(str(case_ref)))
    result = execute(build_command(name, fields))
    if label:
        labels[str(label)] = str(result.case_id)
    return result


def apply_lines(
    ledger: Ledger, lines: list[str], *, actor: str | None, atomic: bool, show_progress: bool
) -> list[CommandResult]:
    """Apply every line in order; stop at the first refused one (raising BatchLineError)."""
    for _attempt in range(MAX_ATTEMPTS if atomic else 1):
        work = ledger.unit_of_work() if atomic else None
        execute = work.decide if work else ledger.execute
        labels: dict[str, str] = {}
        results: list[CommandResult] = []
        with click.progressbar(
            length=len(lines), label="Applying", file=sys.stderr,
            hidden=not show_progress, show_pos=True,
        ) as bar:
            for line_no, raw in enumerate(lines, start=1):
                bar.update(1)
                item = read_line(raw, line_no)
                if item is None:
                    continue
                if actor and "actor" not in item:
                    item["actor"] = actor
                try:
                    results.append(apply_line(ledger, execute, item, labels))
                except StafetError as error:
                    raise BatchLineError(line_no, error) from None
        if work is None:
            return results
        try:
            work.commit()
        except ConcurrencyConflict:
            continue  # someone wrote to one of the cases meanwhile: decide the batch again
        return results
    raise ConcurrencyConflict(
        "other writers kept changing these cases while the batch was decided; nothing was "
        "stored, so apply it again"
    )


def _decoded(raw_lines: list[bytes]) -> list[str]:
    """The batch as text; a file that is not UTF-8 is refused whole, before anything is stored."""
    lines = []
    for number, raw in enumerate(raw_lines, 1):
        try:
            lines.append(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError:
            raise InvalidCommand(
                f"line {number} is not UTF-8 text; save the batch as UTF-8 (nothing was stored)."
            ) from None
    return lines


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
    lines = _decoded(file.readlines())
    results = apply_lines(
        ctx.ledger, lines, actor=ctx.actor, atomic=atomic,
        show_progress=len(lines) > PROGRESS_FROM_LINES,
    )
    cases = sorted({str(r.case_id) for r in results})
    events = sum(len(r.events) for r in results if not r.replayed)
    if ctx.as_json:
        ctx.emit_json({"applied": len(results), "events": events, "cases": cases})
    else:
        click.echo(f"Applied {len(results)} commands ({events} new events) to {len(cases)} "
                   f"case(s): {', '.join(c[:8] for c in cases)}")
