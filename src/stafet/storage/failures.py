"""What a database failure means to whoever ran the command, in one sentence.

Two kinds, told apart here once for every interface:

- ``StoreUnusable``: a setting is wrong or the store is damaged, and trying again will not help
  (a path that is a folder, a file or folder this user may not read or write, a file that is
  not an SQLite database or is damaged, an unknown PostgreSQL database, user or host, a
  refused login, missing privileges). The CLI exits 2.
- ``StoreUnavailable``: the database is away or busy just now, or the disk is full; the same
  command succeeds once that passes (a server restarting or refusing connections, a lost
  connection, a lock not granted in time, too many connections, no space left). The CLI
  exits 75.

Anything else is not a database failure this module knows (``explain`` answers None): a bug.
"""

from __future__ import annotations

import errno
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from stafet.domain.errors import StafetError, cut
from stafet.storage.url import StorageConfig, is_dir


class StoreUnusable(StafetError):
    """The store cannot be used as configured, or is damaged: a permanent failure."""

    code = "store.unusable"


class StoreUnavailable(StafetError):
    """The database cannot be reached or used just now: try again."""

    code = "store.unavailable"


@dataclass(frozen=True)
class Setting:
    """Where a store was configured (``--db``), for the sentence that names it."""

    option: str  # "--db (STAFET_DB)"
    storage: StorageConfig


# PostgreSQL error codes (SQLSTATE) that no retry cures: the database, schema or role named
# does not exist, the login or a privilege is refused, a name is not valid.
_PG_PERMANENT = {"3D000", "3F000", "28000", "28P01", "42501", "42602", "42939"}
# ... and those that pass: a lock or the server's capacity, a shutdown, a cancelled wait.
_PG_TRANSIENT_CLASSES = ("08", "53", "57P", "55P03", "40001", "40P01", "57014", "25P03")

_SQLITE_DAMAGED = (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT)
_SQLITE_TRANSIENT = (sqlite3.SQLITE_FULL, sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def explain(error: BaseException, settings: Sequence[Setting] = ()) -> StafetError | None:
    """The failure behind ``error`` (or anything it was raised from) in one sentence, or None
    when it is no database failure known here. ``settings`` name the stores in use."""
    for seen in _chain(error):
        if isinstance(seen, StoreUnusable | StoreUnavailable):
            return seen
        if isinstance(seen, sqlite3.Error):
            found = _sqlite(seen, [s for s in settings if s.storage.sqlite_path])
            if found is not None:
                return found
        if isinstance(seen, OSError) and seen.errno is not None:
            found = _os_error(seen)
            if found is not None:
                return found
        if _is_psycopg_error(seen):
            found = _postgres(seen, [s for s in settings if s.storage.backend == "postgres"])
            if found is not None:
                return found
        text = str(seen)
        if "database is locked" in text or "lock timeout" in text:
            return _unavailable(text)
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what it was raised from, and a driver error a wrapper keeps (``orig``)."""
    seen: set[int] = set()
    todo: list[BaseException] = [error]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for nxt in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _unavailable(detail: str) -> StoreUnavailable:
    first_line = (detail.strip().splitlines() or ["no details"])[0]
    return StoreUnavailable(
        f"the database could not be reached or used just now ({cut(first_line, 160)}); "
        "what was acknowledged before is kept. Try again.")


# -- SQLite ---------------------------------------------------------------------------------


def _sqlite(error: sqlite3.Error, settings: list[Setting]) -> StafetError | None:
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF
    text = str(error)
    files = [Path(str(s.storage.sqlite_path)) for s in settings]
    named = " or ".join(cut(f, 120) for f in files) or "the database file"
    if code == sqlite3.SQLITE_FULL or "disk is full" in text:
        return StoreUnavailable(
            f"the disk holding {named} is full ({text}); free some space and send the command "
            "again (what was acknowledged before is kept)")
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in text:
        return _unavailable(text)
    if code in _SQLITE_DAMAGED or "malformed" in text or "not a database" in text \
            or "Could not decode to UTF-8" in text:
        return StoreUnusable(
            f"{named} is damaged or is not a stafet database ({cut(text, 120)}); restore it "
            "from a backup, or give another --db")
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM,
                sqlite3.SQLITE_AUTH) or "readonly" in text or "unable to open" in text:
        for file in files:
            found = _path_problem(file)
            if found:
                return StoreUnusable(found)
        return StoreUnusable(
            f"{named} cannot be opened for reading and writing by this user ({text}); stafet "
            "writes to the database (and its folder) even to read it, for the access log")
    if code == sqlite3.SQLITE_IOERR:
        # A full disk shows as an I/O error too, when SQLite cannot grow its -shm or -wal file.
        name = getattr(error, "sqlite_errorname", "SQLITE_IOERR")
        if any(_disk_full(f.parent) for f in files):
            return StoreUnavailable(
                f"the disk holding {named} is full ({text}, {name}); free some space and send "
                "the command again (what was acknowledged before is kept)")
        return StoreUnavailable(
            f"{named} could not be read or written ({text}, {name}); check the disk, then send "
            "the command again (what was acknowledged before is kept)")
    return None


def _disk_full(folder: Path) -> bool:
    """Less than 64 KiB left for this user (SQLite grows its files by pages and blocks)."""
    try:
        found = os.statvfs(folder)
    except OSError:
        return False
    return found.f_bavail * found.f_frsize < 64 * 1024


def _path_problem(path: Path) -> str | None:
    """What keeps this user from using the SQLite file at ``path``, if anything is seen."""
    file, folder = cut(path, 120), cut(path.parent, 120)
    if is_dir(path):
        return f"{file} is a folder, not a database file; give a file path in --db."
    if not os.access(path.parent, os.X_OK):
        return f"the folder {folder} cannot be reached by this user (permission denied)"
    exists = os.path.lexists(path)
    if exists and not os.access(path, os.R_OK):
        return f"{file} cannot be read by this user (permission denied)"
    if exists and not os.access(path, os.W_OK):
        return (f"{file} is read-only for this user; stafet writes to the database even to "
                "read it (the access log)")
    if not os.access(path.parent, os.W_OK):
        return (f"the folder {folder} cannot be written by this user; SQLite keeps its "
                f"journal ({cut(path.name)}-wal) beside the database")
    return None


# -- the file system --------------------------------------------------------------------------


def _os_error(error: OSError) -> StafetError | None:
    where = f" ({cut(str(error.filename), 80)})" if error.filename else ""
    if error.errno in _DISK_FULL:
        return StoreUnavailable(f"there is no space left on the disk{where}; free some space "
                                "and send the command again (what was acknowledged before is kept)")
    if error.errno == errno.EROFS:
        return StoreUnusable(f"the file system is read-only{where}")
    return None


# -- PostgreSQL -------------------------------------------------------------------------------


def _is_psycopg_error(error: BaseException) -> bool:
    import psycopg

    return isinstance(error, psycopg.Error)


def _postgres(error: BaseException, settings: list[Setting]) -> StafetError | None:
    import psycopg

    text = str(error)
    sqlstate = getattr(error, "sqlstate", None) or ""
    where, option = _pg_where(text, settings)
    missing = re.search(r'(database|role) "([^"]*)" does not exist', text)
    if sqlstate in ("3D000", "28000") and missing is None:
        missing = re.search(r'(database|role) "([^"]*)"', text)
    if missing:
        kind = "database" if missing[1] == "database" else "user"
        return StoreUnusable(f"the PostgreSQL {kind} '{cut(missing[2])}' does not exist{where}; "
                             f"check the {kind} name in {option}")
    if sqlstate in ("28P01", "28000") or "authentication failed" in text \
            or "no pg_hba.conf entry" in text or "no password supplied" in text:
        return StoreUnusable(f"PostgreSQL refused the login{where} ({_first_line(text)}); "
                             f"check the user and password in {option}")
    if "Name or service not known" in text or "nodename nor servname" in text:
        return StoreUnusable(f"the database host is not known ({_first_line(text)}); check the "
                             f"host name in {option}")
    if sqlstate in _PG_PERMANENT:
        return StoreUnusable(f"PostgreSQL refused{where}: {_first_line(text)}; check {option} "
                             "and the user's privileges")
    if sqlstate.startswith(_PG_TRANSIENT_CLASSES) or isinstance(
            error, psycopg.OperationalError | psycopg.InterfaceError):
        return _unavailable(text)
    return None


def _pg_where(text: str, settings: list[Setting]) -> tuple[str, str]:
    """' on host:port' and the option that configured the database the message is about."""
    for setting in settings:
        info = setting.storage.pg_conninfo
        if f'"{info.get("dbname")}"' in text or f'"{info.get("user")}"' in text \
                or len(settings) == 1:
            return f" on {info.get('host')}:{info.get('port')}", setting.option
    return "", "--db (STAFET_DB)"


def _first_line(text: str) -> str:
    line = (text.strip().splitlines() or ["no details"])[0]
    # libpq's "connection failed: connection to server at ..., port ... failed: FATAL:  ..."
    line = re.sub(r"^.*failed: (FATAL|ERROR):\s*", "", line)
    return cut(line, 120)
