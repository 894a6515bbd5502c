"""The stafet benchmark suite: run every workload, write bench/RESULTS.md.

    .venv/bin/python -m bench.run --quick          # a few minutes: 10k events, SQLite and PostgreSQL
    .venv/bin/python -m bench.run --full           # the cost curve: 10k, 100k and 1M events
    .venv/bin/python -m bench.run --full --sizes 10000,100000 --backends sqlite

Per backend and store size: fill the store with a synthetic municipality; copy its rows with
plain SQL (baselines); rebuild the read models; send commands with 1, 2, 4, 8 writer
processes (stafet, the bare eventsourcing library, raw inserts); catch up; (SQLite) one
writer with read models on; projection lag under sustained writes; load cases of 10, 1,000
and 10,000 events; verify. Fixed seeds: the same commands every run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from bench import loading, readside, report, trust, workload, writers
from bench.common import (
    DEFAULT_PG,
    machine,
    pg_reachable,
    pg_settings,
    pg_started_at,
    pg_store,
    progress,
    say,
    sqlite_settings,
    sqlite_store,
    wait_for_pg,
)

HERE = Path(__file__).resolve().parent

MODES: dict[str, dict[str, Any]] = {
    "smoke": {  # does everything run? (under a minute; the figures mean little)
        "sizes": [2000], "writers": [1, 2], "segment": 40, "read_models_segment": 20,
        "lag_segment": 60, "lag_writers": 2, "load_sizes": [10, 300],
        "load_repeats": {10: 5, 300: 5},
    },
    "quick": {
        "sizes": [10_000], "writers": [1, 2, 4, 8], "segment": 240, "read_models_segment": 120,
        "lag_segment": 400, "lag_writers": 2, "load_sizes": [10, 1000, 10_000],
        "load_repeats": {10: 30, 1000: 20, 10_000: 10},
    },
    "full": {
        "sizes": [10_000, 100_000, 1_000_000], "writers": [1, 2, 4, 8], "segment": 1500,
        "read_models_segment": 600, "lag_segment": 2000, "lag_writers": 2,
        "load_sizes": [10, 1000, 10_000], "load_repeats": {10: 200, 1000: 100, 10_000: 40},
    },
}


def run_size(backend: str, size: int, cfg: dict[str, Any], args: argparse.Namespace,
             results: dict[str, Any], save: Any) -> None:
    tag = f"{backend}-{size}"
    if backend == "sqlite":
        store = sqlite_store(args.workdir, f"stafet-{size}")
        bare = sqlite_store(args.workdir, f"bare-{size}")
    else:
        store = pg_store(args.pg, f"{args.schema_prefix}_stafet_{size}")
        bare = pg_store(args.pg, f"{args.schema_prefix}_bare_{size}")
    store.drop()
    bare.drop()
    bare.create()
    per: dict[str, Any] = {}
    results["backends"].setdefault(backend, {})[str(size)] = per
    segments = [(f"w{n}", cfg["segment"]) for n in cfg["writers"]]
    if backend == "sqlite":  # read models on (the SQLite default), each writer count
        segments += [(f"rm{n}", cfg["read_models_segment"]) for n in cfg["writers"]]
    segments.append(("lag", cfg["lag_segment"]))
    say(f"[{tag}] planning the synthetic municipality (seed {args.seed})")
    work = workload.make_workload(size, args.seed, segments)
    per["mix"] = work.mix("w1")

    say(f"[{tag}] filling the store: {work.prefix_commands:,} commands")
    with progress(size, "stafet") as bar:
        fill = workload.fill_stafet(store, work, bar.update)
    case_ids: dict[int, UUID] = fill.pop("case_ids")
    per["fill"] = fill
    if backend == "sqlite" and "sqlite_settings" not in results:
        results["sqlite_settings"] = sqlite_settings(store)
    if backend == "postgres" and "pg_settings" not in results:
        results["pg_settings"] = pg_settings(store)
    with progress(size, "bare library") as bar:
        bare_ids = workload.fill_bare(bare, work, bar.update)
    save()

    say(f"[{tag}] raw SQL copies of the stored rows")
    copy = readside.copy_baselines(store)
    say(f"[{tag}] projection rebuild")
    rebuilt = readside.rebuild(store)
    save()

    per["commands"] = []
    for n in cfg["writers"]:
        say(f"[{tag}] commands with {n} writer(s): stafet, bare library, raw inserts")
        per["commands"].append(writers.command_segment(store, bare, work.segments[f"w{n}"], n,
                                                       case_ids, bare_ids))
        save()

    say(f"[{tag}] projection catch-up of the commands just sent")
    per["projections"] = readside.with_ratios(rebuilt, readside.catch_up(store), copy)
    if backend == "sqlite":
        per["read_models_on"] = []
        for n, off in zip(cfg["writers"], per["commands"], strict=True):
            say(f"[{tag}] commands with {n} writer(s), read models on (the SQLite default)")
            per["read_models_on"].append(writers.read_model_segment(
                store, work.segments[f"rm{n}"], case_ids, n, off))
    save()

    say(f"[{tag}] projection lag under sustained writes")
    per["lag"] = readside.lag(store, work.segments["lag"], cfg["lag_writers"], case_ids)
    save()

    say(f"[{tag}] verify")
    per["verify"] = trust.verify_bench(store)
    save()

    # Last, because it adds its cases (about 22,000 events) to the store.
    say(f"[{tag}] loading cases of {', '.join(map(str, cfg['load_sizes']))} events")
    per["loading"] = loading.load_bench(store, cfg["load_sizes"], cfg["load_repeats"], args.seed)
    save()
    if not args.keep:
        store.drop()
        bare.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="10k events, short runs (default)")
    mode.add_argument("--full", action="store_true", help="10k, 100k and 1M events")
    mode.add_argument("--smoke", action="store_true", help="a tiny run: does everything work?")
    parser.add_argument("--sizes", help="store sizes in events, comma-separated (overrides the mode)")
    parser.add_argument("--backends", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--pg", default=os.environ.get("STAFET_BENCH_PG", DEFAULT_PG),
                        help="PostgreSQL URL; each store is a schema of its own, dropped after")
    parser.add_argument("--schema-prefix", default="bench",
                        help="PostgreSQL schemas are PREFIX_stafet_<size> and PREFIX_bare_<size> "
                        "(another prefix lets two runs share a server)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/stafet-bench"),
                        help="where the SQLite files go")
    parser.add_argument("--seed", type=int, default=20251)
    parser.add_argument("--out", type=Path, default=None,
                        help="the report (default bench/RESULTS.md for --full, "
                        "bench/RESULTS-quick.md or -smoke.md otherwise, so the full run's stays)")
    parser.add_argument("--keep", action="store_true", help="keep the stores afterwards")
    args = parser.parse_args()
    name = "full" if args.full else "smoke" if args.smoke else "quick"
    if args.out is None:
        args.out = HERE / ("RESULTS.md" if name == "full" else f"RESULTS-{name}.md")
    cfg = dict(MODES[name])
    if args.sizes:
        cfg["sizes"] = [int(s) for s in args.sizes.split(",")]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgres" in backends and not pg_reachable(args.pg):
        say(f"PostgreSQL at {args.pg} is not reachable: running SQLite only")
        backends = [b for b in backends if b != "postgres"]
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {
        "mode": name, "command": "python -m bench.run " + " ".join(sys.argv[1:]),
        "machine": machine(args.workdir), "seed": args.seed, "sizes": cfg["sizes"], "backends": {},
        "workdir": str(args.workdir), "config": {k: v for k, v in cfg.items() if k != "load_repeats"},
    }
    raw_out = args.out.with_name(f"results-{name}.json")

    def save() -> None:
        results["seconds"] = time.perf_counter() - started
        results["load_average_end"] = os.getloadavg()
        raw_out.write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
        args.out.write_text(report.render(results), encoding="utf-8")

    results["notes"] = []
    for size in cfg["sizes"]:
        for backend in backends:
            for attempt in range(1, 4):
                server = None
                if backend == "postgres":
                    wait_for_pg(args.pg)
                    server = pg_started_at(args.pg)
                try:
                    run_size(backend, size, cfg, args, results, save)
                    if backend != "postgres" or pg_started_at(args.pg) == server:
                        break
                    problem = "the server restarted during the run"
                except Exception as error:
                    now = pg_started_at(args.pg) if backend == "postgres" else None
                    if backend != "postgres" or (now is not None and now == server) or attempt == 3:
                        raise
                    problem = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
                # Someone else restarted PostgreSQL under us (a fault-injection test, say):
                # the figures of this size are void; wait for the server and start it again.
                note = f"postgres {size:,}: attempt {attempt} discarded ({problem}); run again."
                results["notes"].append(f"- {note}")
                say(note)
                wait_for_pg(args.pg)
                time.sleep(5)
    save()
    say(f"Done in {(time.perf_counter() - started) / 60:.1f} min: {args.out} and {raw_out}")


if __name__ == "__main__":
    main()

