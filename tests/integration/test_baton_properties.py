"""Random sequences of baton commands by random actors, against a real ledger (SPEC §4).

A hypothesis state machine opens a fresh case per example on one ledger per backend (and on
the in-memory domain, for the quick loop) and
sends hand / grab / release / decline / withdraw, join / leave (participants of every
kind), close / reopen and notes, each by an actor drawn from a small pool (or by whoever
now holds, is offered, or is outgoing).  After every step:

* the ledger accepted exactly what SPEC §4 allows (an independent model predicts it);
* a refused command changed nothing: same history, same version, no new notification;
* from open to close there is always a holder, and every holder is an active
  professional participant;
* no release without a grab by someone else after the last hand-off (checked on the
  stored history);
* the stored history replayed from scratch equals ``get_case()`` (which loads through
  snapshots: the ledger here snapshots every 7 events).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from stafet import Ledger, RuleViolation
from stafet.domain.evolve import project_case
from tests.integration.baton_model import BatonModel, assert_model_matches, check_history
from tests.rules._domain import DomainLedger

OPENER = "anne@jobcenter"
POOL = (OPENER, "bo@socialcenter", "carl@misbrugscenter", "dorte@frivilligcenter", "borger@hjemme")
KINDS = ("authority", "provider", "volunteer", "citizen", "relative", "advocate", "interpreter")

# "@part": whoever the command's rule names (the holder hands, the target grabs, the outgoing
# holder releases ...); "@pro": an active professional other than the holder.  They are drawn
# as often as the whole pool, so most sequences get far into hand-offs instead of being
# refused at every step; the pool keeps the wrong actors coming too.
actor = st.sampled_from(("@part",) * 5 + POOL)
other = st.sampled_from(("@pro",) * 3 + ("@part",) + POOL)
# One rule draws the command, weighted towards the baton (hypothesis's swarm testing would
# otherwise switch whole rules off and leave most examples without a single hand-off).
command = st.sampled_from(
    ("baton.hand",) * 4 + ("baton.grab",) * 3 + ("baton.release",) * 3
    + ("baton.decline", "baton.withdraw") + ("case.join",) * 2
    + ("case.leave", "case.close", "case.reopen", "note")
)
# Who has joined before the first step, and as what (None: not yet a participant).
initial_kind = st.sampled_from(("authority", "provider", "authority", "volunteer", "citizen", None))

SETTINGS = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class BatonMachine(RuleBasedStateMachine):
    ledger: ClassVar[Ledger | DomainLedger]

    def __init__(self) -> None:
        super().__init__()
        self.case_id: Any = None
        self.model: BatonModel | None = None

    # -- helpers ------------------------------------------------------------------------

    def who(self, ref: str, command: str) -> str:
        """A pool member, or whoever the command's rule names now (see ``actor``)."""
        model = self.model
        assert model is not None
        if ref == "@pro":
            pros = sorted(p for p in model.participants if p != model.holder
                          and model.participants[p] in ("authority", "provider"))
            return pros[len(model.log) % len(pros)] if pros else OPENER
        if ref != "@part":
            return ref
        if command in ("baton.grab", "baton.decline"):
            return model.offered_to or model.holder
        if command == "baton.release":
            return model.outgoing or model.holder
        if command == "case.leave":
            others = sorted(p for p in model.participants if p not in model.holders)
            return others[len(model.log) % len(others)] if others else model.holder
        return model.holder

    def snapshot_versions(self) -> list[int]:
        if isinstance(self.ledger, DomainLedger):
            return []  # in memory: no snapshots
        assert self.ledger.store.snapshots is not None
        return [s.originator_version for s in self.ledger.store.snapshots.get(self.case_id)]

    def attempt(self, name: str, actor: str, **fields: Any) -> None:
        assert self.model is not None
        ledger = self.ledger
        why = self.model.refusal(name, actor, fields)
        before = [e.model_dump() for e in ledger.history(self.case_id)]
        version = ledger.get_case(self.case_id).version
        max_id = ledger.head()
        snapshots = self.snapshot_versions()
        try:
            result = ledger.run(name, {"actor": actor, "case_id": self.case_id, **fields})
        except RuleViolation as refusal:
            assert why is not None, (
                f"{name} by {actor} {fields} was refused ({refusal.code}: {refusal}), but the "
                f"rules (SPEC §4) allow it; history: {self.model.log}"
            )
            if name == "baton.release" and self.model.stage != "exchange" and (
                actor in self.model.participants and self.model.status == "open"
            ):
                # (a former holder after a complete hand-over is told that instead)
                assert "no other authority has taken the baton" in refusal.message or \
                    "the hand-over is complete" in refusal.message, refusal.message
            after = [e.model_dump() for e in ledger.history(self.case_id)]
            assert after == before, f"refused {name} changed the history"
            assert ledger.get_case(self.case_id).version == version
            assert ledger.head() == max_id
            assert self.snapshot_versions() == snapshots
            return
        assert why is None, (
            f"{name} by {actor} {fields} was accepted, but the rules (SPEC §4) refuse it ({why}); "
            f"history: {self.model.log}"
        )
        assert [e.position for e in result.events] == list(
            range(version + 1, result.version + 1)
        ), result
        assert not result.replayed
        self.model.accept(name, actor, fields)

    # -- the steps ----------------------------------------------------------------------

    @initialize(
        kind=st.sampled_from(["authority", "provider"]), temporary=st.booleans(),
        others=st.tuples(*[initial_kind for _ in POOL[1:]]),
    )
    def open_case(self, kind: str, temporary: bool, others: tuple[str | None, ...]) -> None:
        opened = self.ledger.run("case.open", {
            "actor": OPENER, "subject_ref": "borger-4711", "subject_kind": "adult",
            "title": "Egenskabstest af stafetten", "holder_kind": kind, "temporary": temporary,
        })
        self.case_id = opened.case_id
        self.model = BatonModel.opened(OPENER, kind)
        for ref, other_kind in zip(POOL[1:], others, strict=True):
            if other_kind is not None:
                self.attempt("case.join", OPENER, participant=ref, kind=other_kind)

    @rule(command=command, actor=actor, other=other, kind=st.sampled_from(KINDS))
    def step(self, command: str, actor: str, other: str, kind: str) -> None:
        fields: dict[str, Any] = {}
        if command == "baton.hand":
            fields = {"to": self.who(other, command)}
        elif command == "case.join":
            fields = {"participant": self.who(other, command), "kind": kind}
        elif command == "case.leave":
            fields = {"participant": self.who(other, command)}
        elif command == "case.close":
            fields = {"further_course": "Jobcentret følger op om 3 måneder",
                      "follow_up_by": self.who(other, command)}
        elif command == "case.reopen":
            fields = {"reason": "Borgeren har brug for ny koordinering"}
        elif command == "note":
            fields = {"text": "Opfølgning – æøå"}
        self.attempt(command, self.who(actor, command), **fields)

    # -- after every step ---------------------------------------------------------------

    @invariant()
    def the_log_keeps_every_baton_rule(self) -> None:
        if self.model is None:
            return
        self.model.check_invariants()
        history = self.ledger.history(self.case_id)
        loaded = self.ledger.get_case(self.case_id)
        assert project_case(None, history) == loaded, "replay from scratch != get_case()"
        assert loaded.version == len(history)
        replayed_model = check_history(history)
        assert_model_matches(self.model, loaded)
        assert_model_matches(replayed_model, loaded)


def test_random_baton_sequences_keep_the_rules_in_memory() -> None:
    """The machine on the pure domain (tests/rules/_domain.py): the rules alone, in seconds."""

    class Machine(BatonMachine):
        pass

    Machine.ledger = DomainLedger()
    run_state_machine_as_test(Machine, settings=SETTINGS)


@pytest.mark.slow  # tests/README.md: the same on real storage, with snapshots
def test_random_baton_sequences_keep_the_rules(db_url: str) -> None:
    with Ledger(db_url, snapshot_interval=7) as ledger:

        class Machine(BatonMachine):
            pass

        Machine.ledger = ledger
        run_state_machine_as_test(Machine, settings=SETTINGS)
