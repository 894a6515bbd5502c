"""The read side's command line (SPEC §11, README, docs/read-models.md):
`stafet projections status` (each projection's position and lag), `projections rebuild`
(one, several, all), `projections run` (following the log), and `stafet export` of a read
model (`--table rm_x --format jsonl|csv`) or of the raw event stream (`--events`).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from stafet.projections import ALL
from stafet.projections.base import metadata

from tests.readside.story import bulk_history
from tests.readside.support import (
    REPO,
    RM_TABLES,
    Child,
    Clock,
    diff,
    dump_tables,
    execute,
    open_ledger,
    own_database,
    pg_conninfo,
    stafet,
    tracking,
    utc,
)

EXAMPLE = REPO / "examples" / "adult-case" / "case.jsonl"
EXAMPLE_HOLDER = "peter.lund@socialafdelingen-odense"  # takes part in the example case: exports it
NAMES = [p.name for p in ALL]
PROS = ("anne@jobcenter", "bo@socialcenter", "carl@misbrugscenter")  # in every bulk_history case


def _apply_example(url: str) -> None:
    assert stafet(url, "apply", str(EXAMPLE), actor=None, purpose=None).code == 0
    assert stafet(url, "projections", "run", "--once").code == 0


@pytest.fixture(scope="session")
def _pristine_example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SQLite example store, made once a session (each test gets a copy of the file)."""
    path = tmp_path_factory.mktemp("pristine-example") / "stafet.db"
    _apply_example(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the whole store in the one file
    finally:
        conn.close()
    return path


@pytest.fixture
def example(db_url: str, request: pytest.FixtureRequest) -> str:
    """The example case applied with `stafet apply` and the read models brought up to date
    (on SQLite a copy of a store made so once a session, to keep the suite quick)."""
    if db_url.startswith("sqlite:///"):
        shutil.copyfile(request.getfixturevalue("_pristine_example"),
                        Path(db_url.removeprefix("sqlite:///")))
    else:
        _apply_example(db_url)
    return db_url


def status(url: str) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in stafet(url, "projections", "status", as_json=True).json()}


def write_events(url: str, cases: int, first: int = 0) -> int:
    """Events written by a program that does not bring the read models up to date (as a
    writer on PostgreSQL does); returns the log's head."""
    clock = Clock(utc(2026, 3, 2, 8))
    with open_ledger(url, clock=clock, read_models=False) as ledger:
        bulk_history(ledger, clock, cases=cases, events_per_case=20, first=first)
        return ledger.store.recorder.max_notification_id() or 0


# -- status -----------------------------------------------------------------------------------


def test_status_shows_each_projections_position_and_lag(db_url: str) -> None:
    head = write_events(db_url, cases=2)
    before = status(db_url)
    assert list(before) == NAMES
    for s in before.values():
        assert (s["position"], s["head"], s["lag"]) == (0, head, head), s
    assert before["cases"]["tables"] == ["rm_cases"]

    assert stafet(db_url, "projections", "run", "--once").code == 0
    caught_up = status(db_url)
    assert {(s["position"], s["lag"]) for s in caught_up.values()} == {(head, 0)}

    new_head = write_events(db_url, cases=1, first=10)
    behind = status(db_url)
    assert {(s["position"], s["head"], s["lag"]) for s in behind.values()} == {
        (head, new_head, new_head - head)}
    text = stafet(db_url, "projections", "status").out
    header, *lines = text.strip().splitlines()
    assert header.split() == ["PROJECTION", "POSITION", "HEAD", "LAG", "TABLES"]
    assert [ln.split()[:4] for ln in lines] == [
        [name, str(head), str(new_head), str(new_head - head)] for name in NAMES]


def test_run_once_applies_what_is_behind_and_says_how_much(db_url: str) -> None:
    head = write_events(db_url, cases=2)
    once = stafet(db_url, "projections", "run", "--once")
    assert once.code == 0 and once.out.strip() == f"Applied {head:,} events."
    assert stafet(db_url, "projections", "run", "--once").out.strip() == "Applied 0 events."
    assert {p for p, _ in tracking(db_url).values()} == {head}


def test_on_sqlite_every_write_brings_the_read_models_up_to_date(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'current.db'}"
    assert stafet(url, "apply", str(EXAMPLE), actor=None, purpose=None).code == 0
    assert {p for p, _ in tracking(url).values()} == {41}  # no runner, no read in between
    [case] = dump_tables(url, ["rm_cases"])["rm_cases"]
    note = stafet(url, "note", case[0][:8], "Samtale med Mads", actor="nina.krogh@uu-odense",
                  purpose=None)
    assert note.code == 0, note.err
    assert {p for p, _ in tracking(url).values()} == {42}
    assert dump_tables(url, ["rm_events"])["rm_events"][-1][3] == "NoteLogged"


def test_every_cli_read_catches_up_first(db_url: str) -> None:
    """docs/read-models.md: "every CLI read also catches up first"."""
    anne = PROS[0]
    head = write_events(db_url, cases=2)
    cases = stafet(db_url, "case", "list", actor=anne, as_json=True).json()
    assert len(cases) == 2
    assert {p for p, _ in tracking(db_url).values()} == {head}
    head = write_events(db_url, cases=1, first=10)
    events = stafet(db_url, "export", "--table", "rm_events", actor=anne).out.splitlines()
    assert len(events) == head
    head = write_events(db_url, cases=1, first=20)
    load = [row for who in PROS  # each coordinator sees their own line
            for row in stafet(db_url, "caseload", actor=who, as_json=True).json()]
    assert sum(r["active_cases"] for r in load) == 4
    head = write_events(db_url, cases=1, first=30)
    assert stafet(db_url, "attention", actor=anne, as_json=True).code == 0
    assert {p for p, _ in tracking(db_url).values()} == {head}


def test_a_changed_projection_version_is_shown_and_rebuilt(example: str) -> None:
    kept = dump_tables(example)
    execute(example, "UPDATE rm_tracking SET version = 0 WHERE projection = 'goals'",
            "UPDATE rm_goals SET text = 'gammel form'")
    shown = status(example)["goals"]
    assert (shown["version"], shown["stored_version"]) == (1, 0)
    assert "(rebuild due)" in stafet(example, "projections", "status").out
    assert stafet(example, "projections", "run", "--once").code == 0
    assert status(example)["goals"]["stored_version"] == 1
    assert dump_tables(example) == kept


# -- rebuild ------------------------------------------------------------------------------------


def test_rebuild_one_projection_touches_only_its_tables(example: str) -> None:
    kept = dump_tables(example)
    positions = tracking(example)
    execute(example, "DELETE FROM rm_attention", "UPDATE rm_cases SET title = 'beskadiget'")
    out = stafet(example, "projections", "rebuild", "attention", as_json=True).json()
    assert out["rebuilt"] == ["attention"] and out["events"] == 41
    now = dump_tables(example)
    assert now["rm_attention"] == kept["rm_attention"]
    assert [r[3] for r in now["rm_cases"]] == ["beskadiget"], "only the named one is rebuilt"
    assert tracking(example) == positions


def test_rebuild_several_and_all(example: str) -> None:
    kept = dump_tables(example)
    execute(example, "DELETE FROM rm_attention", "DELETE FROM rm_caseload",
            "UPDATE rm_cases SET title = 'beskadiget'", "DELETE FROM rm_events",
            "UPDATE rm_baton_holds SET holder = 'mallory@falsk'")
    two = stafet(example, "projections", "rebuild", "attention", "caseload", as_json=True).json()
    assert two["rebuilt"] == ["attention", "caseload"]
    now = dump_tables(example)
    assert (now["rm_attention"], now["rm_caseload"]) == (kept["rm_attention"], kept["rm_caseload"])
    assert now["rm_events"] == []

    text = stafet(example, "projections", "rebuild")
    assert text.code == 0 and text.out.startswith("Rebuilt all read models: 41 events")
    assert dump_tables(example) == kept, diff(dump_tables(example), kept)
    assert {p for p, _ in tracking(example).values()} == {41}


def test_rebuild_of_an_unknown_projection_is_refused(example: str) -> None:
    kept = dump_tables(example)
    result = stafet(example, "projections", "rebuild", "attention", "nosuch")
    assert result.code == 2
    assert "nosuch" in result.err and all(name in result.err for name in NAMES)
    assert dump_tables(example) == kept


# -- run: following the log ----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def quiet_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store nobody else writes to: an SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'quiet.db'}"
        return
    with own_database(request.getfixturevalue("pg_url")) as url:
        yield url


def _following(url: str, tmp_path: Path, poll: float) -> Child:
    write_events(url, cases=1)
    runner = Child.cli_run(url, tmp_path, poll=poll)
    deadline = time.monotonic() + 30
    while not any("Following the log" in line for line in runner.err):
        assert runner.proc.poll() is None and time.monotonic() < deadline, runner.err
        time.sleep(0.02)
    return runner


@pytest.mark.process
def test_run_follows_new_events_as_they_are_written(quiet_db: str, tmp_path: Path) -> None:
    """On PostgreSQL it wakes on each write (LISTEN/NOTIFY): polling only every 60 s, it
    must still pick up a write within seconds. On SQLite it polls."""
    poll = 60.0 if quiet_db.startswith("postgresql") else 0.2
    runner = _following(quiet_db, tmp_path, poll)
    try:
        for round_ in range(2):
            head = write_events(quiet_db, cases=1, first=10 + round_)
            deadline = time.monotonic() + 8
            while {p for p, _ in tracking(quiet_db).values()} != {head}:
                assert time.monotonic() < deadline, (
                    f"the runner did not pick up new events within 8 s: {tracking(quiet_db)}")
                time.sleep(0.05)
    finally:
        assert runner.stop(signal.SIGINT) == 0, runner.err  # Ctrl-C stops it
    assert not any("Traceback" in line for line in runner.err), runner.err


@pytest.mark.process
@pytest.mark.postgres
def test_run_stops_promptly_on_sigterm(pg_url: str, tmp_path: Path) -> None:
    with own_database(pg_url) as url:
        runner = _following(url, tmp_path, poll=30)
        # wait until it listens, has caught up, and sits waiting for a NOTIFY
        database = url.rsplit("/", 1)[1]
        with psycopg.connect(pg_conninfo(pg_url), autocommit=True) as admin:
            deadline = time.monotonic() + 20
            while not admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE datname = %s AND query LIKE 'LISTEN%%'",
                (database,)).fetchone():
                assert time.monotonic() < deadline, "the runner never listened"
                time.sleep(0.05)
        time.sleep(1.0)
        started = time.monotonic()
        try:
            code = runner.stop(signal.SIGTERM, timeout=3)
        except subprocess.TimeoutExpired:
            code = None
        finally:
            if runner.proc.poll() is None:
                runner.proc.kill()
                runner.proc.wait(timeout=10)
        assert code == 0, f"still running {time.monotonic() - started:.1f} s after SIGTERM"


# -- export -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Exported values and database values, in one spelling."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if moment.tzinfo is not None:
            return moment.astimezone(UTC).isoformat()
    return value


@pytest.mark.parametrize("table", ["rm_cases", "rm_agreements", "rm_attention", "rm_events"])
def test_export_a_table_as_json_lines(example: str, table: str) -> None:
    result = stafet(example, "export", "--table", table, "--format", "jsonl", actor=EXAMPLE_HOLDER)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    columns = [c.name for c in metadata.tables[table].columns]
    assert all(list(row) == columns for row in rows)
    got = [tuple(_plain(v) for v in row.values()) for row in rows]
    assert got == dump_tables(example, [table])[table]


def test_export_a_table_as_csv(example: str, tmp_path: Path) -> None:
    target = tmp_path / "cases.csv"
    result = stafet(example, "export", "--table", "rm_cases", "--format", "csv", "-o", str(target),
                    actor=EXAMPLE_HOLDER)
    assert result.code == 0 and result.out == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [c.name for c in metadata.tables["rm_cases"].columns]
    [case] = rows
    assert case["title"] == "Samlet forløb: uddannelse, stoffrihed og egen bolig"
    assert (case["holder"], case["phase"], case["version"]) == (
        "peter.lund@socialafdelingen-odense", "2", "41")
    agreements = list(csv.DictReader(io.StringIO(stafet(
        example, "export", "--table", "rm_agreements", "--format", "csv", actor=EXAMPLE_HOLDER).out)))
    assert [a["agreement_id"] for a in agreements] == ["A1", "A2", "A3", "A4", "A5"]
    assert agreements[0]["due_on"] == "2026-06-01"


def test_export_of_an_empty_table_as_csv_still_has_the_header(example: str) -> None:
    result = stafet(example, "export", "--table", "rm_consents", "--format", "csv",
                    actor=EXAMPLE_HOLDER)
    assert result.code == 0
    # the example has one consent; a case with none would give this header alone
    execute(example, "DELETE FROM rm_consents")
    empty = stafet(example, "export", "--table", "rm_consents", "--format", "csv",
                   actor=EXAMPLE_HOLDER)
    assert empty.code == 0
    assert empty.out.splitlines()[:1] == [result.out.splitlines()[0]]


def test_export_the_event_stream(example: str) -> None:
    lines = stafet(example, "export", "--events", actor=EXAMPLE_HOLDER).out.splitlines()
    events = [json.loads(line) for line in lines]
    assert [e["notification_id"] for e in events] == list(range(1, 42))
    audit = dump_tables(example, ["rm_events"])["rm_events"]
    assert [(e["case_id"], e["position"], e["type"], e["actor"]) for e in events] == [
        (r[1], r[2], r[3], r[4]) for r in audit]
    assert events[0]["type"] == "CaseOpened" and "recorded_at" in events[0]
    as_csv = list(csv.DictReader(io.StringIO(stafet(example, "export", "--events", "--format",
                                                    "csv", actor=EXAMPLE_HOLDER).out)))
    assert [int(r["notification_id"]) for r in as_csv] == list(range(1, 42))


@pytest.mark.parametrize("args", [
    [], ["--events", "--table", "rm_cases"], ["--table", "rm_nosuch"], ["--table", "stored_events"],
    ["--table", "rm_cases", "--format", "xml"],
])
def test_export_refuses_what_it_cannot_do(example: str, args: list[str]) -> None:
    result = stafet(example, "export", *args, actor=EXAMPLE_HOLDER)
    assert result.code == 2, result
    assert result.out == ""
    if "--table" in args and "rm_nosuch" in args:
        assert all(t in result.err for t in RM_TABLES)
