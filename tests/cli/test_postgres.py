"""The same command line against PostgreSQL (a fresh schema a test; skipped loudly without a server)."""

from __future__ import annotations

from tests.cli._support import (
    AUDITOR,
    HOLDER,
    ROLE_EVENTS,
    SOCIAL,
    apply,
    assert_aligned,
    assert_clean_failure,
    cases,
    history,
    show,
    stafet,
    store_case_with_id,
    with_roles,
)
from tests.cli.test_apply import GRAB, HAND, JOIN, NOTE, OPEN, RELEASE


def test_writes_and_reads_for_people_and_machines(pg_schema_url: str) -> None:
    db = pg_schema_url
    assert stafet(db, "init").out.startswith("Ready: ")
    case_id = apply(db, OPEN, JOIN, HAND, GRAB).json["cases"][0]

    released = stafet(db, "baton", "release", case_id[:6])
    assert released.out == f"Stored BatonReleased (#5) in case {case_id[:8]}.\n"
    people = stafet(db, "case", "show", case_id[:6])
    assert any(line.startswith(f"  Stafetholder: {SOCIAL}, since ") for line in people.out.splitlines())
    assert "1. Situation" in people.out and "5. The citizen's own views" in people.out
    lines = stafet(db, "case", "history", case_id[:6]).out.splitlines()
    assert len(lines) == 1 + 5
    assert_aligned(lines)
    listed = stafet(db, "case", "list").out.splitlines()
    assert listed[1].startswith(case_id[:8]) and SOCIAL in listed[1]
    case = show(db, case_id)
    assert case["holder"] == SOCIAL and case["exchange"] is None and case["version"] == 5


def test_a_refused_line_keeps_the_earlier_ones_and_atomic_keeps_none(pg_schema_url: str) -> None:
    db = pg_schema_url
    with_roles(db)
    refused = apply(db, OPEN, JOIN, HAND, RELEASE, GRAB)
    assert_clean_failure(refused, 1, "line 4", "no other authority has taken the baton")
    (case,) = cases(db)
    types = [e["type"] for e in history(db, case["case_id"])]
    assert types == ["CaseOpened", "ParticipantJoined", "BatonHanded"]

    atomic = apply(db, {**OPEN, "title": "Atomisk"}, JOIN, HAND, RELEASE, atomic=True)
    assert_clean_failure(atomic, 1, "line 4")
    assert len(cases(db)) == 1
    assert stafet(db, "--json", "verify", actor=AUDITOR).json["count"] == ROLE_EVENTS + 3


def test_case_prefixes_and_input_errors(pg_schema_url: str) -> None:
    db = pg_schema_url
    for case_id in ("abcdef01-0000-4000-8000-000000000001", "abcdef02-0000-4000-8000-000000000002"):
        store_case_with_id(db, case_id)

    assert show(db, "abcdef02")["case_id"] == "abcdef02-0000-4000-8000-000000000002"
    assert_clean_failure(stafet(db, "case", "show", "abcdef"), 2,
                         "more than one case id starts with 'abcdef'")
    assert_clean_failure(stafet(db, "note", "abcde", "x"), 2, "at least its first 6 characters")
    assert_clean_failure(stafet(db, "note", "fedcba", "x"), 2, "no case id starts with 'fedcba'")
    assert_clean_failure(stafet(db, "case", "show", "abcdef01", purpose=None), 2, "--purpose")
    assert_clean_failure(stafet(db, "note", "abcdef01", "x", "--occurred-at", "i går"), 2, "--occurred-at")
    assert [len(history(db, c["case_id"])) for c in cases(db)] == [1, 1]


def test_export_verify_and_projections(pg_schema_url: str) -> None:
    db = pg_schema_url
    with_roles(db)
    case_id = apply(db, OPEN, JOIN, HAND, GRAB, RELEASE, NOTE).json["cases"][0]

    events = stafet(db, "export", "--events").out.splitlines()
    assert len(events) == 6 and case_id in events[0]
    assert stafet(db, "--json", "verify", actor=AUDITOR).json["ok"] is True
    rebuilt = stafet(db, "--json", "projections", "rebuild").json
    assert rebuilt["events"] == ROLE_EVENTS + 6  # the whole log: the roles' events too
    status = stafet(db, "--json", "projections", "status").json
    assert all(s["lag"] == 0 for s in status)
    # Caseload shows each coordinator their own line: SOCIAL holds the case now, HOLDER none.
    assert [r["holder"] for r in stafet(db, "--json", "caseload", actor=SOCIAL).json] == [SOCIAL]
    assert stafet(db, "--json", "caseload").json == []


def test_projections_status_shows_the_lag_behind_the_writers(pg_schema_url: str) -> None:
    db = pg_schema_url
    apply(db, OPEN, JOIN, HAND)  # on PostgreSQL writes leave the read models to `projections run`
    status = stafet(db, "--json", "projections", "status").json
    assert any(s["lag"] > 0 for s in status)


def test_projections_run_once_says_how_many_events_it_applied(pg_schema_url: str) -> None:
    db = pg_schema_url
    apply(db, OPEN, JOIN, HAND)
    ran = stafet(db, "projections", "run", "--once", actor=HOLDER)
    assert ran.out == "Applied 3 events.\n"
