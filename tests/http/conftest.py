"""Fixtures of the HTTP tests: a store on each backend, with its first administrator, and a
real `stafet serve` process on it (a module's tests share one server, for speed)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from stafet import Ledger
from tests.conftest import _conninfo
from tests.http.server import Server


@pytest.fixture(scope="module")
def module_workdir() -> Iterator[Path]:
    # tempfile, not tmp_path: a concurrent pytest run prunes old tmp_path folders under a
    # running server (tests/faults/conftest.py).
    with tempfile.TemporaryDirectory(prefix="stafet-http-") as name:
        yield Path(name)


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, module_workdir: Path) -> Iterator[str]:
    """A fresh store with its first administrator (it@kommunen), per backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{module_workdir / f'stafet-{uuid.uuid4().hex[:6]}.db'}"
        schema = None
    else:
        pg_url = request.getfixturevalue("pg_url")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        url = f"{pg_url}?schema={schema}"
    with Ledger(url) as ledger:
        ledger.appoint_first_admin("it@kommunen")
    yield url
    if schema is not None:
        with psycopg.connect(_conninfo(url), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(schema)))


@pytest.fixture(scope="module")
def server(store_url: str, module_workdir: Path) -> Iterator[Server]:
    the_server = Server(store_url, module_workdir).start()
    yield the_server
    the_server.stop()
