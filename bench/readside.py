"""The read side: projection rebuild and catch-up (events/s) against a raw SQL copy of the
same rows, and the projection lag under sustained writes (commit -> read-model row)."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from typing import Any
from uuid import UUID

from bench.common import Store, latency_summary, progress, ratio
from bench.writers import assign, run_processes, stafet_writer, summarise
from stafet import Ledger
from stafet.dev.synthetic.item import Item

COPY_BATCH = 500  # the projection runner's batch: one transaction each


def copy_baselines(store: Store) -> dict[str, Any]:
    """Copy every stored event row with plain SQL, twice:

    - in the database, ``INSERT INTO bench_raw_events SELECT ... FROM stored_events`` (the
      table the raw-insert baseline then writes to, so it holds as many rows as stafet's);
    - through the client, 500 rows a transaction (what the projection runner does, minus
      everything stafet does with an event): read a batch, insert it into another table."""
    conn = store.connect()
    pg = store.backend == "postgres"
    q = f'"{store.schema}".' if pg else ""
    id_col = "notification_id" if pg else "rowid"
    cols = "originator_id, originator_version, topic, state"
    try:
        for table in ("bench_raw_events", "bench_copy_events"):
            conn.execute(f"DROP TABLE IF EXISTS {q}{table}")
            if pg:
                conn.execute(f"CREATE TABLE {q}{table} (notification_id bigserial PRIMARY KEY, "
                             "originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
                             "topic text, state bytea, UNIQUE (originator_id, originator_version))")
            else:
                conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, originator_id TEXT "
                             "NOT NULL, originator_version INTEGER NOT NULL, topic TEXT, state BLOB, "
                             "UNIQUE (originator_id, originator_version))")
        started = time.perf_counter()
        if pg:
            conn.execute(f"INSERT INTO {q}bench_raw_events ({cols}) SELECT {cols} FROM {store.table} "
                         "ORDER BY notification_id")
        else:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(f"INSERT INTO bench_raw_events ({cols}) SELECT {cols} FROM stored_events "
                         "ORDER BY rowid")
            conn.execute("COMMIT")
        in_db = time.perf_counter() - started
        rows = conn.execute(f"SELECT COUNT(*) FROM {q}bench_raw_events").fetchone()[0]
        mark = "%s" if pg else "?"
        insert = f"INSERT INTO {q}bench_copy_events ({cols}) VALUES ({mark}, {mark}, {mark}, {mark})"
        select = (f"SELECT {id_col}, {cols} FROM {store.table} WHERE {id_col} > {mark} "
                  f"ORDER BY {id_col} LIMIT {COPY_BATCH}")
        after, copied = 0, 0
        started = time.perf_counter()
        with progress(rows, "raw copy") as bar:
            while True:
                if pg:
                    with conn.transaction(), conn.cursor() as cursor:
                        batch = cursor.execute(select, (after,)).fetchall()
                        if batch:
                            cursor.executemany(insert, [r[1:] for r in batch])
                else:
                    conn.execute("BEGIN IMMEDIATE")
                    batch = conn.execute(select, (after,)).fetchall()
                    if batch:
                        conn.executemany(insert, [r[1:] for r in batch])
                    conn.execute("COMMIT")
                if not batch:
                    break
                after = batch[-1][0]
                copied += len(batch)
                bar.update(len(batch))
        client = time.perf_counter() - started
        out = {"rows": rows, "in_db_seconds": in_db, "in_db_rows_per_second": rows / in_db,
               "client_seconds": client, "client_rows_per_second": copied / client}
        if pg:  # executemany is not PostgreSQL's fastest client copy: time the fair ones too
            for method in ("multirow", "copy"):
                seconds = _pg_client_copy(conn, q, cols, select, method)
                out[f"client_{method}_seconds"] = seconds
                out[f"client_{method}_rows_per_second"] = rows / seconds
        out["fastest_client_rows_per_second"] = max(
            v for k, v in out.items() if k.startswith("client_") and k.endswith("rows_per_second"))
        conn.execute(f"DROP TABLE {q}bench_copy_events")
    finally:
        conn.close()
    return out


def _pg_client_copy(conn: Any, q: str, cols: str, select: str, method: str) -> float:
    """The client-side copy again, each batch written with one multi-row INSERT or with COPY
    (the fair baselines on PostgreSQL: executemany is 1.5-1.8x slower than either)."""
    conn.execute(f"TRUNCATE {q}bench_copy_events")
    after = 0
    started = time.perf_counter()
    while True:
        with conn.transaction(), conn.cursor() as cursor:
            batch = cursor.execute(select, (after,)).fetchall()
            if batch:
                if method == "multirow":
                    values = ", ".join(["(%s, %s, %s, %s)"] * len(batch))
                    cursor.execute(f"INSERT INTO {q}bench_copy_events ({cols}) VALUES {values}",
                                   [v for r in batch for v in r[1:]])
                else:
                    with cursor.copy(f"COPY {q}bench_copy_events ({cols}) FROM STDIN") as copy:
                        for r in batch:
                            copy.write_row(r[1:])
        if not batch:
            return time.perf_counter() - started
        after = batch[-1][0]


def rebuild(store: Store) -> dict[str, Any]:
    """Empty every read model and replay the whole log into them."""
    ledger = Ledger(store.url, read_models=False)
    try:
        runner = ledger.read_models
        total = runner.head()
        with progress(total, "rebuild") as bar:
            done = [0]

            def step(applied: int, _head: int) -> None:
                bar.update(applied - done[0])
                done[0] = applied

            started = time.perf_counter()
            events = runner.rebuild(progress=step)
            seconds = time.perf_counter() - started
    finally:
        ledger.close()
    return {"events": events, "seconds": seconds, "events_per_second": events / seconds}


def catch_up(store: Store) -> dict[str, Any]:
    """A fresh runner (as after a restart: nothing cached) applies what it has not seen."""
    ledger = Ledger(store.url, read_models=False)
    try:
        runner = ledger.read_models
        started = time.perf_counter()
        events = runner.catch_up()
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    return {"events": events, "seconds": seconds,
            "events_per_second": events / seconds if events else None}


def with_ratios(rebuilt: dict[str, Any], caught: dict[str, Any], copy: dict[str, Any]) -> dict[str, Any]:
    return {
        "rebuild": rebuilt, "catch_up": caught, "copy": copy,
        "rebuild_vs_client_copy": ratio(rebuilt["events_per_second"], copy["client_rows_per_second"]),
        "rebuild_vs_in_db_copy": ratio(rebuilt["events_per_second"], copy["in_db_rows_per_second"]),
        "rebuild_vs_fastest_copy": ratio(rebuilt["events_per_second"],
                                         copy.get("fastest_client_rows_per_second")),
        "catch_up_vs_client_copy": ratio(caught["events_per_second"], copy["client_rows_per_second"]),
    }


# -- lag ------------------------------------------------------------------------------------------


def _follower(url: str, poll_seconds: float, stop: Any, ready: Any) -> None:
    """What ``stafet projections run`` does: follow the log (NOTIFY on PostgreSQL, polling
    on SQLite) and apply new events to the read models."""
    ledger = Ledger(url, read_models=False)
    runner = ledger.read_models
    runner.catch_up()
    ready.set()
    runner.run(stop, poll_seconds=poll_seconds)
    ledger.close()


def lag(store: Store, items: list[Item], writers: int, case_ids: dict[int, UUID],
        poll_seconds: float = 1.0) -> dict[str, Any]:
    """Writers send commands as fast as they can while a follower process keeps the read
    models; a watcher polls rm_events every 5 ms and notes when each command's last event
    shows up there. Lag = that moment - the moment the writer's commit returned."""
    ctx = mp.get_context("spawn")
    stop, ready = ctx.Event(), ctx.Event()
    follower = ctx.Process(target=_follower, args=(store.url, poll_seconds, stop, ready), daemon=True)
    follower.start()
    if not ready.wait(timeout=600):
        follower.kill()
        raise RuntimeError("the projection follower did not start")
    seen: dict[tuple[str, int], float] = {}
    watching = threading.Event()
    watching.set()
    pg = store.backend == "postgres"
    table = f'"{store.schema}".rm_events' if pg else "rm_events"
    mark = "%s" if pg else "?"
    conn = store.connect()
    try:
        start_after = conn.execute(f"SELECT COALESCE(MAX(notification_id), 0) FROM {table}").fetchone()[0]
    finally:
        conn.close()

    def watch() -> None:
        after = start_after
        query = (f"SELECT notification_id, case_id, position FROM {table} WHERE notification_id > "
                 f"{mark} ORDER BY notification_id")
        own = store.connect()  # an sqlite3 connection belongs to the thread that made it
        try:
            while watching.is_set():
                rows = own.execute(query, (after,)).fetchall()
                now = time.time()
                for nid, case_id, position in rows:
                    seen.setdefault((str(case_id), int(position)), now)
                    after = max(after, nid)
                time.sleep(0.005)
        finally:
            own.close()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        parts = assign(items, writers)
        results = run_processes(stafet_writer, [(store.url, part, case_ids, False) for part in parts])
        for r in results:
            case_ids.update(r["new_ids"])
        commits = [(str(cid), first + n - 1, at) for r in results for cid, first, n, at in r["commits"]]
        deadline = time.time() + 300
        while time.time() < deadline and any((c, v) not in seen for c, v, _ in commits):
            time.sleep(0.05)
    finally:
        watching.clear()
        watcher.join(timeout=10)
        stop.set()
        follower.join(timeout=60)
        if follower.is_alive():
            follower.kill()
    lags = [seen[(c, v)] - at for c, v, at in commits if (c, v) in seen]
    missing = sum(1 for c, v, _ in commits if (c, v) not in seen)
    writes = summarise([results])
    return {"writers": len(parts), "poll_seconds": poll_seconds, "lag_ms": latency_summary(lags),
            "missing": missing, "commands_per_second": writes["commands_per_second"],
            "events_per_second": writes["events_per_second"], "write_latency_ms": writes["latency_ms"]}
