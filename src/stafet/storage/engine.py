"""SQLAlchemy engines for the tables stafet keeps beside the event store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection, Engine

from stafet.storage.url import StorageConfig

READS_ONLY = "stafet_reads_only"


def reading(engine: Engine) -> Connection:
    """A connection for reads only: on SQLite its transactions see one snapshot of the WAL
    and never wait for (or hold) the write lock."""
    return engine.connect().execution_options(**{READS_ONLY: True})


def sql_engine(storage: StorageConfig) -> Engine:
    """An SQLAlchemy engine on the same database (SQLite file or PostgreSQL schema).

    On SQLite every transaction takes the write lock at BEGIN (BEGIN IMMEDIATE), so a
    read-then-write transaction never fails half-way on a lock upgrade; connections made
    with ``reading`` are the exception."""
    if storage.backend == "sqlite":
        dbname = storage.env["SQLITE_DBNAME"]
        url = f"sqlite:///{dbname}" + ("&uri=true" if "?" in dbname else "")
        memory = "mode=memory" in dbname
        engine = sa.create_engine(
            url, connect_args={"timeout": 30},
            poolclass=sa.pool.SingletonThreadPool if memory else sa.pool.QueuePool,
        )

        @sa_event.listens_for(engine, "connect")
        def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we say BEGIN ourselves
            # Deleted rows (an erased citizen's read-model rows) are overwritten, not left behind.
            dbapi_connection.execute("PRAGMA secure_delete = ON")

        @sa_event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # Writers take the write lock up front; readers (see ``reading``) take none, so a
            # read made while this process holds the lock elsewhere cannot wait on itself.
            reads_only = conn.get_execution_options().get(READS_ONLY, False)
            conn.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

        return engine
    info = storage.pg_conninfo
    pg_url = sa.URL.create(
        "postgresql+psycopg", username=info["user"], password=info["password"] or None,
        host=info["host"], port=int(info["port"]), database=info["dbname"],
    )
    return sa.create_engine(
        pg_url, connect_args={"options": f"-csearch_path={storage.pg_schema}"}, pool_pre_ping=True
    )


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Timestamps stored in UTC on every backend (SQLite has no time zones), read back aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# How long a scrub waits for other connections (a reader's open transaction, a writer's lock)
# before it reports what it could not scrub instead of waiting on.
SCRUB_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Residue:
    """Where deleted plaintext may still lie after a scrub, in one sentence.

    ``in_store``: it provably remains in the store's own files (an open reader kept the old
    pages); a scrub run again once that has passed (``stafet erase --scrub-only``) removes
    it. Otherwise it is outside what the ledger can clean (WAL, backups, exports)."""

    where: str
    what: str
    in_store: bool


def scrub(storage: StorageConfig, wait_seconds: float = SCRUB_WAIT_SECONDS,
          since: datetime | None = None) -> list[Residue]:
    """Leave no deleted plaintext behind, and say where some may remain.

    SQLite: fold the WAL into the file and rewrite it (VACUUM), checking that the checkpoint
    completed (an open reader keeps the old pages). PostgreSQL: rewrite the tables that held
    it (VACUUM FULL), then CHECKPOINT; ``since`` (when the erasure began): transactions older
    than that keep the old row versions from being vacuumed."""
    if storage.backend == "sqlite":
        return _scrub_sqlite(storage, wait_seconds)
    return _scrub_postgres(storage, wait_seconds, since)


def _scrub_sqlite(storage: StorageConfig, wait_seconds: float) -> list[Residue]:
    import sqlite3

    dbname = storage.env["SQLITE_DBNAME"]
    if "mode=memory" in dbname:
        return []
    where = storage.sqlite_path or dbname
    db = sqlite3.connect(dbname, timeout=wait_seconds, isolation_level=None)
    try:
        db.execute("PRAGMA secure_delete = ON")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            db.execute("VACUUM")
        except sqlite3.OperationalError as error:  # locked for longer than we wait
            return [Residue(str(where), f"the file could not be rewritten ({error}): another "
                            "connection held it; the deleted data's old pages remain in the "
                            "file until `stafet erase --scrub-only` succeeds", in_store=True)]
        busy, log, done = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.close()
    if busy or (log > 0 and done < log):
        return [Residue(str(where), "an open reader (a program holding a read transaction, "
                        "such as sqlite3 or a BI tool) kept the old pages: the erased plaintext "
                        "remains in the file and its -wal until it closes; then run `stafet erase "
                        "--scrub-only`", in_store=True)]
    return []


def _scrub_postgres(storage: StorageConfig, wait_seconds: float,
                    since: datetime | None) -> list[Residue]:
    """VACUUM FULL of the tables that held plaintext or the key: a plain VACUUM frees a
    deleted row's space but leaves its bytes in the table's file until overwritten; FULL
    rewrites the table into a new file. Snapshots hold only ciphertext: a plain VACUUM."""
    import psycopg
    from psycopg import sql

    where = f"PostgreSQL schema {storage.pg_schema}"
    residues: list[Residue] = []
    with psycopg.connect(storage.pg_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("SET lock_timeout = {}").format(
            sql.Literal(f"{max(1, int(wait_seconds * 1000))}ms")))
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND "
            "(tablename LIKE 'rm\\_%%' OR tablename LIKE '%%snapshots' "
            "OR tablename IN ('stafet_subject_keys', 'stafet_case_subjects')) "
            "ORDER BY tablename", (storage.pg_schema,))]
        busy = []
        for name in tables:
            full = sql.SQL("" if name.endswith("snapshots") else "FULL ")
            try:
                conn.execute(sql.SQL("VACUUM {}{}").format(
                    full, sql.Identifier(storage.pg_schema, name)))
            except psycopg.errors.LockNotAvailable:
                busy.append(name)
        if busy:
            residues.append(Residue(where, f"open transactions held {', '.join(busy)} longer "
                                    "than the scrub waits, so those tables were not rewritten "
                                    "and their files keep the deleted rows' bytes; when they "
                                    "end, run `stafet erase --scrub-only`", in_store=True))
        if since is not None:
            old = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL AND xact_start < %s",
                (since,)).fetchone()
            if old and old[0]:
                residues.append(Residue(where, f"{old[0]} transaction(s) open since before the "
                                        "erasure keep the old row versions from being vacuumed "
                                        "(and can still read them); when they end, run `stafet "
                                        "erase --scrub-only`", in_store=True))
        try:
            conn.execute("CHECKPOINT")
            checkpointed = "a CHECKPOINT was run, so "
        except psycopg.errors.InsufficientPrivilege:
            checkpointed = ("CHECKPOINT was not allowed for this database user (it needs "
                            "superuser or the pg_checkpoint role), so until the server's next "
                            "checkpoint and ")
    residues.append(Residue(
        "pg_wal", f"{checkpointed}the WAL segments written before the erasure (which hold the "
        "old rows, and the key) are recycled, not wiped: they remain in pg_wal until overwritten, "
        "and in WAL archives, replicas and base backups for as long as those are kept",
        in_store=False))
    return residues
