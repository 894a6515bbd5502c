"""Opening, phases, winding down, closing and reopening a case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from stafet.dev.synthetic.acts.common import PROFESSIONAL_KINDS, Proposals, active
from stafet.dev.synthetic.acts.plan import cancel, complete
from stafet.dev.synthetic.vocabulary import TITLES
from stafet.domain.state import CaseState

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory


def open_case(story: CaseStory) -> Proposals:
    people, rng = story.people, story.rng
    opener = people.opener
    prefix = {"adult": "borger", "child": "barn", "family": "familie"}[people.kind]
    yield "case.open", {
        "actor": opener.ref, "actor_role": opener.title.split(",")[0],
        "subject_ref": f"{prefix}-{people.handle}", "subject_kind": people.kind,
        "title": rng.choice(TITLES[people.kind]), "holder_kind": opener.kind,
        "holder_title": opener.title, "holder_name": opener.name,
        # Children's cases are more often opened by whoever noticed first (a school, a daycare).
        "temporary": rng.random() < (0.6 if people.kind == "child" else 0.3),
    }


def close(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    follow = rng.choice(active(state, PROFESSIONAL_KINDS))
    continuing = [sp for sp in sorted(state.sector_plans) if rng.random() < 0.6]
    yield "case.close", {
        "actor": state.baton.holder,
        "further_course": f"{story.people.who} fortsætter i de sektorplaner, der lever videre. "
                          f"{follow.name} følger op om tre måneder.",
        "follow_up_by": follow.ref, "continuing_sector_plans": continuing,
    }


def reopen(story: CaseStory) -> Proposals:
    """Often the last holder takes the case up again, else someone else still on it."""
    state, rng = story.case, story.rng
    reason = f"Ny henvendelse: {story.texts.situation()}; forløbet genoptages."
    refs = [p.ref for p in active(state)]
    first = [state.baton.holder] if rng.random() < 0.6 else []
    for ref in first + rng.sample(refs, len(refs)):
        yield "case.reopen", {"actor": ref, "reason": reason}


def phase(story: CaseStory) -> Proposals:
    state, rng = story.case, story.rng
    new = min(3, state.phase + 1) if rng.random() < 0.8 else max(1, state.phase - 1)
    if new != state.phase:
        yield "phase", {
            "actor": state.baton.holder, "phase": new,
            "reason": "Tværfaglig drøftelse" if new > 1 else "Tilbage til lokale indsatser",
        }


def wind_down(story: CaseStory) -> Proposals:
    """Finish what is still open, then close: a hand-over in progress, an open agreement."""
    state, rng = story.case, story.rng
    if state.baton.offered_to:
        yield "baton.grab", {"actor": state.baton.offered_to}
    if state.baton.outgoing:
        yield "baton.release", {"actor": state.baton.outgoing}
    still_open = state.open_agreements()
    if still_open:
        agreement = rng.choice(still_open)
        if rng.random() < 0.85:
            yield from complete(story, agreement)
        else:
            yield from cancel(story, agreement)
    yield from close(story)


def wind_down_dry_run(state: CaseState) -> Proposals:
    """The same wind-down without texts or chance, to count what closing would take."""
    baton = state.baton
    if baton.offered_to:
        yield "baton.grab", {"actor": baton.offered_to}
    if baton.outgoing:
        yield "baton.release", {"actor": baton.outgoing}
    for agreement in state.open_agreements()[:1]:
        yield "agreement.complete", {"actor": baton.holder, "agreement_id": agreement.agreement_id}
    yield "case.close", {"actor": baton.holder, "further_course": "Afsluttes.",
                         "follow_up_by": baton.holder}
