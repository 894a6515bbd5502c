"""What a decision knows besides the case: the command, the time, the policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from stafet.domain.administration import Roles
from stafet.domain.commands import Command, OpenCase
from stafet.domain.events import CaseEvent
from stafet.domain.policy import Policy
from stafet.domain.state import CaseState
from stafet.domain.values import local_date

E = TypeVar("E", bound=CaseEvent)


@dataclass(frozen=True)
class Context:
    command: Command
    now: datetime
    policy: Policy
    new_case_id: UUID | None = None
    roles: Roles | None = None  # who holds which role (given where a rule needs it)
    key_deleted: bool = False  # the citizen's key is gone (an erasure is under way)

    @property
    def actor(self) -> str:
        return self.command.actor

    @property
    def effective_at(self) -> datetime:
        return self.command.occurred_at or self.now

    @property
    def today(self) -> date:
        """The day the command takes effect, as a person in Denmark reads it."""
        return local_date(self.effective_at)

    def actor_role(self, state: CaseState | None) -> str:
        """The role the actor acts in (SPEC §3): as the command says, else as the case knows
        them (their title there, or their kind of participant)."""
        if self.command.actor_role:
            return self.command.actor_role
        known = state.participants.get(self.command.actor) if state else None
        if known is not None:
            return known.title or known.kind
        if isinstance(self.command, OpenCase):
            return self.command.holder_title or self.command.holder_kind
        return "participant"

    def event(self, state: CaseState | None, cls: type[E], **data: Any) -> E:
        """A new event of this command, numbered after the given state."""
        case_id = state.id if state else self.new_case_id
        assert case_id is not None, "a case.open is decided with a new_case_id"
        return cls(
            originator_id=case_id,
            originator_version=(state.version if state else 0) + 1,
            recorded_at=self.now,
            actor=self.command.actor,
            actor_role=self.actor_role(state),
            occurred_at=self.command.occurred_at,
            command_id=self.command.command_id,
            **data,
        )


Decider = Callable[[CaseState, Any, Context], list[CaseEvent]]
