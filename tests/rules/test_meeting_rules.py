"""Meetings and the agreements made at them (SPEC §7).

Every test runs on the domain in memory (``DomainLedger``: decide and fold, no database);
what storage decides is tested in tests/integration. Refusals are checked for the rule's
code, one clear sentence naming the rule or field, and an unchanged log.

| SPEC rule (§) | tests |
|---|---|
| "The holder convenes a meeting (time, place agreed with the citizen, ... interpreter needs)" (§7) | |
| | test_the_holder_convenes_a_meeting_with_time_place_invitees_agenda_and_needs |
| | test_only_the_holder_convenes_a_meeting |
| | test_inviting_someone_outside_the_case_is_refused |
| | test_a_meeting_without_invitees_agenda_or_a_valid_time_is_invalid |
| "Agenda changes later than 2 days before the meeting are allowed but flagged" (§7; policy) | |
| | test_an_agenda_change_in_good_time_is_not_flagged |
| | test_an_agenda_change_later_than_2_days_before_is_allowed_but_flagged |
| | test_the_late_agenda_boundary_is_exactly_2_days |
| | test_the_late_agenda_limit_is_a_policy_setting |
| | test_only_the_holder_changes_the_agenda |
| | test_the_agenda_of_a_held_or_cancelled_meeting_cannot_change |
| | test_an_empty_agenda_is_invalid |
| "A held meeting records attendees, minutes and decisions" (§7) | |
| | test_a_held_meeting_records_attendees_minutes_decisions_and_agreements |
| | test_an_attendee_outside_the_case_is_refused |
| | test_only_the_holder_records_a_meeting_as_held |
| | test_a_meeting_is_held_only_once_and_never_after_it_is_cancelled |
| | test_a_held_meeting_needs_attendees_and_minutes |
| "every agreement made there has a responsible participant and a due date" (§7) | |
| | test_a_held_meeting_records_attendees_minutes_decisions_and_agreements |
| | test_an_agreement_at_a_meeting_needs_a_responsible_participant_and_a_due_date |
| | test_agreements_at_a_meeting_come_after_the_plan_is_accepted |
| business time: "a meeting logged the day after" (§8) | |
| | test_a_meeting_logged_the_day_after_carries_its_business_time |
| cancelling a meeting (MeetingCancelled, §8) | test_a_convened_meeting_is_cancelled_with_a_reason |
| | test_a_held_meeting_cannot_be_cancelled |
| "Minutes are marked as sent" (§7) | test_minutes_of_a_held_meeting_are_marked_as_sent |
| | test_minutes_of_a_meeting_not_held_cannot_be_sent |
| | test_minutes_are_marked_as_sent_only_once |
| | test_only_the_holder_marks_minutes_as_sent |
| an unknown meeting id (§7, §10) | test_an_unknown_meeting_is_refused |
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from stafet import Policy
from tests.helpers import ADDICTION, CITIZEN, HOLDER, SOCIAL, Scenario, soon
from tests.rules._domain import DomainLedger
from tests.rules._plan_support import MONDAY, Clock, events_of, invalid, only_event, refused

NOT_HOLDER = r"only the holder \(anne@jobcenter\) can"


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def meeting_case(ledger: DomainLedger, starts_at: str | None = None, accept: bool = True,
                 convened_at: str | None = None) -> Scenario:
    """An adult's case with SOCIAL and the citizen in it, and meeting M1 convened. By default
    M1 was convened a week ago for an hour ago, so it can be recorded as held now."""
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.join(CITIZEN, kind="citizen")
    if accept:
        case.accept_plan()
    if starts_at is None:
        starts_at, convened_at = in_days(-1 / 24), convened_at or in_days(-7)
    case.do("meeting.convene", starts_at=starts_at, place="Borgerens hjem",
            place_agreed_with_citizen=True, invited=[SOCIAL, CITIZEN],
            agenda=["Velkomst", "Borgerens ønsker"],
            **({"occurred_at": convened_at} if convened_at else {}))
    return case


def hold(case: Scenario, **extra: object) -> None:
    case.do("meeting.hold", meeting_id="M1", attendees=[HOLDER, SOCIAL, CITIZEN],
            minutes="Vi talte om bolig og job.", **extra)


# -- convening -----------------------------------------------------------------------------


def test_the_holder_convenes_a_meeting_with_time_place_invitees_agenda_and_needs(
    ledger: DomainLedger,
) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.join(CITIZEN, kind="citizen")
    result = case.do("meeting.convene", starts_at="2027-01-12T13:30:00", place="Jobcentret, lokale 3",
                     place_agreed_with_citizen=True, invited=["Bo@SocialCenter", CITIZEN],
                     agenda=["Velkomst", "Bolig"], interpreter_language="arabisk",
                     advocate_needed=True, kind="coordinating")

    event = only_event(case, result, "MeetingConvened")
    assert event.data()["meeting_id"] == "M1" and event.actor == HOLDER
    meeting = case.state.meetings["M1"]
    assert meeting.starts_at == datetime(2027, 1, 12, 12, 30, tzinfo=UTC)  # 13:30 in Copenhagen
    assert (meeting.place, meeting.place_agreed_with_citizen) == ("Jobcentret, lokale 3", True)
    assert meeting.invited == [SOCIAL, CITIZEN]
    assert meeting.agenda == ["Velkomst", "Bolig"]
    assert (meeting.interpreter_language, meeting.advocate_needed) == ("arabisk", True)
    assert (meeting.status, meeting.kind, meeting.minutes_sent) == ("convened", "coordinating", False)


def test_only_the_holder_convenes_a_meeting(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    refused(case, "meeting.convene", "baton.not_holder", NOT_HOLDER + r" convene a meeting",
            actor=SOCIAL, starts_at=in_days(7), place="Rådhuset", invited=[HOLDER],
            agenda=["Velkomst"])
    assert case.state.meetings == {}


def test_inviting_someone_outside_the_case_is_refused(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    refused(case, "meeting.convene", "participant.unknown",
            r"carl@misbrugscenter is not an active participant", starts_at=in_days(7),
            place="Rådhuset", invited=[SOCIAL, ADDICTION], agenda=["Velkomst"])


def test_a_meeting_without_invitees_agenda_or_a_valid_time_is_invalid(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    good = {"starts_at": in_days(7), "place": "Rådhuset", "invited": [SOCIAL], "agenda": ["Velkomst"]}
    invalid(case, "meeting.convene", "invited", **{**good, "invited": []})
    invalid(case, "meeting.convene", "invited.0", **{**good, "invited": ["bo"]})
    invalid(case, "meeting.convene", "agenda", **{**good, "agenda": []})
    invalid(case, "meeting.convene", "agenda.0", **{**good, "agenda": ["  "]})
    invalid(case, "meeting.convene", "starts_at", **{**good, "starts_at": "2027-02-30T10:00"})
    invalid(case, "meeting.convene", "starts_at", **{**good, "starts_at": "næste tirsdag"})
    invalid(case, "meeting.convene", "place", **{**good, "place": ""})
    invalid(case, "meeting.convene", "kind", **{**good, "kind": "party"})
    assert case.state.meetings == {}


# -- the agenda ----------------------------------------------------------------------------


def test_an_agenda_change_in_good_time_is_not_flagged(clocked_ledger: DomainLedger) -> None:
    case = meeting_case(clocked_ledger, starts_at="2026-03-09T10:00:00")  # a week ahead
    result = case.do("meeting.agenda", meeting_id="m1", agenda=["Velkomst", "Bolig", "Job"])

    event = only_event(case, result, "MeetingAgendaChanged")
    assert event.data() == {"meeting_id": "M1", "agenda": ["Velkomst", "Bolig", "Job"], "late": False}
    meeting = case.state.meetings["M1"]
    assert meeting.agenda == ["Velkomst", "Bolig", "Job"] and meeting.late_agenda_changes == 0


def test_an_agenda_change_later_than_2_days_before_is_allowed_but_flagged(
    clocked_ledger: DomainLedger,
) -> None:
    case = meeting_case(clocked_ledger, starts_at="2026-03-03T14:00:00")  # tomorrow afternoon
    result = case.do("meeting.agenda", meeting_id="M1", agenda=["Velkomst", "Akut: bolig"])

    assert only_event(case, result, "MeetingAgendaChanged").data()["late"] is True
    meeting = case.state.meetings["M1"]
    assert meeting.agenda == ["Velkomst", "Akut: bolig"]
    assert meeting.late_agenda_changes == 1 and meeting.status == "convened"


def test_the_late_agenda_boundary_is_exactly_2_days(clocked_ledger: DomainLedger, clock: Clock) -> None:
    case = meeting_case(clocked_ledger, starts_at="2026-03-05T10:00:00")
    clock.now = MONDAY + timedelta(days=1)  # Tuesday 10:00: exactly 2 days before
    on_time = case.do("meeting.agenda", meeting_id="M1", agenda=["Velkomst", "Bolig"])
    clock.advance(minutes=1)  # 1 minute later than 2 days before
    late = case.do("meeting.agenda", meeting_id="M1", agenda=["Velkomst", "Bolig", "Job"])

    assert only_event(case, on_time, "MeetingAgendaChanged").data()["late"] is False
    assert only_event(case, late, "MeetingAgendaChanged").data()["late"] is True
    assert case.state.meetings["M1"].late_agenda_changes == 1


def test_the_late_agenda_limit_is_a_policy_setting() -> None:
    five_days = DomainLedger(policy=Policy(late_agenda_days=5), clock=Clock(MONDAY))
    case = meeting_case(five_days, starts_at="2026-03-05T10:00:00")  # 3 days ahead
    result = case.do("meeting.agenda", meeting_id="M1", agenda=["Velkomst", "Bolig"])
    assert only_event(case, result, "MeetingAgendaChanged").data()["late"] is True


def test_only_the_holder_changes_the_agenda(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    refused(case, "meeting.agenda", "baton.not_holder", NOT_HOLDER + r" change a meeting's agenda",
            actor=SOCIAL, meeting_id="M1", agenda=["Noget andet"])
    assert case.state.meetings["M1"].agenda == ["Velkomst", "Borgerens ønsker"]


def test_the_agenda_of_a_held_or_cancelled_meeting_cannot_change(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    hold(case)
    refused(case, "meeting.agenda", "meeting.status", r"meeting M1 is already held",
            meeting_id="M1", agenda=["For sent"])
    case.do("meeting.convene", starts_at=in_days(14), place="Rådhuset", invited=[SOCIAL],
            agenda=["Opfølgning"], kind="follow_up")
    case.do("meeting.cancel", meeting_id="M2", reason="Sygdom")
    refused(case, "meeting.agenda", "meeting.status", r"meeting M2 is already cancelled",
            meeting_id="M2", agenda=["For sent"])


def test_an_empty_agenda_is_invalid(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    invalid(case, "meeting.agenda", "agenda", meeting_id="M1", agenda=[])


# -- holding -------------------------------------------------------------------------------


def test_a_held_meeting_records_attendees_minutes_decisions_and_agreements(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    case.do("goal.set", level="overall", text="Stabil bolig")
    result = case.do(
        "meeting.hold", meeting_id="M1", attendees=[HOLDER, SOCIAL, CITIZEN],
        minutes="Borgeren ønsker en mindre bolig tæt på familien.",
        decisions=["Boligsøgning starter nu"],
        agreements=[
            {"text": "Søger bolig sammen med borgeren", "responsible": SOCIAL, "due_on": soon(14),
             "goal_id": "G1"},
            {"text": "Indkalder til opfølgning", "responsible": HOLDER, "due_on": soon(60)},
        ],
    )

    assert [type(e).__name__ for e in events_of(case, result)] == [
        "MeetingHeld", "AgreementMade", "AgreementMade"]
    held = events_of(case, result)[0]
    assert held.data() == {"meeting_id": "M1", "attendees": [HOLDER, SOCIAL, CITIZEN],
                           "minutes": "Borgeren ønsker en mindre bolig tæt på familien.",
                           "decisions": ["Boligsøgning starter nu"]}
    state = case.state
    meeting = state.meetings["M1"]
    assert (meeting.status, meeting.attendees, meeting.decisions) == (
        "held", [HOLDER, SOCIAL, CITIZEN], ["Boligsøgning starter nu"])
    assert [(a.agreement_id, a.responsible, a.due_on, a.meeting_id, a.goal_id, a.status)
            for a in state.agreements.values()] == [
        ("A1", SOCIAL, date.fromisoformat(soon(14)), "M1", "G1", "open"),
        ("A2", HOLDER, date.fromisoformat(soon(60)), "M1", None, "open")]


def test_an_agreement_at_a_meeting_needs_a_responsible_participant_and_a_due_date(
    ledger: DomainLedger,
) -> None:
    case = meeting_case(ledger)
    base = {"meeting_id": "M1", "attendees": [HOLDER, SOCIAL], "minutes": "Referat"}
    good = {"text": "Søger bolig", "responsible": SOCIAL, "due_on": soon()}
    invalid(case, "meeting.hold", "agreements.0.due_on", **base,
            agreements=[{"text": "Søger bolig", "responsible": SOCIAL}])
    invalid(case, "meeting.hold", "agreements.1.responsible", **base,
            agreements=[good, {"text": "Ringer", "due_on": soon()}])
    # A rule refusing the second agreement stores nothing: not the meeting, not the first one.
    refused(case, "meeting.hold", "participant.unknown", r"carl@misbrugscenter is not an active",
            **base, agreements=[good, {**good, "responsible": ADDICTION}])
    refused(case, "meeting.hold", "agreement.due", r"due_on is before", **base,
            agreements=[{**good, "due_on": (date.today() - timedelta(days=2)).isoformat()}])
    state = case.state
    assert state.meetings["M1"].status == "convened" and state.agreements == {}


def test_agreements_at_a_meeting_come_after_the_plan_is_accepted(ledger: DomainLedger) -> None:
    case = meeting_case(ledger, accept=False)
    refused(case, "meeting.hold", "plan.not_accepted", r"plan has not been accepted",
            meeting_id="M1", attendees=[HOLDER], minutes="Referat",
            agreements=[{"text": "Søger bolig", "responsible": SOCIAL, "due_on": soon()}])
    hold(case)  # a meeting without agreements is held before the plan is accepted
    assert case.state.meetings["M1"].status == "held" and case.state.agreements == {}


def test_a_meeting_logged_the_day_after_carries_its_business_time(ledger: DomainLedger) -> None:
    case = meeting_case(ledger, starts_at=in_days(-1.5), convened_at=in_days(-7))
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(microsecond=0)
    result = case.do("meeting.hold", meeting_id="M1", attendees=[HOLDER], minutes="Referat",
                     occurred_at=yesterday.isoformat(),
                     agreements=[{"text": "Ringer", "responsible": SOCIAL, "due_on": soon(7)}])
    for event in events_of(case, result):
        assert event.occurred_at == yesterday and event.recorded_at > yesterday


def test_an_attendee_outside_the_case_is_refused(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    refused(case, "meeting.hold", "participant.unknown", r"carl@misbrugscenter is not an active",
            meeting_id="M1", attendees=[HOLDER, ADDICTION], minutes="Referat")


def test_only_the_holder_records_a_meeting_as_held(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    refused(case, "meeting.hold", "baton.not_holder", NOT_HOLDER + r" record a meeting as held",
            actor=SOCIAL, meeting_id="M1", attendees=[SOCIAL], minutes="Referat")


def test_a_meeting_is_held_only_once_and_never_after_it_is_cancelled(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    hold(case)
    refused(case, "meeting.hold", "meeting.status", r"meeting M1 is already held",
            meeting_id="M1", attendees=[HOLDER], minutes="Igen")
    case.do("meeting.convene", starts_at=in_days(14), place="Rådhuset", invited=[SOCIAL],
            agenda=["Opfølgning"])
    case.do("meeting.cancel", meeting_id="M2", reason="Sygdom")
    refused(case, "meeting.hold", "meeting.status", r"meeting M2 is already cancelled",
            meeting_id="M2", attendees=[HOLDER], minutes="Referat")


def test_a_held_meeting_needs_attendees_and_minutes(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    invalid(case, "meeting.hold", "attendees", meeting_id="M1", attendees=[], minutes="Referat")
    invalid(case, "meeting.hold", "minutes", meeting_id="M1", attendees=[HOLDER], minutes=" ")
    assert case.state.meetings["M1"].status == "convened"


# -- cancelling ----------------------------------------------------------------------------


def test_a_convened_meeting_is_cancelled_with_a_reason(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    result = case.do("meeting.cancel", meeting_id="M1", reason="Borgeren er syg")
    assert only_event(case, result, "MeetingCancelled").data() == {
        "meeting_id": "M1", "reason": "Borgeren er syg"}
    assert case.state.meetings["M1"].status == "cancelled"


def test_a_held_meeting_cannot_be_cancelled(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    invalid(case, "meeting.cancel", "reason", meeting_id="M1")
    refused(case, "meeting.cancel", "baton.not_holder", NOT_HOLDER + r" cancel a meeting",
            actor=SOCIAL, meeting_id="M1", reason="Travlt")
    hold(case)
    refused(case, "meeting.cancel", "meeting.status", r"meeting M1 is already held",
            meeting_id="M1", reason="For sent")
    assert case.state.meetings["M1"].status == "held"


# -- minutes -------------------------------------------------------------------------------


def test_minutes_of_a_held_meeting_are_marked_as_sent(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    hold(case)
    result = case.do("meeting.minutes-sent", meeting_id="M1")
    assert only_event(case, result, "MinutesSent").data() == {
        "meeting_id": "M1", "recipients": [SOCIAL, CITIZEN]}  # the invited, by default
    assert case.state.meetings["M1"].minutes_sent is True

    other = meeting_case(ledger)
    hold(other)
    explicit = other.do("meeting.minutes-sent", meeting_id="M1", recipients=[CITIZEN])
    assert only_event(other, explicit, "MinutesSent").data()["recipients"] == [CITIZEN]


def test_minutes_of_a_meeting_not_held_cannot_be_sent(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    refused(case, "meeting.minutes-sent", "meeting.not_held", r"meeting M1 has not been held",
            meeting_id="M1")
    case.do("meeting.cancel", meeting_id="M1", reason="Sygdom")
    refused(case, "meeting.minutes-sent", "meeting.not_held", r"meeting M1 has not been held",
            meeting_id="M1")
    assert case.state.meetings["M1"].minutes_sent is False


def test_minutes_are_marked_as_sent_only_once(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    hold(case)
    case.do("meeting.minutes-sent", meeting_id="M1")
    refused(case, "meeting.minutes-sent", "meeting.minutes_sent", r"minutes of meeting M1 are already sent",
            meeting_id="M1")


def test_only_the_holder_marks_minutes_as_sent(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    hold(case)
    refused(case, "meeting.minutes-sent", "baton.not_holder", NOT_HOLDER + r" mark minutes as sent",
            actor=SOCIAL, meeting_id="M1")
    refused(case, "meeting.minutes-sent", "participant.unknown", r"carl@misbrugscenter is not an active",
            meeting_id="M1", recipients=[ADDICTION])
    assert case.state.meetings["M1"].minutes_sent is False


def test_an_unknown_meeting_is_refused(ledger: DomainLedger) -> None:
    case = meeting_case(ledger)
    for name, fields in [
        ("meeting.agenda", {"agenda": ["Velkomst"]}),
        ("meeting.hold", {"attendees": [HOLDER], "minutes": "Referat"}),
        ("meeting.cancel", {"reason": "Sygdom"}),
        ("meeting.minutes-sent", {}),
    ]:
        refused(case, name, "meeting.unknown", r"there is no meeting M7 in this case",
                meeting_id="M7", **fields)
    invalid(case, "meeting.cancel", "meeting_id", meeting_id="møde 1", reason="Sygdom")
