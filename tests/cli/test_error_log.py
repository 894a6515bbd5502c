"""The error log (issue 13, finding 7): the details of an unexpected error (exit 70) are
written where only the user who ran stafet reads them, and without personal data.

- where: ``--error-log FILE`` / ``STAFET_ERROR_LOG``, else beside the SQLite file, else (on
  PostgreSQL) ``$XDG_STATE_HOME/stafet/`` or ``~/.local/state/stafet/``; never the shared
  temporary directory;
- how: created 0600 (an older log readable by others is made 0600), appended, never through a
  symbolic link, never into a file another user owns;
- what: the exception types and code locations, not the SQL parameters, PostgreSQL's DETAIL or
  pydantic's input values;
- a log that cannot be written leaves the exit code at 70, with one line saying so.

The crash is planted (tests/cli/_users.py): the first read of the verb raises a driver's error
quoting personal data. One test runs the installed console script; the "another user" cases
run as a real unprivileged user (root ignores file modes).
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from stafet.cli.errorlog import redact
from stafet.ledger import Ledger
from tests.cli._support import Result, installed, sqlite_url, stafet
from tests.cli._users import PERSONAL, as_user, crashing_reader, give_to, plant_crash

LOG = "stafet-error.log"


@pytest.fixture
def crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every verb that reads crashes (in this process)."""
    monkeypatch.setattr(Ledger, "reader", crashing_reader)


def existing(path: Path) -> Path:
    """A store file that exists (empty: SQLite makes it a database), for a read to crash in:
    a read of a store that is not there is refused before anything runs."""
    path.touch()
    if path.parent.owner() != "root":
        shutil.chown(path, path.parent.owner(), path.parent.group())
    return path


def case_list(db: str, *, env: dict[str, str | None] | None = None, extra: tuple[str, ...] = ()
              ) -> Result:
    return stafet(db, *extra, "case", "list", env={"TMPDIR": None, **(env or {})})


def assert_one_line_70(result: Result, *fragments: str) -> str:
    assert result.code == 70, str(result)
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, str(result)
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert fragment in lines[0], str(result)
    return lines[0]


def assert_private_and_clean(log: Path) -> str:
    """0600, the traceback's types and places, none of the personal data the error quoted."""
    assert stat.S_IMODE(log.stat().st_mode) == 0o600, oct(log.stat().st_mode)
    text = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "sqlalchemy.exc.StatementError" in text and "ValidationError" in text
    assert 'tests/cli/_users.py", line' in text  # where it happened
    assert "[parameters: (removed)]" in text and "input_value=(removed)" in text
    for value in PERSONAL:
        assert value not in text, f"{value!r} written to the error log"
    return text


# -- where, how, what ---------------------------------------------------------------------------


@pytest.mark.process
def test_the_installed_script_logs_beside_the_sqlite_file_not_in_the_temp_dir(
        tmp_path: Path) -> None:
    """The finding's case: the console script, a crash quoting personal data."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    store = tmp_path / "store"
    store.mkdir()
    env = {"TMPDIR": str(temp), **plant_crash(tmp_path / "planted")}

    result = installed("--db", sqlite_url(existing(store / "stafet.db")), "--as", "anne@jobcenter",
                       "--purpose", "opfølgning", "case", "list", env=env)

    line = assert_one_line_70(result)
    assert line == f"Unexpected error; the details are in {store / LOG}"
    assert_private_and_clean(store / LOG)
    assert not (temp / LOG).exists()


def test_the_log_is_appended_one_entry_a_crash(tmp_path: Path, crash: None) -> None:
    db = sqlite_url(existing(tmp_path / "stafet.db"))
    assert_one_line_70(case_list(db), str(tmp_path / LOG))
    assert_one_line_70(case_list(db), str(tmp_path / LOG))
    text = assert_private_and_clean(tmp_path / LOG)
    assert text.count("\n---- ") + text.startswith("---- ") == 2
    assert text.count("Traceback (most recent call last)") == 4  # two chained errors a crash


@pytest.mark.parametrize("how", ["option", "env"])
def test_a_configured_log_path_is_used(tmp_path: Path, crash: None, how: str) -> None:
    db = sqlite_url(existing(tmp_path / "stafet.db"))
    configured = tmp_path / "logs" / "fejl.log"  # its folder is made (0700)
    result = (case_list(db, extra=("--error-log", str(configured))) if how == "option"
              else case_list(db, env={"STAFET_ERROR_LOG": str(configured)}))
    assert_one_line_70(result, str(configured))
    assert_private_and_clean(configured)
    assert stat.S_IMODE(configured.parent.stat().st_mode) == 0o700
    assert not (tmp_path / LOG).exists()


@pytest.mark.parametrize("xdg", [True, False], ids=["XDG_STATE_HOME", "home"])
def test_on_postgresql_the_log_is_in_the_users_state_folder(
        pg_schema_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, crash: None,
        xdg: bool) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if xdg:
        monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
        expected = tmp_path / "state" / "stafet" / LOG
    else:
        monkeypatch.delenv("XDG_STATE_HOME", raising=False)
        expected = tmp_path / "home" / ".local" / "state" / "stafet" / LOG
    assert_one_line_70(case_list(pg_schema_url), str(expected))
    assert_private_and_clean(expected)


def test_an_older_log_readable_by_others_is_made_private(tmp_path: Path, crash: None) -> None:
    old = tmp_path / LOG
    old.write_text("an older stafet wrote this\n", encoding="utf-8")
    old.chmod(0o644)
    assert_one_line_70(case_list(sqlite_url(existing(tmp_path / "stafet.db"))), str(old))
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert old.read_text(encoding="utf-8").startswith("an older stafet wrote this\n")


# -- a log that cannot be written: nothing outside it touched, exit 70 all the same --------------


@pytest.mark.parametrize("target_exists", [True, False], ids=["to-a-file", "dangling"])
def test_a_planted_symlink_is_not_followed(tmp_path: Path, crash: None,
                                           target_exists: bool) -> None:
    """Another user plants stafet-error.log -> a file of ours (or where one would be made):
    nothing is written through it, even by root."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "precious"
    if target_exists:
        target.write_bytes(b"keep me\n")
        target.chmod(0o600)
    (tmp_path / LOG).symlink_to(target)

    line = assert_one_line_70(case_list(sqlite_url(existing(tmp_path / "stafet.db"))))

    assert line.startswith("Unexpected error (StatementError); the details could not be written")
    assert "symbolic link" in line
    if target_exists:
        assert target.read_bytes() == b"keep me\n"
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    else:
        assert not target.exists()
    assert os.listdir(elsewhere) == (["precious"] if target_exists else [])


def test_a_log_path_that_cannot_be_made_keeps_exit_70(tmp_path: Path, crash: None) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    line = assert_one_line_70(case_list(sqlite_url(existing(tmp_path / "stafet.db")),
                                        extra=("--error-log", str(blocker / "x.log"))))
    assert "the details could not be written" in line and str(blocker / "x.log") in line


def test_a_fifo_is_not_written_to_and_does_not_hang(tmp_path: Path, crash: None) -> None:
    os.mkfifo(tmp_path / LOG)
    line = assert_one_line_70(case_list(sqlite_url(existing(tmp_path / "stafet.db"))))
    assert "the details could not be written" in line


@pytest.mark.process
@pytest.mark.parametrize(("mode", "reason"), [(0o644, "Permission denied"),
                                           (0o666, "the file belongs to another user")])
def test_a_log_owned_by_another_user_keeps_exit_70_with_one_line(
        shared_tmp: Path, other_user: str, mode: int, reason: str) -> None:
    """The finding: a log another user owns turned every crash into a raw traceback, exit 1.
    Here root's log sits beside the user's store; the user's crash leaves it alone."""
    store = shared_tmp / "store"
    store.mkdir()
    give_to(other_user, shared_tmp, store)
    theirs = store / LOG
    theirs.write_bytes(b"root's log\n")
    theirs.chmod(mode)  # even a log they could write is not theirs to write

    result = as_user(other_user, "--db", sqlite_url(existing(store / "stafet.db")), "--as",
                     "anne@jobcenter", "--purpose", "opfølgning", "case", "list",
                     cwd=shared_tmp, crash=True)

    line = assert_one_line_70(result, "the details could not be written", str(theirs))
    assert reason in line
    assert theirs.read_bytes() == b"root's log\n"


@pytest.mark.process
def test_a_users_crash_is_logged_privately_in_their_own_folder(
        shared_tmp: Path, other_user: str) -> None:
    store = shared_tmp / "store"
    store.mkdir()
    give_to(other_user, shared_tmp, store)

    result = as_user(other_user, "--db", sqlite_url(existing(store / "stafet.db")), "--as",
                     "anne@jobcenter", "--purpose", "opfølgning", "case", "list",
                     cwd=shared_tmp, crash=True)

    assert_one_line_70(result, f"the details are in {store / LOG}")
    log = store / LOG
    assert log.stat().st_uid != 0
    assert_private_and_clean(log)


# -- what is cut out ----------------------------------------------------------------------------


def test_sql_parameters_details_and_input_values_are_cut_out() -> None:
    text = "\n".join([
        "sqlalchemy.exc.IntegrityError: (sqlite3.IntegrityError) UNIQUE constraint failed",
        "[SQL: INSERT INTO stafet_access_log (actor, purpose) VALUES (?, ?)]",
        "[parameters: ('anne@jobcenter', 'opfølgning på forløbet')]",
        "psycopg.errors.UniqueViolation: duplicate key value violates unique constraint \"k\"",
        "DETAIL:  Key (command_id)=(borger-4711-note) already exists.",
        "  Input should be a valid integer [type=int_parsing, input_value='Åse Ødegård', "
        "input_type=str]",
        '  File "/x/stafet/ledger.py", line 12, in run',
    ])
    cleaned = redact(text)
    for secret in ("anne@jobcenter", "opfølgning", "borger-4711", "Åse"):
        assert secret not in cleaned
    assert "[SQL: INSERT INTO stafet_access_log (actor, purpose) VALUES (?, ?)]" in cleaned
    assert "psycopg.errors.UniqueViolation" in cleaned
    assert 'File "/x/stafet/ledger.py", line 12, in run' in cleaned
    assert "[type=int_parsing, input_value=(removed), input_type=str]" in cleaned
