"""The store's schema version, and the numbered steps that bring an older store up to it.

Why numbered Python steps and not Alembic: the event store's own tables are made by the
eventsourcing library (which owns their shape), the read models (``rm_`` tables) are derived
and carry a version per projection (a changed projection is rebuilt from the log:
``stafet.projections.runner``), and what is left — the tables beside the log — changes
rarely and additively. A list of small functions, each run once in a transaction and
recorded in ``stafet_schema_version``, says exactly that, on SQLite and PostgreSQL alike,
without a second tool, its ``env.py`` and its revision graph to install and keep.

Rules (docs/operations.md, "Upgrading"):

- every step has a number one higher than the last, and never changes once released;
- a step is ``automatic`` when it only adds (a table, a nullable column, an index) and is
  quick: it runs when any stafet process opens the store, as stafet always did;
- any other step (rewriting rows, dropping anything, slow work) is ``automatic=False``: until
  ``stafet upgrade`` has run it, every verb refuses the store with one sentence saying so;
- a store whose version is newer than the code is refused (exit 2): an older stafet must
  never write to it.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from stafet.storage.engine import UTCDateTime
from stafet.storage.failures import StoreUnusable

version_metadata = sa.MetaData()
stafet_schema_version = sa.Table(
    "stafet_schema_version", version_metadata,
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
    sa.Column("applied_by", sa.String(40), nullable=False),  # the stafet release that ran it
)


@dataclass(frozen=True)
class Step:
    version: int
    description: str
    run: Callable[[Connection], None]
    automatic: bool = True


def _baseline(conn: Connection) -> None:
    """The tables beside the log as of the first versioned release: citizens' keys with their
    erasure times, the access log with each entry's outcome (stores made before lack them)."""
    from stafet.storage import access, keys

    keys.keys_metadata.create_all(conn)
    keys._add_missing_columns(conn)
    access.access_metadata.create_all(conn)
    access._add_missing_columns(conn)


def _access_log_time_index(conn: Connection) -> None:
    """An index on the access log's time: retention checks (doctor, prune) look at the oldest."""
    conn.exec_driver_sql("CREATE INDEX IF NOT EXISTS stafet_access_log_at "
                         "ON stafet_access_log (at)")


def _erased_ties(conn: Connection) -> None:
    """Ties of erased cases marked erased: stores made before ties had ``erased_at`` record an
    erasure only in the log (``PersonalDataErased``) and on the citizen's key."""
    from uuid import UUID

    from stafet.storage.keys import stafet_case_subjects as ties
    from stafet.storage.keys import stafet_subject_keys as keys

    # The event store's table, as its library names it on each backend.
    events = "stafet_events" if conn.dialect.name == "postgresql" else "stored_events"
    erased = {str(UUID(str(r[0]))) for r in conn.execute(sa.text(
        f"SELECT DISTINCT originator_id FROM {events} WHERE topic = 'PersonalDataErased'"))}
    when = dict(conn.execute(sa.select(keys.c.subject_id, keys.c.erased_at)).all())
    for case_id, subject_id in conn.execute(sa.select(ties.c.case_id, ties.c.subject_id).where(
            ties.c.erased_at.is_(None))).all():
        if case_id in erased:
            conn.execute(ties.update().where(ties.c.case_id == case_id).values(
                erased_at=when.get(subject_id) or datetime.now(UTC)))


STEPS: tuple[Step, ...] = (
    Step(1, "baseline: key erasure times and access-log outcomes", _baseline),
    Step(2, "index on the access log's time", _access_log_time_index),
    Step(3, "ties of erased cases marked erased (stores from before ties recorded it)",
         _erased_ties),
)
CURRENT = STEPS[-1].version


@dataclass(frozen=True)
class SchemaState:
    stored: int  # 0: made before versioning (or empty)
    current: int = CURRENT

    @property
    def pending(self) -> list[Step]:
        return [s for s in STEPS if s.version > self.stored]

    @property
    def newer(self) -> bool:
        return self.stored > self.current


def _release() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stafet")
    except PackageNotFoundError:
        return "0"


def stored_version(engine: Engine) -> int:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table(stafet_schema_version.name):
            return 0
        return int(conn.execute(sa.select(sa.func.max(stafet_schema_version.c.version)))
                   .scalar() or 0)


def state(engine: Engine) -> SchemaState:
    return SchemaState(stored_version(engine))


def _lock(conn: Connection, schema: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"),
                     {"k": zlib.crc32(f"stafet-migrations:{schema}".encode())})


def newer_refusal(found: SchemaState) -> StoreUnusable:
    return StoreUnusable(
        f"the store's schema is version {found.stored}, newer than this stafet knows "
        f"({found.current}): it was upgraded by a later release; run that release (or "
        "newer), never an older one, on it")


def upgrade(engine: Engine, schema: str = "public", *, explicit: bool = True) -> list[Step]:
    """Run the pending steps (only the automatic ones unless ``explicit``), each in its own
    transaction with its record; returns those run. Refuses a store newer than the code."""
    ran: list[Step] = []
    while True:
        with engine.begin() as conn:
            _lock(conn, schema)
            version_metadata.create_all(conn)
            found = SchemaState(int(conn.execute(
                sa.select(sa.func.max(stafet_schema_version.c.version))).scalar() or 0))
            if found.newer:
                raise newer_refusal(found)
            if not found.pending:
                return ran
            step = found.pending[0]
            if not (step.automatic or explicit):
                return ran
            step.run(conn)
            conn.execute(stafet_schema_version.insert().values(
                version=step.version, description=step.description,
                applied_at=datetime.now(UTC), applied_by=_release()))
            ran.append(step)


def open_check(engine: Engine, schema: str = "public") -> None:
    """When a store is opened: refuse one newer than the code, run the automatic steps, and
    refuse one that still needs ``stafet upgrade``."""
    found = state(engine)
    if found.newer:
        raise newer_refusal(found)
    if not found.pending:
        return
    upgrade(engine, schema, explicit=False)
    found = state(engine)
    if found.pending:
        raise StoreUnusable(
            f"the store's schema is version {found.stored} and this stafet needs "
            f"{found.current}; run `stafet upgrade` first (step {found.pending[0].version}: "
            f"{found.pending[0].description})")
