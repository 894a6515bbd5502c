"""Issue 17, point 10: a former holder who releases again after the hand-over is complete is
told that, not that "no other authority has taken the baton yet" (which is the opposite)."""

from __future__ import annotations

from tests.helpers import HOLDER, SOCIAL, Scenario
from tests.rules._domain import DomainLedger
from tests.rules._support import refusal, to_stage


def test_a_former_holder_releasing_after_the_hand_over_is_told_it_is_complete(
        ledger: DomainLedger) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    to_stage(case, "exchange")
    case.do("baton.release", actor=HOLDER)
    message = refusal(case, "baton.release", "baton.release_before_grab",
                      rf"^{HOLDER} no longer holds the baton: {SOCIAL} holds it and the hand-over "
                      r"is complete, so there is nothing to release$")
    assert "no other authority" not in message
    # The holder themselves, before any hand-over, still hears the rule.
    refusal(case, "baton.release", "baton.release_before_grab",
            r"^no other authority has taken the baton yet", actor=SOCIAL)
