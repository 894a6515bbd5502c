"""Running the ``stafet`` command line in tests: in-process (fast) and as the installed script.

``stafet(db, ...)`` runs ``stafet.cli.main`` -- the real entry point, which maps errors to exit
codes 0/1/2/70 -- inside click's CliRunner isolation (argv, stdin, stdout, stderr, environment),
so a test sees exactly the exit code, stdout and stderr a person at a terminal would see.
``installed(...)`` runs ``.venv/bin/stafet`` in a subprocess, for what needs a real process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from click.testing import CliRunner

from stafet import Ledger
from stafet.cli import main
from stafet.domain.commands import build_command
from stafet.domain.decide import Context, decide

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
STAFET = str(Path(sys.executable).parent / "stafet")

HOLDER = "anne@jobcenter"
SOCIAL = "bo@socialcenter"
ADDICTION = "carl@misbrugscenter"
PURPOSE = "opfølgning på forløbet"

# The ledger's roles (docs/authorisation.md): appointed once, then granted by the administrator.
ADMIN = "it@kommunen"
AUDITOR = "revisor@kommunen"
DPO = "dpo@kommunen"
ROLE_EVENTS = 3  # what ``with_roles`` records in the administration's stream

# Who reads each example case back: the coordinator holding its baton at the end of the story.
ADULT_HOLDER = "peter.lund@socialafdelingen-odense"
FAMILY_HOLDER = "lars.winther@skovvangskolen"
EXAMPLE_HOLDER = {"adult-case": ADULT_HOLDER, "family-case": FAMILY_HOLDER}

_CLEAN_ENV: dict[str, str | None] = {"STAFET_DB": None, "STAFET_ACTOR": None, "STAFET_PURPOSE": None,
                                     "STAFET_CHECKPOINTS": None, "STAFET_CHECKPOINT_KEY": None}

# A person-readable moment: "2 Mar 2026 09:15" (dates in tables are never ISO timestamps).
READABLE_MOMENT = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d\b")
ISO_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def soon(days: int = 30) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        assert self.code == 0, f"exit {self.code}: {self.err}"
        return json.loads(self.out)

    def __str__(self) -> str:  # shown by pytest when an assertion about the result fails
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def stafet(db: str | None, *args: str, actor: str | None = HOLDER, purpose: str | None = PURPOSE,
           stdin: str | bytes | None = None, env: dict[str, str | None] | None = None) -> Result:
    """``stafet --db DB --as ACTOR --purpose PURPOSE ARGS...`` in-process, through ``main()``."""
    argv = ["stafet"]
    if db is not None:
        argv += ["--db", db]
    if actor is not None:
        argv += ["--as", actor]
    if purpose is not None:
        argv += ["--purpose", purpose]
    argv += list(args)
    runner = CliRunner()
    old_argv = sys.argv
    with runner.isolation(input=stdin, env={**_CLEAN_ENV, **(env or {})}) as (out, err, _):
        sys.argv = argv
        code = 0
        try:
            main()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            sys.argv = old_argv
            sys.stdout.flush()
            sys.stderr.flush()
        return Result(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))


def installed(*args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None,
              cwd: Path = ROOT) -> Result:
    """The installed console script in a subprocess (no --db/--as added)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("STAFET_")}
    environment.update(env or {})
    done = subprocess.run([STAFET, *args], input=stdin.encode() if isinstance(stdin, str) else stdin,
                          capture_output=True, timeout=60, cwd=cwd, env=environment)
    return Result(done.returncode, done.stdout.decode("utf-8", "replace"),
                  done.stderr.decode("utf-8", "replace"))


def batch(*lines: dict[str, Any]) -> str:
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def apply(db: str, *lines: dict[str, Any], atomic: bool = False) -> Result:
    args = ["--json", "apply", *(["--atomic"] if atomic else []), "-"]
    return stafet(db, *args, stdin=batch(*lines))


def open_case(db: str, *, actor: str = HOLDER, kind: str = "adult", subject: str = "borger-4711",
              title: str = "Samlet forløb", permanent: bool = True) -> str:
    """Open a case through the CLI; its full id."""
    result = stafet(db, "--json", "case", "open", "--subject", subject, "--subject-kind", kind,
                    "--title", title, *(["--permanent"] if permanent else []), actor=actor)
    return str(result.json["case_id"])


def with_roles(db: str, env: dict[str, str | None] | None = None) -> None:
    """Set the ledger up as a municipality does: ``init --admin`` appoints the administrator,
    who grants the auditor and the data protection officer their roles (ROLE_EVENTS events)."""
    for args, actor in ((["init", "--admin", ADMIN], None),
                        (["roles", "grant", "auditor", AUDITOR], ADMIN),
                        (["roles", "grant", "dpo", DPO], ADMIN)):
        done = stafet(db, *args, actor=actor, purpose=None, env=env)
        assert done.code == 0, str(done)


def history(db: str, case: str, *, actor: str = HOLDER) -> list[dict[str, Any]]:
    """The case's history as ``actor`` (a participant of the case) reads it."""
    result = stafet(db, "--json", "case", "history", case, actor=actor)
    return list(result.json)


def show(db: str, case: str, *, actor: str = HOLDER) -> dict[str, Any]:
    return dict(stafet(db, "--json", "case", "show", case, actor=actor).json)


def cases(db: str, *, actor: str = HOLDER) -> list[dict[str, Any]]:
    """The case list as ``actor`` sees it: the cases they take part in."""
    return list(stafet(db, "--json", "case", "list", actor=actor).json)


def assert_clean_failure(result: Result, code: int, *fragments: str) -> None:
    """A refusal or usage error: the exit code, each fragment on stderr, no traceback, no stdout."""
    assert result.code == code, str(result)
    for fragment in fragments:
        assert fragment in result.err, str(result)
    assert "Traceback" not in result.err and "Traceback" not in result.out, str(result)


def table_columns(header: str) -> list[int]:
    """Where each titled column starts in a table's header line."""
    return [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]


def assert_aligned(lines: list[str]) -> None:
    """Every row of a table starts each column exactly under the header's title, after a gap."""
    header, *rows = lines
    starts = table_columns(header)
    assert rows, lines
    for row in rows:
        for start in starts[1:]:
            if start >= len(row):
                continue  # an empty last cell (rows are right-stripped)
            assert row[start - 2:start] == "  ", f"column at {start} is not aligned:\n" + "\n".join(lines)


def section(text: str, title: str) -> list[str]:
    """The lines under a heading of ``case show`` (up to the next blank line or heading)."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == title)
    indent = len(lines[index]) - len(lines[index].lstrip())
    body = []
    for line in lines[index + 1:]:
        if not line.strip() or len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return body


def store_case_with_id(db: str, case_id: str, *, title: str = "Forløb") -> None:
    """Store a case opened by HOLDER under a chosen id, through the ledger's own decide and save.

    Ids are random UUIDs, so two sharing their first 6 digits turn up only among thousands of
    cases (as they will in a municipality); this makes such a pair on purpose, with the same
    events the ledger itself stores for ``case open``."""
    with Ledger(db) as ledger:
        command = build_command("case.open", {
            "actor": HOLDER, "subject_ref": "borger-4711", "subject_kind": "adult",
            "title": title, "temporary": False,
        })
        context = Context(command=command, now=ledger.clock(), policy=ledger.policy,
                          new_case_id=UUID(case_id))
        ledger.store.append(decide(None, command, context), [])
        ledger.read_models.catch_up()
