"""What a caseworker's trial found (issue 17, points 1-5), at the command line on a real SQLite file.

Each test reproduces a finding: it failed before the fix and passes now.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

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
