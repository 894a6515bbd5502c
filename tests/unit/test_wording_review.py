"""Issue 17, point 10: the history's wording reviewed as a whole.

Every event type of the registry (``CaseEvent.TYPES``) is built with sample values and told
in English and Danish: each has a sentence of its own in both languages, the sentence is
filled in (no ``{field}`` left, no field names such as ``sector_plan_id``), and the Danish
has no English words where Danish ones exist. Then the trial's findings one by one.
"""

from __future__ import annotations

import re
import types
import typing
from datetime import UTC, date, datetime
from typing import Any, Literal, get_args, get_origin
from uuid import uuid4

import pytest
from pydantic import BaseModel

from stafet.domain import events as ev
from stafet.domain.decide import decide  # noqa: F401  (registers the handlers' events)
from stafet.domain.events import CaseEvent, Envelope
from stafet.wording import SENTENCES, describe

AT = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
ACTOR = "mette.dal@boernehuset-solsikken"

# Sample values people would write; chosen to read the same in both languages.
SAMPLES: dict[str, Any] = {
    "title": "Samlet forløb", "subject_ref": "borger-3c9e41", "place": "Børnehuset Solsikken",
    "text": "Emma starter i skole", "reason": "Skolestart", "purpose": "Samarbejde om Emma",
    "minutes": "Referat", "correction": "Mødet var den 7. marts", "description": "Udtalelse",
    "further_course": "Handleplanen fortsætter", "kind": "handleplan", "system": "Nexus",
    "owner": "rikke.bach@familieafdelingen-vejle", "reference": "HP-2026-17",
    "law": "SEL", "paragraph": "§ 85", "provider": "bo@bostoette", "note": "Notat",
    "follow_up_by": "lars.winther@skovvangskolen", "recipient": "ole.friis@ppr-vejle",
    "responsible": "ole.friis@ppr-vejle", "to": "lars.winther@skovvangskolen",
    "ref": "birgit.skov@boernehuset-solsikken", "interpreter_language": "arabisk",
}
# English words that are not also Danish ones ("at", "to", "set", "held", "sent" are both).
ENGLISH = {"the", "and", "case", "baton", "meeting", "agreement", "goal", "consent", "by",
           "of", "with", "off", "took", "wrote", "called", "linked", "minutes", "holds",
           "citizen", "on", "left", "plan", "offered", "marked", "changed", "shared"}


def _sample(name: str, annotation: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        return _sample(name, inner[0])
    if origin is Literal:
        return get_args(annotation)[0]
    if origin is list:
        return [_sample(name, get_args(annotation)[0])]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {f: _sample(f, info.annotation) for f, info in annotation.model_fields.items()}
    if annotation is bool:
        return False
    if annotation is int:
        return 2
    if annotation is datetime:
        return AT
    if annotation is date:
        return date(2026, 4, 30)
    if name.endswith("_id") or name in ("parent_id", "replaces"):
        return {"goal_id": "G1", "effort_id": "E1", "agreement_id": "A1", "consent_id": "C1",
                "meeting_id": "M1", "sector_plan_id": "SP1"}.get(name, "G1")
    if name in ("recipients", "invited", "attendees"):
        return "ole.friis@ppr-vejle"
    if name in ("categories",):
        return "skole"
    if name in ("agenda", "decisions", "continuing_sector_plans", "goal_ids"):
        return "Status"
    return SAMPLES.get(name, "Børnehuset")


def build(kind: type[CaseEvent], **override: Any) -> CaseEvent:
    fields = {name: _sample(name, info.annotation) for name, info in kind.model_fields.items()
              if name not in Envelope.model_fields}
    return kind(originator_id=uuid4(), originator_version=3, recorded_at=AT, actor=ACTOR,
                **{**fields, **override})


TYPES = sorted(CaseEvent.TYPES.items())


def test_the_registry_holds_every_event_of_the_catalogue() -> None:
    assert {"CaseOpened", "BatonReleased", "MeetingConvened", "SectorPlanLinked"} <= set(CaseEvent.TYPES)
    assert all(issubclass(k, CaseEvent) for _, k in TYPES)
    assert ev.CaseOpened is CaseEvent.TYPES["CaseOpened"]


@pytest.mark.parametrize(("name", "kind"), TYPES, ids=[n for n, _ in TYPES])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_every_event_is_told_in_both_languages_in_words_not_fields(
        name: str, kind: type[CaseEvent], lang: Literal["en", "da"]) -> None:
    assert name in SENTENCES[lang], f"{name} has no {lang} sentence"
    told = describe(build(kind), width=None, lang=lang)
    assert told.strip() and told != name
    assert "{" not in told and "}" not in told, told
    for field in kind.model_fields:
        if "_" in field:
            assert field not in told, f"{name} ({lang}) shows the field name {field}: {told}"
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", told.replace(ACTOR, "")), told
    if lang == "da":
        words = set(re.findall(r"[a-zæøå]+", told.lower()))
        sample_words = set(re.findall(r"[a-zæøå]+", " ".join(map(str, SAMPLES.values())).lower()))
        english = (words - sample_words) & ENGLISH
        assert not english, f"{name}: English in the Danish sentence: {sorted(english)}: {told}"


# -- the trial's findings ---------------------------------------------------------------------


def test_a_meeting_place_is_no_longer_i_slash_paa() -> None:
    told = describe(build(ev.MeetingConvened), width=None, lang="da")
    assert "i/på" not in told
    assert "sted: Børnehuset Solsikken" in told


def test_a_sector_plan_is_knyttet_not_linket() -> None:
    told = describe(build(ev.SectorPlanLinked), width=None, lang="da")
    assert "linkede" not in told
    assert told.startswith("knyttede sektorplanen SP1")


def test_leaving_oneself_is_told_as_leaving_not_as_being_taken_off() -> None:
    herself = build(ev.ParticipantLeft, ref=ACTOR)
    assert describe(herself, lang="da") == "gik ud af forløbet"
    assert describe(herself, lang="en") == "left the case"
    other = build(ev.ParticipantLeft, ref="ole.friis@ppr-vejle")
    assert describe(other, lang="da") == "tog ole.friis@ppr-vejle ud af forløbet"


def test_a_parent_on_the_citizens_side_is_named_by_their_title_not_as_the_citizen() -> None:
    mother = build(ev.ParticipantJoined, participant={
        "ref": "mor@familie-8d21a0", "kind": "citizen", "title": "Mor, forældremyndighedsindehaver"})
    told = describe(mother, width=None, lang="da")
    assert "(borgeren)" not in told
    assert told == "tilføjede mor@familie-8d21a0 (Mor, forældremyndighedsindehaver) til forløbet"
    citizen = build(ev.ParticipantJoined, participant={"ref": "borger@hjemme", "kind": "citizen"})
    assert "(borgeren)" in describe(citizen, width=None, lang="da")
