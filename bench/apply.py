"""``stafet apply`` against raw inserts of the very rows it stored (SQLite).

A batch of N commands from the synthetic municipality (``stafet dev generate --jsonl``) is
applied to a fresh store (after ``init``), each run in a fresh process:

- **per line** (each command its own transaction), read models on — the SQLite default, what
  ``stafet apply FILE`` does — and off;
- **--atomic** (the whole file one transaction), read models on, at two sizes, with the
  process's peak memory (``ru_maxrss``) beside its memory after start-up, so growth with the
  file's size shows;
- **the CLI**: ``stafet apply FILE`` timed from outside (start-up included);

and against the same stored rows (the events' bytes, in the same order) inserted with plain
SQL into a table of the same shape in the same database file: one transaction per command,
and one transaction for all. Same journal mode and ``synchronous`` (the library's own).

    .venv/bin/python -m bench.apply                      # 2,000 commands; atomic 2,000 and 8,000
    .venv/bin/python -m bench.apply --commands 10000 --atomic-sizes 10000,100000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CASES_PER_1000 = 10  # the generator's shape: 100 events a case on average
ADMIN = "it@kommunen"


def _generate(path: Path, commands: int, seed: int) -> list[int]:
    """A JSONL batch of about ``commands`` commands; returns each command's event count."""
    from stafet.dev.synthetic.stream import generate

    cases = max(1, commands * CASES_PER_1000 // 1000)
    counts = []
    with path.open("w", encoding="utf-8") as out:
        for item in generate(cases, seed, int(commands * 1.06)):
            out.write(json.dumps(item.line(), ensure_ascii=False) + "\n")
            counts.append(item.events)
            if len(counts) == commands:
                break
    return counts


def _child(db: str, batch: str, atomic: bool, read_models: bool) -> None:
    """In a fresh process: apply the batch as the CLI's Ledger does; print the figures."""
    from stafet import Ledger

    lines = Path(batch).read_text(encoding="utf-8").splitlines()
    with Ledger(db, read_models=read_models) as ledger:
        ledger.head()
        started_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        results = ledger.apply_batch(lines, actor=None, atomic=atomic)
        seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "commands": len(results),
                      "events": sum(len(r.events) for r in results),
                      "rss_start_mb": started_rss / 1024,
                      "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _stafet(*args: str, db: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).with_name("stafet")), "--db", db, *args],
                          capture_output=True, text=True, check=True)


def _fresh(workdir: Path, name: str) -> tuple[Path, str]:
    path = workdir / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = f"sqlite:///{path}"
    _stafet("init", "--admin", ADMIN, db=db)
    return path, db


def _run_child(db: str, batch: Path, atomic: bool, read_models: bool) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.apply", "--child", db, str(batch),
                           "1" if atomic else "0", "1" if read_models else "0"],
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _raw(path: Path, counts: list[int], atomic: bool) -> float:
    """The rows stafet stored for the batch, inserted again with plain SQL (one transaction
    per command, or one for all) into a table of the same shape in the same file."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    try:
        rows = conn.execute("SELECT originator_id, originator_version, topic, state "
                            "FROM stored_events WHERE rowid > 1 ORDER BY rowid").fetchall()
        conn.execute("DROP TABLE IF EXISTS bench_raw_events")
        conn.execute("CREATE TABLE bench_raw_events (originator_id TEXT, originator_version "
                     "INTEGER, topic TEXT, state BLOB, PRIMARY KEY (originator_id, "
                     "originator_version))")
        conn.execute("CREATE UNIQUE INDEX bench_raw_id ON bench_raw_events "
                     "(originator_id, originator_version)")
        groups, at = [], 0
        for n in counts:
            groups.append(rows[at:at + n])
            at += n
        insert = "INSERT INTO bench_raw_events VALUES (?, ?, ?, ?)"
        started = time.perf_counter()
        if atomic:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
        else:
            for group in groups:
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(insert, group)
                conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        conn.execute("DROP TABLE IF EXISTS bench_raw_events")
        conn.close()


def measure(workdir: Path, commands: int, atomic_sizes: list[int], seed: int) -> dict[str, Any]:
    out: dict[str, Any] = {"load_average_start": os.getloadavg(), "runs": []}
    batches = {}
    for n in sorted({commands, *atomic_sizes}):
        path = workdir / f"batch-{n}.jsonl"
        batches[n] = (path, _generate(path, n, seed))
    batch, counts = batches[commands]
    for label, atomic, read_models in (("per line, read models on (the CLI's default)", False, True),
                                       ("per line, read models off", False, False)):
        path, db = _fresh(workdir, "apply")
        run = _run_child(db, batch, atomic, read_models)
        run["raw_seconds"] = _raw(path, counts, atomic=False)
        out["runs"].append({"label": label, "commands": commands, **run})
    for n in atomic_sizes:
        path, db = _fresh(workdir, "apply")
        batch_n, counts_n = batches[n]
        run = _run_child(db, batch_n, True, True)
        run["raw_seconds"] = _raw(path, counts_n, atomic=True)
        out["runs"].append({"label": "--atomic, read models on", "commands": n, **run})
    _, db = _fresh(workdir, "apply")
    started = time.perf_counter()
    _stafet("apply", str(batch), db=db)
    out["cli_seconds"] = time.perf_counter() - started
    out["cli_commands"] = commands
    out["load_average_end"] = os.getloadavg()
    return out


def render(result: dict[str, Any]) -> str:
    lines = [
        "| run | commands | events | stafet s | commands/s | raw SQL s | vs raw | peak memory MB "
        "(after start-up) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["runs"]:
        lines.append(
            f"| {r['label']} | {r['commands']:,} | {r['events']:,} | {r['seconds']:.2f} | "
            f"{r['commands'] / r['seconds']:,.0f} | {r['raw_seconds']:.3f} | "
            f"{r['seconds'] / r['raw_seconds']:.1f}× | {r['rss_peak_mb']:.0f} "
            f"({r['rss_start_mb']:.0f}) |")
    lines += ["", f"`stafet apply FILE` ({result['cli_commands']:,} commands, a fresh process, "
              f"start-up included): {result['cli_seconds']:.2f} s. Load average "
              f"{' / '.join(f'{x:.2f}' for x in result['load_average_start'])} at the start, "
              f"{' / '.join(f'{x:.2f}' for x in result['load_average_end'])} at the end."]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5] == "1")
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--atomic-sizes", default="2000,8000")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stafet-apply-") as workdir:
        result = measure(Path(workdir), args.commands,
                         [int(n) for n in args.atomic_sizes.split(",")], args.seed)
    print(json.dumps(result, indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()
