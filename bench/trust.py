"""``verify`` (events/s) against hashing the same stored bytes with hashlib in a loop."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from bench.common import Store, progress, ratio
from stafet import Ledger
from stafet.storage.verify import verify

BATCH = 2000


def verify_bench(store: Store) -> dict[str, Any]:
    """Three numbers over the same events:

    - stafet's ``verify``: read the events and the chain, recompute every hash, compare;
    - hashlib in memory: the stored bytes already in a list, one SHA-256 each (the floor);
    - read and hash: the same bytes read with plain SQL in batches of 2000, one SHA-256 each."""
    ledger = Ledger(store.url, read_models=False)
    try:
        total = ledger.store.recorder.max_notification_id() or 0
        with progress(total, "verify") as bar:
            done = [0]

            def step(count: int) -> None:
                bar.update(count - done[0])
                done[0] = count

            started = time.perf_counter()
            report = verify(ledger.store.recorder, progress=step)
            seconds = time.perf_counter() - started
    finally:
        ledger.close()
    if not report.ok:
        raise RuntimeError(f"verify found a problem in the benchmark store: {report.problem}")

    pg = store.backend == "postgres"
    id_col = "notification_id" if pg else "rowid"
    mark = "%s" if pg else "?"
    query = (f"SELECT {id_col}, state FROM {store.table} WHERE {id_col} > {mark} "
             f"ORDER BY {id_col} LIMIT {BATCH}")
    conn = store.connect()
    try:
        started = time.perf_counter()
        after, states, size = 0, [], 0
        while True:
            rows = conn.execute(query, (after,)).fetchall()
            if not rows:
                break
            for _, state in rows:
                state = bytes(state)
                hashlib.sha256(state).digest()
                states.append(state)
                size += len(state)
            after = rows[-1][0]
        read_and_hash = time.perf_counter() - started
    finally:
        conn.close()
    started = time.perf_counter()
    for state in states:
        hashlib.sha256(state).digest()
    in_memory = time.perf_counter() - started
    rate = report.count / seconds
    return {
        "events": report.count, "bytes": size, "seconds": seconds, "events_per_second": rate,
        "hashlib_events_per_second": len(states) / in_memory,
        "read_and_hash_events_per_second": len(states) / read_and_hash,
        "vs_hashlib": ratio(rate, len(states) / in_memory),
        "vs_read_and_hash": ratio(rate, len(states) / read_and_hash),
    }
