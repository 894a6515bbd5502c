"""Fixtures of the fault tests: a private working directory, and a store on each backend.

The working directory is made with ``tempfile``, not pytest's ``tmp_path``: child processes
write to it until they are killed, and a concurrent pytest run on the same machine prunes
old ``tmp_path`` directories (it keeps three), which would pull the files out from under them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stafet-faults-") as name:
        yield Path(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, workdir: Path) -> str:
    """An SQLite file in the working directory, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{workdir / 'stafet.db'}"
    return str(request.getfixturevalue("pg_schema_url"))
