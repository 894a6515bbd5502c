"""The HTTP API against the Python API, in the same run, on the same store.

    .venv/bin/python -m bench.http                       # a 10k-event store, SQLite and PostgreSQL
    .venv/bin/python -m bench.http --events 100000       # the 100k-event store of the issue
    .venv/bin/python -m bench.http --backends sqlite --seconds 2

Per backend: fill a store with the synthetic municipality (`stafet dev generate`'s generator),
start `stafet serve` (one worker, the dev identity) on it, then for 1, 8 and 32 concurrent
clients:

- **read**: a case read by one of its participants, with a purpose (access-logged):
  `GET /cases/{id}` with aiohttp against `ledger.reader(actor, purpose).case(id)` in threads;
- **write**: a note on a case by its holder (each client its own case):
  `POST /cases/{id}/commands/note` against `ledger.run("note", ...)` in threads.

Each cell runs for ``--seconds``; requests/s is what finished in that time, latencies are per
request (p50/p95/p99/p99.9). The Python API runs with the same rules the server's worker uses:
one shared Ledger, one call at a time on SQLite. The client runs on the same machine as the
server (it takes CPU from it).

Then **feed latency**: one client follows `GET /feed` while another process writes notes
through the Python API, 20 a second; latency = the moment the client has the event − the moment
the writer's commit returned (``time.monotonic``, one clock for the machine).

Writes `bench/RESULTS-http.md` and `bench/results-http.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    DEFAULT_PG,
    latency_summary,
    machine,
    pg_reachable,
    pg_store,
    say,
    sqlite_store,
)
from stafet import Ledger
from stafet.dev.synthetic.loading import load
from stafet.dev.synthetic.parameters import EVENTS_PER_CASE
from stafet.dev.synthetic.stream import generate

HERE = Path(__file__).resolve().parent
STAFET = str(Path(sys.executable).with_name("stafet"))
PURPOSE = "opfølgning på forløbet"
CONCURRENCY = [1, 8, 32]


# -- the store ------------------------------------------------------------------------------------


def fill(url: str, events: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    with Ledger(url, read_models=False) as ledger:
        report = load(ledger, generate(max(1, events // EVENTS_PER_CASE), seed, events))
        ledger.read_models.catch_up()
        open_cases = []
        for case_id in ledger.case_ids(limit=None):
            state = ledger.get_case(case_id)
            if state.status == "open" and not state.personal_data_erased:
                open_cases.append((str(case_id), state.baton.holder))
        head = ledger.head()
    return {"events": report.events, "head": head, "seconds": time.perf_counter() - started,
            "open_cases": open_cases}


# -- the server -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, url: str, workdir: Path) -> None:
        self.port = free_port()
        self.key = workdir / "bench-dev-jwt.key"
        self.process = subprocess.Popen(
            [STAFET, "--db", url, "serve", "--port", str(self.port), "--dev-identity",
             "--dev-key", str(self.key), "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError("stafet serve did not start")

    def token(self, actor: str) -> str:
        from stafet.http.identity import ensure_dev_key, mint_dev_token

        return mint_dev_token(ensure_dev_key(self.key), actor, ttl_seconds=4 * 3600)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


# -- the cells ------------------------------------------------------------------------------------


Request = tuple[str, str, dict[str, str], bytes | None]


async def _http_cell(base: str, request_of: Callable[[int, int], Request], concurrency: int,
                     seconds: float) -> dict[str, Any]:
    import aiohttp

    latencies: list[float] = []
    errors = 0
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    async with aiohttp.ClientSession(connector=connector) as session:
        loop = asyncio.get_running_loop()

        async def client(i: int) -> None:
            nonlocal errors
            n = 0
            while loop.time() < stop_at:
                method, path, headers, body = request_of(i, n)
                n += 1
                started = time.perf_counter()
                async with session.request(method, base + path, headers=headers,
                                           data=body) as answer:
                    await answer.read()
                    if answer.status >= 300:
                        errors += 1
                latencies.append(time.perf_counter() - started)

        stop_at = loop.time() + 0.3  # warm-up: connections, caches
        await asyncio.gather(*(client(i) for i in range(concurrency)))
        latencies.clear()
        errors = 0
        stop_at = loop.time() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(concurrency)))
        wall = time.perf_counter() - started
    return {"requests": len(latencies), "errors": errors, "seconds": wall,
            "per_second": len(latencies) / wall, **latency_summary(latencies)}


def http_cell(base: str, request_of: Callable[[int, int], Request], concurrency: int,
              seconds: float) -> dict[str, Any]:
    return asyncio.run(_http_cell(base, request_of, concurrency, seconds))


def python_cell(call: Callable[[int, int], None], concurrency: int, seconds: float,
                lock: contextlib.AbstractContextManager[Any]) -> dict[str, Any]:
    latencies: list[float] = []
    errors = [0]
    stop_at = [0.0]

    def worker(i: int) -> None:
        n = 0
        mine: list[float] = []
        while time.monotonic() < stop_at[0]:
            started = time.perf_counter()
            try:
                with lock:
                    call(i, n)
            except Exception:
                errors[0] += 1
            mine.append(time.perf_counter() - started)
            n += 1
        latencies.extend(mine)

    def run() -> float:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - started

    stop_at[0] = time.monotonic() + 0.3
    run()
    latencies.clear()
    errors[0] = 0
    stop_at[0] = time.monotonic() + seconds
    wall = run()
    return {"requests": len(latencies), "errors": errors[0], "seconds": wall,
            "per_second": len(latencies) / wall, **latency_summary(latencies)}


def throughput(url: str, server: Server, cases: list[tuple[str, str]], seconds: float,
               sqlite: bool) -> dict[str, Any]:
    tokens = {holder: server.token(holder) for _, holder in cases}
    purpose = PURPOSE.encode().decode("latin-1")  # aiohttp sends header text as Latin-1

    def read_request(i: int, _n: int) -> Request:
        case_id, holder = cases[i % len(cases)]
        return ("GET", f"/cases/{case_id}", {"Authorization": f"Bearer {tokens[holder]}",
                                             "X-Stafet-Purpose": purpose}, None)

    def write_request(i: int, n: int) -> Request:
        case_id, holder = cases[i % len(cases)]
        body = json.dumps({"text": f"bench note {i}-{n} – æøå"}).encode()
        return ("POST", f"/cases/{case_id}/commands/note",
                {"Authorization": f"Bearer {tokens[holder]}",
                 "Content-Type": "application/json"}, body)

    results: dict[str, Any] = {}
    with Ledger(url) as ledger:
        lock: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if sqlite else contextlib.nullcontext())

        def read_call(i: int, _n: int) -> None:
            case_id, holder = cases[i % len(cases)]
            ledger.reader(holder, PURPOSE).case(case_id)

        def write_call(i: int, n: int) -> None:
            case_id, holder = cases[i % len(cases)]
            ledger.run("note", {"actor": holder, "case_id": case_id,
                                "text": f"bench note {i}-{n} – æøå"})

        for op, request_of, call in (("read", read_request, read_call),
                                     ("write", write_request, write_call)):
            for concurrency in CONCURRENCY:
                python = python_cell(call, concurrency, seconds, lock)
                http = http_cell(server.url, request_of, concurrency, seconds)
                results[f"{op}/{concurrency}"] = {"python": python, "http": http}
                say(f"    {op:5} x{concurrency:<2}  python {python['per_second']:7.0f}/s "
                    f"p99 {python['p99']:6.1f} ms   http {http['per_second']:7.0f}/s "
                    f"p99 {http['p99']:6.1f} ms  ({http['errors']} errors)")
    return results


# -- feed latency ---------------------------------------------------------------------------------


def _feed_writer(url: str, case_id: str, actor: str, count: int, rate: float,
                 out: Any) -> None:
    with Ledger(url) as ledger:
        for n in range(count):
            result = ledger.run("note", {"actor": actor, "case_id": case_id,
                                         "text": f"feed {n}"})
            out.put((result.events[0].position, time.monotonic()))
            time.sleep(1 / rate)
    out.put(None)


def feed_latency(url: str, server: Server, count: int, rate: float) -> dict[str, Any]:
    from httpx_sse import connect_sse

    actor = "feed.bench@jobcenter"
    with Ledger(url) as ledger:
        case_id = str(ledger.open_case(actor=actor, subject_ref="borger-feed-bench",
                                       subject_kind="adult", title="Feed").case_id)
        start = ledger.head()
    arrived: dict[int, float] = {}
    ready = threading.Event()

    def follow() -> None:
        headers = {"Authorization": f"Bearer {server.token(actor)}",
                   "X-Stafet-Purpose": "maaling af forsinkelse", "Last-Event-ID": str(start)}
        with httpx.Client(timeout=httpx.Timeout(30, read=60)) as client, connect_sse(
                client, "GET", server.url + "/feed", headers=headers) as source:
            ready.set()
            for sse in source.iter_sse():
                if sse.data:
                    event = json.loads(sse.data)
                    if event["case_id"] == case_id:
                        arrived[event["position"]] = time.monotonic()
                        if len(arrived) >= count:
                            return

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    ready.wait(30)
    time.sleep(0.5)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    writer = context.Process(target=_feed_writer, args=(url, case_id, actor, count, rate, queue))
    writer.start()
    committed: dict[int, float] = {}
    while (item := queue.get(timeout=300)) is not None:
        committed[item[0]] = item[1]
    writer.join(60)
    follower.join(60)
    latencies = [arrived[p] - committed[p] for p in committed if p in arrived]
    return {"events": len(committed), "received": len(latencies),
            **latency_summary(latencies)}


# -- the run --------------------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    store = (sqlite_store(workdir, f"http_{args.events}") if backend == "sqlite"
             else pg_store(args.pg, f"bench_http_{args.events}"))
    store.drop()
    say(f"{backend}: filling a store of {args.events:,} events")
    filled = fill(store.url, args.events, args.seed)
    say(f"  filled in {filled['seconds']:.0f} s")
    cases = filled.pop("open_cases")[:32]
    server = Server(store.url, workdir)
    try:
        say("  throughput (python vs http)")
        cells = throughput(store.url, server, cases, args.seconds, backend == "sqlite")
        say("  feed latency")
        feed = feed_latency(store.url, server, args.feed_events, args.feed_rate)
        say(f"    p50 {feed['p50']:.0f} ms, p99 {feed['p99']:.0f} ms over {feed['received']}")
    finally:
        server.stop()
        if not args.keep:
            store.drop()
    return {"store": filled, "cells": cells, "feed": feed}


def report(results: dict[str, Any]) -> str:
    lines = ["# HTTP against the Python API", "",
             f"Run {results['started']} on {results['machine'].get('cpu', '?')} "
             f"({results['machine'].get('nproc', '?')} cores), load average "
             f"{results['load_before']} before, {results['load_after']} after. "
             f"Store: {results['events']:,} events. Each cell {results['seconds']} s. "
             f"Command: `{results['command']}`.", "",
             "One `stafet serve` worker (uvicorn, the dev identity) and the aiohttp client on "
             "the same 2-core machine; the Python API in threads sharing one Ledger (one call "
             "at a time on SQLite, as the server's worker). A read is `GET /cases/{id}` with a "
             "purpose (access-logged); a write a note on the client's own case.", ""]
    targets = ["## Targets", "", "| backend | HTTP ≥ ½ Python (worst cell) | read p99 < 50 ms "
               "(worst, HTTP) | feed p99 < 500 ms |", "|---|---|---|---|"]
    body: list[str] = []
    for backend, r in results["backends"].items():
        worst_ratio = min(c["http"]["per_second"] / c["python"]["per_second"]
                          for c in r["cells"].values())
        worst_read = max(c["http"]["p99"] for k, c in r["cells"].items()
                         if k.startswith("read"))
        feed_p99 = r["feed"]["p99"]
        feed_mark = "✅" if feed_p99 < 500 else ("❌" if backend == "postgres" else "(polls)")
        targets.append(f"| {backend} | {worst_ratio:.2f} {'✅' if worst_ratio >= 0.5 else '❌'} "
                       f"| {worst_read:.1f} ms {'✅' if worst_read < 50 else '❌'} "
                       f"| {feed_p99:.0f} ms {feed_mark} |")
        body += [f"## {backend}", "",
                 f"Store filled with {r['store']['events']:,} events in "
                 f"{r['store']['seconds']:.0f} s.", "",
                 "| op | clients | Python req/s | HTTP req/s | HTTP/Python | Python p50 / p95 / "
                 "p99 / p99.9 ms | HTTP p50 / p95 / p99 / p99.9 ms | HTTP errors |",
                 "|---|---|---|---|---|---|---|---|"]
        for key, c in r["cells"].items():
            op, conc = key.split("/")
            p, h = c["python"], c["http"]
            body.append(
                f"| {op} | {conc} | {p['per_second']:.0f} | {h['per_second']:.0f} | "
                f"{h['per_second'] / p['per_second']:.2f} | "
                f"{p['p50']:.1f} / {p['p95']:.1f} / {p['p99']:.1f} / {p['p99.9']:.1f} | "
                f"{h['p50']:.1f} / {h['p95']:.1f} / {h['p99']:.1f} / {h['p99.9']:.1f} | "
                f"{h['errors']} |")
        f = r["feed"]
        body += ["", f"Feed delivery (commit → client), {f['received']} of {f['events']} events "
                 f"at {results['feed_rate']:g}/s: p50 {f['p50']:.0f} ms, p95 {f['p95']:.0f} ms, "
                 f"p99 {f['p99']:.0f} ms, max {f['max']:.0f} ms.", ""]
    return "\n".join([*lines, *targets, "", *NOTES, "", *body])


NOTES = [
    "## Reading the numbers", "",
    "- Every case read is a durable write too: the Reader writes its access-log entry (who, "
    "which case, why) and commits it before the case is handed out, on SQLite an fsync of a few "
    "milliseconds on this disk. Reads through the Python API pay the same; with 8 or 32 clients "
    "the p99 is the queue of those commits (on SQLite one at a time), not the HTTP layer. At "
    "one client the HTTP layer adds a few milliseconds at the median (authentication, JSON, "
    "the event loop handing the call to a thread and back).",
    "- The HTTP side runs the server (one worker) and the client on the same two cores, which "
    "other work shared (the load average is above): its req/s against the Python API's is the "
    "figure to compare, not either alone.",
    "- On SQLite, threads share one lock in both columns; Python threads queue unfairly on it "
    "(long tails), the server's threadpool more fairly, which is why HTTP writes can beat "
    "Python there.",
    "- Feed latency on SQLite includes the poll interval (0.25 s); on PostgreSQL the feed is "
    "woken by NOTIFY.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--pg", default=os.environ.get("STAFET_BENCH_PG", DEFAULT_PG))
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--feed-events", type=int, default=300)
    parser.add_argument("--feed-rate", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--out", default=str(HERE / "RESULTS-http.md"))
    parser.add_argument("--from-json", metavar="FILE",
                        help="Only write the report again from a run's results-http.json.")
    args = parser.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
        Path(args.out).write_text(report(saved) + "\n", encoding="utf-8")
        return
    backends = [b for b in args.backends.split(",") if b]
    if "postgres" in backends and not pg_reachable(args.pg):
        say("PostgreSQL is not reachable: SQLite only")
        backends.remove("postgres")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="stafet-bench-http-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": " ".join(["python -m bench.http", *sys.argv[1:]]),
        "events": args.events, "seconds": args.seconds, "feed_rate": args.feed_rate,
        "machine": machine(workdir), "load_before": f"{os.getloadavg()[0]:.1f}",
        "backends": {}}
    for backend in backends:
        results["backends"][backend] = run_backend(backend, args, workdir)
    results["load_after"] = f"{os.getloadavg()[0]:.1f}"
    Path(args.out).write_text(report(results) + "\n", encoding="utf-8")
    Path(args.out).with_name("results-http.json").write_text(
        json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    say(f"Wrote {args.out}")


if __name__ == "__main__":
    main()
