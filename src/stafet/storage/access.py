"""The access log: every read of a case's personal data and every search, with who, when,
what and why. Append-only and hash-chained like the event log; pruned only by the
retention rule, which leaves an anchor so the rest still verifies.

Citizens are recorded by a keyed hash of their reference (``subject_id``), never in clear,
so the log itself does not spread personal data and survives erasure.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from stafet.storage.engine import UTCDateTime, reading

if TYPE_CHECKING:
    from stafet.storage.store import CaseStore

access_metadata = sa.MetaData()

stafet_access_log = sa.Table(
    "stafet_access_log", access_metadata,
    # Numbered by the log itself (the highest number ever used, plus one), never by the
    # database: SQLite would hand out the numbers of pruned entries again.
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("actor", sa.String(130), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("case_id", sa.String(36)),
    sa.Column("subject_id", sa.String(64)),
    sa.Column("criterion", sa.Text),
    sa.Column("purpose", sa.Text),
    sa.Column("hash", sa.LargeBinary, nullable=False),
    sa.Column("outcome", sa.String(10)),  # NULL: read; "refused": the policy said no
    sa.Index("stafet_access_log_subject", "subject_id"),
)
stafet_access_anchor = sa.Table(
    "stafet_access_anchor", access_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("through_seq", sa.BigInteger, nullable=False),
    sa.Column("head", sa.LargeBinary, nullable=False),
    sa.Column("pruned_at", UTCDateTime, nullable=False),
    sa.Column("removed", sa.Integer, nullable=False),
)
GENESIS = bytes(32)
REFUSED = "refused"


@dataclass(frozen=True)
class AccessEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    case_id: str | None
    subject_id: str | None
    criterion: str | None
    purpose: str | None
    outcome: str | None = None  # None: read; "refused"

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "actor": self.actor,
                "action": self.action, "case_id": self.case_id, "criterion": self.criterion,
                "purpose": self.purpose, "outcome": self.outcome or "read"}


@dataclass(frozen=True)
class AccessHead:
    """The newest entry: kept in digests and checkpoints, so a shortened log is seen."""

    seq: int
    hash: str


@dataclass(frozen=True)
class Pruned:
    removed: int
    cutoff: datetime
    through_seq: int
    head: str  # hex hash of the last removed entry


def _entry_hash(previous: bytes, row: dict[str, Any]) -> bytes:
    # An entry that was read (outcome NULL) hashes as entries always have, so logs written
    # before refusals were logged still verify.
    canonical = json.dumps(
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in sorted(row.items())
         if k not in ("hash", "seq") and not (k == "outcome" and v is None)},
        ensure_ascii=False, separators=(",", ":"),
    ).encode("utf-8")
    return hashlib.sha256(previous + canonical).digest()


def _add_missing_columns(conn: Connection) -> None:
    """Access logs made by an earlier stafet lack the outcome column: add it (nullable)."""
    have = {c["name"] for c in sa.inspect(conn).get_columns(stafet_access_log.name)}
    if "outcome" not in have:
        conn.exec_driver_sql(f"ALTER TABLE {stafet_access_log.name} ADD COLUMN outcome "
                             "VARCHAR(10)")


class AccessLog:
    @classmethod
    def for_store(cls, store: CaseStore) -> AccessLog:
        """The access log kept beside a store's events (its own lock, the store's subject ids)."""
        lock_key = zlib.crc32(f"stafet-access:{store.storage.pg_schema}".encode())
        return cls(store.sql, lock_key, store.keys.subject_id)

    def __init__(self, engine: Engine, lock_key: int, subject_id: Callable[[str], str]) -> None:
        self.engine = engine
        self.lock_key = lock_key
        self.subject_id = subject_id
        with self.engine.begin() as conn:
            self._lock(conn)
            access_metadata.create_all(conn)
            _add_missing_columns(conn)

    def _lock(self, conn: Connection) -> None:
        if self.engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.lock_key})

    def record(self, *, at: datetime, actor: str, action: str, purpose: str | None,
               case_id: str | None = None, subject_ref: str | None = None,
               criterion: str | None = None, refused: bool = False) -> None:
        self.record_many(at=at, actor=actor, action=action, purpose=purpose,
                         criterion=criterion, cases=[(case_id, self.subject_id(subject_ref)
                                                      if subject_ref else None)],
                         refused=refused)

    def record_many(self, *, at: datetime, actor: str, action: str, purpose: str | None,
                    criterion: str | None, cases: list[tuple[str | None, str | None]],
                    refused: bool = False) -> None:
        """One entry per (case id, subject id), chained, in one transaction."""
        with self.engine.begin() as conn:
            self._lock(conn)
            seq, previous = self._head(conn)
            rows = []
            for case_id, subject_id in cases:
                seq += 1
                row = {"at": at, "actor": actor, "action": action, "case_id": case_id,
                       "subject_id": subject_id, "criterion": criterion, "purpose": purpose,
                       "outcome": REFUSED if refused else None}
                previous = _entry_hash(previous, row)
                rows.append({**row, "seq": seq, "hash": previous})
            if rows:
                conn.execute(stafet_access_log.insert(), rows)

    def _head(self, conn: Connection) -> tuple[int, bytes]:
        """The highest number used so far (pruned ones count) and the hash to chain on."""
        last = conn.execute(sa.select(stafet_access_log.c.seq, stafet_access_log.c.hash)
                            .order_by(stafet_access_log.c.seq.desc()).limit(1)).first()
        if last is not None:
            return int(last[0]), bytes(last[1])
        anchor = conn.execute(sa.select(stafet_access_anchor.c.through_seq,
                                        stafet_access_anchor.c.head)
                              .order_by(stafet_access_anchor.c.id.desc()).limit(1)).first()
        return (int(anchor[0]), bytes(anchor[1])) if anchor is not None else (0, GENESIS)

    def head(self) -> AccessHead:
        with reading(self.engine) as conn:
            seq, hash_ = self._head(conn)
        return AccessHead(seq, hash_.hex())

    def entries(self, subject_ref: str | None = None) -> list[AccessEntry]:
        t = stafet_access_log
        query = sa.select(t).order_by(t.c.seq)
        if subject_ref:
            query = query.where(t.c.subject_id == self.subject_id(subject_ref))
        with reading(self.engine) as conn:
            return [AccessEntry(r.seq, r.at, r.actor, r.action, r.case_id, r.subject_id,
                                r.criterion, r.purpose, r.outcome) for r in conn.execute(query)]

    def verify(self, pruned_through: int = 0, expected: AccessHead | None = None,
               ) -> tuple[bool, int, str | None]:
        """(intact, entries, problem): recompute the chain; entries start right after the last
        prune the event log records (``pruned_through``), and a head kept in a digest
        (``expected``) must still be there, unchanged."""
        t = stafet_access_log
        with reading(self.engine) as conn:
            anchor = conn.execute(sa.select(stafet_access_anchor).order_by(
                stafet_access_anchor.c.id.desc()).limit(1)).mappings().first()
            anchored = int(anchor["through_seq"]) if anchor else 0
            if anchored != pruned_through:
                return False, 0, (f"the access log says entries up to {anchored} were pruned, "
                                  f"but the event log records prunes up to {pruned_through}")
            previous = bytes(anchor["head"]) if anchor else GENESIS
            expected_seq = anchored + 1
            count, seq = 0, anchored
            for r in conn.execute(sa.select(t).order_by(t.c.seq)).mappings():
                if r["seq"] != expected_seq:
                    return False, count, f"access-log entry {expected_seq} is missing"
                row = {k: r[k] for k in ("at", "actor", "action", "case_id", "subject_id",
                                         "criterion", "purpose", "outcome")}
                previous = _entry_hash(previous, row)
                if previous != bytes(r["hash"]):
                    return False, count, f"access-log entry {r['seq']} was changed"
                if expected is not None and r["seq"] == expected.seq \
                        and previous.hex() != expected.hash:
                    return False, count, (f"access-log entry {r['seq']} differs from the one "
                                          "the digest recorded")
                seq, expected_seq = r["seq"], r["seq"] + 1
                count += 1
        if expected is not None and seq < expected.seq:
            return False, count, (f"the access log ends at entry {seq}, but the digest recorded "
                                  f"entries up to {expected.seq}: the newest were removed")
        return True, count, None

    def prune(self, now: datetime, keep_days: int) -> Pruned | None:
        """Remove entries older than the retention period (None: nothing to remove)."""
        t = stafet_access_log
        cutoff = now - timedelta(days=keep_days)
        with self.engine.begin() as conn:
            self._lock(conn)
            last = conn.execute(sa.select(t.c.seq, t.c.hash).where(t.c.at < cutoff).order_by(
                t.c.seq.desc()).limit(1)).first()
            if last is None:
                return None
            removed = conn.execute(t.delete().where(t.c.seq <= last.seq)).rowcount
            conn.execute(stafet_access_anchor.insert().values(
                through_seq=last.seq, head=bytes(last.hash), pruned_at=now, removed=removed))
        return Pruned(removed, cutoff, int(last.seq), bytes(last.hash).hex())
