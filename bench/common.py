"""What every workload shares: stores, percentiles, progress bars, the machine's description."""

from __future__ import annotations

import contextlib
import math
import os
import platform
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import click
import psycopg
from psycopg import sql

from stafet import ledger as _ledger

# The bench also drives older stafet versions (bench/before_after.py), which had no case cache.
CASE_CACHE_SIZE: int = getattr(_ledger, "CASE_CACHE_SIZE", 0)

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


# -- numbers -----------------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) of already sorted values, nearest rank."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99, p99.9 and max in milliseconds, and how many samples."""
    values = sorted(seconds)
    out = {f"p{q:g}": percentile(values, q) * 1000 for q in (50, 95, 99, 99.9)}
    out["max"] = (values[-1] * 1000) if values else math.nan
    out["n"] = len(values)
    return out


def ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or not b or math.isnan(a) or math.isnan(b):
        return None
    return a / b


def progress(length: int, label: str) -> Any:
    """A progress bar on stderr (one line when stderr is not a terminal)."""
    return click.progressbar(length=max(int(length), 1), label=f"  {label}", file=sys.stderr,
                             show_pos=True, show_percent=True, show_eta=True)


@contextlib.contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    ended: list[float] = []
    yield lambda: (ended[0] if ended else time.perf_counter()) - started
    ended.append(time.perf_counter())


def say(text: str) -> None:
    click.echo(text, err=True)


# -- stores ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    """One database for one workload: an SQLite file or a PostgreSQL schema."""

    backend: str  # sqlite | postgres
    url: str
    path: Path | None = None  # SQLite
    schema: str | None = None  # PostgreSQL
    conninfo: str | None = None  # PostgreSQL, for psycopg

    @property
    def table(self) -> str:
        """stafet's events table, qualified for raw SQL (the library names it after the
        application on PostgreSQL, ``stored_events`` on SQLite)."""
        return f'"{self.schema}".stafet_events' if self.backend == "postgres" else "stored_events"

    @property
    def snapshots_table(self) -> str:
        return f'"{self.schema}".stafet_snapshots' if self.backend == "postgres" else "stored_snapshots"

    def connect(self) -> Any:
        """A raw DB-API connection (sqlite3 in autocommit mode, or psycopg)."""
        if self.backend == "sqlite":
            assert self.path is not None
            return sqlite3.connect(self.path, isolation_level=None, timeout=60)
        assert self.conninfo is not None
        return psycopg.connect(self.conninfo, autocommit=True)

    def create(self) -> None:
        """Make the PostgreSQL schema (stafet makes its own; the bare library does not)."""
        if self.backend == "postgres":
            with psycopg.connect(self.conninfo or "", autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(self.schema or "")))

    def drop(self) -> None:
        if self.backend == "sqlite":
            assert self.path is not None
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            return
        with psycopg.connect(self.conninfo or "", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(self.schema or "")))


def sqlite_store(workdir: Path, name: str) -> Store:
    path = workdir / f"{name}.db"
    return Store("sqlite", f"sqlite:///{path}", path=path)


def pg_store(base_url: str, schema: str) -> Store:
    base = base_url.split("?")[0]
    conninfo = base.replace("postgresql+psycopg://", "postgresql://")
    return Store("postgres", f"{base}?schema={schema}", schema=schema, conninfo=conninfo)


def bare_env(store: Store) -> dict[str, str]:
    """The eventsourcing library's settings for the same database (for the bare baseline), with
    the same aggregate cache as stafet's (``CASE_CACHE_SIZE`` aggregates, fast-forwarded)."""
    cache = {"AGGREGATE_CACHE_MAXSIZE": str(CASE_CACHE_SIZE)} if CASE_CACHE_SIZE else {}
    if store.backend == "sqlite":
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(store.path),
                "SQLITE_LOCK_TIMEOUT": "60", **cache}
    from sqlalchemy.engine import make_url

    url = make_url(store.url.split("?")[0])
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": url.database or "postgres",
        "POSTGRES_HOST": url.host or "127.0.0.1", "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres", "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_SCHEMA": store.schema or "public", "POSTGRES_LOCK_TIMEOUT": "60",
        "POSTGRES_POOL_SIZE": "2", "POSTGRES_MAX_OVERFLOW": "4", **cache,
    }


def pg_reachable(base_url: str) -> bool:
    try:
        with psycopg.connect(pg_store(base_url, "public").conninfo or "", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def pg_started_at(base_url: str) -> str | None:
    """When the PostgreSQL server last started (None when it cannot be reached): a change
    during a run means someone restarted it under the benchmark."""
    try:
        with psycopg.connect(pg_store(base_url, "public").conninfo or "", connect_timeout=3) as conn:
            return str(conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0])
    except psycopg.OperationalError:
        return None


def wait_for_pg(base_url: str, seconds: float = 600) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if pg_started_at(base_url) is not None:
            return True
        time.sleep(2)
    return False


# -- the machine -------------------------------------------------------------------------------


def _meminfo_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _filesystem(path: Path) -> str:
    """The file system type of the directory (ext4, tmpfs, ...), from /proc/mounts."""
    try:
        best, kind = "", "?"
        real = str(path.resolve())
        for line in Path("/proc/mounts").read_text().splitlines():
            _, mount, fstype, *_ = line.split()
            if real.startswith(mount) and len(mount) > len(best):
                best, kind = mount, fstype
        return kind
    except OSError:
        return "?"


def fsync_ms(path: Path, rounds: int = 50) -> float:
    """The median time of one small write + fsync in the directory (what a commit waits for)."""
    probe = path / ".fsync-probe"
    times = []
    with open(probe, "wb") as f:
        for _ in range(rounds):
            started = time.perf_counter()
            f.write(b"x" * 512)
            f.flush()
            os.fsync(f.fileno())
            times.append(time.perf_counter() - started)
    probe.unlink(missing_ok=True)
    return sorted(times)[len(times) // 2] * 1000


def _git() -> str:
    """The commit the code under test is at, and whether src/ or projections/ differ from it."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, timeout=10).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--", "src", "projections"], cwd=root,
                                 capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"
    return f"{commit}{' + uncommitted changes in src/ or projections/' if changed else ''}"


def machine(workdir: Path) -> dict[str, Any]:
    versions = {}
    for package in ("eventsourcing", "pydantic", "SQLAlchemy", "psycopg", "click", "cryptography"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "-"
    try:
        stafet_version = metadata.version("stafet")
    except metadata.PackageNotFoundError:
        stafet_version = "-"
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "ram_gib": _meminfo_gib(),
        "cpu": _cpu_model(),
        "load_average": os.getloadavg(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "stafet": stafet_version,
        "git": _git(),
        "packages": versions,
        "disk_free_gib": shutil.disk_usage(workdir).free / 1024**3,
        "filesystem": _filesystem(workdir),
        "fsync_ms": fsync_ms(workdir),
    }


def sqlite_settings(store: Store) -> dict[str, Any]:
    """journal_mode and synchronous as the library's own connection sees them."""
    from stafet import Ledger

    ledger = Ledger(store.url, read_models=False)
    try:
        with ledger.store.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
            c.execute("PRAGMA journal_mode")
            journal = c.fetchone()[0]
            c.execute("PRAGMA synchronous")
            synchronous = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(c.fetchone()[0], "?")
    finally:
        ledger.close()
    return {"journal_mode": journal, "synchronous": synchronous}


def pg_settings(store: Store) -> dict[str, Any]:
    names = ("server_version", "fsync", "synchronous_commit", "wal_sync_method", "full_page_writes",
             "shared_buffers", "max_connections")
    with psycopg.connect(store.conninfo or "", autocommit=True) as conn:
        return {name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
                for name in names}
