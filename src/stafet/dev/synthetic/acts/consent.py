"""Consents given, renewed and revoked, and information shared under them."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from stafet.dev.synthetic.acts.common import PROFESSIONAL_KINDS, Proposals, active, writer
from stafet.domain.values import org_of

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory


def give_consent(story: CaseStory) -> Proposals:
    people = story.people
    expires = story.clock.today + timedelta(days=story.rng.randint(365, 540))
    yield "consent.give", {
        "actor": story.case.baton.holder, "given_by": people.givers, "purpose": people.purpose,
        "recipients": people.recipients, "categories": list(people.categories),
        "expires_on": expires.isoformat(), "subject_age": people.age,
    }


def renew_consent(story: CaseStory) -> Proposals:
    consents = story.case.consents.values()
    if len(consents) <= 20 and any(c.revoked_at is None for c in consents):
        yield from give_consent(story)


def revoke_consent(story: CaseStory) -> Proposals:
    """Revoke an older consent once a newer one is in place."""
    older = [c for c in list(story.case.consents.values())[:-1] if c.revoked_at is None]
    if older:
        consent = story.rng.choice(older)
        yield "consent.revoke", {"actor": story.case.baton.holder,
                                 "consent_id": consent.consent_id,
                                 "reason": "Erstattet af et nyt samtykke"}


def share(story: CaseStory) -> Proposals:
    """Share with another professional; whether a consent covers them is the domain's call."""
    rng, people = story.rng, story.people
    actor = writer(story)
    recipients = [p for p in active(story.case, PROFESSIONAL_KINDS) if p.ref != actor.ref]
    categories = sorted(rng.sample(people.categories, rng.randint(1, 2)))
    for to in rng.sample(recipients, len(recipients)):
        yield "share", {
            "actor": actor.ref, "recipient": to.ref, "purpose": people.purpose,
            "categories": categories,
            "description": f"Status om {', '.join(categories)} fra {org_of(actor.ref)} til "
                           f"{org_of(to.ref)}.",
        }
