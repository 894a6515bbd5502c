"""Database URLs -> the eventsourcing library's settings.

    sqlite:///stafet.db              a file, relative to the working directory (the default)
    sqlite:////var/lib/stafet.db     an absolute path
    sqlite:///:memory:               in memory, for one process (tests, experiments)
    postgresql+psycopg://user:pw@host:5432/db[?schema=name]
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from stafet.domain.errors import InvalidCommand, cut

DEFAULT_DB_URL = "sqlite:///stafet.db"
# A schema is named in SQL unquoted (by the event store library) and quoted (by stafet): only a
# plain lower-case identifier means the same in both.
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class StorageConfig:
    url: str
    backend: str  # "sqlite" | "postgres"
    env: dict[str, str] = field(default_factory=dict)
    sqlite_path: str | None = None
    pg_schema: str = "public"
    pg_conninfo: dict[str, str] = field(default_factory=dict)

    @property
    def pg_dsn(self) -> str:
        """The PostgreSQL connection string (libpq's key=value form) for psycopg.connect."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(**self.pg_conninfo)

    def beside(self, suffix: str) -> Path | None:
        """A file the embedded store keeps beside its SQLite file (``<file><suffix>``: keys,
        the erasure register's copy); None for PostgreSQL, which has no file."""
        return Path(self.sqlite_path + suffix) if self.sqlite_path else None

    @property
    def display_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except ArgumentError:
            return self.url


def parse_db_url(url: str | None = None) -> StorageConfig:
    url = url or os.environ.get("STAFET_DB") or DEFAULT_DB_URL
    if "://" not in url:  # a bare file path
        url = "sqlite:///" + url
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidCommand(f"the database URL '{cut(url, 60)}' cannot be read.") from None
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(url, parsed.database or ":memory:")
    if parsed.get_backend_name() in ("postgresql", "postgres"):
        schema = str(parsed.query.get("schema") or "public")
        if not SCHEMA_NAME.fullmatch(schema):
            raise InvalidCommand(
                f"the schema '{cut(schema)}' in the database URL is not a plain name; use "
                "lower-case letters, digits and _ (at most 63, not starting with a digit).")
        conninfo = {
            "dbname": parsed.database or "postgres",
            "host": parsed.host or "127.0.0.1",
            "port": str(parsed.port or 5432),
            "user": parsed.username or os.environ.get("USER", "postgres"),
            "password": parsed.password or "",
        }
        for what, value in (("database", conninfo["dbname"]), ("user", conninfo["user"])):
            if len(value.encode("utf-8")) > 63:
                raise InvalidCommand(
                    f"the {what} name '{cut(value)}' in the database URL is longer than "
                    "PostgreSQL allows (63 bytes).")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": conninfo["dbname"],
            "POSTGRES_HOST": conninfo["host"],
            "POSTGRES_PORT": conninfo["port"],
            "POSTGRES_USER": conninfo["user"],
            "POSTGRES_PASSWORD": conninfo["password"],
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_LOCK_TIMEOUT": "30",
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "4",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": "stafet.storage.postgres_recorder:PostgresLedgerRecorder",
            "IS_SNAPSHOTTING_ENABLED": "y",
        }
        return StorageConfig(
            url=url, backend="postgres", env=env, pg_schema=schema, pg_conninfo=conninfo
        )
    raise InvalidCommand(
        f"the database URL must start with sqlite:/// or postgresql+psycopg://, not "
        f"'{cut(parsed.drivername)}://'."
    )


def is_dir(path: Path) -> bool:
    """Is it a folder (False also when this user may not look: the driver tells then)."""
    try:
        return path.is_dir()
    except OSError:
        return False


def _check_sqlite_file(file: Path) -> None:
    """Bad paths are input errors with a sentence, not crashes deep in the driver."""
    try:
        file.parent.is_dir()
    except PermissionError:
        raise InvalidCommand(f"the folder {cut(file.parent, 120)} cannot be reached by this "
                             "user (permission denied).") from None
    if is_dir(file):
        raise InvalidCommand(f"{cut(file, 120)} is a folder, not a database file; give a file "
                             "path in --db.")
    if not is_dir(file.parent):
        raise InvalidCommand(f"the folder {cut(file.parent, 120)} does not exist; create it or "
                             "give another --db path.")
    # (Never open the file here to peek at it: closing any handle on an SQLite file drops
    # this process's locks on it. A file that is not a database is reported by the Ledger.)


def _sqlite(url: str, database: str) -> StorageConfig:
    if database == ":memory:":
        # A named shared-cache memory database, so the library's connection pool sees one store.
        dbname = f"file:stafet-{uuid.uuid4().hex}?mode=memory&cache=shared"
        path = None
    else:
        file = Path(database).expanduser().absolute()
        _check_sqlite_file(file)
        path = str(file)
        dbname = path
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": dbname,
        "SQLITE_LOCK_TIMEOUT": "30",
        "APPLICATION_RECORDER_TOPIC": "stafet.storage.recorders:SQLiteLedgerRecorder",
        "IS_SNAPSHOTTING_ENABLED": "y",
    }
    return StorageConfig(url=url, backend="sqlite", env=env, sqlite_path=path)
