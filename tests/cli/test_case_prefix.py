"""A case is named by its id or any unique prefix of 6 characters or more (SPEC §11); anything else
is a clear input error (exit 2) and stores nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli._support import (
    HOLDER,
    apply,
    assert_clean_failure,
    cases,
    history,
    open_case,
    show,
    sqlite_url,
    stafet,
    store_case_with_id,
)

TWINS = ("abcdef01-0000-4000-8000-000000000001", "abcdef02-0000-4000-8000-000000000002")


@pytest.fixture
def one_case(tmp_path: Path) -> tuple[str, str]:
    db = sqlite_url(tmp_path / "stafet.db")
    return db, open_case(db)


@pytest.fixture
def twins(tmp_path: Path) -> str:
    """A store whose two cases' ids share their first 7 digits (abcdef0…)."""
    db = sqlite_url(tmp_path / "stafet.db")
    for case_id in TWINS:
        store_case_with_id(db, case_id)
    return db


@pytest.mark.parametrize("form", ["full", "hex", "upper", "prefix6", "prefix8", "prefix12"])
def test_a_case_is_found_by_its_id_or_a_unique_prefix(one_case: tuple[str, str], form: str) -> None:
    db, case_id = one_case
    ref = {
        "full": case_id, "hex": case_id.replace("-", ""), "upper": case_id[:8].upper(),
        "prefix6": case_id[:6], "prefix8": case_id[:8], "prefix12": case_id.replace("-", "")[:12],
    }[form]

    shown = stafet(db, "--json", "case", "show", ref)
    assert shown.code == 0, str(shown)
    assert shown.json["case_id"] == case_id
    noted = stafet(db, "--json", "note", ref, "Fundet")
    assert noted.json["case_id"] == case_id


@pytest.mark.parametrize(("ref", "message"), [
    ("abcde", "'abcde' is not a case id; give the id or at least its first 6 characters."),
    ("", "is not a case id"),
    ("xyz123", "'xyz123' is not a case id"),
    ("ffffff", "no case id starts with 'ffffff'"),
    ("ffffffff-0000-4000-8000-000000000000", "there is no case ffffffff-0000-4000-8000-000000000000"),
], ids=["too-short", "empty", "not-hex", "unknown-prefix", "unknown-full-id"])
def test_a_bad_or_unknown_case_reference_is_an_input_error(one_case: tuple[str, str], ref: str,
                                                           message: str) -> None:
    db, case_id = one_case
    before = history(db, case_id)
    if ref == "ffffff" and case_id.startswith("ffffff"):
        pytest.skip("the random case id happens to start with ffffff")

    for argv in (["case", "show", ref], ["case", "history", ref], ["baton", "timeline", ref],
                 ["note", ref, "Hvor er sagen?"], ["baton", "release", ref]):
        result = stafet(db, *argv)
        assert_clean_failure(result, 2, message)
        assert result.out == ""
    assert history(db, case_id) == before


def test_an_ambiguous_prefix_is_an_input_error_and_more_digits_resolve_it(twins: str) -> None:
    db = twins
    for ref in ("abcdef", "abcdef0", "ABCDEF0"):
        for argv in (["case", "show", ref], ["note", ref, "Til hvilken sag?"], ["case", "history", ref]):
            result = stafet(db, *argv)
            assert_clean_failure(result, 2, f"more than one case id starts with '{ref}'; give more of it.")
    assert [len(history(db, case_id)) for case_id in TWINS] == [1, 1]

    assert show(db, "abcdef01")["case_id"] == TWINS[0]
    assert show(db, "abcdef02")["case_id"] == TWINS[1]
    assert stafet(db, "note", "abcdef02", "Den anden sag").code == 0
    assert [len(history(db, case_id)) for case_id in TWINS] == [1, 2]


def test_case_list_shows_8_characters_and_they_are_enough(twins: str) -> None:
    lines = stafet(twins, "case", "list").out.splitlines()
    shown = [line.split()[0] for line in lines[1:]]
    assert shown == ["abcdef01", "abcdef02"]
    for prefix, case_id in zip(shown, TWINS, strict=True):
        assert show(twins, prefix)["case_id"] == case_id


def test_apply_resolves_case_prefixes_too(twins: str) -> None:
    ambiguous = apply(twins, {"command": "note", "case": "abcdef", "actor": HOLDER, "text": "x"})
    assert_clean_failure(ambiguous, 2, "line 1: more than one case id starts with 'abcdef'")
    unique = apply(twins, {"command": "note", "case": "abcdef01", "actor": HOLDER, "text": "x"})
    assert unique.json["cases"] == [TWINS[0]]
    assert len(cases(twins)) == 2
