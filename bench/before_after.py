"""Before and after: the same workloads, timed with whichever stafet is installed.

Run it twice, with the venv of an older commit and with the current one, from this directory:

    git worktree add /tmp/stafet-before <commit>
    python3 -m venv /tmp/before-venv && /tmp/before-venv/bin/pip install -q /tmp/stafet-before
    /tmp/before-venv/bin/python -m bench.before_after --label before > before.json
    .venv/bin/python -m bench.before_after --label after > after.json
    .venv/bin/python -m bench.before_after --table before.json after.json

Each run fills a fresh store with the synthetic municipality (fixed seed), then times:
commands by one writer on it (each its own transaction), a restarted projection runner following
a writer two commands at a time, a full rebuild, a catch-up by a fresh runner, and loading a
10,000-event case with snapshots (nothing cached).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.workload import make_workload
from stafet import Ledger
from stafet.dev.synthetic.loading import load
from stafet.dev.synthetic.stream import single_case


def _ledger(url: str, cached: bool = True) -> Ledger:
    try:
        return Ledger(url, read_models=False, case_cache_size=1000 if cached else 0)
    except TypeError:  # a stafet from before the case cache
        return Ledger(url, read_models=False)


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def measure(url: str, events: int, commands: int) -> dict[str, Any]:
    work = make_workload(events, 7, [("timed", commands), ("follow", commands)])
    ledger = _ledger(url)
    report = load(ledger, work.prefix())
    ids = dict(report.case_ids)
    out: dict[str, Any] = {}

    times = []
    for item in work.segments["timed"]:
        started = time.perf_counter()
        result = ledger.execute(item.command(ids.get(item.case)))
        times.append(time.perf_counter() - started)
        ids.setdefault(item.case, result.case_id)
    out["commands/s (1 writer)"] = len(times) / sum(times)
    out["command p50 ms"] = _pct(times, 0.5)
    out["command p99 ms"] = _pct(times, 0.99)

    ledger.read_models.catch_up()
    follower = _ledger(url).read_models
    batches = []
    items = work.segments["follow"]
    for start in range(0, len(items), 2):
        for item in items[start:start + 2]:
            result = ledger.execute(item.command(ids.get(item.case)))
            ids.setdefault(item.case, result.case_id)
        started = time.perf_counter()
        follower.catch_up()
        batches.append(time.perf_counter() - started)
    out["follow ms a batch, p50"] = _pct(batches, 0.5)
    out["follow ms a batch, p99"] = _pct(batches, 0.99)

    runner = _ledger(url).read_models
    started = time.perf_counter()
    n = runner.rebuild()
    out["rebuild events/s"] = n / (time.perf_counter() - started)

    big = load(ledger, single_case(10_000, seed=3)).case_ids[0]
    cold = _ledger(url, cached=False)
    cold.get_case(big)
    loads = []
    for _ in range(30):
        started = time.perf_counter()
        cold.get_case(big)
        loads.append(time.perf_counter() - started)
    out["load 10,000-event case p50 ms"] = _pct(loads, 0.5)
    out["load 10,000-event case p99 ms"] = _pct(loads, 0.99)
    return out


def table(files: list[str]) -> None:
    runs = [json.loads(Path(f).read_text()) for f in files]
    for backend in runs[0]["figures"]:
        print(f"\n{backend}, {runs[0]['events']:,} events in the store\n")
        print("| figure | " + " | ".join(r["label"] for r in runs) + " |")
        print("|---|" + "---|" * len(runs))
        for name in runs[0]["figures"][backend]:
            cells = [f"{r['figures'][backend][name]:,.1f}" for r in runs]
            print(f"| {name} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="this")
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--commands", type=int, default=600)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--workdir", default="/tmp/stafet-before-after")
    parser.add_argument("--table", nargs="+", metavar="JSON")
    args = parser.parse_args()
    if args.table:
        table(args.table)
        return
    import psycopg

    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    path = Path(args.workdir) / f"{args.label}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    schema = f"bench_before_after_{args.label}"
    conninfo = args.pg.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    figures = {}
    for backend, url in (("sqlite", f"sqlite:///{path}"), ("postgres", f"{args.pg}?schema={schema}")):
        print(f"{args.label}: {backend} ...", file=sys.stderr)
        figures[backend] = measure(url, args.events, args.commands)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    print(json.dumps({"label": args.label, "events": args.events, "figures": figures}, indent=2))


if __name__ == "__main__":
    main()
