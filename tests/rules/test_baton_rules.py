"""The baton, SPEC §4: for each rule one test that it accepts what it allows and one that it
refuses the rest, with the rule's code, one clear sentence naming the rule, and an unchanged log
(``Scenario.refused``). Every test runs on the domain in memory (``DomainLedger``: decide
and fold, no database); what storage decides is tested in tests/integration.

| SPEC rule | verdict | test |
|---|---|---|
| "HELD(h) --hand(to=t)--> OFFERED(h→t)"; "Only the holder hands" (§4) | | |
| | accepts | test_the_holder_hands_the_baton_to_an_active_professional_who_is_then_offered_it |
| | refuses | test_only_the_holder_can_hand_the_baton_on |
| "the target is an active professional participant other than the holder" (§4) | | |
| | accepts | test_the_holder_hands_the_baton_to_an_active_professional_who_is_then_offered_it |
| | refuses | test_the_baton_is_handed_only_to_an_authority_or_a_provider |
| | refuses | test_the_baton_is_handed_only_to_an_active_participant |
| | refuses | test_the_holder_cannot_hand_the_baton_to_themselves |
| "one offer at a time" (§4) | | |
| | accepts | test_a_new_offer_can_be_made_once_the_previous_one_is_declined_or_withdrawn |
| | refuses | test_only_one_offer_at_a_time |
| "--grab(by=t)--> EXCHANGE(h→t, t holds)"; "Only the target grabs" (§4) | | |
| | accepts | test_the_offered_professional_grabs_and_both_are_listed_in_the_exchange |
| | refuses | test_only_the_offered_professional_can_grab |
| | refuses | test_nobody_can_grab_a_baton_that_is_not_on_offer |
| | XFAIL | test_a_second_grab_in_the_exchange_is_refused_without_claiming_the_baton_was_never_handed |
| "EXCHANGE(h→t, t holds) --release(by=h)--> HELD(t)" (§4) | | |
| | accepts | test_the_outgoing_holder_releases_and_the_new_holder_holds_alone |
| | refuses | test_only_the_outgoing_holder_can_release |
| "Release is refused unless another holder has grabbed" (§4) | | |
| | accepts | test_the_outgoing_holder_releases_and_the_new_holder_holds_alone |
| | refuses | test_release_is_refused_until_another_authority_has_grabbed |
| "OFFERED --decline(by=t) ...--> HELD(h)" (§4) | | |
| | accepts | test_the_offered_professional_can_decline_and_the_holder_keeps_the_baton |
| | refuses | test_only_the_offered_professional_can_decline |
| | refuses | test_there_is_nothing_to_decline_unless_the_baton_is_on_offer |
| "OFFERED --... withdraw(by=h)--> HELD(h)" (§4) | | |
| | accepts | test_the_holder_can_withdraw_an_offer_before_it_is_grabbed |
| | refuses | test_only_the_holder_can_withdraw_an_offer |
| | refuses | test_there_is_nothing_to_withdraw_unless_the_baton_is_on_offer |
| "the outgoing holder is still listed until they release"; "A new hand-off starts only | | |
| after the exchange is complete" (§4) | | |
| | accepts | test_the_offered_professional_grabs_and_both_are_listed_in_the_exchange |
| | accepts | test_the_new_holder_hands_on_only_after_the_exchange_is_complete |
| | refuses | test_a_new_hand_off_is_refused_while_the_exchange_is_open |
| "From open to close there is always at least one holder. Never zero." (§4) | | |
| | accepts | test_from_open_to_close_there_is_always_a_holder |
| | refuses | test_release_is_refused_until_another_authority_has_grabbed |
| | refuses | test_case_rules.py::test_a_holder_cannot_leave_the_case |
| | XFAIL | test_a_backdated_release_cannot_leave_the_case_without_a_holder |
| "open a case as a **temporary** holder; a permanent holder should be in place within | | |
| 7 days" (§4; the 7 days are `Policy.temporary_holder_days`) | | |
| | accepts | test_a_temporary_holder_is_flagged_after_seven_days_until_a_permanent_holder_grabs |
| | accepts | test_a_declined_or_withdrawn_offer_leaves_the_holder_temporary |
| | accepts | test_the_temporary_holder_limit_is_a_policy_setting |
| | refuses | test_a_temporary_holder_stays_temporary_until_a_professional_has_grabbed |
| | XFAIL | test_a_temporary_holder_who_closes_and_reopens_stays_temporary |
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest

from stafet import Policy, RuleViolation
from stafet.domain import events as ev
from tests.helpers import ADDICTION, HOLDER, SOCIAL, VOLUNTEER, Scenario
from tests.rules._domain import DomainLedger
from tests.rules._support import (
    OUTSIDER,
    OpenedWith,
    assert_always_held,
    events,
    flags,
    last,
    refusal,
    to_stage,
    types,
)

NOT_PROFESSIONAL = ["volunteer", "citizen", "relative", "advocate", "interpreter"]


def busy_case(ledger: DomainLedger) -> Scenario:
    """HOLDER holds; SOCIAL and ADDICTION (authorities) and VOLUNTEER have joined."""
    scenario = Scenario(ledger)
    scenario.join(SOCIAL)
    scenario.join(ADDICTION)
    scenario.join(VOLUNTEER, kind="volunteer")
    return scenario


# -- hand --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["authority", "provider"])
def test_the_holder_hands_the_baton_to_an_active_professional_who_is_then_offered_it(
    ledger: DomainLedger, kind: str
) -> None:
    case = Scenario(ledger)
    case.join("lis@botilbud", kind=kind)

    result = case.do("baton.hand", to="lis@botilbud", note="Overtager koordineringen")

    assert [e.type for e in result.events] == ["BatonHanded"]
    handed = last(case)
    assert isinstance(handed, ev.BatonHanded)
    assert (handed.actor, handed.to, handed.note) == (HOLDER, "lis@botilbud", "Overtager koordineringen")
    baton = case.state.baton
    assert (baton.stage, baton.holder, baton.offered_to) == ("offered", HOLDER, "lis@botilbud")
    assert case.state.holders == [HOLDER]  # an offer moves nothing yet


def test_only_the_holder_can_hand_the_baton_on(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "baton.hand", "baton.not_holder",
            r"only the holder \(anne@jobcenter\) can hand the baton on",
            actor=SOCIAL, to=ADDICTION)
    assert case.state.baton.stage == "held"


def test_the_baton_is_handed_only_to_an_authority_or_a_provider(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    for kind in NOT_PROFESSIONAL:
        case.join(f"ida@{kind}", kind=kind)
        refusal(case, "baton.hand", "baton.not_professional",
                rf"^ida@{kind} takes part as {kind}; only an authority or a provider can hold the baton$",
                to=f"ida@{kind}")
    assert case.state.baton.stage == "held"


def test_the_baton_is_handed_only_to_an_active_participant(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "baton.hand", "participant.unknown",
            r"eva@udenfor is not an active participant of this case", to=OUTSIDER)
    case.do("case.leave", actor=SOCIAL, participant=SOCIAL)
    refusal(case, "baton.hand", "participant.unknown",
            r"bo@socialcenter is not an active participant of this case", to=SOCIAL)


def test_the_holder_cannot_hand_the_baton_to_themselves(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    refusal(case, "baton.hand", "baton.self",
            r"you already hold the baton; hand it to another participant", to=HOLDER)


# -- one offer at a time ------------------------------------------------------------------


@pytest.mark.parametrize(("ending", "actor"), [("baton.decline", SOCIAL), ("baton.withdraw", HOLDER)])
def test_a_new_offer_can_be_made_once_the_previous_one_is_declined_or_withdrawn(
    ledger: DomainLedger, ending: str, actor: str
) -> None:
    case = busy_case(ledger)
    case.do("baton.hand", to=SOCIAL)
    case.do(ending, actor=actor)

    case.do("baton.hand", to=ADDICTION)

    assert types(case)[-3:] == [
        "BatonHanded", {"baton.decline": "BatonDeclined"}.get(ending, "HandoverWithdrawn"),
        "BatonHanded",
    ]
    assert (case.state.baton.stage, case.state.baton.offered_to) == ("offered", ADDICTION)


def test_only_one_offer_at_a_time(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("baton.hand", to=SOCIAL)
    refusal(case, "baton.hand", "baton.handover_open",
            r"the baton is offered to bo@socialcenter; it must be grabbed, declined or withdrawn "
            r"before you hand the baton on again", to=ADDICTION)
    assert case.state.baton.offered_to == SOCIAL


# -- grab ---------------------------------------------------------------------------------


def test_the_offered_professional_grabs_and_both_are_listed_in_the_exchange(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("baton.hand", to=SOCIAL)

    case.do("baton.grab", actor=SOCIAL)

    grabbed = last(case)
    assert isinstance(grabbed, ev.BatonGrabbed) and grabbed.actor == SOCIAL
    baton = case.state.baton
    assert (baton.stage, baton.holder, baton.outgoing) == ("exchange", SOCIAL, HOLDER)
    assert case.state.holders == [HOLDER, SOCIAL]  # the exchange zone: both listed
    assert [(h.holder, h.until) for h in case.state.holds] == [(HOLDER, None), (SOCIAL, None)]


@pytest.mark.parametrize("actor", [HOLDER, ADDICTION])
def test_only_the_offered_professional_can_grab(ledger: DomainLedger, actor: str) -> None:
    case = busy_case(ledger)
    case.do("baton.hand", to=SOCIAL)
    refusal(case, "baton.grab", "baton.not_target",
            r"the baton is offered to bo@socialcenter; only they can grab it", actor=actor)


@pytest.mark.parametrize("earlier", [[], ["baton.hand", "baton.decline"], ["baton.hand", "baton.withdraw"]])
def test_nobody_can_grab_a_baton_that_is_not_on_offer(ledger: DomainLedger, earlier: list[str]) -> None:
    case = busy_case(ledger)
    for name in earlier:
        case.do(name, actor=SOCIAL if name == "baton.decline" else HOLDER,
                **({"to": SOCIAL} if name == "baton.hand" else {}))
    refusal(case, "baton.grab", "baton.not_offered", r"nobody can grab it", actor=SOCIAL)
    assert case.state.baton.holder == HOLDER


def test_a_second_grab_in_the_exchange_is_refused_without_claiming_the_baton_was_never_handed(
    ledger: DomainLedger,
) -> None:
    case = busy_case(ledger)
    to_stage(case, "exchange")
    message = case.refused("baton.grab", "baton.not_offered", actor=SOCIAL)
    assert "has not been handed" not in message, message


# -- release ------------------------------------------------------------------------------


def test_the_outgoing_holder_releases_and_the_new_holder_holds_alone(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    to_stage(case, "exchange")

    case.do("baton.release", actor=HOLDER)

    released = last(case)
    assert isinstance(released, ev.BatonReleased) and released.actor == HOLDER
    baton = case.state.baton
    assert (baton.stage, baton.holder, baton.outgoing, baton.offered_to) == ("held", SOCIAL, None, None)
    assert case.state.holders == [SOCIAL]
    anne, bo = case.state.holds
    assert (anne.holder, anne.until_position, anne.ended) == (HOLDER, released.position,
                                                             "released to bo@socialcenter")
    assert (bo.holder, bo.until) == (SOCIAL, None)
    assert types(case)[-3:] == ["BatonHanded", "BatonGrabbed", "BatonReleased"]


@pytest.mark.parametrize("stage", ["held", "offered"])
def test_release_is_refused_until_another_authority_has_grabbed(ledger: DomainLedger, stage: str) -> None:
    case = busy_case(ledger)
    to_stage(case, stage)
    refusal(case, "baton.release", "baton.release_before_grab",
            r"^no other authority has taken the baton yet; a stafetholder cannot release it "
            r"until another holder has grabbed it$")
    if stage == "offered":  # the one offered cannot release it either: they hold nothing yet
        refusal(case, "baton.release", "baton.release_before_grab",
                r"no other authority has taken the baton", actor=SOCIAL)
    assert case.state.holders == [HOLDER]


@pytest.mark.parametrize("actor", [SOCIAL, ADDICTION])
def test_only_the_outgoing_holder_can_release(ledger: DomainLedger, actor: str) -> None:
    case = busy_case(ledger)
    to_stage(case, "exchange")
    refusal(case, "baton.release", "baton.not_outgoing",
            r"only the outgoing holder \(anne@jobcenter\) can release the baton", actor=actor)
    assert case.state.holders == [HOLDER, SOCIAL]


# -- decline ------------------------------------------------------------------------------


def test_the_offered_professional_can_decline_and_the_holder_keeps_the_baton(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("baton.hand", to=SOCIAL)

    case.do("baton.decline", actor=SOCIAL, reason="Ingen kapacitet før august")

    declined = last(case)
    assert isinstance(declined, ev.BatonDeclined)
    assert (declined.actor, declined.reason) == (SOCIAL, "Ingen kapacitet før august")
    baton = case.state.baton
    assert (baton.stage, baton.holder, baton.offered_to) == ("held", HOLDER, None)
    assert [h.holder for h in case.state.holds] == [HOLDER]


@pytest.mark.parametrize("actor", [HOLDER, ADDICTION])
def test_only_the_offered_professional_can_decline(ledger: DomainLedger, actor: str) -> None:
    case = busy_case(ledger)
    case.do("baton.hand", to=SOCIAL)
    refusal(case, "baton.decline", "baton.not_target",
            r"the baton is offered to bo@socialcenter; only they can decline it", actor=actor)


@pytest.mark.parametrize("stage", ["held", "exchange"])
def test_there_is_nothing_to_decline_unless_the_baton_is_on_offer(ledger: DomainLedger, stage: str) -> None:
    case = busy_case(ledger)
    to_stage(case, stage)
    refusal(case, "baton.decline", "baton.not_offered",
            r"the baton is not on offer, so there is nothing to decline", actor=SOCIAL)


# -- withdraw -----------------------------------------------------------------------------


def test_the_holder_can_withdraw_an_offer_before_it_is_grabbed(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.do("baton.hand", to=SOCIAL)

    case.do("baton.withdraw", reason="Borgeren ønsker at blive hos jobcentret")

    withdrawn = last(case)
    assert isinstance(withdrawn, ev.HandoverWithdrawn)
    assert (withdrawn.actor, withdrawn.reason) == (HOLDER, "Borgeren ønsker at blive hos jobcentret")
    assert (case.state.baton.stage, case.state.baton.holder) == ("held", HOLDER)
    refusal(case, "baton.grab", "baton.not_offered", r"nobody can grab it", actor=SOCIAL)


@pytest.mark.parametrize("actor", [SOCIAL, ADDICTION])
def test_only_the_holder_can_withdraw_an_offer(ledger: DomainLedger, actor: str) -> None:
    case = busy_case(ledger)
    case.do("baton.hand", to=SOCIAL)
    refusal(case, "baton.withdraw", "baton.not_holder",
            r"only the holder \(anne@jobcenter\) can withdraw the hand-over", actor=actor)


@pytest.mark.parametrize("stage", ["held", "exchange"])
def test_there_is_nothing_to_withdraw_unless_the_baton_is_on_offer(ledger: DomainLedger, stage: str) -> None:
    case = busy_case(ledger)
    to_stage(case, stage)  # in the exchange a grab cannot be undone by the outgoing holder
    refusal(case, "baton.withdraw", "baton.not_offered",
            r"the baton is not on offer, so there is nothing to withdraw")


# -- the exchange ---------------------------------------------------------------------------


def test_the_new_holder_hands_on_only_after_the_exchange_is_complete(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    case.hand_over(SOCIAL)

    case.do("baton.hand", actor=SOCIAL, to=ADDICTION)
    case.do("baton.grab", actor=ADDICTION)

    assert case.state.holders == [SOCIAL, ADDICTION]
    assert [(e.actor, type(e).__name__) for e in events(case)[-5:]] == [
        (HOLDER, "BatonHanded"), (SOCIAL, "BatonGrabbed"), (HOLDER, "BatonReleased"),
        (SOCIAL, "BatonHanded"), (ADDICTION, "BatonGrabbed"),
    ]


def test_a_new_hand_off_is_refused_while_the_exchange_is_open(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    to_stage(case, "exchange")
    refusal(case, "baton.hand", "baton.handover_open",
            r"the hand-over from anne@jobcenter to bo@socialcenter is still in its exchange; "
            r"anne@jobcenter must release the baton before you hand the baton on again",
            actor=SOCIAL, to=ADDICTION)
    refusal(case, "baton.hand", "baton.not_holder",  # the outgoing holder no longer hands
            r"only the holder \(bo@socialcenter\) can hand the baton on", to=ADDICTION)


# -- never zero holders ---------------------------------------------------------------------


def test_from_open_to_close_there_is_always_a_holder(ledger: DomainLedger) -> None:
    case = busy_case(ledger)
    steps = [
        ("baton.hand", HOLDER, {"to": SOCIAL}), ("baton.decline", SOCIAL, {}),
        ("baton.hand", HOLDER, {"to": ADDICTION}), ("baton.withdraw", HOLDER, {}),
        ("baton.hand", HOLDER, {"to": SOCIAL}), ("baton.grab", SOCIAL, {}),
        ("baton.release", HOLDER, {}),
        ("baton.hand", SOCIAL, {"to": ADDICTION}), ("baton.grab", ADDICTION, {}),
        ("note", SOCIAL, {"text": "Overdragelsesmøde holdt"}), ("baton.release", SOCIAL, {}),
        ("case.close", ADDICTION, {"further_course": "Misbrugscentret følger op",
                                   "follow_up_by": ADDICTION}),
    ]
    for name, actor, fields in steps:
        case.do(name, actor=actor, **fields)
        assert case.state.holders, f"nobody holds the baton after {name}"
        assert_always_held(case.state)

    holds = case.state.holds
    assert [(h.holder, h.ended) for h in holds] == [
        (HOLDER, "released to bo@socialcenter"), (SOCIAL, "released to carl@misbrugscenter"),
        (ADDICTION, "case closed"),
    ]


def test_a_backdated_release_cannot_leave_the_case_without_a_holder(ledger: DomainLedger) -> None:
    now = datetime.now(UTC)
    case = OpenedWith(ledger, occurred_at=now - timedelta(days=10))
    case.join(SOCIAL)
    case.do("baton.hand", to=SOCIAL, occurred_at=now - timedelta(days=5))
    case.do("baton.grab", actor=SOCIAL, occurred_at=now - timedelta(days=2))

    # Refusing the back-dated release would keep the rule; so would any timeline without a gap.
    with contextlib.suppress(RuleViolation):
        case.do("baton.release", occurred_at=now - timedelta(days=4))

    assert_always_held(case.state)


# -- temporary holders ----------------------------------------------------------------------


def test_a_temporary_holder_is_flagged_after_seven_days_until_a_permanent_holder_grabs(
    ledger: DomainLedger,
) -> None:
    case = Scenario(ledger, temporary=True)
    case.join(SOCIAL)
    opened = events(case)[0]
    assert isinstance(opened, ev.CaseOpened) and opened.temporary is True
    state = case.state
    assert state.baton.temporary is True and state.holds[0].temporary is True
    flag = flags(state, ledger.policy)["temporary_holder"]
    assert flag.since == state.opened_at + timedelta(days=7)

    case.do("baton.hand", to=SOCIAL)
    case.do("baton.grab", actor=SOCIAL)  # the new holder holds permanently from the grab

    state = case.state
    assert (state.baton.holder, state.baton.temporary) == (SOCIAL, False)
    assert "temporary_holder" not in flags(state, ledger.policy)
    case.do("baton.release")
    assert case.state.baton.temporary is False
    assert [(h.holder, h.temporary) for h in case.state.holds] == [(HOLDER, True), (SOCIAL, False)]


@pytest.mark.parametrize(("ending", "actor"), [("baton.decline", SOCIAL), ("baton.withdraw", HOLDER)])
def test_a_declined_or_withdrawn_offer_leaves_the_holder_temporary(
    ledger: DomainLedger, ending: str, actor: str
) -> None:
    case = Scenario(ledger, temporary=True)
    case.join(SOCIAL)
    case.do("baton.hand", to=SOCIAL)
    assert case.state.baton.temporary is True  # an offer is not yet a permanent holder

    case.do(ending, actor=actor)

    state = case.state
    assert (state.baton.holder, state.baton.temporary) == (HOLDER, True)
    assert flags(state, ledger.policy)["temporary_holder"].since == state.opened_at + timedelta(days=7)


def test_the_temporary_holder_limit_is_a_policy_setting() -> None:
    ledger = DomainLedger(policy=Policy(temporary_holder_days=3))
    temporary = Scenario(ledger, temporary=True)
    permanent = Scenario(ledger, temporary=False)

    flag = flags(temporary.state, ledger.policy)["temporary_holder"]
    assert flag.since == temporary.state.opened_at + timedelta(days=3)
    assert "3 days" in flag.detail
    assert "temporary_holder" not in flags(permanent.state, ledger.policy)


def test_a_temporary_holder_stays_temporary_until_a_professional_has_grabbed(ledger: DomainLedger) -> None:
    case = Scenario(ledger, temporary=True)
    case.join(VOLUNTEER, kind="volunteer")
    case.join(SOCIAL)
    refusal(case, "baton.hand", "baton.not_professional",
            r"only an authority or a provider can hold the baton", to=VOLUNTEER)
    case.do("baton.hand", to=SOCIAL)
    refusal(case, "baton.release", "baton.release_before_grab",
            r"no other authority has taken the baton")
    assert (case.state.baton.holder, case.state.baton.temporary) == (HOLDER, True)


def test_a_temporary_holder_who_closes_and_reopens_stays_temporary(ledger: DomainLedger) -> None:
    case = Scenario(ledger, temporary=True)
    case.do("case.close", further_course="Ingen koordinering nødvendig", follow_up_by=HOLDER)

    case.do("case.reopen", reason="Ny bekymring fra skolen")

    state = case.state
    assert state.baton.holder == HOLDER
    assert state.baton.temporary is True
    assert "temporary_holder" in flags(state, ledger.policy)
