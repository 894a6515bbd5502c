"""stafet.projections.queries (docs/read-models.md, "How stafet reads them"): every read of the
rm_ tables, asked at a moment given by the caller, on both backends.

What the reads share is said once and asked here from each side: *due now* (a flag due
tomorrow is not listed today and is listed tomorrow, in the case list and in attention);
*held at an organisation* (the case list and attention agree on it); *consent expired* (by
the date in Copenhagen, also where the UTC date is still the day before). And the command
line answers by the ledger's clock, not the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from stafet.projections import queries
from stafet.projections.attention import rm_attention
from stafet.projections.caseload import rm_caseload
from stafet.projections.cases import rm_cases
from stafet.projections.consents import rm_consents
from stafet.projections.queries import AttentionFilter, CaseFilter

import stafet.ledger as ledger_module
from stafet import Ledger
from stafet.domain.errors import InvalidCommand, RuleViolation
from stafet.domain.rules import consent_expired, consent_is_active
from tests.readside.support import PURPOSE, Clock, open_ledger, stafet, utc

ANNE, BO, CARL = "anne@jobcenter", "bo@socialcenter", "carl@misbrugscenter"
ADMIN, DPO = "it@kommunen", "dpo@kommunen"
CPH = ZoneInfo("Europe/Copenhagen")


def copenhagen(*args: int) -> datetime:
    return datetime(*args, tzinfo=CPH)


class Case:
    """An adult case opened by ``opener``, with Anne, Bo and Carl taking part."""

    def __init__(self, ledger: Ledger, opener: str = ANNE) -> None:
        self.ledger = ledger
        self.case_id: UUID = ledger.open_case(
            actor=opener, subject_ref="borger-7300", subject_kind="adult", title="Læsning",
            temporary=False).case_id
        for ref in (ANNE, BO, CARL):
            if ref != opener:
                self.do("case.join", participant=ref, kind="authority")

    @property
    def id(self) -> str:
        return str(self.case_id)

    def do(self, name: str, actor: str | None = None, **fields: Any) -> None:
        holder = self.ledger.get_case(self.case_id).baton.holder
        self.ledger.run(name, {"actor": actor or holder, "case_id": self.case_id, **fields})


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2026, 1, 5, 8, 0))  # Monday 5 January 2026, 09:00 in Copenhagen (CET)


@pytest.fixture
def ledger(db_url: str, clock: Clock) -> Iterator[Ledger]:
    with open_ledger(db_url, clock=clock, read_models=True) as the_ledger:
        yield the_ledger


def read_models(ledger: Ledger) -> sa.Engine:
    runner = ledger.read_models
    runner.catch_up()
    return runner.engine


# -- due now ------------------------------------------------------------------------------------


def test_a_flag_due_tomorrow_is_listed_tomorrow_not_today(ledger: Ledger, clock: Clock) -> None:
    case = Case(ledger)
    case.do("meeting.convene", starts_at="2026-01-06T10:00:00+01:00", place="Jobcenteret",
            invited=[BO], agenda=["Plan"])
    clock.set(copenhagen(2026, 1, 6, 11, 0))
    case.do("meeting.hold", meeting_id="M1", attendees=[BO], minutes="Referat")
    case.do("plan.accept", accepted_by=[{"role": "citizen"}])
    case.do("agreement.make", text="Søge bolig", responsible=CARL, due_on="2026-01-08")
    engine = read_models(ledger)
    overdue = CaseFilter(flag="agreement_overdue")
    only_overdue = AttentionFilter(flag="agreement_overdue")

    def listed(now: datetime) -> tuple[list[str], list[tuple[str, str]]]:
        cases = [r.case_id for r in queries.case_list(engine, now, overdue)]
        flags = [(f.case_id, f.key) for f in queries.attention(engine, now, only_overdue).flags]
        return cases, flags

    due_from = copenhagen(2026, 1, 9, 0, 0)  # the day after the due date, Copenhagen time
    assert listed(copenhagen(2026, 1, 8, 12, 0)) == ([], [])  # today: due tomorrow
    assert listed(due_from - timedelta(microseconds=1)) == ([], [])
    assert listed(due_from) == ([case.id], [(case.id, "A1")])  # from `since`, inclusive
    assert listed(copenhagen(2026, 1, 9, 12, 0)) == ([case.id], [(case.id, "A1")])  # tomorrow

    # the Reader asks at the ledger's clock, and so the case list and attention move with it
    reader = ledger.reader(ANNE, PURPOSE)  # who takes part in the case
    clock.set(copenhagen(2026, 1, 8, 23, 59))
    assert reader.case_list(overdue) == []
    assert reader.attention(only_overdue).flags == []
    clock.set(copenhagen(2026, 1, 9, 0, 1))
    assert [r.case_id for r in reader.case_list(overdue)] == [case.id]
    assert [f.key for f in reader.attention(only_overdue).flags] == ["A1"]


def test_a_flag_with_an_end_is_due_until_then_only(ledger: Ledger, clock: Clock) -> None:
    case = Case(ledger)
    case.do("consent.give", given_by=[{"role": "citizen"}], purpose="koordinering",
            recipients=["@socialcenter"], categories=["helbred"], expires_on="2026-03-01")
    engine = read_models(ledger)
    expiring = AttentionFilter(flag="consent_expiring")

    def due(now: datetime) -> bool:
        return bool(queries.attention(engine, now, expiring).flags)

    # from 14 days before the expiry until the consent has run out (1 March is its last day)
    assert not due(copenhagen(2026, 2, 14, 23, 59))
    assert due(copenhagen(2026, 2, 15, 0, 0))
    assert due(copenhagen(2026, 3, 1, 23, 59))
    assert not due(copenhagen(2026, 3, 2, 0, 0))  # `until` is exclusive


# -- held at an organisation --------------------------------------------------------------------


def test_the_org_filter_agrees_between_case_list_and_attention(
    ledger: Ledger, clock: Clock
) -> None:
    anne = Case(ledger, opener=ANNE)
    bo = Case(ledger, opener=BO)
    handed = Case(ledger, opener=ANNE)  # offered to Bo, not grabbed: still held at jobcenter
    handed.do("baton.hand", to=BO)
    grabbed = Case(ledger, opener=ANNE)  # in the exchange: Bo (incoming) holds it
    grabbed.do("baton.hand", to=BO)
    grabbed.do("baton.grab", actor=BO)
    dash = Case(ledger, opener="nina@uu-odense")
    underscore = Case(ledger, opener="ole@uu_odense")
    closed = Case(ledger, opener=BO)
    closed.do("case.close", further_course="Afsluttet", follow_up_by=BO)
    engine = read_models(ledger)
    now = clock.now + timedelta(days=30)  # no coordinating meeting: every open case flagged

    expected = {
        "jobcenter": {anne.id, handed.id},
        "socialcenter": {bo.id, grabbed.id, closed.id},
        "uu-odense": {dash.id},
        "uu_odense": {underscore.id},
        "misbrugscenter": set(),
    }
    for org, held in expected.items():
        for written in (org, "@" + org, org.upper()):
            listed = {r.case_id for r in queries.case_list(engine, now, CaseFilter(org=written))}
            flagged = {f.case_id for f in queries.attention(
                engine, now, AttentionFilter(org=written)).flags}
            assert listed == held, written
            assert flagged == held - {closed.id}, written  # a closed case raises no flags
            open_listed = queries.case_list(engine, now, CaseFilter(org=written, status="open"))
            assert flagged == {r.case_id for r in open_listed}, written

    for holder in (ANNE, BO, "Bo@SocialCenter"):
        listed = {r.case_id for r in queries.case_list(engine, now, CaseFilter(
            holder=holder, status="open"))}
        flags = queries.attention(engine, now, AttentionFilter(holder=holder)).flags
        assert {f.case_id for f in flags} == listed, holder
        assert {f.holder for f in flags} == {holder.lower()}, holder


# -- consent expiry, by the date in Copenhagen ----------------------------------------------------


@pytest.mark.parametrize(("expires_on", "last_evening", "next_night", "utc_hour"), [
    # winter (CET, UTC+1): 23:30 is 22:30 UTC; 00:30 the next day is still 23:30 UTC the day before
    (date(2026, 1, 20), copenhagen(2026, 1, 20, 23, 30), copenhagen(2026, 1, 21, 0, 30), 22),
    # summer (CEST, UTC+2): 00:30 the next day is 22:30 UTC the day before
    (date(2026, 7, 10), copenhagen(2026, 7, 10, 23, 30), copenhagen(2026, 7, 11, 0, 30), 21),
])
def test_a_consent_expires_at_midnight_in_copenhagen(
    ledger: Ledger, clock: Clock, expires_on: date, last_evening: datetime,
    next_night: datetime, utc_hour: int
) -> None:
    # in UTC, as the ledger's clock tells the time
    last_evening, next_night = last_evening.astimezone(UTC), next_night.astimezone(UTC)
    assert last_evening.hour == utc_hour
    assert next_night.date() == expires_on  # the UTC date: still that day
    case = Case(ledger)
    case.do("consent.give", given_by=[{"role": "citizen"}], purpose="koordinering",
            recipients=["@socialcenter"], categories=["helbred"],
            expires_on=expires_on.isoformat())
    engine = read_models(ledger)

    def status(now: datetime) -> str:
        [row] = queries.consents(engine, now, case_id=case.id)
        return row.status

    consent = ledger.get_case(case.case_id).consents["C1"]
    assert status(last_evening) == "active"
    assert not consent_expired(expires_on, last_evening)
    assert consent_is_active(consent, last_evening)
    assert status(next_night) == "expired"
    assert consent_expired(expires_on, next_night)
    assert not consent_is_active(consent, next_night)

    # the rule that refuses sharing reads the same calendar as the read side
    clock.set(last_evening)
    case.do("share", recipient=BO, purpose="koordinering", categories=["helbred"],
            description="Status fra jobcentret")
    clock.set(next_night)
    with pytest.raises(RuleViolation):
        case.do("share", recipient=BO, purpose="koordinering", categories=["helbred"],
                description="Status fra jobcentret")
    # and the Reader answers at the ledger's clock
    assert [r.status for r in ledger.reader(ANNE, PURPOSE).consents(case.id[:8])] == ["expired"]
    clock.set(last_evening)
    assert [r.status for r in ledger.reader(ANNE, PURPOSE).consents()] == ["active"]


def test_a_revoked_consent_reads_revoked_whatever_the_date(ledger: Ledger) -> None:
    case = Case(ledger)
    case.do("consent.give", given_by=[{"role": "citizen"}], purpose="koordinering",
            recipients=["@socialcenter"], categories=["helbred"], expires_on="2026-12-31")
    case.do("consent.give", given_by=[{"role": "citizen"}], purpose="opfølgning",
            recipients=[BO], categories=["økonomi"])
    case.do("consent.revoke", consent_id="C1", reason="Trukket tilbage")
    rows = queries.consents(read_models(ledger), copenhagen(2026, 2, 1, 12, 0))
    assert [(r.consent_id, r.status) for r in rows] == [("C1", "revoked"), ("C2", "active")]


# -- the command line answers by the ledger's clock ---------------------------------------------


def test_the_cli_answers_by_the_ledgers_clock(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(utc(2030, 1, 7, 8, 0))  # years from the wall clock: only the ledger's counts
    with open_ledger(db_url, clock=clock, read_models=True) as ledger:
        ledger.appoint_first_admin(ADMIN)
        ledger.grant_role(actor=ADMIN, role="dpo", to=DPO)  # who reads the access log
        case = Case(ledger)
        case.do("plan.accept", accepted_by=[{"role": "citizen"}])
        case.do("agreement.make", text="Søge bolig", responsible=CARL, due_on="2030-01-10")
        ledger.read_models.catch_up()
    # The command line imports the ledger when a verb first needs it (stafet.cli.app).
    monkeypatch.setattr(ledger_module, "Ledger",
                        lambda *args, **kwargs: Ledger(*args, clock=clock, **kwargs))

    def attention() -> set[str]:
        out = stafet(db_url, "attention", actor=ANNE, as_json=True).json()
        return {f["flag"] for f in out["flags"] if f["case_id"] == case.id}

    def flagged() -> list[str]:
        out = stafet(db_url, "case", "list", "--flag", "agreement_overdue", actor=ANNE,
                     as_json=True).json()
        return [r["case_id"] for r in out]

    assert attention() == set()
    assert flagged() == []
    assert stafet(db_url, "attention", actor=ANNE).out == "Nothing needs attention.\n"
    clock.set(utc(2030, 1, 20, 12, 0))
    assert attention() == {"agreement_overdue", "no_coordinating_meeting"}
    assert flagged() == [case.id]
    entries = stafet(db_url, "access-log", actor=DPO, as_json=True).json()
    # Anne's last search (and its hit), then the DPO's read of the log itself (logged once it
    # was read, so seen on the next read): all at the ledger's clock.
    assert [(e["actor"], e["at"]) for e in entries[-2:]] == [(ANNE, clock.now.isoformat())] * 2
    again = stafet(db_url, "access-log", actor=DPO, as_json=True).json()
    assert (again[-1]["actor"], again[-1]["at"]) == (DPO, clock.now.isoformat())


# -- exports, and the shape of the answers ----------------------------------------------------------


def test_an_export_is_of_a_read_model_by_name(ledger: Ledger) -> None:
    one, two = Case(ledger), Case(ledger, opener=BO)
    engine = read_models(ledger)
    export = queries.export_table(engine, "rm_participants")
    assert export.columns[:3] == ["case_id", "ref", "org"]
    rows = list(export.rows)
    assert len(rows) == 6 and set(rows[0]) == set(export.columns)
    assert rows == sorted(rows, key=lambda r: (r["case_id"], r["ref"]))  # primary-key order
    assert sorted(queries.table_case_ids(engine, "rm_participants")) == sorted([one.id, two.id])
    assert queries.table_case_ids(engine, "rm_caseload") == []
    for name in ("rm_nope", "stored_events", "rm_attention_now", "rm_cases; DROP TABLE rm_cases"):
        with pytest.raises(InvalidCommand, match="there is no read model"):
            queries.export_table(engine, name)
        with pytest.raises(InvalidCommand, match="there is no read model"):
            queries.table_case_ids(engine, name)


@pytest.mark.parametrize(("model", "table"), [
    (queries.CaseRow, rm_cases), (queries.FlagRow, rm_attention),
    (queries.CaseloadRow, rm_caseload), (queries.ConsentRow, rm_consents),
])
def test_each_answer_has_its_tables_columns_in_their_order(model: Any, table: sa.Table) -> None:
    """--json writes the fields in this order, as it wrote the table's rows before."""
    assert list(model.model_fields) == [c.name for c in table.columns]


def test_the_reader_asks_for_a_name_always_and_a_purpose_before_personal_data_only(
        ledger: Ledger) -> None:
    """Every read says who reads (what one sees depends on it, even of the counts); only a
    read of personal data also says why."""
    Case(ledger)
    with pytest.raises(InvalidCommand, match="--as person@org"):
        ledger.reader(None)
    named = ledger.reader(ANNE, None)
    assert [r.holder for r in named.caseload()] == [ANNE]  # counts: no purpose needed
    for read in (named.case_list, named.attention, named.consents,
                 lambda: named.export_table("rm_cases"), named.export_events):
        with pytest.raises(InvalidCommand, match="--purpose"):
            read()
    assert ledger.access_log.entries() == []
