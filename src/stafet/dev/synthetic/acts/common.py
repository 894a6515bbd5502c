"""What every act needs: the proposal's shape, and who on a case is who."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stafet.domain.state import CaseState, Participant

if TYPE_CHECKING:
    from stafet.dev.synthetic.story import CaseStory

Proposal = tuple[str, dict[str, Any]]
"""A command's name and its fields (JSON-ready, without case_id and occurred_at)."""
Proposals = Iterator[Proposal]

# Story choices, not rules: who works on a case and is written to about it, and who keeps
# its log (the professionals with a case system of their own).
PROFESSIONAL_KINDS = frozenset({"authority", "provider", "volunteer"})
WRITER_KINDS = frozenset({"authority", "provider"})
CITIZEN_KINDS = frozenset({"citizen", "relative"})


def active(state: CaseState, kinds: frozenset[str] | None = None) -> list[Participant]:
    return [p for p in state.participants.values()
            if p.active and (kinds is None or p.kind in kinds)]


def writer(story: CaseStory) -> Participant:
    """Who writes: the holder often, else another professional."""
    state = story.case
    if story.rng.random() < 0.4:
        return state.participants[state.baton.holder]
    return story.rng.choice(active(state, WRITER_KINDS))


def role_of(story: CaseStory, ref: str) -> str | None:
    """The actor's role as they would sign: the first part of their title."""
    title = story.case.participants[ref].title
    return title.split(",")[0] if title else None
