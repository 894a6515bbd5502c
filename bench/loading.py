"""Loading one case of 10, 1,000 and 10,000 events, with and without snapshots.

The cases are written into the benchmark's store (so the store's size is what the cost
curve says); one ledger writes them with snapshots every 100 events (stafet's default), the
other with snapshots off. The time is ``ledger.get_case(case_id)`` with the case cache off, so
every read loads the case from the store (after one warm-up read for the key and the
connection), against reading the same rows with plain SQL.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from bench.common import Store, latency_summary, ratio
from stafet import Ledger
from stafet.dev.synthetic.loading import load
from stafet.dev.synthetic.stream import single_case

NO_SNAPSHOTS = 10**12


def write_cases(store: Store, sizes: list[int], seed: int) -> dict[tuple[int, bool], UUID]:
    ids = {}
    for snapshots in (True, False):
        ledger = Ledger(store.url, read_models=False,
                        snapshot_interval=100 if snapshots else NO_SNAPSHOTS)
        try:
            for size in sizes:
                report = load(ledger, single_case(size, seed=seed + size))
                ids[(size, snapshots)] = report.case_ids[0]
        finally:
            ledger.close()
    return ids


def _raw_read(store: Store, case_id: UUID, snapshots: bool) -> float:
    """Plain SQL for the rows the library reads: the last snapshot (if any) and the events after."""
    pg = store.backend == "postgres"
    mark = "%s" if pg else "?"
    key: Any = case_id if pg else str(case_id)
    conn = store.connect()
    try:
        started = time.perf_counter()
        after = 0
        if snapshots:
            row = conn.execute(f"SELECT originator_version, state FROM {store.snapshots_table} WHERE "
                               f"originator_id = {mark} ORDER BY originator_version DESC LIMIT 1",
                               (key,)).fetchone()
            after = row[0] if row else 0
        rows = conn.execute(f"SELECT originator_version, topic, state FROM {store.table} WHERE "
                            f"originator_id = {mark} AND originator_version > {mark} "
                            "ORDER BY originator_version", (key, after)).fetchall()
        assert rows is not None
        return time.perf_counter() - started
    finally:
        conn.close()


def load_bench(store: Store, sizes: list[int], repeats: dict[int, int], seed: int) -> list[dict[str, Any]]:
    ids = write_cases(store, sizes, seed)
    ledger = Ledger(store.url, read_models=False, case_cache_size=0)
    out = []
    try:
        for (size, snapshots), case_id in ids.items():
            ledger.get_case(case_id)  # warm up: the citizen's key, the connection
            n = repeats[size] if snapshots or size < 10_000 else max(3, repeats[size] // 5)
            times = []
            for _ in range(n):
                started = time.perf_counter()
                state = ledger.get_case(case_id)
                times.append(time.perf_counter() - started)
            assert state.version == size
            raw = sorted(_raw_read(store, case_id, snapshots) for _ in range(n))
            summary = latency_summary(times)
            raw_p50 = raw[len(raw) // 2] * 1000
            out.append({"events": size, "snapshots": snapshots, "latency_ms": summary,
                        "raw_read_p50_ms": raw_p50, "vs_raw_read": ratio(raw_p50, summary["p50"])})
    finally:
        ledger.close()
    return out
