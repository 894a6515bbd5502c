"""Running ``stafet`` as another, unprivileged user, and planting a crash.

File modes mean nothing to root, so "a file this user may not read" and "a log that belongs to
another user" are tried as a real second user (``runuser``; the tests skip unless they run as
root). That user runs the same code through a Python it may execute: ours if it can reach it,
else the system's of the same version, with our packages added (``site.addsitedir``).

``crashing_reader`` (``CRASH`` in another process) is a bug planted for the tests of the error
log: the first read a verb makes raises a database error that quotes personal data
(SQLAlchemy's ``[parameters: ...]``, pydantic's ``input_value=...``), as a driver would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy.exc
from pydantic import BaseModel, ValidationError

from stafet.ledger import Ledger
from stafet.reader import Reader
from tests.cli._support import ROOT, Result

OTHER_USER = "stafettest"
SITE = sysconfig.get_paths()["purelib"]  # our packages, stafet itself (editable) among them

# The personal data the planted crash quotes; none of it may reach the error log.
PERSONAL = ("louise.holm@jobcenter-odense", "opfølgning på forløbet", "9f86d081884c7d65")

def crashing_reader(self: Ledger, actor: str | None, purpose: str | None = None) -> Reader:
    """``Ledger.reader`` with a planted bug: a driver's error quoting personal data."""
    try:
        _Row(actor=PERSONAL[0])
    except ValidationError as invalid:
        raise sqlalchemy.exc.StatementError(
            "a planted bug",
            "INSERT INTO stafet_access_log (actor, purpose, subject) VALUES (?, ?, ?)",
            PERSONAL, invalid) from invalid
    raise AssertionError("unreachable")


class _Row(BaseModel):
    actor: int


# The same, planted in another process before stafet runs.
CRASH = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from stafet.ledger import Ledger
from tests.cli._users import crashing_reader
Ledger.reader = crashing_reader
"""


def plant_crash(folder: Path) -> dict[str, str]:
    """A ``sitecustomize`` in ``folder`` that plants ``CRASH`` in any Python started with the
    environment returned (the installed console script too)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(CRASH, encoding="utf-8")
    folder.chmod(0o755)
    (folder / "sitecustomize.py").chmod(0o644)
    return {"PYTHONPATH": str(folder)}


def _python_for(user: str) -> str | None:
    """A Python of our version the user may run, or None."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in (sys.executable, shutil.which(version), f"/usr/bin/{version}"):
        if candidate and subprocess.run(
                ["runuser", "-u", user, "--", candidate, "-c", "import site"],
                capture_output=True, timeout=30).returncode == 0:
            return candidate
    return None


@pytest.fixture(scope="session")
def other_user() -> str:
    """An unprivileged user to run stafet as (created if missing); skips unless root."""
    if os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("runs stafet as another user: needs root and runuser")
    if subprocess.run(["id", OTHER_USER], capture_output=True).returncode != 0:
        made = subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", OTHER_USER],
                              capture_output=True, text=True)
        if made.returncode != 0 and "already exists" not in made.stderr:
            pytest.skip(f"cannot create the user {OTHER_USER}: {made.stderr.strip()}")
    if _python_for(OTHER_USER) is None or not os.access(SITE, os.R_OK):
        pytest.skip(f"no Python of this version that {OTHER_USER} may run")
    return OTHER_USER


@pytest.fixture
def shared_tmp() -> Iterator[Path]:
    """A folder the other user may reach (pytest's own tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="stafet-users-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def as_user(user: str, *args: str, env: dict[str, str] | None = None, cwd: Path,
            crash: bool = False) -> Result:
    """``stafet ARGS`` run by ``user`` in ``cwd`` (no --db/--as added); ``crash`` plants the
    bug of ``CRASH`` first."""
    python = _python_for(user)
    assert python is not None
    program = (f"import site, sys; site.addsitedir({SITE!r}); sys.argv[0] = 'stafet'\n"
               + (CRASH if crash else "")
               + "\nfrom stafet.cli import main\nmain()\n")
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "LANG": "C.UTF-8",
                   **(env or {})}
    done = subprocess.run(
        ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in environment.items()),
         python, "-c", program, *args],
        capture_output=True, timeout=120, cwd=cwd)
    return Result(done.returncode, done.stdout.decode("utf-8", "replace"),
                  done.stderr.decode("utf-8", "replace"))


def give_to(user: str, *paths: Path) -> None:
    """Make the paths the user's own (as ``chown``)."""
    for path in paths:
        shutil.chown(path, user, user)
