"""The plan (SPEC §5): acceptance first, then the five sections, and linked sector plans.

Every test runs on the domain in memory (``DomainLedger``: decide and fold, no database);
what storage decides is tested in tests/integration. Refusals are checked for the rule's
code, one clear sentence naming the rule or field, and an unchanged log.

| SPEC rule (§) | tests |
|---|---|
| "plan sections are written only after the citizen ... has accepted it" (§5) | |
| | test_accepting_the_plan_opens_it_for_the_five_sections |
| | test_a_plan_section_before_acceptance_is_refused |
| | test_the_plan_is_accepted_only_once |
| "or a guardian / lasting power of attorney when the citizen cannot consent" (§5) | |
| | test_a_guardian_or_lasting_power_of_attorney_accepts_an_adults_plan |
| | test_a_custody_holder_cannot_accept_an_adults_plan |
| "the custody holders for a child" (§5) | test_custody_holders_accept_a_childs_plan |
| | test_the_citizen_role_cannot_accept_a_childs_plan |
| "or a youth in their own right per §6" — DS rule, the default (§5, §6) | |
| | test_ds_rule_a_youth_of_15_accepts_their_own_plan |
| | test_ds_rule_a_youth_of_14_alone_cannot_accept |
| "... per §6" — Barnets Lov § 110 setting (§5, §6) | |
| | test_strict_rule_a_youth_of_16_accepts_with_the_custody_holder |
| | test_strict_rule_a_youth_of_16_alone_cannot_accept |
| "1. summary of the citizen's overall situation" (§5) | |
| | test_the_summary_is_written_and_a_new_one_keeps_the_old_in_history |
| | test_a_blank_summary_is_invalid |
| "2. overall goals, sub-goals and progression goals" (§5) | test_goals_form_an_overall_sub_progression_tree |
| | test_a_goal_with_the_wrong_parent_is_refused |
| | test_a_goal_of_an_unknown_level_is_invalid |
| "Goals are revised by events that keep the old text in the history" (§5) | |
| | test_revising_a_goal_keeps_the_old_text_in_the_history |
| | test_revising_a_goal_to_the_same_text_is_refused |
| | test_revising_an_unknown_goal_is_refused |
| goal progress (GoalStatusChanged, §5/§8) | test_a_goal_status_change_is_recorded |
| | test_setting_a_goal_to_its_current_status_is_refused |
| "3. planned efforts under each law ... (law, paragraph, provider, period)" (§5) | |
| | test_an_effort_records_law_paragraph_provider_and_period |
| | test_an_effort_without_law_or_paragraph_is_invalid |
| | test_an_effort_by_a_provider_outside_the_case_is_refused |
| | test_an_effort_for_an_unknown_goal_is_refused |
| | test_an_effort_period_ending_before_it_starts_is_invalid |
| effort progress (EffortStatusChanged, §5/§8) | test_an_effort_status_change_is_recorded |
| | test_setting_an_effort_to_its_current_status_is_refused |
| "4. agreements (who does what, by when)" (§5, §7) | test_an_agreement_records_who_does_what_by_when |
| | test_an_agreement_with_a_responsible_outside_the_case_is_refused |
| | test_an_agreement_due_before_today_is_refused |
| | test_an_agreement_without_responsible_or_due_date_is_invalid |
| agreements completed, cancelled or reassigned (§4, §8) | |
| | test_agreements_are_completed_cancelled_and_reassigned |
| | test_a_closed_agreement_cannot_be_closed_or_replaced_again |
| | test_an_unknown_agreement_is_refused |
| | test_cancelling_an_agreement_needs_a_reason |
| "5. the citizen's own views and wishes" (§5) | test_the_citizens_view_is_recorded_with_its_goal |
| | test_a_view_about_an_unknown_goal_is_refused |
| | test_a_view_by_an_unknown_giver_role_is_invalid |
| "Sector plans are linked, not copied" (§5) | test_a_sector_plan_is_linked_by_reference |
| | test_a_sector_plan_owned_by_someone_outside_the_case_is_refused |
| | test_a_sector_plan_owner_must_be_person_at_org |
| only the case's own participants write into it (§3, §5) | |
| | test_someone_outside_the_case_cannot_write_the_plan |
| "Danish letters, long texts and odd Unicode are data, not errors" (§10) | |
| | test_danish_letters_long_texts_and_odd_unicode_in_the_plan_are_data |
| | (moved to tests/integration/test_text_is_data.py: storage keeps the text) |
| | test_a_plan_text_over_the_limit_or_with_nul_is_invalid |
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from stafet import Policy
from stafet.domain.events import ConsentGiver
from tests.helpers import HOLDER, SOCIAL, VOLUNTEER, Scenario, soon
from tests.rules._domain import DomainLedger
from tests.rules._plan_support import invalid, only_event, refused

STRICT = Policy(youth_consent_rule="barnets_lov_110")
NOT_ACCEPTED = r"plan has not been accepted"


@pytest.fixture
def strict_ledger() -> DomainLedger:
    """A ledger whose youth rule is Barnets Lov § 110 (custody holder, and youth from 16)."""
    return DomainLedger(policy=STRICT)


def accepted_case(ledger: DomainLedger) -> Scenario:
    """An adult's case with SOCIAL in it and the plan accepted by the citizen."""
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.accept_plan()
    return case


def yesterday() -> str:
    return (date.today() - timedelta(days=1)).isoformat()


# -- acceptance ----------------------------------------------------------------------------


def test_accepting_the_plan_opens_it_for_the_five_sections(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    result = case.do("plan.accept", accepted_by=[{"role": "citizen", "name": "Mette Ørsted"}],
                     note="Accepteret på hjemmebesøg")

    event = only_event(case, result, "PlanAccepted")
    assert event.actor == HOLDER
    acceptance = case.state.plan_acceptance
    assert acceptance is not None
    assert acceptance.accepted_by == [ConsentGiver(role="citizen", name="Mette Ørsted")]

    case.do("plan.summary", text="Bor alene, ledig i to år.")
    case.do("goal.set", level="overall", text="I uddannelse inden et år")
    case.do("effort.plan", title="Mentor", law="LAB", paragraph="§ 31", provider=SOCIAL)
    case.do("agreement.make", text="Ringer til borgeren", responsible=SOCIAL, due_on=soon())
    case.do("view", text="Jeg vil gerne være tømrer")
    state = case.state
    assert state.summary == "Bor alene, ledig i to år."
    assert [g.text for g in state.goals.values()] == ["I uddannelse inden et år"]
    assert [e.title for e in state.efforts.values()] == ["Mentor"]
    assert [a.text for a in state.agreements.values()] == ["Ringer til borgeren"]
    assert [v.text for v in state.citizen_views] == ["Jeg vil gerne være tømrer"]


SECTIONS: dict[str, dict[str, Any]] = {
    "plan.summary": {"text": "Bor alene, ledig i to år."},
    "goal.set": {"level": "overall", "text": "I uddannelse inden et år"},
    "effort.plan": {"title": "Mentor", "law": "LAB", "paragraph": "§ 31", "provider": SOCIAL},
    "agreement.make": {"text": "Ringer til borgeren", "responsible": SOCIAL, "due_on": soon()},
    "view": {"text": "Jeg vil gerne være tømrer"},
}


@pytest.mark.parametrize("name", list(SECTIONS))
def test_a_plan_section_before_acceptance_is_refused(ledger: DomainLedger, name: str) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    refused(case, name, "plan.not_accepted", NOT_ACCEPTED, **SECTIONS[name])
    assert case.state.plan_acceptance is None


def test_the_plan_is_accepted_only_once(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "plan.accept", "plan.accepted", r"already been accepted",
            accepted_by=[{"role": "citizen"}])


def test_a_guardian_or_lasting_power_of_attorney_accepts_an_adults_plan(ledger: DomainLedger) -> None:
    for role in ("guardian", "lasting_power_of_attorney"):
        case = Scenario(ledger)
        case.do("plan.accept", accepted_by=[{"role": role}])
        acceptance = case.state.plan_acceptance
        assert acceptance is not None and [g.role for g in acceptance.accepted_by] == [role]


def test_a_custody_holder_cannot_accept_an_adults_plan(ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    refused(case, "plan.accept", "consent.giver", r"for an adult",
            accepted_by=[{"role": "custody_holder"}])
    assert case.state.plan_acceptance is None


def test_custody_holders_accept_a_childs_plan(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    case.do("plan.accept", accepted_by=[{"role": "custody_holder", "name": "Mor"},
                                        {"role": "custody_holder", "name": "Far"}])
    acceptance = case.state.plan_acceptance
    assert acceptance is not None
    assert [(g.role, g.name) for g in acceptance.accepted_by] == [
        ("custody_holder", "Mor"), ("custody_holder", "Far")]


def test_the_citizen_role_cannot_accept_a_childs_plan(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    refused(case, "plan.accept", "consent.giver", r"for a child", accepted_by=[{"role": "citizen"}])


def test_ds_rule_a_youth_of_15_accepts_their_own_plan(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    case.do("plan.accept", accepted_by=[{"role": "youth"}], subject_age=15)
    acceptance = case.state.plan_acceptance
    assert acceptance is not None and [g.role for g in acceptance.accepted_by] == ["youth"]


def test_ds_rule_a_youth_of_14_alone_cannot_accept(ledger: DomainLedger) -> None:
    case = Scenario(ledger, subject_kind="child")
    refused(case, "plan.accept", "consent.youth_rule", r"from the age of 15",
            accepted_by=[{"role": "youth"}], subject_age=14)


def test_strict_rule_a_youth_of_16_accepts_with_the_custody_holder(strict_ledger: DomainLedger) -> None:
    case = Scenario(strict_ledger, subject_kind="child")
    case.do("plan.accept", accepted_by=[{"role": "custody_holder"}, {"role": "youth"}],
            subject_age=16)
    acceptance = case.state.plan_acceptance
    assert acceptance is not None
    assert [g.role for g in acceptance.accepted_by] == ["custody_holder", "youth"]


def test_strict_rule_a_youth_of_16_alone_cannot_accept(strict_ledger: DomainLedger) -> None:
    case = Scenario(strict_ledger, subject_kind="child")
    refused(case, "plan.accept", "consent.youth_rule", r"Barnets Lov § 110.*custody holder",
            accepted_by=[{"role": "youth"}], subject_age=16)
    refused(case, "plan.accept", "consent.youth_rule", r"16 or over",
            accepted_by=[{"role": "custody_holder"}], subject_age=16)


# -- 1. summary ----------------------------------------------------------------------------


def test_the_summary_is_written_and_a_new_one_keeps_the_old_in_history(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    first = case.do("plan.summary", text="Bor alene, ledig i to år.")
    case.do("plan.summary", text="Er flyttet til en bostøtte-bolig.")

    assert case.state.summary == "Er flyttet til en bostøtte-bolig."
    event = only_event(case, first, "SituationSummarized")
    assert event.data() == {"text": "Bor alene, ledig i to år."}
    assert ledger.get_case(case.case_id, version=first.version).summary == "Bor alene, ledig i to år."


def test_a_blank_summary_is_invalid(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    invalid(case, "plan.summary", "text", text="   ")
    invalid(case, "plan.summary", "text")
    assert case.state.summary is None


# -- 2. goals ------------------------------------------------------------------------------


def test_goals_form_an_overall_sub_progression_tree(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("goal.set", level="overall", text="I uddannelse inden et år", target_date=soon(365))
    case.do("goal.set", level="sub", text="Stabil bolig", parent_id="G1")
    result = case.do("goal.set", level="progression", text="Møder op til aftaler", parent_id="g2")

    event = only_event(case, result, "GoalSet")
    assert event.data()["goal_id"] == "G3" and event.data()["parent_id"] == "G2"
    goals = case.state.goals
    assert [(g.goal_id, g.level, g.parent_id, g.status) for g in goals.values()] == [
        ("G1", "overall", None, "open"), ("G2", "sub", "G1", "open"),
        ("G3", "progression", "G2", "open")]
    assert goals["G1"].target_date == date.fromisoformat(soon(365))


@pytest.mark.parametrize(
    ("level", "parent_id", "code", "pattern"),
    [
        ("sub", None, "goal.parent", r"sub goal needs a parent overall goal"),
        ("progression", "G1", "goal.parent", r"progression goal's parent must be a sub goal"),
        ("overall", "G1", "goal.parent", r"overall goal has no parent"),
        ("sub", "G2", "goal.parent", r"sub goal's parent must be an? overall goal"),
        ("sub", "G9", "goal.unknown", r"no goal G9"),
    ],
    ids=["sub-without-parent", "progression-under-overall", "overall-with-parent",
         "sub-under-sub", "unknown-parent"],
)
def test_a_goal_with_the_wrong_parent_is_refused(
    ledger: DomainLedger, level: str, parent_id: str | None, code: str, pattern: str
) -> None:
    case = accepted_case(ledger)
    case.do("goal.set", level="overall", text="I uddannelse")
    case.do("goal.set", level="sub", text="Stabil bolig", parent_id="G1")
    fields = {"parent_id": parent_id} if parent_id else {}
    refused(case, "goal.set", code, pattern, level=level, text="Et mål", **fields)
    assert list(case.state.goals) == ["G1", "G2"]


def test_a_goal_of_an_unknown_level_is_invalid(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    invalid(case, "goal.set", "level", level="main", text="Et mål")


def test_revising_a_goal_keeps_the_old_text_in_the_history(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    set_ = case.do("goal.set", level="overall", text="Fuldtidsjob inden et år")
    revised = case.do("goal.revise", goal_id="G1", text="Deltidsjob inden et år",
                      reason="Aftalt på mødet")

    event = only_event(case, revised, "PlanGoalRevised")
    assert event.data() == {"goal_id": "G1", "text": "Deltidsjob inden et år",
                            "reason": "Aftalt på mødet"}
    goal = case.state.goals["G1"]
    assert goal.text == "Deltidsjob inden et år" and goal.revisions == 1
    assert only_event(case, set_, "GoalSet").data()["text"] == "Fuldtidsjob inden et år"
    assert ledger.get_case(case.case_id, version=set_.version).goals["G1"].text == (
        "Fuldtidsjob inden et år")


def test_revising_a_goal_to_the_same_text_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("goal.set", level="overall", text="Fuldtidsjob inden et år")
    refused(case, "goal.revise", "goal.unchanged", r"G1 already reads",
            goal_id="G1", text="Fuldtidsjob inden et år", reason="Ingen")


def test_revising_an_unknown_goal_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "goal.revise", "goal.unknown", r"no goal G1",
            goal_id="G1", text="Nyt mål", reason="Ingen")


def test_a_goal_status_change_is_recorded(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("goal.set", level="overall", text="Stabil bolig")
    result = case.do("goal.status", goal_id="G1", status="achieved", note="Har fået nøgle")
    assert only_event(case, result, "GoalStatusChanged").data()["status"] == "achieved"
    assert case.state.goals["G1"].status == "achieved"


def test_setting_a_goal_to_its_current_status_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("goal.set", level="overall", text="Stabil bolig")
    refused(case, "goal.status", "goal.unchanged", r"G1 is already open", goal_id="G1", status="open")
    invalid(case, "goal.status", "status", goal_id="G1", status="done")


# -- 3. efforts ----------------------------------------------------------------------------


def test_an_effort_records_law_paragraph_provider_and_period(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("goal.set", level="overall", text="I job")
    result = case.do("effort.plan", title="Mentorstøtte", law="LAB", paragraph="§ 31b",
                     provider="Bo@SocialCenter", starts_on="2026-12-01", ends_on="2027-05-31",
                     goal_ids=["g1"])

    event = only_event(case, result, "EffortPlanned")
    assert event.data()["effort_id"] == "E1"
    effort = case.state.efforts["E1"]
    assert (effort.title, effort.law, effort.paragraph, effort.provider) == (
        "Mentorstøtte", "LAB", "§ 31b", SOCIAL)
    assert (effort.starts_on, effort.ends_on) == (date(2026, 12, 1), date(2027, 5, 31))
    assert effort.goal_ids == ["G1"] and effort.status == "planned"


def test_an_effort_without_law_or_paragraph_is_invalid(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    base = {"title": "Mentorstøtte", "law": "LAB", "paragraph": "§ 31", "provider": SOCIAL}
    invalid(case, "effort.plan", "law", **{**base, "law": " "})
    invalid(case, "effort.plan", "paragraph", **{k: v for k, v in base.items() if k != "paragraph"})
    assert case.state.efforts == {}


def test_an_effort_by_a_provider_outside_the_case_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "effort.plan", "participant.unknown", r"ny@udbyder is not an active participant",
            title="Mentorstøtte", law="LAB", paragraph="§ 31", provider="ny@udbyder")


def test_an_effort_for_an_unknown_goal_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "effort.plan", "goal.unknown", r"no goal G7",
            title="Mentorstøtte", law="LAB", paragraph="§ 31", provider=SOCIAL, goal_ids=["G7"])


def test_an_effort_period_ending_before_it_starts_is_invalid(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    message = invalid(case, "effort.plan", "ends_on", title="Mentorstøtte", law="LAB",
                      paragraph="§ 31", provider=SOCIAL, starts_on="2027-05-01",
                      ends_on="2027-04-01")
    assert "must not be before starts_on" in message


def test_an_effort_status_change_is_recorded(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("effort.plan", title="Mentorstøtte", law="LAB", paragraph="§ 31", provider=SOCIAL)
    result = case.do("effort.status", actor=SOCIAL, effort_id="E1", status="started")
    event = only_event(case, result, "EffortStatusChanged")
    assert event.actor == SOCIAL and event.data()["status"] == "started"
    assert case.state.efforts["E1"].status == "started"


def test_setting_an_effort_to_its_current_status_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("effort.plan", title="Mentorstøtte", law="LAB", paragraph="§ 31", provider=SOCIAL)
    refused(case, "effort.status", "effort.unchanged", r"E1 is already planned",
            effort_id="E1", status="planned")
    refused(case, "effort.status", "effort.unknown", r"no effort E2", effort_id="E2",
            status="started")


# -- 4. agreements -------------------------------------------------------------------------


def test_an_agreement_records_who_does_what_by_when(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("goal.set", level="overall", text="I job")
    result = case.do("agreement.make", text="Finder en praktikplads", responsible=SOCIAL,
                     due_on=soon(21), goal_id="G1")

    event = only_event(case, result, "AgreementMade")
    assert event.data()["agreement_id"] == "A1"
    agreement = case.state.agreements["A1"]
    assert (agreement.text, agreement.responsible, agreement.due_on, agreement.goal_id) == (
        "Finder en praktikplads", SOCIAL, date.fromisoformat(soon(21)), "G1")
    assert agreement.status == "open" and agreement.meeting_id is None


def test_an_agreement_with_a_responsible_outside_the_case_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "agreement.make", "participant.unknown", r"carl@misbrugscenter is not an active",
            text="Finder en praktikplads", responsible="carl@misbrugscenter", due_on=soon())


def test_an_agreement_due_before_today_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "agreement.make", "agreement.due", r"due_on is before",
            text="Finder en praktikplads", responsible=SOCIAL, due_on=yesterday())
    assert case.state.agreements == {}


def test_an_agreement_without_responsible_or_due_date_is_invalid(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    text = "Finder en praktikplads"
    invalid(case, "agreement.make", "due_on", text=text, responsible=SOCIAL)
    invalid(case, "agreement.make", "due_on", text=text, responsible=SOCIAL, due_on="2026-13-01")
    invalid(case, "agreement.make", "due_on", text=text, responsible=SOCIAL, due_on="12/31/2026")  # day first
    invalid(case, "agreement.make", "responsible", text=text, due_on=soon())
    message = invalid(case, "agreement.make", "responsible", text=text, responsible="bo",
                      due_on=soon())
    assert "person@org" in message
    invalid(case, "agreement.make", "responsible", text=text, responsible="bo@social center",
            due_on=soon())
    assert case.state.agreements == {}


def test_agreements_are_completed_cancelled_and_reassigned(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    for text in ("Ringer til lægen", "Søger bolig", "Finder praktik"):
        case.do("agreement.make", text=text, responsible=SOCIAL, due_on=soon())
    done = case.do("agreement.complete", actor=SOCIAL, agreement_id="A1", note="Ringet")
    dropped = case.do("agreement.cancel", agreement_id="A2", reason="Borgeren har fået bolig")
    moved = case.do("agreement.make", text="Finder praktik", responsible=HOLDER, due_on=soon(30),
                    replaces="A3")

    assert only_event(case, done, "AgreementCompleted").data() == {"agreement_id": "A1",
                                                                  "note": "Ringet"}
    assert only_event(case, dropped, "AgreementCancelled").data()["reason"] == (
        "Borgeren har fået bolig")
    assert only_event(case, moved, "AgreementMade").data()["replaces"] == "A3"
    agreements = case.state.agreements
    assert {a.agreement_id: a.status for a in agreements.values()} == {
        "A1": "completed", "A2": "cancelled", "A3": "reassigned", "A4": "open"}
    assert agreements["A3"].replaced_by == "A4" and agreements["A4"].responsible == HOLDER


def test_a_closed_agreement_cannot_be_closed_or_replaced_again(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("agreement.make", text="Ringer til lægen", responsible=SOCIAL, due_on=soon())
    case.do("agreement.complete", agreement_id="A1")
    refused(case, "agreement.complete", "agreement.closed", r"A1 is already completed",
            agreement_id="A1")
    refused(case, "agreement.cancel", "agreement.closed", r"A1 is already completed",
            agreement_id="A1", reason="Fejl")
    refused(case, "agreement.make", "agreement.closed", r"A1 is already completed",
            text="Ringer igen", responsible=SOCIAL, due_on=soon(), replaces="A1")


def test_an_unknown_agreement_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "agreement.complete", "agreement.unknown", r"no agreement A1", agreement_id="A1")
    refused(case, "agreement.make", "agreement.unknown", r"no agreement A5",
            text="Ringer igen", responsible=SOCIAL, due_on=soon(), replaces="A5")


def test_cancelling_an_agreement_needs_a_reason(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("agreement.make", text="Ringer til lægen", responsible=SOCIAL, due_on=soon())
    invalid(case, "agreement.cancel", "reason", agreement_id="A1")
    assert case.state.agreements["A1"].status == "open"


# -- 5. the citizen's own views ------------------------------------------------------------


def test_the_citizens_view_is_recorded_with_its_goal(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    case.do("goal.set", level="overall", text="I job")
    result = case.do("view", text="Jeg vil helst arbejde med dyr", goal_id="G1")
    case.do("view", text="Min mor skal med til møderne", given_by="guardian")

    event = only_event(case, result, "CitizenViewRecorded")
    assert event.data() == {"text": "Jeg vil helst arbejde med dyr", "given_by": "citizen",
                            "goal_id": "G1"}
    assert [(v.text, v.given_by, v.goal_id) for v in case.state.citizen_views] == [
        ("Jeg vil helst arbejde med dyr", "citizen", "G1"),
        ("Min mor skal med til møderne", "guardian", None)]


def test_a_view_about_an_unknown_goal_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "view", "goal.unknown", r"no goal G3", text="Jeg vil arbejde", goal_id="G3")


def test_a_view_by_an_unknown_giver_role_is_invalid(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    invalid(case, "view", "given_by", text="Jeg vil arbejde", given_by="neighbour")
    assert case.state.citizen_views == []


# -- sector plans --------------------------------------------------------------------------


def test_a_sector_plan_is_linked_by_reference(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    result = case.do("sectorplan.link", kind="Min Plan (LAB § 27)", owner=HOLDER,
                     system="Fasit", reference="MP-2026-0042")
    case.do("sectorplan.link", kind="Handleplan (SEL § 141)", owner=SOCIAL, system="DUBU",
            reference="HP-77")

    event = only_event(case, result, "SectorPlanLinked")
    assert event.data() == {"sector_plan_id": "SP1", "kind": "Min Plan (LAB § 27)",
                            "owner": HOLDER, "system": "Fasit", "reference": "MP-2026-0042"}
    plans = case.state.sector_plans
    assert [(p.sector_plan_id, p.owner, p.system, p.reference) for p in plans.values()] == [
        ("SP1", HOLDER, "Fasit", "MP-2026-0042"), ("SP2", SOCIAL, "DUBU", "HP-77")]


def test_a_sector_plan_owned_by_someone_outside_the_case_is_refused(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "sectorplan.link", "participant.unknown", r"lise@ppr is not an active participant",
            kind="PPR-udtalelse", owner="lise@ppr", system="Hjernen&Hjertet", reference="X-1")
    assert case.state.sector_plans == {}


def test_a_sector_plan_owner_must_be_person_at_org(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    invalid(case, "sectorplan.link", "owner", kind="Min Plan", owner="jobcenter",
            system="Fasit", reference="MP-1")
    invalid(case, "sectorplan.link", "reference", kind="Min Plan", owner=HOLDER, system="Fasit")


# -- who writes ----------------------------------------------------------------------------


def test_someone_outside_the_case_cannot_write_the_plan(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    refused(case, "plan.summary", "participant.unknown", r"dorte@frivilligcenter \(you\) is not",
            actor=VOLUNTEER, text="Bor alene")
    case.join(VOLUNTEER, kind="volunteer")
    case.do("case.leave", actor=VOLUNTEER, participant=VOLUNTEER)
    refused(case, "goal.set", "participant.unknown", r"is not an active participant",
            actor=VOLUNTEER, level="overall", text="Et mål")


# -- §10: text is data ---------------------------------------------------------------------


def test_a_plan_text_over_the_limit_or_with_nul_is_invalid(ledger: DomainLedger) -> None:
    case = accepted_case(ledger)
    message = invalid(case, "plan.summary", "text", text="ø" * 200_001)
    assert "200000" in message
    invalid(case, "plan.summary", "text", text="Bor alene\x00")
    assert case.state.summary is None
