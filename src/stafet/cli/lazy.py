"""Verbs imported when they are used: ``stafet --help`` and every verb start in a fraction of
the time it takes to import all of them (the ledger, pydantic's command models, the HTTP
server, the synthetic generator).

A ``LazyGroup`` knows, per verb, the module that defines it and (for the group's own
``--help``) the first paragraph of its help; the module is imported, and registers the verb
as usual (``@cli.command``), the first time the verb is looked up. ``tests/cli/test_lazy.py``
checks the index against the verbs themselves, so a new verb or a changed help line that is
not in it fails there.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from gettext import gettext as _
from typing import Any

import click


class LazyGroup(click.Group):
    """``lazy``: verb name → the module that defines it (``stafet.cli.write``); ``helps``:
    verb name → the first paragraph of its help, shown by the group's ``--help`` without
    importing the module. A verb without a help line here is imported for ``--help``."""

    def __init__(self, *args: Any, lazy: Mapping[str, str] | None = None,
                 helps: Mapping[str, str] | None = None, **kwargs: Any) -> None:
        self._lazy = dict(lazy or {})
        self._helps = dict(helps or {})
        super().__init__(*args, **kwargs)

    # click reads and writes ``self.commands``; reading it from outside (a test walking the
    # tree, click's "did you mean") sees every verb, so it imports them all.
    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        self.load_all()
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        if name is None:
            raise TypeError("Command has no name.")
        self._commands[name] = cmd  # not via ``commands``: that would import every verb

    def load_all(self) -> None:
        for module in sorted(set(self._lazy.values())):
            importlib.import_module(module)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._commands and cmd_name in self._lazy:
            importlib.import_module(self._lazy[cmd_name])
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self._commands) | set(self._lazy))

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click's, with a stand-in carrying the indexed help line for a verb not imported
        (click shortens it to the terminal's width the same way)."""
        shown = []
        for name in self.list_commands(ctx):
            cmd = self._commands.get(name)
            if cmd is None and name in self._helps:
                cmd = click.Command(name, help=self._helps[name])
            elif cmd is None:
                cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                shown.append((name, cmd))
        if shown:
            limit = formatter.width - 6 - max(len(name) for name, _ in shown)
            with formatter.section(_("Commands")):
                formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])
