"""The synthetic municipality: deterministic, complete, and always within the rules."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from uuid import UUID, uuid5

import pytest

import stafet.dev.synthetic
import stafet.dev.synthetic.story as story_module
from stafet import Ledger
from stafet.dev.synthetic.item import Item
from stafet.dev.synthetic.loading import load
from stafet.dev.synthetic.parameters import KINDS
from stafet.dev.synthetic.planner import plan_cases
from stafet.dev.synthetic.stream import generate, single_case, summarise
from stafet.domain.commands import Command, HandBaton, build_command
from stafet.domain.decide import Context
from stafet.domain.errors import RuleViolation
from stafet.domain.events import CaseEvent
from stafet.domain.evolve import evolve
from stafet.domain.policy import DEFAULT_POLICY
from stafet.domain.state import CaseState
from stafet.domain.values import looks_like_cpr

# Enough cases and events that even the rare commands (a reopening, a revoked consent)
# appear, and still a few seconds on SQLite.
CASES, EVENTS, SEED = 60, 5000, 13


def lines(cases: int = CASES, events: int = EVENTS, seed: int = SEED) -> list[str]:
    return [json.dumps(item.line(), ensure_ascii=False, sort_keys=True)
            for item in generate(cases, seed, events)]


def test_the_same_seed_gives_the_same_commands() -> None:
    assert lines() == lines()
    assert lines() != lines(seed=SEED + 1)


def test_the_plan_hits_the_event_count_exactly_with_a_few_hot_cases() -> None:
    specs = plan_cases(1000, seed=3, events=100_000)
    sizes = sorted(s.events for s in specs)
    assert sum(sizes) == 100_000
    assert sizes[len(sizes) // 2] < 100 < sizes[-1] // 10  # most are small, a few are hot
    assert sum(s.hot for s in specs) >= 5


def test_it_produces_every_command_kind_it_claims() -> None:
    seen = summarise(generate(CASES, SEED, EVENTS))
    assert seen["events"] == EVENTS and seen["cases"] == CASES
    assert set(seen["by_command"]) == KINDS


def test_citizens_are_pseudonymous_and_times_fall_in_business_order() -> None:
    items = list(generate(CASES, SEED, EVENTS))
    for item in items:
        if item.name == "case.open":
            assert not looks_like_cpr(item.fields["subject_ref"])
        if item.name == "case.join" and item.fields["kind"] in ("citizen", "relative"):
            assert "participant_name" not in item.fields
    assert [i.order for i in items] == sorted(i.order for i in items)
    assert all(8 <= i.at.hour < 16 and i.at.weekday() < 5 for i in items)


@pytest.mark.slow
def test_a_real_ledger_accepts_every_generated_command(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'synthetic.db'}", read_models=False)
    report = load(ledger, generate(CASES, SEED, EVENTS), batch=200)  # a refusal would raise
    assert (report.cases, report.events) == (CASES, EVENTS)
    assert ledger.store.recorder.max_notification_id() == EVENTS
    states = [ledger.get_case(case_id) for case_id in report.case_ids.values()]
    assert sum(s.version for s in states) == EVENTS
    assert any(s.status == "closed" for s in states)
    assert ledger.read_models.catch_up() == EVENTS


@pytest.mark.parametrize("kind", ["adult", "child", "family"])
@pytest.mark.parametrize("events", [2, 10, 300])
def test_one_case_of_an_exact_size(tmp_path: Path, kind: str, events: int) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'one.db'}", read_models=False)
    report = load(ledger, single_case(events, seed=events, kind=kind, closes=True))
    state = ledger.get_case(report.case_ids[0])
    assert state.version == events
    assert state.status == "closed"


# -- the generator asks the domain, and its stream stands on the domain's rules alone ----------

REPLAY_IDS = UUID("8d7e1f0a-1c55-4f5e-9a55-4a3c2a9e6b01")


def replay(items: Iterable[Item]) -> dict[int, CaseState]:
    """Decide every command afresh, from its JSON fields alone (not the generator's own
    command), and fold the events one by one, checking the baton after each."""
    from stafet.domain.decide import decide

    states: dict[int, CaseState] = {}
    for item in items:
        case_id = uuid5(REPLAY_IDS, str(item.case))
        fields = item.fields if item.name == "case.open" else {**item.fields, "case_id": case_id}
        command = build_command(item.name, fields)
        assert command.occurred_at is not None
        context = Context(command=command, now=command.occurred_at, policy=DEFAULT_POLICY,
                          new_case_id=case_id)
        state = states.get(item.case)
        events = decide(state, command, context)  # a refusal raises: the stream broke a rule
        assert len(events) == item.events, (item.name, item.fields)
        for event in events:
            state = evolve(state, event)
            assert_the_baton_is_held(state, event)
        assert state is not None
        states[item.case] = state
    return states


def assert_the_baton_is_held(state: CaseState, event: CaseEvent) -> None:
    """SPEC 4: from open to close there is always a holder, an active professional of the case;
    in an exchange the outgoing holder is still on the case too."""
    where = f"case {state.id} at {event.originator_version} ({type(event).__name__})"
    assert state.version == event.originator_version, where
    holder = state.active_participant(state.baton.holder)
    assert holder is not None and holder.kind in ("authority", "provider"), where
    for ref in (state.baton.outgoing, state.baton.offered_to):
        assert ref is None or state.active_participant(ref) is not None, where
    assert (state.baton.stage == "offered") == (state.baton.offered_to is not None), where
    assert (state.baton.stage == "exchange") == (state.baton.outgoing is not None), where


def test_every_case_replays_through_decide_with_the_baton_always_held() -> None:
    specs = {s.number: s for s in plan_cases(CASES, SEED, EVENTS)}
    items = list(generate(CASES, SEED, EVENTS))
    states = replay(items)
    assert set(states) == set(specs)
    for number, state in states.items():
        assert state.version == specs[number].events  # every case gets exactly its planned events
        assert (state.status == "closed") == specs[number].closes
    # The check saw the baton offered and in its exchange, not only held.
    assert {"baton.hand", "baton.grab", "baton.release"} <= {item.name for item in items}


@pytest.mark.parametrize("kind", ["adult", "child", "family"])
def test_one_case_replays_and_closes_on_its_last_event(kind: str) -> None:
    items = single_case(400, seed=5, kind=kind, closes=True)
    state = replay(items)[0]
    assert (state.version, state.status, items[-1].name) == (400, "closed", "case.close")


def test_the_same_seed_gives_the_same_stream_event_for_event() -> None:
    def stream(seed: int) -> list[tuple[int, str, int, str]]:
        return [(i.case, i.name, i.events, json.dumps(i.fields, sort_keys=True))
                for i in generate(20, seed, 2000)]

    first = stream(4)
    assert first == stream(4)
    assert first != stream(5)
    assert single_case(300, seed=2) == single_case(300, seed=2)


def test_the_kept_command_is_the_one_its_fields_describe() -> None:
    """Storing a stream reuses the generator's validated command; it must be the same command
    the JSON fields give, for the ledger's case id."""
    ledger_id = UUID("00000000-0000-4000-8000-000000000001")
    for item in generate(5, SEED, 400):
        rebuilt: Command = build_command(
            item.name, item.fields if item.name == "case.open" else {**item.fields, "case_id": ledger_id})
        assert item.command(ledger_id) == rebuilt


def test_what_the_domain_refuses_the_generator_does_not_write(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a domain that refuses every hand-over, no hand-over, grab or release is generated,
    and every case still gets exactly its events and closes when planned: the generator has
    no baton rule of its own to fall back on."""
    real = story_module.decide

    def no_handovers(state: CaseState | None, command: Command, ctx: Context) -> list[CaseEvent]:
        if isinstance(command, HandBaton):
            raise RuleViolation("hand-overs are off today", code="test.no_handovers")
        return real(state, command, ctx)

    monkeypatch.setattr(story_module, "decide", no_handovers)
    items = list(generate(CASES, SEED, EVENTS))
    names = {item.name for item in items}
    assert not names & {"baton.hand", "baton.grab", "baton.release", "baton.decline",
                        "baton.withdraw"}
    specs = {s.number: s for s in plan_cases(CASES, SEED, EVENTS)}
    per_case: dict[int, int] = {}
    for item in items:
        per_case[item.case] = per_case.get(item.case, 0) + item.events
    assert per_case == {n: s.events for n, s in specs.items()}
    assert sum(item.name == "case.close" for item in items) >= sum(s.closes for s in specs.values())


RULES = {"stafet.domain.rules", "BATON_KINDS", "CITIZEN_SIDE_KINDS", "PARENT_LEVEL",
         "check_givers", "covering_consent", "consent_is_active", "recipient_covers"}


def test_the_generator_imports_no_rule() -> None:
    """The domain's rules live in stafet.domain.decide and stafet.domain.rules; the generator
    asks decide and imports none of them."""
    package = Path(stafet.dev.synthetic.__file__).parent
    for module in sorted(package.rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                imported = {node.module or "", *(alias.name for alias in node.names)}
                assert not imported & RULES, f"{module.name} imports {imported & RULES}"


def test_the_command_line_does_not_load_the_generator() -> None:
    """`stafet --help` and every verb but `dev generate` leave the generator unimported."""
    probe = ("import sys, stafet.cli; "
             "print(sorted(m for m in sys.modules if m.startswith('stafet.dev.synthetic.')))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True).stdout.strip()
    # The verbs are imported when used (stafet.cli.lazy), so not even `dev`'s parameters are.
    assert loaded == "[]"
