"""docs/read-models.md: "Any SQL tool can read them: `sqlite3`, `psql`, ...".

The real `sqlite3` and `psql` clients read the read models of the example case
(examples/adult-case/case.jsonl, replayed with `stafet apply`). The queries are the ones the
document shows ("Queries a BI colleague would write"), parsed out of the markdown, so the
document and this test cannot drift apart; so are the documented tables and columns.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.readside.support import REPO, fresh_store, pg_conninfo, schema_of, stafet_process

# Tier (tests/README.md): the console script and external SQL clients in processes.
pytestmark = [pytest.mark.process]

DOC = REPO / "docs" / "read-models.md"
EXAMPLE = REPO / "examples" / "adult-case" / "case.jsonl"
CPH = ZoneInfo("Europe/Copenhagen")

LOUISE = "louise.holm@jobcenter-odense"
PETER = "peter.lund@socialafdelingen-odense"


# -- the document ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DocQuery:
    title: str  # the sentence introducing the query
    dialect: str | None  # "sqlite", "postgresql" or None (both)
    sql: str


def documented_queries() -> list[DocQuery]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Queries a BI colleague would write", 1)[1]
    queries = []
    for match in re.finditer(r"^(.+?)\n+```sql\n(.*?)```", section, flags=re.M | re.S):
        title = match.group(1).strip().rstrip(":")
        for statement in match.group(2).split(";"):
            lines = [ln for ln in statement.strip().splitlines() if ln.strip()]
            comments = [ln.strip().lower() for ln in lines if ln.strip().startswith("--")]
            body = "\n".join(ln for ln in lines if not ln.strip().startswith("--")).strip()
            if not body:
                continue
            dialect = next((d for c in comments for d in ("postgresql", "sqlite") if d in c), None)
            queries.append(DocQuery(title, dialect, body + ";"))
    return queries


def documented_columns() -> dict[str, set[str]]:
    """Each documented rm_ table and the columns the document lists for it."""
    text = DOC.read_text(encoding="utf-8")
    out: dict[str, set[str]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        heading, _, body = section.partition("\n")
        if not heading.startswith("rm_"):
            continue
        rows = [ln for ln in body.splitlines() if ln.startswith("|")][2:]  # skip head, rule
        paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
        if rows:
            table = heading.split()[0].rstrip(",")
            out[table] = {c.strip(" `") for r in rows for c in r.split("|")[1].split(",")}
            continue
        for paragraph in paragraphs:
            named = re.match(r"`(rm_\w+)`:", paragraph)
            if named is None and paragraph is not paragraphs[0]:
                continue
            table = named.group(1) if named else heading.split()[0].rstrip(",")
            plain = re.sub(r"\([^)]*\)", "", paragraph.removeprefix(f"`{table}`:"))
            out[table] = set(re.findall(r"`(\w+)`", plain))
    return out


def documented_views() -> set[str]:
    return set(re.findall(r"view `?(rm_\w+_now)`?", DOC.read_text(encoding="utf-8")))


def test_the_document_has_the_queries_and_tables_this_test_reads() -> None:
    titles = {q.title for q in documented_queries()}
    assert len(titles) == 5, titles
    assert {q.dialect for q in documented_queries()} == {None, "sqlite", "postgresql"}
    assert len(documented_columns()) == 12
    assert documented_views() == {"rm_attention_now"}


# -- the clients -------------------------------------------------------------------------------


@dataclass
class Store:
    backend: str
    url: str

    def query(self, statement: str) -> list[dict[str, str]]:
        """Rows as the real command-line client prints them (CSV with a header)."""
        if self.backend == "sqlite":
            path = self.url.removeprefix("sqlite:///")
            argv = ["sqlite3", "-bail", "-csv", "-header", path, statement]
            env = dict(os.environ)
        else:
            argv = ["psql", pg_conninfo(self.url), "-X", "-q", "--csv", "-v", "ON_ERROR_STOP=1",
                    "-c", "SET TIME ZONE 'UTC'", "-c", statement]
            env = {**os.environ, "PGOPTIONS": f"-c search_path={schema_of(self.url)}"}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0 and not done.stderr.strip(), (statement, done.stderr)
        return list(csv.DictReader(io.StringIO(done.stdout)))

    def values(self, statement: str) -> list[tuple[str, ...]]:
        return [tuple(row.values()) for row in self.query(statement)]

    def columns(self, table: str) -> set[str]:
        if self.backend == "sqlite":
            rows = self.values(f"SELECT name FROM pragma_table_info('{table}')")
        else:
            rows = self.values("SELECT column_name FROM information_schema.columns WHERE "
                               f"table_schema = current_schema() AND table_name = '{table}'")
        return {r[0] for r in rows}

    def relations(self) -> tuple[set[str], set[str]]:
        """(tables, views) whose names start with rm_."""
        if self.backend == "sqlite":
            rows = self.values("SELECT name, type FROM sqlite_master WHERE name LIKE 'rm\\_%' "
                               "ESCAPE '\\' AND type IN ('table', 'view')")
        else:
            rows = self.values("SELECT table_name, CASE table_type WHEN 'VIEW' THEN 'view' ELSE "
                               "'table' END FROM information_schema.tables WHERE table_schema = "
                               "current_schema() AND table_name LIKE 'rm\\_%'")
        return {n for n, t in rows if t == "table"}, {n for n, t in rows if t == "view"}


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The example case replayed with the installed `stafet apply`; on PostgreSQL followed by
    `stafet projections run --once`, as the documentation says to keep them current there.
    Replayed once per backend for the module: the tests only read."""
    client = "sqlite3" if request.param == "sqlite" else "psql"
    if shutil.which(client) is None:
        pytest.fail(f"the {client} command-line client is not installed")
    with fresh_store(request.param, tmp_path_factory.mktemp("mads"),
                     request.getfixturevalue("pg_url") if request.param == "postgres" else None
                     ) as url:
        applied = stafet_process(url, "apply", str(EXAMPLE), actor=None, purpose=None)
        assert applied.code == 0, applied.err
        assert "41 new events" in applied.out, applied.out
        if request.param == "postgres":
            caught_up = stafet_process(url, "projections", "run", "--once", actor=None,
                                       purpose=None)
            assert caught_up.code == 0, caught_up.err
        yield Store(request.param, url)


# -- the documented queries ------------------------------------------------------------------------


def _copenhagen(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CPH).astimezone(UTC)


def expected_answers() -> dict[str, list[tuple[object, ...]]]:
    """What each documented query must answer for the example case, worked out by hand from
    examples/adult-case/case.jsonl (and today's date, for what is overdue or due now)."""
    today = date.today()
    now = datetime.now(UTC)
    # A1 (misbrugscenter, due 1 June 2026) is the one agreement still open; A2-A5 completed
    overdue = [("misbrugscenter-odense", 1)] if today > date(2026, 6, 1) else []
    # Louise held from opening (2 March 09:15) until her release (6 May 09:00), Copenhagen time
    held = _copenhagen("2026-05-06T09:00") - _copenhagen("2026-03-02T09:15")
    # flags of the case, now held by Peter: (flag, due from, due until)
    flags = [
        ("agreement_overdue", _copenhagen("2026-06-02T00:00"), None),
        ("no_follow_up", _copenhagen("2026-03-06T10:00") + timedelta(days=90), None),
        ("consent_expiring", _copenhagen("2027-02-15T00:00"), _copenhagen("2027-03-02T00:00")),
        # M2, the follow-up of 3 June 13:00, is neither held nor cancelled: a day after it
        ("meeting_unrecorded", _copenhagen("2026-06-04T13:00"), None),
    ]
    due = sorted((PETER, flag, 1) for flag, since, until in flags
                 if since <= now and (until is None or now < until))
    return {
        "Overdue agreements per organisation": overdue,
        "Open cases per holding organisation and phase": [("socialafdelingen-odense", 2, 1)],
        "How long the baton stays with one holder, by organisation (days, finished holds)": [
            ("jobcenter-odense", held.total_seconds() / 86400)],
        "Efforts by law": sorted([("LAB", "§ 31 b", 1), ("LAB", "§ 32", 1), ("SEL", "§ 101", 1),
                                  ("SEL", "§ 85", 1)]),
        "What needs attention now, per coordinator": due,
    }


def _typed(row: tuple[str, ...], like: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(type(want)(got) if isinstance(want, int | float) else got
                 for got, want in zip(row, like, strict=True))


def test_the_documented_queries_answer_for_the_example_case(store: Store) -> None:
    expected = expected_answers()
    ran = set()
    for query in documented_queries():
        if query.dialect not in (None, "sqlite" if store.backend == "sqlite" else "postgresql"):
            continue
        assert query.title in expected, f"a new documented query to check: {query.title!r}"
        want = expected[query.title]
        got = store.values(query.sql)
        assert len(got) == len(want), (query.title, got, want)
        typed = [_typed(r, w) for r, w in zip(got, want, strict=True)] if want else []
        if "GROUP BY holder_org, phase" not in query.sql:
            typed = sorted(typed)  # ties may come in any order
        for got_row, want_row in zip(typed, want, strict=True):
            for g, w in zip(got_row, want_row, strict=True):
                if isinstance(w, float):
                    assert g == pytest.approx(w, abs=1e-6), (query.title, got_row, want_row)
                else:
                    assert g == w, (query.title, got_row, want_row)
        ran.add(query.title)
    assert ran == set(expected)


def test_the_queries_run_unchanged_on_the_dialect_they_are_marked_for(store: Store) -> None:
    """A query marked for the other backend is the only one that may fail here."""
    mine = "sqlite" if store.backend == "sqlite" else "postgresql"
    for query in documented_queries():
        if query.dialect in (None, mine):
            store.query(query.sql)  # raises on any client error


# -- the documented tables -------------------------------------------------------------------------


def test_every_table_and_column_is_as_documented(store: Store) -> None:
    tables, views = store.relations()
    documented = documented_columns()
    assert tables == set(documented), "tables not documented / documented but missing"
    assert views == documented_views()
    for table, columns in documented.items():
        assert store.columns(table) == columns, f"{table}: actual vs documented columns"
    assert store.columns("rm_attention_now") == documented["rm_attention"]


def test_the_example_case_reads_as_documented(store: Store) -> None:
    [case] = store.query("SELECT * FROM rm_cases")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        case["case_id"])
    assert (case["subject_ref"], case["subject_kind"], case["status"], case["phase"]) == (
        "borger-3c9e41", "adult", "open", "2")
    assert (case["holder"], case["holder_org"]) == (PETER, "socialafdelingen-odense")
    assert case["exchange_state"] == "" and case["closed_at"] == ""
    counts = {k: int(case[k]) for k in ("participants_active", "goals", "efforts", "agreements_open",
                                        "agreements_total", "meetings_held", "consents_given",
                                        "consents_revoked", "version")}
    assert counts == {"participants_active": 7, "goals": 4, "efforts": 4, "agreements_open": 1,
                      "agreements_total": 5, "meetings_held": 1, "consents_given": 1,
                      "consents_revoked": 0, "version": 41}
    # times in UTC: SQLite text 'YYYY-MM-DD HH:MM:SS.ffffff', PostgreSQL timestamptz
    if store.backend == "sqlite":
        assert case["opened_at"] == "2026-03-02 08:15:00.000000"
        assert case["holder_since"] == "2026-05-05 08:00:00.000000"
        assert store.values("SELECT typeof(opened_at), typeof(due_on) FROM rm_cases, "
                            "rm_agreements LIMIT 1") == [("text", "text")]
    else:
        assert case["opened_at"] == "2026-03-02 08:15:00+00"
        assert case["holder_since"] == "2026-05-05 08:00:00+00"
        types = dict(store.values(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = 'rm_cases'"))
        assert types["opened_at"] == "timestamp with time zone"

    holds = store.query("SELECT * FROM rm_baton_holds ORDER BY seq")
    assert [(h["seq"], h["holder"], h["holder_org"], h["ended"]) for h in holds] == [
        ("1", LOUISE, "jobcenter-odense", f"released to {PETER}"),
        ("2", PETER, "socialafdelingen-odense", ""),
    ]
    assert holds[1]["held_from"] < holds[0]["held_until"], "the two holds overlap in the exchange"
    assert holds[1]["held_until"] == ""

    agreements = store.values("SELECT agreement_id, responsible_org, due_on, status, meeting_id "
                              "FROM rm_agreements ORDER BY agreement_id")
    assert agreements[0] == ("A1", "misbrugscenter-odense", "2026-06-01", "open", "M1")
    assert [a[3] for a in agreements[1:]] == ["completed"] * 4
    # the status as the log says; whether it has expired is the date in Copenhagen's to say
    assert store.values("SELECT consent_id, status, expires_on FROM rm_consents") == [
        ("C1", "active", "2027-03-01")]
    events = store.values("SELECT position, type FROM rm_events ORDER BY notification_id")
    assert [int(p) for p, _ in events] == list(range(1, 42))
    assert (events[0][1], events[-1][1]) == ("CaseOpened", "GoalStatusChanged")
    tracking = store.values("SELECT DISTINCT position FROM rm_tracking")
    assert tracking == [("41",)]
    assert json.loads(json.dumps(store.query("SELECT * FROM rm_caseload"))) == [{
        "holder": PETER, "holder_org": "socialafdelingen-odense", "active_cases": "1",
        "temporary_cases": "0", "over_limit": "0" if store.backend == "sqlite" else "f"}]
