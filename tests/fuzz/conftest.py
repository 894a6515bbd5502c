"""Fixtures of the fuzz tests: a private working directory (``tempfile``, not ``tmp_path``,
which a concurrent pytest run on the same machine may prune), and a store that one module's
examples share, with a case that has something of every kind in it."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest

from stafet import Ledger
from tests.fuzz.harness import rich_case


@dataclass
class Store:
    url: str
    ledger: Ledger
    case_id: UUID
    workdir: Path


@pytest.fixture(scope="module")
def module_workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stafet-fuzz-") as name:
        yield Path(name)


@pytest.fixture
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stafet-fuzz-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def sqlite_store(module_workdir: Path) -> Iterator[Store]:
    """One SQLite file for all of a module's examples; cwd is the working directory, so a
    command that writes a file (export -o) writes it there."""
    url = f"sqlite:///{module_workdir / 'stafet.db'}"
    cwd = Path.cwd()
    os.chdir(module_workdir)
    try:
        with Ledger(url) as ledger:
            yield Store(url, ledger, rich_case(ledger), module_workdir)
    finally:
        os.chdir(cwd)


@pytest.fixture
def fresh_url(request: pytest.FixtureRequest, workdir: Path) -> str:
    """A store of the test's own: ``sqlite`` (a file) or ``postgres`` (a fresh schema), as the
    test is parametrized with ``backend``."""
    if request.node.callspec.params.get("backend", "sqlite") == "sqlite":
        return f"sqlite:///{workdir / 'stafet.db'}"
    return str(request.getfixturevalue("pg_schema_url"))
