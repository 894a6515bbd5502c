"""The read models in another database by URL (`--read-db` / STAFET_READ_DB): the log stays
where it is, the rm_ tables live where BI tools may read them, and every read-side command
and the erasure use them there."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli._support import ADULT_HOLDER, DPO, EXAMPLES, stafet, with_roles


def _rm_tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rm\\_%' ESCAPE '\\'")}


@pytest.mark.parametrize("log_backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_read_models_live_in_the_database_given_by_read_db(
    log_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    log = (f"sqlite:///{tmp_path / 'log.db'}" if log_backend == "sqlite"
           else request.getfixturevalue("pg_schema_url"))
    reads = tmp_path / "bi.db"
    env: dict[str, str | None] = {"STAFET_READ_DB": f"sqlite:///{reads}"}

    with_roles(log, env=env)  # the DPO erases, below
    applied = stafet(log, "--json", "apply", str(EXAMPLES / "adult-case" / "case.jsonl"), env=env)
    assert applied.code == 0, applied.err
    assert stafet(log, "projections", "run", "--once", env=env).code == 0

    assert {"rm_cases", "rm_events", "rm_attention"} <= _rm_tables(reads)
    with sqlite3.connect(reads) as db:
        assert db.execute("SELECT count(*) FROM rm_events").fetchone()[0] == 41
        subject, holder = db.execute("SELECT subject_ref, holder FROM rm_cases").fetchone()
    assert (subject, holder) == ("borger-3c9e41", "peter.lund@socialafdelingen-odense")
    if log_backend == "sqlite":
        assert _rm_tables(tmp_path / "log.db") == set()  # nothing of the read side beside the log

    listed = stafet(log, "case", "list", actor=ADULT_HOLDER, env=env)
    assert listed.code == 0 and "peter.lund@socialafdelingen-odense" in listed.out
    status = stafet(log, "--json", "projections", "status", env=env)
    assert status.code == 0 and '"lag": 0' in status.out

    erased = stafet(log, "erase", "--subject", "borger-3c9e41", "--confirm", "borger-3c9e41",
                    "--reason", "Slettefrist udløbet", actor=DPO, env=env)
    assert erased.code == 0, erased.err
    with sqlite3.connect(reads) as db:
        assert db.execute("SELECT subject_ref FROM rm_cases").fetchone()[0] == "[erased]"
    assert b"borger-3c9e41" not in reads.read_bytes()
