"""Erasure under load (issue 13, findings 1 and 2), on an SQLite file and on PostgreSQL.

Writer processes, each a long-lived ``Ledger`` holding the citizen's key and running the read
models after every write, write notes to the citizen's case while the data protection officer
erases the citizen; in one round a reader holds a transaction open through the erasure. Then:

- no event was accepted on the case after its key was deleted (none but the erasure itself is
  recorded later than the deletion), and every note a writer was told was stored is stored;
- not a byte of the round's marker (title, notes) is in any file of the store (``.db``,
  ``-wal``, ``-shm``) or, on PostgreSQL, in ``pg_dump`` of the schema and any column;
- with the reader open, ``erase`` said so (``scrubbed`` False, "open reader"/"transactions"),
  and a scrub once it closed made it clean.

Repeated a few rounds with fresh citizens in one store.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
import sqlalchemy as sa

from stafet import Ledger
from stafet.storage.keys import stafet_case_subjects
from tests.faults.processes import Children, forkserver
from tests.trust.erasure_load import HOLDER, write_notes
from tests.trust.support import ADMIN, DPO, RawStore, stafet_process

pytestmark = [pytest.mark.slow, pytest.mark.process]

WRITERS = 3
ROUNDS = 3
READER_ROUND = 1  # the round in which a reader holds a transaction open through the erasure
ACKS_BEFORE_ERASING = 2  # per writer: each holds the key by then


def _reports(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines(True)
            if line.endswith("\n")]


def _wait(condition: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


def _files_holding(url: str, marker: str) -> list[str]:
    """The store's files (``.db``, ``-wal``, ``-shm``) holding the marker's bytes, read by
    another process: closing a file of the store in this one, which has the store open, would
    drop this process's SQLite locks on it (POSIX locks are per process)."""
    path = Path(url.removeprefix("sqlite:///"))
    files = sorted(str(p) for p in path.parent.glob(path.name + "*") if p.is_file())
    found = subprocess.run(["grep", "--files-with-matches", "--text", "--fixed-strings",
                            "--", marker, *files], capture_output=True, text=True, timeout=60)
    assert found.returncode in (0, 1), found.stderr
    return [Path(name).name for name in found.stdout.split()]


def _pg_dump(raw: RawStore) -> bytes:
    done = subprocess.run(["pg_dump", "--dbname", raw.conninfo, "--schema", raw.schema,
                           "--data-only"], capture_output=True, timeout=120, check=True)
    return done.stdout


def _plaintext_found(url: str, marker: str) -> list[str]:
    """Where the marker's bytes are: files of the SQLite store, or the PostgreSQL dump and
    rows."""
    raw = RawStore(url)
    if raw.backend == "sqlite":
        return _files_holding(url, marker)
    found = sorted(raw.rows_containing(marker))
    if marker.encode("utf-8") in _pg_dump(raw):
        found.append("pg_dump")
    return found


class Reader:
    """Another program reading the store, its transaction open (sqlite3, a BI tool, psql)."""

    def __init__(self, url: str) -> None:
        raw = RawStore(url)
        self.conn: Any
        if raw.backend == "sqlite":
            self.conn = sqlite3.connect(raw.path, isolation_level=None)
            self.conn.execute("BEGIN")
        else:
            self.conn = psycopg.connect(raw.conninfo)
            self.conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            self.conn.execute(f'SET search_path TO "{raw.schema}"')
        self.conn.execute("SELECT count(*) FROM rm_events").fetchone()

    def close(self) -> None:
        self.conn.rollback() if isinstance(self.conn, psycopg.Connection) else None
        self.conn.close()


def _erased_at(ledger: Ledger, case_id: UUID) -> Any:
    with ledger.store.sql.connect() as conn:
        return conn.execute(sa.select(stafet_case_subjects.c.erased_at).where(
            stafet_case_subjects.c.case_id == str(case_id))).scalar_one()


def test_erasing_while_writer_processes_write_and_a_reader_reads(
        db_url: str, tmp_path: Path) -> None:
    with Ledger(db_url, read_models=True) as ledger:
        ledger.appoint_first_admin(ADMIN)
        ledger.grant_role(actor=ADMIN, role="dpo", to=DPO)
        other = ledger.open_case(actor=HOLDER, subject_ref="borger-anden-77",
                                 subject_kind="adult", title="Et andet forløb",
                                 temporary=False).case_id
        for round_ in range(ROUNDS):
            marker = f"LOADMARK{round_}x{uuid.uuid4().hex[:8]}"
            ref = f"borger-{marker.lower()}"
            case = ledger.open_case(actor=HOLDER, subject_ref=ref, subject_kind="adult",
                                    title=f"Forløb {marker}", temporary=False).case_id
            reports = [tmp_path / f"r{round_}-w{w}.jsonl" for w in range(WRITERS)]
            stop = tmp_path / f"stop-{round_}"
            with Children(forkserver()) as children, ExitStack() as cleanup:
                for w, path in enumerate(reports):
                    children.start(write_notes, f"writer-{w}", db_url, str(case), str(other),
                                   marker, w, str(path), str(stop))
                _wait(lambda paths=reports: all(
                    sum(1 for r in _reports(p) if "stored" in r) >= ACKS_BEFORE_ERASING
                    for p in paths), "the writers did not get going")
                reader = Reader(db_url) if round_ == READER_ROUND else None
                if reader is not None:
                    cleanup.callback(reader.close)
                erasure = ledger.erase_subject(actor=DPO, subject_ref=ref, reason="Slettefrist",
                                               confirm=ref, wait_seconds=1.0)
                assert erasure.cases == [case]
                _wait(lambda paths=reports: all(
                    any(r.get("refused") == "case.erased" for r in _reports(p)) for p in paths),
                    "a writer was never refused")
                if reader is not None:
                    # The erasure said so, and did not claim a clean store.
                    assert not erasure.scrubbed
                    assert [r.in_store for r in erasure.residues][:1] == [True]
                    reader.close()
                    cleanup.pop_all()
                    again = stafet_process(db_url, "--as", DPO, "erase", "--scrub-only")
                    assert again.code == 0, again.out + again.err
                    assert "Scrubbed: no deleted plaintext remains" in again.out
                elif RawStore(db_url).backend == "sqlite":
                    assert erasure.scrubbed, erasure.residues
                else:  # the database is shared: another program's old transaction is reported
                    assert all("transaction" in r.what for r in erasure.residues if r.in_store)
                # Every file and dump, while the writers still write to the other case.
                assert _plaintext_found(db_url, marker) == []
                stop.touch()
                for child in children.started:
                    child.join(timeout=60)
                    assert child.exitcode == 0, (child.name, child.exitcode)

            # Nothing was accepted after the key's deletion; every acknowledged note is stored.
            deleted = _erased_at(ledger, case)
            events = ledger.store.case_events(case)
            late = [(e.originator_version, type(e).__name__) for e in events
                    if e.recorded_at > deleted]
            assert late == [(events[-1].originator_version, "PersonalDataErased")]
            acked = sorted(r["stored"] for p in reports for r in _reports(p)
                           if r.get("case") == str(case) and "stored" in r)
            notes = sorted(e.originator_version for e in events
                           if type(e).__name__ == "NoteLogged")
            assert acked == notes
            assert ledger.get_case(case).title == "[erased]"
        assert _plaintext_found(db_url, "LOADMARK") == []
