"""Command throughput and latency with 1, 2, 4 or 8 writer processes, against two baselines
measured in the same run on the same database:

- stafet: every command on its own, as a caseworker sends it: validated, the case loaded
  (snapshot and the events after it), decided by the rules, stored with its hash-chain link;
- bare: the eventsourcing library alone, the same appends (one save of as many events, on
  the same aggregate, per command) with a trivial aggregate, snapshots every 100 events;
- raw: the very bytes stafet stored for its events, inserted with plain SQL, one transaction
  per command, same database, same durability settings.

Writers are spawned processes that start together (a barrier); each works on its own cases.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from bench.common import Store, bare_env, latency_summary, ratio
from bench.workload import BareApp, Tally, assign
from stafet.dev.synthetic.item import Item
from stafet.domain.errors import StafetError

Result = dict[str, Any]


# -- the writer processes ----------------------------------------------------------------------


def stafet_writer(url: str, items: list[Item], case_ids: dict[int, UUID], read_models: bool,
                  barrier: Any, queue: Any, index: int) -> None:
    from stafet import Ledger

    out: Result = {"index": index, "latencies": [], "commits": [], "new_ids": {}, "refused": []}
    try:
        ledger = Ledger(url, read_models=read_models)
        known = next((case_ids[i.case] for i in items if i.case in case_ids), None)
        if known is not None:  # warm up: imports, caches, the connection pool
            ledger.get_case(known)
        barrier.wait()
        out["start"] = time.time()
        events = 0
        for item in items:
            started = time.perf_counter()
            try:
                result = ledger.execute(item.command(case_ids.get(item.case)))
            except StafetError as error:
                out["refused"].append(f"{item.name}: {error}")
                continue
            out["latencies"].append(time.perf_counter() - started)
            if item.name == "case.open":
                case_ids[item.case] = result.case_id
                out["new_ids"][item.case] = result.case_id
            n = len(result.events)
            events += n
            out["commits"].append((result.case_id, result.version - n + 1, n, time.time()))
        out["end"] = time.time()
        out["events"] = events
        ledger.close()
    except BaseException as error:  # report it to the parent rather than hang it
        out["error"] = f"{error!r}\n{traceback.format_exc()}"
        if "start" not in out:
            barrier.abort()
    queue.put(out)


def bare_writer(env: dict[str, str], items: list[Item], ids: dict[int, UUID], barrier: Any,
                queue: Any, index: int) -> None:
    out: Result = {"index": index, "latencies": [], "new_ids": {}, "refused": []}
    try:
        app = BareApp(env=env)
        known = next((ids[i.case] for i in items if i.case in ids), None)
        if known is not None:
            app.repository.get(known)
        barrier.wait()
        out["start"] = time.time()
        events = 0
        for item in items:
            started = time.perf_counter()
            if item.name == "case.open":
                tally = Tally()
                for _ in range(item.events - 1):
                    tally.bump(item.name)
                ids[item.case] = out["new_ids"][item.case] = tally.id
            else:
                tally = app.repository.get(ids[item.case])
                for _ in range(item.events):
                    tally.bump(item.name)
            app.save(tally)
            out["latencies"].append(time.perf_counter() - started)
            events += item.events
        out["end"] = time.time()
        out["events"] = events
        app.close()
    except BaseException as error:
        out["error"] = f"{error!r}\n{traceback.format_exc()}"
        if "start" not in out:
            barrier.abort()
    queue.put(out)


def raw_writer(store: Store, groups: list[list[tuple[Any, ...]]], barrier: Any, queue: Any,
               index: int) -> None:
    out: Result = {"index": index, "latencies": [], "refused": []}
    try:
        conn = store.connect()
        if store.backend == "sqlite":
            insert = ("INSERT INTO bench_raw_events (originator_id, originator_version, topic, state) "
                      "VALUES (?, ?, ?, ?)")
        else:
            insert = (f'INSERT INTO "{store.schema}".bench_raw_events '
                      "(originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)")
        barrier.wait()
        out["start"] = time.time()
        for rows in groups:
            started = time.perf_counter()
            if store.backend == "sqlite":
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(insert, rows)
                conn.execute("COMMIT")
            else:
                with conn.transaction(), conn.cursor() as cursor:
                    cursor.executemany(insert, rows)
            out["latencies"].append(time.perf_counter() - started)
        out["end"] = time.time()
        out["events"] = sum(len(rows) for rows in groups)
        conn.close()
    except BaseException as error:
        out["error"] = f"{error!r}\n{traceback.format_exc()}"
        if "start" not in out:
            barrier.abort()
    queue.put(out)


# -- running them --------------------------------------------------------------------------------


def run_processes(target: Callable[..., None], per_writer: Sequence[tuple[Any, ...]],
                  timeout: float = 3600) -> list[Result]:
    """Start one spawned process per argument tuple; they begin together; collect results."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(len(per_writer))
    queue = ctx.Queue()
    processes = [ctx.Process(target=target, args=(*args, barrier, queue, i), daemon=True)
                 for i, args in enumerate(per_writer)]
    for p in processes:
        p.start()
    results = [queue.get(timeout=timeout) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    errors = sorted((r["error"] for r in results if "error" in r),
                    key=lambda e: e.startswith("BrokenBarrierError"))
    if errors:
        raise RuntimeError(f"a writer process failed: {errors[0]}")
    return sorted(results, key=lambda r: r["index"])


def summarise(rounds: list[list[Result]]) -> Result:
    """Pooled over rounds: throughput = all commands / the summed wall time of the rounds
    (first start to last end in each), latency percentiles over every command."""
    results = [r for one in rounds for r in one]
    latencies = [x for r in results for x in r["latencies"]]
    seconds = sum(max(r["end"] for r in one) - min(r["start"] for r in one) for one in rounds)
    events = sum(r["events"] for r in results)
    return {
        "commands": len(latencies), "events": events, "seconds": seconds,
        "commands_per_second": len(latencies) / seconds if seconds else None,
        "events_per_second": events / seconds if seconds else None,
        "latency_ms": latency_summary(latencies),
        "refused": [x for r in results for x in r["refused"]][:5],
        "refused_count": sum(len(r["refused"]) for r in results),
        "rounds": len(rounds),
    }


def fetch_rows(store: Store, after: int) -> dict[tuple[UUID, int], tuple[Any, ...]]:
    """The rows stafet stored after notification ``after``, as stored (the raw baseline's bytes)."""
    conn = store.connect()
    try:
        if store.backend == "sqlite":
            rows = conn.execute("SELECT originator_id, originator_version, topic, state FROM "
                                "stored_events WHERE rowid > ?", (after,)).fetchall()
        else:
            rows = conn.execute(f"SELECT originator_id, originator_version, topic, state FROM "
                                f"{store.table} WHERE notification_id > %s", (after,)).fetchall()
    finally:
        conn.close()
    return {(UUID(str(r[0])), int(r[1])): tuple(r) for r in rows}


def head(store: Store) -> int:
    conn = store.connect()
    try:
        column = "rowid" if store.backend == "sqlite" else "notification_id"
        return conn.execute(f"SELECT COALESCE(MAX({column}), 0) FROM {store.table}").fetchone()[0]
    finally:
        conn.close()


def command_segment(store: Store, bare: Store, items: list[Item], writers: int,
                    case_ids: dict[int, UUID], bare_ids: dict[int, UUID], rounds: int = 3) -> Result:
    """One writer count: stafet, then the bare library, then raw inserts of stafet's bytes,
    in ``rounds`` rounds of a share of the commands each, so a burst of load from elsewhere on
    the machine falls on all three alike."""
    env = {**bare_env(bare), "CREATE_TABLE": "no"}  # made by the fill; many at once collide
    size = -(-len(items) // rounds)
    runs: dict[str, list[list[Result]]] = {"stafet": [], "bare": [], "raw": []}
    used = 0
    for start in range(0, len(items), size):
        parts = assign(items[start:start + size], writers)
        used = max(used, len(parts))
        before = head(store)
        stafet = run_processes(stafet_writer, [(store.url, part, case_ids, False) for part in parts])
        for r in stafet:
            case_ids.update(r["new_ids"])
        bare_results = run_processes(bare_writer, [(env, part, bare_ids) for part in parts])
        for r in bare_results:
            bare_ids.update(r["new_ids"])
        stored = fetch_rows(store, before)
        groups = [[[stored[(case_id, v)] for v in range(first, first + n)]
                   for case_id, first, n, _ in r["commits"]] for r in stafet]
        raw = run_processes(raw_writer, [(store, g) for g in groups])
        runs["stafet"].append(stafet)
        runs["bare"].append(bare_results)
        runs["raw"].append(raw)
    result: Result = {"writers": used, **{k: summarise(v) for k, v in runs.items()}}
    s, b, w = (result[k]["commands_per_second"] for k in ("stafet", "bare", "raw"))
    result["vs_bare"] = ratio(s, b)
    result["vs_raw"] = ratio(s, w)
    return result


def read_model_segment(store: Store, items: list[Item], case_ids: dict[int, UUID],
                       writers: int = 1, off: Result | None = None) -> Result:
    """``writers`` writers with the read models kept current by every command (the SQLite
    default: the CLI never shows stale rows; since issue 18 in the command's own transaction).
    ``off``: the segment with the same writer count and read models off, measured in the same
    run; its bare library and raw inserts are this one's baselines (other commands of the same
    mix, so the ratios are close, not exact)."""
    parts = assign(items, writers)
    results = run_processes(stafet_writer, [(store.url, part, case_ids, True) for part in parts])
    for r in results:
        case_ids.update(r["new_ids"])
    out: Result = {"writers": len(parts), "stafet": summarise([results])}
    if off is not None:
        rate = out["stafet"]["commands_per_second"]
        out["vs_bare"] = ratio(rate, off["bare"]["commands_per_second"])
        out["vs_raw"] = ratio(rate, off["raw"]["commands_per_second"])
        out["vs_off"] = ratio(rate, off["stafet"]["commands_per_second"])
    return out
