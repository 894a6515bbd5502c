"""A store made by an earlier stafet opens in this one: missing columns are added."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from stafet import Ledger
from tests.helpers import HOLDER, Scenario


def test_a_key_table_without_the_erased_at_column_is_upgraded_on_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    with Ledger(url) as ledger:
        case_id = Scenario(ledger).case_id
    with sqlite3.connect(tmp_path / "old.db") as db:  # as the store looked before erased_at
        db.execute("ALTER TABLE stafet_case_subjects DROP COLUMN erased_at")

    with Ledger(url) as ledger:
        assert ledger.reader(HOLDER, "opfølgning").case(case_id).subject_ref == "borger-4711"
        ledger.appoint_first_admin("it@kommunen")  # the roles came with the new stafet
        ledger.grant_role(actor="it@kommunen", role="dpo", to="dpo@kommunen")
        assert ledger.erase_subject(actor="dpo@kommunen", subject_ref="borger-4711",
                                    reason="Slettefrist udløbet", confirm="borger-4711").cases == [case_id]
        assert ledger.get_case(case_id).subject_ref == "[erased]"
