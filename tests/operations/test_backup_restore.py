"""Backup while writers run, restore, verify; an erasure made after the backup stays erased."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.operations.support import (
    ADMIN,
    AUDITOR,
    CASEWORKER,
    DPO,
    STAFET,
    new_store,
    note_line,
    open_case,
    open_case_line,
    raw_contains,
    run,
    run_json,
)

pytestmark = [pytest.mark.process, pytest.mark.slow]


def _count(path: Path) -> int:
    db = sqlite3.connect(path)
    try:
        return int(db.execute("SELECT COUNT(*) FROM stafet_chain").fetchone()[0])
    finally:
        db.close()


def test_backups_taken_while_writers_run_are_consistent(tmp_path: Path) -> None:
    db = new_store(tmp_path)
    writers = []
    for w in range(2):
        batch = tmp_path / f"writer-{w}.jsonl"
        lines = [open_case_line(f"borger-w{w}", f"Forløb {w}"),
                 *[note_line(f"skrivning {w}.{i}") for i in range(150)]]
        batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
        writers.append(subprocess.Popen([STAFET, "--db", db, "apply", str(batch)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    backups = []
    while any(w.poll() is None for w in writers) or len(backups) < 2:
        dest = tmp_path / f"backup-{len(backups)}.db"
        made = run_json(db, "backup", str(dest))
        backups.append((dest, made["events"]))
    for w in writers:
        assert w.wait(120) == 0, w.stderr.read() if w.stderr else ""
    assert len({events for _, events in backups}) > 1, "the writers ran during the backups"
    for number, (backup, events) in enumerate(backups):
        assert backup.stat().st_mode & 0o077 == 0, "a backup holds personal data: 0600"
        assert _count(backup) == events
        target = f"sqlite:///{tmp_path / f'restored-{number}.db'}"
        done = run_json(target, "--as", DPO, "restore", str(backup))
        assert done["events"] == events
        verified = run(target, "--as", AUDITOR, "--json", "verify")
        assert json.loads(verified.stdout)["intact"] is True
    assert json.loads(run(db, "--as", AUDITOR, "--json", "verify").stdout)["intact"] is True


def test_an_erasure_after_the_backup_survives_the_restore_and_verify_names_the_gap(
        tmp_path: Path) -> None:
    db = new_store(tmp_path)
    store = tmp_path / "stafet.db"
    checkpoints = tmp_path / "checkpoints"
    env = {"STAFET_CHECKPOINTS": str(checkpoints)}
    marker = f"MARKOR-{uuid.uuid4().hex}"
    erased = open_case(db, tmp_path, "borger-3c9e41", f"Forløb {marker}", notes=5)
    kept = open_case(db, tmp_path, "borger-77aa01", "Et andet forløb", notes=2)
    run(db, "--as", AUDITOR, "checkpoint", "--publish", str(checkpoints))
    backup = tmp_path / "nightly.db"
    in_backup = run_json(db, "backup", str(backup))["events"]
    open_case(db, tmp_path, "borger-00ff11", "Efter backuppen", notes=3)
    run(db, "--as", DPO, "erase", "--subject", "borger-3c9e41", "--confirm", "borger-3c9e41",
        "--reason", "Slettefrist udløbet", env=env)
    newest = run_json(db, "--as", AUDITOR, "checkpoint", "--publish", str(checkpoints))["size"]
    register = (checkpoints / "erasure-register.jsonl").read_text(encoding="utf-8")
    assert "borger-3c9e41" not in register and marker not in register
    assert not raw_contains(store, marker), "erase scrubbed the live store"
    assert raw_contains(backup, marker), "the backup still holds the erased case's text"

    refused = run(db, "--as", DPO, "restore", str(backup), env=env, check=False)
    assert refused.returncode == 2 and "--replace" in refused.stderr
    done = run_json(db, "--as", DPO, "restore", str(backup), "--replace", env=env)
    assert (done["events"], done["erasures_reapplied"], done["cases_erased"]) == (in_backup, 1, 1)
    assert done["lost_through"] == newest

    assert not raw_contains(store, marker), "the restored store holds the erased text"
    shown = run(db, "--as", CASEWORKER, "--purpose", "opfølgning", "case", "show", erased)
    assert marker not in shown.stdout and "[erased]" in shown.stdout
    assert "Et andet forløb" in run(db, "--as", CASEWORKER, "--purpose", "opfølgning", "case",
                                    "show", kept).stdout

    text = run(db, "--as", AUDITOR, "verify", "--checkpoints", str(checkpoints))
    assert f"positions {in_backup + 1}–{newest}" in text.stdout, text.stdout
    report = run_json(db, "--as", AUDITOR, "verify", "--checkpoints", str(checkpoints))
    assert report["intact"] is True
    assert report["restores"][0]["lost_from"] == in_backup + 1
    assert report["restores"][0]["lost_through"] == newest
    doctor = run_json(db, "doctor", "--checkpoints", str(checkpoints))
    assert doctor["ok"], doctor
    # The next nightly checkpoint is taken of the restored log, and agrees.
    run(db, "--as", AUDITOR, "checkpoint", "--publish", str(checkpoints))
    assert run_json(db, "--as", AUDITOR, "verify", "--checkpoints",
                    str(checkpoints))["intact"] is True


def test_a_forged_restore_note_is_refused(tmp_path: Path) -> None:
    """Only a note signed with the ledger's key sets checkpoints aside: else anyone who can
    write to the folder could hide a shortened log."""
    db = new_store(tmp_path)
    checkpoints = tmp_path / "checkpoints"
    run(db, "--as", AUDITOR, "checkpoint", "--publish", str(checkpoints))
    (checkpoints / "restore-20260101T000000Z-1.note").write_text(
        "stafet-ledger/0000000000000000\n1\n" + "A" * 43 + "=\nrestored-from-backup\n\n"
        "— stafet-ledger/0000000000000000 AAAA\n", encoding="utf-8")
    done = run(db, "--as", AUDITOR, "verify", "--checkpoints", str(checkpoints), check=False)
    assert done.returncode == 2 and "restore-20260101T000000Z-1.note" in done.stderr


def test_a_restore_to_another_path_signs_its_note_with_the_ledgers_key_or_not_at_all(
        tmp_path: Path) -> None:
    """Restored beside the original, the new store finds another key: a note signed by it
    would make every later verify of the folder refuse. So restore says so and keeps no
    note, and with the ledger's key (--checkpoint-key) the note verifies."""
    db = new_store(tmp_path)
    checkpoints = tmp_path / "checkpoints"
    run(db, "--as", AUDITOR, "checkpoint", "--publish", str(checkpoints))
    backup = tmp_path / "backup.db"
    run(db, "--as", ADMIN, "backup", str(backup))
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    done = run(elsewhere, "--as", DPO, "restore", str(backup), "--checkpoints",
               str(checkpoints), check=False)
    assert done.returncode == 2 and "--checkpoint-key" in done.stderr, done.stderr
    assert not list(checkpoints.glob("restore-*.note"))
    key = next(tmp_path.glob("stafet.db*checkpoint-key"))
    again = f"sqlite:///{tmp_path / 'again.db'}"
    run(again, "--as", DPO, "restore", str(backup), "--checkpoints", str(checkpoints),
        "--checkpoint-key", str(key))
    verified = run(again, "--as", AUDITOR, "verify", "--checkpoints", str(checkpoints),
                   "--checkpoint-key", str(key), check=False)
    assert verified.returncode == 0, verified.stderr


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'new.db'}"
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    done = run(db, "--as", DPO, "restore", str(junk), check=False)
    assert done.returncode == 2
    assert "is not a backup of a stafet store" in done.stderr
    assert not (tmp_path / "new.db").exists()


@pytest.mark.postgres
def test_postgresql_backup_while_a_writer_runs_restores_and_verifies(
        tmp_path: Path, pg_schema_url: str) -> None:
    db = pg_schema_url
    run(db, "init", "--admin", "it@kommunen", "--checkpoint-key", str(tmp_path / "key"))
    run(db, "--as", "it@kommunen", "roles", "grant", "auditor", AUDITOR)
    run(db, "--as", "it@kommunen", "roles", "grant", "dpo", DPO)
    marker = f"MARKOR-{uuid.uuid4().hex}"
    erased = open_case(db, tmp_path, "borger-3c9e41", f"Forløb {marker}", notes=2)
    batch = tmp_path / "writer.jsonl"
    lines = [open_case_line("borger-w1", "Skrivende"),
             *[note_line(f"skrivning {i}") for i in range(200)]]
    batch.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    writer = subprocess.Popen([STAFET, "--db", db, "apply", str(batch)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    dump = tmp_path / "stafet.dump"
    made = run_json(db, "backup", str(dump))
    assert made["tool"] == "pg_dump" and dump.stat().st_mode & 0o077 == 0
    assert writer.wait(180) == 0
    checkpoints = tmp_path / "checkpoints"
    env = {"STAFET_CHECKPOINTS": str(checkpoints)}
    run(db, "--as", DPO, "erase", "--subject", "borger-3c9e41", "--confirm", "borger-3c9e41",
        "--reason", "Slettefrist udløbet", env=env)
    done = run_json(db, "--as", DPO, "restore", str(dump), "--replace", "--checkpoint-key",
                    str(tmp_path / "key"), env=env)
    assert done["events"] == made["events"] and done["cases_erased"] == 1
    assert run_json(db, "--as", AUDITOR, "verify")["intact"] is True
    shown = run(db, "--as", CASEWORKER, "--purpose", "opfølgning", "case", "show", erased)
    assert marker not in shown.stdout and "[erased]" in shown.stdout
    assert run_json(db, "doctor", "--checkpoints", str(checkpoints))["ok"]
