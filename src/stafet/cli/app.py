"""The root command, its global options, and what every verb shares."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, get_args

import click

from stafet.cli.index import VERBS
from stafet.cli.lazy import LazyGroup
from stafet.domain.errors import InvalidCommand, StafetError, cut

# The ledger, the read gate, pydantic and the store are imported where first used, so that
# ``--help`` and a verb that does not need them start without them (stafet.cli.lazy).
if TYPE_CHECKING:
    from stafet.domain.policy import Policy
    from stafet.ledger import Ledger
    from stafet.reader import Reader
    from stafet.storage.failures import Setting


@dataclass
class Ctx:
    db: str | None
    actor: str | None
    as_json: bool
    purpose: str | None = None
    policy_file: str | None = None
    read_db: str | None = None
    error_log: str | None = None
    _ledger: Ledger | None = field(default=None, repr=False)

    def stores(self) -> list[Setting]:
        """The databases this run was given, each with the option that named it, for the
        sentence that explains a database failure (``stafet.storage.failures``)."""
        from stafet.storage.failures import Setting
        from stafet.storage.url import parse_db_url

        found = []
        for option, url, given in (("--db (STAFET_DB)", self.db, True),
                                   ("--read-db (STAFET_READ_DB)", self.read_db, bool(self.read_db))):
            if not given:
                continue
            if option.startswith("--db") and self._ledger is not None:
                found.append(Setting(option, self._ledger.storage))
                continue
            try:
                found.append(Setting(option, parse_db_url(url)))
            except StafetError:
                continue
        return found

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            from stafet.ledger import Ledger

            self._ledger = Ledger(self.db, policy=self.policy(), read_models_url=self.read_db)
        return self._ledger

    def policy(self) -> Policy:
        from pydantic import ValidationError

        from stafet.domain.commands import describe_validation_error
        from stafet.domain.policy import DEFAULT_POLICY, Policy

        if not self.policy_file:
            return DEFAULT_POLICY
        try:
            text = Path(self.policy_file).read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidCommand(f"the policy file {cut(self.policy_file, 120)} cannot be read "
                                 f"({error.strerror}).") from None
        try:
            return Policy.model_validate_json(text)
        except ValidationError as error:
            raise InvalidCommand(f"the policy file {cut(self.policy_file, 120)}: "
                                 f"{describe_validation_error(error)}") from None

    @property
    def reader(self) -> Reader:
        """Every read goes through it: it asks who (--as) and why (--purpose), checks the
        authorisation policy, and access-logs what it hands out (and what it refused). The
        verbs only format its answers."""
        self.require_store()
        return self.ledger.reader(self.actor, self.purpose)

    def require_store(self) -> None:
        """A read of an SQLite file that does not exist is a mistake (a typo in --db), not an
        empty ledger: refused, and the file is not created. ``stafet init`` creates it."""
        if self._ledger is not None:
            return
        from stafet.storage.url import parse_db_url

        path = parse_db_url(self.db).sqlite_path
        if path is None:
            return
        try:
            Path(path).stat()
        except FileNotFoundError:
            raise InvalidCommand(f"no ledger at {cut(path, 120)}; run `stafet init` (or check "
                                 "--db).") from None
        except OSError:
            return  # there, but not for us: the store's own check says why

    def require_actor(self) -> str:
        if not self.actor:
            raise click.UsageError(
                "say who you are: --as person@org (or set STAFET_ACTOR)", ctx=None
            )
        return self.actor

    def emit_json(self, data: Any) -> None:
        from stafet.cli.render import json_default

        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=json_default))


class Renamed(click.Option):
    """An option whose first name is shown; the names after it are old spellings that still
    work for one release but no longer appear in --help."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        record = super().get_help_record(ctx)
        if record is None:
            return None
        names, text = record
        for old in self.opts[1:]:
            names = names.replace(f", {old}", "")
        return names, text


def choice_of(literal: Any) -> click.Choice[str]:
    """A click choice of a domain type's values (one list, in the domain)."""
    return click.Choice([str(v) for v in get_args(literal)])


def flag_option(help_text: str) -> Callable[[C], C]:
    """--flag, one of the attention flags (``FLAGS``): an unknown name is a usage error
    naming them, and --help lists them with what each means."""
    from stafet.domain.attention import FLAGS

    return click.option(
        "--flag", type=click.Choice(list(FLAGS), case_sensitive=False), metavar="FLAG",
        help=help_text + " One of: " + "; ".join(f"{n} ({m})" for n, m in FLAGS.items())
        + ".")


# This run's Ctx, for ``main`` to explain a failure after click has let go of its context.
CURRENT: ContextVar[Ctx | None] = ContextVar("stafet_cli_ctx", default=None)

_pass_ctx = click.make_pass_decorator(Ctx)
R = TypeVar("R")
C = TypeVar("C", bound=Callable[..., Any])


def pass_ctx(command: Callable[..., R]) -> Callable[..., R]:
    """Hands the command its Ctx as the first argument (click's pass decorator)."""
    return _pass_ctx(command)


class _Root(LazyGroup):
    """The root group: its options (--json, --as, --purpose, --db, ...) may also be written
    after the verb (``stafet case list --json``, ``case show C --as x``); they are moved in
    front of it before click parses. An option the verb itself has (``dev token --as``) stays
    the verb's."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_root_options(self, ctx, args))


def _names(command: click.Command) -> set[str]:
    return {name for p in command.params if isinstance(p, click.Option)
            for name in (*p.opts, *p.secondary_opts)}


def hoist_root_options(root: click.Group, ctx: click.Context, args: list[str]) -> list[str]:
    """``args`` with the root's options that follow the verb moved to the front (up to a
    ``--``, after which everything is an argument)."""
    takes_value = {name: not p.is_flag for p in root.params if isinstance(p, click.Option)
                   for name in (*p.opts, *p.secondary_opts)}
    leaf: click.Command = root
    for token in args:
        if token == "--":
            break
        # get_command, not .commands: a lazy group imports only the verb asked for.
        found = leaf.get_command(ctx, token) if isinstance(leaf, click.Group) else None
        if found is not None:
            leaf = found
    if leaf is root:
        return args
    own = _names(leaf)
    front: list[str] = []
    rest: list[str] = []
    seen_verb = False
    i = 0
    while i < len(args):
        token = args[i]
        if token == "--":
            rest.extend(args[i:])
            break
        name = token.split("=", 1)[0]
        if seen_verb and name in takes_value and name not in own:
            front.append(token)
            if takes_value[name] and "=" not in token and i + 1 < len(args):
                front.append(args[i + 1])
                i += 1
        else:
            if not token.startswith("-"):
                seen_verb = True
            elif not seen_verb and takes_value.get(name) and "=" not in token:
                rest.append(token)  # a root option before the verb, with its value
                if i + 1 < len(args):
                    rest.append(args[i + 1])
                i += 2
                continue
            rest.append(token)
        i += 1
    return front + rest


@click.group(cls=_Root, context_settings={"help_option_names": ["-h", "--help"]},
             lazy={verb: f"stafet.cli.{module}" for verb, (module, _) in VERBS.items()},
             helps={verb: help_line for verb, (_, help_line) in VERBS.items()})
@click.option(
    "--db", envvar="STAFET_DB", metavar="URL",
    help="Where the log lives: sqlite:///FILE (default ./stafet.db) or "
    "postgresql+psycopg://user@host/db. Env: STAFET_DB.",
)
@click.option(
    "--as", "actor", envvar="STAFET_ACTOR", metavar="PERSON@ORG",
    help="Who is acting, e.g. anne@jobcenter. Env: STAFET_ACTOR.",
)
@click.option(
    "--purpose", envvar="STAFET_PURPOSE", metavar="TEXT",
    help="Why you read a case's personal data; logged with every read. Env: STAFET_PURPOSE.",
)
@click.option(
    "--read-db", envvar="STAFET_READ_DB", metavar="URL",
    help="Keep the read models (rm_ tables) in another database, e.g. one the BI tools may "
    "read; default: beside the log. Env: STAFET_READ_DB.",
)
@click.option(
    "--policy", "policy_file", envvar="STAFET_POLICY", metavar="FILE",
    help="A JSON file of policy settings (e.g. {\"caseload_limit\": 25}); give the same to "
    "every process on a store. Env: STAFET_POLICY.",
)
@click.option(
    "--error-log", envvar="STAFET_ERROR_LOG", metavar="FILE",
    help="Where the details of an unexpected error are written (created readable by you "
    "alone); default: stafet-error.log beside the SQLite file, or in "
    "~/.local/state/stafet/. Env: STAFET_ERROR_LOG.",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")
@click.version_option(package_name="stafet")
@click.pass_context
def cli(ctx: click.Context, db: str | None, actor: str | None, purpose: str | None,
        read_db: str | None, policy_file: str | None, error_log: str | None,
        as_json: bool) -> None:
    """stafet: the shared coordination ledger (stafetlog) for one citizen's course.

    \b
    Example:
      stafet --db sqlite:///stafet.db apply examples/adult-case/case.jsonl
      stafet --as anne@jobcenter --purpose "opfølgning" case show 3fa85f
    """
    ctx.obj = Ctx(db=db or os.environ.get("STAFET_DB"), actor=actor, as_json=as_json,
                  purpose=purpose, policy_file=policy_file, read_db=read_db,
                  error_log=error_log)
    CURRENT.set(ctx.obj)
    ctx.call_on_close(lambda: ctx.obj._ledger.close() if ctx.obj._ledger else None)
