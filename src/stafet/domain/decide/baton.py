"""The baton (SPEC §4): hand -> grab -> release; decline; withdraw.

HELD(h) --hand(to=t)--> OFFERED(h->t) --grab(by=t)--> EXCHANGE(h->t, t holds)
        --release(by=h)--> HELD(t);   OFFERED --decline(t) | withdraw(h)--> HELD(h)
"""

from __future__ import annotations

from stafet.domain import events as ev
from stafet.domain.commands import (
    ConfirmBaton,
    DeclineBaton,
    GrabBaton,
    HandBaton,
    ReleaseBaton,
    WithdrawHandover,
)
from stafet.domain.decide.context import Context
from stafet.domain.decide.registry import handles
from stafet.domain.rules import (
    refuse,
    require_baton_eligible,
    require_holder,
    require_no_open_handover,
)
from stafet.domain.state import CaseState


@handles(HandBaton)
def hand(s: CaseState, c: HandBaton, ctx: Context) -> list[ev.CaseEvent]:
    require_holder(s, c.actor, "hand the baton on")
    require_no_open_handover(s, "hand the baton on again")
    if c.to == c.actor:
        refuse("baton.self", "you already hold the baton; hand it to another participant")
    require_baton_eligible(s, c.to)
    return [ctx.event(s, ev.BatonHanded, to=c.to, note=c.note)]


@handles(GrabBaton)
def grab(s: CaseState, c: GrabBaton, ctx: Context) -> list[ev.CaseEvent]:
    if s.baton.stage == "exchange":
        refuse("baton.not_offered",
               f"{s.baton.holder} has already grabbed the baton; the exchange waits for "
               f"{s.baton.outgoing} to release it")
    if s.baton.stage != "offered":
        refuse("baton.not_offered", "the baton has not been handed to anyone, so nobody can grab it")
    if c.actor != s.baton.offered_to:
        refuse(
            "baton.not_target",
            f"the baton is offered to {s.baton.offered_to}; only they can grab it",
        )
    return [ctx.event(s, ev.BatonGrabbed)]


@handles(ReleaseBaton)
def release(s: CaseState, c: ReleaseBaton, ctx: Context) -> list[ev.CaseEvent]:
    """The Stafet model's central rule: no release until another authority has grabbed."""
    if s.baton.stage != "exchange":
        refuse(
            "baton.release_before_grab",
            f"{c.actor} no longer holds the baton: {s.baton.holder} holds it and the "
            "hand-over is complete, so there is nothing to release"
            if s.baton.stage == "held" and c.actor != s.baton.holder
            and any(h.holder == c.actor for h in s.holds) else
            "no other authority has taken the baton yet; a stafetholder cannot release it "
            "until another holder has grabbed it",
        )
    if c.actor != s.baton.outgoing:
        refuse(
            "baton.not_outgoing",
            f"only the outgoing holder ({s.baton.outgoing}) can release the baton",
        )
    return [ctx.event(s, ev.BatonReleased)]


@handles(ConfirmBaton)
def confirm(s: CaseState, c: ConfirmBaton, ctx: Context) -> list[ev.CaseEvent]:
    """A temporary holder chosen to stay becomes the permanent holder, without a hand-over."""
    require_holder(s, c.actor, "confirm the baton")
    require_no_open_handover(s, "confirm the baton")
    if not s.baton.temporary:
        refuse("baton.not_temporary", f"{s.baton.holder} already holds the baton permanently")
    return [ctx.event(s, ev.BatonConfirmed, note=c.note)]


@handles(DeclineBaton)
def decline(s: CaseState, c: DeclineBaton, ctx: Context) -> list[ev.CaseEvent]:
    if s.baton.stage != "offered":
        refuse("baton.not_offered", "the baton is not on offer, so there is nothing to decline")
    if c.actor != s.baton.offered_to:
        refuse(
            "baton.not_target",
            f"the baton is offered to {s.baton.offered_to}; only they can decline it",
        )
    return [ctx.event(s, ev.BatonDeclined, reason=c.reason)]


@handles(WithdrawHandover)
def withdraw(s: CaseState, c: WithdrawHandover, ctx: Context) -> list[ev.CaseEvent]:
    if s.baton.stage != "offered":
        refuse("baton.not_offered", "the baton is not on offer, so there is nothing to withdraw")
    require_holder(s, c.actor, "withdraw the hand-over")
    return [ctx.event(s, ev.HandoverWithdrawn, reason=c.reason)]
