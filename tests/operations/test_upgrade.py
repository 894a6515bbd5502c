"""Stores written by earlier code open and upgrade; a store newer than the code is refused."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.operations.support import AUDITOR, run, run_json

pytestmark = [pytest.mark.process]
FIXTURES = Path(__file__).parent / "fixtures"
ADULT, FAMILY = "f30792ba", "b38b630f"  # the two cases in store-9c347b5.db
READER = "peter.lund@socialafdelingen-odense"


def _columns(path: Path, table: str) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {r[1] for r in db.execute(f"PRAGMA table_info({table})")}
    finally:
        db.close()


@pytest.fixture
def old_store(tmp_path: Path) -> Path:
    path = tmp_path / "stafet.db"
    shutil.copyfile(FIXTURES / "store-9c347b5.db", path)
    return path


def test_the_first_commits_store_upgrades_and_reads(old_store: Path) -> None:
    db = f"sqlite:///{old_store}"
    assert "erased_at" not in _columns(old_store, "stafet_case_subjects")
    assert "outcome" not in _columns(old_store, "stafet_access_log")
    done = run_json(db, "upgrade")
    assert (done["before"], done["after"]) == (0, done["current"])
    assert [s["version"] for s in done["steps"]] == list(range(1, done["current"] + 1))
    assert "erased_at" in _columns(old_store, "stafet_case_subjects")
    assert "outcome" in _columns(old_store, "stafet_access_log")
    again = run(db, "upgrade").stdout
    assert "nothing to do" in again
    # The ledger of the first commit had no administration: appoint one, then verify.
    run(db, "init", "--admin", "it@kommunen")
    run(db, "--as", "it@kommunen", "roles", "grant", "auditor", AUDITOR)
    assert run_json(db, "--as", AUDITOR, "verify")["intact"] is True
    shown = run(db, "--as", READER, "--purpose", "opfølgning", "case", "show", ADULT).stdout
    assert "Samlet forløb: uddannelse, stoffrihed og egen bolig" in shown
    erased = run(db, "--as", "mette.dal@boernehuset-solsikken", "--purpose", "opfølgning",
                 "case", "show", FAMILY).stdout
    assert "[erased]" in erased and "Emma" not in erased
    doctor = run_json(db, "doctor")
    assert {c["check"]: c["status"] for c in doctor["checks"]}["schema"] == "ok"


def test_opening_an_old_store_applies_the_automatic_steps(old_store: Path) -> None:
    """The documented rule: additive steps run when any verb opens the store."""
    db = f"sqlite:///{old_store}"
    run(db, "--as", READER, "--purpose", "opfølgning", "case", "list")
    assert "outcome" in _columns(old_store, "stafet_access_log")
    assert run_json(db, "upgrade")["steps"] == []


def test_a_store_newer_than_the_code_is_refused_in_one_sentence(old_store: Path) -> None:
    db = f"sqlite:///{old_store}"
    run(db, "upgrade")
    conn = sqlite3.connect(old_store)
    conn.execute("INSERT INTO stafet_schema_version VALUES (999, 'later', "
                 "'2031-01-01 00:00:00', '9.9')")
    conn.commit()
    conn.close()
    for args in (("upgrade",), ("--as", READER, "--purpose", "x", "case", "list")):
        done = run(db, *args, check=False)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1
        assert "newer than this stafet knows" in done.stderr
