"""Real undo as events, and the baton confirmed (issue 17, points 3 and 5), on the domain in memory.

- a meeting wrongly recorded as held could not be undone: test_a_held_meeting_is_marked_as_not_held
- no way to reschedule a meeting: test_a_convened_meeting_is_rescheduled
- a completed agreement could not be reopened: test_a_completed_or_cancelled_agreement_is_reopened
- corrections carried no marker: test_a_correction_is_kept_in_the_case_state
- a temporary holder chosen to stay could not become permanent: test_a_temporary_holder_confirms_the_baton
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import HOLDER, SOCIAL, Scenario
from tests.rules._domain import DomainLedger
from tests.rules._plan_support import MONDAY, Clock, invalid, only_event, refused

HOLD = {"meeting_id": "M1", "attendees": [HOLDER, SOCIAL], "minutes": "Vi talte om bolig.",
        "decisions": ["Søg bolig"]}


def _meeting(clock: Clock) -> Scenario:
    """M1 convened on Monday for Thursday 10:00; the clock then on Thursday noon."""
    case = Scenario(DomainLedger(clock=clock))
    case.join(SOCIAL)
    case.accept_plan()
    case.do("meeting.convene", starts_at="5.3.2026 10:00", place="Rådhuset", invited=[SOCIAL],
            agenda=["Status"])
    clock.now = MONDAY + timedelta(days=3, hours=2)
    return case


def test_a_held_meeting_is_marked_as_not_held() -> None:
    clock = Clock(MONDAY)
    case = _meeting(clock)
    refused(case, "meeting.not-held", "meeting.not_held", r"meeting M1 is convened, not recorded as "
            r"held", meeting_id="M1", reason="Fejl")
    case.do("meeting.hold", agreements=[{"text": "Ringe", "responsible": SOCIAL,
                                         "due_on": "1.4.2026"}], **HOLD)
    case.do("meeting.minutes-sent", meeting_id="M1")
    invalid(case, "meeting.not-held", "reason", meeting_id="M1")
    refused(case, "meeting.not-held", "baton.not_holder", r"only the holder", actor=SOCIAL,
            meeting_id="M1", reason="Fejl")
    result = case.do("meeting.not-held", meeting_id="M1", reason="Registreret på forkert møde")
    assert only_event(case, result, "MeetingHoldWithdrawn").data() == {
        "meeting_id": "M1", "reason": "Registreret på forkert møde"}
    meeting = case.state.meetings["M1"]
    assert (meeting.status, meeting.minutes, meeting.decisions, meeting.attendees,
            meeting.minutes_sent, meeting.hold_withdrawn) == ("convened", None, [], [], False, 1)
    assert case.state.agreements["A1"].status == "open"  # an entry of its own: cancelled on its own
    case.do("meeting.hold", **{**HOLD, "minutes": "Det rigtige referat."})  # held again, rightly
    assert case.state.meetings["M1"].minutes == "Det rigtige referat."


def test_a_convened_meeting_is_rescheduled() -> None:
    clock = Clock(MONDAY)
    case = Scenario(DomainLedger(clock=clock))
    case.join(SOCIAL)
    case.do("meeting.convene", starts_at="5.3.2026 10:00", place="Rådhuset", invited=[SOCIAL],
            agenda=["Status"])
    result = case.do("meeting.reschedule", meeting_id="M1", starts_at="9.3.2026 13:00",
                     place="Jobcentret", reason="Tolken er optaget")
    event = only_event(case, result, "MeetingRescheduled")
    assert event.data()["reason"] == "Tolken er optaget"
    meeting = case.state.meetings["M1"]
    assert (meeting.starts_at, meeting.place, meeting.reschedules) == (
        datetime(2026, 3, 9, 12, 0, tzinfo=UTC), "Jobcentret", 1)
    refused(case, "meeting.reschedule", "meeting.unchanged", "already at that time",
            meeting_id="M1", starts_at="9.3.2026 13:00")
    refused(case, "meeting.reschedule", "meeting.in_past", "has already passed",
            meeting_id="M1", starts_at="1.3.2026 13:00")
    invalid(case, "meeting.reschedule", "starts_at", meeting_id="M1", starts_at="10.3.2026")
    refused(case, "meeting.reschedule", "baton.not_holder", "only the holder", actor=SOCIAL,
            meeting_id="M1", starts_at="10.3.2026 10:00")
    case.do("meeting.cancel", meeting_id="M1", reason="Aflyst")
    refused(case, "meeting.reschedule", "meeting.status", "already cancelled", meeting_id="M1",
            starts_at="10.3.2026 10:00")


def test_a_completed_or_cancelled_agreement_is_reopened(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.join("eva@andet", kind="authority")
    case.accept_plan()
    case.do("agreement.make", text="Søge job", responsible=SOCIAL, due_on="1.4.2027")
    refused(case, "agreement.reopen", "agreement.not_closed", r"agreement A1 is open; only a "
            r"completed or cancelled agreement can be reopened", agreement_id="A1", reason="x")
    case.do("agreement.complete", actor=SOCIAL, agreement_id="A1")
    refused(case, "agreement.reopen", "agreement.not_responsible", "only bo@socialcenter",
            actor="eva@andet", agreement_id="A1", reason="Ikke færdig")
    result = case.do("agreement.reopen", actor=SOCIAL, agreement_id="A1", reason="Ikke færdig")
    assert only_event(case, result, "AgreementReopened").data() == {
        "agreement_id": "A1", "reason": "Ikke færdig"}
    assert case.state.agreements["A1"].status == "open"
    case.do("agreement.cancel", agreement_id="A1", reason="Ikke relevant")
    case.do("agreement.reopen", agreement_id="A1", reason="Relevant igen")
    assert case.state.agreements["A1"].status == "open"


def test_a_correction_is_kept_in_the_case_state(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.do("note", text="Mødet var den 6. marts")
    case.do("correct", position=2, correction="Mødet var den 7. marts", reason="Forkert dato")
    (correction,) = case.state.corrections
    assert (correction.position, correction.corrects_position, correction.correction,
            correction.reason, correction.actor) == (3, 2, "Mødet var den 7. marts",
                                                     "Forkert dato", HOLDER)


def test_a_temporary_holder_confirms_the_baton(ledger: DomainLedger) -> None:
    case = Scenario(ledger, temporary=True)
    case.join(SOCIAL)
    assert case.state.baton.temporary
    refused(case, "baton.confirm", "baton.not_holder", "only the holder", actor=SOCIAL)
    case.do("baton.hand", to=SOCIAL)
    refused(case, "baton.confirm", "baton.handover_open", "offered to bo@socialcenter")
    case.do("baton.withdraw")
    result = case.do("baton.confirm")
    only_event(case, result, "BatonConfirmed")
    state = case.state
    assert not state.baton.temporary and state.baton.holder == HOLDER
    assert not state.holds[-1].temporary and state.holds[-1].until is None
    refused(case, "baton.confirm", "baton.not_temporary", "already holds the baton permanently")
