"""The event store: the eventsourcing library's application, wired to our storage.

It loads cases (from the case cache, a snapshot and the events after it), stores decided
events with their command records, and reads the log in order for the read side. It knows
nothing of commands or rules; the Ledger decides, the store keeps.
"""

from __future__ import annotations

import contextlib
import logging
import re
import zlib
from collections.abc import Iterator, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import EventStore, IntegrityError, Mapper
from eventsourcing.utils import Environment

from stafet.domain.administration import ADMINISTRATION_ID, AdminEvent, Roles, project_roles
from stafet.domain.calendar import when
from stafet.domain.errors import CaseNotFound, InvalidCommand, cut
from stafet.domain.events import CaseEvent, Envelope
from stafet.domain.evolve import project_case
from stafet.domain.state import CaseSnapshot, CaseState
from stafet.storage.engine import sql_engine
from stafet.storage.failures import Setting, explain
from stafet.storage.keys import ErasedSnapshot, KeyErased, KeyStore
from stafet.storage.mapper import PydanticMapper
from stafet.storage.recorders import CommandRecord, InTransaction, LedgerRecorder
from stafet.storage.snapshots import SnapshotMapper, UnchainedSnapshot, UntrustedSnapshot
from stafet.storage.url import StorageConfig

SNAPSHOT_INTERVAL = 100
# Cases kept in memory between commands, brought up to date from the log on every read (the
# library's aggregate cache with fast-forward), so a busy writer decodes only what is new.
CASE_CACHE_SIZE = 1000


class CaseStore(Application[UUID]):
    """Cases in, cases out. One per Ledger; ``close()`` releases every connection."""

    name = "Stafet"
    recorder: LedgerRecorder  # the events table and the tables beside it (chain, commands)

    def __init__(
        self,
        storage: StorageConfig,
        *,
        snapshot_interval: int = SNAPSHOT_INTERVAL,
        case_cache_size: int = CASE_CACHE_SIZE,
    ) -> None:
        self.storage = storage
        self.snapshot_interval = snapshot_interval
        self.case_cache_size = case_cache_size
        # One SQLAlchemy engine for every table beside the event store (keys, access log, read
        # models), disposed with the store so no connection outlives it.
        self.sql = sql_engine(storage)
        try:
            with _schema_lock(storage):
                super().__init__()  # creates the tables, if missing
        except Exception as error:
            self.sql.dispose()
            # A wrong setting or a damaged file in one sentence (storage.failures).
            failure = explain(error, [Setting("--db (STAFET_DB)", storage)])
            if failure is None:
                raise
            raise failure from error

    # -- wiring the library ------------------------------------------------------------

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Configured by the URL alone, so stray library variables in the shell change nothing.
        settings = dict(self.storage.env)
        if self.case_cache_size > 0:
            # Every read still fetches the case's newer events, so other writers' events are
            # seen. No deep copy: a CaseState is immutable, evolve makes new ones.
            settings["AGGREGATE_CACHE_MAXSIZE"] = str(self.case_cache_size)
            settings["DEEPCOPY_FROM_AGGREGATE_CACHE"] = "n"
        return Environment(name, settings)

    def construct_mapper(self) -> Mapper[UUID]:
        self.keys = KeyStore(
            self.sql, zlib.crc32(f"stafet-keys:{self.storage.pg_schema}".encode()))
        return PydanticMapper(
            self.keys, compressor=self.factory.compressor(), cipher=self.factory.cipher())

    def construct_recorder(self) -> LedgerRecorder:
        recorder = super().construct_recorder()
        assert isinstance(recorder, LedgerRecorder), "configured by the URL (storage.url)"
        return recorder

    def construct_snapshot_store(self) -> EventStore[UUID]:
        # Snapshots have a mapper of their own: each is bound to the chain at its version, and
        # one that is not the log's is never used (stafet.storage.snapshots).
        self.snapshot_mapper = SnapshotMapper(
            self.keys, self._case_hash_at, compressor=self.factory.compressor(),
            cipher=self.factory.cipher())
        return self.factory.event_store(
            mapper=self.snapshot_mapper, recorder=self.factory.aggregate_recorder(
                purpose="snapshots"))

    def _case_hash_at(self, case_id: UUID, version: int) -> bytes | None:
        link = self.recorder.select_chain_link(case_id, version)
        return link.case_hash if link is not None else None

    def close(self) -> None:
        super().close()
        self.sql.dispose()

    # -- storing -----------------------------------------------------------------------

    def append(self, events: Sequence[Envelope], records: Sequence[CommandRecord],
               in_transaction: InTransaction | None = None) -> None:
        """Store decided events and their command records in one transaction.

        Raises ``IntegrityError`` when another writer stored one of these positions first, and
        ``KeyErased`` when a citizen's key was deleted meanwhile; nothing is stored then.
        ``in_transaction`` (SQLite): called inside that transaction with its connection and
        the events' positions, to write what must commit with them (the read models)."""
        if in_transaction is None:
            self.save(*events, command_records=list(records))
        else:
            self.save(*events, command_records=list(records), in_transaction=in_transaction)

    def after_store(self, loaded_versions: dict[UUID, int], states: dict[UUID, CaseState]) -> None:
        """Keep the just-stored states for the next command, and snapshot those that are due."""
        for case_id, state in states.items():
            self._snapshot_if_due(loaded_versions[case_id], state)
            if self.repository.cache is not None and not state.personal_data_erased:
                self.repository.cache.put(state.id, state)

    def _snapshot_if_due(self, old_version: int, state: CaseState) -> None:
        assert self.snapshots is not None
        if state.personal_data_erased:
            return  # a snapshot would need the deleted key; the events alone are few enough
        if state.version // self.snapshot_interval > old_version // self.snapshot_interval:
            # The new state is exactly what was stored, so snapshot it without reloading.
            # IntegrityError: someone snapshotted this version already. KeyErased, ErasedSnapshot:
            # the key was deleted a moment ago (an erasure under way). UntrustedSnapshot: the
            # chain has no link for it. The events are stored either way.
            with contextlib.suppress(IntegrityError, KeyErased, ErasedSnapshot, UntrustedSnapshot):
                self.snapshots.put([CaseSnapshot.take(state)])

    def command_record(self, command_id: str) -> CommandRecord | None:
        return self.recorder.select_command(command_id)

    # -- loading -----------------------------------------------------------------------

    def case(self, case_id: UUID, version: int | None = None) -> CaseState:
        """The case as it stands now (or at a given version)."""
        if version is not None and version < 1:
            raise InvalidCommand(
                f"version must be 1 or more (a case starts at version 1), not {version}")
        try:
            state: CaseState = self.repository.get(
                case_id, version=version, projector_func=project_case)
            if version is None and state.personal_data_erased:
                # A cached state was made while the key existed: read the erased case afresh
                # from the log, and never keep it, so no cleartext outlives the key in memory.
                self.forget(case_id)
                state = self.repository.get(
                    case_id, version=state.version, projector_func=project_case)
            return state
        except (ErasedSnapshot, UntrustedSnapshot) as unusable:
            # A snapshot sealed with a key that has just been deleted (it is dropped as part
            # of the erasure), or one that is not this log's (garbage, forged, stale): a
            # snapshot is a cache, so fold the events alone.
            if isinstance(unusable, UntrustedSnapshot):
                logging.getLogger("stafet").log(
                    logging.INFO if isinstance(unusable, UnchainedSnapshot) else logging.WARNING,
                    "%s; the case was read from its events", unusable)
            self.forget(case_id)
            folded = project_case(None, self.case_events(case_id, version))
            if folded is None:
                raise CaseNotFound(f"there is no case {case_id}") from None
            if version is None and not folded.personal_data_erased \
                    and self.repository.cache is not None:
                self.repository.cache.put(case_id, folded)
            return folded
        except AggregateNotFoundError:
            raise CaseNotFound(f"there is no case {case_id}") from None

    def forget(self, case_id: UUID) -> None:
        """Drop the case from the cache (it is read afresh from the log next time)."""
        if self.repository.cache is not None:
            with contextlib.suppress(KeyError):
                self.repository.cache.get(case_id, evict=True)

    def case_events(self, case_id: UUID, version: int | None = None) -> list[CaseEvent]:
        """Every event of the case (up to a version), oldest first."""
        events: list[CaseEvent] = list(self.events.get(case_id, lte=version))  # type: ignore[arg-type]
        if not events:
            raise CaseNotFound(f"there is no case {case_id}")
        return events

    def case_as_of(self, case_id: UUID, moment: Any) -> CaseState:
        """The case exactly as the log stood at a recorded time (time travel, from the log)."""
        events = self.case_events(case_id)
        state = project_case(None, [e for e in events if e.recorded_at <= moment])
        if state is None:
            raise CaseNotFound(
                f"the case was not yet in the log at {when(moment)}; its first event was "
                f"recorded {when(events[0].recorded_at)}"
            )
        return state

    def case_as_of_business(self, case_id: UUID, moment: Any,
                            last: int | None = None) -> CaseState:
        """The case as it was in the world at a business time: every event that happened by
        then (its ``occurred_at``, else when it was recorded), also those logged later, in
        the log's order. "What did the plan say on 1 February?" ``last``: no entry after this
        position (a former participant's view ends where they left)."""
        events = self.case_events(case_id)
        happened = [e for e in events if e.effective_at <= moment
                    and (last is None or e.originator_version <= last)]
        try:
            state = project_case(None, happened)
        except (KeyError, AssertionError, ValueError):  # an event told of before what it follows
            raise InvalidCommand(
                f"the case's entries cannot be put together as of {when(moment)} in business "
                "time (an entry is dated before what it follows); use --time recorded") from None
        if state is None:
            raise CaseNotFound(
                f"the case had not begun at {when(moment)}; it begins "
                f"{when(min(e.effective_at for e in events))}")
        return state

    def case_ids(self, limit: int | None = 1000) -> list[UUID]:
        """Case ids in the order the cases were opened (all of them with ``limit=None``)."""
        found = self.recorder.select_case_ids("", 2**62 if limit is None else limit + 1)
        cases = [case_id for case_id in found if case_id != ADMINISTRATION_ID]
        return cases if limit is None else cases[:limit]

    def roles(self) -> Roles:
        """Who holds which role now (the administration's stream, folded)."""
        try:
            roles: Roles = self.repository.get(ADMINISTRATION_ID, projector_func=project_roles)
        except AggregateNotFoundError:
            return Roles()
        return roles

    def resolve_case(self, ref: UUID | str) -> UUID:
        """A case id from its full id or a unique prefix of at least 6 hex digits."""
        if isinstance(ref, UUID):
            return ref
        text = ref.strip().lower().replace("-", "")
        if not re.fullmatch(r"[0-9a-f]{6,32}", text):
            raise InvalidCommand(
                f"'{cut(ref)}' is not a case id; give the id or at least its first 6 characters."
            )
        if len(text) == 32 and UUID(text) != ADMINISTRATION_ID:
            return UUID(text)
        found = [c for c in self.recorder.select_case_ids(text, limit=3) if c != ADMINISTRATION_ID]
        if not found:
            raise CaseNotFound(f"no case id starts with '{cut(ref)}'")
        if len(found) > 1:
            raise InvalidCommand(
                f"more than one case id starts with '{cut(ref)}'; give more of it.")
        return found[0]

    def drop_snapshots(self, case_ids: Sequence[UUID]) -> None:
        """Delete the cases' snapshots (after an erasure: they were sealed with the key)."""
        assert self.snapshots is not None
        recorder: Any = self.snapshots.recorder  # the library's plain aggregate recorder
        table = recorder.events_table_name
        if self.storage.backend == "sqlite":
            with recorder.datastore.transaction(commit=True) as c:
                c.executemany(f"DELETE FROM {table} WHERE originator_id = ?",
                              [(case_id.hex,) for case_id in case_ids])
            return
        from psycopg.sql import SQL, Identifier

        with recorder.datastore.transaction(commit=True) as curs:
            curs.executemany(
                SQL("DELETE FROM {} WHERE originator_id = %s").format(
                    Identifier(self.storage.pg_schema, table)),
                [(case_id,) for case_id in case_ids],
            )

    # -- the log in order, for the read side (an EventSource) ----------------------------

    def head(self) -> int:
        """The position of the newest event in the log (0 for an empty log)."""
        return self.recorder.max_notification_id() or 0

    def read_after(self, position: int, limit: int) -> list[tuple[int, CaseEvent | AdminEvent]]:
        """Up to ``limit`` events after a log position, each with its position (the
        administration's events among the cases')."""
        notifications = self.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False)
        to_event = self.mapper.to_domain_event
        return [(n.id, cast(CaseEvent | AdminEvent, to_event(n))) for n in notifications]

    def forget_key(self, case_id: UUID) -> None:
        """Stop using the citizen's key this process remembers (it may have been erased)."""
        self.keys.forget(case_id)

    def forget_keys_if_erased(self) -> bool:
        """Forget every key this process remembers if any citizen was erased since it last
        looked (the erasure epoch moved); True then."""
        return self.keys.forget_if_erased()

    def listen(self) -> Any:
        """On PostgreSQL a connection LISTENing for new events (None on SQLite)."""
        if self.storage.backend != "postgres":
            return None
        import psycopg
        from psycopg import sql

        from stafet.storage.postgres_recorder import PostgresLedgerRecorder

        recorder = self.recorder
        assert isinstance(recorder, PostgresLedgerRecorder)
        conn = psycopg.connect(self.storage.pg_dsn, autocommit=True)
        conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(recorder.channel_name)))
        return conn


@contextlib.contextmanager
def _schema_lock(storage: StorageConfig) -> Iterator[None]:
    """On PostgreSQL, one process at a time creates the schema and (re)declares its tables and
    functions: two concurrent CREATE OR REPLACE FUNCTION of one function collide."""
    if storage.backend != "postgres":
        yield
        return
    import psycopg
    from psycopg import sql

    lock_key = zlib.crc32(f"stafet-schema:{storage.pg_schema}".encode())
    with psycopg.connect(storage.pg_dsn, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
        try:
            if storage.pg_schema != "public":
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(storage.pg_schema)))
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))
