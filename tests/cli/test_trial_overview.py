"""Issue 17, point 6: a team leader's overview, as the trial found it wanting.

Flag names checked and listed; attention counted per holder and per flag; caseload per
organisation, sorted; a case's own flags in `case show`; a case found by the citizen's ref.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stafet.domain.attention import FLAGS
from tests.cli._support import (
    HOLDER,
    SOCIAL,
    assert_aligned,
    assert_clean_failure,
    open_case,
    soon,
    sqlite_url,
    stafet,
    with_roles,
)

OTHER = "aage@jobcenter"  # before anne by name, after her by load


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path / "stafet.db")
    with_roles(url)
    return url


@pytest.mark.parametrize("verb", [["attention"], ["case", "list"]])
def test_an_unknown_flag_is_exit_2_naming_the_flags_there_are(db: str, verb: list[str]) -> None:
    result = stafet(db, *verb, "--flag", "nonsense")
    assert_clean_failure(result, 2, "'nonsense' is not one of", "'agreement_overdue'", "'short_notice'")
    assert "Nothing needs attention" not in result.out


@pytest.mark.parametrize("verb", [["attention"], ["case", "list"]])
def test_help_lists_every_flag_with_what_it_means(verb: list[str]) -> None:
    text = " ".join(stafet(None, *verb, "--help").out.split())
    for name in FLAGS:
        assert name in text
    assert "meeting was convened at short notice" in text


def test_a_flag_name_is_case_blind(db: str) -> None:
    open_case(db)
    assert stafet(db, "attention", "--flag", "No_Coordinating_Meeting").code == 0


def _two_holders(db: str) -> tuple[str, str, str]:
    """Three cases: two held by HOLDER (one with a meeting at short notice), one by OTHER."""
    first = open_case(db)
    second = open_case(db, subject="borger-2")
    third = open_case(db, actor=OTHER, subject="borger-3")
    assert stafet(db, "case", "join", first, SOCIAL, "--kind", "authority").code == 0
    convened = stafet(db, "meeting", "convene", first, "--at", f"{soon(1)}T23:00", "--place", "Jobcentret",
                      "--invite", SOCIAL, "--item", "Status")
    assert convened.code == 0, str(convened)
    return first, second, third


def test_attention_summary_counts_per_holder_and_per_flag(db: str) -> None:
    _two_holders(db)
    leader = "leder@jobcenter"
    assert stafet(db, "roles", "grant", "team_leader", leader, "--org", "jobcenter",
                  actor="it@kommunen").code == 0
    counted = stafet(db, "attention", "--summary", "--json", actor=leader).json
    per_holder = {c["name"]: c for c in counted["per_holder"]}
    assert per_holder[HOLDER]["cases"] == 1 and per_holder[HOLDER]["flags"] == 1  # the short notice
    per_flag = {c["name"]: c for c in counted["per_flag"]}
    assert per_flag["short_notice"]["flags"] == 1 and per_flag["short_notice"]["cases"] == 1
    assert counted["flags"] == sum(c["flags"] for c in counted["per_holder"])

    text = stafet(db, "attention", "--summary", actor=leader)
    assert text.code == 0, str(text)
    holders, flags, total = text.out.strip().split("\n\n")
    assert holders.splitlines()[0].split() == ["HOLDER", "FLAGS", "CASES"]
    assert_aligned(flags.splitlines())
    assert "short_notice" in flags
    assert total.endswith(f"flags on {counted['cases']} cases.")


def test_caseload_of_one_organisation_sorted_by_load_or_name(db: str) -> None:
    _two_holders(db)
    open_case(db, actor=SOCIAL, subject="borger-4")
    leader = "leder@jobcenter"
    assert stafet(db, "roles", "grant", "team_leader", leader, "--org", "jobcenter",
                  actor="it@kommunen").code == 0
    assert stafet(db, "roles", "grant", "team_leader", leader, "--org", "socialcenter",
                  actor="it@kommunen").code == 0
    by_load = stafet(db, "caseload", "--org", "jobcenter", "--json", actor=leader).json
    assert [r["holder"] for r in by_load] == [HOLDER, OTHER]
    by_name = stafet(db, "caseload", "--org", "@JobCenter", "--sort", "name", "--json", actor=leader).json
    assert [r["holder"] for r in by_name] == [OTHER, HOLDER]
    everyone = stafet(db, "caseload", "--sort", "name", "--json", actor=leader).json
    assert [r["holder"] for r in everyone] == [OTHER, HOLDER, SOCIAL]


def test_case_show_lists_the_cases_own_flags_and_marks_overdue_agreements(db: str) -> None:
    first, _second, _third = _two_holders(db)
    shown = stafet(db, "case", "show", first)
    assert shown.code == 0, str(shown)
    lines = shown.out.splitlines()
    at = lines.index("Needs attention")
    assert lines[at + 1].split()[:3] == ["FLAG", "SINCE", "DETAIL"]
    assert any(line.strip().startswith("short_notice") for line in lines[at + 2:at + 5])
    assert {f["flag"] for f in stafet(db, "--json", "case", "show", first).json["flags"]} >= {"short_notice"}
    # An agreement due in 30 days is open now, and marked overdue once its day has passed.
    accepted = stafet(db, "plan", "accept", first, "--by", "citizen")
    assert accepted.code == 0, str(accepted)
    made = stafet(db, "agreement", "make", first, "Visitere til bostøtte", "--responsible", SOCIAL,
                  "--due", soon(1))
    assert made.code == 0, str(made)
    assert "overdue" not in stafet(db, "case", "show", first).out
    later = stafet(db, "case", "show", first, "--as-of", f"{soon(3)}T12:00")
    assert later.code == 0, str(later)
    agreement = next(line for line in later.out.splitlines() if "Visitere til bostøtte" in line)
    assert "overdue" in agreement
    assert "agreement_overdue" in later.out


def test_case_list_finds_a_case_by_the_citizens_reference_and_logs_it_under_them(db: str) -> None:
    _first, second, _third = _two_holders(db)
    found = stafet(db, "--json", "case", "list", "--subject", "borger-2").json
    assert [c["case_id"] for c in found] == [second]
    assert stafet(db, "--json", "case", "list", "--subject", "borger-9999").json == []
    log = stafet(db, "--json", "access-log", "--subject", "borger-2", actor="dpo@kommunen").json
    searches = [e for e in log if e.get("action") == "search"]
    assert searches and all("borger-2" not in str(e.get("criterion")) for e in searches), log
