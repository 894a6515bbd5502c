"""An independent model of SPEC §4 (the baton), for the property and concurrency tests.

``BatonModel`` predicts, from SPEC §4 alone, whether a command must be accepted or
refused, and follows accepted commands.  ``check_history`` walks a stored history with
the same model and fails on the first event SPEC §4 forbids; ``check_releases`` checks
the central rule (no release without a grab by someone else after the last hand-off)
directly on the stored events; ``assert_model_matches`` compares the model with the
ledger's own state.  The ledger's code is not used, so the two can disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stafet.domain import events as ev
from stafet.domain.state import CaseState

PROFESSIONAL_KINDS = frozenset({"authority", "provider"})


@dataclass
class BatonModel:
    holder: str
    participants: dict[str, str]  # active participant ref -> kind
    status: str = "open"
    stage: str = "held"  # held | offered | exchange
    offered_to: str | None = None
    outgoing: str | None = None
    log: list[str] = field(default_factory=list)

    @classmethod
    def opened(cls, holder: str, kind: str) -> BatonModel:
        return cls(holder=holder, participants={holder: kind}, log=[f"open by {holder}"])

    @property
    def holders(self) -> list[str]:
        if self.stage == "exchange":
            assert self.outgoing is not None
            return [self.outgoing, self.holder]
        return [self.holder]

    def _professional(self, ref: str | None) -> bool:
        return ref is not None and self.participants.get(ref) in PROFESSIONAL_KINDS

    def refusal(self, name: str, actor: str, fields: Mapping[str, Any]) -> str | None:
        """Why SPEC §4 refuses this command now, or None when it must be accepted."""
        if self.status == "closed" and name != "case.reopen":
            return "the case is closed"
        if actor not in self.participants:
            return "the actor is not an active participant"
        if name == "baton.hand":
            to = fields["to"]
            if actor != self.holder:
                return "only the holder hands"
            if self.stage != "held":
                return "one offer at a time; a new hand-off only after the exchange"
            if to == actor:
                return "the target is someone other than the holder"
            if not self._professional(to):
                return "the target is an active professional participant"
            return None
        if name == "baton.grab":
            if self.stage != "offered" or actor != self.offered_to:
                return "only the target grabs an offered baton"
            return None
        if name == "baton.release":
            if self.stage != "exchange":
                return "release before another holder has grabbed"
            if actor != self.outgoing:
                return "only the outgoing holder releases"
            return None
        if name == "baton.decline":
            if self.stage != "offered" or actor != self.offered_to:
                return "only the target declines an offered baton"
            return None
        if name == "baton.withdraw":
            if self.stage != "offered" or actor != self.holder:
                return "only the holder withdraws an offered baton"
            return None
        if name == "case.join":
            if fields["participant"] in self.participants:
                return "already an active participant"
            return None
        if name == "case.leave":
            who = fields["participant"]
            if who not in self.participants:
                return "not an active participant"
            if actor not in (who, self.holder):
                return "only themselves or the holder take a participant off"
            if who in self.holders or who == self.offered_to:
                return "a holder, or someone in a hand-over, cannot leave"
            return None
        if name == "case.close":
            if actor != self.holder:
                return "only the holder closes"
            if self.stage != "held":
                return "no open exchange at close"
            if fields["follow_up_by"] not in self.participants:
                return "who follows up is a participant"
            return None
        if name == "case.reopen":
            if self.status != "closed":
                return "only a closed case is reopened"
            if not self._professional(actor):
                return "whoever reopens holds the baton, so is a professional"
            return None
        if name == "note":
            return None
        raise AssertionError(f"the model does not know {name}")

    def accept(self, name: str, actor: str, fields: Mapping[str, Any]) -> None:
        """Follow a command the ledger accepted (callers check ``refusal`` first)."""
        self.log.append(f"{name} by {actor} {dict(fields) or ''}".rstrip())
        if name == "baton.hand":
            self.stage, self.offered_to = "offered", fields["to"]
        elif name == "baton.grab":
            self.stage, self.outgoing, self.holder, self.offered_to = (
                "exchange", self.holder, actor, None,
            )
        elif name == "baton.release":
            self.stage, self.outgoing = "held", None
        elif name in ("baton.decline", "baton.withdraw"):
            self.stage, self.offered_to = "held", None
        elif name == "case.join":
            self.participants[fields["participant"]] = fields["kind"]
        elif name == "case.leave":
            del self.participants[fields["participant"]]
        elif name == "case.close":
            self.status = "closed"
        elif name == "case.reopen":
            self.status, self.holder, self.stage = "open", actor, "held"
            self.offered_to = self.outgoing = None

    def check_invariants(self) -> None:
        if self.status != "open":
            return
        assert self.holders, "an open case has no holder"
        for ref in self.holders:
            assert self._professional(ref), (
                f"{ref} is listed as holder but is not an active professional participant"
            )


# What each stored event is, as the command that SPEC §4 judges.
_EVENT_COMMANDS: dict[type[ev.CaseEvent], str] = {
    ev.BatonHanded: "baton.hand",
    ev.BatonGrabbed: "baton.grab",
    ev.BatonReleased: "baton.release",
    ev.BatonDeclined: "baton.decline",
    ev.HandoverWithdrawn: "baton.withdraw",
    ev.ParticipantJoined: "case.join",
    ev.ParticipantLeft: "case.leave",
    ev.CaseClosed: "case.close",
    ev.CaseReopened: "case.reopen",
}


def _as_command(event: ev.CaseEvent) -> tuple[str, dict[str, Any]]:
    name = _EVENT_COMMANDS.get(type(event), "note")
    if isinstance(event, ev.BatonHanded):
        return name, {"to": event.to}
    if isinstance(event, ev.ParticipantJoined):
        return name, {"participant": event.participant.ref, "kind": event.participant.kind}
    if isinstance(event, ev.ParticipantLeft):
        return name, {"participant": event.ref}
    if isinstance(event, ev.CaseClosed):
        return name, {"follow_up_by": event.follow_up_by}
    return name, {}


def check_history(history: Sequence[ev.CaseEvent]) -> BatonModel:
    """Walk a stored history; fail on the first event SPEC §4 forbids. Returns the model."""
    assert history, "empty history"
    positions = [e.originator_version for e in history]
    assert positions == list(range(1, len(history) + 1)), f"positions are not 1..n: {positions}"
    first = history[0]
    assert isinstance(first, ev.CaseOpened), f"the history starts with {type(first).__name__}"
    model = BatonModel.opened(first.holder.ref, first.holder.kind)
    model.check_invariants()
    for event in history[1:]:
        assert not isinstance(event, ev.CaseOpened), f"a second CaseOpened at {event.position}"
        name, fields = _as_command(event)
        why = model.refusal(name, event.actor, fields)
        assert why is None, (
            f"stored event {event.position} {type(event).__name__} by {event.actor} breaks "
            f"SPEC §4: {why}; history so far: {model.log}"
        )
        model.accept(name, event.actor, fields)
        model.check_invariants()
    check_releases(history)
    return model


def check_releases(history: Sequence[ev.CaseEvent]) -> None:
    """Every release follows a grab, by someone other than the releaser, after the last hand."""
    last_hand: int | None = None
    grab_since_hand: ev.CaseEvent | None = None
    for event in history:
        if isinstance(event, ev.BatonHanded):
            last_hand, grab_since_hand = event.position, None
        elif isinstance(event, ev.BatonGrabbed) and last_hand is not None:
            grab_since_hand = event
        elif isinstance(event, ev.CaseReopened):
            last_hand, grab_since_hand = None, None
        elif isinstance(event, ev.BatonReleased):
            assert last_hand is not None, f"release at {event.position} with no hand-off before"
            assert grab_since_hand is not None, (
                f"release at {event.position} by {event.actor}: nobody grabbed since the "
                f"hand-off at {last_hand}"
            )
            assert grab_since_hand.actor != event.actor, (
                f"release at {event.position}: the grab at {grab_since_hand.position} was by "
                "the releaser themselves"
            )
            grab_since_hand = None  # one grab allows one release


def assert_model_matches(model: BatonModel, state: CaseState) -> None:
    assert state.status == model.status, (state.status, model.log)
    assert state.baton.stage == model.stage, (state.baton, model.log)
    assert state.baton.holder == model.holder, (state.baton, model.log)
    assert state.baton.offered_to == (model.offered_to if model.stage == "offered" else None), (
        state.baton, model.log,
    )
    assert state.baton.outgoing == model.outgoing, (state.baton, model.log)
    assert state.holders == model.holders, (state.holders, model.log)
    active = {ref: p.kind for ref, p in state.participants.items() if p.active}
    assert active == model.participants, (active, model.log)
    if state.status == "open":
        assert state.holders, "an open case has no holder"
        for ref in state.holders:
            participant = state.active_participant(ref)
            assert participant is not None and participant.may_hold_baton, (
                f"holder {ref} is not an active professional participant: {participant}"
            )
