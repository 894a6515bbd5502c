"""Exit codes (README, `stafet.cli`): 0 done; 1 refused by a rule, the rule's sentence on stderr and
nothing stored; 2 a usage, input or configuration error; 75 the database away or busy just now
(tests/cli/test_store_failures.py, with the stores that cannot be used); 70 an unexpected error,
one line saying where the details are (tests/cli/test_error_log.py). Bad input never shows a
Python traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from stafet.ledger import Ledger
from tests.cli._support import (
    HOLDER,
    PURPOSE,
    SOCIAL,
    Result,
    apply,
    assert_clean_failure,
    batch,
    cases,
    history,
    installed,
    sqlite_url,
    stafet,
)
from tests.cli._users import crashing_reader
from tests.cli.test_write_verbs import ACCEPT, AGREEMENT, BASE, HAND

JOIN_CARL = {"command": "case.join", "case": "$k", "actor": HOLDER, "participant": "carl@misbrugscenter",
             "kind": "authority"}


@pytest.fixture
def team(tmp_path: Path) -> tuple[str, str]:
    """(db, case id): anne holds, bo (an authority) takes part, the citizen consented."""
    db = sqlite_url(tmp_path / "stafet.db")
    return db, str(apply(db, *BASE).json["cases"][0])


# -- 0 --------------------------------------------------------------------------------------


@pytest.mark.process
def test_success_exits_0_with_nothing_on_stderr(team: tuple[str, str]) -> None:
    db, case_id = team
    result = stafet(db, "note", case_id[:6], "Alt vel.")
    assert result.code == 0 and result.err == ""
    version = installed("--version")
    assert version.code == 0 and "version" in version.out


# -- 1: refused by a rule -------------------------------------------------------------------

REFUSALS = [
    pytest.param((), ["baton", "release", "{case}"], HOLDER,
                 "no other authority has taken the baton", id="release-before-grab"),
    pytest.param((HAND,), ["baton", "release", "{case}"], HOLDER,
                 "no other authority has taken the baton", id="release-while-offered"),
    pytest.param((JOIN_CARL, HAND), ["baton", "grab", "{case}"], "carl@misbrugscenter",
                 "only they can grab it",
                 id="grab-by-non-target"),
    pytest.param((), ["baton", "hand", "{case}", "--to", SOCIAL], SOCIAL,
                 "only the holder (anne@jobcenter) can hand the baton on", id="hand-by-non-holder"),
    pytest.param((), ["plan", "summary", "{case}", "Opsummering"], HOLDER,
                 "the plan has not been accepted yet", id="plan-before-acceptance"),
    pytest.param((JOIN_CARL,), ["share", "{case}", "Journal", "--recipient", "carl@misbrugscenter",
                                "--purpose", "koordinering", "--category", "helbred"], HOLDER,
                 "no active consent covers sharing helbred with carl@misbrugscenter",
                 id="share-without-consent"),
    pytest.param((ACCEPT, AGREEMENT), ["case", "close", "{case}", "--further-course", "Slut",
                                       "--follow-up-by", HOLDER], HOLDER,
                 "agreement(s) are still open (A1)", id="close-with-open-agreement"),
    pytest.param((), ["case", "leave", "{case}", HOLDER], HOLDER, "cannot leave the case",
                 id="holder-leaves"),
    pytest.param((), ["correct", "{case}", "99", "--correction", "x", "--reason", "y"], HOLDER,
                 "there is no entry at position 99", id="correct-missing-entry"),
]


@pytest.mark.parametrize(("setup", "argv", "actor", "sentence"), REFUSALS)
def test_a_refused_command_exits_1_with_the_rule_and_stores_nothing(
    tmp_path: Path, setup: tuple[dict[str, str], ...], argv: list[str], actor: str, sentence: str
) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    case_id = str(apply(db, *BASE, *setup).json["cases"][0])
    before = history(db, case_id)

    result = stafet(db, *(a.replace("{case}", case_id[:6]) for a in argv), actor=actor)

    assert_clean_failure(result, 1, "Refused: ", sentence)
    assert len(result.err.strip().splitlines()) == 1, "the refusal is one sentence on one line"
    assert result.out == ""
    assert history(db, case_id) == before


FUTURE = "2999-01-01T10:00"


@pytest.mark.parametrize("argv", [
    pytest.param(["note", "{case}", "Fra fremtiden"], id="note"),
    pytest.param(["consent", "give", "{case}", "--by", "citizen", "--purpose", "behandling",
                  "--recipient", SOCIAL, "--category", "bolig"], id="consent-give"),
    pytest.param(["share", "{case}", "Helbredsattest", "--recipient", SOCIAL, "--purpose",
                  "koordinering", "--category", "helbred"], id="share"),
    pytest.param(["baton", "hand", "{case}", "--to", SOCIAL], id="baton-hand"),
])
def test_a_business_time_in_the_future_is_refused_on_both_backends(
        db_url: str, argv: list[str]) -> None:
    """Issue 13: an occurred_at in 2999 was stored for consents, shares and hand-overs."""
    case_id = str(apply(db_url, *BASE).json["cases"][0])
    before = history(db_url, case_id)

    result = stafet(db_url, *(a.replace("{case}", case_id[:6]) for a in argv),
                    "--occurred-at", FUTURE)

    assert_clean_failure(result, 1, "Refused: occurred_at 1 Jan 2999 10:00 is in the future")
    assert len(result.err.splitlines()) == 1
    assert history(db_url, case_id) == before


def test_reusing_a_command_id_for_another_command_is_refused(team: tuple[str, str]) -> None:
    db, case_id = team
    assert stafet(db, "note", case_id[:6], "Første", "--command-id", "k-1").code == 0
    before = len(history(db, case_id))
    result = stafet(db, "note", case_id[:6], "Anden", "--command-id", "k-1")
    assert_clean_failure(result, 1, "command_id 'k-1' was already used")
    assert len(history(db, case_id)) == before


# -- 2: usage and input errors --------------------------------------------------------------

USAGE_ERRORS = [
    pytest.param(["--bogus", "case", "list"], "No such option '--bogus'", id="bad-global-flag"),
    pytest.param(["note", "{case}", "x", "--colour", "red"], "No such option '--colour'", id="bad-verb-flag"),
    pytest.param(["frobnicate"], "No such command 'frobnicate'", id="unknown-verb"),
    pytest.param(["baton", "juggle", "{case}"], "No such command 'juggle'", id="unknown-sub-verb"),
    pytest.param(["case", "show", "{case}", "--as-of", "notadate"], "--as-of 'notadate' is not a time",
                 id="bad-as-of"),
    pytest.param(["case", "show", "{case}", "--as-of", "2026-13-45T10:00"], "is not a time", id="bad-month"),
    pytest.param(["attention", "--as-of", "i morgen"], "--as-of 'i morgen' is not a time",
                 id="bad-attention-at"),
    pytest.param(["agreement", "make", "{case}", "x", "--responsible", SOCIAL, "--due", "tomorrow"],
                 "Invalid value for '--due': 'tomorrow' is not a date; write it like 2026-03-01",
                 id="bad-due-date"),
    pytest.param(["goal", "set", "{case}", "x", "--level", "overall", "--target", "2026-99-01"],
                 "'--target': '2026-99-01' is no day of the calendar", id="bad-target-date"),
    pytest.param(["note", "{case}", "x", "--occurred-at", "yesterday"],
                 "'--occurred-at': 'yesterday' is not a time; write it like 2026-03-06T10:00",
                 id="bad-occurred-at"),
    pytest.param(["meeting", "convene", "{case}", "--at", "garbage", "--place", "x", "--invite", SOCIAL,
                  "--item", "y"], "'--at': 'garbage' is not a time", id="bad-meeting-time"),
    pytest.param(["meeting", "hold", "{case}", "M1", "--attendee", SOCIAL, "--minutes", "m", "--agreement",
                  "bad"], "must be RESPONSIBLE|DUE|TEXT", id="bad-agreement-spec"),
    pytest.param(["phase", "{case}", "7"], "7 is not in the range", id="phase-out-of-range"),
    pytest.param(["case", "join", "{case}", "carl@misbrugscenter"], "Missing option '--kind'",
                 id="missing-required-option"),
    pytest.param(["case", "join", "{case}", "carl@misbrugscenter", "--kind", "wizard"],
                 "'wizard' is not one of",
                 id="bad-choice"),
    pytest.param(["case", "join", "{case}", "no-at-sign", "--kind", "authority"], "participant",
                 id="bad-participant-ref"),
    pytest.param(["case", "history", "{case}", "--lang", "fr"], "'fr' is not one of", id="bad-language"),
    pytest.param(["export", "--format", "xml", "--events"], "'xml' is not one of", id="bad-export-format"),
    pytest.param(["--db", "mysql://x/y", "case", "list"], "the database URL must start with",
                 id="bad-db-url"),
    pytest.param(["apply", "nofile.jsonl"], "No such file or directory", id="apply-missing-file"),
    pytest.param(["case", "open", "--subject", "0101901234", "--subject-kind", "adult", "--title", "T"],
                 "looks like a CPR number",
                 id="cpr-number-as-subject"),
]


@pytest.mark.parametrize(("argv", "message"), USAGE_ERRORS)
def test_a_usage_or_input_error_exits_2_and_stores_nothing(
    team: tuple[str, str], argv: list[str], message: str
) -> None:
    db, case_id = team
    before = history(db, case_id)

    result = stafet(db, *(a.replace("{case}", case_id[:6]) for a in argv))

    assert_clean_failure(result, 2, message)
    assert result.out == ""
    assert history(db, case_id) == before
    assert len(cases(db)) == 1


def test_missing_actor_for_a_write_exits_2(team: tuple[str, str]) -> None:
    db, case_id = team
    before = history(db, case_id)
    result = stafet(db, "note", case_id[:6], "Hvem skrev det?", actor=None)
    assert_clean_failure(result, 2, "say who you are: --as person@org (or set STAFET_ACTOR)")
    assert history(db, case_id) == before


def test_actor_and_purpose_may_come_from_the_environment(team: tuple[str, str]) -> None:
    db, case_id = team
    env = {"STAFET_DB": db, "STAFET_ACTOR": HOLDER, "STAFET_PURPOSE": "opfølgning"}
    assert stafet(None, "note", case_id[:6], "Fra miljøet", actor=None, purpose=None, env=env).code == 0
    shown = stafet(None, "--json", "case", "show", case_id[:6], actor=None, purpose=None, env=env)
    assert shown.json["version"] == 4


@pytest.mark.parametrize("argv", [
    ["case", "show", "{case}"], ["case", "history", "{case}"], ["case", "list"],
    ["baton", "timeline", "{case}"], ["attention"], ["export", "--events"],
], ids=lambda argv: "-".join(a for a in argv if a != "{case}"))
def test_reading_personal_data_needs_an_actor_and_a_purpose(team: tuple[str, str], argv: list[str]) -> None:
    db, case_id = team
    args = [a.replace("{case}", case_id[:6]) for a in argv]

    no_actor = stafet(db, *args, actor=None)
    assert_clean_failure(no_actor, 2, "--as person@org")
    no_purpose = stafet(db, *args, purpose=None)
    assert_clean_failure(no_purpose, 2, "--purpose")
    assert no_actor.out == no_purpose.out == ""


def test_a_group_without_its_verb_shows_help_and_exits_2() -> None:
    result = stafet(None, "baton", actor=None, purpose=None)
    assert result.code == 2
    assert "Commands:" in (result.out + result.err) and "hand" in (result.out + result.err)


# -- 70: unexpected errors ------------------------------------------------------------------


def test_an_unexpected_error_exits_70_with_one_line_and_the_details_logged(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug (planted: the first read raises a driver's error). The details go beside the
    SQLite file, not to the shared temporary directory (tests/cli/test_error_log.py)."""
    db = sqlite_url(tmp_path / "stafet.db")
    assert stafet(db, "init", actor=None, purpose=None).code == 0
    monkeypatch.setattr(Ledger, "reader", crashing_reader)

    result = stafet(db, "case", "list")

    assert result.code == 70, str(result)
    assert result.out == ""
    details = tmp_path / "stafet-error.log"
    assert result.err == f"Unexpected error; the details are in {details}\n"
    assert "Traceback (most recent call last)" in details.read_text(encoding="utf-8")


def test_a_folder_given_as_the_database_is_an_input_error(tmp_path: Path) -> None:
    """Was exit 70 (issue 13): a setting that is wrong is exit 2 with one sentence."""
    folder = tmp_path / "not-a-file.db"
    folder.mkdir()
    result = stafet(sqlite_url(folder), "case", "list")
    assert_clean_failure(result, 2, f"Error: {folder} is a folder, not a database file")
    assert len(result.err.splitlines()) == 1


@pytest.mark.process
def test_bad_input_through_the_installed_script_shows_no_traceback(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    assert installed("--db", db, "init").code == 0
    unknown = installed("--db", db, "frobnicate")
    assert_clean_failure(unknown, 2, "No such command 'frobnicate'")
    no_purpose = installed("--db", db, "--as", HOLDER, "case", "list")
    assert_clean_failure(no_purpose, 2, "--purpose")
    bad_date = installed("--db", db, "--as", HOLDER, "--purpose", PURPOSE, "case", "show", "abcdef",
                         "--as-of", "næste fredag")
    assert_clean_failure(bad_date, 2, "is not a time")


@pytest.mark.process
def test_a_batch_that_is_not_utf8_is_an_input_error(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    latin1 = batch({"command": "case.open", "subject_ref": "borger-1", "subject_kind": "adult",
                    "title": "Ærø", "temporary": False}).encode("latin-1")
    (tmp_path / "tmp").mkdir()
    result: Result = installed("--db", db, "--as", HOLDER, "apply", "-", stdin=latin1,
                               env={"TMPDIR": str(tmp_path / "tmp")})
    assert_clean_failure(result, 2)
    assert result.err.startswith("Error: ")



def test_an_output_file_that_cannot_be_opened_is_an_input_error(team: tuple[str, str],
                                                                tmp_path: Path) -> None:
    db, _ = team
    result = stafet(db, "export", "--events", "-o", str(tmp_path / "missing" / "x.jsonl"))
    assert_clean_failure(result, 2, "No such file or directory")


def test_a_warning_is_one_line_never_a_traceback(team: tuple[str, str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The events are stored; the read models could not follow (a full disk, say): one line
    on stderr, exit 0 (they catch up on the next run)."""
    from stafet.projections.base import Rows

    def full_disk(self: Rows) -> None:
        raise OSError(28, "No space left on device")

    db, case_id = team
    # Every way the read models write (in the command's own transaction, then the catch-up
    # after it) ends in Rows.flush: the disk fills there.
    monkeypatch.setattr(Rows, "flush", full_disk)
    result = stafet(db, "note", case_id[:6], "Gemt, selv om læsemodellerne halter.")
    assert result.code == 0, str(result)
    assert result.err == ("Warning: read models could not be brought up to date (OSError: [Errno "
                          "28] No space left on device)\n")
    monkeypatch.undo()
    assert history(db, case_id)[-1]["data"]["text"] == "Gemt, selv om læsemodellerne halter."
