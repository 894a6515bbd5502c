"""Several writer processes on one SQLite file (WAL): smaller than the PostgreSQL run, and
the same checks: nothing lost, nothing doubled, no gaps, the baton rules intact on replay."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from stafet import Ledger
from tests.integration.concurrent_writers import (
    WRITERS,
    check_what_the_writers_left,
    open_ledgers_at_once,
    open_shared_cases,
    run_writers,
)

# Tier (tests/README.md): writer processes on one SQLite file.
pytestmark = [pytest.mark.process]


def test_three_writer_processes_on_one_sqlite_file_lose_and_double_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'stafet.db'}"
    writers = WRITERS[:3]
    operations = 80
    with Ledger(url) as ledger:  # creates the tables before any child
        case_ids = open_shared_cases(ledger, 2, writers)
        setup_versions = {c: ledger.get_case(c).version for c in case_ids}

        reports = run_writers(
            multiprocessing.get_context("spawn"), url, case_ids, writers, operations
        )

        counts = check_what_the_writers_left(ledger, case_ids, setup_versions, reports)
    assert counts["acks"] + counts["refused"] + counts["conflicts"] == operations * len(writers)
    assert counts["baton_acks"] > 0 and counts["refused"] > 0, counts
    with sqlite3.connect(tmp_path / "stafet.db") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"


def test_writer_processes_can_open_the_same_sqlite_file_at_the_same_moment(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'stafet.db'}"
    with Ledger(url):
        pass
    outcomes = open_ledgers_at_once(
        multiprocessing.get_context("spawn"), url, processes=3, rounds=10
    )
    assert [o for o in outcomes if o != "ok"] == []
