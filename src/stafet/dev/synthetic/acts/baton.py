"""The baton: handed on, grabbed, released, declined, withdrawn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stafet.dev.synthetic.acts.common import Proposals, active
from stafet.domain.values import org_of

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory


def hand(story: CaseStory, note: str = "Hovedindsatsen flytter; stafetten gives videre.",
         prefer_org: str | None = None) -> Proposals:
    """Hand the baton to someone else on the case (the opener's own colleagues first, when
    ``prefer_org`` is given); the domain says who may take it."""
    state, rng = story.case, story.rng
    holder = state.baton.holder
    others = [p.ref for p in active(state) if p.ref != holder]
    preferred = [ref for ref in others if org_of(ref) == prefer_org]
    rest = [ref for ref in others if ref not in preferred]
    for ref in rng.sample(preferred, len(preferred)) + rng.sample(rest, len(rest)):
        yield "baton.hand", {"actor": holder, "to": ref, "note": note}


def hand_to_permanent(story: CaseStory) -> Proposals:
    """A temporary opener hands over to a permanent holder, at their own place if they can."""
    opener = story.people.opener
    target_note = "{name} bliver fast stafetholder."
    for name, fields in hand(story, prefer_org=opener.org):
        person = story.people.person(fields["to"])
        who = person.name if person and person.name else fields["to"]
        yield name, {**fields, "note": target_note.format(name=who)}


def grab(story: CaseStory) -> Proposals:
    if story.case.baton.offered_to:
        yield "baton.grab", {"actor": story.case.baton.offered_to}


def release(story: CaseStory) -> Proposals:
    if story.case.baton.outgoing:
        yield "baton.release", {"actor": story.case.baton.outgoing}


def decline(story: CaseStory) -> Proposals:
    if story.case.baton.offered_to:
        yield "baton.decline", {"actor": story.case.baton.offered_to,
                                "reason": "Ikke kapacitet lige nu"}


def withdraw(story: CaseStory) -> Proposals:
    yield "baton.withdraw", {"actor": story.case.baton.holder,
                             "reason": "Aftalt på mødet at vente"}
