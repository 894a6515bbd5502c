"""SQLAlchemy engines for the tables stafet keeps beside the event store."""

from __future__ import annotations

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


def scrub(storage: StorageConfig) -> None:
    """Leave no deleted plaintext behind: on SQLite fold the WAL into the file and rewrite
    it (VACUUM); on PostgreSQL vacuum the tables that held it."""
    if storage.backend == "sqlite":
        import sqlite3

        dbname = storage.env["SQLITE_DBNAME"]
        if "mode=memory" in dbname:
            return
        db = sqlite3.connect(dbname, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA secure_delete = ON")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            db.execute("VACUUM")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(storage.pg_dsn, autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND "
            "(tablename LIKE 'rm\\_%%' OR tablename LIKE '%%snapshots')", (storage.pg_schema,))]
        for name in tables:
            conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier(storage.pg_schema, name)))
