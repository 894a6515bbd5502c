"""Issue 17, point 7: forgiving input, as a caseworker met it in the trial.

Global options after the verb; long texts from stdin or a file; a store that is not there;
``apply`` stopping and re-run; the ids a write created; consent purposes as written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli._support import (
    HOLDER,
    PURPOSE,
    SOCIAL,
    assert_clean_failure,
    batch,
    cases,
    history,
    open_case,
    show,
    soon,
    sqlite_url,
    stafet,
)

OPEN: dict[str, Any] = {"command": "case.open", "as": "k", "actor": HOLDER, "subject_ref": "borger-1",
                        "subject_kind": "adult", "title": "Forløb", "temporary": False}
JOIN = {"command": "case.join", "case": "$k", "actor": HOLDER, "participant": SOCIAL, "kind": "authority"}
NOTE = {"command": "note", "case": "$k", "actor": HOLDER, "text": "Første samtale."}
RELEASE = {"command": "baton.release", "case": "$k", "actor": HOLDER}  # refused: nobody grabbed


@pytest.fixture
def db(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "stafet.db")


# -- global options after the verb ------------------------------------------------------------


def test_global_options_are_accepted_after_the_verb(db: str) -> None:
    case_id = open_case(db)
    listed = stafet(db, "case", "list", "--json", actor=None, purpose=None,
                    env={"STAFET_ACTOR": None})
    assert listed.code != 0  # without --as: the overview needs a reader
    after = stafet(db, "case", "list", "--json", "--as", HOLDER, "--purpose", PURPOSE,
                   actor=None, purpose=None)
    assert [c["case_id"] for c in after.json] == [case_id]


def test_as_after_the_verb_is_not_mistaken_for_as_of(db: str) -> None:
    case_id = open_case(db)
    shown = stafet(db, "case", "show", case_id[:8], "--as", HOLDER, "--purpose=" + PURPOSE,
                   actor=None, purpose=None)
    assert shown.code == 0, str(shown)
    assert "Did you mean" not in shown.err
    assert f"Case {case_id}" in shown.out


def test_db_after_the_verb_and_a_verbs_own_option_stays_the_verbs(db: str, tmp_path: Path) -> None:
    case_id = open_case(db)
    shown = stafet(None, "case", "show", case_id, "--db", db, "--json")
    assert shown.json["case_id"] == case_id
    # `dev token --as` is dev token's own option, not the root's: it is left where it is.
    import click

    from stafet.cli.app import cli, hoist_root_options

    ctx = click.Context(cli)
    assert hoist_root_options(cli, ctx, ["dev", "token", "--as", "x@y"]) == [
        "dev", "token", "--as", "x@y"]
    assert hoist_root_options(cli, ctx, ["note", "C", "--", "--json"]) == [
        "note", "C", "--", "--json"]


# -- long texts -------------------------------------------------------------------------------


def test_a_note_of_240_kb_from_stdin_or_a_file_is_stored_whole(db: str, tmp_path: Path) -> None:
    case_id = open_case(db)
    text = "Åse og Søren på Ærø får hjælp; mødet går godt, så æøå følger. " * 3165  # 240 KB, 196,230 chars
    assert len(text.encode("utf-8")) > 240_000
    from_stdin = stafet(db, "note", case_id, "-", stdin=text)
    assert from_stdin.code == 0, str(from_stdin)
    path = tmp_path / "notat.txt"
    path.write_text(text + "\n", encoding="utf-8")
    from_file = stafet(db, "note", case_id, "--file", str(path))
    assert from_file.code == 0, str(from_file)
    notes = [e["data"]["text"] for e in history(db, case_id) if e["type"] == "NoteLogged"]
    assert notes == [text.strip(), text.strip()]
    assert "-" not in notes


def test_a_text_and_a_file_together_or_neither_is_a_usage_error(db: str, tmp_path: Path) -> None:
    case_id = open_case(db)
    path = tmp_path / "notat.txt"
    path.write_text("tekst", encoding="utf-8")
    assert_clean_failure(stafet(db, "note", case_id, "tekst", "--file", str(path)), 2, "not both")
    assert_clean_failure(stafet(db, "note", case_id), 2, "--file PATH")
    assert_clean_failure(stafet(db, "correct", case_id, "1", "--reason", "Forkert"), 2, "--correction")


def test_minutes_and_corrections_read_from_stdin(db: str) -> None:
    case_id = open_case(db)
    corrected = stafet(db, "correct", case_id, "1", "--correction", "-", "--reason", "Forkert titel",
                       stdin="Titlen er\n'Samlet forløb'\n")
    assert corrected.code == 0, str(corrected)
    assert history(db, case_id)[-1]["data"]["correction"] == "Titlen er\n'Samlet forløb'"


# -- a store that is not there ----------------------------------------------------------------


@pytest.mark.parametrize("verb", [["case", "list"], ["attention"], ["caseload"],
                                  ["case", "show", "3fa85f"], ["export", "--table", "rm_cases"]])
def test_a_read_of_a_store_that_does_not_exist_is_exit_2_and_creates_nothing(
        tmp_path: Path, verb: list[str]) -> None:
    path = tmp_path / "stafte.db"  # a typo
    result = stafet(sqlite_url(path), *verb)
    assert_clean_failure(result, 2, f"no ledger at {path}; run `stafet init`")
    assert not path.exists()


# -- apply: what was stored, and a safe re-run ------------------------------------------------


def test_apply_stopping_says_which_lines_were_stored_and_which_cases_opened(db: str) -> None:
    result = stafet(db, "apply", "-", stdin=batch(OPEN, JOIN, NOTE, RELEASE, NOTE))
    assert result.code == 1
    (case,) = cases(db)
    assert result.err.splitlines()[0].startswith("Refused: line 4: ")
    assert result.err.splitlines()[1].startswith(f"Stored lines 1-3; opened case(s) {case['case_id']}.")
    as_json = stafet(db, "--json", "apply", "-", stdin=batch(OPEN, RELEASE))
    assert as_json.code == 1
    import json

    report = json.loads(as_json.out)
    assert report["stopped_at_line"] == 2 and report["stored_lines"] == [1]
    assert len(report["opened"]) == 1


def test_applying_the_fixed_file_again_makes_no_second_case(db: str, tmp_path: Path) -> None:
    path = tmp_path / "forløb.jsonl"
    path.write_text(batch(OPEN, JOIN, NOTE, RELEASE, NOTE), encoding="utf-8")
    first = stafet(db, "apply", str(path))
    assert first.code == 1
    fixed = {"command": "baton.hand", "case": "$k", "actor": HOLDER, "to": SOCIAL}
    path.write_text(batch(OPEN, JOIN, NOTE, fixed, NOTE), encoding="utf-8")

    again = stafet(db, "--json", "apply", str(path))

    answer = again.json
    assert answer["already_stored"] == 3 and answer["events"] == 2
    (case,) = cases(db)
    assert [e["type"] for e in history(db, case["case_id"])] == [
        "CaseOpened", "ParticipantJoined", "NoteLogged", "BatonHanded", "NoteLogged"]
    # The same note twice in one file is two notes, not one replayed.
    assert stafet(db, "--json", "apply", str(path)).json["already_stored"] == 5


# -- write --json names what it created -------------------------------------------------------


def test_write_json_returns_the_ids_it_created(db: str) -> None:
    case_id = open_case(db)
    assert stafet(db, "case", "join", case_id, SOCIAL, "--kind", "authority").code == 0
    consent = stafet(db, "--json", "consent", "give", case_id, "--by", "citizen", "--purpose",
                     "Samarbejde om Mads", "--recipient", SOCIAL, "--category", "helbred").json
    assert consent["created"] == ["C1"] and consent["events"][0]["id"] == "C1"
    convened = stafet(db, "--json", "meeting", "convene", case_id, "--at", f"{soon(10)}T10:00",
                      "--place", "Jobcentret", "--invite", SOCIAL, "--item", "Status").json
    assert convened["created"] == ["M1"]
    people = stafet(db, "meeting", "convene", case_id, "--at", f"{soon(11)}T10:00",
                    "--place", "Jobcentret", "--invite", SOCIAL, "--item", "Status")
    assert people.out.strip().endswith("created M2."), str(people)


# -- consent purposes -------------------------------------------------------------------------


def test_purposes_are_kept_as_written_compared_case_blind_and_listed_in_the_refusal(db: str) -> None:
    case_id = open_case(db)
    assert stafet(db, "case", "join", case_id, SOCIAL, "--kind", "authority").code == 0
    given = stafet(db, "consent", "give", case_id, "--by", "citizen", "--purpose", "Samarbejde om Mads",
                   "--recipient", SOCIAL, "--category", "helbred")
    assert given.code == 0, str(given)
    assert show(db, case_id)["consents"][0]["purpose"] == "Samarbejde om Mads"

    shared = stafet(db, "share", case_id, "Lægeerklæring", "--recipient", SOCIAL,
                    "--purpose", "samarbejde om mads", "--category", "helbred")
    assert shared.code == 0, str(shared)
    refused = stafet(db, "share", case_id, "Lægeerklæring", "--recipient", SOCIAL,
                     "--purpose", "Bolig", "--category", "helbred")
    assert_clean_failure(refused, 1, "for the purpose 'Bolig'",
                         "the active consents covering them are C1 'Samarbejde om Mads' (helbred)")
