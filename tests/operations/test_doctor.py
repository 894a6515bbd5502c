"""`stafet doctor` reports each broken condition it claims to check, one line each."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.operations.support import (
    AUDITOR,
    CASEWORKER,
    DPO,
    new_store,
    open_case,
    run,
    run_json,
)

pytestmark = [pytest.mark.process, pytest.mark.slow]


def _doctor(db: str, *args: str, code: int = 0) -> dict[str, Any]:
    done = run(db, "--json", "doctor", *args, check=False)
    assert done.returncode == code, done.stdout + done.stderr
    report = run(db, "doctor", *args, check=False)  # and the lines people read
    assert report.returncode == code
    found: dict[str, Any] = {c["check"]: c for c in json.loads(done.stdout)["checks"]}
    for check in found.values():
        assert f"{check['status'].upper():<4}  {check['check']}" in report.stdout
    return found


def _sql(path: Path, statement: str, *params: Any) -> None:
    db = sqlite3.connect(path)
    try:
        db.execute(statement, params)
        db.commit()
    finally:
        db.close()


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, Path, Path]:
    db = new_store(tmp_path)
    open_case(db, tmp_path, "borger-3c9e41", "Samlet forløb", notes=3)
    checkpoints = tmp_path / "checkpoints"
    run(db, "--as", AUDITOR, "checkpoint", "--publish", str(checkpoints))
    return db, tmp_path / "stafet.db", checkpoints


def test_a_healthy_store_is_ok_on_every_line(store: tuple[str, Path, Path]) -> None:
    db, _, checkpoints = store
    found = _doctor(db, "--checkpoints", str(checkpoints))
    assert set(found) == {"store", "schema", "projections", "checkpoint", "access-log", "keys",
                          "erasures"}
    assert all(c["status"] == "ok" for c in found.values()), found


def test_an_unreachable_store_fails(tmp_path: Path) -> None:
    (tmp_path / "broken.db").write_bytes(b"this is not a database" * 200)
    found = _doctor(f"sqlite:///{tmp_path / 'broken.db'}", code=1)
    assert found["store"]["status"] == "fail"


def test_a_store_newer_than_the_code_fails_and_is_refused(store: tuple[str, Path, Path]) -> None:
    db, path, _ = store
    _sql(path, "INSERT INTO stafet_schema_version VALUES (99, 'from the future', "
               "'2030-01-01 00:00:00', '9.0')")
    found = _doctor(db, code=1)
    assert found["schema"]["status"] == "fail" and found["schema"]["value"] == 99
    refused = run(db, "--as", CASEWORKER, "--purpose", "opfølgning", "case", "list", check=False)
    assert refused.returncode == 2
    assert "newer than this stafet knows" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_projection_lag_warns(store: tuple[str, Path, Path]) -> None:
    db, path, _ = store
    _sql(path, "UPDATE rm_tracking SET position = 0")
    found = _doctor(db, "--max-lag", "2")
    assert found["projections"]["status"] == "warn" and found["projections"]["value"] > 2


def test_an_old_or_missing_checkpoint_warns(store: tuple[str, Path, Path]) -> None:
    db, _, checkpoints = store
    assert _doctor(db)["checkpoint"]["status"] == "warn"  # no folder given
    found = _doctor(db, "--checkpoints", str(checkpoints), "--max-checkpoint-age", "0")
    assert found["checkpoint"]["status"] == "warn"


def test_access_log_retention_due_warns(store: tuple[str, Path, Path]) -> None:
    db, path, _ = store
    run(db, "--as", CASEWORKER, "--purpose", "opfølgning", "case", "list")
    _sql(path, "UPDATE stafet_access_log SET at = '2020-01-01 00:00:00'")
    found = _doctor(db)
    assert found["access-log"]["status"] == "warn" and found["access-log"]["value"] >= 1


def test_a_key_deleted_behind_the_ledgers_back_fails(store: tuple[str, Path, Path]) -> None:
    db, path, _ = store
    _sql(path, "UPDATE stafet_subject_keys SET key = NULL")
    found = _doctor(db, code=1)
    assert found["keys"]["status"] == "fail"
    assert "key is gone" in found["keys"]["message"]


def test_a_case_without_its_tie_fails(store: tuple[str, Path, Path]) -> None:
    db, path, _ = store
    _sql(path, "DELETE FROM stafet_case_subjects")
    assert _doctor(db, code=1)["keys"]["status"] == "fail"


def test_a_backup_copied_back_by_hand_fails_checkpoint_and_erasures(
        store: tuple[str, Path, Path], tmp_path: Path) -> None:
    """A restore that bypassed `stafet restore`: the erased citizen's key is back and the log
    is shorter than the newest checkpoint."""
    db, path, checkpoints = store
    backup = tmp_path / "backup.db"
    run(db, "backup", str(backup))
    open_case(db, tmp_path, "borger-77aa01", "Endnu et forløb", notes=2)
    run(db, "--as", DPO, "erase", "--subject", "borger-3c9e41", "--confirm", "borger-3c9e41",
        "--reason", "Slettefrist udløbet", env={"STAFET_CHECKPOINTS": str(checkpoints)})
    run(db, "--as", AUDITOR, "checkpoint", "--publish", str(checkpoints))
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, path)
    found = _doctor(db, "--checkpoints", str(checkpoints), code=1)
    assert found["checkpoint"]["status"] == "fail"
    assert found["erasures"]["status"] == "fail"
    assert "stafet restore" in found["erasures"]["message"]
    assert run_json(db, "doctor", "--checkpoints", str(checkpoints), check=False)["ok"] is False
