"""SQLite's read models commit with the command (projections/runner.py,
``ReadModels.apply_in_transaction``): a command's rows and its events are one transaction, so
a process that dies the moment its command committed leaves no read model behind the log,
and what they hold equals a rebuild.

The crash is real: a child process whose after-commit catch-up, if it is ever reached, kills
the process with SIGKILL (where a catch-up would have started). Before the read models were
kept in the command's transaction, that left them one command behind until the next run.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from stafet import Ledger

pytestmark = [pytest.mark.process]

HOLDER = "anne@jobcenter"

_CHILD = """
import os, signal, sys
from stafet import Ledger
from stafet.projections.runner import ReadModels

def die(*_args, **_kwargs):  # the process is gone the moment its command committed
    os.kill(os.getpid(), signal.SIGKILL)

ReadModels.catch_up = die
with Ledger(sys.argv[1]) as ledger:
    ledger.head()
    ledger.run(sys.argv[2], {"actor": sys.argv[3], "case_id": sys.argv[4], "text": "ring i morgen"})
print("done")
"""


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(path)
    try:
        names = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm_%' "
            "AND name != 'rm_tracking' ORDER BY name")]
        out = {}
        for name in names:
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({name})")
                       if r[1] != "updated_at"]
            out[name] = sorted(db.execute(f"SELECT {', '.join(columns)} FROM {name}").fetchall(),
                               key=repr)
        return out
    finally:
        db.close()


def _positions(path: Path) -> set[int]:
    db = sqlite3.connect(path)
    try:
        return {r[0] for r in db.execute("SELECT position FROM rm_tracking")}
    finally:
        db.close()


def test_a_process_killed_after_its_command_committed_leaves_the_read_models_current(
        tmp_path: Path) -> None:
    path = tmp_path / "stafet.db"
    url = f"sqlite:///{path}"
    with Ledger(url) as ledger:
        ledger.appoint_first_admin("it@kommunen")
        case = ledger.open_case(actor=HOLDER, subject_ref="borger-4711", subject_kind="adult",
                                title="Forløb")
        before = ledger.head()
    done = subprocess.run([sys.executable, "-c", _CHILD, url, "note", HOLDER, str(case.case_id)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr  # no catch-up was needed, so nothing killed it
    with Ledger(url, read_models=False) as ledger:
        head = ledger.head()
        assert head == before + 1  # the note is stored
        assert _positions(path) == {head}  # and every read model already holds it
        incremental = _tables(path)
        ledger.read_models.rebuild()
    assert _tables(path) == incremental


def test_read_models_that_were_behind_are_caught_up_after_the_commit(tmp_path: Path) -> None:
    """When the read models were behind the log (stored with them off), the command's
    transaction leaves them alone and the catch-up after it brings them to the head."""
    url = f"sqlite:///{tmp_path / 'stafet.db'}"
    with Ledger(url, read_models=False) as ledger:
        ledger.appoint_first_admin("it@kommunen")
        case = ledger.open_case(actor=HOLDER, subject_ref="borger-4711", subject_kind="adult",
                                title="Forløb")
    with Ledger(url) as ledger:
        ledger.run("note", {"actor": HOLDER, "case_id": str(case.case_id), "text": "hej"})
        head = ledger.head()
    assert _positions(tmp_path / "stafet.db") == {head}
