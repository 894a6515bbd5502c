"""The ``stafet`` command line. Thin: every verb builds a command for the Ledger or reads it.

Exit codes: 0 done; 1 refused by a rule (nothing stored); 2 usage or input error.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from pathlib import Path

import click

from stafet.cli import (  # noqa: F401  (each module registers its verbs)
    apply,
    case,
    consent,
    dev,
    log,
    meeting,
    plan,
    read,
    trust,
    write,
)
from stafet.cli.app import Ctx, cli
from stafet.domain.errors import CaseNotFound, InvalidCommand, RuleViolation, StafetError

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
    except Exception:
        details = Path(tempfile.gettempdir()) / "stafet-error.log"
        details.write_text(traceback.format_exc(), encoding="utf-8")
        click.echo(f"Unexpected error; the details are in {details}", err=True)
        sys.exit(70)
