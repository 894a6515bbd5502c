"""The shape of the synthetic municipality, so a change to the generator can be checked
against the stores the benchmarks were measured on.

Generates a fixed-seed stream, replays every command through the domain's own ``decide``
(no store, no generator internals: the numbers are what a ledger would hold) and prints
events per case, each event type's share, open and closed cases, hand-overs and
participants per case, and the subject kinds.

    python -m bench.synthetic_stats                      # 400 cases, seed 7, as text
    python -m bench.synthetic_stats --json > before.json # every figure, for a comparison
    python -m bench.synthetic_stats --compare before.json  # a Markdown table, before | now
    python -m bench.synthetic_stats --compare a.json --compare b.json  # a | b | now
    python -m bench.synthetic_stats --no-run --compare a.json --compare b.json  # a | b
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID, uuid5

from stafet.dev.synthetic.stream import generate
from stafet.domain.commands import Command
from stafet.domain.decide import Context, decide
from stafet.domain.evolve import evolve
from stafet.domain.policy import DEFAULT_POLICY
from stafet.domain.state import CaseState

NAMESPACE = UUID("5f0c8a52-3d0e-4a47-9b6e-2b1d6f0e7a11")  # case ids of the replay only


class StreamItem(Protocol):
    """What the replay needs of a generated item (the old generator's ``Item`` had it too)."""

    case: int
    name: str

    def command(self, case_id: UUID | str | None = None) -> Command: ...


def percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def collect(items: Iterable[StreamItem]) -> dict[str, Any]:
    """Replay the stream through ``decide`` and ``evolve`` and count what the cases hold."""
    states: dict[int, CaseState] = {}
    event_types: Counter[str] = Counter()
    commands: Counter[str] = Counter()
    per_case: Counter[int] = Counter()
    handed: Counter[int] = Counter()
    released: Counter[int] = Counter()
    people: dict[int, set[str]] = {}
    reopened: set[int] = set()
    for item in items:
        case_id = uuid5(NAMESPACE, str(item.case))
        command = item.command(None if item.name == "case.open" else case_id)
        now = command.occurred_at or datetime(2025, 1, 6, 8, tzinfo=UTC)
        context = Context(command=command, now=now, policy=DEFAULT_POLICY, new_case_id=case_id)
        state = states.get(item.case)
        for event in decide(state, command, context):  # a refusal raises: the stream is broken
            state = evolve(state, event)
            kind = type(event).__name__
            event_types[kind] += 1
            per_case[item.case] += 1
            handed[item.case] += kind == "BatonHanded"
            released[item.case] += kind == "BatonReleased"
            if kind == "CaseReopened":
                reopened.add(item.case)
        assert state is not None
        states[item.case] = state
        commands[item.name] += 1
        people.setdefault(item.case, set()).update(state.participants)
    cases = sorted(states)
    sizes = [per_case[c] for c in cases]
    participants = [len(people[c]) for c in cases]
    events = sum(sizes)
    return {
        "cases": len(cases),
        "events": events,
        "commands": sum(commands.values()),
        "events_per_case": {
            "mean": round(statistics.fmean(sizes), 1), "p50": percentile(sizes, 0.5),
            "p90": percentile(sizes, 0.9), "max": max(sizes),
        },
        "event_share": {k: round(100 * v / events, 2) for k, v in sorted(event_types.items())},
        "command_share": {k: round(100 * v / sum(commands.values()), 2)
                          for k, v in sorted(commands.items())},
        "closed": sum(states[c].status == "closed" for c in cases),
        "open": sum(states[c].status == "open" for c in cases),
        "reopened": len(reopened),
        "handovers_per_case": round(statistics.fmean(handed[c] for c in cases), 2),
        "completed_handovers_per_case": round(statistics.fmean(released[c] for c in cases), 2),
        "participants_per_case": {
            "mean": round(statistics.fmean(participants), 2), "p50": percentile(participants, 0.5),
            "max": max(participants),
        },
        "subject_kinds": dict(sorted(Counter(states[c].subject_kind for c in cases).items())),
    }


def rows(stats: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures as (label, value) rows, in a fixed order."""
    n = stats["cases"]
    out = [
        ("cases / commands / events", f"{n} / {stats['commands']} / {stats['events']}"),
        *((f"events per case, {k}", str(v)) for k, v in stats["events_per_case"].items()),
        ("cases closed at the end", f"{stats['closed']} ({100 * stats['closed'] / n:.1f}%)"),
        ("cases open at the end", f"{stats['open']} ({100 * stats['open'] / n:.1f}%)"),
        ("cases reopened", str(stats["reopened"])),
        ("hand-overs (BatonHanded) per case", str(stats["handovers_per_case"])),
        ("completed hand-overs (BatonReleased) per case", str(stats["completed_handovers_per_case"])),
        *((f"participants per case, {k}", str(v)) for k, v in stats["participants_per_case"].items()),
        *((f"subject kind {k}", f"{v} ({100 * v / n:.1f}%)") for k, v in stats["subject_kinds"].items()),
    ]
    out += [(f"{k} (% of events)", f"{v:.2f}") for k, v in stats["event_share"].items()]
    return out


def compare(runs: dict[str, dict[str, Any]]) -> str:
    """A Markdown table of several runs (column title: figures), row by row; a row missing
    in a run shows a dash."""
    columns = {title: dict(rows(stats)) for title, stats in runs.items()}
    labels: list[str] = []
    for figures in columns.values():
        labels += [label for label in figures if label not in labels]
    lines = ["| figure | " + " | ".join(columns) + " |",
             "|---|" + "---:|" * len(columns)]
    lines += [f"| {label} | " + " | ".join(f.get(label, "–") for f in columns.values()) + " |"
              for label in labels]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--events", type=int, default=None, help="in all (default 100 a case)")
    parser.add_argument("--json", action="store_true", help="print every figure as JSON")
    parser.add_argument("--compare", type=Path, action="append", default=[],
                        help="a JSON file of an earlier run (repeatable): print a Markdown table "
                        "of those runs and this one")
    parser.add_argument("--no-run", action="store_true",
                        help="with --compare: only the files, generate nothing")
    args = parser.parse_args(argv)
    earlier = {path.stem.removeprefix("synthetic-stats-"): json.loads(path.read_text(encoding="utf-8"))
               for path in args.compare}
    if args.no_run:
        print(compare(earlier))
        return
    stats = collect(generate(args.cases, args.seed, args.events))
    stats["arguments"] = {"cases": args.cases, "seed": args.seed, "events": args.events}
    if args.json:
        json.dump(stats, sys.stdout, indent=2, ensure_ascii=False)
        print()
    elif args.compare:
        print(compare({**earlier, f"now (seed {args.seed})": stats}))
    else:
        width = max(len(label) for label, _ in rows(stats))
        for label, value in rows(stats):
            print(f"{label:<{width}}  {value}")


if __name__ == "__main__":
    main()
