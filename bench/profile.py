"""Where the time goes: cProfile of one workload on a fresh SQLite store (or PostgreSQL).

    .venv/bin/python -m bench.profile command    # single commands on the cases of a 20k store
    .venv/bin/python -m bench.profile load       # get_case of a 10,000-event case, snapshots on
    .venv/bin/python -m bench.profile rebuild    # a full projection rebuild
    .venv/bin/python -m bench.profile catch-up   # catch-up by a fresh runner (nothing cached)
    .venv/bin/python -m bench.profile verify     # verify
    .venv/bin/python -m bench.profile follow     # a restarted runner following writers, 2 commands a batch

Prints the top functions by own time and by cumulative time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
from collections.abc import Callable
from pathlib import Path

from bench.common import Store, pg_store, sqlite_store
from bench.workload import make_workload
from stafet import Ledger
from stafet.dev.synthetic.loading import load
from stafet.dev.synthetic.stream import single_case
from stafet.storage.verify import verify


def _store(args: argparse.Namespace) -> Store:
    store = (pg_store(args.pg, "bench_profile") if args.pg
             else sqlite_store(Path(args.workdir), "profile"))
    store.drop()
    return store


def profiled(func: Callable[[], object], top: int) -> None:
    profile = cProfile.Profile()
    profile.enable()
    func()
    profile.disable()
    report_profile(profile, top)


def report_profile(profile: cProfile.Profile, top: int) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(f"\n== by {order} ==")
        print("\n".join(line for line in out.getvalue().splitlines()[4:] if line.strip()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["command", "load", "rebuild", "catch-up", "verify", "follow"])
    parser.add_argument("--events", type=int, default=20_000, help="store size")
    parser.add_argument("--commands", type=int, default=600, help="commands to profile")
    parser.add_argument("--pg", help="a PostgreSQL URL instead of SQLite")
    parser.add_argument("--workdir", default="/tmp/stafet-bench")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    store = _store(args)
    try:
        if args.workload == "load":
            ledger = Ledger(store.url, read_models=False)
            case_id = load(ledger, single_case(10_000, seed=3)).case_ids[0]
            fresh = Ledger(store.url, read_models=False, case_cache_size=0)
            fresh.get_case(case_id)
            profiled(lambda: [fresh.get_case(case_id) for _ in range(20)], args.top)
            return
        work = make_workload(args.events, 7, [("timed", args.commands)])
        ledger = Ledger(store.url, read_models=False)
        report = load(ledger, work.prefix())
        if args.workload == "command":
            ids = dict(report.case_ids)

            def commands() -> None:
                for item in work.segments["timed"]:
                    result = ledger.execute(item.command(ids.get(item.case)))
                    ids.setdefault(item.case, result.case_id)

            profiled(commands, args.top)
        elif args.workload == "rebuild":
            profiled(ledger.read_models.rebuild, args.top)
        elif args.workload == "catch-up":
            ledger.read_models.catch_up()
            ids = dict(report.case_ids)
            for item in work.segments["timed"]:
                result = ledger.execute(item.command(ids.get(item.case)))
                ids.setdefault(item.case, result.case_id)
            fresh = Ledger(store.url, read_models=False, case_cache_size=0)
            profiled(fresh.read_models.catch_up, args.top)
        elif args.workload == "follow":
            ledger.read_models.catch_up()
            ids = dict(report.case_ids)
            runner = Ledger(store.url, read_models=False).read_models
            profile = cProfile.Profile()
            items = work.segments["timed"]
            for start in range(0, len(items), 2):
                for item in items[start:start + 2]:
                    result = ledger.execute(item.command(ids.get(item.case)))
                    ids.setdefault(item.case, result.case_id)
                profile.enable()
                runner.catch_up()
                profile.disable()
            report_profile(profile, args.top)
        else:
            profiled(lambda: verify(ledger.store.recorder), args.top)
    finally:
        store.drop()


if __name__ == "__main__":
    main()
