"""The log: notes and corrections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stafet.dev.synthetic.acts.common import PROFESSIONAL_KINDS, Proposals, active, role_of, writer
from stafet.dev.synthetic.vocabulary import NOTE_FORMS
from stafet.domain.values import org_of

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory


def note(story: CaseStory) -> Proposals:
    actor = writer(story)
    org = org_of(story.rng.choice(active(story.case, PROFESSIONAL_KINDS)).ref)
    text = story.texts.compose(NOTE_FORMS, org)
    if story.rng.random() < 0.02:  # now and then a long journal note
        text = " ".join(story.texts.compose(NOTE_FORMS, org) for _ in range(30))
    yield "note", {"actor": actor.ref, "actor_role": role_of(story, actor.ref), "text": text}


def correct(story: CaseStory) -> Proposals:
    version = story.case.version
    if version >= 3:
        yield "correct", {
            "actor": writer(story).ref,
            "position": story.rng.randint(max(2, version - 20), version),
            "correction": "Rettelse: datoen for samtalen var dagen før.",
            "reason": "Forkert dato i notatet",
        }
