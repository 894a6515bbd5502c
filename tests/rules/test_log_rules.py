"""The log itself: notes, corrections that point at an earlier entry, and what every command's
fields must be (SPEC §1, §3, §8, §10).

Every test runs on the domain in memory (``DomainLedger``: decide and fold, no database);
what storage decides is tested in tests/integration. Refusals are checked for the rule's
code, one clear sentence naming the rule or field, and an unchanged log.

| SPEC rule (§) | tests |
|---|---|
| notes in the log (NoteLogged, §8); "The ledger records the actor on every event" (§3, §8) | |
| | test_a_note_is_logged_with_its_author_and_times |
| | test_a_note_by_someone_outside_the_case_is_refused |
| | test_a_blank_note_is_invalid |
| "mistakes are corrected by new events that reference the old one" (§1) | |
| | test_a_correction_references_an_earlier_position_and_leaves_it_unchanged |
| | test_a_correction_of_a_position_that_does_not_exist_is_refused |
| | test_a_correction_position_must_be_a_whole_number_from_1 |
| | test_a_correction_needs_a_text_and_a_reason |
| | test_a_correction_by_someone_outside_the_case_is_refused |
| | test_a_correction_on_an_unknown_case_is_refused (in tests/integration/test_text_is_data.py) |
| "Every command names its actor ... person@org" (§3, §10) | |
| | test_the_actor_is_stored_as_person_at_org_in_lower_case |
| | test_an_actor_not_written_person_at_org_is_invalid |
| "an optional business time (occurred_at)" (§8, §10) | test_a_note_is_logged_with_its_author_and_times |
| | test_a_business_time_that_is_not_a_time_is_invalid |
| a business time tells when something happened, so it is not in the future (issue 13, 17) | |
| | test_a_business_time_in_the_future_is_refused_for_every_command |
| | test_a_business_time_a_few_minutes_ahead_is_allowed_and_the_grace_is_policy |
| "Danish letters, long texts and odd Unicode are data, not errors" (§10) | |
| | test_danish_letters_long_texts_and_odd_unicode_in_a_note_are_data |
| | (moved to tests/integration/test_text_is_data.py: storage keeps the text) |
| | test_a_note_over_the_length_limit_or_with_nul_is_invalid |
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stafet.domain.policy import Policy
from tests.helpers import HOLDER, SOCIAL, VOLUNTEER, Scenario
from tests.integration.test_event_roundtrip import OPEN, story
from tests.rules._domain import DomainLedger
from tests.rules._plan_support import MONDAY, Clock, invalid, only_event, refused
from tests.rules._support import one_sentence, refused_open


def case_with_note(ledger: DomainLedger) -> Scenario:
    """An adult's case: 1 CaseOpened, 2 SOCIAL joined, 3 a note by SOCIAL."""
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.do("note", actor=SOCIAL, text="Borgeren mødte ikke op tirsdag.")
    return case


# -- notes ---------------------------------------------------------------------------------


def test_a_note_is_logged_with_its_author_and_times(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    before = datetime.now(UTC)
    result = case.do("note", actor=SOCIAL, text="Talt med borgeren i telefon.")
    late = case.do("note", text="Hjemmebesøg i går.", occurred_at="2026-11-02T14:15:00")

    note = only_event(case, result, "NoteLogged")
    assert note.data() == {"text": "Talt med borgeren i telefon."}
    assert (note.position, note.actor, note.occurred_at) == (3, SOCIAL, None)
    assert note.recorded_at >= before.replace(microsecond=0)
    logged_late = only_event(case, late, "NoteLogged")
    assert logged_late.actor == HOLDER
    assert logged_late.occurred_at == datetime(2026, 11, 2, 13, 15, tzinfo=UTC)  # Copenhagen time
    assert case.state.version == 4


def test_a_note_by_someone_outside_the_case_is_refused(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    refused(case, "note", "participant.unknown",
            r"dorte@frivilligcenter \(you\) is not an active participant of this case",
            actor=VOLUNTEER, text="Jeg kender borgeren.")
    case.do("case.leave", actor=SOCIAL, participant=SOCIAL)
    refused(case, "note", "participant.unknown", r"bo@socialcenter \(you\) is not an active",
            actor=SOCIAL, text="Et notat efter jeg gik.")


def test_a_blank_note_is_invalid(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    invalid(case, "note", "text")
    invalid(case, "note", "text", text="")
    invalid(case, "note", "text", text=" \t\n ")
    invalid(case, "note", "texts", text="x", texts="y")  # not a field of this command


# -- corrections ---------------------------------------------------------------------------


def test_a_correction_references_an_earlier_position_and_leaves_it_unchanged(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    original = [e.model_dump() for e in ledger.history(case.case_id)]
    result = case.do("correct", actor=SOCIAL, position=3,
                     correction="Borgeren mødte ikke op onsdag.", reason="Forkert ugedag")
    again = case.do("correct", position=4, correction="Det var torsdag.", reason="Fejl i rettelsen")

    event = only_event(case, result, "EntryCorrected")
    assert event.data() == {"corrects_position": 3, "correction": "Borgeren mødte ikke op onsdag.",
                            "reason": "Forkert ugedag"}
    assert (event.position, event.actor) == (4, SOCIAL)
    assert only_event(case, again, "EntryCorrected").data()["corrects_position"] == 4
    history = ledger.history(case.case_id)
    assert [e.model_dump() for e in history[:3]] == original  # nothing edited in place
    assert history[2].data() == {"text": "Borgeren mødte ikke op tirsdag."}


def test_a_correction_of_a_position_that_does_not_exist_is_refused(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    refused(case, "correct", "correct.position",
            r"there is no entry at position 99; this case has 3 entries",
            position=99, correction="Rettelse", reason="Fejl")
    # The position this correction would itself be stored at is not an earlier entry either.
    refused(case, "correct", "correct.position", r"no entry at position 4",
            position=4, correction="Rettelse", reason="Fejl")


def test_a_correction_position_must_be_a_whole_number_from_1(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    for position in (0, -3, 1.5, "tre"):
        invalid(case, "correct", "position", position=position, correction="Rettelse", reason="Fejl")
    invalid(case, "correct", "position", correction="Rettelse", reason="Fejl")


def test_a_correction_needs_a_text_and_a_reason(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    invalid(case, "correct", "correction", position=3, reason="Fejl")
    invalid(case, "correct", "correction", position=3, correction="  ", reason="Fejl")
    invalid(case, "correct", "reason", position=3, correction="Rettelse")
    invalid(case, "correct", "reason", position=3, correction="Rettelse", reason="")


def test_a_correction_by_someone_outside_the_case_is_refused(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    refused(case, "correct", "participant.unknown", r"dorte@frivilligcenter \(you\) is not an active",
            actor=VOLUNTEER, position=3, correction="Rettelse", reason="Fejl")


# -- actors and times ----------------------------------------------------------------------


def test_the_actor_is_stored_as_person_at_org_in_lower_case(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    result = case.do("note", actor="  Bo@SocialCenter ", text="Skrevet med store bogstaver")
    assert only_event(case, result, "NoteLogged").actor == SOCIAL


def test_an_actor_not_written_person_at_org_is_invalid(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    for actor in ("bo", "bo@", "@socialcenter", "bo@social center", "bo@social@center", ""):
        message = invalid(case, "note", "actor", actor=actor, text="Notat")
        if actor:
            assert "person@org" in message


def test_a_business_time_that_is_not_a_time_is_invalid(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    for occurred_at in ("i går", "2026-02-30T10:00", "2026-11-02T25:00"):
        invalid(case, "note", "occurred_at", text="Notat", occurred_at=occurred_at)


def test_a_business_time_in_the_future_is_refused_for_every_command(
        clocked_ledger: DomainLedger, clock: Clock) -> None:
    """The round trip's story records every event type; each of its commands is first sent
    dated in 2999 (refused, nothing stored), then as the story has it."""
    future = "2999-01-01T10:00:00"
    refused_open(clocked_ledger, "occurred_at.future", r"^occurred_at 1 Jan 2999 10:00 is in the "
                 r"future \(it is now 2 Mar 2026 10:00\)", **{**OPEN, "occurred_at": future})
    case = Scenario(clocked_ledger, temporary=True)
    names = set()
    for name, fields in story(case.case_id):
        dated = {k: v for k, v in fields.items() if k not in ("command_id", "case_id")}
        refused(case, name, "occurred_at.future", "is in the future",
                **{**dated, "occurred_at": future})
        clocked_ledger.run(name, fields)
        names.add(name)
        clock.advance(minutes=1)
    assert {"consent.give", "share", "baton.hand", "meeting.hold", "note"} <= names


def test_a_business_time_a_few_minutes_ahead_is_allowed_and_the_grace_is_policy(
        clock: Clock) -> None:
    """Clocks differ a little: up to ``future_skew_minutes`` (5 by default) ahead is allowed."""
    ledger = DomainLedger(clock=clock)
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.do("note", text="Lige nu", occurred_at=clock.now)
    case.do("note", text="Uret går lidt foran", occurred_at=clock.now + timedelta(minutes=5))
    message = refused(case, "note", "occurred_at.future", "is in the future", text="For tidligt",
                      occurred_at=clock.now + timedelta(minutes=5, seconds=1))
    one_sentence(message)
    refused(case, "baton.hand", "occurred_at.future", "is in the future", to=SOCIAL,
            occurred_at=clock.now + timedelta(days=1))

    strict = DomainLedger(clock=clock, policy=Policy(future_skew_minutes=0))
    exact = Scenario(strict)
    exact.do("note", text="Nu", occurred_at=clock.now)
    refused(exact, "note", "occurred_at.future", "is in the future", text="Et sekund frem",
            occurred_at=clock.now + timedelta(seconds=1))
    assert clock.now == MONDAY


@pytest.mark.parametrize("minutes", [-1, 24 * 60 + 1])
def test_the_grace_for_business_times_is_minutes_within_a_day(minutes: int) -> None:
    with pytest.raises(ValueError, match="future_skew_minutes"):
        Policy(future_skew_minutes=minutes)


# -- §10: text is data ---------------------------------------------------------------------


def test_a_note_over_the_length_limit_or_with_nul_is_invalid(ledger: DomainLedger) -> None:
    case = case_with_note(ledger)
    assert "200000" in invalid(case, "note", "text", text="å" * 200_001)
    assert "NUL" in invalid(case, "note", "text", text="før\x00efter")
