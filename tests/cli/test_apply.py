"""``stafet apply FILE.jsonl`` and ``apply -``: a batch of commands, one JSON object a line.

Stops at the first refused line and names it; the lines before it stay stored, the ones after
are not applied; with ``--atomic`` nothing is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli._support import (
    AUDITOR,
    EXAMPLE_HOLDER,
    EXAMPLES,
    HOLDER,
    ROLE_EVENTS,
    SOCIAL,
    apply,
    assert_clean_failure,
    batch,
    cases,
    history,
    show,
    sqlite_url,
    stafet,
    with_roles,
)

OPEN: dict[str, Any] = {"command": "case.open", "as": "k", "actor": HOLDER, "subject_ref": "borger-1",
                        "subject_kind": "adult", "title": "Forløb", "temporary": False}
JOIN = {"command": "case.join", "case": "$k", "actor": HOLDER, "participant": SOCIAL, "kind": "authority"}
HAND = {"command": "baton.hand", "case": "$k", "actor": HOLDER, "to": SOCIAL}
RELEASE = {"command": "baton.release", "case": "$k", "actor": HOLDER}
GRAB = {"command": "baton.grab", "case": "$k", "actor": SOCIAL}
NOTE = {"command": "note", "case": "$k", "actor": SOCIAL, "text": "Jeg har overtaget."}


@pytest.fixture
def db(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "stafet.db")


def _types(db: str) -> list[str]:
    (case,) = cases(db)
    return [e["type"] for e in history(db, case["case_id"])]


def test_a_file_applies_in_order_and_reports_what_it_stored(db: str, tmp_path: Path) -> None:
    path = tmp_path / "handover.jsonl"
    path.write_text(batch(OPEN, JOIN, HAND, GRAB, RELEASE, NOTE), encoding="utf-8")

    result = stafet(db, "apply", str(path))

    assert result.code == 0, str(result)
    (case,) = cases(db)
    assert result.out == f"Applied 6 commands (6 new events) to 1 case(s): {case['case_id'][:8]}\n"
    assert _types(db) == ["CaseOpened", "ParticipantJoined", "BatonHanded", "BatonGrabbed", "BatonReleased",
                          "NoteLogged"]
    assert show(db, case["case_id"])["holder"] == SOCIAL


def test_stdin_with_json_output(db: str) -> None:
    result = apply(db, OPEN, JOIN, HAND)
    answer = result.json
    case_id = cases(db)[0]["case_id"]
    assert answer == {"applied": 3, "events": 3, "cases": [case_id], "opened": [case_id],
                      "already_stored": 0}


def test_a_refused_line_in_the_middle_keeps_the_lines_before_and_applies_none_after(db: str) -> None:
    result = stafet(db, "apply", "-", stdin=batch(OPEN, JOIN, HAND, RELEASE, GRAB, NOTE))

    assert_clean_failure(result, 1, "line 4", "no other authority has taken the baton")
    refused, stored = result.err.strip().splitlines()
    assert refused.startswith("Refused: line 4: ")
    assert stored.startswith("Stored lines 1-3; opened case(s) ")
    assert _types(db) == ["CaseOpened", "ParticipantJoined", "BatonHanded"]


def test_with_atomic_a_refused_line_stores_nothing(db: str) -> None:
    with_roles(db)
    result = stafet(db, "apply", "--atomic", "-", stdin=batch(OPEN, JOIN, HAND, RELEASE, GRAB, NOTE))

    assert_clean_failure(result, 1, "line 4", "no other authority has taken the baton")
    assert cases(db) == []
    # The log holds the administration's events (the roles) and nothing of the batch.
    assert stafet(db, "--json", "verify", actor=AUDITOR).json["count"] == ROLE_EVENTS


def test_with_atomic_a_good_batch_stores_everything(db: str) -> None:
    answer = apply(db, OPEN, JOIN, HAND, GRAB, RELEASE, NOTE, atomic=True).json
    assert answer["applied"] == 6 and answer["events"] == 6
    assert len(_types(db)) == 6


def test_a_malformed_json_line_is_an_input_error_naming_the_line(db: str, tmp_path: Path) -> None:
    text = batch(OPEN, JOIN) + '{"command": "baton.hand", "case": "$k", "to": \n' + batch(NOTE)

    result = stafet(db, "apply", "-", stdin=text)

    assert_clean_failure(result, 2, "line 3: not valid JSON")
    assert _types(db) == ["CaseOpened", "ParticipantJoined"]

    other = sqlite_url(tmp_path / "atomic.db")
    atomic = stafet(other, "apply", "--atomic", "-", stdin=text)
    assert_clean_failure(atomic, 2, "line 3: not valid JSON")
    assert cases(other) == []


@pytest.mark.parametrize(("line", "message"), [
    ("[1, 2]", 'line 2: each line is a JSON object with a "command" name.'),
    ('{"case": "$k", "text": "x"}', 'line 2: each line is a JSON object with a "command" name.'),
    ('{"command": "frob", "case": "$k"}', "line 2: unknown command 'frob'; known commands: "),
    ('{"command": "note", "case": "$nope", "text": "x"}',
     'line 2: no case.open earlier in this batch says "as": "nope".'),
    ('{"command": "note", "case": "$k", "text": "x", "colour": "red"}',
     "line 2: note: field 'colour' is not a field of this command."),
    ('{"command": "note", "case": "$k"}', "line 2: note: field 'text' is required"),
    ('{"command": "note", "case": "$k", "text": "x", "occurred_at": "i går"}',
     "line 2: note: field 'occurred_at'"),
], ids=["not-an-object", "no-command", "unknown-command", "unknown-label", "unknown-field", "missing-field",
        "bad-date"])
def test_a_bad_line_exits_2_naming_the_line_and_the_field(db: str, line: str, message: str) -> None:
    result = stafet(db, "apply", "-", stdin=batch(OPEN) + line + "\n" + batch(NOTE))
    assert_clean_failure(result, 2, message)
    assert result.err.startswith("Error: ")
    assert _types(db) == ["CaseOpened"]


def test_labels_name_cases_opened_earlier_in_the_same_batch(db: str) -> None:
    other = {**OPEN, "as": "other", "subject_ref": "borger-2", "title": "Andet forløb"}
    result = apply(db, OPEN, other,
                   {"command": "note", "case": "$other", "actor": HOLDER, "text": "til det andet"},
                   {"command": "note", "case": "$k", "actor": HOLDER, "text": "til det første"},
                   {"command": "note", "case": "$other", "actor": HOLDER, "text": "igen det andet"})

    assert result.json["applied"] == 5 and len(result.json["cases"]) == 2
    by_title = {c["title"]: c["case_id"] for c in cases(db)}
    first = [e["data"].get("text") for e in history(db, by_title["Forløb"])]
    second = [e["data"].get("text") for e in history(db, by_title["Andet forløb"])]
    assert first[1:] == ["til det første"]
    assert second[1:] == ["til det andet", "igen det andet"]


def test_a_later_batch_names_an_existing_case_by_prefix_and_takes_the_actor_from_as(db: str) -> None:
    case_id = apply(db, OPEN, JOIN).json["cases"][0]
    later = batch({"command": "note", "case": case_id[:6], "text": "Uden actor på linjen"},
                  {"command": "note", "case": case_id, "actor": SOCIAL, "text": "Med actor"})

    result = stafet(db, "--json", "apply", "-", stdin=later)

    assert result.json["applied"] == 2
    events = history(db, case_id)
    assert [(e["actor"], e["data"]["text"]) for e in events[-2:]] == [
        (HOLDER, "Uden actor på linjen"), (SOCIAL, "Med actor")]


def test_without_an_actor_anywhere_the_line_is_refused(db: str) -> None:
    line = {k: v for k, v in OPEN.items() if k != "actor"}
    result = stafet(db, "apply", "-", stdin=batch(line), actor=None)
    assert_clean_failure(result, 2, "line 1: case.open: field 'actor' is required")
    assert cases(db) == []


def test_comments_and_blank_lines_are_skipped_and_still_counted_as_lines(db: str) -> None:
    text = "# en kommentar\n\n" + batch(OPEN) + "   \n# og en til\n" + batch(RELEASE)
    result = stafet(db, "apply", "-", stdin=text)
    assert_clean_failure(result, 1, "line 6: ")
    assert _types(db) == ["CaseOpened"]


def test_command_ids_make_a_batch_safe_to_send_twice(db: str) -> None:
    lines = [dict(line, command_id=f"mig-{n}") for n, line in enumerate((OPEN, JOIN, HAND), start=1)]
    first = apply(db, *lines).json
    again = apply(db, *lines).json
    assert first["events"] == 3 and again == {**first, "events": 0, "already_stored": 3, "opened": []}
    assert len(cases(db)) == 1 and len(_types(db)) == 3


@pytest.mark.parametrize("example", ["adult-case", "family-case"])
def test_each_example_replays_atomically_and_verifies(db: str, example: str) -> None:
    path = EXAMPLES / example / "case.jsonl"
    commands = [line for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
    with_roles(db)

    answer = stafet(db, "--json", "apply", "--atomic", str(path)).json

    assert answer["applied"] == len(commands)
    (case_id,) = answer["cases"]
    assert answer["events"] == len(history(db, case_id, actor=EXAMPLE_HOLDER[example]))
    report = stafet(db, "--json", "verify", actor=AUDITOR).json
    assert report["ok"] and report["count"] == ROLE_EVENTS + answer["events"]
