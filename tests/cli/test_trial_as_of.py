"""Issue 17, point 9: `--as-of` by business time as well as by recorded time.

"What did the case say on 1 February?" is business time: what had happened by then, also
what was logged later (`--occurred-at`). The log as anyone could have read it then is
recorded time, the default, as `--help` says."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.cli._support import ADDICTION, HOLDER, SOCIAL, assert_clean_failure, sqlite_url, stafet

CPH = ZoneInfo("Europe/Copenhagen")


def _at(days_ago: int) -> str:
    return (datetime.now(CPH) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M")


def test_as_of_by_business_time_counts_what_happened_by_then_also_if_logged_later(
        tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    opened = stafet(db, "--json", "case", "open", "--subject", "borger-1", "--kind", "adult",
                    "--title", "Forløb", "--permanent", "--occurred-at", _at(10))
    case_id = opened.json["case_id"]
    joined = stafet(db, "case", "join", case_id, SOCIAL, "--kind", "authority", "--occurred-at", _at(5))
    assert joined.code == 0, str(joined)
    assert stafet(db, "case", "join", case_id, ADDICTION, "--kind", "authority").code == 0

    then = stafet(db, "--json", "case", "show", case_id, "--as-of", _at(3), "--time", "business").json
    assert [p["ref"] for p in then["participants"]] == [HOLDER, SOCIAL]
    before = stafet(db, "--json", "case", "show", case_id, "--as-of", _at(7), "--time", "business").json
    assert [p["ref"] for p in before["participants"]] == [HOLDER]

    # By recorded time (the default) the case was not in the log three days ago.
    recorded = stafet(db, "case", "show", case_id, "--as-of", _at(3))
    assert_clean_failure(recorded, 2, "was not yet in the log")
    early = stafet(db, "case", "show", case_id, "--as-of", _at(12), "--time", "business")
    assert_clean_failure(early, 2, "the case had not begun")


def test_the_default_is_stated_in_help_and_by_needs_as_of(tmp_path: Path) -> None:
    text = " ".join(stafet(None, "case", "show", "--help").out.split())
    assert "--time [recorded|business]" in text and "[default: recorded]" in text
    db = sqlite_url(tmp_path / "stafet.db")
    case_id = stafet(db, "--json", "case", "open", "--subject", "borger-1", "--kind", "adult",
                     "--title", "Forløb").json["case_id"]
    alone = stafet(db, "case", "show", case_id, "--time", "business")
    assert_clean_failure(alone, 2, "--time goes with --as-of")
