"""Batches: many commands, one JSON object a line, applied in order.

A line names its command (``"command": "baton.hand"``) and its fields. A ``case.open`` line may
say ``"as": "name"``; later lines then name that case ``"case": "$name"``. ``"case"`` may also
be a case id or a unique prefix of one. Blank lines and lines starting with ``#`` are skipped.

Without ``atomic`` each line is stored as it is decided, and the batch stops at the first
refused line (the lines before it stay stored). With ``atomic`` every line is decided in one
unit of work and stored together, or nothing is.

Given a ``key`` (``stafet apply`` gives the file's path), each line that names no
``command_id`` gets one derived from the key, the line's text and how many identical lines
came before it. Applying the same file again then stores nothing twice: the lines stored
before replay their first result (the same case ids), and a line fixed since is new. So a
batch that stopped at a refused line can be fixed and applied again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from stafet.application.unit_of_work import CommandResult, UnitOfWork, decide_and_store
from stafet.domain.commands import Command, build_command
from stafet.domain.errors import InvalidCommand, StafetError, cut

if TYPE_CHECKING:
    from stafet.ledger import Ledger

LineProgress = Callable[[int], None]  # called with each line number as it is reached


class BatchLineError(StafetError):
    """A line of a batch was refused; ``cause`` is why, ``line_no`` which line."""

    def __init__(self, line_no: int, error: StafetError,
                 stored: Sequence[tuple[int, CommandResult]] = ()) -> None:
        super().__init__(f"line {line_no}: {error.message}", code=error.code)
        self.line_no = line_no
        self.cause = error
        self.stored = list(stored)
        """The lines stored before the refused one (line number, result); none if atomic."""
        self.after: str | None = None
        """A line the command line says after the refusal (what was stored)."""


def decode_lines(raw_lines: Sequence[bytes]) -> list[str]:
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


def apply_batch(
    ledger: Ledger,
    lines: Sequence[str],
    *,
    actor: str | None = None,
    atomic: bool = False,
    progress: LineProgress | None = None,
    key: str | None = None,
) -> list[CommandResult]:
    """Apply every line in order; stop at the first refused one (raising BatchLineError).

    ``actor`` fills in lines that name none; ``key`` derives the lines' command ids."""
    if not atomic:
        return _decide_lines(ledger, lines, actor, ledger.execute, progress, key)
    try:
        return decide_and_store(
            ledger.unit_of_work,
            lambda work: _decide_lines(ledger, lines, actor, work.decide, progress, key),
            gave_up="other writers kept changing these cases while the batch was decided; "
                    "nothing was stored, so apply it again",
        )
    except BatchLineError as error:
        error.stored = []  # decided, never stored
        raise


def line_command_id(key: str, text: str, occurrence: int) -> str:
    """The command id of a batch line: the same for the same key, text and occurrence."""
    digest = hashlib.sha256(f"{key}\n{occurrence}\n{text}".encode()).hexdigest()
    return f"apply-{digest[:40]}"


def _decide_lines(
    ledger: Ledger,
    lines: Sequence[str],
    actor: str | None,
    execute: Callable[[Command], CommandResult],
    progress: LineProgress | None,
    key: str | None = None,
) -> list[CommandResult]:
    labels: dict[str, str] = {}
    done: list[tuple[int, CommandResult]] = []
    seen: dict[str, int] = {}
    for line_no, raw in enumerate(lines, start=1):
        if progress:
            progress(line_no)
        try:
            item = _read_line(raw)
            if item is None:
                continue
            if actor and "actor" not in item:
                item["actor"] = actor
            if key is not None and "command_id" not in item:
                text = raw.strip()
                seen[text] = seen.get(text, 0) + 1
                item["command_id"] = line_command_id(key, text, seen[text])
            done.append((line_no, _apply_line(ledger, execute, item, labels)))
        except StafetError as error:
            raise BatchLineError(line_no, error, done) from None
    return [result for _, result in done]


def _read_line(raw: str) -> dict[str, Any] | None:
    text = raw.strip()
    if not text or text.startswith("#"):
        return None
    try:
        item = json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidCommand(f"not valid JSON ({error.msg}).") from None
    if not isinstance(item, dict) or not isinstance(item.get("command"), str):
        raise InvalidCommand('each line is a JSON object with a "command" name.')
    return item


def _apply_line(
    ledger: Ledger,
    execute: Callable[[Command], CommandResult],
    item: dict[str, Any],
    labels: dict[str, str],
) -> CommandResult:
    fields = dict(item)
    name = fields.pop("command")
    label = fields.pop("as", None)
    case_ref = fields.pop("case", None)
    if case_ref is not None:
        if isinstance(case_ref, str) and case_ref.startswith("$"):
            if case_ref[1:] not in labels:
                raise InvalidCommand(
                    f'no case.open earlier in this batch says "as": "{cut(case_ref[1:])}".'
                )
            fields["case_id"] = labels[case_ref[1:]]
        else:
            fields["case_id"] = str(ledger.resolve_case(str(case_ref)))
    result = execute(build_command(name, fields))
    if label:
        labels[str(label)] = str(result.case_id)
    return result


__all__ = ["BatchLineError", "UnitOfWork", "apply_batch", "decode_lines"]
