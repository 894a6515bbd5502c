"""Test setup: real storage only. SQLite files in a temp dir, and the PostgreSQL server.

PostgreSQL is found by STAFET_TEST_PG_URL, else the local server on 127.0.0.1:5432
(started if it is down). With no PostgreSQL at all its tests skip loudly; under CI=true
that skip is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from stafet import Ledger

LOCAL_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]


def _pg_reachable(url: str) -> bool:
    try:
        with psycopg.connect(_conninfo(url), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _start_local_postgres() -> None:
    clusters = Path("/etc/postgresql")
    if not clusters.is_dir() or not shutil.which("pg_ctlcluster"):
        return
    for version in sorted(p.name for p in clusters.iterdir()):
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
            capture_output=True, check=False, timeout=60,
        )


def _find_postgres() -> str | None:
    url = os.environ.get("STAFET_TEST_PG_URL")
    if url:
        return url if _pg_reachable(url) else None
    if _pg_reachable(LOCAL_PG_URL):
        return LOCAL_PG_URL
    _start_local_postgres()
    for _ in range(20):
        if _pg_reachable(LOCAL_PG_URL):
            return LOCAL_PG_URL
        time.sleep(0.5)
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that asks for the PostgreSQL server by fixture is a ``postgres`` test, marked or
    not, so ``-m "not postgres"`` (the quick loop, tests/README.md) really leaves it out. (The
    backend-parametrized fixtures mark their PostgreSQL param themselves.)"""
    for item in items:
        if {"pg_url", "pg_schema_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = _find_postgres()
    if url is None:
        reason = (
            "NO POSTGRESQL: set STAFET_TEST_PG_URL or run a server on 127.0.0.1:5432; "
            "the PostgreSQL half of the suite did not run"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (and under CI a skipped PostgreSQL test is a failure)")
        pytest.skip(reason)
    return url


@pytest.fixture
def pg_schema_url(pg_url: str) -> Iterator[str]:
    """A fresh schema of its own for one test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield f"{pg_url}?schema={schema}"
    with psycopg.connect(_conninfo(pg_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test that takes this runs once on an SQLite file and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'stafet.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    with Ledger(db_url) as the_ledger:
        yield the_ledger
