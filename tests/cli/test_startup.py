"""Start-up: ``stafet --help`` and the read verbs on SQLite do not import what they never use.

A person at a terminal waits for every import before anything happens; the PostgreSQL
driver, the HTTP server, PDF and HTML rendering, FHIR and the synthetic generator are
imported by the verbs that use them, and by no other. Each check runs the real entry point
in a fresh interpreter (imports are per process) and looks at ``sys.modules`` after it.
How long start-up takes is measured in bench/startup.py, not here.

The verbs are imported lazily (``stafet.cli.lazy``) from an index (``stafet.cli.index``);
the index is checked here against the verbs themselves.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys

import click
import pytest

import stafet.cli
from stafet.cli.app import cli
from stafet.cli.index import ADDED, VERBS
from tests.cli._support import EXAMPLES

NEVER_FOR_HELP = ("psycopg", "fastapi", "uvicorn", "weasyprint", "jinja2", "fhir",
                  "stafet.dev", "stafet.http", "stafet.web", "stafet.documents",
                  # nor the ledger, the store or the domain's models: --help reads none of them
                  "stafet.ledger", "stafet.storage", "stafet.domain.commands", "pydantic",
                  "sqlalchemy", "eventsourcing")
NEVER_FOR_A_SQLITE_READ = ("psycopg", "fastapi", "uvicorn", "weasyprint", "jinja2", "fhir",
                           "stafet.dev", "stafet.http", "stafet.web", "stafet.documents")

_PROBE = """
import json, sys
sys.argv = ["stafet", *json.loads(sys.argv[1])]
from stafet.cli import main
try:
    main()
except SystemExit as stop:
    code = stop.code
else:
    code = 0
print("\\n@@" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _run(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args)], capture_output=True,
                          text=True, env=env, check=False, timeout=120)
    tail = done.stdout.rpartition("\n@@")[2]
    found = json.loads(tail)
    return found["code"], set(found["modules"])


def _imported(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(p for p in packages if any(m == p or m.startswith(p + ".") for m in modules))


def test_help_imports_no_database_driver_server_renderer_or_model() -> None:
    code, modules = _run("--help")
    assert code == 0
    assert _imported(modules, NEVER_FOR_HELP) == []


def test_a_group_help_imports_only_its_own_verbs() -> None:
    code, modules = _run("case", "--help")
    assert code == 0
    assert _imported(modules, ("stafet.cli.serve", "stafet.cli.dev", "stafet.cli.report",
                               *NEVER_FOR_A_SQLITE_READ)) == []


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str]:
    db = f"sqlite:///{tmp_path_factory.mktemp('startup') / 'stafet.db'}"
    env = {**os.environ, "STAFET_DB": db, "STAFET_PURPOSE": "opfølgning"}
    for args in (["init", "--admin", "it@kommunen"],
                 ["apply", str(EXAMPLES / "adult-case" / "case.jsonl")]):
        subprocess.run([sys.executable, "-c", "from stafet.cli import main; main()", *args],
                       env=env, check=True, capture_output=True)
    listed = subprocess.run(
        [sys.executable, "-c", "from stafet.cli import main; main()",
         "--as", "peter.lund@socialafdelingen-odense", "--json", "case", "list"],
        env=env, check=True, capture_output=True, text=True)
    return env, json.loads(listed.stdout)[0]["case_id"]


@pytest.mark.process
@pytest.mark.parametrize("verb", [("case", "show"), ("case", "history"), ("case", "list"),
                                  ("verify",)])
def test_a_read_on_sqlite_imports_no_postgres_server_or_renderer(
        sqlite_store: tuple[dict[str, str], str], verb: tuple[str, ...]) -> None:
    env, case_id = sqlite_store
    actor = "it@kommunen" if verb == ("verify",) else "peter.lund@socialafdelingen-odense"
    args = (*verb, case_id) if verb[0] == "case" and verb[1] != "list" else verb
    code, modules = _run("--as", actor, *args, env=env)
    assert code == 0
    assert _imported(modules, NEVER_FOR_A_SQLITE_READ) == []


# -- the index the lazy verbs are found by ------------------------------------------------------


def _every_verb_module() -> None:
    for info in pkgutil.iter_modules(stafet.cli.__path__):
        importlib.import_module(f"stafet.cli.{info.name}")


def test_the_index_names_every_verb_and_its_module() -> None:
    _every_verb_module()
    commands = cli.commands  # every verb, all modules imported
    assert set(commands) == set(VERBS)
    for verb, command in commands.items():
        assert command.callback is not None
        assert command.callback.__module__ == f"stafet.cli.{VERBS[verb][0]}", verb
    for group, added in ADDED.items():
        sub = commands[group]
        assert isinstance(sub, click.Group)
        for verb, module in added.items():
            callback = sub.commands[verb].callback
            assert callback is not None and callback.__module__ == f"stafet.cli.{module}"
        own = sub.callback.__module__ if sub.callback else None
        others = {v for v, c in sub.commands.items()
                  if c.callback is not None and c.callback.__module__ != own}
        assert others == set(added), f"verbs added to {group} by other modules"


@pytest.mark.parametrize("width", [40, 60, 80, 120, 200])
def test_the_index_help_lines_are_the_verbs_own(width: int) -> None:
    _every_verb_module()
    for verb, command in cli.commands.items():
        stand_in = click.Command(verb, help=VERBS[verb][1])
        assert stand_in.get_short_help_str(width) == command.get_short_help_str(width), verb


@pytest.mark.process
def test_a_write_on_sqlite_imports_no_postgres_driver_or_dialect(
        sqlite_store: tuple[dict[str, str], str]) -> None:
    """A command keeps the read models current in its own transaction on SQLite; neither
    psycopg nor SQLAlchemy's PostgreSQL dialect is imported for it."""
    env, case_id = sqlite_store
    code, modules = _run("--as", "peter.lund@socialafdelingen-odense", "note", case_id,
                         "ring i morgen", env=env)
    assert code == 0
    assert _imported(modules, (*NEVER_FOR_A_SQLITE_READ, "sqlalchemy.dialects.postgresql")) == []
