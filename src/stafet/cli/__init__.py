"""The ``stafet`` command line. Thin: every verb builds a command for the Ledger or reads it.

Exit codes (README): 0 done; 1 refused by a rule or the authorisation policy (nothing stored);
2 usage, input or configuration error, or a store that cannot be used (a wrong path, a folder,
an unreadable file, a damaged file, an unknown database, user or host); 75 the database could
not be reached or used just now, or the disk is full (try again); 70 anything unexpected, one
line saying where the details were written (``stafet.cli.errorlog``).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import NoReturn

import click

# The verbs' modules are imported when a verb is used (``stafet.cli.lazy``, ``cli.index``).
from stafet.cli.app import CURRENT, Ctx, cli
from stafet.domain.errors import (
    SHOWN,
    CaseNotFound,
    InvalidCommand,
    RuleViolation,
    StafetError,
    cut,
)

EX_USAGE = 2  # click's own code for usage errors; ours for every input or setting error
EX_SOFTWARE = 70  # sysexits.h: an internal error (a bug)
EX_TEMPFAIL = 75  # sysexits.h: a temporary failure; the user is invited to retry

__all__ = ["Ctx", "cli", "main"]

_NOT_UTF8 = ("Error: the command line holds text that is not valid UTF-8; set your terminal to "
             "UTF-8 and try again.")


def main() -> None:
    token = CURRENT.set(None)
    _warnings_in_one_line()
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        if isinstance(error, click.BadParameter) and _command_line_not_utf8():
            # a choice (--flag) refused bytes that are not text: say that, not "not one of"
            click.echo(_NOT_UTF8, err=True)
            sys.exit(EX_USAGE)
        vars(error)["message"] = _short(error.message)  # click marks it Final; cut it anyway
        error.show()
        # A file that cannot be opened is bad input like any other (exit 2, not 1 = refused).
        sys.exit(EX_USAGE if isinstance(error, click.FileError) else error.exit_code)
    except StafetError as error:
        _stafet_error(error)
    except RecursionError:
        click.echo("Error: the input is nested too deeply to be a command.", err=True)
        sys.exit(EX_USAGE)
    except Exception as error:
        _failure(error, CURRENT.get())
    finally:
        CURRENT.reset(token)


def _stafet_error(error: StafetError) -> NoReturn:
    from stafet.storage.failures import StoreUnavailable, StoreUnusable

    cause = getattr(error, "cause", error)  # a batch line's error carries what refused it
    after = getattr(error, "after", None)  # a line more, e.g. what a batch stored before
    if isinstance(cause, RuleViolation):
        click.echo(f"Refused: {_short(error.message)}", err=True)
        if after:
            click.echo(after, err=True)
        sys.exit(1)
    click.echo(f"Error: {_short(error.message)}", err=True)
    if after:
        click.echo(after, err=True)
    if isinstance(cause, StoreUnavailable):
        sys.exit(EX_TEMPFAIL)
    sys.exit(EX_USAGE if isinstance(cause, InvalidCommand | CaseNotFound | StoreUnusable) else 1)


def _failure(error: Exception, ctx: Ctx | None) -> NoReturn:
    """Not a refusal: text the command line could not decode, a database failure
    (permanent: 2; for now: 75), or a bug (70, the details in the error log)."""
    if isinstance(error, UnicodeError) and _command_line_not_utf8():
        click.echo(_NOT_UTF8, err=True)
        sys.exit(EX_USAGE)
    if ctx is None:  # it failed before the root command ran: the environment's settings
        ctx = Ctx(db=os.environ.get("STAFET_DB"), actor=None, as_json=False,
                  error_log=os.environ.get("STAFET_ERROR_LOG"))
    from stafet.cli import errorlog
    from stafet.storage.failures import explain

    stores = ctx.stores()
    known = explain(error, stores)
    if known is not None:
        _stafet_error(known)
    path = errorlog.log_path(ctx.error_log, stores[0].storage.sqlite_path if stores else None)
    click.echo(errorlog.record(error, path), err=True)
    sys.exit(EX_SOFTWARE)


_LONG_WORD = re.compile(rf"\S{{{4 * SHOWN},}}")
_LONGEST_MESSAGE = 1000


def _short(message: str) -> str:
    """A message as shown: any overlong word in it (someone's input echoed back, a path)
    cut to its first characters, and the whole at most ~1000 characters. The places that
    quote input cut it themselves (``errors.cut``); this is the net under them."""
    message = _LONG_WORD.sub(lambda word: cut(word.group(), SHOWN), message)
    # Control characters someone typed (a carriage return in a path) are shown, not obeyed.
    message = "".join(c if c.isprintable() or c == "\n" else ascii(c)[1:-1] for c in message)
    if len(message) > _LONGEST_MESSAGE:
        message = message[:_LONGEST_MESSAGE] + f"… ({len(message):,} characters)"
    return message


class _OneLine(logging.Handler):
    """The ledger's warnings (read models not brought up to date, a database gone for a
    moment) as one line on stderr each, never a traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            detail = (str(error).strip().splitlines() or [""])[0]
            text += f" ({type(error).__name__}: {cut(detail, 160)})"
        click.echo(f"Warning: {text}", err=True)


def _warnings_in_one_line() -> None:
    logger = logging.getLogger("stafet")
    if not any(isinstance(handler, _OneLine) for handler in logger.handlers):
        logger.addHandler(_OneLine(logging.WARNING))


def _command_line_not_utf8() -> bool:
    """Did the arguments (or a STAFET_ setting) hold bytes that are not UTF-8? Python keeps
    such bytes as lone surrogates, which cannot be written out again. Any other UnicodeError
    (bytes read from a file or a database) is not the command line's."""
    given = [*sys.argv[1:], *(v for k, v in os.environ.items() if k.startswith("STAFET_"))]
    for text in given:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return True
    return False
