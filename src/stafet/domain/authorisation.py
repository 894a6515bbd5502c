"""Who may read what (SPEC §3), decided here for every interface: Python, the CLI and HTTP.

The matrix, with the reasons, is ``docs/authorisation.md``; ``tests/authorisation`` walks it cell
by cell. Writes to a case are the domain's own rules (an active participant writes, under the
rules of ``decide``); the administration's acts are in ``administration.decide_admin``. This
module answers the reads and the acts that need a role.

A refusal is ``NotAllowed``: one sentence, nothing shown or stored, and the application writes
it to the access log.

    >>> scope = OverviewScope("lis@jobcenter", orgs=frozenset({"jobcenter"}))
    >>> scope.sees_row({"bo@socialcenter"})
    False
    >>> scope.sees_row({"bo@socialcenter", "anne@jobcenter"}), scope.full_row({"anne@jobcenter"})
    (True, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stafet.domain.administration import ROLE_NAMES, Roles
from stafet.domain.errors import InvalidCommand, NotAllowed
from stafet.domain.policy import Policy
from stafet.domain.state import CaseState
from stafet.domain.values import org_of

# Who reads the whole log's integrity (verify, digest, checkpoints) and the list of roles.
INTEGRITY_ROLES = frozenset({"auditor", "dpo", "admin"})


@dataclass(frozen=True)
class CaseView:
    """How much of one case a reader sees.

    ``full``: the case as it stands (an active participant). ``until``: the case as it stood
    when they left, ``version`` being the entry that took them off (a former participant).
    ``metadata``: positions, event types, actors and times, no personal fields (an auditor)."""

    kind: Literal["full", "until", "metadata"]
    version: int | None = None


def case_view(actor: str, state: CaseState, roles: Roles, *, metadata_only: bool = False,
              ) -> CaseView:
    """What ``actor`` may see of this case, or NotAllowed.

    ``metadata_only``: the reader asks for the history's metadata alone (an auditor's read)."""
    participant = state.participants.get(actor)
    if participant is not None and participant.active:
        return CaseView("full")
    if participant is not None:
        return CaseView("until", participant.left_position)
    if metadata_only and roles.has(actor, "auditor"):
        return CaseView("metadata")
    if roles.orgs_led_by(actor) & {org_of(ref) for ref, p in state.participants.items()
                                    if p.active}:
        raise NotAllowed(f"{actor} leads a team taking part in this case but takes no part in "
                         "it, so sees it in the overview only (case list, attention, caseload)",
                         code="read.overview_only")
    raise NotAllowed(f"{actor} takes no part in this case, so may not read it",
                     code="read.not_participant")


def may_read_subject_log(actor: str, roles: Roles, cases_of_subject: list[CaseState]) -> None:
    """The access log about one citizen: the data protection officer, or the citizen's own side
    (a participant taking part as the citizen, as parents of a child do) in one of their cases.
    (CJEU C-579/21: the citizen may learn who looked them up, when and why.)"""
    if roles.has(actor, "dpo"):
        return
    for state in cases_of_subject:
        participant = state.active_participant(actor)
        if participant is not None and participant.kind == "citizen":
            return
    raise NotAllowed(f"only the data protection officer or the citizen's own side may read the "
                     f"access log about a citizen, and {actor} is neither",
                     code="access_log.not_allowed")


def check_purpose(purpose: str | None, policy: Policy) -> str | None:
    """Why someone reads personal data, as the policy wants it said: a sentence with at least
    ``purpose_min_letters`` letters (and, if the policy lists purposes, one of them)."""
    text = (purpose or "").strip()
    if not text:
        if policy.purpose_required:
            raise InvalidCommand("say why you read this (--purpose): every read of personal "
                                 "data is logged with its purpose.")
        return None
    if len(text) > 500:
        raise InvalidCommand("the purpose must be at most 500 characters.")
    if sum(ch.isalpha() for ch in text) < policy.purpose_min_letters:
        raise InvalidCommand(f"the purpose says why in words (at least "
                             f"{policy.purpose_min_letters} letters), e.g. 'forberede "
                             "koordinerende møde'.")
    if policy.purposes and text.casefold() not in {p.casefold() for p in policy.purposes}:
        raise InvalidCommand(f"the purpose must be one of the policy's: "
                             f"{', '.join(policy.purposes)}.")
    return text


def require_any_role(actor: str, roles: Roles, allowed: frozenset[str], doing: str) -> None:
    if not any(roles.has(actor, role) for role in allowed):
        names = [ROLE_NAMES[r] for r in sorted(allowed)]
        listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        raise NotAllowed(f"only {listed} may {doing}; {actor} holds none of those roles",
                         code="role.required")


@dataclass(frozen=True)
class OverviewScope:
    """Which rows of the overview (case list, attention, caseload) a reader sees, and how.

    A reader sees the cases they take part in, in full; a team leader also sees the cases
    where their organisation takes part, without personal content (title, citizen, details)."""

    actor: str
    orgs: frozenset[str]  # the organisations the actor leads

    def sees_row(self, active_participants: set[str]) -> bool:
        return self.actor in active_participants or bool(
            self.orgs & {org_of(ref) for ref in active_participants})

    def full_row(self, active_participants: set[str]) -> bool:
        """False: the row is shown without personal content (the reader is not in the case)."""
        return self.actor in active_participants

    def sees_holder_load(self, holder: str) -> bool:
        """A coordinator's caseload: their own, and every holder's at an organisation led."""
        return holder == self.actor or org_of(holder) in self.orgs


def overview_scope(actor: str, roles: Roles) -> OverviewScope:
    return OverviewScope(actor, roles.orgs_led_by(actor))
