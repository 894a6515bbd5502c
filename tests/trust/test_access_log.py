"""The access log: every read of a case's personal data and every search, with who, when,
what, why, and the citizen (or the search criterion). Reads without a purpose are refused;
the log is hash-chained, pruned by the retention rule, and still verifies after a prune.

The readers take part in the cases they read (docs/authorisation.md): ANNE and BO are added to
both example cases by their coordinators. The access log is read by the data protection officer
(or the citizen's own side), and each read of it is itself logged.
"""

from __future__ import annotations

import calendar
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from stafet import Ledger
from stafet.domain.errors import InvalidCommand
from stafet.domain.policy import Policy
from stafet.reader import CaseFilter
from tests.trust.conftest import ExampleStore
from tests.trust.support import (
    ADULT_HOLDER,
    ADULT_REF,
    AUDITOR,
    DPO,
    EXAMPLE_EVENTS,
    FAMILY_HOLDER,
    FAMILY_REF,
    RawStore,
    audit,
    read,
    stafet,
)

ANNE = "anne@jobcenter-odense"
BO = "bo@socialafdelingen-odense"
CITIZEN = "borger@k7q2m9"  # the adult example's citizen, taking part in their own case
COPENHAGEN = ZoneInfo("Europe/Copenhagen")
READER_EVENTS = 5  # the custody holders' consent for ANNE and BO, and their four joins
DPO_PURPOSE = "tilsyn med adgangsloggen"


def with_readers(store: ExampleStore) -> ExampleStore:
    """ANNE and BO take part in both example cases: each case's coordinator adds them (the
    family's custody holders first consent to sharing with them, as a family's case needs)."""
    consent = stafet(store.url, "--as", FAMILY_HOLDER, "consent", "give", store.family,
                     "--by", "custody_holder", "--by", "custody_holder",
                     "--purpose", "koordinering med Odense", "--recipient", ANNE,
                     "--recipient", BO, "--category", "trivsel")
    assert consent.code == 0, consent.err
    for case, holder in ((store.adult, ADULT_HOLDER), (store.family, FAMILY_HOLDER)):
        for who in (ANNE, BO):
            done = stafet(store.url, "--as", holder, "case", "join", case, who, "--kind",
                          "authority")
            assert done.code == 0, done.err
    return store


@pytest.fixture
def store(example_store: ExampleStore) -> ExampleStore:
    """Both examples, with ANNE and BO taking part in them, on each backend."""
    return with_readers(example_store)


@pytest.fixture
def sqlite_store(tmp_path: Path, _pristine_sqlite: tuple[Path, str, str]) -> ExampleStore:
    """Both examples in an SQLite file of this test's own (for the SQLite-only tests), with
    ANNE and BO taking part in them."""
    pristine, adult, family = _pristine_sqlite
    shutil.copyfile(pristine, tmp_path / "stafet.db")
    return with_readers(ExampleStore(f"sqlite:///{tmp_path / 'stafet.db'}", adult, family))


def log_entries(url: str, *args: str, actor: str = DPO) -> list[dict[str, Any]]:
    """The access log as the data protection officer reads it, less the entries of the earlier
    reads of the access log itself (each is logged too, after it was read; the tests count the
    reads of cases)."""
    done = read(url, "--json", "access-log", *args, actor=actor, purpose=DPO_PURPOSE)
    assert done.code == 0, done.err
    entries: list[dict[str, Any]] = done.json()
    return [e for e in entries if e["action"] != "access-log"]


def new_entries(url: str, before: int) -> list[dict[str, Any]]:
    return log_entries(url)[before:]


def people_time(at: datetime) -> str:
    """How the CLI writes a moment for people: Copenhagen time, 6 Mar 2026 10:00."""
    local = at.astimezone(COPENHAGEN)
    return f"{local.day} {calendar.month_abbr[local.month]} {local.year} {local:%H:%M}"


# -- every read path writes an entry --------------------------------------------------------


def test_every_read_path_is_logged_with_who_when_what_and_why(store: ExampleStore) -> None:
    url, adult, family = store.url, store.adult, store.family
    as_of = (datetime.now(UTC) + timedelta(minutes=5)).replace(second=0, microsecond=0)
    # (command line, [(action, case, criterion)] the read must log)
    reads: list[tuple[list[str], list[tuple[str, str | None, str | None]]]] = [
        (["case", "show", adult[:8]], [("show", adult, None)]),
        (["case", "show", adult[:8], "--as-of", as_of.isoformat()],
         [("show-as-of", adult, as_of.isoformat())]),
        (["case", "history", family], [("history", family, None)]),
        (["case", "history", family[:6], "--lang", "da"], [("history", family, None)]),
        (["--json", "case", "history", adult], [("history", adult, None)]),
        (["baton", "timeline", adult[:8]], [("timeline", adult, None)]),
        (["case", "list"], [("search", None, "case list all cases"),  # oldest case first
                            ("search-hit", family, "case list all cases"),
                            ("search-hit", adult, "case list all cases")]),
        (["case", "list", "--org", "skovvangskolen"],
         [("search", None, "case list --org skovvangskolen"),
          ("search-hit", family, "case list --org skovvangskolen")]),
        (["attention", "--holder", "lars.winther@skovvangskolen"],
         [("search", None, "attention --holder lars.winther@skovvangskolen"),
          ("search-hit", family, "attention --holder lars.winther@skovvangskolen")]),
        # An export logs itself and each case whose data it hands out (in no set order).
        (["export", "--table", "rm_goals"], [("export", None, "rm_goals"),
                                             *sorted([("export-hit", adult, "rm_goals"),
                                                      ("export-hit", family, "rm_goals")])]),
        (["export", "--events", "--format", "csv"],
         [("export", None, "the event stream"),
          *sorted([("export-hit", adult, "the event stream"),
                   ("export-hit", family, "the event stream")])]),
    ]
    for number, (args, expected) in enumerate(reads):
        purpose = f"opfølgning nr. {number}"
        count = len(log_entries(url))
        started = datetime.now(UTC)
        done = read(url, *args, actor=ANNE, purpose=purpose)
        ended = datetime.now(UTC)
        assert done.code == 0, (args, done.err)
        assert done.out.strip(), args
        entries = new_entries(url, count)
        logged = [(e["action"], e["case_id"], e["criterion"]) for e in entries]
        if args[0] == "export":
            logged = logged[:1] + sorted(logged[1:])
        assert logged == expected, args
        for e in entries:
            assert (e["actor"], e["purpose"]) == (ANNE, purpose), args
            assert started <= datetime.fromisoformat(e["at"]) <= ended, args


def test_the_python_reader_logs_each_read(store: ExampleStore) -> None:
    adult = UUID(store.adult)
    with Ledger(store.url) as ledger:
        reader = ledger.reader(BO, purpose="forberede netværksmøde")
        assert reader.case(adult).subject_ref == ADULT_REF
        assert reader.case_as_of(adult, datetime.now(UTC)).id == adult
        assert reader.history(str(adult)[:8])[0].originator_id == adult
        assert reader.timeline(adult).baton.holder == "peter.lund@socialafdelingen-odense"
        listed = {row.case_id for row in reader.case_list(CaseFilter(holder=ADULT_HOLDER))}
        exported = {row["case_id"] for row in reader.export_table("rm_agreements").rows}
        entries = ledger.access_log.entries()
        mine = ledger.access_log.entries(subject_ref=ADULT_REF)

    assert listed == {str(adult)} and str(adult) in exported
    assert [(e.action, e.case_id, e.criterion) for e in entries][:4] == [
        ("show", str(adult), None), ("show-as-of", str(adult), entries[1].criterion),
        ("history", str(adult), None), ("timeline", str(adult), None)]
    criterion = f"case list --holder {ADULT_HOLDER}"
    assert [(e.action, e.case_id, e.criterion) for e in entries][4:6] == [
        ("search", None, criterion), ("search-hit", str(adult), criterion)]
    assert entries[6].action == "export" and entries[6].criterion == "rm_agreements"
    assert {e.case_id for e in entries[7:]} == exported
    assert {(e.actor, e.purpose) for e in entries} == {(BO, "forberede netværksmøde")}
    assert [e.action for e in mine] == ["show", "show-as-of", "history", "timeline",
                                        "search-hit", "export-hit"]


def test_the_python_reader_needs_a_purpose_and_a_person(sqlite_store: ExampleStore) -> None:
    adult = sqlite_store.adult
    with Ledger(sqlite_store.url) as ledger:
        # The purpose is asked for by each read of personal data (caseload needs none).
        with pytest.raises(InvalidCommand, match="--purpose"):
            ledger.reader(BO).case(adult)
        with pytest.raises(InvalidCommand, match="person@org"):
            ledger.reader(None, purpose="opfølgning")
        for blank in ("", "   "):
            with pytest.raises(InvalidCommand, match="--purpose"):
                ledger.reader(BO, purpose=blank).history(adult)
        for no_words in (".", "x", "ok ok"):  # a purpose is words: at least 5 letters
            with pytest.raises(InvalidCommand, match="at least 5 letters"):
                ledger.reader(BO, purpose=no_words).case(adult)
        assert ledger.access_log.entries() == []


def test_a_policy_without_the_purpose_rule_reads_and_still_logs(sqlite_store: ExampleStore) -> None:
    with Ledger(sqlite_store.url, policy=Policy(purpose_required=False)) as ledger:
        ledger.reader(BO).case(sqlite_store.adult)
        (entry,) = ledger.access_log.entries()
    assert (entry.actor, entry.action, entry.purpose) == (BO, "show", None)


READ_COMMANDS = {
    "case show": lambda c: ["case", "show", c],
    "case show --as-of": lambda c: ["case", "show", c, "--as-of", "2030-01-01T12:00"],
    "case history": lambda c: ["case", "history", c],
    "case history --json": lambda c: ["--json", "case", "history", c],
    "baton timeline": lambda c: ["baton", "timeline", c],
    "case list": lambda c: ["case", "list"],
    "attention": lambda c: ["attention"],
    "export --table": lambda c: ["export", "--table", "rm_cases"],
    "export --events": lambda c: ["export", "--events"],
}


@pytest.mark.parametrize("command", sorted(READ_COMMANDS))
def test_a_read_without_a_purpose_is_refused_and_shows_nothing(
        sqlite_store: ExampleStore, command: str) -> None:
    args: list[str] = READ_COMMANDS[command](sqlite_store.adult)
    done = stafet(sqlite_store.url, "--as", ANNE, *args)
    assert done.code == 2
    assert done.out == ""
    assert "--purpose" in done.err and "Traceback" not in done.err

    nobody = stafet(sqlite_store.url, "--purpose", "opfølgning", *args)
    assert nobody.code == 2
    assert nobody.out == ""
    assert "--as person@org" in nobody.err

    assert log_entries(sqlite_store.url) == []


# -- one citizen's lookups ------------------------------------------------------------------


def test_access_log_for_a_subject_lists_exactly_that_citizens_lookups(
        store: ExampleStore) -> None:
    url, adult, family = store.url, store.adult, store.family
    read(url, "case", "show", adult, actor=ANNE, purpose="forberede møde med Mads")
    read(url, "case", "show", family, actor=BO, purpose="skolestart")
    read(url, "case", "history", adult, actor=BO, purpose="overtage stafetten")
    read(url, "baton", "timeline", family, actor=ANNE, purpose="skolestart")
    read(url, "case", "list", "--org", "jobcenter-odense", actor=ANNE, purpose="caseload")

    everything = log_entries(url)
    adults = log_entries(url, "--subject", ADULT_REF)
    families = log_entries(url, "--subject", FAMILY_REF)
    assert [e["seq"] for e in adults] == [e["seq"] for e in everything
                                          if e["case_id"] == adult]
    assert [(e["actor"], e["action"], e["purpose"]) for e in adults] == [
        (ANNE, "show", "forberede møde med Mads"), (BO, "history", "overtage stafetten")]
    assert [(e["actor"], e["action"], e["purpose"]) for e in families] == [
        (BO, "show", "skolestart"), (ANNE, "timeline", "skolestart")]

    # Mads himself reads who looked him up (CJEU C-579/21); the earlier reads of this log
    # about him are on it too (the DPO's above), and his own read is logged once it is done.
    people = read(url, "access-log", "--subject", ADULT_REF, actor=CITIZEN,
                  purpose="hvem har læst om mig")
    assert people.code == 0, people.err
    lines = people.out.splitlines()
    assert lines[0].split() == ["WHEN", "WHO", "WHAT", "CASE", "WHY"]
    assert len(lines) == 1 + len(adults) + 1
    for line, entry in zip(lines[1:-1], adults, strict=True):
        assert people_time(datetime.fromisoformat(entry["at"])) in line
        assert entry["purpose"] in line and entry["actor"] in line and adult[:8] in line
    assert lines[-1].split()[4:6] == [DPO, "access-log"]
    again = read(url, "--json", "access-log", "--subject", ADULT_REF, actor=CITIZEN,
                 purpose="hvem har læst om mig")
    assert (again.json()[-1]["actor"], again.json()[-1]["purpose"]) == (CITIZEN, "hvem har læst om mig")

    # Nobody looked up a citizen unknown to the ledger: nothing to show.
    none = read(url, "access-log", "--subject", "borger-000000", actor=DPO, purpose=DPO_PURPOSE)
    assert none.code == 0 and none.out == "No lookups recorded of this citizen's data.\n", none
    refused = read(url, "access-log", "--subject", FAMILY_REF, actor=CITIZEN,
                   purpose="hvem har læst om familien")
    assert refused.code == 1 and refused.out == ""  # another citizen's lookups are not his


def test_the_access_log_keeps_no_citizen_reference_in_clear(sqlite_store: ExampleStore) -> None:
    read(sqlite_store.url, "case", "show", sqlite_store.adult, actor=ANNE)
    read(sqlite_store.url, "case", "list", actor=ANNE)  # a search and a hit for each case
    raw = sqlite_store.raw
    assert raw.query("SELECT count(*) FROM stafet_access_log")[0][0] == 4
    assert raw.rows_containing(ADULT_REF).get("stafet_access_log") is None
    assert raw.rows_containing("3c9e41").get("stafet_access_log") is None


def test_an_export_holding_a_citizens_data_shows_in_their_access_log(
        sqlite_store: ExampleStore) -> None:
    exported = read(sqlite_store.url, "export", "--table", "rm_cases", actor=ANNE,
                    purpose="statistik")
    assert ADULT_REF in exported.out  # the citizen's data is in the export

    mine = log_entries(sqlite_store.url, "--subject", ADULT_REF)
    assert [e["purpose"] for e in mine] == ["statistik"]


# -- the chain ------------------------------------------------------------------------------


def _some_reads(url: str, adult: str, family: str) -> None:
    read(url, "case", "show", adult, actor=ANNE, purpose="forberede møde")
    read(url, "case", "history", family, actor=BO, purpose="overtage stafetten")
    read(url, "baton", "timeline", adult, actor=ANNE, purpose="forberede møde")
    read(url, "case", "show", family, actor=BO, purpose="skolestart")


# What an intruder does to one entry, and what verify must then say. Applied from the newest
# entry back, so that each damage is in turn the first one in the log.
TAMPERING: list[tuple[str, str]] = [
    ("UPDATE stafet_access_log SET purpose = 'rutine' WHERE seq = 5",
     "access-log entry 5 was changed"),
    ("UPDATE stafet_access_log SET actor = 'nobody@kommunen' WHERE seq = 4",
     "access-log entry 4 was changed"),
    ("UPDATE stafet_access_log SET case_id = NULL WHERE seq = 3",
     "access-log entry 3 was changed"),
    ("DELETE FROM stafet_access_log WHERE seq = 2", "access-log entry 2 is missing"),
]


def test_tampered_access_log_entries_are_found(store: ExampleStore) -> None:
    url = store.url
    _some_reads(url, store.adult, store.family)
    read(url, "case", "list", actor=ANNE)  # a search and a hit for each case
    clean = audit(url, "verify")
    assert clean.code == 0 and "Access log intact: 7 entries." in clean.out

    for statement, problem in TAMPERING:
        assert store.raw.execute(statement) == 1, statement
        done = audit(url, "verify")
        assert done.code == 1
        assert f"Intact: {EXAMPLE_EVENTS + READER_EVENTS} events" in done.out  # the event log is fine
        assert f"ACCESS LOG BROKEN: {problem}." in done.err
        data = audit(url, "--json", "verify").json()
        assert (data["ok"], data["access_log"]["ok"], data["access_log"]["problem"]) == (
            True, False, problem)
    with Ledger(url) as ledger:
        assert ledger.access_log.verify() == (False, 1, "access-log entry 2 is missing")


# -- retention ------------------------------------------------------------------------------


def _clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def test_prune_removes_entries_older_than_the_policy_and_the_rest_still_verifies(
        store: ExampleStore) -> None:
    url, adult, family = store.url, store.adult, store.family
    now = datetime.now(UTC)
    # Reads made 200 and 190 days ago (the ledger's clock is injected), then today.
    for days in (200, 190):
        with Ledger(url, clock=_clock(now - timedelta(days=days))) as ledger:
            reader = ledger.reader(ANNE, purpose=f"opfølgning for {days} dage siden")
            reader.case(adult)
            reader.history(family)
    _some_reads(url, adult, family)
    assert len(log_entries(url)) == 8  # (and the DPO's read of the log is entry 9)

    pruned = stafet(url, "--as", DPO, "access-log", "prune")
    assert pruned.code == 0, pruned.err
    cutoff = people_time(now - timedelta(days=183))[:-6]  # the day; the minute may move on
    assert pruned.out.startswith("Removed 4 access-log entries from before " + cutoff)
    assert pruned.out.rstrip().endswith("(retention 183 days); the prune is recorded in the log.")

    left = log_entries(url)
    assert [e["seq"] for e in left] == [5, 6, 7, 8]
    assert all(datetime.fromisoformat(e["at"]) > now - timedelta(days=1) for e in left)
    verified = audit(url, "verify")
    assert verified.code == 0, verified.err
    # The 4 reads kept, and the DPO's 2 reads of the log (entries 9 and 10).
    assert "Access log intact: 6 entries." in verified.out

    again = stafet(url, "--as", DPO, "access-log", "prune")
    assert again.out.strip() == "Nothing to remove: no entries older than 183 days."

    read(url, "case", "show", adult, actor=ANNE)  # the log goes on from the anchor
    assert "Access log intact: 7 entries." in audit(url, "verify").out
    assert [e["action"] for e in log_entries(url, "--subject", ADULT_REF)] == [
        "show", "timeline", "show"]


def test_prune_with_an_injected_clock_and_retention(sqlite_store: ExampleStore) -> None:
    url, adult = sqlite_store.url, sqlite_store.adult
    start = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
    for day in range(10):
        with Ledger(url, clock=_clock(start + timedelta(days=day))) as ledger:
            ledger.reader(ANNE, purpose=f"opfølgning dag {day}").case(adult)

    with Ledger(url, clock=_clock(start + timedelta(days=10))) as ledger:
        pruned = ledger.prune_access_log(actor=DPO, reason="Opbevaringsperioden er udløbet",
                                         keep_days=3)
        assert pruned is not None
        assert (pruned.removed, pruned.cutoff, pruned.through_seq) == (
            7, start + timedelta(days=7), 7)
        assert [e.purpose for e in ledger.access_log.entries()] == [
            "opfølgning dag 7", "opfølgning dag 8", "opfølgning dag 9"]
        assert ledger.access_log.verify(pruned_through=7) == (True, 3, None)
        checked = ledger.verify(actor=AUDITOR)  # the prune is recorded in the event log
        assert (checked.ok, checked.access_entries) == (True, 3)
        assert ledger.prune_access_log(actor=DPO, reason="Igen", keep_days=3) is None

    by_option = stafet(url, "--json", "--as", DPO, "access-log", "prune", "--keep-days", "30")
    assert by_option.json()["removed"] == 3  # months ago, by the real clock


def test_a_removed_prune_anchor_is_found(sqlite_store: ExampleStore) -> None:
    url, adult = sqlite_store.url, sqlite_store.adult
    with Ledger(url, clock=_clock(datetime.now(UTC) - timedelta(days=400))) as ledger:
        ledger.reader(ANNE, purpose="gammel opfølgning").case(adult)
    read(url, "case", "show", adult, actor=ANNE)
    read(url, "case", "show", adult, actor=ANNE)
    pruned = stafet(url, "--as", DPO, "access-log", "prune")
    assert pruned.out.startswith("Removed 1 access-log entries")
    assert audit(url, "verify").code == 0

    RawStore(url).execute("DELETE FROM stafet_access_anchor")
    done = audit(url, "verify")
    assert done.code == 1
    # The event log's record of the prune (AccessLogPruned) no longer matches the access log.
    assert ("ACCESS LOG BROKEN: the access log says entries up to 0 were pruned, but the event "
            "log records prunes up to 1.") in done.err
