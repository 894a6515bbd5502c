"""``stafet export CASE --format fhir``: the bundle validates against the FHIR R4B models of
``fhir.resources`` and holds every goal, effort, agreement, participant, consent and meeting of the
case exactly once, with a Provenance for every resource naming a real ledger entry and its case
hash; for both example cases (both backends) and for synthetic cases of every kind."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle  # R4B explicitly: the package's default is R5

from stafet import Ledger
from stafet.dev.synthetic.loading import load
from stafet.dev.synthetic.stream import single_case
from stafet.documents import fhir
from stafet.domain.state import CaseState
from tests.trust.support import ADULT_CASE, FAMILY_CASE, apply_example, stafet

PURPOSE = "udveksling med fagsystem"


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def local_ids(items: list[dict[str, Any]], case_id: str) -> list[str]:
    return [i["identifier"][0]["value"].removeprefix(f"{case_id}/") for i in items]


def check_bundle(bundle: dict[str, Any], state: CaseState, ledger: Ledger) -> None:
    """Valid R4B, every thing of the case exactly once, references resolve, provenance real."""
    model = Bundle.model_validate(bundle)
    again = json.loads(model.model_dump_json())  # the round trip keeps every resource
    assert Counter(e["resource"]["resourceType"] for e in again["entry"]) == Counter(
        e["resource"]["resourceType"] for e in bundle["entry"])
    case_id = str(state.id)

    assert len(resources(bundle, "Patient")) == 1
    patient = resources(bundle, "Patient")[0]
    assert set(patient) == {"resourceType", "id", "identifier"}  # the handle, nothing else
    assert patient["identifier"][0]["value"] == state.subject_ref

    for kind, things in [("Goal", state.goals), ("Task", state.agreements),
                         ("Encounter", state.meetings), ("Consent", state.consents)]:
        found = local_ids(resources(bundle, kind), case_id)
        assert sorted(found) == sorted(things), kind
        assert len(found) == len(set(found)), kind
    (plan,) = resources(bundle, "CarePlan")
    activities = plan.get("activity", [])
    efforts = [a["id"] for a in activities if "detail" in a]
    tasks = [a["id"] for a in activities if "reference" in a]
    assert sorted(efforts) == sorted(state.efforts) and sorted(tasks) == sorted(state.agreements)
    assert sorted(g["reference"] for g in plan.get("goal", [])) == sorted(
        f"urn:uuid:{fhir_id(g)}" for g in resources(bundle, "Goal"))
    (team,) = resources(bundle, "CareTeam")
    members = [p["member"]["display"] for p in team["participant"]]
    assert sorted(members) == sorted(state.participants) and len(set(members)) == len(members)
    marked = {p["member"]["display"]: p["extension"][0]["valueCode"]
              for p in team["participant"] if "extension" in p}
    assert marked[state.baton.holder] == "holder"
    (episode,) = resources(bundle, "EpisodeOfCare")
    assert episode["careManager"]["display"] == state.baton.holder
    assert len(episode.get("extension", [])) == len(state.holds)
    # the goal hierarchy: each sub-goal is a milestone of its parent, once
    children = Counter()
    for goal in resources(bundle, "Goal"):
        for ext in goal.get("extension", []):
            if ext["url"] == fhir.GOAL_RELATIONSHIP:
                children[ext["extension"][1]["valueReference"]["reference"]] += 1
    goal_ids = {g.goal_id: fhir_id_of(bundle, "Goal", case_id, g.goal_id) for g in state.goals.values()}
    expected = {f"urn:uuid:{goal_ids[g.goal_id]}" for g in state.goals.values()
                if g.parent_id in state.goals}
    assert set(children) == expected and all(n == 1 for n in children.values())

    # every reference inside the bundle resolves to an entry
    urls = {e["fullUrl"] for e in bundle["entry"]}
    for ref in _references(bundle):
        assert ref in urls, ref
    # one Provenance for every other resource, naming a real ledger entry and its case hash
    provenance = resources(bundle, "Provenance")
    targets = Counter(p["target"][0]["reference"] for p in provenance)
    others = [e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] != "Provenance"]
    assert targets == Counter(others)
    links = {link.position: link.case_hash.hex()
             for link in ledger.store.recorder.select_case_chain(state.id)}
    for p in provenance:
        entity = p["entity"][0]
        position = int(entity["what"]["identifier"]["value"].rsplit("/", 1)[1])
        assert 1 <= position <= state.version
        assert entity["extension"][0]["valueString"] == links[position]


def fhir_id(resource: dict[str, Any]) -> str:
    return str(resource["id"])


def fhir_id_of(bundle: dict[str, Any], kind: str, case_id: str, local: str) -> str:
    return next(fhir_id(r) for r in resources(bundle, kind)
                if r["identifier"][0]["value"] == f"{case_id}/{local}")


def _references(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        ref = node.get("reference")
        if isinstance(ref, str) and ref.startswith("urn:uuid:"):
            found.append(ref)
        for value in node.values():
            found += _references(value)
    elif isinstance(node, list):
        for value in node:
            found += _references(value)
    return found


@pytest.mark.parametrize(("example", "holder"), [
    (ADULT_CASE, "peter.lund@socialafdelingen-odense"),
    (FAMILY_CASE, "lars.winther@skovvangskolen")], ids=["adult", "family"])
def test_the_examples_export_as_a_valid_and_complete_bundle(
        db_url: str, tmp_path: Path, example: Path, holder: str) -> None:
    case = apply_example(db_url, example)
    out = tmp_path / "bundle.json"
    done = stafet(db_url, "--as", holder, "--purpose", PURPOSE, "export", case[:8],
                  "--format", "fhir", "-o", str(out))
    assert done.code == 0, done.err
    bundle = json.loads(out.read_text("utf-8"))
    with Ledger(db_url) as ledger:
        check_bundle(bundle, ledger.get_case(case), ledger)
        logged = [(e.actor, e.action, e.criterion) for e in ledger.access_log.entries()]
    assert (holder, "export", "FHIR bundle") in logged
    assert (holder, "export-hit", "FHIR bundle") in logged


def test_a_stranger_may_not_export_a_case(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'stafet.db'}"
    case = apply_example(db, ADULT_CASE)
    done = stafet(db, "--as", "eva@udenfor", "--purpose", PURPOSE, "export", case[:8],
                  "--format", "fhir")
    assert done.code == 1 and done.err.startswith("Refused:") and done.out == ""
    done = stafet(db, "--as", "peter.lund@socialafdelingen-odense", "--purpose", PURPOSE,
                  "export", case[:8])
    assert done.code == 2 and "--format fhir" in done.err


@pytest.mark.parametrize(("kind", "events", "seed", "closes"), [
    ("adult", 400, 11, False), ("child", 300, 12, True), ("family", 500, 13, False)])
def test_synthetic_cases_export_as_valid_and_complete_bundles(
        tmp_path: Path, kind: str, events: int, seed: int, closes: bool) -> None:
    with Ledger(f"sqlite:///{tmp_path / 'stafet.db'}") as ledger:
        report = load(ledger, single_case(events, seed=seed, kind=kind, closes=closes))  # type: ignore[arg-type]
        (case_id,) = report.case_ids.values()
        state = ledger.get_case(case_id)
        actor = next(p.ref for p in state.participants.values() if p.active)
        data = ledger.reader(actor, PURPOSE).export_case(case_id, "FHIR bundle")
        bundle = fhir.bundle_of(data)
        check_bundle(bundle, data.state, ledger)
        if closes:
            (plan,) = resources(bundle, "CarePlan")
            assert plan["status"] == "completed" and "end" in plan["period"]
