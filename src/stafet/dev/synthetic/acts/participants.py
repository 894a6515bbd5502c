"""People joining and leaving the case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stafet.dev.synthetic.acts.common import PROFESSIONAL_KINDS, Proposals, active
from stafet.dev.synthetic.population import Person

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory


def join(story: CaseStory, person: Person) -> Proposals:
    yield "case.join", {
        "actor": story.case.baton.holder, "participant": person.ref, "kind": person.kind,
        "title": person.title, "participant_name": person.name,
    }


def join_someone(story: CaseStory) -> Proposals:
    outside = [p for p in story.people.network if not story.case.active_participant(p.ref)]
    if outside:
        yield from join(story, story.rng.choice(outside))


def leave_someone(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    professionals = active(state, PROFESSIONAL_KINDS)
    if len(professionals) <= 3:  # a case keeps a core of professionals
        return
    # People finish their agreements before they go.
    responsible = {a.responsible for a in state.open_agreements()}
    can_go = [p for p in professionals if p.ref not in responsible]
    for person in rng.sample(can_go, len(can_go)):
        actor = person.ref if rng.random() < 0.5 else state.baton.holder
        yield "case.leave", {"actor": actor, "participant": person.ref,
                             "reason": "Indsatsen er afsluttet"}
