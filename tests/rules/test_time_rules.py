"""Time that makes sense (issue 17, points 1 and 2), on the domain in memory.

- `--due 01.03.2027` refused naming the internal field: dates are read as Danes write them
  (test_dates_are_read_as_danes_write_them_besides_iso, test_a_wrong_date_says_how_to_write_it);
- `--at 2026-12-24` silently became 00:00: test_a_meeting_time_without_a_clock_time_is_refused;
- `meeting hold` stored for a meeting three days ahead: test_a_meeting_is_not_held_before_it_starts;
- `meeting convene --at 2025-12-24T10:00` (in the past) accepted:
  test_convening_a_meeting_in_the_past_needs_the_time_it_was_convened,
  test_a_meeting_is_convened_before_it_starts;
- `--occurred-at 2031-01-01` (require_not_in_future, on main): test_a_meeting_held_in_the_future_is_refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from stafet.domain.calendar import parse_day, parse_moment
from tests.helpers import HOLDER, SOCIAL, Scenario
from tests.rules._domain import DomainLedger
from tests.rules._plan_support import MONDAY, Clock, invalid, refused


@pytest.mark.parametrize("written", ["01.03.2027", "1.3.2027", "1/3-2027", "1/3/2027",
                                     "1-3-2027", "2027-03-01", " 01.03.2027 "])
def test_dates_are_read_as_danes_write_them_besides_iso(written: str) -> None:
    ledger = DomainLedger()
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.accept_plan()
    case.do("agreement.make", text="Ringe til a-kassen", responsible=SOCIAL, due_on=written)
    assert case.state.agreements["A1"].due_on == date(2027, 3, 1)


def test_times_are_read_as_danes_write_them_in_copenhagen_time() -> None:
    assert parse_moment("6.3.2026 10:00") == datetime(2026, 3, 6, 10, 0)
    assert parse_moment("06.03.2026 kl. 10.30") == datetime(2026, 3, 6, 10, 30)
    assert parse_moment("2026-03-06T10:00+01:00") == datetime.fromisoformat("2026-03-06T10:00+01:00")
    ledger = DomainLedger(clock=Clock(MONDAY + timedelta(days=10)))
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.do("note", text="Ringede", occurred_at="6.3.2026 10:00")
    assert case.ledger.history(case.case_id)[-1].occurred_at == datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("written", ["31.02.2027", "12/31/2027", "01.13.2027", "i morgen", "2027-3-1x"])
def test_a_wrong_date_says_how_to_write_it(written: str) -> None:
    case = Scenario(DomainLedger())
    case.join(SOCIAL)
    case.accept_plan()
    message = invalid(case, "agreement.make", "due_on", text="Ringe", responsible=SOCIAL,
                      due_on=written)
    assert "write it like 2026-03-01 or 1.3.2026" in message, message
    with pytest.raises(ValueError, match="write it like"):
        parse_day(written)


def test_a_meeting_time_without_a_clock_time_is_refused(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    for bare in ("2027-12-24", "24.12.2027"):
        message = invalid(case, "meeting.convene", "starts_at", starts_at=bare, place="Rådhuset",
                          invited=[SOCIAL], agenda=["Status"])
        assert "has no clock time" in message and "2026-03-06T10:00" in message, message
    case.do("meeting.convene", starts_at="24.12.2027 10:00", place="Rådhuset", invited=[SOCIAL],
            agenda=["Status"])
    assert case.state.meetings["M1"].starts_at == datetime(2027, 12, 24, 9, 0, tzinfo=UTC)


def _convened(clock: Clock, **extra: object) -> Scenario:
    case = Scenario(DomainLedger(clock=clock))
    case.join(SOCIAL)
    case.do("meeting.convene", starts_at="2026-03-05T10:00", place="Rådhuset", invited=[SOCIAL],
            agenda=["Status"], **extra)
    return case


def test_a_meeting_is_not_held_before_it_starts() -> None:
    clock = Clock(MONDAY)  # Monday 2 March 10:00; the meeting is on Thursday at 10:00
    case = _convened(clock)
    hold = {"meeting_id": "M1", "attendees": [HOLDER, SOCIAL], "minutes": "Vi talte sammen."}
    refused(case, "meeting.hold", "meeting.not_started", r"meeting M1 starts 5 Mar 2026 10:00, "
            r"so it cannot have been held by 2 Mar 2026 10:00", **hold)
    clock.now = MONDAY + timedelta(days=3, minutes=-1)  # Thursday 09:59: not yet
    refused(case, "meeting.hold", "meeting.not_started", "cannot have been held", **hold)
    clock.now = MONDAY + timedelta(days=3, hours=2)  # Thursday noon, back-dated to 09:59: no
    refused(case, "meeting.hold", "meeting.not_started", "cannot have been held",
            occurred_at="2026-03-05T09:59", **hold)
    case.do("meeting.hold", occurred_at="2026-03-05T11:30", **hold)  # held, logged at noon
    assert case.state.meetings["M1"].status == "held"


def test_a_meeting_held_in_the_future_is_refused() -> None:
    clock = Clock(MONDAY + timedelta(days=4))
    case = _convened(Clock(MONDAY))
    case.ledger.clock = clock
    refused(case, "meeting.hold", "occurred_at.future", "is in the future", meeting_id="M1",
            attendees=[HOLDER], minutes="Referat", occurred_at="2031-01-01T10:00")


def test_convening_a_meeting_in_the_past_needs_the_time_it_was_convened() -> None:
    clock = Clock(MONDAY + timedelta(days=10))  # the meeting on 5 March has passed
    case = Scenario(DomainLedger(clock=clock))
    case.join(SOCIAL)
    meeting = {"starts_at": "2026-03-05T10:00", "place": "Rådhuset", "invited": [SOCIAL],
               "agenda": ["Status"]}
    refused(case, "meeting.convene", "meeting.in_past", r"the meeting's time 5 Mar 2026 10:00 has "
            r"already passed; to record a meeting convened earlier, say when it was convened "
            r"\(occurred_at, --occurred-at\)", **meeting)
    case.do("meeting.convene", occurred_at="2026-03-01T09:00", **meeting)
    assert case.state.meetings["M1"].starts_at == datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def test_a_meeting_is_convened_before_it_starts() -> None:
    case = Scenario(DomainLedger(clock=Clock(MONDAY + timedelta(days=10))))
    case.join(SOCIAL)
    refused(case, "meeting.convene", "meeting.in_past", r"is before it was convened",
            starts_at="2026-03-05T10:00", occurred_at="2026-03-06T09:00", place="Rådhuset",
            invited=[SOCIAL], agenda=["Status"])


def test_a_meeting_starting_now_may_be_convened_within_the_grace() -> None:
    clock = Clock(MONDAY)  # 10:00 in Copenhagen
    case = Scenario(DomainLedger(clock=clock))
    case.join(SOCIAL)
    case.do("meeting.convene", starts_at="2026-03-02T09:56", place="Rådhuset", invited=[SOCIAL],
            agenda=["Akut"])  # four minutes ago: within the policy's 5 minutes
    refused(case, "meeting.convene", "meeting.in_past", "has already passed",
            starts_at="2026-03-02T09:54", place="Rådhuset", invited=[SOCIAL], agenda=["Akut"])
