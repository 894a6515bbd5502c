"""Long texts (a note, minutes, a correction) from stdin or a file instead of the command line.

A command line holds at most ~128 KB an argument, and a shell mangles quotes and newlines; a
coordinator's minutes can be longer. So the one long text of a verb may be given as ``-``
(read from stdin) or with ``--file PATH``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import IO, Any

import click

F = Callable[..., Any]


def long_text(param: str, shown: str) -> Callable[[F], F]:
    """The verb's text parameter ``param`` (shown to people as ``shown``, e.g. TEXT or
    --minutes) may be ``-`` for stdin, or left out when ``--file PATH`` is given."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            file: IO[str] | None = kwargs.pop("text_file")
            given = kwargs.get(param)
            if file is not None:
                if given is not None:
                    raise click.UsageError(f"give {shown} or --file, not both.")
                kwargs[param] = _read(file, f"--file {file.name}")
            elif given == "-":
                kwargs[param] = _read(click.open_file("-", encoding="utf-8"), "stdin")
            elif given is None:
                raise click.UsageError(f"give {shown}, '-' to read it from stdin, or "
                                       "--file PATH.")
            return func(*args, **kwargs)

        return click.option(
            "--file", "text_file", type=click.File("r", encoding="utf-8"), metavar="PATH",
            help=f"Read {shown} from this file (UTF-8) instead; {shown} '-' reads stdin.",
        )(wrapper)

    return decorate


def _read(stream: IO[str], where: str) -> str:
    try:
        return stream.read().rstrip("\n")
    except UnicodeDecodeError:
        raise click.UsageError(f"{where} is not UTF-8 text; save it as UTF-8.") from None
