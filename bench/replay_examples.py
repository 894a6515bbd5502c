"""Multiply the example cases up to N events, then time a full rebuild of the read models.

    python bench/replay_examples.py --events 100000 --db sqlite:///bench.db
    python bench/replay_examples.py --events 100000 --db postgresql+psycopg://postgres@127.0.0.1/test?schema=bench

Writes each example copy as one unit of work (read models off while writing), then runs
`projections rebuild` and reports events/s. Prints a JSON line at the end for machines.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import click

from stafet.ledger import Ledger

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [ROOT / "examples" / "adult-case" / "case.jsonl",
            ROOT / "examples" / "family-case" / "case.jsonl"]


def example_items() -> list[list[dict]]:
    out = []
    for path in EXAMPLES:
        lines = path.read_text(encoding="utf-8").splitlines()
        out.append([json.loads(raw) for raw in lines if raw.strip() and not raw.startswith("#")])
    return out


def fill(ledger: Ledger, target_events: int) -> int:
    examples = example_items()
    written = ledger.store.recorder.max_notification_id() or 0
    copy = 0
    with click.progressbar(length=target_events, label="Writing", file=sys.stderr) as bar:
        bar.update(written)
        while written < target_events:
            items = examples[copy % len(examples)]
            lines = [json.dumps({**item, "subject_ref": f"{item['subject_ref']}-{copy:06d}"}
                                if item["command"] == "case.open" else item) for item in items]
            results = ledger.apply_batch(lines, atomic=True)
            copy += 1
            stored = sum(len(r.events) for r in results)
            bar.update(stored)
            written += stored
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite:///bench-replay.db")
    args = parser.parse_args()
    ledger = Ledger(args.db, read_models=False)
    started = time.perf_counter()
    total = fill(ledger, args.events)
    write_seconds = time.perf_counter() - started
    runner = ledger.read_models
    started = time.perf_counter()
    with click.progressbar(length=total, label="Rebuilding", file=sys.stderr) as bar:
        done = [0]

        def progress(applied: int, _head: int) -> None:
            bar.update(applied - done[0])
            done[0] = applied

        rebuilt = runner.rebuild(progress=progress)
    rebuild_seconds = time.perf_counter() - started
    result = {
        "db": ledger.storage.backend, "events": total,
        "write_seconds": round(write_seconds, 1),
        "write_events_per_second": round(total / write_seconds),
        "rebuild_events": rebuilt, "rebuild_seconds": round(rebuild_seconds, 1),
        "rebuild_events_per_second": round(rebuilt / rebuild_seconds),
    }
    print(f"{total:,} events: written at {result['write_events_per_second']:,}/s; "
          f"rebuild {rebuilt:,} events in {rebuild_seconds:.1f} s = "
          f"{result['rebuild_events_per_second']:,} events/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
