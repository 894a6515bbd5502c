"""The case, SPEC §3 and §4: for each rule one test that it accepts what it allows and one that it
refuses the rest, with the rule's code (or, for bad input, the field), one clear sentence, and an
unchanged log. Every test runs on the domain in memory (``DomainLedger``: decide and fold, no
database); what storage decides is tested in tests/integration.

| SPEC rule | verdict | test |
|---|---|---|
| "Every command names its actor ... plus the actor's role. The ledger records the actor | | |
| on every event" (§3) | | |
| | accepts | test_every_event_records_its_actor_and_the_actors_role |
| | refuses | test_a_command_without_an_actor_is_refused |
| | XFAIL | test_no_event_is_recorded_without_the_actors_role |
| "a person at an organisation, written `person@org`" (§3) | | |
| | accepts | test_person_at_org_refs_are_matched_case_blind_and_may_hold_danish_letters |
| | refuses | test_a_ref_not_written_person_at_org_is_refused |
| | refuses | test_a_case_cannot_be_opened_by_an_actor_not_written_person_at_org |
| "authorisation by the domain rules below is the ledger's own job": only the case's | | |
| active participants write to it (§3) | | |
| | accepts | test_an_active_participant_of_any_kind_may_write_to_the_case |
| | refuses | test_only_active_participants_may_write_to_the_case |
| "a case's subject kind is adult, child or family" (§2); "From open ... there is always | | |
| at least one holder" (§4): the opener holds | | |
| | accepts | test_a_case_opens_for_an_adult_a_child_or_a_family_with_the_opener_holding_the_baton |
| | refuses | test_a_case_is_opened_only_for_an_adult_a_child_or_a_family |
| | refuses | test_a_case_is_opened_only_for_a_pseudonymous_subject |
| "Any professional ... may open a case as a **temporary** holder" (§4) | | |
| | accepts | test_any_professional_may_open_a_case_as_temporary_holder |
| | refuses | test_a_case_is_not_opened_by_a_non_professional |
| joining; the subject kind "selects the consent policy" (§2, §6) | | |
| | accepts | test_a_participant_joins_leaves_and_may_rejoin |
| | accepts | test_the_subject_kind_selects_who_joins_without_a_consent |
| | refuses | test_an_active_participant_cannot_join_twice |
| | refuses | test_a_child_or_family_case_admits_a_professional_only_under_a_covering_consent |
| leaving: a participant leaves, or the holder takes them off (§4 is silent on who) | | |
| | accepts | test_the_holder_may_take_a_participant_off_the_case |
| | refuses | test_only_the_participant_or_the_holder_may_take_someone_off_the_case |
| "A participant who holds, or is in an exchange, cannot leave the case" (§4) | | |
| | accepts | test_a_holder_can_leave_once_the_exchange_is_complete |
| | refuses | test_a_holder_cannot_leave_the_case |
| "faser: 1 local efforts, 2 cross-disciplinary discussion, 3 holistic solutions" (§2) | | |
| | accepts | test_a_case_starts_in_phase_1_and_the_holder_moves_it_to_2_and_3 |
| | refuses | test_only_the_holder_changes_the_phase |
| | refuses | test_a_phase_change_must_change_the_phase |
| | refuses | test_there_are_only_phases_1_to_3 |
| "Only the holder closes the case" (§4) | | |
| | accepts | test_the_holder_closes_the_case_with_a_written_further_course |
| | refuses | test_only_the_holder_can_close_the_case |
| "... with no open exchange" (§4) | | |
| | accepts | test_baton_rules.py::test_from_open_to_close_there_is_always_a_holder |
| | refuses | test_a_case_cannot_be_closed_during_a_hand_over |
| "a written further course (which sector plans live on, who follows up)" (§4) | | |
| | accepts | test_the_holder_closes_the_case_with_a_written_further_course |
| | refuses | test_a_case_is_not_closed_without_a_written_further_course |
| | refuses | test_whoever_follows_up_must_be_an_active_participant |
| | XFAIL | test_a_continuing_sector_plan_must_be_linked_to_the_case |
| "every open agreement completed, cancelled or reassigned" (§4) | | |
| | accepts | test_a_case_closes_once_every_agreement_is_completed_cancelled_or_reassigned |
| | refuses | test_a_case_cannot_be_closed_with_open_agreements |
| reopen: `CaseReopened` (§8), `case reopen` (§11); a closed case takes no new entries | | |
| | refuses | test_a_closed_case_takes_no_new_entries_until_reopened |
| | accepts | test_the_last_holder_reopens_the_case_and_holds_the_baton_again |
| | accepts | test_another_professional_reopens_the_case_as_temporary_holder |
| | refuses | test_only_a_closed_case_can_be_reopened |
| | refuses | test_a_case_is_reopened_only_by_an_active_professional_participant |
| | refuses | test_a_case_is_not_reopened_without_a_reason |
| | XFAIL | test_baton_rules.py::test_a_temporary_holder_who_closes_and_reopens_stays_temporary |
"""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest

from stafet import InvalidCommand
from stafet.domain import events as ev
from tests.helpers import ADDICTION, CITIZEN, HOLDER, SOCIAL, VOLUNTEER, Scenario, soon
from tests.rules._domain import DomainLedger
from tests.rules._support import (
    OPEN,
    OUTSIDER,
    OpenedWith,
    events,
    flags,
    invalid,
    last,
    refusal,
    refused_open,
    to_stage,
    types,
)

NOT_PROFESSIONAL = ["volunteer", "citizen", "relative", "advocate", "interpreter"]
CLOSE = {"further_course": "Jobcentret følger op i Min Plan", "follow_up_by": HOLDER}


def busy_case(ledger: DomainLedger) -> Scenario:
    """HOLDER holds an adult's case; SOCIAL (authority) and VOLUNTEER have joined."""
    scenario = Scenario(ledger)
    scenario.join(SOCIAL)
    scenario.join(VOLUNTEER, kind="volunteer")
    return scenario


# -- §3 actors and identity -------------------------------------------------------------------


def test_every_event_records_its_actor_and_the_actors_role(ledger: DomainLedger) -> None:
    case = OpenedWith(ledger, actor_role="koordinerende sagsbehandler")
    case.do("case.join", actor_role="koordinerende sagsbehandler", participant=SOCIAL, kind="authority")
    case.do("note", actor=SOCIAL, actor_role="socialrådgiver", text="Møde aftalt med borgeren")

    assert [(type(e).__name__, e.actor, e.actor_role) for e in events(case)] == [
        ("CaseOpened", HOLDER, "koordinerende sagsbehandler"),
        ("ParticipantJoined", HOLDER, "koordinerende sagsbehandler"),
        ("NoteLogged", SOCIAL, "socialrådgiver"),
    ]


def test_no_event_is_recorded_without_the_actors_role(ledger: DomainLedger) -> None:
    case = Scenario(ledger)  # opened without actor_role, as the README does
    with contextlib.suppress(InvalidCommand):  # refusing it would keep the rule too
        case.do("note", actor=HOLDER, text="Skrevet uden rolle")
    assert [(type(e).__name__, e.actor_role) for e in events(case) if not e.actor_role] == []


def test_a_command_without_an_actor_is_refused(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    invalid(case.ledger, "note", {"case_id": case.case_id, "text": "Hvem skrev dette?"},
            "actor", r"is required")
    invalid(case.ledger, "case.open", {k: v for k, v in OPEN.items() if k != "actor"},
            "actor", r"is required")


def test_person_at_org_refs_are_matched_case_blind_and_may_hold_danish_letters(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.join("Søren@Børnehuset-Åby", kind="provider", actor="ANNE@JobCenter")
    case.do("baton.hand", actor=" Anne@Jobcenter ", to="SØREN@BØRNEHUSET-ÅBY")

    joined, handed = events(case)[-2:]
    assert isinstance(joined, ev.ParticipantJoined) and isinstance(handed, ev.BatonHanded)
    assert (joined.actor, joined.participant.ref) == (HOLDER, "søren@børnehuset-åby")
    assert (handed.actor, handed.to) == (HOLDER, "søren@børnehuset-åby")
    assert case.state.baton.offered_to == "søren@børnehuset-åby"


BAD_REFS: list[tuple[str, dict[str, Any], str]] = [
    ("note", {"actor": "anne", "text": "x"}, "actor"),
    ("note", {"actor": "anne@", "text": "x"}, "actor"),
    ("note", {"actor": "@jobcenter", "text": "x"}, "actor"),
    ("note", {"actor": "anne bo@jobcenter", "text": "x"}, "actor"),
    ("note", {"actor": "anne@job@center", "text": "x"}, "actor"),
    ("baton.hand", {"actor": HOLDER, "to": "bo"}, "to"),
    ("case.join", {"actor": HOLDER, "participant": "@socialcenter", "kind": "authority"}, "participant"),
    ("case.close", {"actor": HOLDER, "further_course": "x", "follow_up_by": "bo socialcenter"},
     "follow_up_by"),
]


def test_a_ref_not_written_person_at_org_is_refused(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    for name, fields, field in BAD_REFS:
        invalid(case.ledger, name, {"case_id": case.case_id, **fields}, field,
                r"must be written person@org, for example anne@jobcenter")


def test_a_case_cannot_be_opened_by_an_actor_not_written_person_at_org(ledger: DomainLedger) -> None:
    invalid(ledger, "case.open", {**OPEN, "actor": "jobcentret"}, "actor", r"person@org")


@pytest.mark.parametrize(("who", "kind"), [(VOLUNTEER, "volunteer"), (CITIZEN, "citizen")])
def test_an_active_participant_of_any_kind_may_write_to_the_case(
    ledger: DomainLedger, who: str, kind: str
) -> None:
    case = Scenario(ledger)
    case.join(who, kind=kind)

    case.do("note", actor=who, text="Jeg var med til mødet i går")

    noted = last(case)
    assert (type(noted).__name__, noted.actor) == ("NoteLogged", who)


def test_only_active_participants_may_write_to_the_case(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "note", "participant.unknown",
            r"^eva@udenfor \(you\) is not an active participant of this case$",
            actor=OUTSIDER, text="Jeg kender borgeren")
    case.do("case.leave", actor=SOCIAL, participant=SOCIAL)
    refusal(case, "note", "participant.unknown",
            r"^bo@socialcenter \(you\) is not an active participant of this case$",
            actor=SOCIAL, text="Efter jeg forlod sagen")
    refusal(case, "case.join", "participant.unknown", r"eva@udenfor \(you\) is not an active",
            actor=OUTSIDER, participant=OUTSIDER, kind="authority")


# -- opening a case ---------------------------------------------------------------------------


def test_a_case_opens_for_an_adult_a_child_or_a_family_with_the_opener_holding_the_baton(
    ledger: DomainLedger,
) -> None:
    for subject_kind in ("adult", "child", "family"):
        _opens_with_the_opener_holding(ledger, subject_kind)
    assert len(ledger.case_ids()) == 3


def _opens_with_the_opener_holding(ledger: DomainLedger, subject_kind: str) -> None:
    result = ledger.run("case.open", {**OPEN, "subject_kind": subject_kind, "temporary": False})

    assert ([e.type for e in result.events], result.version) == (["CaseOpened"], 1)
    opened = ledger.history(result.case_id)[0]
    assert isinstance(opened, ev.CaseOpened)
    assert (opened.subject_kind, opened.subject_ref, opened.holder.ref) == (
        subject_kind, "borger-4711", HOLDER)
    state = ledger.get_case(result.case_id)
    assert (state.status, state.phase, state.subject_kind) == ("open", 1, subject_kind)
    assert (state.baton.stage, state.baton.holder, state.holders) == ("held", HOLDER, [HOLDER])
    assert state.participants[HOLDER].kind == "authority" and state.participants[HOLDER].active


def test_a_case_is_opened_only_for_an_adult_a_child_or_a_family(ledger: DomainLedger) -> None:
    invalid(ledger, "case.open", {**OPEN, "subject_kind": "teenager"}, "subject_kind",
            r"'adult', 'child' or 'family'")
    invalid(ledger, "case.open", {k: v for k, v in OPEN.items() if k != "subject_kind"},
            "subject_kind", r"is required")


def test_a_case_is_opened_only_for_a_pseudonymous_subject(ledger: DomainLedger) -> None:
    invalid(ledger, "case.open", {**OPEN, "subject_ref": "010190-1234"}, "subject_ref",
            r"looks like a CPR number; use a pseudonymous reference")


@pytest.mark.parametrize("holder_kind", ["authority", "provider"])
def test_any_professional_may_open_a_case_as_temporary_holder(ledger: DomainLedger, holder_kind: str) -> None:
    opened = ledger.run("case.open", {**OPEN, "actor": "lis@botilbud", "holder_kind": holder_kind})

    state = ledger.get_case(opened.case_id)
    assert (state.baton.holder, state.baton.temporary) == ("lis@botilbud", True)  # the default
    assert state.participants["lis@botilbud"].kind == holder_kind
    assert flags(state, ledger.policy)["temporary_holder"].since == state.opened_at + timedelta(days=7)


def test_a_case_is_not_opened_by_a_non_professional(ledger: DomainLedger) -> None:
    for holder_kind in NOT_PROFESSIONAL:
        refused_open(ledger, "case.opener",
                     r"^a case is opened by a professional of an authority or a provider, who holds "
                     r"the baton$", **{**OPEN, "actor": "ida@et-sted", "holder_kind": holder_kind})
    assert ledger.case_ids() == []


# -- joining, and the subject kind selecting the consent policy -------------------------------


def test_a_participant_joins_leaves_and_may_rejoin(ledger: DomainLedger) -> None:
    case = Scenario(ledger)

    case.do("case.join", participant=SOCIAL, kind="authority", title="Socialrådgiver",
            participant_name="Bo Hansen")
    joined = last(case)
    assert isinstance(joined, ev.ParticipantJoined)
    assert (joined.participant.ref, joined.participant.kind, joined.participant.title,
            joined.participant.name) == (SOCIAL, "authority", "Socialrådgiver", "Bo Hansen")
    assert case.state.participants[SOCIAL].active

    case.do("case.leave", actor=SOCIAL, participant=SOCIAL, reason="Sagen overgår til voksenteamet")
    left = last(case)
    assert isinstance(left, ev.ParticipantLeft)
    assert (left.actor, left.ref, left.reason) == (SOCIAL, SOCIAL, "Sagen overgår til voksenteamet")
    gone = case.state.participants[SOCIAL]
    assert not gone.active and gone.left_at is not None

    case.join(SOCIAL)
    assert case.state.participants[SOCIAL].active
    assert types(case)[1:] == ["ParticipantJoined", "ParticipantLeft", "ParticipantJoined"]


def test_an_active_participant_cannot_join_twice(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "case.join", "participant.already",
            r"^bo@socialcenter is already an active participant$", participant=SOCIAL, kind="provider")
    refusal(case, "case.join", "participant.already", r"anne@jobcenter is already an active participant",
            participant=HOLDER, kind="authority")


def test_the_subject_kind_selects_who_joins_without_a_consent(ledger: DomainLedger) -> None:
    adult = Scenario(ledger, subject_kind="adult")
    adult.join(SOCIAL)  # an adult's case needs no consent to bring a professional in
    child = Scenario(ledger, subject_kind="child")
    child.join("mor@hjemme", kind="relative")  # the family's own side never needs one
    child.join(CITIZEN, kind="citizen")
    child.consent_for("@socialcenter")
    child.join(SOCIAL)  # covered by the custody holder's consent to the whole organisation

    assert adult.state.participants[SOCIAL].active
    assert {ref for ref, p in child.state.participants.items() if p.active} == {
        HOLDER, "mor@hjemme", CITIZEN, SOCIAL}


@pytest.mark.parametrize("subject_kind", ["child", "family"])
def test_a_child_or_family_case_admits_a_professional_only_under_a_covering_consent(
    ledger: DomainLedger, subject_kind: str
) -> None:
    case = Scenario(ledger, subject_kind=subject_kind)
    case.consent_for(ADDICTION)  # covers somebody else
    refusal(case, "case.join", "participant.consent",
            rf"^a {subject_kind}'s case admits bo@socialcenter only under an active consent that "
            r"covers them; record the consent first \(C1 'koordinering' covers carl@misbrugscenter\)$",
            participant=SOCIAL, kind="authority")


# -- leaving; a holder cannot leave --------------------------------------------------------------


def test_the_holder_may_take_a_participant_off_the_case(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("case.leave", participant=VOLUNTEER, reason="Forløbet i frivilligcentret er slut")

    left = last(case)
    assert isinstance(left, ev.ParticipantLeft) and (left.actor, left.ref) == (HOLDER, VOLUNTEER)
    assert not case.state.participants[VOLUNTEER].active


def test_only_the_participant_or_the_holder_may_take_someone_off_the_case(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "case.leave", "participant.leave_by",
            r"^only dorte@frivilligcenter themselves or the holder can take them off the case$",
            actor=SOCIAL, participant=VOLUNTEER)
    refusal(case, "case.leave", "participant.unknown",
            r"eva@udenfor is not an active participant of this case", participant=OUTSIDER)


def test_a_holder_can_leave_once_the_exchange_is_complete(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.hand_over(SOCIAL)

    case.do("case.leave", actor=HOLDER, participant=HOLDER, reason="Skifter job")

    assert not case.state.participants[HOLDER].active
    assert (case.state.holders, types(case)[-1]) == ([SOCIAL], "ParticipantLeft")


@pytest.mark.parametrize(("stage", "attempts"), [
    ("held", [(HOLDER, HOLDER)]),
    ("offered", [(HOLDER, HOLDER), (SOCIAL, SOCIAL), (SOCIAL, HOLDER)]),  # (who leaves, who asks)
    ("exchange", [(HOLDER, HOLDER), (SOCIAL, SOCIAL)]),
])
def test_a_holder_cannot_leave_the_case(
    ledger: DomainLedger, stage: str, attempts: list[tuple[str, str]]
) -> None:
    case = busy_case(ledger)
    to_stage(case, stage)
    for leaving, actor in attempts:
        refusal(case, "case.leave", "participant.holds",
                rf"^{leaving} holds the baton or is in a hand-over, and cannot leave the case$",
                actor=actor, participant=leaving)
        assert case.state.participants[leaving].active


# -- phases 1-3 -------------------------------------------------------------------------------


def test_a_case_starts_in_phase_1_and_the_holder_moves_it_to_2_and_3(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    assert case.state.phase == 1

    case.do("phase", phase=2, reason="Tværfaglig drøftelse")
    assert case.state.phase == 2
    case.do("phase", phase=3, reason="Helhedsorienteret indsats")

    assert case.state.phase == 3
    changes = [e for e in events(case) if isinstance(e, ev.PhaseChanged)]
    assert [(e.actor, e.phase, e.reason) for e in changes] == [
        (HOLDER, 2, "Tværfaglig drøftelse"), (HOLDER, 3, "Helhedsorienteret indsats")]


def test_only_the_holder_changes_the_phase(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "phase", "baton.not_holder", r"^only the holder \(anne@jobcenter\) can change the phase$",
            actor=SOCIAL, phase=2)
    to_stage(case, "exchange")  # the outgoing holder no longer decides; the new one does
    refusal(case, "phase", "baton.not_holder", r"only the holder \(bo@socialcenter\) can change the phase",
            phase=2)
    case.do("phase", actor=SOCIAL, phase=2)
    assert case.state.phase == 2


def test_a_phase_change_must_change_the_phase(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "phase", "phase.unchanged", r"^the case is already in phase 1$", phase=1)


def test_there_are_only_phases_1_to_3(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    invalid(case.ledger, "phase", {"actor": HOLDER, "case_id": case.case_id, "phase": 0},
            "phase", r"greater than or equal to 1")
    invalid(case.ledger, "phase", {"actor": HOLDER, "case_id": case.case_id, "phase": 4},
            "phase", r"less than or equal to 3")


# -- closing -----------------------------------------------------------------------------------


def test_the_holder_closes_the_case_with_a_written_further_course(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("sectorplan.link", kind="handleplan SEL §141", owner=SOCIAL, system="Nexus",
            reference="HP-2026-17")

    case.do("case.close", further_course="Handleplanen fortsætter; Bo følger op om 3 måneder",
            follow_up_by=SOCIAL, continuing_sector_plans=["SP1"])

    closed = last(case)
    assert isinstance(closed, ev.CaseClosed) and closed.actor == HOLDER
    assert (closed.further_course, closed.follow_up_by, closed.continuing_sector_plans) == (
        "Handleplanen fortsætter; Bo følger op om 3 måneder", SOCIAL, ["SP1"])
    state = case.state
    assert state.status == "closed" and state.closure is not None
    assert (state.closure.follow_up_by, state.closure.continuing_sector_plans) == (SOCIAL, ["SP1"])
    assert [(h.holder, h.ended) for h in state.holds] == [(HOLDER, "case closed")]


def test_only_the_holder_can_close_the_case(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "case.close", "baton.not_holder",
            r"^only the holder \(anne@jobcenter\) can close the case$", actor=SOCIAL, **CLOSE)


@pytest.mark.parametrize(("stage", "actor", "says"), [
    ("offered", HOLDER, r"^the baton is offered to bo@socialcenter; it must be grabbed, declined or "
                        r"withdrawn before you close the case$"),
    ("exchange", SOCIAL, r"^the hand-over from anne@jobcenter to bo@socialcenter is still in its "
                         r"exchange; anne@jobcenter must release the baton before you close the case$"),
])
def test_a_case_cannot_be_closed_during_a_hand_over(
    ledger: DomainLedger, stage: str, actor: str, says: str
) -> None:
    case = busy_case(ledger)
    to_stage(case, stage)
    refusal(case, "case.close", "baton.handover_open", says, actor=actor, **CLOSE)


def test_a_case_is_not_closed_without_a_written_further_course(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    for fields, field, says in [
        ({"follow_up_by": HOLDER}, "further_course", r"is required"),
        ({"further_course": "  \n ", "follow_up_by": HOLDER}, "further_course", r"at least 1 character"),
        ({"further_course": "Jobcentret følger op"}, "follow_up_by", r"is required"),
    ]:
        invalid(case.ledger, "case.close", {"actor": HOLDER, "case_id": case.case_id, **fields},
                field, says)
    assert case.state.status == "open"


def test_whoever_follows_up_must_be_an_active_participant(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "case.close", "participant.unknown",
            r"^eva@udenfor is not an active participant of this case$",
            further_course="Eva følger op", follow_up_by=OUTSIDER)


def test_a_continuing_sector_plan_must_be_linked_to_the_case(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "case.close", "sector_plan.unknown", r"there is no sector plan SP9 in this case",
            continuing_sector_plans=["SP9"], **CLOSE)


def test_a_case_closes_once_every_agreement_is_completed_cancelled_or_reassigned(
    ledger: DomainLedger,
) -> None:
    case = busy_case(ledger)
    case.accept_plan()
    for text in ("Søg uddannelse", "Lægeattest", "Boligansøgning"):
        case.do("agreement.make", text=text, responsible=SOCIAL, due_on=soon())
    case.do("agreement.complete", agreement_id="A1")
    case.do("agreement.cancel", agreement_id="A2", reason="Ikke længere relevant")
    case.do("agreement.make", text="Boligansøgning", responsible=HOLDER, due_on=soon(), replaces="A3")
    case.do("agreement.complete", agreement_id="A4")

    case.do("case.close", **CLOSE)

    assert {a.agreement_id: a.status for a in case.state.agreements.values()} == {
        "A1": "completed", "A2": "cancelled", "A3": "reassigned", "A4": "completed"}
    assert case.state.status == "closed"


def test_a_case_cannot_be_closed_with_open_agreements(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.accept_plan()
    for text in ("Søg uddannelse", "Lægeattest", "Boligansøgning"):
        case.do("agreement.make", text=text, responsible=SOCIAL, due_on=soon())
    case.do("agreement.complete", agreement_id="A1")
    case.do("agreement.make", text="Lægeattest", responsible=HOLDER, due_on=soon(), replaces="A2")
    refusal(case, "case.close", "case.open_agreements",
            r"^2 agreement\(s\) are still open \(A3, A4\); complete, cancel or reassign them "
            r"before closing$", **CLOSE)


def test_a_closed_case_takes_no_new_entries_until_reopened(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("case.close", **CLOSE)
    for name, actor, fields in [
        ("note", SOCIAL, {"text": "Efter lukning"}),
        ("baton.hand", HOLDER, {"to": SOCIAL}),
        ("case.join", HOLDER, {"participant": ADDICTION, "kind": "authority"}),
        ("case.leave", VOLUNTEER, {"participant": VOLUNTEER}),
        ("phase", HOLDER, {"phase": 2}),
        ("case.close", HOLDER, CLOSE),
    ]:
        refusal(case, name, "case.closed", r"^the case is closed; reopen it before writing to it$",
                actor=actor, **fields)


# -- reopening ---------------------------------------------------------------------------------


def test_the_last_holder_reopens_the_case_and_holds_the_baton_again(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("case.close", **CLOSE)

    case.do("case.reopen", reason="Borgeren er faldet fra uddannelsen")

    reopened = last(case)
    assert isinstance(reopened, ev.CaseReopened)
    assert (reopened.actor, reopened.reason, reopened.temporary) == (
        HOLDER, "Borgeren er faldet fra uddannelsen", False)
    state = case.state
    assert (state.status, state.closure, state.baton.stage, state.baton.holder) == (
        "open", None, "held", HOLDER)
    assert [(h.holder, h.ended) for h in state.holds] == [(HOLDER, "case closed"), (HOLDER, None)]
    case.do("note", text="Skrives igen")


def test_another_professional_reopens_the_case_as_temporary_holder(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("case.close", **CLOSE)

    case.do("case.reopen", actor=SOCIAL, reason="Ny underretning")

    reopened = last(case)
    assert isinstance(reopened, ev.CaseReopened) and (reopened.actor, reopened.temporary) == (SOCIAL, True)
    state = case.state
    assert (state.baton.holder, state.baton.temporary, state.holders) == (SOCIAL, True, [SOCIAL])
    assert flags(state, case.ledger.policy)["temporary_holder"].since == state.baton.since + timedelta(days=7)


def test_only_a_closed_case_can_be_reopened(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "case.reopen", "case.not_closed",
            r"^the case is open; only a closed case can be reopened$", reason="Ny bekymring")


def test_a_case_is_reopened_only_by_an_active_professional_participant(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("case.close", **CLOSE)
    refusal(case, "case.reopen", "baton.not_professional",
            r"^dorte@frivilligcenter takes part as volunteer; only an authority or a provider can hold "
            r"the baton$", actor=VOLUNTEER, reason="Ny bekymring")
    refusal(case, "case.reopen", "participant.unknown",
            r"^eva@udenfor \(you\) is not an active participant of this case$",
            actor=OUTSIDER, reason="Ny bekymring")
    assert case.state.status == "closed"


def test_a_case_is_not_reopened_without_a_reason(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("case.close", **CLOSE)
    invalid(case.ledger, "case.reopen", {"actor": HOLDER, "case_id": case.case_id, "reason": " "},
            "reason", r"at least 1 character")
