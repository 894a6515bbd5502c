"""What the trust tests share: the ``stafet`` command line run as a user runs it, and raw SQL
on the store behind the product's back (sqlite3 / psycopg, never the product's own storage code).
"""

from __future__ import annotations

import gc
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from click.testing import CliRunner
from psycopg import sql

from stafet.cli import main

ROOT = Path(__file__).resolve().parents[2]
ADULT_CASE = ROOT / "examples" / "adult-case" / "case.jsonl"
FAMILY_CASE = ROOT / "examples" / "family-case" / "case.jsonl"
ADULT_REF = "borger-3c9e41"
FAMILY_REF = "familie-8d21a0"
STAFET = str(Path(sys.executable).parent / "stafet")

# The ledger's roles (docs/authorisation.md): the administrator appointed at ``init``, who
# grants the auditor (verify, digest) and the data protection officer (erase, the access log).
ADMIN = "it@kommunen"
AUDITOR = "revisor@kommunen"
DPO = "dpo@kommunen"
ROLE_EVENTS = 3  # the administration's events ``set_up_roles`` records
# The examples' coordinators at the end of their stories: they read their cases back.
ADULT_HOLDER = "peter.lund@socialafdelingen-odense"
FAMILY_HOLDER = "lars.winther@skovvangskolen"
# The example store (conftest): the roles' events, then 41 of the adult example, 46 of the family.
EXAMPLE_EVENTS = ROLE_EVENTS + 41 + 46
PURPOSE = "kontrol af loggen"
# Variables a developer's shell may hold; a test says everything on the command line instead.
_CLEAN_ENV: dict[str, str | None] = {"STAFET_DB": None, "STAFET_ACTOR": None,
                                     "STAFET_PURPOSE": None, "STAFET_CHECKPOINTS": None,
                                     "STAFET_CHECKPOINT_KEY": None}


# A sealed field's ciphertext is base64: 64 letters, so any four given letters (matched
# case-insensitively, 2 of 64 each) turn up by chance about once in a million positions, and a
# store holds tens of thousands of them. A hit inside such a run is no plaintext.
_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/=]{20,}")


def plaintext_in(data: bytes, text: str) -> bool:
    """Whether ``text`` is in ``data`` (case-insensitively) outside the base64 of a sealed
    value (a run of 20 or more base64 characters around the hit)."""
    needle, lowered = text.lower().encode("utf-8"), data.lower()
    start = lowered.find(needle)
    while start != -1:
        # Sealed values are short (a field each); a window around the hit holds its run whole.
        around = max(0, start - 4096), start + len(needle) + 4096
        runs = [m.span() for m in _BASE64_RUN.finditer(data, *around)]
        if not any(a <= start and start + len(needle) <= b for a, b in runs):
            return True
        start = lowered.find(needle, start + 1)
    return False


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def stafet(db_url: str, *args: str, stdin: str | None = None) -> Run:
    """``stafet --db URL ARGS`` through the console script's own entry point (``main``: its
    exit codes and messages), in this process so that the suite stays quick."""
    argv = ["stafet", "--db", db_url, *args]
    saved = sys.argv
    with CliRunner().isolation(input=stdin, env=_CLEAN_ENV) as (out, err, _mixed):
        sys.argv = argv
        try:
            main()
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            sys.argv = saved
        result = Run(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))
    if not db_url.startswith("sqlite"):
        gc.collect()  # let go of the command's engines and their PostgreSQL connections now
    return result


def stafet_process(db_url: str, *args: str) -> Run:
    """The installed console script in a process of its own, exactly as a user runs it."""
    done = subprocess.run([STAFET, "--db", db_url, *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT,
                          env={k: v for k, v in os.environ.items() if k not in _CLEAN_ENV})
    return Run(done.returncode, done.stdout, done.stderr)


def read(db_url: str, *args: str, actor: str, purpose: str = PURPOSE) -> Run:
    """A read made as a named person (who must be allowed it) with a purpose (what the access
    log wants)."""
    return stafet(db_url, "--as", actor, "--purpose", purpose, *args)


def audit(db_url: str, *args: str) -> Run:
    """``verify`` or ``digest`` as the auditor (integrity is for those who answer for it)."""
    return stafet(db_url, "--as", AUDITOR, *args)


def set_up_roles(db_url: str) -> None:
    """What a municipality does once: ``init --admin``, then the administrator grants the
    auditor's and the data protection officer's roles (ROLE_EVENTS events in the log)."""
    for args in (["init", "--admin", ADMIN], ["--as", ADMIN, "roles", "grant", "auditor", AUDITOR],
                 ["--as", ADMIN, "roles", "grant", "dpo", DPO]):
        done = stafet(db_url, *args)
        assert done.code == 0, done.err


def apply_example(db_url: str, example: Path) -> str:
    """Replay an example batch with ``stafet apply``; returns the new case's id."""
    done = stafet(db_url, "--json", "apply", str(example))
    assert done.code == 0, done.err
    (case_id,) = done.json()["cases"]
    return str(case_id)


# -- raw SQL on the store -------------------------------------------------------------------


@dataclass(frozen=True)
class RawEvent:
    seq: int
    case_id: UUID
    version: int
    topic: str
    state: bytes


@dataclass(frozen=True)
class RawLink:
    seq: int
    case_id: UUID
    position: int
    event_hash: bytes
    chain_hash: bytes
    case_hash: bytes


class RawStore:
    """The tables as any SQL tool (or an intruder) sees them. Statements use ``?`` for
    parameters on both backends; ``{events}``, ``{seq}`` and ``{snapshots}`` name the library's
    event table, its log-position column and the snapshot table."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        if db_url.startswith("sqlite:///"):
            self.backend = "sqlite"
            self.path = Path(db_url.removeprefix("sqlite:///"))
            self.names = {"events": "stored_events", "seq": "rowid",
                          "snapshots": "stored_snapshots"}
        else:
            self.backend = "postgres"
            base, _, query = db_url.partition("?")
            self.schema = query.removeprefix("schema=")
            self.conninfo = base.replace("postgresql+psycopg://", "postgresql://")
            self.names = {"events": "stafet_events", "seq": "notification_id",
                          "snapshots": "stafet_snapshots"}

    def _sql(self, statement: str) -> str:
        text = statement.format(**self.names)
        return text if self.backend == "sqlite" else text.replace("?", "%s")

    def _param(self, value: Any) -> Any:
        if isinstance(value, UUID):
            return value.hex if self.backend == "sqlite" else value
        return value

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one changing statement and commit it; returns the rows it touched."""
        return self.execute_many([(statement, params)])[0]

    def execute_many(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Several changing statements in one transaction."""
        counts = []
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                for statement, params in statements:
                    cur = conn.execute(self._sql(statement), [self._param(p) for p in params])
                    counts.append(cur.rowcount)
                conn.commit()
            finally:
                conn.close()
            return counts
        with self._pg() as conn, conn.transaction():
            for statement, params in statements:
                cur = conn.execute(self._sql(statement), [self._param(p) for p in params])
                counts.append(cur.rowcount)
        return counts

    def query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self.backend == "sqlite":
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                return conn.execute(self._sql(statement),
                                    [self._param(p) for p in params]).fetchall()
            finally:
                conn.close()
        with self._pg() as conn:
            return conn.execute(self._sql(statement), [self._param(p) for p in params]).fetchall()

    def _pg(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.conninfo, autocommit=True,
                               options=f"-csearch_path={self.schema}")

    # -- the event log and the chain --------------------------------------------------------

    def events(self) -> list[RawEvent]:
        return [RawEvent(int(r[0]), UUID(str(r[1])), int(r[2]), str(r[3]), bytes(r[4]))
                for r in self.query("SELECT {seq}, originator_id, originator_version, topic, state "
                                    "FROM {events} ORDER BY {seq}")]

    def chain(self) -> list[RawLink]:
        return [RawLink(int(r[0]), UUID(str(r[1])), int(r[2]), bytes(r[3]), bytes(r[4]),
                        bytes(r[5]))
                for r in self.query("SELECT seq, case_id, position, event_hash, chain_hash, "
                                    "case_hash FROM stafet_chain ORDER BY seq")]

    def set_state(self, seq: int, state: bytes) -> None:
        assert self.execute("UPDATE {events} SET state = ? WHERE {seq} = ?", (state, seq)) == 1

    # -- every table, for finding text that should be gone ----------------------------------

    def tables(self) -> list[str]:
        if self.backend == "sqlite":
            return [r[0] for r in self.query(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return [r[0] for r in self.query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? "
            "ORDER BY table_name", (self.schema,))]

    def rows_containing(self, text: str, *, outside_ciphertext: bool = False) -> dict[str, int]:
        """{table: rows holding ``text`` in any column} over every table of the store; text
        columns are matched as text, binary columns as bytes (UTF-8), case-insensitively.
        ``outside_ciphertext``: a hit inside a sealed value's base64 is no hit (``plaintext_in``;
        for short words, which turn up in ciphertext by chance)."""
        found: dict[str, int] = {}
        needle = text.lower()

        def hit(cell: bytes) -> bool:
            return plaintext_in(cell, text) if outside_ciphertext else needle.encode() in cell.lower()

        if self.backend == "sqlite":
            conn = sqlite3.connect(self.path, timeout=30)
            try:
                for table in self.tables():
                    hits = 0
                    for row in conn.execute(f'SELECT * FROM "{table}"'):
                        cells = [bytes(v) if isinstance(v, bytes | memoryview) else
                                 str(v).encode("utf-8") for v in row if v is not None]
                        if any(hit(c) for c in cells):
                            hits += 1
                    if hits:
                        found[table] = hits
            finally:
                conn.close()
            return found
        with self._pg() as conn:
            for table in self.tables():
                columns = conn.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = %s AND table_name = %s", (self.schema, table)).fetchall()
                # bytea as escaped text keeps ASCII as it is (the markers are ASCII)
                tests = [
                    sql.SQL("lower(encode({}, 'escape')) LIKE %s" if kind == "bytea" else
                            "lower({}::text) LIKE %s").format(sql.Identifier(name))
                    for name, kind in columns
                ]
                params = [f"%{needle}%"] * len(columns)
                if outside_ciphertext:
                    texts = sql.SQL(", ").join(
                        sql.SQL("encode({}, 'escape')" if kind == "bytea" else "{}::text").format(
                            sql.Identifier(name)) for name, kind in columns)
                    rows = conn.execute(sql.SQL("SELECT {} FROM {} WHERE {}").format(
                        texts, sql.Identifier(self.schema, table), sql.SQL(" OR ").join(tests)),
                        params).fetchall()
                    hits = sum(1 for row in rows if any(
                        hit(str(v).encode("utf-8")) for v in row if v is not None))
                    if hits:
                        found[table] = hits
                    continue
                count = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE {}").format(
                    sql.Identifier(self.schema, table), sql.SQL(" OR ").join(tests)),
                    params).fetchone()
                assert count is not None
                if count[0]:
                    found[table] = int(count[0])
        return found
