"""The synthetic municipality: deterministic, complete, and always within the rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stafet import Ledger
from stafet.domain.values import looks_like_cpr
from stafet.synthetic import KINDS, generate, load, plan_cases, single_case, summarise

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
    assert ledger.recorder.max_notification_id() == EVENTS
    states = [ledger.get_case(case_id) for case_id in report.case_ids.values()]
    assert sum(s.version for s in states) == EVENTS
    assert any(s.status == "closed" for s in states)
    assert ledger.projections.catch_up() == EVENTS


@pytest.mark.parametrize("kind", ["adult", "child", "family"])
@pytest.mark.parametrize("events", [2, 10, 300])
def test_one_case_of_an_exact_size(tmp_path: Path, kind: str, events: int) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'one.db'}", read_models=False)
    report = load(ledger, single_case(events, seed=events, kind=kind, closes=True))
    state = ledger.get_case(report.case_ids[0])
    assert state.version == events
    assert state.status == "closed"
