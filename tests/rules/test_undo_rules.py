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


# -- 5. closing conditions, the birth month, custody holders ---------------------------------


def test_every_unmet_closing_condition_is_listed_and_close_refuses_with_the_first(
        ledger: DomainLedger) -> None:
    from stafet.domain.decide.case import unmet_closing_conditions

    case = Scenario(ledger)
    case.join(SOCIAL)
    case.accept_plan()
    case.do("agreement.make", text="Ringe", responsible=SOCIAL, due_on="1.4.2027")
    case.do("baton.hand", to=SOCIAL)
    unmet = unmet_closing_conditions(case.state, SOCIAL)
    assert [r.code for r in unmet] == ["baton.not_holder", "baton.handover_open",
                                       "case.open_agreements"]
    assert [r.code for r in unmet_closing_conditions(case.state, HOLDER)] == [
        "baton.handover_open", "case.open_agreements"]
    close = {"further_course": "Slut", "follow_up_by": HOLDER}
    refused(case, "case.close", "baton.handover_open", "offered to bo@socialcenter", **close)
    case.do("baton.withdraw")
    refused(case, "case.close", "case.open_agreements", r"1 agreement\(s\) are still open \(A1\)",
            **close)
    case.do("agreement.complete", agreement_id="A1")
    assert unmet_closing_conditions(case.state, HOLDER) == []
    case.do("case.close", **close)
    assert [r.code for r in unmet_closing_conditions(case.state, HOLDER)] == ["case.closed"]


def test_the_birth_month_is_recorded_once_and_ages_follow_from_it() -> None:
    clock = Clock(datetime(2026, 5, 1, 9, 0, tzinfo=UTC))  # the youth turns 16 this month
    case = Scenario(DomainLedger(clock=clock), subject_kind="child")
    youth = {"given_by": [{"role": "youth"}], "purpose": "skole", "recipients": [SOCIAL],
             "categories": ["trivsel"]}
    refused(case, "consent.give", "consent.subject_age", "birth month recorded on the case", **youth)
    invalid(case, "case.birth-month", "birth_month", birth_month="maj 2010")
    case.do("case.birth-month", birth_month="5.2010")
    assert case.state.subject_birth_month == "2010-05"
    refused(case, "case.birth-month", "case.birth_month", "already recorded", birth_month="2010-05")
    refused(case, "case.birth-month", "case.birth_month", "lies in the future", birth_month="2026-06")
    result = case.do("consent.give", **youth)  # 16 from the birth month: the DS rule lets them
    assert only_event(case, result, "ConsentGiven").data()["subject_age"] == 16
    refused(case, "consent.give", "consent.youth_rule", "from the age of 15", subject_age=14,
            **youth)  # the age typed still overrides


def test_a_child_consent_from_one_custody_holder_is_flagged_by_policy(ledger: DomainLedger) -> None:
    from stafet.domain.attention import attention_flags
    from stafet.domain.policy import DEFAULT_POLICY, Policy

    case = Scenario(ledger, subject_kind="child")
    case.consent_for(SOCIAL)  # one custody holder
    case.do("consent.give", given_by=[{"role": "custody_holder", "name": "Mor"},
                                      {"role": "custody_holder", "name": "Far"}],
            purpose="skole", recipients=[SOCIAL], categories=["trivsel"])
    flagged = [f for f in attention_flags(case.state, DEFAULT_POLICY)
               if f.flag == "consent_one_custody_holder"]
    assert [(f.key, f.detail) for f in flagged] == [
        ("C1", "consent C1 (koordinering) is given by 1 of 2 custody holders")]
    assert not [f for f in attention_flags(case.state, Policy(custody_holders_expected=1))
                if f.flag == "consent_one_custody_holder"]
    case.do("consent.revoke", consent_id="C1", revoked_by={"role": "custody_holder", "name": "Far"})
    assert case.state.consents["C1"].revoked_by is not None
    assert case.state.consents["C1"].revoked_by.name == "Far"
    assert not [f for f in attention_flags(case.state, DEFAULT_POLICY)
                if f.flag == "consent_one_custody_holder"]


def test_several_custody_holders_are_named_in_the_plural() -> None:
    from stafet.wording import describe

    ledger = DomainLedger()
    case = Scenario(ledger, subject_kind="child")
    case.do("consent.give", given_by=[{"role": "custody_holder", "name": "Anna"},
                                      {"role": "custody_holder", "name": "Bo"}],
            purpose="Samarbejde om Emma", recipients=[SOCIAL], categories=["trivsel"])
    case.do("consent.revoke", consent_id="C1", revoked_by={"role": "custody_holder", "name": "Bo"})
    given, revoked = ledger.history(case.case_id)[-2:]
    assert "fra forældremyndighedsindehaverne Anna og Bo:" in describe(given, lang="da")
    assert "from the custody holders Anna and Bo:" in describe(given, lang="en")
    assert describe(revoked, lang="da").endswith(
        "blev trukket tilbage af forældremyndighedsindehaveren Bo")
    assert describe(revoked, lang="en").endswith("was withdrawn by the custody holder Bo")
