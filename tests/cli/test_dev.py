"""``stafet dev generate``: a synthetic municipality for demos and benchmarks, stored or as a batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stafet import Ledger
from tests.cli._support import AUDITOR, ROLE_EVENTS, installed, sqlite_url, stafet, with_roles


def test_generate_stores_cases_that_verify(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")

    report = stafet(db, "--json", "dev", "generate", "--cases", "2", "--total-events", "20",
                    "--seed", "7").json

    assert report["cases"] == 2 and report["events"] == 20 and report["events_before"] == 0
    assert sum(report["by_command"].values()) == report["commands"]
    with Ledger(db) as ledger:  # the ledger's own read: nobody here takes part in the cases
        assert len(ledger.case_ids()) == 2
    with_roles(db)  # an auditor to verify the store
    assert stafet(db, "--json", "verify", actor=AUDITOR).json["count"] == 20 + ROLE_EVENTS
    people = stafet(db, "dev", "generate", "--cases", "1", "--total-events", "10")
    assert people.code == 0 and people.out.startswith("Generated 1 cases: ")
    assert f"it now holds {30 + ROLE_EVENTS}" in people.out


def test_the_same_seed_gives_the_same_batch_and_it_replays(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (first, second):
        written = stafet(None, "dev", "generate", "--cases", "2", "--total-events", "30",
                         "--jsonl", str(path))
        assert written.code == 0, str(written)
    assert first.read_text(encoding="utf-8") == second.read_text(encoding="utf-8")
    lines = first.read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line)["command"] for line in lines)

    db = sqlite_url(tmp_path / "replay.db")
    applied = stafet(db, "--json", "apply", str(first)).json
    assert applied["applied"] == len(lines) and len(applied["cases"]) == 2


@pytest.mark.process
def test_the_batch_on_stdout_pipes_into_apply(tmp_path: Path) -> None:
    """As a shell runs it (in-process, click hands the command sys.stdout itself and all is well)."""
    batch = installed("dev", "generate", "--cases", "2", "--total-events", "30", "--jsonl", "-")
    assert batch.code == 0, str(batch)
    applied = stafet(sqlite_url(tmp_path / "stafet.db"), "apply", "-", stdin=batch.out)
    assert applied.code == 0, str(applied)
