"""Keeps the read models current: reads the log after each projection's position, applies
the events, and records the new position in the same transaction as the rows (exactly once).

Safe in several processes at once: each batch holds a lock (PostgreSQL advisory lock,
SQLite write lock) while it reads positions, applies and records.

It reads the log through a narrow ``EventSource`` (the store implements it), never through
the whole application.
"""

from __future__ import annotations

import contextlib
import logging
import select
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import psycopg
import sqlalchemy as sa
import sqlalchemy.exc
from eventsourcing.persistence import InterfaceError, OperationalError
from sqlalchemy.engine import Connection
from stafet.projections import ALL, Projection
from stafet.projections import attention as attention_module
from stafet.projections import consents as consents_module
from stafet.projections.base import Rows, metadata
from stafet.projections.events import rm_events

from stafet.domain.administration import AdminEvent
from stafet.domain.events import CaseEvent, CaseOpened, PersonalDataErased
from stafet.domain.evolve import evolve
from stafet.domain.policy import Policy
from stafet.domain.state import CaseState
from stafet.storage.engine import UTCDateTime, reading, sql_engine
from stafet.storage.url import StorageConfig, parse_db_url
from stafet.wording import describe

rm_tracking = sa.Table(
    "rm_tracking", metadata,
    sa.Column("projection", sa.String(40), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)
VIEWS = {**consents_module.VIEWS, **attention_module.VIEWS}
BATCH_SIZE = 500
# A rebuild can simply be run again, so it takes bigger bites: fewer commits, each of which
# costs more as the tables grow.
REBUILD_BATCH_SIZE = 5000
RECONNECT_SECONDS = 2.0
# What a database restart looks like from here, through each of the three client layers.
DATABASE_GONE = (OperationalError, InterfaceError, psycopg.OperationalError,
                 psycopg.InterfaceError, sqlalchemy.exc.OperationalError,
                 sqlalchemy.exc.InterfaceError)
STATE_CACHE_SIZE = 20_000

Progress = Callable[[int, int], None]  # (events applied so far, head position)


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    tables: list[str]
    position: int
    head: int
    version: int
    stored_version: int | None

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class EventSource(Protocol):
    """What the read side needs of the log (``stafet.storage.store.CaseStore`` is one)."""

    storage: StorageConfig

    def head(self) -> int:
        """The position of the newest event (0 for an empty log)."""

    def read_after(self, position: int, limit: int) -> list[tuple[int, CaseEvent | AdminEvent]]:
        """Up to ``limit`` events after a position, each with its position."""

    def case(self, case_id: UUID, version: int | None = None) -> CaseState:
        """A case as it stood at a version."""

    def case_events(self, case_id: UUID) -> list[CaseEvent]:
        """Every event of a case, oldest first."""

    def forget_key(self, case_id: UUID) -> None:
        """Look the citizen's key up afresh (after an erasure)."""

    def forget_keys_if_erased(self) -> bool:
        """Forget every key remembered if a citizen was erased since last asked; True then."""

    def listen(self) -> Any:
        """A connection woken by new events (PostgreSQL), or None to poll."""


class ReadModels:
    """The rm_ tables of a log: catch up, rebuild, follow, report status."""

    def __init__(
        self,
        source: EventSource,
        policy: Policy,
        clock: Callable[[], datetime],
        read_url: str | None = None,
        engine: sa.Engine | None = None,
        projections: Sequence[type[Projection]] = ALL,
    ) -> None:
        """``read_url``: the rm_ tables live in another database (default: beside the log,
        using ``engine`` when given)."""
        self.source = source
        self.clock = clock
        self.storage = parse_db_url(read_url) if read_url else source.storage
        self._own_engine = read_url is not None or engine is None
        self.engine = engine if engine is not None and not read_url else sql_engine(self.storage)
        self.projections = [cls(policy) for cls in projections]
        self._cache: OrderedDict[UUID, CaseState] = OrderedDict()
        self._lock_key = zlib.crc32(f"stafet-projections:{self.storage.pg_schema}".encode())
        self.create_tables()

    # -- setting up -----------------------------------------------------------------------

    def create_tables(self) -> None:
        with self.engine.begin() as conn:
            self._lock(conn)
            metadata.create_all(conn)
            for name, select_sql in VIEWS.items():
                exists = sa.inspect(conn).has_table(name) or name in sa.inspect(conn).get_view_names()
                if not exists:
                    conn.exec_driver_sql(f"CREATE VIEW {name} AS {select_sql}")

    def close(self) -> None:
        if self._own_engine:
            self.engine.dispose()

    def _lock(self, conn: Connection) -> None:
        if self.engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": self._lock_key})

    def names(self) -> list[str]:
        return [p.name for p in self.projections]

    def select(self, names: Sequence[str] | None) -> list[Projection]:
        """The projections of these names (all of them for none); unknown names are refused."""
        return self._select(names)

    def _select(self, names: Sequence[str] | None) -> list[Projection]:
        if not names:
            return list(self.projections)
        unknown = set(names) - set(self.names())
        if unknown:
            from stafet.domain.errors import InvalidCommand

            raise InvalidCommand(
                f"no projection called {', '.join(sorted(unknown))}; there are "
                f"{', '.join(self.names())}."
            )
        return [p for p in self.projections if p.name in names]

    # -- reading positions ----------------------------------------------------------------

    def head(self) -> int:
        return self.source.head()

    def _tracking(self, conn: Connection) -> dict[str, tuple[int, int]]:
        rows = conn.execute(sa.select(rm_tracking)).mappings()
        return {r["projection"]: (r["position"], r["version"]) for r in rows}

    def status(self) -> list[ProjectionStatus]:
        head = self.head()
        with reading(self.engine) as conn:
            tracking = self._tracking(conn)
        return [
            ProjectionStatus(
                name=p.name, tables=[t.name for t in p.tables],
                position=tracking.get(p.name, (0, 0))[0], head=head, version=p.version,
                stored_version=tracking[p.name][1] if p.name in tracking else None,
            )
            for p in self.projections
        ]

    # -- applying the log -----------------------------------------------------------------

    def catch_up(
        self,
        names: Sequence[str] | None = None,
        batch_size: int = BATCH_SIZE,
        progress: Progress | None = None,
    ) -> int:
        """Apply every event not yet applied; returns how many events were read."""
        selected = self._select(names)
        applied = 0
        while True:
            with self.engine.begin() as conn:
                self._lock(conn)
                self._forget_if_erased()
                positions = self._positions(conn, selected)
                start = min(positions.values())
                batch = self.source.read_after(start, batch_size)
                if not batch:
                    return applied
                rows = Rows(conn)
                erased: list[UUID] = []
                for position, event in batch:
                    if not isinstance(event, CaseEvent):
                        continue  # the administration's events: no read model holds them
                    if isinstance(event, PersonalDataErased):
                        # What this runner remembers of the case was read with the key.
                        self._cache.pop(event.originator_id, None)
                        erased.append(event.originator_id)
                    before, after = self._states(event)
                    for p in selected:
                        if positions[p.name] < position and p.wants(event):
                            p.apply(rows, event, before, after, position)
                rows.flush()
                if erased:
                    # Rows made earlier in the batch may hold what the key opened: make the
                    # erased cases' rows afresh from the log, in the same transaction.
                    self._refresh_cases(conn, erased)
                last = batch[-1][0]
                self._record(conn, [p for p in selected if positions[p.name] < last], last)
            applied += len(batch)
            if progress:
                progress(applied, self.head())
            if len(batch) < batch_size:
                return applied  # that was the head (saves a round of locking to find out)

    def _forget_if_erased(self) -> None:
        """Under the lock, before reading the log: if a citizen was erased since the last
        batch (by any process), forget every key and case state this runner remembers, so no
        event is opened with a key read before the erasure. ``erase`` rewrites the erased
        cases' rows under this lock after deleting the key, so every batch after it sees the
        deletion, and a batch before it is overwritten by it."""
        if self.source.forget_keys_if_erased():
            self._cache.clear()

    def _positions(self, conn: Connection, selected: list[Projection]) -> dict[str, int]:
        """Each projection's position; one whose version changed starts over from empty."""
        tracking = self._tracking(conn)
        positions = {}
        for p in selected:
            position, version = tracking.get(p.name, (0, p.version))
            if version != p.version:
                self._clear(conn, p)
                position = 0
            positions[p.name] = position
        return positions

    def _record(self, conn: Connection, projections: list[Projection], position: int) -> None:
        if not projections:
            return
        now = self.clock()
        # One statement in the usual case: every row is there (a projection's version is
        # written when its row is made, and a changed version deletes the row).
        moved = conn.execute(
            rm_tracking.update().where(rm_tracking.c.projection.in_([p.name for p in projections]))
            .values(position=position, updated_at=now)).rowcount
        if moved == len(projections):
            return
        for p in projections:
            conn.execute(rm_tracking.delete().where(rm_tracking.c.projection == p.name))
            conn.execute(rm_tracking.insert().values(
                projection=p.name, position=position, version=p.version, updated_at=now,
            ))

    def _states(self, event: CaseEvent) -> tuple[CaseState | None, CaseState]:
        """The case just before and just after the event (cached; loaded when not at hand)."""
        case_id = event.originator_id
        before: CaseState | None = None
        if not isinstance(event, CaseOpened):
            cached = self._cache.get(case_id)
            if cached is not None and cached.version == event.originator_version - 1:
                before = cached
            else:
                before = self.source.case(case_id, version=event.originator_version - 1)
        after = evolve(before, event)
        self._cache[case_id] = after
        self._cache.move_to_end(case_id)
        if len(self._cache) > STATE_CACHE_SIZE:
            self._cache.popitem(last=False)
        return before, after

    def _clear(self, conn: Connection, p: Projection) -> None:
        for table in p.tables:
            conn.execute(table.delete())
        conn.execute(rm_tracking.delete().where(rm_tracking.c.projection == p.name))

    def rebuild(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Empty the tables of one or all projections and replay the whole log into them."""
        selected = self._select(names)
        with self.engine.begin() as conn:
            self._lock(conn)
            for p in selected:
                self._clear(conn, p)
        self._cache.clear()
        return self.catch_up([p.name for p in selected], batch_size=REBUILD_BATCH_SIZE,
                             progress=progress)

    def refresh_cases(self, case_ids: Sequence[UUID]) -> None:
        """Recompute every row of these cases from their events (after an erasure, so the
        read models hold "[erased]" where the personal data was)."""
        with self.engine.begin() as conn:
            self._lock(conn)
            self._refresh_cases(conn, case_ids)

    def _refresh_cases(self, conn: Connection, case_ids: Sequence[UUID]) -> None:
        ids = [str(case_id) for case_id in case_ids]
        per_case = [p for p in self.projections if p.name not in ("events", "caseload")]
        for p in per_case:
            for table in p.tables:
                conn.execute(table.delete().where(table.c.case_id.in_(ids)))
        rows = Rows(conn)
        summaries = []
        for case_id in case_ids:
            self.source.forget_key(case_id)
            state: CaseState | None = None
            for event in self.source.case_events(case_id):
                before, state = state, evolve(state, event)
                for p in per_case:
                    if p.wants(event):
                        p.apply(rows, event, before, state, 0)
                summaries.append({"_case": str(case_id), "_position": event.originator_version,
                                  "summary": describe(event, width=None)})
            self._cache.pop(case_id, None)
        rows.flush()
        if summaries:
            conn.execute(
                rm_events.update().where(
                    rm_events.c.case_id == sa.bindparam("_case"),
                    rm_events.c.position == sa.bindparam("_position"),
                ).values(summary=sa.bindparam("summary")),
                summaries,
            )

    # -- following the log ----------------------------------------------------------------

    def run(
        self,
        stop: threading.Event,
        poll_seconds: float = 1.0,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        """Follow new events until ``stop`` is set: poll, and on PostgreSQL wake on NOTIFY.

        When the database goes away (a server restart), say so and try again every few
        seconds; exactly-once tracking means nothing is skipped or doubled on return."""
        listener = None
        try:
            while not stop.is_set():
                try:
                    if listener is None:
                        listener = self.source.listen()
                    applied = self.catch_up()
                    if applied and on_batch:
                        on_batch(applied)
                    if listener is not None:
                        self._wait_for_notify(listener, stop, poll_seconds)
                    else:
                        stop.wait(poll_seconds)
                except DATABASE_GONE as error:
                    first_line = (str(error).strip().splitlines() or ["no details"])[0]
                    logging.getLogger("stafet").warning(
                        "the database is unavailable (%s); trying again in %s s",
                        first_line, RECONNECT_SECONDS)
                    if listener is not None:
                        with contextlib.suppress(Exception):
                            listener.close()
                        listener = None
                    stop.wait(RECONNECT_SECONDS)
        finally:
            if listener is not None:
                listener.close()

    @staticmethod
    def _wait_for_notify(listener: Any, stop: threading.Event, seconds: float) -> None:
        """Until a NOTIFY arrives, ``seconds`` pass, or ``stop`` is set (checked every 0.2 s, so
        SIGTERM stops the runner at once)."""
        deadline = time.monotonic() + seconds
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([listener.fileno()], [], [], min(left, 0.2))
            if readable:
                for _ in listener.notifies(timeout=0, stop_after=100):
                    pass
                return
