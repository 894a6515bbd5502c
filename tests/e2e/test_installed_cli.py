"""The installed ``stafet`` console script, run as a user runs it: in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stafet import Ledger

# Tier (tests/README.md): the installed console script, as a user runs it.
pytestmark = [pytest.mark.process]

ROOT = Path(__file__).resolve().parents[2]
STAFET = str(Path(sys.executable).parent / "stafet")
EXAMPLES = {
    "adult-case": "peter.lund@socialafdelingen-odense",
    "family-case": "lars.winther@skovvangskolen",
}


PURPOSE = "kontrol af eksempel"


def stafet(db: str, *args: str, actor: str = "revisor@kommunen",
           stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, as ``actor`` with a purpose (a case is read by those who
    take part in it)."""
    return subprocess.run(
        [STAFET, "--db", db, "--as", actor, "--purpose", PURPOSE, *args], input=stdin,
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_example_replays_and_reads_back(example: str, db_url: str) -> None:
    applied = stafet(db_url, "apply", f"examples/{example}/case.jsonl")
    assert applied.returncode == 0, applied.stderr
    holder = EXAMPLES[example]  # reads the case back
    listed = json.loads(stafet(db_url, "--json", "case", "list", actor=holder).stdout)
    assert len(listed) == 1
    case_id = listed[0]["case_id"]

    shown = stafet(db_url, "--json", "case", "show", case_id[:8], actor=holder)
    assert shown.returncode == 0, shown.stderr
    case = json.loads(shown.stdout)
    for key in ("case_id", "status", "phase", "holder", "exchange", "participants", "plan",
                "consents", "meetings", "version"):
        assert key in case
    for key in ("summary", "goals", "efforts", "agreements", "citizen_views", "sector_plans"):
        assert key in case["plan"]
    assert case["holder"] == EXAMPLES[example]
    assert case["exchange"] is None

    history = json.loads(stafet(db_url, "--json", "case", "history", case_id, actor=holder).stdout)
    assert [e["position"] for e in history] == list(range(1, case["version"] + 1))
    assert history[0]["type"] == "CaseOpened"
    assert {"position", "type", "actor", "recorded_at", "occurred_at", "data"} <= set(history[0])

    people = stafet(db_url, "case", "show", case_id[:6], actor=holder)
    assert people.returncode == 0
    assert "Stafetholder: " + EXAMPLES[example] in people.stdout
    assert "1. Situation" in people.stdout and "5. The citizen's own views" in people.stdout


BATCH = "".join(
    json.dumps(line, ensure_ascii=False) + "\n"
    for line in [
        {"command": "case.open", "as": "k", "actor": "anne@jobcenter", "subject_ref": "borger-1",
         "subject_kind": "adult", "title": "Forløb", "temporary": False},
        {"command": "case.join", "case": "$k", "actor": "anne@jobcenter", "participant": "bo@socialcenter",
         "kind": "authority"},
        {"command": "baton.hand", "case": "$k", "actor": "anne@jobcenter", "to": "bo@socialcenter"},
        {"command": "baton.release", "case": "$k", "actor": "anne@jobcenter"},
        {"command": "baton.grab", "case": "$k", "actor": "bo@socialcenter"},
    ]
)


def test_apply_stops_at_the_refused_line_and_keeps_the_ones_before(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'batch.db'}"
    result = stafet(db, "apply", "-", stdin=BATCH)
    assert result.returncode == 1
    assert "line 4" in result.stderr and "no other authority has taken the baton" in result.stderr
    assert "Traceback" not in result.stderr
    case_id = json.loads(stafet(db, "--json", "case", "list", actor="anne@jobcenter").stdout)[0]["case_id"]
    history = json.loads(stafet(db, "--json", "case", "history", case_id, actor="anne@jobcenter").stdout)
    assert [e["type"] for e in history] == ["CaseOpened", "ParticipantJoined", "BatonHanded"]


def test_bad_input_exits_2_with_one_sentence_and_stores_nothing(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bad.db'}"
    result = stafet(db, "apply", "-", stdin='{"command": "case.open", "actor": "no-at-sign"}\n')
    assert result.returncode == 2
    assert "line 1" in result.stderr and "actor" in result.stderr
    assert "Traceback" not in result.stderr
    with Ledger(db) as ledger:  # the ledger's own read: nothing at all in the log
        assert ledger.store.head() == 0


def test_unknown_case_prefix_is_a_clear_error(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    assert stafet(db, "init").returncode == 0  # an empty ledger (a missing one is another error)
    result = stafet(db, "case", "show", "abcdef")
    assert result.returncode == 2
    assert "no case id starts with 'abcdef'" in result.stderr
