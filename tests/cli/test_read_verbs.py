"""Every read verb of SPEC §11 (and the trust verbs), on a real SQLite file holding both examples.

What people see: aligned tables, readable dates (never ISO timestamps), the plan's five sections,
one line an event. What machines get: ``--json`` that parses, with the fields SPEC §11 names.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli._support import (
    ADMIN,
    ADULT_HOLDER,
    AUDITOR,
    DPO,
    EXAMPLES,
    FAMILY_HOLDER,
    HOLDER,
    ISO_TIMESTAMP,
    PURPOSE,
    READABLE_MOMENT,
    ROLE_EVENTS,
    assert_aligned,
    assert_clean_failure,
    history,
    section,
    show,
    sqlite_url,
    stafet,
    with_roles,
)

# A team leader of the two organisations holding the examples' batons: the overview (case list,
# attention, caseload) of both cases, without their personal content.
LEADER = "leder@kommunen"
LEADS = ("socialafdelingen-odense", "skovvangskolen")
HOLDERS = {"adult": ADULT_HOLDER, "family": FAMILY_HOLDER}
WITHHELD = "[withheld]"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Both examples replayed into one SQLite file: {"db", "adult", "family"} (full case ids),
    after the roles were set up (an auditor, a DPO, and LEADER leading LEADS)."""
    db = sqlite_url(tmp_path_factory.mktemp("read") / "stafet.db")
    with_roles(db)
    for org in LEADS:
        granted = stafet(db, "roles", "grant", "team_leader", LEADER, "--org", org, actor=ADMIN)
        assert granted.code == 0, str(granted)
    ids = {"db": db}
    for name in ("adult", "family"):
        result = stafet(db, "--json", "apply", str(EXAMPLES / f"{name}-case" / "case.jsonl"))
        assert result.code == 0, str(result)
        ids[name] = result.json["cases"][0]
    return ids


ADMIN_EVENTS = ROLE_EVENTS + len(LEADS)  # the administration's events, before the cases'


def _people(result: Any) -> str:
    assert result.code == 0, str(result)
    assert result.err == "", str(result)
    assert not ISO_TIMESTAMP.search(result.out), "people's output shows an ISO timestamp:\n" + result.out
    return str(result.out)


# -- case show ------------------------------------------------------------------------------


def test_case_show_for_people_has_holder_five_sections_and_readable_dates(store: dict[str, str]) -> None:
    text = _people(stafet(store["db"], "case", "show", store["adult"][:6], actor=ADULT_HOLDER))
    lines = text.splitlines()

    assert lines[0].startswith(f"Case {store['adult']}  —  Samlet forløb")
    assert f"  Stafetholder: {ADULT_HOLDER}, since 5 May 2026 10:00" in lines
    assert "Opened: 2 Mar 2026 09:15" in lines[1] and "Status: open" in lines[1]
    headings = ["1. Situation", "2. Goals", "3. Efforts", "4. Agreements", "5. The citizen's own views"]
    positions = [next(i for i, line in enumerate(lines) if line.strip() == h) for h in headings]
    assert positions == sorted(positions), "the plan's sections are out of order"
    assert lines[positions[0] - 1].startswith("Plan")
    assert "Mads er 39 år" in lines[positions[0] + 1]
    assert "G1" in section(text, "2. Goals")[0]
    assert "Jeg vil gerne være tømrer" in section(text, "5. The citizen's own views")[0]
    assert READABLE_MOMENT.search(text)
    for heading in ("Participants", "Consents", "Meetings"):
        assert heading in lines


@pytest.mark.parametrize("heading", ["3. Efforts", "4. Agreements", "Participants", "Meetings"])
def test_case_show_tables_are_aligned(store: dict[str, str], heading: str) -> None:
    text = _people(stafet(store["db"], "case", "show", store["adult"][:8], actor=ADULT_HOLDER))
    block = section(text, heading)
    assert len(block) >= 3, text  # a header and rows
    assert_aligned(block)


def test_case_show_json_has_the_fields_of_spec_11(store: dict[str, str]) -> None:
    case = show(store["db"], store["family"][:6], actor=FAMILY_HOLDER)

    for key in ("case_id", "status", "phase", "holder", "exchange", "participants", "plan",
                "consents", "meetings", "version"):
        assert key in case
    assert set(case["plan"]) >= {"summary", "goals", "efforts", "agreements", "citizen_views", "sector_plans"}
    assert case["case_id"] == store["family"]
    assert case["status"] in ("open", "closed")
    assert case["holder"] == FAMILY_HOLDER and case["exchange"] is None
    assert case["version"] == len(history(store["db"], store["family"], actor=FAMILY_HOLDER))
    assert all({"ref", "kind", "active"} <= set(p) for p in case["participants"])


def test_case_show_json_exchange_while_offered_and_in_the_exchange_zone(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    case_id = stafet(db, "--json", "case", "open", "--subject", "b-1", "--subject-kind", "adult",
                     "--title", "T", "--permanent").json["case_id"]
    assert stafet(db, "case", "join", case_id, "bo@socialcenter", "--kind", "authority").code == 0
    assert show(db, case_id)["exchange"] is None

    assert stafet(db, "baton", "hand", case_id, "--to", "bo@socialcenter").code == 0
    assert show(db, case_id)["exchange"] == {"from": HOLDER, "to": "bo@socialcenter", "state": "offered"}
    assert "Hand-over in progress: offered to bo@socialcenter" in stafet(db, "case", "show", case_id).out

    assert stafet(db, "baton", "grab", case_id, actor="bo@socialcenter").code == 0
    case = show(db, case_id)
    assert case["exchange"] == {"from": HOLDER, "to": "bo@socialcenter", "state": "exchange"}
    assert case["holder"] == "bo@socialcenter"
    assert "Exchange zone: bo@socialcenter has grabbed" in stafet(db, "case", "show", case_id).out


def test_case_show_as_of_a_recorded_time(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    case_id = stafet(db, "--json", "case", "open", "--subject", "b-1", "--subject-kind", "adult",
                     "--title", "T", "--permanent").json["case_id"]
    for text in ("første", "anden", "tredje"):
        assert stafet(db, "note", case_id, text).code == 0
    second = history(db, case_id)[1]["recorded_at"]

    then = stafet(db, "--json", "case", "show", case_id[:6], "--as-of", second).json
    assert then["version"] == 2
    show_as_of = stafet(db, "case", "show", case_id[:6], "--as-of", second)
    assert "Version: 2" in _people(show_as_of)

    before = stafet(db, "case", "show", case_id[:6], "--as-of", "2020-01-01T12:00")
    assert_clean_failure(before, 2, "not yet in the log")


# -- case history ---------------------------------------------------------------------------


def test_case_history_is_one_aligned_line_an_event_oldest_first(store: dict[str, str]) -> None:
    events = history(store["db"], store["adult"], actor=ADULT_HOLDER)
    text = _people(stafet(store["db"], "case", "history", store["adult"][:6], actor=ADULT_HOLDER))
    lines = text.splitlines()

    assert lines[0].split() == ["#", "WHEN", "WHO", "WHAT"]
    assert len(lines) == 1 + len(events)
    assert [line.split()[0] for line in lines[1:]] == [str(e["position"]) for e in events]
    assert lines[1].startswith("1   2 Mar 2026 09:15   louise.holm@jobcenter-odense")
    assert "opened the case" in lines[1]
    assert_aligned(lines)


def test_case_history_in_danish(store: dict[str, str]) -> None:
    lines = _people(stafet(store["db"], "case", "history", store["family"][:6], "--lang", "da",
                           actor=FAMILY_HOLDER)).splitlines()
    assert lines[0].split() == ["#", "HVORNÅR", "HVEM", "HVAD"]
    assert "oprettede forløbet" in lines[1]
    assert_aligned(lines)


def test_case_history_json_carries_business_time_and_data(store: dict[str, str]) -> None:
    events = history(store["db"], store["adult"], actor=ADULT_HOLDER)
    first = events[0]
    assert first["type"] == "CaseOpened" and first["position"] == 1
    assert datetime.fromisoformat(first["occurred_at"]) == datetime.fromisoformat("2026-03-02T08:15:00+00:00")
    assert datetime.fromisoformat(first["recorded_at"]) > datetime.fromisoformat(first["occurred_at"])
    assert first["data"]["title"].startswith("Samlet forløb")
    assert {e["type"] for e in events} >= {"BatonHanded", "BatonGrabbed", "BatonReleased", "MeetingHeld"}


# -- case list ------------------------------------------------------------------------------


def test_case_list_for_people_is_an_aligned_table_oldest_first(store: dict[str, str]) -> None:
    lines = _people(stafet(store["db"], "case", "list", actor=LEADER)).splitlines()
    assert lines[0].split() == ["CASE", "STATUS", "PHASE", "HOLDER", "OPENED", "TITLE"]
    assert lines[1].startswith(store["family"][:8]) and lines[2].startswith(store["adult"][:8])
    assert "12 Jan 2026 13:30" in lines[1]
    assert all(line.endswith(WITHHELD) for line in lines[1:])  # the leader takes no part
    assert_aligned(lines)

    own = _people(stafet(store["db"], "case", "list", actor=ADULT_HOLDER)).splitlines()
    assert len(own) == 2 and own[1].startswith(store["adult"][:8])
    assert own[1].endswith("Samlet forløb: uddannelse, stoffrihed og egen bolig")
    assert_aligned(own)


def test_case_list_json_and_its_filters(store: dict[str, str]) -> None:
    db = store["db"]
    every = stafet(db, "--json", "case", "list", actor=LEADER).json
    assert [row["case_id"] for row in every] == [store["family"], store["adult"]]
    assert {"case_id", "status", "phase", "holder", "title"} <= set(every[0])
    for name, holder in HOLDERS.items():
        assert [row["case_id"] for row in stafet(db, "--json", "case", "list", actor=holder).json] == [
            store[name]]

    def ids(*options: str) -> list[str]:
        return [row["case_id"] for row in stafet(db, "--json", "case", "list", *options,
                                                 actor=LEADER).json]

    assert ids("--holder", ADULT_HOLDER) == [store["adult"]]
    assert ids("--org", "skovvangskolen") == [store["family"]]
    assert ids("--status", "open") == [store["family"], store["adult"]]
    assert ids("--status", "closed") == []
    assert store["adult"] in ids("--flag", "agreement_overdue")  # A1 was due 1 Jun 2026


# -- baton timeline -------------------------------------------------------------------------


def test_baton_timeline(store: dict[str, str]) -> None:
    lines = _people(stafet(store["db"], "baton", "timeline", store["adult"][:6],
                           actor=ADULT_HOLDER)).splitlines()
    assert lines[0].split() == ["HOLDER", "FROM", "TO", "ENDED"]
    assert lines[1].startswith("louise.holm@jobcenter-odense") and "released to " + ADULT_HOLDER in lines[1]
    assert lines[2].startswith(ADULT_HOLDER) and lines[2].endswith("holds the baton")
    assert_aligned(lines)

    holds = stafet(store["db"], "--json", "baton", "timeline", store["adult"], actor=ADULT_HOLDER).json
    assert [h["holder"] for h in holds] == ["louise.holm@jobcenter-odense", ADULT_HOLDER]
    assert holds[-1]["until"] is None and holds[0]["until"] is not None
    assert {"holder", "since", "until", "temporary", "ended"} <= set(holds[0])


# -- across cases: attention, caseload, export ----------------------------------------------


def test_attention_at_a_time(store: dict[str, str]) -> None:
    lines = _people(stafet(store["db"], "attention", "--as-of", "2026-07-01T12:00",
                           actor=ADULT_HOLDER)).splitlines()
    assert lines[0].split() == ["CASE", "FLAG", "SINCE", "HOLDER", "DETAIL"]
    overdue = next(line for line in lines if "agreement_overdue" in line)
    assert overdue.startswith(store["adult"][:8]) and "2 Jun 2026 00:00" in overdue
    assert_aligned([line for line in lines if not line.startswith("Caseload")])

    answer = stafet(store["db"], "--json", "attention", "--as-of", "2026-07-01T12:00", "--flag",
                    "agreement_overdue", actor=LEADER).json
    assert set(answer) == {"flags", "caseload_over_limit"}
    assert [(f["case_id"], f["key"]) for f in answer["flags"]] == [(store["adult"], "A1")]
    assert stafet(store["db"], "attention", "--as-of", "2026-01-01T00:00",
                  actor=LEADER).out == "Nothing needs attention.\n"


def test_attention_detail_dates_are_readable(store: dict[str, str]) -> None:
    text = stafet(store["db"], "attention", "--as-of", "2026-07-01T12:00", "--flag", "agreement_overdue",
                  actor=ADULT_HOLDER).out
    assert "1 Jun 2026" in text and "2026-06-01" not in text


def test_caseload(store: dict[str, str]) -> None:
    # Counts, no citizen's data: no purpose needed, but who is asking decides whose lines show.
    lines = _people(stafet(store["db"], "caseload", actor=LEADER, purpose=None)).splitlines()
    assert lines[0].split() == ["HOLDER", "ACTIVE", "TEMPORARY", "OVER", "LIMIT"]
    assert_aligned(lines)
    rows = stafet(store["db"], "--json", "caseload", actor=LEADER, purpose=None).json
    assert {r["holder"]: r["active_cases"] for r in rows} == {ADULT_HOLDER: 1, FAMILY_HOLDER: 1}
    assert not any(r["over_limit"] for r in rows)
    own = stafet(store["db"], "--json", "caseload", actor=ADULT_HOLDER, purpose=None).json
    assert {r["holder"]: r["active_cases"] for r in own} == {ADULT_HOLDER: 1}


def test_export_a_read_model_as_csv_and_the_events_as_jsonl(store: dict[str, str], tmp_path: Path) -> None:
    """Each coordinator exports the rows and events of their own case; together the two exports
    hold every case event of the log, in log order."""
    db = store["db"]
    positions: list[int] = []
    for name, holder in HOLDERS.items():
        agreements = stafet(db, "export", "--table", "rm_agreements", "--format", "csv", actor=holder)
        rows = list(csv.DictReader(io.StringIO(agreements.out)))
        assert len(rows) == len(show(db, store[name], actor=holder)["plan"]["agreements"])
        assert {row["case_id"] for row in rows} == {store[name]}
        assert {"case_id", "agreement_id", "responsible", "due_on", "status"} <= set(rows[0])

        out = tmp_path / f"events-{name}.jsonl"
        assert stafet(db, "export", "--events", "-o", str(out), actor=holder).code == 0
        events = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert len(events) == len(history(db, store[name], actor=holder))
        assert {e["case_id"] for e in events} == {store[name]}
        ids = [e["notification_id"] for e in events]
        assert ids == sorted(ids)
        positions += ids
        assert {"case_id", "position", "type", "actor", "recorded_at", "occurred_at",
                "data"} <= set(events[0])

        cases_jsonl = stafet(db, "export", "--table", "rm_cases", actor=holder).out.splitlines()
        assert {json.loads(line)["case_id"] for line in cases_jsonl} == {store[name]}
    # The administration's events come first in the log; the examples' events follow, all of them.
    expected = sum(len(history(db, store[k], actor=h)) for k, h in HOLDERS.items())
    assert positions == list(range(ADMIN_EVENTS + 1, ADMIN_EVENTS + expected + 1))


def test_export_refuses_an_unknown_table_and_needs_table_or_events(store: dict[str, str]) -> None:
    assert_clean_failure(stafet(store["db"], "export", "--table", "rm_nope", actor=ADULT_HOLDER), 2,
                         "there is no read model 'rm_nope'")
    assert_clean_failure(stafet(store["db"], "export", actor=ADULT_HOLDER), 2,
                         "give either --table RM_TABLE or --events")


# -- trust: verify, digest, access-log ------------------------------------------------------


def test_verify_and_digest(store: dict[str, str], tmp_path: Path) -> None:
    db = store["db"]
    count = ADMIN_EVENTS + sum(len(history(db, store[k], actor=h)) for k, h in HOLDERS.items())
    people = stafet(db, "verify", actor=AUDITOR, purpose=None)
    assert people.code == 0, str(people)
    assert people.out.startswith(f"Intact: {count} events, head ")
    assert "Access log intact:" in people.out
    report = stafet(db, "--json", "verify", actor=AUDITOR).json
    assert report["ok"] is True and report["count"] == count and report["access_log"]["ok"] is True

    digest = stafet(db, "digest", actor=AUDITOR, purpose=None)  # a signed checkpoint (C2SP)
    assert digest.out.splitlines()[1] == str(count)
    kept = tmp_path / "digest.txt"
    kept.write_text(digest.out, encoding="utf-8")
    again = stafet(db, "verify", "--digest", str(kept), actor=AUDITOR)
    assert again.code == 0 and "matches the digest of" in again.out

    series = tmp_path / "checkpoints"
    published = stafet(db, "checkpoint", "--publish", str(series), actor=AUDITOR, purpose=None)
    assert published.code == 0 and f"Published {series / f'{count}.checkpoint'}" in published.out
    checked = stafet(db, "verify", "--checkpoints", str(series), actor=AUDITOR)
    assert checked.code == 0 and f"agrees with 1 checkpoint in {series}" in checked.out


def test_verify_exits_1_when_the_log_was_tampered_with(tmp_path: Path) -> None:
    import sqlite3

    from stafet.domain.administration import ADMINISTRATION_ID

    path = tmp_path / "stafet.db"
    db = sqlite_url(path)
    with_roles(db)
    assert stafet(db, "apply", str(EXAMPLES / "adult-case" / "case.jsonl")).code == 0
    assert stafet(db, "verify", actor=AUDITOR).code == 0
    with sqlite3.connect(path) as conn:
        changed = conn.execute("UPDATE stored_events SET topic = 'NoteLogged' WHERE originator_version = 3 "
                               "AND originator_id != ?", (ADMINISTRATION_ID.hex,)).rowcount
        assert changed == 1  # someone rewrites the case's entry #3 behind our back
    result = stafet(db, "verify", actor=AUDITOR)
    assert_clean_failure(result, 1, "BROKEN at position")


def test_access_log_lists_who_read_what_and_why(store: dict[str, str]) -> None:
    db = store["db"]
    other = "rikke.bach@familieafdelingen-vejle"  # another participant of the family case
    assert stafet(db, "case", "history", store["adult"][:6], actor=ADULT_HOLDER).code == 0
    assert stafet(db, "case", "show", store["family"][:6], actor=other, purpose="stikprøve").code == 0

    # The citizen reads who looked them up (their own right), and that read is logged too.
    lines = _people(stafet(db, "access-log", "--subject", "borger-3c9e41", actor="borger@k7q2m9",
                           purpose="se hvem der har læst")).splitlines()
    assert lines[0].split() == ["WHEN", "WHO", "WHAT", "CASE", "WHY"]
    assert all(store["adult"][:8] in line for line in lines[1:])
    assert_aligned(lines)

    entries = stafet(db, "--json", "access-log", actor=DPO, purpose="tilsyn med adgangen").json
    mine = [e for e in entries if e["actor"] == other]
    assert mine[-1]["action"] == "show" and mine[-1]["purpose"] == "stikprøve"
    assert mine[-1]["case_id"] == store["family"]
    assert any(e["purpose"] == PURPOSE for e in entries)
    assert (entries[-1]["actor"], entries[-1]["action"], entries[-1]["criterion"]) == (
        "borger@k7q2m9", "access-log", "one citizen")  # the citizen's read, logged once done


def test_access_log_prune(store: dict[str, str]) -> None:
    pruned = stafet(store["db"], "access-log", "prune", actor=DPO)
    assert pruned.out.startswith("Nothing to remove: no entries older than")
    assert stafet(store["db"], "--json", "access-log", "prune", "--keep-days", "30", actor=DPO).json == {
        "removed": 0, "before": None, "through": None}
    refused = stafet(store["db"], "access-log", "prune", actor=ADULT_HOLDER)
    assert_clean_failure(refused, 1, "only the data protection officer may prune the access log")


# -- projections ----------------------------------------------------------------------------


def test_projections_status_rebuild_and_run(store: dict[str, str]) -> None:
    db = store["db"]
    lines = _people(stafet(db, "projections", "status")).splitlines()
    assert lines[0].split() == ["PROJECTION", "POSITION", "HEAD", "LAG", "TABLES"]
    assert_aligned(lines)
    status = stafet(db, "--json", "projections", "status").json
    assert {s["name"] for s in status} >= {"cases", "attention", "caseload"}
    assert all(s["lag"] == 0 and s["position"] == s["head"] for s in status)

    rebuilt = stafet(db, "projections", "rebuild")
    assert rebuilt.code == 0
    assert rebuilt.out.startswith(f"Rebuilt all read models: {status[0]['head']} events")
    one = stafet(db, "--json", "projections", "rebuild", "cases").json
    assert one["rebuilt"] == ["cases"] and one["events"] == status[0]["head"]

    ran = stafet(db, "projections", "run", "--once")
    assert ran.code == 0 and ran.out == "Applied 0 events.\n"
    assert len(stafet(db, "--json", "case", "list", actor=LEADER).json) == 2


def test_projections_run_once_json(store: dict[str, str]) -> None:
    json.loads(stafet(store["db"], "--json", "projections", "run", "--once").out)


# -- odd text is data, and it must not break what people read ---------------------------------


@pytest.fixture
def small(tmp_path: Path) -> tuple[str, str]:
    db = sqlite_url(tmp_path / "stafet.db")
    case_id = stafet(db, "--json", "case", "open", "--subject", "b-1", "--subject-kind", "adult",
                     "--title", "T", "--permanent").json["case_id"]
    assert stafet(db, "plan", "accept", case_id, "--by", "citizen").code == 0
    return db, case_id


def test_a_multi_line_summary_stays_inside_section_1(small: tuple[str, str]) -> None:
    db, case_id = small
    summary = "Mads er 39 år.\nHan mangler en stabil bolig.\n\nHan er motiveret for uddannelse."
    assert stafet(db, "plan", "summary", case_id, summary).code == 0
    text = stafet(db, "case", "show", case_id).out
    lines = text.splitlines()
    start = lines.index("  1. Situation")
    end = lines.index("  2. Goals")
    assert all(line.startswith("     ") for line in lines[start + 1:end] if line.strip()), text


def test_control_characters_in_a_note_do_not_reach_the_terminal(small: tuple[str, str]) -> None:
    db, case_id = small
    assert stafet(db, "note", case_id, "Betalt\x1b[1A\x1b[2K\rintet at se her").code == 0
    text = stafet(db, "case", "history", case_id).out
    assert "\x1b" not in text and "\r" not in text
    assert json.loads(stafet(db, "--json", "case", "history", case_id).out)[-1]["data"]["text"].startswith(
        "Betalt\x1b[1A")  # the data itself is kept as written
