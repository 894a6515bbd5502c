"""The domain runs without any storage: decide and evolve are plain functions."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from stafet.domain.commands import build_command
from stafet.domain.decide import Context, decide
from stafet.domain.errors import InvalidCommand, RuleViolation
from stafet.domain.evolve import project_case
from stafet.domain.policy import DEFAULT_POLICY
from stafet.domain.state import CaseState
from stafet.domain.values import looks_like_cpr, recipient_covers

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def step(state: CaseState | None, name: str, **fields: object) -> CaseState:
    if state is not None:
        fields["case_id"] = state.id
    command = build_command(name, fields)
    ctx = Context(command=command, now=NOW, policy=DEFAULT_POLICY,
                  new_case_id=uuid4() if state is None else None)
    new_state = project_case(state, decide(state, command, ctx))
    assert new_state is not None
    return new_state


def test_a_full_handover_in_memory() -> None:
    s = step(None, "case.open", actor="anne@jobcenter", subject_ref="borger-1",
             subject_kind="adult", title="Forløb")
    s = step(s, "case.join", actor="anne@jobcenter", participant="bo@social", kind="authority")
    s = step(s, "baton.hand", actor="anne@jobcenter", to="bo@social")
    with pytest.raises(RuleViolation, match="no other authority has taken the baton"):
        step(s, "baton.release", actor="anne@jobcenter")
    s = step(s, "baton.grab", actor="bo@social")
    assert s.holders == ["anne@jobcenter", "bo@social"]  # the exchange zone
    s = step(s, "baton.release", actor="anne@jobcenter")
    assert s.holders == ["bo@social"] and s.version == 5 and not s.baton.temporary


@pytest.mark.parametrize("text", ["0101901234", "010190-1234", "borger 311299 1234"])
def test_cpr_shaped_text_is_recognised(text: str) -> None:
    assert looks_like_cpr(text)


@pytest.mark.parametrize("text", ["borger-4711", "sag-2026-000123", "12345"])
def test_pseudonymous_references_are_not_taken_for_cpr(text: str) -> None:
    assert not looks_like_cpr(text)


def test_a_cpr_number_is_never_accepted_as_subject_ref() -> None:
    with pytest.raises(InvalidCommand, match=r"subject_ref.*CPR"):
        build_command("case.open", {"actor": "anne@jobcenter", "subject_ref": "010190-1234",
                                    "subject_kind": "adult", "title": "x"})


def test_an_organisation_recipient_covers_everyone_there() -> None:
    assert recipient_covers("@ppr", "lise@ppr")
    assert not recipient_covers("@ppr", "lise@pprx")
    assert recipient_covers("lise@ppr", "lise@ppr")
    assert not recipient_covers("lise@ppr", "ole@ppr")


def test_a_naive_time_is_copenhagen_time() -> None:
    command = build_command("note", {"actor": "anne@jobcenter", "case_id": str(uuid4()),
                                     "text": "x", "occurred_at": "2026-07-01T12:00:00"})
    assert command.occurred_at == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)  # CEST is UTC+2
