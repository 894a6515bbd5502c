"""Erasure against writers and runners in other processes that still hold the citizen's key.

The moment between the key's deletion and the erasure events is made to last, by deleting the
key alone (``KeyStore.erase``, the first step of ``stafet erase``) from another ``Ledger``:
a writer that read the key before must store nothing after it, and a projection runner that
read it before must not write the citizen's plaintext into the read models after it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

import psycopg
import pytest

from stafet import Ledger
from stafet.domain.errors import RuleViolation
from tests.trust.support import ADMIN, DPO, RawStore

REF = "borger-race-5e1f"
HOLDER = "anne@jobcenter-odense"
MARKER = "RACEMARK-91d2"


def _set_up(url: str) -> str:
    with Ledger(url) as ledger:
        ledger.appoint_first_admin(ADMIN)
        ledger.grant_role(actor=ADMIN, role="dpo", to=DPO)
        opened = ledger.open_case(actor=HOLDER, subject_ref=REF, subject_kind="adult",
                                  title="Forløb", temporary=False)
        return str(opened.case_id)


def _delete_key_only(url: str) -> None:
    """The first step of an erasure, as another process takes it."""
    with Ledger(url) as eraser:
        eraser.store.keys.erase(REF, lambda: datetime.now(UTC))


def test_a_writer_holding_the_key_stores_nothing_once_it_is_deleted(db_url: str) -> None:
    case = _set_up(db_url)
    with Ledger(db_url) as writer:
        writer.log_note(actor=HOLDER, case_id=case, text="Før sletningen")  # the key in memory
        before = len(RawStore(db_url).events())
        _delete_key_only(db_url)
        with pytest.raises(RuleViolation) as refused:
            writer.log_note(actor=HOLDER, case_id=case, text=f"Notat {MARKER}")
        assert refused.value.code == "case.erased"
        assert str(refused.value) == ("the citizen's personal data in this case was erased; "
                                      "it takes no new entries")
        assert len(RawStore(db_url).events()) == before
        # Nor later, with the key gone from its memory too.
        with pytest.raises(RuleViolation):
            writer.log_note(actor=HOLDER, case_id=case, text=f"Notat {MARKER}")
    assert len(RawStore(db_url).events()) == before


def test_a_runner_holding_the_key_writes_no_plaintext_after_it_is_deleted(db_url: str) -> None:
    """A follower that read the key before catches up, after the key's deletion, with a note
    stored before it: the erasure event is not in its batch yet (it is recorded next)."""
    case = _set_up(db_url)
    with Ledger(db_url, read_models=False) as follower:
        follower.read_models.catch_up()
        assert follower.get_case(case).subject_ref == REF  # the key in the follower's memory
        with Ledger(db_url, read_models=False) as writer:
            writer.log_note(actor=HOLDER, case_id=case, text=f"Notat {MARKER}")
        _delete_key_only(db_url)
        follower.read_models.catch_up()
        assert RawStore(db_url).rows_containing(MARKER) == {}


def test_postgres_table_files_keep_no_erased_rows(pg_schema_url: str) -> None:
    """A plain VACUUM frees a deleted row's space in the table's file but leaves its bytes
    there: the read models' plaintext and the deleted key must be gone from the files."""
    with psycopg.connect(RawStore(pg_schema_url).conninfo, autocommit=True) as conn:
        try:
            data_dir = Path(conn.execute("SHOW data_directory").fetchone()[0])
            readable = os.access(data_dir, os.R_OK)
        except psycopg.errors.InsufficientPrivilege:
            readable = False
    if not readable:
        pytest.skip("the PostgreSQL server's data files are not readable here")
    case = _set_up(pg_schema_url)
    with Ledger(pg_schema_url, read_models=True) as ledger:
        for n in range(20):
            ledger.log_note(actor=HOLDER, case_id=case, text=f"Notat {n} {MARKER}")
        ledger.read_models.catch_up()
        key = ledger.store.keys.key_for_case(UUID(case))
        assert key is not None
        ledger.erase_subject(actor=DPO, subject_ref=REF, reason="Slettefrist", confirm=REF)
    raw = RawStore(pg_schema_url)
    with psycopg.connect(raw.conninfo, autocommit=True) as conn:
        conn.execute("CHECKPOINT")  # every page written out to the files
        paths = {t: conn.execute("SELECT pg_relation_filepath(%s)",
                                 (f'"{raw.schema}"."{t}"',)).fetchone()[0] for t in raw.tables()}
    files = {t: data_dir / path for t, path in paths.items() if path}  # views have no file
    assert "rm_cases" in files and "stafet_subject_keys" in files
    found = {t for t, path in files.items() if path.exists()
             and any(m in path.read_bytes() for m in (MARKER.encode(), b"Forl\xc3\xb8b", key))}
    assert found == set()
