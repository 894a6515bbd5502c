"""Issue 17, point 6: the meeting flags a team leader missed in the trial -- a meeting convened
at short notice, a meeting passed but neither held nor cancelled, minutes not sent -- raised
when due, cleared by what resolves them, and their numbers policy settings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from stafet import Ledger, Policy
from tests.readside.support import Clock, open_ledger, utc
from tests.readside.test_attention_flags import BO, Case, iso, minute


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2026, 1, 5, 8, 0))  # Monday 5 January 2026, 09:00 in Copenhagen


@pytest.fixture
def ledger(db_url: str, clock: Clock) -> Iterator[Ledger]:
    with open_ledger(db_url, clock=clock, read_models=True) as the_ledger:
        yield the_ledger


def _convene(case: Case, starts: object, **more: object) -> None:
    case.do("meeting.convene", starts_at=starts.isoformat(), place="Jobcentret",  # type: ignore[attr-defined]
            invited=[BO], agenda=["Status"], **more)


def test_a_meeting_convened_less_than_2_days_ahead_is_flagged_until_it_starts(
        ledger: Ledger, clock: Clock) -> None:
    case = Case(ledger)
    soon_ = clock.now + timedelta(days=1, hours=2)
    _convene(case, soon_)
    _convene(case, clock.now + timedelta(days=5))  # M2: enough notice
    flags = case.flags()
    assert flags[("short_notice", "M1")]["since"] == iso(clock.now)
    assert flags[("short_notice", "M1")]["until"] == iso(soon_)
    assert ("short_notice", "M2") not in flags
    assert ("short_notice", "M1") in case.due_at(minute(clock.now, +1))
    assert ("short_notice", "M1") not in case.due_at(soon_)


def test_a_meeting_neither_held_nor_cancelled_a_day_after_is_flagged_until_recorded(
        ledger: Ledger, clock: Clock) -> None:
    case = Case(ledger)
    starts = clock.now + timedelta(days=3)
    _convene(case, starts)
    due = starts + timedelta(days=1)
    assert case.flags()[("meeting_unrecorded", "M1")]["since"] == iso(due)
    assert ("meeting_unrecorded", "M1") not in case.due_at(minute(due, -1))
    assert ("meeting_unrecorded", "M1") in case.due_at(minute(due, +1))
    clock.set(due + timedelta(hours=1))
    case.do("meeting.cancel", meeting_id="M1", reason="Sygdom")
    assert ("meeting_unrecorded", "M1") not in case.flags()


def test_minutes_not_sent_5_days_after_a_held_meeting_until_marked_sent(
        ledger: Ledger, clock: Clock) -> None:
    case = Case(ledger)
    starts = clock.now + timedelta(days=3)
    _convene(case, starts)
    clock.set(starts + timedelta(hours=2))
    case.do("meeting.hold", meeting_id="M1", attendees=[BO], minutes="Referat")
    flags = case.flags()
    assert ("meeting_unrecorded", "M1") not in flags
    assert flags[("minutes_not_sent", "M1")]["since"] == iso(starts + timedelta(days=5))
    case.do("meeting.minutes-sent", meeting_id="M1", recipients=[BO])
    assert ("minutes_not_sent", "M1") not in case.flags()


def test_the_meeting_flags_follow_the_policy(db_url: str, clock: Clock) -> None:
    policy = Policy(short_notice_days=7, meeting_unrecorded_days=3, minutes_sent_days=1)
    with open_ledger(db_url, clock=clock, read_models=True, policy=policy) as ledger_:
        case = Case(ledger_)
        starts = clock.now + timedelta(days=5)
        _convene(case, starts)
        flags = case.flags()
        assert ("short_notice", "M1") in flags  # 5 days' notice is short under a 7-day rule
        assert flags[("meeting_unrecorded", "M1")]["since"] == iso(starts + timedelta(days=3))
        clock.set(starts + timedelta(hours=1))
        case.do("meeting.hold", meeting_id="M1", attendees=[BO], minutes="Referat")
        assert case.flags()[("minutes_not_sent", "M1")]["since"] == iso(starts + timedelta(days=1))


