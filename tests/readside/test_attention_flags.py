"""SPEC §9 / docs/read-models.md (rm_attention, rm_caseload): every attention flag is raised
when its moment comes and cleared by the event that resolves it, visible in rm_attention and
through `stafet attention` (and `case list --flag`); the numbers are policy settings.

Time is the ledger's clock (recorded time) and `occurred_at` (business time); the flags carry
the moment they become due, so `stafet attention --at TIME` shows what was due at any time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from stafet import Ledger, Policy
from tests.readside.support import (
    Clock,
    dump_tables,
    open_ledger,
    rebuilt,
    stafet,
    utc,
)

ANNE, BO, CARL = "anne@jobcenter", "bo@socialcenter", "carl@misbrugscenter"
CITIZEN = "borger@hjemme"
ADMIN, LEADER = "it@kommunen", "leder@kommunen"


class Case:
    """One adult case with Bo and Carl (authorities) and the citizen taking part."""

    def __init__(self, ledger: Ledger, temporary: bool = False, opener: str = ANNE,
                 people: bool = True, **when: Any) -> None:
        self.ledger = ledger
        self.opener = opener
        self.case_id: UUID = ledger.open_case(
            actor=opener, subject_ref="borger-9100", subject_kind="adult",
            title="Opmærksomhed", temporary=temporary, **when).case_id
        if people:
            for ref, kind in ((BO, "authority"), (CARL, "authority"), (CITIZEN, "citizen")):
                if ref != opener:
                    self.do("case.join", participant=ref, kind=kind)

    @property
    def holder(self) -> str:
        return self.ledger.get_case(self.case_id).baton.holder

    def do(self, name: str, actor: str | None = None, **fields: Any) -> None:
        self.ledger.run(name, {"actor": actor or self.holder, "case_id": self.case_id, **fields})

    def flags(self) -> dict[tuple[str, str], dict[str, Any]]:
        """This case's rows in rm_attention: (flag, key) -> the row."""
        rows = dump_tables(self.ledger.storage.url, ["rm_attention"])["rm_attention"]
        names = ("case_id", "flag", "key", "holder", "since", "until", "detail")
        return {(r[1], r[2]): dict(zip(names, r, strict=True)) for r in rows
                if r[0] == str(self.case_id)}

    def due_at(self, moment: datetime) -> set[tuple[str, str]]:
        """(flag, key) of this case that `stafet attention --at` lists at that moment, to the
        one who opened it (who takes part in it throughout)."""
        out = stafet(self.ledger.storage.url, "attention", "--as-of", moment.isoformat(),
                     actor=self.opener, as_json=True).json()
        return {(f["flag"], f["key"]) for f in out["flags"] if f["case_id"] == str(self.case_id)}


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2026, 1, 5, 8, 0))  # Monday 5 January 2026, 09:00 in Copenhagen


@pytest.fixture
def ledger(db_url: str, clock: Clock) -> Iterator[Ledger]:
    with open_ledger(db_url, clock=clock, read_models=True) as the_ledger:
        yield the_ledger


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def minute(moment: datetime, sign: int) -> datetime:
    return moment + sign * timedelta(minutes=1)


# -- temporary holder, exchange open -----------------------------------------------------------


def test_temporary_holder_raised_after_7_days_and_cleared_by_a_permanent_holder(
    ledger: Ledger, clock: Clock
) -> None:
    case = Case(ledger, temporary=True)
    opened = utc(2026, 1, 5, 8, 0)
    row = case.flags()[("temporary_holder", "")]
    assert row["since"] == iso(opened + timedelta(days=7))
    assert row["holder"] == ANNE
    assert ("temporary_holder", "") not in case.due_at(minute(opened + timedelta(days=7), -1))
    assert ("temporary_holder", "") in case.due_at(minute(opened + timedelta(days=7), +1))

    clock.advance(days=8)
    case.do("baton.hand", to=BO)
    assert ("temporary_holder", "") in case.flags()  # an offer alone changes nothing
    case.do("baton.grab", actor=BO)
    grabbed = clock.now
    flags = case.flags()
    assert ("temporary_holder", "") not in flags
    assert flags[("exchange_open", "")]["since"] == iso(grabbed + timedelta(days=5))
    assert flags[("exchange_open", "")]["holder"] == BO
    assert ("exchange_open", "") not in case.due_at(minute(grabbed + timedelta(days=5), -1))
    assert ("exchange_open", "") in case.due_at(minute(grabbed + timedelta(days=5), +1))

    clock.advance(days=6)
    case.do("baton.release", actor=ANNE)
    assert ("exchange_open", "") not in case.flags()
    assert {f for f, _ in case.due_at(clock.now + timedelta(days=30))} <= {"no_coordinating_meeting"}


def test_flags_count_from_when_things_happened_not_when_they_were_logged(
    ledger: Ledger, clock: Clock
) -> None:
    """A case opened on 5 January but logged on 20 January is already overdue for a permanent
    holder and a first meeting; a grab logged two days late counts from the grab."""
    clock.set(utc(2026, 1, 20, 8, 0))
    case = Case(ledger, temporary=True, occurred_at=utc(2026, 1, 5, 8, 0))
    flags = case.flags()
    assert flags[("temporary_holder", "")]["since"] == iso(utc(2026, 1, 12, 8, 0))
    assert flags[("no_coordinating_meeting", "")]["since"] == iso(utc(2026, 1, 12, 23, 0))
    assert {"temporary_holder", "no_coordinating_meeting"} <= {
        f for f, _ in case.due_at(clock.now)}
    case.do("baton.hand", to=BO, occurred_at=utc(2026, 1, 17, 8, 0))
    case.do("baton.grab", actor=BO, occurred_at=utc(2026, 1, 18, 8, 0))
    assert case.flags()[("exchange_open", "")]["since"] == iso(utc(2026, 1, 23, 8, 0))


def test_declined_offer_leaves_the_temporary_holder_flagged(ledger: Ledger, clock: Clock) -> None:
    case = Case(ledger, temporary=True)
    case.do("baton.hand", to=BO)
    case.do("baton.decline", actor=BO, reason="ingen kapacitet")
    assert case.flags()[("temporary_holder", "")]["since"] == iso(utc(2026, 1, 12, 8, 0))


# -- meetings ---------------------------------------------------------------------------------


def test_no_coordinating_meeting_within_5_working_days(ledger: Ledger, clock: Clock) -> None:
    # opened on a Friday: the five working days are Mon 12 .. Fri 16 January
    clock.set(utc(2026, 1, 9, 9, 0))
    case = Case(ledger)
    due = utc(2026, 1, 16, 23, 0)  # Saturday 17 January 00:00 in Copenhagen
    assert case.flags()[("no_coordinating_meeting", "")]["since"] == iso(due)
    assert ("no_coordinating_meeting", "") not in case.due_at(minute(due, -1))
    assert ("no_coordinating_meeting", "") in case.due_at(minute(due, +1))

    starts = utc(2026, 1, 14, 9, 0)
    case.do("meeting.convene", starts_at=starts.isoformat(), place="Jobcentret", invited=[BO],
            agenda=["Status"])
    assert ("no_coordinating_meeting", "") in case.flags(), "convened is not held"
    clock.set(utc(2026, 1, 14, 11, 0))
    case.do("meeting.hold", meeting_id="M1", attendees=[BO], minutes="Referat")
    flags = case.flags()
    assert ("no_coordinating_meeting", "") not in flags
    assert flags[("no_follow_up", "")]["since"] == iso(starts + timedelta(days=90))


def test_no_follow_up_for_90_days_moves_with_each_held_meeting(
    ledger: Ledger, clock: Clock
) -> None:
    case = Case(ledger)
    first = utc(2026, 1, 7, 9, 0)
    case.do("meeting.convene", starts_at=first.isoformat(), place="A", invited=[BO], agenda=["x"])
    clock.set(first + timedelta(hours=2))  # held once it has taken place
    case.do("meeting.hold", meeting_id="M1", attendees=[BO], minutes="Referat")
    assert case.flags()[("no_follow_up", "")]["since"] == iso(first + timedelta(days=90))
    assert ("no_follow_up", "") in case.due_at(minute(first + timedelta(days=90), +1))
    assert ("no_follow_up", "") not in case.due_at(minute(first + timedelta(days=90), -1))

    clock.set(utc(2026, 3, 1, 8, 0))
    second = utc(2026, 3, 2, 9, 0)
    case.do("meeting.convene", starts_at=second.isoformat(), place="B", invited=[BO],
            agenda=["opfølgning"], kind="follow_up")
    case.do("meeting.convene", starts_at=(second + timedelta(days=30)).isoformat(), place="C",
            invited=[BO], agenda=["opfølgning"], kind="follow_up")
    case.do("meeting.cancel", meeting_id="M3", reason="sygdom")  # cancelled: does not count
    clock.set(second + timedelta(hours=2))
    case.do("meeting.hold", meeting_id="M2", attendees=[BO], minutes="Referat")
    assert case.flags()[("no_follow_up", "")]["since"] == iso(second + timedelta(days=90))
    assert ("no_follow_up", "") not in case.due_at(first + timedelta(days=95))


# -- agreements ---------------------------------------------------------------------------------


def test_agreement_overdue_from_the_day_after_its_due_date_until_resolved(
    ledger: Ledger, clock: Clock
) -> None:
    case = Case(ledger)
    case.do("plan.accept", accepted_by=[{"role": "citizen"}])
    case.do("agreement.make", text="Søge bolig", responsible=BO, due_on="2026-02-10")
    case.do("agreement.make", text="Lægeattest", responsible=CARL, due_on="2026-06-30")
    case.do("agreement.make", text="Budget", responsible=BO, due_on="2026-02-12")
    flags = case.flags()
    winter, summer = utc(2026, 2, 10, 23, 0), utc(2026, 6, 30, 22, 0)  # midnight in Copenhagen
    assert flags[("agreement_overdue", "A1")]["since"] == iso(winter)
    assert flags[("agreement_overdue", "A2")]["since"] == iso(summer)
    assert "A1" in flags[("agreement_overdue", "A1")]["detail"]
    assert ("agreement_overdue", "A1") not in case.due_at(minute(winter, -1))
    assert ("agreement_overdue", "A1") in case.due_at(minute(winter, +1))

    case.do("agreement.complete", actor=BO, agreement_id="A1")
    case.do("agreement.cancel", agreement_id="A3", reason="ikke længere relevant")
    case.do("agreement.make", text="Lægeattest, ny læge", responsible=BO, due_on="2026-07-15",
            replaces="A2")
    flags = case.flags()
    overdue = {key for flag, key in flags if flag == "agreement_overdue"}
    assert overdue == {"A4"}, "completed, cancelled and reassigned agreements are not overdue"
    assert flags[("agreement_overdue", "A4")]["since"] == iso(utc(2026, 7, 15, 22, 0))
    assert not {k for f, k in case.due_at(utc(2026, 12, 1)) if f == "agreement_overdue"} - {"A4"}


# -- consents -----------------------------------------------------------------------------------


def test_consent_expiring_within_14_days_until_it_expires_or_is_revoked(
    ledger: Ledger, clock: Clock
) -> None:
    case = Case(ledger)
    give = {"given_by": [{"role": "citizen"}], "purpose": "koordinering",
            "recipients": ["@socialcenter"], "categories": ["helbred"]}
    case.do("consent.give", **give, expires_on="2026-03-31")
    case.do("consent.give", **give)  # no expiry: never flagged
    case.do("consent.give", **give, expires_on="2026-10-30")
    flags = case.flags()
    window = flags[("consent_expiring", "C1")]
    since, until = utc(2026, 3, 16, 23, 0), utc(2026, 3, 31, 22, 0)  # 17 Mar .. 1 Apr in Copenhagen
    assert (window["since"], window["until"]) == (iso(since), iso(until))
    assert ("consent_expiring", "C2") not in flags
    assert ("consent_expiring", "C1") not in case.due_at(minute(since, -1))
    assert ("consent_expiring", "C1") in case.due_at(minute(since, +1))
    assert ("consent_expiring", "C1") in case.due_at(minute(until, -1))
    assert ("consent_expiring", "C1") not in case.due_at(minute(until, +1)), "expired: past"

    case.do("consent.revoke", consent_id="C3", reason="borgeren ønsker det")
    assert ("consent_expiring", "C3") not in case.flags()


# -- closing clears, reopening raises again -------------------------------------------------


def test_closing_clears_every_flag_and_reopening_raises_them_again(
    ledger: Ledger, clock: Clock
) -> None:
    case = Case(ledger, temporary=True)
    case.do("plan.accept", accepted_by=[{"role": "citizen"}])
    case.do("agreement.make", text="Søge bolig", responsible=BO, due_on="2026-01-20")
    assert {f for f, _ in case.flags()} >= {"temporary_holder", "agreement_overdue",
                                             "no_coordinating_meeting"}
    case.do("agreement.complete", actor=BO, agreement_id="A1")
    clock.advance(days=10)
    case.do("case.close", further_course="Jobcentret følger op", follow_up_by=BO)
    assert case.flags() == {}
    assert case.due_at(clock.now + timedelta(days=400)) == set()
    clock.advance(days=10)
    case.do("case.reopen", actor=BO, reason="ny henvendelse")
    flags = case.flags()
    assert flags[("temporary_holder", "")]["since"] == iso(clock.now + timedelta(days=7))
    assert flags[("temporary_holder", "")]["holder"] == BO


# -- the numbers are policy -------------------------------------------------------------------------


def test_every_threshold_follows_the_policy(db_url: str, clock: Clock) -> None:
    policy = Policy(temporary_holder_days=2, first_meeting_working_days=1,
                    follow_up_interval_days=10, exchange_open_days=1,
                    consent_expiry_warning_days=3)
    with open_ledger(db_url, clock=clock, policy=policy, read_models=True) as ledger:
        case = Case(ledger, temporary=True)  # Monday 5 January
        case.do("consent.give", given_by=[{"role": "citizen"}], purpose="koordinering",
                recipients=["@socialcenter"], categories=["helbred"], expires_on="2026-02-20")
        flags = case.flags()
        assert flags[("temporary_holder", "")]["since"] == iso(utc(2026, 1, 7, 8, 0))
        assert flags[("no_coordinating_meeting", "")]["since"] == iso(utc(2026, 1, 6, 23, 0))
        assert flags[("consent_expiring", "C1")]["since"] == iso(utc(2026, 2, 16, 23, 0))
        case.do("baton.hand", to=BO)
        case.do("baton.grab", actor=BO)
        assert case.flags()[("exchange_open", "")]["since"] == iso(utc(2026, 1, 6, 8, 0))
        case.do("baton.release", actor=ANNE)
        starts = utc(2026, 1, 6, 9, 0)
        case.do("meeting.convene", starts_at=starts.isoformat(), place="A", invited=[ANNE],
                agenda=["x"])
        clock.set(starts + timedelta(hours=2))  # held once it has taken place
        case.do("meeting.hold", meeting_id="M1", attendees=[ANNE], minutes="Referat")
        assert case.flags()[("no_follow_up", "")]["since"] == iso(starts + timedelta(days=10))
        # the rows a rebuild makes with the same policy are the same
        kept = dump_tables(db_url)
    assert rebuilt(db_url, policy=policy) == kept


# -- caseload ---------------------------------------------------------------------------------------


def _caseload(url: str) -> dict[str, dict[str, Any]]:
    """Anne's and Bo's caseload lines, as each of them sees their own."""
    load = {}
    for who in (ANNE, BO):
        rows = stafet(url, "caseload", actor=who, purpose=None, as_json=True).json()
        assert {r["holder"] for r in rows} <= {who}, rows  # only their own line
        load.update({r["holder"]: r for r in rows})
    return load


@pytest.mark.slow
def test_caseload_above_30_active_cases_is_flagged(ledger: Ledger, clock: Clock) -> None:
    url = ledger.storage.url
    cases = [Case(ledger, opener=ANNE, people=False, temporary=i < 5) for i in range(30)]
    Case(ledger, opener=BO, people=False)
    load = _caseload(url)
    assert (load[ANNE]["active_cases"], load[ANNE]["temporary_cases"]) == (30, 5)
    assert load[ANNE]["over_limit"] is False, "30 is the limit, not above it"
    assert stafet(url, "attention", actor=ANNE, as_json=True).json()["caseload_over_limit"] == []

    Case(ledger, opener=ANNE, people=False)
    load = _caseload(url)
    assert load[ANNE]["active_cases"] == 31 and load[ANNE]["over_limit"] is True
    assert load[BO]["over_limit"] is False
    over = stafet(url, "attention", actor=ANNE, as_json=True).json()["caseload_over_limit"]
    assert [(r["holder"], r["active_cases"]) for r in over] == [(ANNE, 31)]
    text = stafet(url, "attention", actor=ANNE).out
    assert "anne@jobcenter holds 31 active cases" in text
    [anne_line] = [ln for ln in stafet(url, "caseload", actor=ANNE).out.splitlines()
                   if ln.startswith(ANNE)]
    assert anne_line.split()[1:] == ["31", "5", "yes"]

    cases[0].do("case.close", further_course="Afsluttet", follow_up_by=ANNE)
    assert _caseload(url)[ANNE]["over_limit"] is False


def test_caseload_limit_is_a_policy_setting(db_url: str, clock: Clock) -> None:
    with open_ledger(db_url, clock=clock, policy=Policy(caseload_limit=3),
                     read_models=True) as ledger:
        cases = [Case(ledger, opener=ANNE, people=False) for _ in range(4)]
        assert _caseload(db_url)[ANNE]["over_limit"] is True
        # handing one case on brings Anne back to the limit; Bo gets it
        cases[0].do("case.join", participant=BO, kind="authority")
        cases[0].do("baton.hand", to=BO)
        cases[0].do("baton.grab", actor=BO)
        load = _caseload(db_url)
        assert (load[ANNE]["active_cases"], load[ANNE]["over_limit"]) == (3, False)
        assert load[BO]["active_cases"] == 1


@pytest.mark.slow
def test_the_documented_rebuild_after_a_policy_change_keeps_that_policy(
    tmp_path: Any, clock: Clock
) -> None:
    url = f"sqlite:///{tmp_path / 'policy.db'}"
    with open_ledger(url, clock=clock, policy=Policy(caseload_limit=2)) as ledger:
        for _ in range(3):
            Case(ledger, opener=ANNE, people=False)
        assert _caseload(url)[ANNE]["over_limit"] is True
    policy = tmp_path / "policy.json"
    policy.write_text('{"caseload_limit": 2}', encoding="utf-8")
    assert stafet(url, "--policy", str(policy), "projections", "rebuild", "attention",
                  "caseload").code == 0
    assert _caseload(url)[ANNE]["over_limit"] is True
    shown = stafet(url, "--policy", str(policy), "attention", actor=ANNE).out
    assert "limit 2" in shown and "limit 30" not in shown
    # Without the policy file the defaults apply again: the file is what carries the policy.
    assert stafet(url, "projections", "rebuild", "caseload").code == 0
    assert _caseload(url)[ANNE]["over_limit"] is False


# -- working days ---------------------------------------------------------------------------------


def test_public_holidays_are_not_working_days(ledger: Ledger, clock: Clock) -> None:
    clock.set(utc(2026, 4, 1, 8, 0))
    case = Case(ledger, people=False)
    # working days after 1 April: 7, 8, 9, 10, 13 April -> flagged from 14 April 00:00 CEST
    assert case.flags()[("no_coordinating_meeting", "")]["since"] == iso(utc(2026, 4, 13, 22, 0))


# -- what is due now: rm_attention_now, case list --flag, attention filters --------------------


@pytest.fixture
def now_cases(db_url: str) -> Iterator[tuple[Ledger, dict[str, UUID]]]:
    """Cases written relative to the real clock, for the readers that compare with 'now'."""
    now = datetime.now(UTC).replace(microsecond=0)
    clock = Clock(now - timedelta(days=60))
    with open_ledger(db_url, clock=clock, read_models=True) as ledger:
        quiet = Case(ledger, opener=ANNE)  # a meeting held last week: nothing due
        starts = now - timedelta(days=7)
        quiet.do("meeting.convene", starts_at=starts.isoformat(), place="A", invited=[BO],
                 agenda=["x"])
        clock.set(now - timedelta(days=6))
        quiet.do("meeting.hold", meeting_id="M1", attendees=[BO], minutes="Referat")
        quiet.do("meeting.minutes-sent", meeting_id="M1", recipients=[BO])  # nothing due
        clock.set(now - timedelta(days=60))
        overdue = Case(ledger, opener=BO)  # an agreement overdue, held at the socialcenter
        overdue.do("plan.accept", accepted_by=[{"role": "citizen"}])
        overdue.do("agreement.make", text="Søge bolig", responsible=CARL,
                   due_on=(now.date() - timedelta(days=20)).isoformat())
        expiring = Case(ledger, opener=ANNE)  # a consent expiring in 100 days: not yet
        expiring.do("consent.give", given_by=[{"role": "citizen"}], purpose="koordinering",
                    recipients=["@socialcenter"], categories=["helbred"],
                    expires_on=(now.date() + timedelta(days=100)).isoformat())
        closed = Case(ledger, opener=ANNE)
        closed.do("case.close", further_course="Afsluttet", follow_up_by=ANNE)
        clock.set(now - timedelta(days=1))
        yield ledger, {"quiet": quiet.case_id, "overdue": overdue.case_id,
                       "expiring": expiring.case_id, "closed": closed.case_id}


def test_rm_attention_now_shows_what_is_due_at_the_database_clock(
    now_cases: tuple[Ledger, dict[str, UUID]]
) -> None:
    ledger, ids = now_cases
    names = {str(v): k for k, v in ids.items()}
    rows = dump_tables(ledger.storage.url, with_views=True)
    due_now = {(names[r[0]], r[1]) for r in rows["rm_attention_now"]}
    assert due_now == {("overdue", "agreement_overdue"), ("overdue", "no_coordinating_meeting"),
                       ("expiring", "no_coordinating_meeting")}
    all_rows = {(names[r[0]], r[1]) for r in rows["rm_attention"]}
    assert ("expiring", "consent_expiring") in all_rows - due_now  # raised, due later
    assert ("quiet", "no_follow_up") in all_rows - due_now


def _listed(url: str, *args: str, actor: str = BO) -> list[str]:
    """The case list as ``actor`` sees it (Bo takes part in every case of ``now_cases``)."""
    return [r["case_id"] for r in stafet(url, "case", "list", *args, actor=actor,
                                         as_json=True).json()]


@pytest.mark.slow
def test_case_list_filters_by_holder_org_status_and_flag(
    now_cases: tuple[Ledger, dict[str, UUID]]
) -> None:
    ledger, ids = now_cases
    url = ledger.storage.url
    every = [str(ids[k]) for k in ("quiet", "overdue", "expiring", "closed")]
    assert sorted(_listed(url)) == sorted(every)
    assert set(_listed(url, "--holder", ANNE)) == {str(ids[k]) for k in ("quiet", "expiring", "closed")}
    assert _listed(url, "--holder", "Bo@SocialCenter") == [str(ids["overdue"])]
    assert _listed(url, "--org", "socialcenter") == [str(ids["overdue"])]
    assert _listed(url, "--org", "@socialcenter") == [str(ids["overdue"])]
    assert _listed(url, "--status", "closed") == [str(ids["closed"])]
    assert set(_listed(url, "--status", "open", "--org", "jobcenter")) == {
        str(ids["quiet"]), str(ids["expiring"])}
    assert _listed(url, "--flag", "agreement_overdue") == [str(ids["overdue"])]
    assert set(_listed(url, "--flag", "no_coordinating_meeting")) == {
        str(ids["overdue"]), str(ids["expiring"])}
    assert _listed(url, "--flag", "consent_expiring") == [], "due only in 86 days"
    assert _listed(url, "--flag", "no_follow_up") == []
    assert _listed(url, "--holder", ANNE, "--flag", "agreement_overdue") == []
    assert stafet(url, "case", "list", "--status", "halvåben", actor=BO).code == 2


@pytest.mark.slow
def test_attention_filters_by_holder_org_and_flag(
    now_cases: tuple[Ledger, dict[str, UUID]]
) -> None:
    ledger, ids = now_cases
    url = ledger.storage.url

    def listed(*args: str) -> set[tuple[str, str]]:
        out = stafet(url, "attention", *args, actor=BO, as_json=True).json()
        return {(r["case_id"], r["flag"]) for r in out["flags"]}

    overdue, expiring = str(ids["overdue"]), str(ids["expiring"])
    assert listed() == {(overdue, "agreement_overdue"), (overdue, "no_coordinating_meeting"),
                        (expiring, "no_coordinating_meeting")}
    assert listed("--holder", BO) == {(overdue, "agreement_overdue"),
                                      (overdue, "no_coordinating_meeting")}
    assert listed("--org", "jobcenter") == {(expiring, "no_coordinating_meeting")}
    assert listed("--flag", "agreement_overdue") == {(overdue, "agreement_overdue")}
    later = (date.today() + timedelta(days=95)).isoformat() + "T12:00"
    assert (expiring, "consent_expiring") in listed("--as-of", later)
    text = stafet(url, "attention", "--holder", BO, actor=BO).out
    assert "agreement_overdue" in text and overdue[:8] in text


def test_attention_org_filter_matches_the_organisation_exactly(ledger: Ledger) -> None:
    url = ledger.storage.url
    dash = Case(ledger, opener="nina@uu-odense", people=False)
    underscore = Case(ledger, opener="ole@uu_odense", people=False)
    # A team leader of both organisations sees both cases in the overview; the filter picks one.
    ledger.appoint_first_admin(ADMIN)
    for org in ("uu-odense", "uu_odense"):
        ledger.grant_role(actor=ADMIN, role="team_leader", to=LEADER, org=org)
    assert sorted(_listed(url, actor=LEADER)) == sorted([str(dash.case_id), str(underscore.case_id)])
    assert _listed(url, "--org", "uu_odense", actor=LEADER) == [str(underscore.case_id)]
    out = stafet(url, "attention", "--org", "uu_odense", "--as-of", "2026-02-01T12:00",
                 actor=LEADER, as_json=True).json()
    assert {f["case_id"] for f in out["flags"]} == {str(underscore.case_id)}, (
        f"{dash.case_id} is held at uu-odense")
