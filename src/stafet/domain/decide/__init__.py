"""``decide(state, command) -> events``: every rule of the ledger, and only here.

A refused command raises ``RuleViolation`` with one sentence saying why; a
decided command returns the events to store, numbered after the current state.
"""

from __future__ import annotations

from stafet.domain.administration import require_role
from stafet.domain.commands import (
    CaseCommand,
    Command,
    ConfirmBaton,
    DeclineBaton,
    EraseCase,
    GrabBaton,
    HandBaton,
    OpenCase,
    ReleaseBaton,
    ReopenCase,
    WithdrawHandover,
)
from stafet.domain.decide import baton, case, consent, log, meetings, participants, plan
from stafet.domain.decide.context import Context
from stafet.domain.decide.registry import DECIDERS
from stafet.domain.events import CaseEvent, PersonalDataErased
from stafet.domain.rules import (
    refuse,
    require_actor_takes_part,
    require_not_before,
    require_not_erased,
    require_not_in_future,
    require_open,
)
from stafet.domain.state import CaseState

__all__ = ["Context", "decide"]

_MODULES = (baton, case, consent, log, meetings, participants, plan)  # each registers its deciders
_BATON_MOVES = (HandBaton, GrabBaton, ReleaseBaton, DeclineBaton, WithdrawHandover, ConfirmBaton)


def decide(state: CaseState | None, command: Command, ctx: Context) -> list[CaseEvent]:
    if command.occurred_at is not None:
        require_not_in_future(command.occurred_at, ctx.now, ctx.policy)
    if isinstance(command, OpenCase):
        return case.open_case(command, ctx)
    assert isinstance(command, CaseCommand) and state is not None
    require_not_erased(state)
    if isinstance(command, EraseCase):
        # An administrative act on any case, open or closed: the data protection officer's,
        # recorded once the key is gone, so the log never claims an erasure that did not happen.
        require_role(ctx.roles, command.actor, "dpo", "erase a citizen's personal data")
        if not ctx.key_deleted:
            refuse("erase.key_exists", "the citizen's key still exists; an erasure is recorded "
                   "only by the erasure itself (stafet erase), which deletes the key first")
        return [ctx.event(state, PersonalDataErased, reason=command.reason)]
    if not isinstance(command, ReopenCase):
        require_open(state)
    require_actor_takes_part(state, command.actor)
    if command.occurred_at is not None and isinstance(command, _BATON_MOVES):
        # Never zero holders, in business time too: the baton moves in order. (A note may
        # well tell of something from before; the baton's own story may not be rewritten.)
        require_not_before(command.occurred_at, state.baton.last_change, "the baton's last move")
    return DECIDERS[type(command)](state, command, ctx)
