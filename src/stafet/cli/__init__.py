"""The ``stafet`` command line. Thin: every verb builds a command for the Ledger or reads it.

Exit codes: 0 done; 1 refused by a rule (nothing stored); 2 usage or input error;
75 the database could not be reached or used just now (try again); 70 anything unexpected.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from pathlib import Path

import click

from stafet.cli import (  # noqa: F401  (each module registers its verbs)
    admin,
    apply,
    case,
    consent,
    dev,
    log,
    meeting,
    plan,
    read,
    report,
    serve,
    trust,
    write,
)
from stafet.cli.app import Ctx, cli
from stafet.domain.errors import CaseNotFound, InvalidCommand, RuleViolation, StafetError
from stafet.storage.errors import database_unavailable as _database_unavailable

EX_TEMPFAIL = 75  # sysexits.h: a temporary failure; the user is invited to retry

__all__ = ["Ctx", "cli", "main"]




def main() -> None:
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        # A file that cannot be opened is bad input like any other (exit 2, not 1 = refused).
        sys.exit(2 if isinstance(error, click.FileError) else error.exit_code)
    except StafetError as error:
        cause = getattr(error, "cause", error)
        if isinstance(cause, RuleViolation):
            click.echo(f"Refused: {error.message}", err=True)
            sys.exit(1)
        click.echo(f"Error: {error.message}", err=True)
        sys.exit(2 if isinstance(cause, InvalidCommand | CaseNotFound) else 1)
    except UnicodeError:
        click.echo("Error: the command line holds text that is not valid UTF-8; set your "
                   "terminal to UTF-8 and try again.", err=True)
        sys.exit(2)
    except RecursionError:
        click.echo("Error: the input is nested too deeply to be a command.", err=True)
        sys.exit(2)
    except Exception as error:
        if _database_unavailable(error):
            first_line = (str(error).strip().splitlines() or ["no details"])[0]
            click.echo(f"Error: the database could not be reached or used just now ({first_line}); "
                       "what was acknowledged before is kept. Try again.", err=True)
            sys.exit(EX_TEMPFAIL)
        details = Path(tempfile.gettempdir()) / "stafet-error.log"
        details.write_text(traceback.format_exc(), encoding="utf-8")
        click.echo(f"Unexpected error; the details are in {details}", err=True)
        sys.exit(70)
