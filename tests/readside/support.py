"""Shared tools for the read-side tests: a controllable clock, fresh stores, table dumps and
the ``stafet`` command line (in this process, or as a real subprocess).

Everything runs against real storage: SQLite files and PostgreSQL schemas.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from click.testing import CliRunner
from psycopg import sql
from stafet.projections.base import metadata

from stafet import Ledger
from stafet.storage.engine import reading, sql_engine
from stafet.storage.url import parse_db_url

REPO = Path(__file__).resolve().parents[2]
STAFET = Path(sys.executable).with_name("stafet")
READER = "revisor@kommunen"
PURPOSE = "test af læsesiden"

# Every read model table the projections keep (rm_tracking is the runner's bookkeeping).
RM_TABLES = sorted(t for t in metadata.tables if t.startswith("rm_") and t != "rm_tracking")
# The views over them, for BI tools (rm_consents_now is gone: it judged expiry by the
# database's date, not Copenhagen's; docs/read-models.md).
RM_VIEWS = ("rm_attention_now",)


class Clock:
    """The ledger's clock, moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return self.now


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- stores -----------------------------------------------------------------------------


def pg_conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]


def schema_of(url: str) -> str:
    return parse_db_url(url).pg_schema


def drop_schema(url: str) -> None:
    with psycopg.connect(pg_conninfo(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
            sql.Identifier(schema_of(url))))


@contextlib.contextmanager
def fresh_store(backend: str, tmp_dir: Path, pg_url: str | None) -> Iterator[str]:
    """A new, empty store: an SQLite file, or a PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'store-{uuid.uuid4().hex[:8]}.db'}"
        return
    assert pg_url is not None
    url = f"{pg_url}?schema=rs_{uuid.uuid4().hex[:12]}"
    try:
        yield url
    finally:
        gc.collect()  # close pooled connections of engines nobody holds any more
        drop_schema(url)


def close_ledger(ledger: Ledger) -> None:
    """Close a ledger and every SQLAlchemy engine it made, so no pooled PostgreSQL connection
    outlives it (the tests open many ledgers; the server allows 100 connections)."""
    ledger.close()
    owners = (ledger, getattr(ledger, "keys", None), getattr(ledger, "_projection_runner", None),
              getattr(ledger, "_access_log", None))
    for owner in owners:
        for attribute in ("sql", "engine"):
            engine = getattr(owner, attribute, None)
            if isinstance(engine, sa.Engine):
                engine.dispose()


@contextlib.contextmanager
def open_ledger(url: str, **options: Any) -> Iterator[Ledger]:
    ledger = Ledger(url, **options)
    try:
        yield ledger
    finally:
        close_ledger(ledger)


@contextlib.contextmanager
def own_database(pg_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own (dropped afterwards): nobody else's writes, and so
    nobody else's NOTIFY on the events channel, reach it."""
    name = f"rs_{uuid.uuid4().hex[:12]}"
    admin = pg_conninfo(pg_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield pg_url.split("?")[0].rsplit("/", 1)[0] + f"/{name}"
    finally:
        gc.collect()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


# -- reading the tables -----------------------------------------------------------------


def _plain(value: Any) -> Any:
    """One spelling per value, whichever backend it came from."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None, f"naive timestamp {value!r} read back"
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def engine_for(url: str) -> sa.Engine:
    return sql_engine(parse_db_url(url))


def dump_tables(url: str, tables: Sequence[str] = RM_TABLES,
                with_views: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every rm_ table (and optionally the views), sorted, in plain values."""
    engine = engine_for(url)
    out: dict[str, list[tuple[Any, ...]]] = {}
    try:
        with reading(engine) as conn:
            for name in tables:
                table = metadata.tables[name]
                rows = conn.execute(sa.select(table).order_by(*table.primary_key)).all()
                out[name] = [tuple(_plain(v) for v in row) for row in rows]
            if with_views:
                for name in RM_VIEWS:
                    rows = conn.execute(sa.text(f"SELECT * FROM {name}")).all()
                    out[name] = sorted(tuple(str(v) for v in row) for row in rows)
    finally:
        engine.dispose()
    return out


def tracking(url: str) -> dict[str, tuple[int, int]]:
    """rm_tracking: projection -> (position, version)."""
    engine = engine_for(url)
    try:
        with reading(engine) as conn:
            rows = conn.execute(sa.text("SELECT projection, position, version FROM rm_tracking"))
            return {r[0]: (int(r[1]), int(r[2])) for r in rows}
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Run SQL on the store behind the projections' back (to damage the read models)."""
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def rebuilt(url: str, **ledger_options: Any) -> dict[str, list[tuple[Any, ...]]]:
    """The tables as a full rebuild from the log leaves them (by a fresh ledger object)."""
    with open_ledger(url, read_models=False, **ledger_options) as ledger:
        ledger.read_models.rebuild()
    return dump_tables(url)


def diff(left: dict[str, list[tuple[Any, ...]]],
         right: dict[str, list[tuple[Any, ...]]]) -> str:
    """A readable account of where two dumps differ ('' when they do not)."""
    lines = []
    for name in sorted(set(left) | set(right)):
        a, b = left.get(name, []), right.get(name, [])
        if a == b:
            continue
        only_a = [r for r in a if r not in b]
        only_b = [r for r in b if r not in a]
        lines.append(f"{name}: {len(a)} rows vs {len(b)} rows")
        lines += [f"  - {r}" for r in only_a[:5]] + [f"  + {r}" for r in only_b[:5]]
        if not only_a and not only_b:
            lines.append("  (same rows, different multiplicity)")
    return "\n".join(lines)


# -- the command line -------------------------------------------------------------------


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, f"exit {self.code}: {self.err}"
        return json.loads(self.out)


def _argv(url: str, args: Sequence[str], actor: str | None, purpose: str | None,
          as_json: bool) -> list[str]:
    argv = ["--db", url]
    if actor:
        argv += ["--as", actor]
    if purpose:
        argv += ["--purpose", purpose]
    if as_json:
        argv.append("--json")
    return argv + [str(a) for a in args]


def stafet(url: str, *args: str, actor: str | None = READER, purpose: str | None = PURPOSE,
           as_json: bool = False) -> Result:
    """Run ``stafet`` in this process through its real entry point (``stafet.cli:main``),
    with its exit code; much quicker than a subprocess, same code path."""
    from stafet.cli import main

    argv = _argv(url, args, actor, purpose, as_json)
    runner = CliRunner()
    code = 0
    clean_env = {k: None for k in ("STAFET_DB", "STAFET_ACTOR", "STAFET_PURPOSE")}
    with runner.isolation(env=clean_env) as (out, err, _), _argv_patched(["stafet", *argv]):
        try:
            main()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    gc.collect()  # the command's ledger and engines, so no connection stays open
    return Result(code, stdout, stderr)


@contextlib.contextmanager
def _argv_patched(argv: list[str]) -> Iterator[None]:
    saved = sys.argv
    sys.argv = argv
    try:
        yield
    finally:
        sys.argv = saved


def stafet_process(url: str, *args: str, actor: str | None = READER,
                   purpose: str | None = PURPOSE, as_json: bool = False,
                   cwd: Path | None = None, timeout: float = 60) -> Result:
    """Run the installed ``stafet`` command as its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFET_")}
    done = subprocess.run(
        [str(STAFET), *_argv(url, args, actor, purpose, as_json)],
        capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd or REPO,
    )
    return Result(done.returncode, done.stdout, done.stderr)


# -- runner processes -------------------------------------------------------------------

CHILD = """\
import sys
from stafet import Ledger

url, batch = sys.argv[1], int(sys.argv[2])
ledger = Ledger(url, read_models=False)
runner = ledger.read_models
print("ready", flush=True)
runner.catch_up(batch_size=batch, progress=lambda n, head: print("batch", n, head, flush=True))
print("done", flush=True)
"""


class Child:
    """A runner process; its output is collected by a thread, its end is ours to choose."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("STAFET_")}
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.out: list[str] = []
        self.err: list[str] = []
        self._threads = [threading.Thread(target=self._read, args=(s, into), daemon=True)
                         for s, into in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for t in self._threads:
            t.start()

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    @classmethod
    def cli_run(cls, url: str, cwd: Path, poll: float = 0.2) -> Child:
        return cls([str(STAFET), "--db", url, "projections", "run", "--poll", str(poll)], cwd)

    @classmethod
    def python(cls, url: str, cwd: Path, batch: int) -> Child:
        script = cwd / "catch_up_child.py"
        script.write_text(CHILD, encoding="utf-8")
        return cls([sys.executable, str(script), url, str(batch)], cwd)

    def wait_line(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.out):
            assert self.proc.poll() is None or any(text in line for line in self.out), (
                f"runner ended ({self.proc.returncode}) before saying {text!r}: {self.err}")
            assert time.monotonic() < deadline, f"runner never said {text!r}: {self.out} {self.err}"
            time.sleep(0.005)

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL

    def finish(self, timeout: float = 60) -> int:
        """Let it end by itself; the exit code."""
        code = self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=5)
        return code

    def stop(self, how: signal.Signals = signal.SIGTERM, timeout: float = 30) -> int:
        """SIGTERM, as a service manager stops it (or SIGINT, Ctrl-C); the exit code."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, how)
        code = self.proc.wait(timeout=timeout)
        for t in self._threads:
            t.join(timeout=5)
        return code
