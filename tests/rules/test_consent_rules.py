"""Consent (SPEC §6): who may give it, revocation and expiry, joining a child's case under a
covering consent, and sharing information only under an active consent.

Every test runs on the domain in memory (``DomainLedger``: decide and fold, no database);
what storage decides is tested in tests/integration. Refusals are checked for the rule's
code, one clear sentence naming the rule or field, and an unchanged log.

| SPEC rule (§) | tests |
|---|---|
| "A consent names who gave it ..., the purpose, the recipients ... and optionally an expiry" (§6) | |
| | test_a_citizens_consent_is_recorded_with_purpose_recipients_categories_and_expiry |
| | test_consent_fields_are_validated_before_anything_is_stored |
| who gives it for an adult: "citizen ...; guardian; lasting power of attorney" (§2, §6) | |
| | test_a_guardian_or_lasting_power_of_attorney_consents_for_an_adult |
| | test_a_custody_holder_or_a_youth_cannot_consent_for_an_adult |
| "custody holder(s) of a child" (§6) | test_custody_holders_consent_for_a_child |
| | test_the_citizen_role_cannot_consent_for_a_child |
| family case: the adults and custody holders consent (§2, §6) | |
| | test_the_family_consents_through_its_adults_and_custody_holders |
| "the DS proposal lets a youth of 15–17 say yes" — "Default: the DS rule" (§6) | |
| | test_ds_rule_a_youth_of_15_to_17_consents_alone |
| | test_ds_rule_a_custody_holder_alone_consents_for_a_youth_of_16 |
| | test_ds_rule_a_youth_under_15_alone_is_refused |
| | test_a_youth_consenting_without_an_age_is_refused |
| "Barnets Lov § 110 asks for both the custody holder and a youth of 16 or over" (§6, the setting) | |
| | test_strict_rule_custody_holder_and_youth_of_16_consent_together |
| | test_strict_rule_custody_holder_alone_consents_for_a_child_under_16 |
| | test_strict_rule_custody_holder_alone_is_refused_for_a_youth_of_16 |
| | test_strict_rule_a_youth_alone_is_refused |
| | test_strict_rule_needs_the_childs_age |
| "Revocation or expiry stops future sharing; it never erases history" (§6) | |
| | test_revoking_a_consent_keeps_it_in_the_history |
| | test_a_consent_is_revoked_only_once |
| | test_revoking_an_unknown_consent_is_refused |
| | test_sharing_after_revocation_is_refused |
| | test_sharing_after_expiry_is_refused_and_a_new_consent_allows_it_again |
| | test_a_consent_that_has_already_expired_is_refused |
| "a new consent can be recorded when one runs out" (§6) | |
| | test_a_new_consent_after_revocation_covers_sharing_again |
| | test_sharing_after_expiry_is_refused_and_a_new_consent_allows_it_again |
| "a participant joins a child's case only if an active consent covers them" (§6) | |
| | test_a_professional_joins_a_childs_case_under_a_covering_consent |
| | test_the_citizens_own_side_joins_a_childs_case_without_consent |
| | test_a_professional_without_a_covering_consent_cannot_join_a_childs_case |
| | test_a_revoked_or_expired_consent_no_longer_admits_anyone |
| | test_a_family_case_also_admits_professionals_only_under_consent |
| | test_joining_a_childs_case_backdated_to_before_the_consent_is_refused |
| "by default" — the join rule is policy; adults' cases need no consent to join (§6, README) | |
| | test_an_adults_case_admits_professionals_without_consent |
| | test_the_join_rule_is_a_policy_setting |
| "`InformationShared` is refused unless an active consent covers that recipient and purpose" (§6) | |
| | test_sharing_under_a_covering_consent_is_recorded_with_that_consent |
| | test_sharing_without_any_consent_is_refused |
| | test_sharing_outside_the_consents_recipients_purpose_or_categories_is_refused |
| | test_sharing_with_someone_outside_the_case_is_refused |
| | test_share_fields_are_validated_before_anything_is_stored |
| | test_sharing_backdated_to_before_the_consent_was_given_is_refused |
| "never a CPR number in clear" (§2, §10) | test_a_pseudonymous_reference_with_digits_is_a_valid_recipient |
| | test_a_cpr_number_as_a_recipient_is_refused |
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from stafet import CommandResult, Policy
from tests.helpers import ADDICTION, CITIZEN, HOLDER, SOCIAL, VOLUNTEER, Scenario, soon
from tests.rules._domain import DomainLedger
from tests.rules._plan_support import MONDAY, Clock, invalid, only_event, refused

STRICT = Policy(youth_consent_rule="barnets_lov_110")
PURPOSE = "koordinering"
HEALTH = ["helbred"]


@pytest.fixture
def strict_ledger() -> DomainLedger:
    """A ledger whose youth rule is Barnets Lov § 110 (custody holder, and youth from 16)."""
    return DomainLedger(policy=STRICT)


def give(case: Scenario, roles: list[str], age: int | None = None, **extra: object) -> None:
    fields = {"subject_age": age} if age is not None else {}
    case.do("consent.give", given_by=[{"role": r} for r in roles], purpose=PURPOSE,
            recipients=[SOCIAL], categories=HEALTH, **fields, **extra)


def givers(case: Scenario, consent_id: str = "C1") -> list[str]:
    return [g.role for g in case.state.consents[consent_id].given_by]


def adult_with(ledger: DomainLedger, *refs: str) -> Scenario:
    case = Scenario(ledger)
    for ref in refs:
        case.join(ref)
    return case


def share(case: Scenario, recipient: str = SOCIAL, purpose: str = PURPOSE,
          categories: list[str] | None = None, **extra: object) -> CommandResult:
    return case.do("share", recipient=recipient, purpose=purpose, categories=categories or HEALTH,
                   description="Udtalelse fra egen læge", **extra)


def refused_share(case: Scenario, recipient: str = SOCIAL, purpose: str = PURPOSE,
                  categories: list[str] | None = None, **extra: object) -> str:
    categories = categories or HEALTH
    return refused(
        case, "share", "share.no_consent",
        rf"no active consent covers sharing {', '.join(categories)} with {recipient} "
        rf"for the purpose '{purpose}'",
        recipient=recipient, purpose=purpose, categories=categories,
        description="Udtalelse fra egen læge", **extra,
    )


# -- giving a consent ----------------------------------------------------------------------


def test_a_citizens_consent_is_recorded_with_purpose_recipients_categories_and_expiry(
    ledger: DomainLedger,
) -> None:
    case = adult_with(ledger, SOCIAL)
    result = case.do("consent.give", given_by=[{"role": "citizen", "name": "Jens Ærø"}],
                     purpose="Koordinering", recipients=["Bo@SocialCenter", "PPR", "@Jobcenter"],
                     categories=["Helbred", "beskæftigelse"], expires_on=soon(180))

    event = only_event(case, result, "ConsentGiven")
    assert event.data() == {
        "consent_id": "C1", "given_by": [{"role": "citizen", "name": "Jens Ærø"}],
        "purpose": "Koordinering", "recipients": [SOCIAL, "@ppr", "@jobcenter"],
        "categories": ["helbred", "beskæftigelse"], "expires_on": soon(180), "subject_age": None,
    }
    consent = case.state.consents["C1"]
    assert consent.expires_on == date.fromisoformat(soon(180))
    assert consent.revoked_at is None


def test_consent_fields_are_validated_before_anything_is_stored(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    good = {"given_by": [{"role": "citizen"}], "purpose": PURPOSE, "recipients": [SOCIAL],
            "categories": HEALTH}
    invalid(case, "consent.give", "recipients.0", **{**good, "recipients": ["bo @socialcenter"]})
    invalid(case, "consent.give", "recipients.0", **{**good, "recipients": ["bo@social@center"]})
    invalid(case, "consent.give", "recipients", **{**good, "recipients": []})
    invalid(case, "consent.give", "categories", **{**good, "categories": []})
    invalid(case, "consent.give", "given_by", **{**good, "given_by": []})
    invalid(case, "consent.give", "given_by.0.role", **{**good, "given_by": [{"role": "neighbour"}]})
    invalid(case, "consent.give", "purpose", **{**good, "purpose": ""})
    invalid(case, "consent.give", "expires_on", **good, expires_on="2027-02-30")
    invalid(case, "consent.give", "subject_age", **good, subject_age=18)
    assert case.state.consents == {}


def test_a_consent_that_has_already_expired_is_refused(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    refused(case, "consent.give", "consent.expired", r"expires_on is already past",
            given_by=[{"role": "citizen"}], purpose=PURPOSE, recipients=[SOCIAL],
            categories=HEALTH, expires_on=yesterday)
    assert case.state.consents == {}


def test_a_guardian_or_lasting_power_of_attorney_consents_for_an_adult(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    give(case, ["guardian"])
    give(case, ["lasting_power_of_attorney"])
    assert givers(case, "C1") == ["guardian"]
    assert givers(case, "C2") == ["lasting_power_of_attorney"]


def test_a_custody_holder_or_a_youth_cannot_consent_for_an_adult(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    for role in ("custody_holder", "youth"):
        refused(case, "consent.give", "consent.giver", r"for an adult, consent is given by",
                given_by=[{"role": role}], purpose=PURPOSE, recipients=[SOCIAL],
                categories=HEALTH, subject_age=17)


def test_custody_holders_consent_for_a_child(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    give(case, ["custody_holder", "custody_holder"])
    assert givers(case) == ["custody_holder", "custody_holder"]


def test_the_citizen_role_cannot_consent_for_a_child(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    refused(case, "consent.give", "consent.giver", r"for a child, consent is given by the custody",
            given_by=[{"role": "citizen"}], purpose=PURPOSE, recipients=[SOCIAL], categories=HEALTH)


def test_the_family_consents_through_its_adults_and_custody_holders(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="family")
    give(case, ["citizen", "custody_holder"])
    assert givers(case) == ["citizen", "custody_holder"]


# -- the youth rule: DS (the default) ------------------------------------------------------


def test_ds_rule_a_youth_of_15_to_17_consents_alone(ledger: DomainLedger) -> None:
    assert ledger.policy.youth_consent_rule == "ds"
    case = Scenario(ledger, subject_kind="child")
    give(case, ["youth"], age=15)
    give(case, ["youth"], age=17)
    assert [(c.given_by[0].role, c.subject_age) for c in case.state.consents.values()] == [
        ("youth", 15), ("youth", 17)]


def test_ds_rule_a_custody_holder_alone_consents_for_a_youth_of_16(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    give(case, ["custody_holder"], age=16)
    assert givers(case) == ["custody_holder"]


def test_ds_rule_a_youth_under_15_alone_is_refused(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    refused(case, "consent.give", "consent.youth_rule", r"youth in their own right from the age of 15",
            given_by=[{"role": "youth"}], purpose=PURPOSE, recipients=[SOCIAL], categories=HEALTH,
            subject_age=14)


def test_a_youth_consenting_without_an_age_is_refused(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    refused(case, "consent.give", "consent.subject_age", r"age.*subject_age",
            given_by=[{"role": "youth"}], purpose=PURPOSE, recipients=[SOCIAL], categories=HEALTH)


# -- the youth rule: Barnets Lov § 110 (the stricter setting) -------------------------------


def test_strict_rule_custody_holder_and_youth_of_16_consent_together(strict_ledger: DomainLedger) -> None:
    case = Scenario(strict_ledger, subject_kind="child")
    give(case, ["custody_holder", "youth"], age=16)
    assert givers(case) == ["custody_holder", "youth"]
    assert case.state.consents["C1"].subject_age == 16


def test_strict_rule_custody_holder_alone_consents_for_a_child_under_16(
    strict_ledger: DomainLedger,
) -> None:
    case = Scenario(strict_ledger, subject_kind="child")
    give(case, ["custody_holder"], age=15)
    assert givers(case) == ["custody_holder"]


def test_strict_rule_custody_holder_alone_is_refused_for_a_youth_of_16(
    strict_ledger: DomainLedger,
) -> None:
    case = Scenario(strict_ledger, subject_kind="child")
    refused(case, "consent.give", "consent.youth_rule",
            r"Barnets Lov § 110 a youth of 16 or over must consent together with the custody holder",
            given_by=[{"role": "custody_holder"}], purpose=PURPOSE, recipients=[SOCIAL],
            categories=HEALTH, subject_age=16)


def test_strict_rule_a_youth_alone_is_refused(strict_ledger: DomainLedger) -> None:
    case = Scenario(strict_ledger, subject_kind="child")
    refused(case, "consent.give", "consent.youth_rule",
            r"Barnets Lov § 110 a child's consent needs the custody holder",
            given_by=[{"role": "youth"}], purpose=PURPOSE, recipients=[SOCIAL], categories=HEALTH,
            subject_age=17)


def test_strict_rule_needs_the_childs_age(strict_ledger: DomainLedger) -> None:
    case = Scenario(strict_ledger, subject_kind="child")
    refused(case, "consent.give", "consent.subject_age", r"Barnets Lov § 110.*subject_age",
            given_by=[{"role": "custody_holder"}], purpose=PURPOSE, recipients=[SOCIAL],
            categories=HEALTH)


# -- revoking ------------------------------------------------------------------------------


def test_revoking_a_consent_keeps_it_in_the_history(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL)
    given = case.consent_for(SOCIAL)
    revoked = case.do("consent.revoke", consent_id="c1", reason="Borgeren trak samtykket tilbage")

    assert only_event(case, revoked, "ConsentRevoked").data() == {
        "consent_id": "C1", "reason": "Borgeren trak samtykket tilbage", "revoked_by": None}
    consent = case.state.consents["C1"]
    assert consent.revoked_at is not None
    assert consent.revoke_reason == "Borgeren trak samtykket tilbage"
    assert consent.recipients == [SOCIAL]  # the consent itself is still on record
    assert only_event(case, given, "ConsentGiven").data()["recipients"] == [SOCIAL]


def test_a_consent_is_revoked_only_once(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL)
    case.consent_for(SOCIAL)
    case.do("consent.revoke", consent_id="C1")
    refused(case, "consent.revoke", "consent.revoked", r"consent C1 is already revoked",
            consent_id="C1")


def test_revoking_an_unknown_consent_is_refused(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL)
    case.consent_for(SOCIAL)
    refused(case, "consent.revoke", "consent.unknown", r"no consent C2", consent_id="C2")
    invalid(case, "consent.revoke", "consent_id", consent_id="samtykke 1")


# -- joining a child's case ----------------------------------------------------------------


def test_a_professional_joins_a_childs_case_under_a_covering_consent(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    case.consent_for(SOCIAL, "@ppr")
    joined = case.join(SOCIAL)
    case.join("lise@ppr", kind="provider")

    event = only_event(case, joined, "ParticipantJoined")
    assert event.data()["participant"]["ref"] == SOCIAL
    state = case.state
    assert state.active_participant(SOCIAL) is not None
    assert state.active_participant("lise@ppr") is not None


def test_the_citizens_own_side_joins_a_childs_case_without_consent(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    case.join(CITIZEN, kind="citizen")
    case.join("mor@hjemme", kind="relative")
    assert {p.ref for p in case.state.participants.values()} == {HOLDER, CITIZEN, "mor@hjemme"}
    assert case.state.consents == {}


def test_a_professional_without_a_covering_consent_cannot_join_a_childs_case(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    pattern = r"a child's case admits bo@socialcenter only under an active consent that covers them"
    refused(case, "case.join", "participant.consent", pattern, participant=SOCIAL, kind="authority")
    case.consent_for(ADDICTION, "@ppr")  # covers others, not bo@socialcenter
    refused(case, "case.join", "participant.consent", pattern, participant=SOCIAL, kind="authority")
    refused(case, "case.join", "participant.consent", r"admits dorte@frivilligcenter only",
            participant=VOLUNTEER, kind="volunteer")
    assert case.state.active_participant(SOCIAL) is None


def test_a_revoked_or_expired_consent_no_longer_admits_anyone(
    clocked_ledger: DomainLedger, clock: Clock
) -> None:
    case = Scenario(clocked_ledger, subject_kind="child")
    case.consent_for(SOCIAL)
    case.consent_for(ADDICTION, expires_on="2026-03-03")
    case.do("consent.revoke", consent_id="C1")
    refused(case, "case.join", "participant.consent", r"admits bo@socialcenter only under an active",
            participant=SOCIAL, kind="authority")
    clock.advance(days=2)  # Wednesday 4 March: C2 ran out yesterday
    refused(case, "case.join", "participant.consent", r"admits carl@misbrugscenter only under",
            participant=ADDICTION, kind="authority")


def test_a_family_case_also_admits_professionals_only_under_consent(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="family")
    refused(case, "case.join", "participant.consent", r"a family's case admits bo@socialcenter only",
            participant=SOCIAL, kind="authority")
    case.consent_for(SOCIAL)
    case.join(SOCIAL)
    assert case.state.active_participant(SOCIAL) is not None


def test_an_adults_case_admits_professionals_without_consent(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.join(VOLUNTEER, kind="volunteer")
    assert case.state.active_participant(SOCIAL) is not None
    assert case.state.consents == {}


def test_the_join_rule_is_a_policy_setting() -> None:
    open_door = DomainLedger(policy=Policy(consent_required_to_join=frozenset()))
    case = Scenario(open_door, subject_kind="child")
    case.join(SOCIAL)
    assert case.state.active_participant(SOCIAL) is not None


def test_joining_a_childs_case_backdated_to_before_the_consent_is_refused(
    clocked_ledger: DomainLedger, clock: Clock
) -> None:
    case = Scenario(clocked_ledger, subject_kind="child")
    clock.advance(days=7)
    case.consent_for(SOCIAL)  # given Monday 9 March
    refused(case, "case.join", "participant.consent", r"admits bo@socialcenter only",
            participant=SOCIAL, kind="authority", occurred_at="2026-03-03T10:00:00")


# -- sharing information -------------------------------------------------------------------


def test_sharing_under_a_covering_consent_is_recorded_with_that_consent(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL, "lise@ppr")
    case.consent_for(SOCIAL, purpose="Koordinering")
    case.consent_for("@ppr", purpose="skoleudtalelse", categories=("skole",))
    shared = share(case, purpose="KOORDINERING", categories=["Helbred", "beskæftigelse"])
    share(case, recipient="lise@ppr", purpose="skoleudtalelse", categories=["skole"])

    event = only_event(case, shared, "InformationShared")
    assert event.data() == {"recipient": SOCIAL, "purpose": "KOORDINERING",
                            "categories": ["helbred", "beskæftigelse"],
                            "description": "Udtalelse fra egen læge", "consent_id": "C1"}
    shares = [e for e in ledger.history(case.case_id) if type(e).__name__ == "InformationShared"]
    assert [(e.data()["recipient"], e.data()["consent_id"]) for e in shares] == [
        (SOCIAL, "C1"), ("lise@ppr", "C2")]


def test_sharing_without_any_consent_is_refused(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL)
    refused_share(case)


@pytest.mark.parametrize(
    ("recipient", "purpose", "categories"),
    [(ADDICTION, PURPOSE, HEALTH), (SOCIAL, "forskning", HEALTH), (SOCIAL, PURPOSE, ["misbrug"])],
    ids=["other-recipient", "other-purpose", "category-not-covered"],
)
def test_sharing_outside_the_consents_recipients_purpose_or_categories_is_refused(
    ledger: DomainLedger, recipient: str, purpose: str, categories: list[str]
) -> None:
    case = adult_with(ledger, SOCIAL, ADDICTION)
    case.consent_for(SOCIAL, purpose=PURPOSE, categories=("helbred",))
    refused_share(case, recipient=recipient, purpose=purpose, categories=categories)


def test_sharing_with_someone_outside_the_case_is_refused(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL)
    case.consent_for("@ppr")
    refused(case, "share", "participant.unknown", r"lise@ppr is not an active participant",
            recipient="lise@ppr", purpose=PURPOSE, categories=HEALTH, description="Udtalelse")


def test_share_fields_are_validated_before_anything_is_stored(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL)
    case.consent_for(SOCIAL)
    good = {"recipient": SOCIAL, "purpose": PURPOSE, "categories": HEALTH, "description": "Udtalelse"}
    invalid(case, "share", "recipient", **{**good, "recipient": "@socialcenter"})
    invalid(case, "share", "categories", **{**good, "categories": []})
    invalid(case, "share", "description", **{**good, "description": " \n "})


def test_sharing_after_revocation_is_refused(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL)
    case.consent_for(SOCIAL)
    share(case)
    case.do("consent.revoke", consent_id="C1", reason="Trukket tilbage")
    refused_share(case)
    # History is not erased: the earlier sharing is still on record.
    types = [type(e).__name__ for e in ledger.history(case.case_id)]
    assert types.count("InformationShared") == 1 and types[-1] == "ConsentRevoked"


def test_a_new_consent_after_revocation_covers_sharing_again(ledger: DomainLedger) -> None:
    case = adult_with(ledger, SOCIAL)
    case.consent_for(SOCIAL)
    case.do("consent.revoke", consent_id="C1")
    case.consent_for(SOCIAL)
    shared = share(case)
    assert only_event(case, shared, "InformationShared").data()["consent_id"] == "C2"
    assert case.state.consents["C1"].revoked_at is not None


def test_sharing_after_expiry_is_refused_and_a_new_consent_allows_it_again(
    clocked_ledger: DomainLedger, clock: Clock
) -> None:
    case = adult_with(clocked_ledger, SOCIAL)
    case.consent_for(SOCIAL, expires_on="2026-03-03")
    clock.now = MONDAY.replace(day=3, hour=22, minute=30)  # 23:30 on 3 March in Copenhagen
    share(case)
    clock.advance(hours=1)  # 00:30 on 4 March in Copenhagen: the consent has run out
    refused_share(case)

    case.consent_for(SOCIAL, expires_on="2026-06-30")
    shared = share(case)
    assert only_event(case, shared, "InformationShared").data()["consent_id"] == "C2"
    assert case.state.consents["C1"].expires_on == date(2026, 3, 3)


def test_sharing_backdated_to_before_the_consent_was_given_is_refused(
    clocked_ledger: DomainLedger, clock: Clock
) -> None:
    case = adult_with(clocked_ledger, SOCIAL)
    clock.advance(days=7)
    case.consent_for(SOCIAL)  # given Monday 9 March
    refused_share(case, occurred_at="2026-03-03T10:00:00")


# -- §2, §10: the citizen is never referenced by a CPR number in clear -----------------------


def test_a_pseudonymous_reference_with_digits_is_a_valid_recipient(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    give_to = ["sag-2026-000123@ppr", "borger-4711@hjemme", "@kommune-2026"]
    case.do("consent.give", given_by=[{"role": "citizen"}], purpose=PURPOSE, recipients=give_to,
            categories=HEALTH)
    assert case.state.consents["C1"].recipients == give_to


def test_a_cpr_number_as_a_recipient_is_refused(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    message = invalid(case, "consent.give", "recipients.0", given_by=[{"role": "citizen"}],
                      purpose=PURPOSE, recipients=["010190-1234@borger"], categories=HEALTH)
    assert "CPR" in message
