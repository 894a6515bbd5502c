"""Fixtures for the trust tests: a store holding both example cases, on each backend.

The examples are replayed with ``stafet apply`` once per backend and session; each test gets a
copy of that store of its own (the SQLite file copied; on PostgreSQL a fresh schema whose tables
the ledger creates, filled with the rows of the replayed one), to keep the suite quick.
"""

from __future__ import annotations

import gc
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from stafet import Ledger
from stafet.storage.checkpoint import CheckpointKey
from tests.trust.support import ADULT_CASE, FAMILY_CASE, RawStore, apply_example, set_up_roles


@dataclass(frozen=True)
class ExampleStore:
    """A store whose roles were set up (``set_up_roles``), then made by ``stafet apply`` of
    the adult case, then the family case."""

    url: str
    adult: str  # case ids
    family: str

    @property
    def raw(self) -> RawStore:
        return RawStore(self.url)


@pytest.fixture(scope="session", autouse=True)
def _quick_collection() -> Iterator[None]:
    """The in-process CLI collects garbage after each PostgreSQL command (to close the
    connections of the engines it made); with everything imported so far frozen out of the
    collector's reach, that takes milliseconds instead of a tenth of a second."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture(scope="session")
def _pristine_sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    path = tmp_path_factory.mktemp("pristine") / "stafet.db"
    url = f"sqlite:///{path}"
    set_up_roles(url)
    adult = apply_example(url, ADULT_CASE)
    family = apply_example(url, FAMILY_CASE)
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the whole store in the one file
    finally:
        conn.close()
    return path, adult, family


@pytest.fixture(scope="session")
def _pristine_postgres(pg_url: str) -> Iterator[tuple[str, str, str]]:
    schema = f"t_trust_{uuid.uuid4().hex[:10]}"
    url = f"{pg_url}?schema={schema}"
    set_up_roles(url)
    adult = apply_example(url, ADULT_CASE)
    family = apply_example(url, FAMILY_CASE)
    yield url, adult, family
    with psycopg.connect(RawStore(url).conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _copy_postgres(source_url: str, target_url: str) -> None:
    with Ledger(target_url):
        pass  # the ledger creates its tables in the new schema, as on first use
    source, target = RawStore(source_url), RawStore(target_url)
    with psycopg.connect(source.conninfo, autocommit=True) as conn, conn.transaction():
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE'", (source.schema,))]
        for table in tables:
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(target.schema, table)))
            conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM {}").format(
                sql.Identifier(target.schema, table), sql.Identifier(source.schema, table)))
        conn.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'notification_id'), "
                    "(SELECT max(notification_id) FROM {}))").format(
                sql.Identifier(target.schema, "stafet_events")),
            (f"{target.schema}.stafet_events",))


@pytest.fixture
def example_store(db_url: str, request: pytest.FixtureRequest) -> ExampleStore:
    if db_url.startswith("sqlite:///"):
        pristine, adult, family = request.getfixturevalue("_pristine_sqlite")
        shutil.copyfile(pristine, Path(db_url.removeprefix("sqlite:///")))
        return ExampleStore(db_url, adult, family)
    source, adult, family = request.getfixturevalue("_pristine_postgres")
    _copy_postgres(source, db_url)
    return ExampleStore(db_url, adult, family)


@pytest.fixture
def checkpoint_key(example_store: ExampleStore, tmp_path: Path) -> Path:
    """The ledger's checkpoint key: an SQLite store's default one beside its file (as ``stafet
    init`` makes it), a PostgreSQL store's in a file of the test's own (``--checkpoint-key``)."""
    if example_store.url.startswith("sqlite:///"):
        path = Path(example_store.url.removeprefix("sqlite:///") + ".checkpoint-key")
    else:
        path = tmp_path / "checkpoint-key"
    CheckpointKey.generate(path)
    return path
