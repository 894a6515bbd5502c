"""What a caseworker's trial found (issue 17, points 1-5), at the command line on a real SQLite file.

Each test reproduces a finding: it failed before the fix and passes now.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from stafet import Ledger
from stafet.cli.case import history_table
from tests.cli._support import (
    SOCIAL,
    assert_clean_failure,
    history,
    open_case,
    show,
    sqlite_url,
    stafet,
)


@pytest.fixture
def db(tmp_path: Path) -> str:
    return sqlite_url(tmp_path / "stafet.db")


def _case(db: str) -> str:
    case = open_case(db)
    assert stafet(db, "case", "join", case, SOCIAL, "--kind", "authority").code == 0
    assert stafet(db, "plan", "accept", case, "--by", "citizen").code == 0
    return case


def _danish(on: date) -> str:
    return f"{on.day:02}.{on.month:02}.{on.year}"


# -- 1. dates as Danes write them; errors name the flag --------------------------------------


def test_a_due_date_written_the_danish_way_is_stored(db: str) -> None:
    case = _case(db)
    due = date.today() + timedelta(days=30)
    done = stafet(db, "agreement", "make", case, "ringe til a-kassen", "--responsible", SOCIAL,
                  "--due", _danish(due))
    assert done.code == 0, str(done)
    short = f"{due.day}/{due.month}-{due.year}"
    assert stafet(db, "agreement", "make", case, "søge job", "--responsible", SOCIAL,
                  "--due", short).code == 0
    assert [a["due_on"] for a in show(db, case)["plan"]["agreements"]] == [due.isoformat()] * 2


@pytest.mark.parametrize(("args", "flag"), [
    (["agreement", "make", "{case}", "x", "--responsible", SOCIAL, "--due", "01.13.2027"], "--due"),
    (["goal", "set", "{case}", "x", "--level", "overall", "--target", "1.3.27x"], "--target"),
    (["consent", "give", "{case}", "--by", "citizen", "--purpose", "p", "--recipient", "@x",
      "--category", "c", "--expires", "31/2-2027"], "--expires"),
    (["effort", "plan", "{case}", "x", "--law", "SEL", "--paragraph", "§ 85", "--provider", SOCIAL,
      "--starts-on", "primo marts"], "--starts-on"),
])
def test_a_wrong_date_names_the_flag_and_shows_an_example(db: str, args: list[str], flag: str) -> None:
    case = _case(db)
    before = len(history(db, case))
    done = stafet(db, *[a.replace("{case}", case) for a in args])
    assert_clean_failure(done, 2, f"'{flag}'", "write it like 2026-03-01 or 1.3.2026")
    for internal in ("due_on", "target_date", "expires_on", "starts_on", "field '"):
        assert internal not in done.err, done.err
    assert len(history(db, case)) == before


def test_a_wrong_due_date_in_an_agreement_at_a_meeting_names_the_flag(db: str) -> None:
    case = _case(db)
    done = stafet(db, "meeting", "hold", case, "M1", "--attendee", SOCIAL, "--minutes", "m",
                  "--agreement", f"{SOCIAL}|01.13.2027|ringe")
    assert_clean_failure(done, 2, "--agreement", "the due date", "write it like")
    assert "due_on" not in done.err


def test_a_meeting_time_without_a_clock_time_is_refused(db: str) -> None:
    case = _case(db)
    later = date.today() + timedelta(days=20)
    done = stafet(db, "meeting", "convene", case, "--at", later.isoformat(), "--place", "Rådhuset",
                  "--invite", SOCIAL, "--item", "Status")
    assert_clean_failure(done, 2, "'--at'", "has no clock time", "6.3.2026 10:00")
    ok = stafet(db, "meeting", "convene", case, "--at", f"{_danish(later)} 10:00", "--place",
                "Rådhuset", "--invite", SOCIAL, "--item", "Status")
    assert ok.code == 0, str(ok)
    assert show(db, case)["meetings"][0]["starts_at"].startswith(later.isoformat())


# -- 2. time rules in the domain, at the command line ----------------------------------------


def test_a_meeting_in_the_past_needs_occurred_at_and_is_not_held_before_it_starts(db: str) -> None:
    case = _case(db)
    past = date.today() - timedelta(days=2)
    convene = ["meeting", "convene", case, "--at", f"{past.isoformat()}T10:00", "--place", "Rådhuset",
               "--invite", SOCIAL, "--item", "Status"]
    assert_clean_failure(stafet(db, *convene), 1, "has already passed", "--occurred-at")
    assert stafet(db, *convene, "--occurred-at", f"{(past - timedelta(days=5)).isoformat()}T09:00"
                  ).code == 0
    later = date.today() + timedelta(days=3)
    assert stafet(db, "meeting", "convene", case, "--at", f"{later.isoformat()}T10:00", "--place",
                  "Rådhuset", "--invite", SOCIAL, "--item", "Status").code == 0
    early = stafet(db, "meeting", "hold", case, "M2", "--attendee", SOCIAL, "--minutes", "m")
    assert_clean_failure(early, 1, "meeting M2 starts", "cannot have been held")
    assert stafet(db, "meeting", "hold", case, "M1", "--attendee", SOCIAL, "--minutes", "m").code == 0
    assert [m["status"] for m in show(db, case)["meetings"]] == ["held", "convened"]


# -- 3. undo as events; corrections marked in history and show ---------------------------------


def test_a_corrected_entry_is_marked_in_the_history_and_show(db: str) -> None:
    case = _case(db)
    assert stafet(db, "note", case, "Mødet var den 6. marts").code == 0  # entry 4
    assert stafet(db, "correct", case, "4", "--correction", "Mødet var den 7. marts",
                  "--reason", "Forkert dato").code == 0  # entry 5
    english = stafet(db, "case", "history", case).out.splitlines()
    (line,) = [x for x in english if x.startswith("4 ")]
    assert line.endswith("wrote: Mødet var den 6. marts [corrected, see entry 5]"), line
    danish = stafet(db, "case", "history", case, "--lang", "da").out
    assert "[rettet, se indførsel 5]" in danish
    shown = stafet(db, "case", "show", case).out
    assert "entry 4 corrected by entry 5" in shown and "Mødet var den 7. marts" in shown
    assert "Forkert dato" in shown


def test_a_meeting_wrongly_held_is_undone_and_held_again(db: str) -> None:
    case = _case(db)
    past = date.today() - timedelta(days=1)
    assert stafet(db, "meeting", "convene", case, "--at", f"{_danish(past)} 10:00", "--place", "Rådhuset",
                  "--invite", SOCIAL, "--item", "Status", "--occurred-at",
                  f"{(past - timedelta(days=7)).isoformat()}T09:00").code == 0
    assert stafet(db, "meeting", "hold", case, "M1", "--attendee", SOCIAL, "--minutes", "Forkert").code == 0
    undone = stafet(db, "meeting", "not-held", case, "M1", "--reason", "Forkert møde")
    assert undone.code == 0, str(undone)
    assert show(db, case)["meetings"][0]["status"] == "convened"
    told = stafet(db, "case", "history", case).out.splitlines()
    assert any(line.endswith("marked meeting M1 as not held after all: Forkert møde") for line in told)
    (held,) = [line for line in told if "  held meeting M1" in line]
    assert held.endswith("— Minutes: Forkert [not held after all, see entry 6]"), held


# -- 4. meetings and notes readable -------------------------------------------------------------


def _held_meeting(db: str) -> str:
    case = _case(db)
    past = date.today() - timedelta(days=1)
    assert stafet(db, "meeting", "convene", case, "--at", f"{past.isoformat()}T10:00", "--place",
                  "Jobcentret, lokale 3", "--place-agreed", "--invite", SOCIAL, "--item", "Bolig",
                  "--item", "Uddannelse", "--interpreter", "arabisk", "--advocate",
                  "--occurred-at", f"{(past - timedelta(days=7)).isoformat()}T09:00").code == 0
    due = date.today() + timedelta(days=20)
    held = stafet(db, "meeting", "hold", case, "M1", "--attendee", SOCIAL, "--minutes",
                  "Mads vil gerne være tømrer og har brug for en bolig.", "--decision",
                  "Louise er fortsat stafetholder", "--agreement",
                  f"{SOCIAL}|{_danish(due)}|visitere til bostøtte")
    assert held.code == 0, str(held)
    return case


def test_meeting_show_tells_the_whole_meeting(db: str) -> None:
    case = _held_meeting(db)
    out = stafet(db, "meeting", "show", case, "m1").out
    for fragment in ("M1", "coordinating meeting", "[held]", "Jobcentret, lokale 3 (agreed with the "
                     "citizen)", SOCIAL, "interpreter (arabisk)", "the citizen wants an advocate",
                     "1. Bolig", "2. Uddannelse", "Mads vil gerne være tømrer og har brug for en bolig.",
                     "1. Louise er fortsat stafetholder", "A1 bo@socialcenter by",
                     "visitere til bostøtte"):
        assert fragment in out, f"{fragment!r} not in\n{out}"
    data = stafet(db, "--json", "meeting", "show", case, "M1").json
    assert data["agenda"] == ["Bolig", "Uddannelse"] and data["interpreter_language"] == "arabisk"
    assert data["decisions"] == ["Louise er fortsat stafetholder"]
    assert [a["agreement_id"] for a in data["agreements"]] == ["A1"]
    assert_clean_failure(stafet(db, "meeting", "show", case, "M9"), 2,
                         "the case has no meeting M9 (its meetings: M1)")


def test_case_show_and_history_tell_agenda_minutes_and_decisions(db: str) -> None:
    case = _held_meeting(db)
    shown = stafet(db, "case", "show", case).out
    for fragment in ("1. Bolig", "Mads vil gerne være tømrer", "Louise er fortsat stafetholder",
                     "interpreter (arabisk)"):
        assert fragment in shown, f"{fragment!r} not in\n{shown}"
    told = stafet(db, "case", "history", case).out
    assert "Agenda: 1. Bolig; 2. Uddannelse" in told
    assert "Minutes: Mads vil gerne være tømrer og har brug for en bolig." in told
    assert "Decisions: Louise er fortsat stafetholder" in told
    assert "Dagsorden: 1. Bolig" in stafet(db, "case", "history", case, "--lang", "da").out


def test_a_long_note_is_shown_whole_and_wrapped_to_the_terminal(db: str) -> None:
    case = _case(db)
    text = " ".join(f"ord{n}" for n in range(120))  # about 700 characters
    assert stafet(db, "note", case, text).code == 0
    piped = stafet(db, "case", "history", case, env={"COLUMNS": None}).out
    assert text in piped and "…" not in piped  # a pipe or file: whole, on one line
    with Ledger(db) as ledger:
        events = ledger.history(UUID(case))
    wrapped = history_table(events, ["#", "WHEN", "WHO", "WHAT"], "en", width=80).splitlines()
    assert all(len(line) <= 80 for line in wrapped), "\n".join(wrapped)
    start = wrapped[0].index("WHAT")
    assert all(line[:start].strip() == "" for line in wrapped if line.startswith(" "))
    assert " ".join(" ".join(wrapped).split()).count(text) == 1


# -- 5. baton confirm, close --check, the birth month, who withdrew --------------------------------


def test_case_close_check_lists_every_unmet_condition(db: str) -> None:
    case = _case(db)
    due = date.today() + timedelta(days=30)
    assert stafet(db, "agreement", "make", case, "ringe", "--responsible", SOCIAL, "--due",
                  _danish(due)).code == 0
    assert stafet(db, "baton", "hand", case, "--to", SOCIAL).code == 0
    before = len(history(db, case))
    check = stafet(db, "case", "close", case, "--check", actor=SOCIAL)
    assert check.code == 1, str(check)
    assert check.out.splitlines() == [
        f"{SOCIAL} cannot close case {case[:8]} yet:",
        "  - only the holder (anne@jobcenter) can close the case",
        "  - the baton is offered to bo@socialcenter; it must be grabbed, declined or withdrawn "
        "before you close the case",
        "  - 1 agreement(s) are still open (A1); complete, cancel or reassign them before closing"]
    data = stafet(db, "--json", "case", "close", case, "--check")
    assert data.code == 1 and [u["code"] for u in json.loads(data.out)["unmet"]] == [
        "baton.handover_open", "case.open_agreements"]
    assert stafet(db, "baton", "withdraw", case).code == 0
    assert stafet(db, "agreement", "complete", case, "A1").code == 0
    ok = stafet(db, "case", "close", case, "--check")
    assert ok.code == 0 and "Nothing stands in the way" in ok.out
    assert len(history(db, case)) == before + 2  # --check stored nothing
    missing = stafet(db, "case", "close", case)
    assert_clean_failure(missing, 2, "Missing option '--further-course'")


def test_baton_confirm_makes_a_temporary_holder_permanent(db: str) -> None:
    case = open_case(db, permanent=False)
    assert show(db, case)["holder_temporary"]
    done = stafet(db, "baton", "confirm", case)
    assert done.code == 0 and "BatonConfirmed" in done.out, str(done)
    assert not show(db, case)["holder_temporary"]
    assert "(temporary)" not in stafet(db, "baton", "timeline", case).out
    assert_clean_failure(stafet(db, "baton", "confirm", case), 1, "already holds the baton permanently")


def test_birth_month_once_then_consent_without_an_age_and_revoke_by_a_parent(db: str) -> None:
    case = open_case(db, kind="child")
    assert stafet(db, "case", "birth-month", case, "5.2009").code == 0
    given = stafet(db, "consent", "give", case, "--by", "custody_holder:Anna", "--by",
                   "custody_holder:Bo", "--by", "youth", "--purpose", "Samarbejde om Emma",
                   "--recipient", "@ppr", "--category", "trivsel")
    assert given.code == 0, str(given)
    assert show(db, case)["consents"][0]["subject_age"] >= 16
    assert stafet(db, "consent", "revoke", case, "C1", "--by", "custody_holder:Bo",
                  "--reason", "Far trækker sit samtykke").code == 0
    told = stafet(db, "case", "history", case, "--lang", "da").out
    assert "fra forældremyndighedsindehaverne Anna og Bo og den unge" in told
    assert "blev trukket tilbage af forældremyndighedsindehaveren Bo" in told
    assert "noterede fødselsmåneden for den, forløbet handler om: 2009-05" in told


def test_a_consent_from_one_of_two_custody_holders_is_noted_and_flagged(db: str) -> None:
    case = open_case(db, kind="child")
    one = stafet(db, "consent", "give", case, "--by", "custody_holder:Anna", "--purpose", "skole",
                 "--recipient", "@ppr", "--category", "trivsel")
    assert one.code == 0, str(one)
    assert "given by 1 of 2 custody holders" in one.err
    both = stafet(db, "consent", "give", case, "--by", "custody_holder:Anna", "--by",
                  "custody_holder:Bo", "--purpose", "skole", "--recipient", "@ppr",
                  "--category", "trivsel")
    assert both.code == 0 and both.err == "", str(both)
