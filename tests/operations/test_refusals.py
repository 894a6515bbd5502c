"""What the operations verbs refuse, each in one sentence with a non-zero exit, changing
nothing."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.operations.support import DPO, STAFET, new_store, open_case, run

pytestmark = [pytest.mark.process]


def test_a_damaged_erasure_register_stops_the_restore_before_anything_changes(
        tmp_path: Path) -> None:
    db = new_store(tmp_path)
    open_case(db, tmp_path, "borger-3c9e41", "Samlet forløb")
    backup = tmp_path / "backup.db"
    run(db, "backup", str(backup))
    store = tmp_path / "stafet.db"
    register = tmp_path / "stafet.db.erasure-register"
    register.write_text('{"format": "stafet-erasure-v1", "subject_id": "nope"}\n',
                        encoding="utf-8")
    before = store.read_bytes()
    done = run(db, "--as", DPO, "restore", str(backup), "--replace", check=False)
    assert done.returncode == 2
    assert "is not an erasure register line" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert store.read_bytes() == before


def test_backup_refuses_an_existing_file_and_a_missing_folder(tmp_path: Path) -> None:
    db = new_store(tmp_path)
    (tmp_path / "taken.db").write_bytes(b"")
    for dest, words in ((tmp_path / "taken.db", "exists already"),
                        (tmp_path / "no-such-folder" / "b.db", "does not exist")):
        done = run(db, "backup", str(dest), check=False)
        assert done.returncode == 2 and words in done.stderr, done.stderr
    assert (tmp_path / "taken.db").read_bytes() == b""


def test_backup_of_postgresql_without_pg_dump_points_to_the_guide(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFET_")}
    env["PATH"] = str(tmp_path)  # no pg_dump here
    done = subprocess.run(
        [STAFET, "--db", "postgresql+psycopg://stafet@127.0.0.1:5432/stafet", "backup",
         str(tmp_path / "stafet.dump")], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "pg_dump is not installed" in done.stderr and "docs/operations.md" in done.stderr
    assert not (tmp_path / "stafet.dump").exists()


def test_a_restore_that_cannot_reapply_an_erasure_leaves_the_store_as_it_was(
        tmp_path: Path) -> None:
    """Re-applying is the data protection officer's act: anyone else is refused, and nothing
    is put in place (the backup still holds the erased citizen's key)."""
    db = new_store(tmp_path)
    open_case(db, tmp_path, "borger-3c9e41", "Samlet forløb")
    backup = tmp_path / "backup.db"
    run(db, "backup", str(backup))
    run(db, "--as", DPO, "erase", "--subject", "borger-3c9e41", "--confirm", "borger-3c9e41",
        "--reason", "Slettefrist udløbet")
    store = tmp_path / "stafet.db"
    before = store.read_bytes()
    done = run(db, "--as", "it@kommunen", "restore", str(backup), "--replace", check=False)
    assert done.returncode == 1, done.stderr
    assert "Refused" in done.stderr
    assert store.read_bytes() == before
    assert not list(tmp_path.glob(".stafet.db.restoring-*"))
