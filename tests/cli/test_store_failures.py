"""A store that cannot be used, and one that cannot be used just now (issue 13, finding 8).

| what | exit | on |
|---|---|---|
| a folder as --db, a folder that does not exist or cannot be reached | 2 | SQLite |
| a file or folder this user may not read or write (a read writes the access log) | 2 | SQLite |
| a truncated file, a file that is not SQLite, a damaged page (`verify` too: it cannot open it) | 2 | SQLite |
| an entry whose bytes were damaged: read | 2, naming the entry | both |
| the same entry: `verify` | 1, naming the position | both |
| an unknown database or user, a bad schema name, a name too long, missing privileges | 2 | PostgreSQL |
| the disk is full | 75; sent again once there is space, stored once | SQLite (tmpfs) |
| the server unreachable, gone, busy, shutting down, a lock not granted | 75 | PostgreSQL |

Each is one line on stderr naming the file or the setting, no traceback; and a UnicodeError
that is not the command line's never says it is.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from stafet.ledger import Ledger
from stafet.storage.failures import Setting, StoreUnavailable, StoreUnusable, explain
from stafet.storage.url import parse_db_url
from tests.cli._support import (
    AUDITOR,
    HOLDER,
    Result,
    apply,
    assert_clean_failure,
    history,
    sqlite_url,
    stafet,
    with_roles,
)
from tests.cli._users import as_user, give_to
from tests.cli.test_write_verbs import BASE
from tests.trust.support import RawStore

# A verb of each kind: a read, a write, a batch, the auditor's verify, init.
VERBS = [
    pytest.param(["case", "list"], id="read"),
    pytest.param(["note", "abcdef", "Notat"], id="write"),
    pytest.param(["--as", AUDITOR, "verify"], id="verify"),
    pytest.param(["init"], id="init"),
]


def one_line(result: Result, code: int, *fragments: str) -> str:
    assert_clean_failure(result, code, *fragments)
    assert result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1, str(result)
    assert lines[0].startswith("Error: "), str(result)
    assert "UTF-8" not in lines[0], str(result)
    assert "Unexpected error" not in lines[0], str(result)
    return lines[0]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Made once a module: the roles set up, a case with a note, all in the file (no WAL)."""
    path = tmp_path_factory.mktemp("template") / "stafet.db"
    db = sqlite_url(path)
    with_roles(db)
    case_id = str(apply(db, *BASE).json["cases"][0])
    assert stafet(db, "note", case_id[:6], "Alt vel.").code == 0
    _checkpoint(path)
    return path, case_id


@pytest.fixture
def team(template: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """(the SQLite file, a case id): a copy of the template of the test's own."""
    path = tmp_path / "stafet.db"
    path.write_bytes(template[0].read_bytes())
    return path, template[1]


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so the file alone is the store."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()


# -- SQLite: a wrong path ----------------------------------------------------------------------


@pytest.mark.parametrize("argv", VERBS)
def test_a_folder_as_the_database_is_exit_2_naming_it(tmp_path: Path, argv: list[str]) -> None:
    folder = tmp_path / "stafet.db"
    folder.mkdir()
    one_line(stafet(sqlite_url(folder), *argv), 2,
             f"{folder} is a folder, not a database file")
    assert os.listdir(folder) == []


# -- SQLite: a damaged file ----------------------------------------------------------------------


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:5000])


def _not_sqlite(path: Path) -> None:
    path.write_text("case_id;status\n1;open\n", encoding="utf-8")


def _damaged_schema(path: Path) -> None:
    """The end of the first page (where the schema's cells are) overwritten: every open fails."""
    data = bytearray(path.read_bytes())
    data[3000:4096] = bytes(range(256)) * 4 + bytes(72)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_truncated, _not_sqlite, _damaged_schema],
                         ids=["truncated", "not-sqlite", "damaged-schema"])
@pytest.mark.parametrize("argv", [*VERBS[:3], pytest.param(["case", "show", "{case}"], id="show")])
def test_a_damaged_file_is_exit_2_naming_it_for_every_verb_verify_too(
        team: tuple[Path, str], damage: object, argv: list[str]) -> None:
    path, case_id = team
    assert callable(damage)
    damage(path)
    before = path.read_bytes()

    line = one_line(stafet(sqlite_url(path), *(a.replace("{case}", case_id[:6]) for a in argv)),
                    2, str(path))

    assert "is damaged or is not a stafet database" in line
    assert path.read_bytes() == before


def test_damaged_bytes_of_one_entry_are_exit_2_to_read_and_exit_1_to_verify(
        db_url: str, tmp_path: Path) -> None:
    """The finding: a bit-flipped file was reported as "not valid UTF-8 on the command
    line". Bytes of an entry that are no longer UTF-8, or no longer JSON, on both backends."""
    with_roles(db_url)
    case_id = str(apply(db_url, *BASE).json["cases"][0])
    assert stafet(db_url, "note", case_id[:6], "Alt vel.").code == 0
    raw = RawStore(db_url)
    note = next(e for e in raw.events() if e.topic == "NoteLogged")

    for damaged in (b"\xff\xfe" + note.state[2:], note.state.replace(b'"', b"'", 1)):
        raw.set_state(note.seq, damaged)
        for argv in (["case", "history", case_id[:6]], ["case", "show", case_id[:6]]):
            line = one_line(stafet(db_url, *argv), 2,
                            f"entry {note.version} of case {case_id} cannot be read")
            assert "the database is damaged: run stafet verify" in line
        checked = stafet(db_url, "verify", actor=AUDITOR)
        assert checked.code == 1, str(checked)
        assert f"BROKEN at position {note.seq}" in checked.out + checked.err
    raw.set_state(note.seq, note.state)
    assert stafet(db_url, "verify", actor=AUDITOR).code == 0
    assert history(db_url, case_id)[-1]["data"]["text"] == "Alt vel."


# -- SQLite: files and folders this user may not use (a real other user; root may do anything) --


def _store_for(user: str, shared_tmp: Path) -> Path:
    """A store in a folder of the user's own, with a case (so verify has something to check)."""
    folder = shared_tmp / "store"
    folder.mkdir()
    path = folder / "stafet.db"
    with Ledger(sqlite_url(path)) as ledger:
        ledger.appoint_first_admin("it@kommunen")
        ledger.grant_role(actor="it@kommunen", role="auditor", to=AUDITOR)
    _checkpoint(path)
    give_to(user, shared_tmp, folder, path)
    return path


@pytest.mark.process
@pytest.mark.parametrize(("setup", "says"), [
    pytest.param(lambda f: f.chmod(0o444), "{file} is read-only for this user", id="read-only-file"),
    pytest.param(lambda f: f.parent.chmod(0o555), "the folder {folder} cannot be written by this user",
                 id="read-only-folder"),
    pytest.param(lambda f: f.chmod(0o000), "{file} cannot be read by this user", id="unreadable-file"),
    pytest.param(lambda f: f.parent.chmod(0o000), "the folder {folder} cannot be reached by this user",
                 id="unreachable-folder"),
])
@pytest.mark.parametrize("argv", [VERBS[0], VERBS[2]])
def test_a_file_or_folder_this_user_may_not_use_is_exit_2_naming_it(
        shared_tmp: Path, other_user: str, setup: object, says: str, argv: list[str]) -> None:
    path = _store_for(other_user, shared_tmp)
    assert callable(setup)
    setup(path)
    try:
        result = as_user(other_user, "--db", sqlite_url(path), "--as", HOLDER, "--purpose",
                         "opfølgning", *argv, cwd=shared_tmp)
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    if "--as" in argv and "read-only" in says and "{file}" in says:
        # verify only reads: since every table beside the log is made with the store (its
        # schema versions, tests/operations), a read-only store verifies.
        assert result.code == 0 and "Intact" in result.out, result.err
        return
    one_line(result, 2, says.format(file=path, folder=path.parent))
    assert "Traceback" not in result.err


# -- SQLite: the disk is full (a small tmpfs; root) ---------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounts a small tmpfs: needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    # (8 MiB, not less: a smaller tmpfs refuses writes of a few hundred kB on some kernels.)
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(folder: Path) -> Path:
    """Fill the disk up to the last byte; the filler file, to free the space again."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, bytes(size))
            except OSError as error:
                assert error.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


@pytest.mark.slow
def test_a_full_disk_is_exit_75_and_the_command_is_stored_once_when_sent_again(
        small_disk: Path, team: tuple[Path, str]) -> None:
    path, case_id = team
    (small_disk / "stafet.db").write_bytes(path.read_bytes())
    db = sqlite_url(small_disk / "stafet.db")
    before = history(db, case_id)
    filler = _fill(small_disk)
    note = ("note", case_id[:6], "Skrevet da disken var fuld.", "--command-id", "fuld-1")

    full = stafet(db, *note)

    line = one_line(full, 75, f"the disk holding {small_disk / 'stafet.db'} is full")
    assert "free some space and send the command again" in line
    filler.unlink()
    assert stafet(db, *note).code == 0
    assert stafet(db, *note).out.startswith("Already stored earlier")
    after = history(db, case_id)
    assert after[:-1] == before and after[-1]["command_id"] == "fuld-1"
    assert stafet(db, "verify", actor=AUDITOR).code == 0


# -- PostgreSQL: settings that are wrong -------------------------------------------------------


def _server(pg_url: str) -> str:
    """'host:port' of the test server, from its URL."""
    conninfo = parse_db_url(pg_url).pg_conninfo
    return f"{conninfo['host']}:{conninfo['port']}"


@pytest.mark.parametrize(("url", "says"), [
    pytest.param("postgresql+psycopg://postgres@{server}/stafet_no_such_db",
                 "the PostgreSQL database 'stafet_no_such_db' does not exist on {server}; check "
                 "the database name in --db (STAFET_DB)", id="unknown-database"),
    pytest.param("postgresql+psycopg://stafet_no_such_user@{server}/test",
                 "the PostgreSQL user 'stafet_no_such_user' does not exist on {server}; check "
                 "the user name in --db (STAFET_DB)", id="unknown-user"),
    pytest.param('postgresql+psycopg://postgres@{server}/test?schema=a"b',
                 "the schema 'a\"b' in the database URL is not a plain name", id="schema-quote"),
    pytest.param("postgresql+psycopg://postgres@{server}/test?schema=Stafet",
                 "the schema 'Stafet' in the database URL is not a plain name", id="schema-case"),
    pytest.param("postgresql+psycopg://postgres@{server}/" + "d" * 64,
                 "is longer than PostgreSQL allows (63 bytes)", id="long-database-name"),
])
@pytest.mark.parametrize("argv", VERBS)
def test_a_wrong_postgresql_setting_is_exit_2_naming_it(
        pg_url: str, url: str, says: str, argv: list[str]) -> None:
    server = _server(pg_url)
    one_line(stafet(url.format(server=server), *argv), 2, says.format(server=server))


@pytest.fixture
def unprivileged_url(pg_url: str) -> Iterator[str]:
    """A login that may connect but not create a schema (no CREATE on the database)."""
    role, schema = "stafet_no_privileges", f"t_{uuid.uuid4().hex[:12]}"
    admin = parse_db_url(pg_url).pg_dsn
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    yield f"postgresql+psycopg://{role}@{_server(pg_url)}/test?schema={schema}"


@pytest.mark.parametrize("argv", VERBS)
def test_a_postgresql_user_without_privileges_is_exit_2(unprivileged_url: str,
                                                         argv: list[str]) -> None:
    line = one_line(stafet(unprivileged_url, *argv), 2, "PostgreSQL refused on ",
                    "permission denied", "--db (STAFET_DB)")
    assert "Try again" not in line


@pytest.mark.parametrize("argv", VERBS)
def test_an_unreachable_postgresql_is_exit_75(argv: list[str]) -> None:
    line = one_line(stafet("postgresql+psycopg://postgres@127.0.0.1:1/test", *argv), 75,
                    "the database could not be reached or used just now", "Connection refused")
    assert line.endswith("Try again.")


# -- what each driver error means (the classification itself) ---------------------------------


def _pg_error(cls: type[psycopg.Error], message: str) -> psycopg.Error:
    return cls(message)


PG = Setting("--db (STAFET_DB)", parse_db_url("postgresql+psycopg://anne@db.kommune:5432/stafet"))


@pytest.mark.parametrize(("error", "kind", "says"), [
    (psycopg.OperationalError('connection failed: connection to server at "10.0.0.5", port 5432 '
                              'failed: FATAL:  password authentication failed for user "anne"'),
     StoreUnusable, "PostgreSQL refused the login on db.kommune:5432 (password authentication "
     "failed for user \"anne\"); check the user and password in --db (STAFET_DB)"),
    (psycopg.OperationalError('connection failed: connection to server at "10.0.0.5", port 5432 '
                              'failed: FATAL:  no pg_hba.conf entry for host "10.0.0.9"'),
     StoreUnusable, "PostgreSQL refused the login"),
    (psycopg.OperationalError("failed to resolve host 'db.kommune': [Errno -2] Name or service "
                              "not known"), StoreUnusable, "the database host is not known"),
    (psycopg.OperationalError("failed to resolve host 'db.kommune': [Errno -3] Temporary failure "
                              "in name resolution"), StoreUnavailable, "Try again"),
    (psycopg.OperationalError('connection failed: connection to server at "10.0.0.5", port 5432 '
                              "failed: FATAL:  sorry, too many clients already"),
     StoreUnavailable, "too many clients already"),
    (psycopg.OperationalError("consuming input failed: server closed the connection "
                              "unexpectedly"), StoreUnavailable, "server closed the connection"),
    (_pg_error(psycopg.errors.AdminShutdown, "terminating connection due to administrator "
                                             "command"), StoreUnavailable, "Try again"),
    (_pg_error(psycopg.errors.LockNotAvailable, "canceling statement due to lock timeout"),
     StoreUnavailable, "lock timeout"),
    (_pg_error(psycopg.errors.DiskFull, "could not extend file: No space left on device"),
     StoreUnavailable, "No space left"),
    (_pg_error(psycopg.errors.InvalidCatalogName, 'database "stafet" does not exist'),
     StoreUnusable, "the PostgreSQL database 'stafet' does not exist"),
    (_pg_error(psycopg.errors.InvalidPassword, 'password authentication failed for user "anne"'),
     StoreUnusable, "PostgreSQL refused the login"),
    (_pg_error(psycopg.errors.InsufficientPrivilege, "permission denied for schema stafet"),
     StoreUnusable, "permission denied for schema stafet"),
], ids=["auth-failed", "pg-hba", "unknown-host", "dns-down", "too-many-clients", "server-closed",
        "admin-shutdown", "lock-timeout", "disk-full", "no-database", "bad-password",
        "no-privilege"])
def test_postgresql_errors_are_told_apart_permanent_from_passing(
        error: Exception, kind: type[Exception], says: str) -> None:
    found = explain(error, [PG])
    assert isinstance(found, kind), (found, error)
    assert says in found.message, found.message
    assert "\n" not in found.message


def _sqlite_error(code: int, message: str) -> sqlite3.Error:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]  (set by the driver)
    return error


@pytest.mark.parametrize(("code", "message", "kind", "says"), [
    (sqlite3.SQLITE_FULL, "database or disk is full", StoreUnavailable,
     "the disk holding {file} is full"),
    (sqlite3.SQLITE_BUSY, "database is locked", StoreUnavailable, "Try again"),
    (sqlite3.SQLITE_IOERR, "disk I/O error", StoreUnavailable,
     "{file} could not be read or written (disk I/O error"),
    (sqlite3.SQLITE_NOTADB, "file is not a database", StoreUnusable,
     "{file} is damaged or is not a stafet database (file is not a database)"),
    (sqlite3.SQLITE_CORRUPT, "database disk image is malformed", StoreUnusable,
     "{file} is damaged"),
    (sqlite3.SQLITE_READONLY, "attempt to write a readonly database", StoreUnusable,
     "{file} cannot be opened for reading and writing by this user"),
], ids=["full", "busy", "io-error", "not-a-database", "corrupt", "read-only"])
def test_sqlite_errors_are_told_apart_permanent_from_passing(
        tmp_path: Path, code: int, message: str, kind: type[Exception], says: str) -> None:
    file = tmp_path / "stafet.db"
    file.write_bytes(b"")
    setting = Setting("--db (STAFET_DB)", parse_db_url(sqlite_url(file)))
    found = explain(_sqlite_error(code, message), [setting])
    assert isinstance(found, kind), found
    assert says.format(file=file) in found.message, found.message


def test_a_syntax_error_is_no_database_failure_but_a_bug() -> None:
    """Not every driver error is the database's: ours (a bad statement) stays a crash (70)."""
    assert explain(psycopg.errors.SyntaxError('syntax error at or near "FORM"'), [PG]) is None
    assert explain(ValueError("no"), [PG]) is None


def test_a_unicode_error_that_is_not_the_command_lines_is_not_reported_as_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the arguments make the "not valid UTF-8" message; bytes from elsewhere are a
    bug (70, logged) or damage (2, above)."""
    def undecodable(*_args: object, **_kw: object) -> object:
        return b"\xff".decode("utf-8")

    monkeypatch.setattr(Ledger, "reader", undecodable)
    (tmp_path / "stafet.db").touch()  # a store that is there (an empty file is one to SQLite)
    result = stafet(sqlite_url(tmp_path / "stafet.db"), "case", "list")
    assert result.code == 70, str(result)
    assert "UTF-8" not in result.err and result.err.startswith("Unexpected error;")

    latin1 = b"s\xf8nderborg".decode("utf-8", "surrogateescape")
    argv = stafet(sqlite_url(tmp_path / "stafet.db"), "case", "list", "--org", latin1)
    assert_clean_failure(argv, 2, "the command line holds text that is not valid UTF-8")
