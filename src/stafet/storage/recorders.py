"""The library's recorders, extended with what the ledger stores beside each write.

``stafet_commands`` remembers every command sent with a ``command_id``: written in the
same transaction as the command's events, so a retried command is either wholly new or
wholly a repeat, never half of each.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from stafet.storage.chain import GENESIS, ChainLink, chain_links
from stafet.storage.keys import KeyErased, cases_to_check


@dataclass(frozen=True)
class CommandRecord:
    command_id: str
    case_id: UUID
    fingerprint: str
    result: dict[str, Any]


@dataclass(frozen=True)
class LogRow:
    """One row of the events table, untouched (``verify`` reads these)."""

    id: int
    originator_id: Any
    originator_version: Any
    topic: Any
    state: Any


@functools.lru_cache(maxsize=65_536)
def _case_uuid(hex_id: str) -> UUID:
    return UUID(hex_id)


def _uuid_range(prefix: str) -> tuple[str, str]:
    """The lowest and highest 32-digit hex ids that start with the given hex prefix."""
    return prefix.ljust(32, "0"), prefix.ljust(32, "f")


class LedgerRecorder(ApplicationRecorder):
    """What the ledger reads beside the library's events: the hash chain, the raw rows for
    ``verify``, command records and case ids. One implementation a backend."""

    def select_chain(self, after_seq: int, limit: int) -> list[ChainLink]:
        raise NotImplementedError

    def select_log(self, after_seq: int, limit: int) -> list[LogRow]:
        raise NotImplementedError

    def select_chain_link(self, case_id: UUID, position: int) -> ChainLink | None:
        raise NotImplementedError

    def select_case_chain(self, case_id: UUID) -> list[ChainLink]:
        """Every link of one case's entries, in the case's order."""
        raise NotImplementedError

    def count_chain(self, through_seq: int) -> int:
        """How many events the chain holds up to and including a log position (what a
        digest of the log at that position counts)."""
        raise NotImplementedError

    def select_command(self, command_id: str) -> CommandRecord | None:
        raise NotImplementedError

    def select_case_ids(self, hex_prefix: str = "", limit: int = 1000) -> list[UUID]:
        raise NotImplementedError


class SQLiteLedgerRecorder(SQLiteApplicationRecorder, LedgerRecorder):
    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS stafet_commands ("
            "command_id TEXT PRIMARY KEY, case_id TEXT NOT NULL, "
            "fingerprint TEXT NOT NULL, result TEXT NOT NULL)",
            "CREATE TABLE IF NOT EXISTS stafet_chain ("
            "seq INTEGER PRIMARY KEY, case_id TEXT NOT NULL, position INTEGER NOT NULL, "
            "event_hash BLOB NOT NULL, chain_hash BLOB NOT NULL, case_hash BLOB NOT NULL)",
            "CREATE UNIQUE INDEX IF NOT EXISTS stafet_chain_case ON stafet_chain (case_id, position)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None
        # After the first INSERT this transaction holds SQLite's write lock (and so reads the
        # newest keys): no erasure can come between this check and the commit.
        self._refuse_erased_keys(c, stored_events)
        self._chain(c, stored_events, ids)
        records: list[CommandRecord] = kwargs.get("command_records") or []
        for record in records:
            c.execute(
                "INSERT INTO stafet_commands VALUES (?, ?, ?, ?)",
                (record.command_id, record.case_id.hex, record.fingerprint,
                 json.dumps(record.result)),
            )
        return ids

    def _refuse_erased_keys(self, c: SQLiteCursor, stored: Sequence[StoredEvent]) -> None:
        """Store nothing on a case whose citizen's key was deleted after this writer read it
        (``KeyErased`` rolls the transaction back)."""
        cases = cases_to_check(stored)
        if not cases:
            return
        c.execute(
            "SELECT cs.case_id FROM stafet_case_subjects cs LEFT JOIN stafet_subject_keys k "
            f"ON k.subject_id = cs.subject_id WHERE cs.case_id IN ({','.join('?' * len(cases))}) "
            "AND (cs.erased_at IS NOT NULL OR k.key IS NULL) LIMIT 1", cases)
        row = c.fetchone()
        if row is not None:
            raise KeyErased(row[0])

    def _chain(self, c: SQLiteCursor, stored: Sequence[StoredEvent], ids: Sequence[int]) -> None:
        # Writers are serialised by SQLite's write lock, so the last link read here stays last.
        c.execute("SELECT chain_hash FROM stafet_chain ORDER BY seq DESC LIMIT 1")
        row = c.fetchone()
        previous = bytes(row[0]) if row else GENESIS
        case_previous: dict[UUID, bytes] = {}
        for case_id in {s.originator_id for s in stored}:
            c.execute(
                "SELECT case_hash FROM stafet_chain WHERE case_id = ? "
                "ORDER BY position DESC LIMIT 1", (UUID(str(case_id)).hex,),
            )
            row = c.fetchone()
            if row:
                case_previous[UUID(str(case_id))] = bytes(row[0])
        links = chain_links(previous, case_previous, [
            (seq, UUID(str(s.originator_id)), s.originator_version, s.topic, s.state)
            for seq, s in zip(ids, stored, strict=True)
        ])
        c.executemany("INSERT INTO stafet_chain VALUES (?, ?, ?, ?, ?, ?)", [
            (k.seq, k.case_id.hex, k.position, k.event_hash, k.chain_hash, k.case_hash)
            for k in links
        ])

    def select_chain(self, after_seq: int, limit: int) -> list[ChainLink]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT * FROM stafet_chain WHERE seq > ? ORDER BY seq LIMIT ?",
                (after_seq, limit),
            )
            return [
                ChainLink(r["seq"], _case_uuid(r["case_id"]), r["position"], bytes(r["event_hash"]),
                          bytes(r["chain_hash"]), bytes(r["case_hash"]))
                for r in c.fetchall()
            ]

    def select_log(self, after_seq: int, limit: int) -> list[LogRow]:
        """The stored events as raw as they lie, for ``verify``: no value is trusted."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after_seq, limit),
            )
            return [LogRow(r[0], r[1], r[2], r[3], r[4]) for r in c.fetchall()]

    def select_chain_link(self, case_id: UUID, position: int) -> ChainLink | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM stafet_chain WHERE case_id = ? AND position = ?",
                      (case_id.hex, position))
            r = c.fetchone()
        if r is None:
            return None
        return ChainLink(r["seq"], UUID(r["case_id"]), r["position"], bytes(r["event_hash"]),
                         bytes(r["chain_hash"]), bytes(r["case_hash"]))

    def select_case_chain(self, case_id: UUID) -> list[ChainLink]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM stafet_chain WHERE case_id = ? ORDER BY position",
                      (case_id.hex,))
            return [ChainLink(r["seq"], UUID(r["case_id"]), r["position"], bytes(r["event_hash"]),
                              bytes(r["chain_hash"]), bytes(r["case_hash"])) for r in c.fetchall()]

    def count_chain(self, through_seq: int) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT count(*) FROM stafet_chain WHERE seq <= ?", (through_seq,))
            return int(c.fetchone()[0])

    def select_command(self, command_id: str) -> CommandRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM stafet_commands WHERE command_id = ?", (command_id,))
            row = c.fetchone()
        if row is None:
            return None
        return CommandRecord(
            command_id=row["command_id"], case_id=UUID(row["case_id"]),
            fingerprint=row["fingerprint"], result=json.loads(row["result"]),
        )

    def select_case_ids(self, hex_prefix: str = "", limit: int = 1000) -> list[UUID]:
        low, high = _uuid_range(hex_prefix)
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT originator_id FROM {self.events_table_name} "
                "WHERE originator_version = 1 AND originator_id BETWEEN ? AND ? "
                "ORDER BY rowid LIMIT ?",
                (low, high, limit),
            )
            return [UUID(row["originator_id"]) for row in c.fetchall()]


class PostgresLedgerRecorder(PostgresApplicationRecorder, LedgerRecorder):
    def __init__(self, datastore: Any, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.commands_table = Identifier(self.datastore.schema, "stafet_commands")
        self.chain_table = Identifier(self.datastore.schema, "stafet_chain")
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                "command_id text PRIMARY KEY, case_id uuid NOT NULL, "
                "fingerprint text NOT NULL, result jsonb NOT NULL)"
            ).format(self.commands_table)
        )
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                "seq bigint PRIMARY KEY, case_id uuid NOT NULL, position bigint NOT NULL, "
                "event_hash bytea NOT NULL, chain_hash bytea NOT NULL, case_hash bytea NOT NULL, "
                "UNIQUE (case_id, position))"
            ).format(self.chain_table)
        )

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # First in the insert's transaction, and here rather than after the insert: the library
        # commits what it inserted when a later step raises, but rolls back from this one.
        self._refuse_erased_keys(curs, stored_events)
        records: list[CommandRecord] = kwargs.get("command_records") or []
        for record in records:
            curs.execute(
                SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(self.commands_table),
                (record.command_id, record.case_id, record.fingerprint,
                 json.dumps(record.result)),
            )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        # Still inside the insert's transaction, holding the events table's EXCLUSIVE lock:
        # every writer waits for it, so the last link read here stays last until we commit.
        curs.execute(SQL("SELECT chain_hash FROM {} ORDER BY seq DESC LIMIT 1").format(
            self.chain_table))
        row = curs.fetchone()
        previous = bytes(row["chain_hash"]) if row else GENESIS
        case_previous: dict[UUID, bytes] = {}
        for case_id in {UUID(str(s.originator_id)) for s in stored_events}:
            curs.execute(SQL(
                "SELECT case_hash FROM {} WHERE case_id = %s ORDER BY position DESC LIMIT 1"
            ).format(self.chain_table), (case_id,))
            row = curs.fetchone()
            if row:
                case_previous[case_id] = bytes(row["case_hash"])
        links = chain_links(previous, case_previous, [
            (seq, UUID(str(s.originator_id)), s.originator_version, s.topic, s.state)
            for seq, s in zip(ids, stored_events, strict=True)
        ])
        curs.executemany(
            SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)").format(self.chain_table),
            [(k.seq, k.case_id, k.position, k.event_hash, k.chain_hash, k.case_hash)
             for k in links],
        )
        return ids

    def _refuse_erased_keys(self, curs: Cursor[DictRow], stored: Sequence[StoredEvent]) -> None:
        """Store nothing on a case whose citizen's key was deleted after this writer read it
        (``KeyErased`` rolls the transaction back). FOR SHARE on the key row: an erasure
        (which locks the row FOR UPDATE before deleting the key) waits for this transaction,
        and this one waits for an erasure under way and then sees the key gone."""
        cases = cases_to_check(stored)
        if not cases:
            return
        schema = self.datastore.schema
        curs.execute(SQL(
            "SELECT cs.case_id, cs.erased_at IS NOT NULL OR k.key IS NULL AS erased "
            "FROM {} cs JOIN {} k ON k.subject_id = cs.subject_id "
            "WHERE cs.case_id = ANY(%s) FOR SHARE OF k").format(
                Identifier(schema, "stafet_case_subjects"), Identifier(schema, "stafet_subject_keys")),
            (cases,))
        for row in curs.fetchall():
            if row["erased"]:
                raise KeyErased(row["case_id"])

    def select_chain(self, after_seq: int, limit: int) -> list[ChainLink]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT * FROM {} WHERE seq > %s ORDER BY seq LIMIT %s").format(
                    self.chain_table), (after_seq, limit),
            )
            return [
                ChainLink(r["seq"], r["case_id"], r["position"], bytes(r["event_hash"]),
                          bytes(r["chain_hash"]), bytes(r["case_hash"]))
                for r in curs.fetchall()
            ]

    def select_log(self, after_seq: int, limit: int) -> list[LogRow]:
        """The stored events as raw as they lie, for ``verify``: no value is trusted."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                ).format(Identifier(self.datastore.schema, self.events_table_name)),
                (after_seq, limit),
            )
            return [LogRow(r["notification_id"], r["originator_id"], r["originator_version"],
                           r["topic"], r["state"]) for r in curs.fetchall()]

    def select_chain_link(self, case_id: UUID, position: int) -> ChainLink | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT * FROM {} WHERE case_id = %s AND position = %s").format(
                self.chain_table), (case_id, position))
            r = curs.fetchone()
        if r is None:
            return None
        return ChainLink(r["seq"], r["case_id"], r["position"], bytes(r["event_hash"]),
                         bytes(r["chain_hash"]), bytes(r["case_hash"]))

    def select_case_chain(self, case_id: UUID) -> list[ChainLink]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT * FROM {} WHERE case_id = %s ORDER BY position").format(
                self.chain_table), (case_id,))
            return [ChainLink(r["seq"], r["case_id"], r["position"], bytes(r["event_hash"]),
                              bytes(r["chain_hash"]), bytes(r["case_hash"]))
                    for r in curs.fetchall()]

    def count_chain(self, through_seq: int) -> int:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(SQL("SELECT count(*) AS n FROM {} WHERE seq <= %s").format(
                self.chain_table), (through_seq,))
            row = curs.fetchone()
        return int(row["n"]) if row else 0

    def select_command(self, command_id: str) -> CommandRecord | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL("SELECT * FROM {} WHERE command_id = %s").format(self.commands_table),
                (command_id,),
            )
            row = curs.fetchone()
        if row is None:
            return None
        return CommandRecord(
            command_id=row["command_id"], case_id=row["case_id"],
            fingerprint=row["fingerprint"], result=row["result"],
        )

    def select_case_ids(self, hex_prefix: str = "", limit: int = 1000) -> list[UUID]:
        low, high = _uuid_range(hex_prefix)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(
                SQL(
                    "SELECT originator_id FROM {} WHERE originator_version = 1 "
                    "AND originator_id BETWEEN %s AND %s ORDER BY notification_id LIMIT %s"
                ).format(Identifier(self.datastore.schema, self.events_table_name)),
                (UUID(low), UUID(high), limit),
            )
            return [row["originator_id"] for row in curs.fetchall()]
