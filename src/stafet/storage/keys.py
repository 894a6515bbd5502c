"""One key per citizen (subject), kept in a table of its own. Personal fields are encrypted
with it before they are stored (and hashed); deleting the key erases them everywhere at once
while every hash in the chain stays valid (crypto-shredding).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection, Engine

from stafet.storage.engine import UTCDateTime, reading

ERASED = "[erased]"

keys_metadata = sa.MetaData()

stafet_secrets = sa.Table(
    "stafet_secrets", keys_metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.LargeBinary, nullable=False),
)
stafet_subject_keys = sa.Table(
    "stafet_subject_keys", keys_metadata,
    sa.Column("subject_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.LargeBinary),  # NULL once erased
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("erased_at", UTCDateTime),
)
stafet_case_subjects = sa.Table(
    "stafet_case_subjects", keys_metadata,
    sa.Column("case_id", sa.String(36), primary_key=True),
    sa.Column("subject_id", sa.String(64), nullable=False, index=True),
    # Set when the citizen was erased: this case stays unreadable even if the citizen later
    # gets a new key for a new course.
    sa.Column("erased_at", UTCDateTime),
)


# The erasure epoch: a counter moved in the same transaction as every key deletion. A process
# that sees it move forgets every key it remembers, so a long-lived projection runner never
# opens an erased citizen's events with a key read before the erasure.
stafet_erasures = sa.Table(
    "stafet_erasures", keys_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("epoch", sa.BigInteger, nullable=False),
)
ERASING_TOPIC = "PersonalDataErased"  # what the erasure itself records, after the key is gone


def cases_to_check(stored_events: Sequence[Any]) -> list[str]:
    """The cases whose citizen's key must still exist for these events to be stored: every
    case in the batch but those the batch records an erasure on."""
    erasing = {str(s.originator_id) for s in stored_events if s.topic == ERASING_TOPIC}
    return sorted({str(s.originator_id) for s in stored_events} - erasing)


def _add_missing_columns(conn: Connection) -> None:
    """Stores made by an earlier stafet lack columns added since; add them (all nullable)."""
    for table in keys_metadata.sorted_tables:
        have = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                kind = column.type.compile(dialect=conn.dialect)
                conn.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}')


class KeyStore:
    def __init__(self, engine: Engine, lock_key: int) -> None:
        self.engine = engine
        self.lock_key = lock_key
        self._keys: dict[UUID, bytes | None] = {}
        self._lock = threading.Lock()
        with self.engine.begin() as conn:
            self._advisory_lock(conn)
            keys_metadata.create_all(conn)
            _add_missing_columns(conn)
            pepper = conn.execute(sa.select(stafet_secrets.c.value).where(
                stafet_secrets.c.name == "subject_pepper")).scalar()
            if pepper is None:
                pepper = secrets.token_bytes(32)
                conn.execute(stafet_secrets.insert().values(name="subject_pepper", value=pepper))
        self._pepper = bytes(pepper)
        self._epoch_seen = self._erasure_epoch()

    def _erasure_epoch(self) -> int:
        if isinstance(self.engine.pool, sa.pool.SingletonThreadPool):
            # An in-memory store: one connection, perhaps inside the caller's transaction, and
            # no other process; this KeyStore's own ``erase`` forgets the keys it erases.
            return self._epoch_seen if hasattr(self, "_epoch_seen") else 0
        with reading(self.engine) as conn:
            return int(conn.execute(sa.select(stafet_erasures.c.epoch)).scalar() or 0)

    def forget_if_erased(self) -> bool:
        """Forget every key this process remembers if a citizen was erased since it last
        looked (by any process); True then. Called under a projection runner's lock, before
        it reads the log, so its batch opens no event with a deleted key."""
        epoch = self._erasure_epoch()
        if epoch == self._epoch_seen:
            return False
        with self._lock:
            self._keys.clear()
            self._epoch_seen = epoch
        _aead.cache_clear()
        return True

    def _advisory_lock(self, conn: Connection) -> None:
        if self.engine.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": self.lock_key})

    def subject_id(self, subject_ref: str) -> str:
        """A keyed hash standing for the citizen: the same reference always gives the same id,
        but the id does not give the reference back."""
        return hmac.new(self._pepper, subject_ref.encode("utf-8"), hashlib.sha256).hexdigest()

    def open_case(self, case_id: UUID, subject_ref: str, at: datetime) -> bytes:
        """The citizen's key (made on their first case), tied to this case."""
        subject_id = self.subject_id(subject_ref)
        with self.engine.begin() as conn:
            self._advisory_lock(conn)
            row = conn.execute(sa.select(stafet_subject_keys).where(
                stafet_subject_keys.c.subject_id == subject_id)).mappings().first()
            if row is None:
                key = AESGCM.generate_key(bit_length=256)
                conn.execute(stafet_subject_keys.insert().values(
                    subject_id=subject_id, key=key, created_at=at))
            elif row["key"] is None:
                # The citizen was erased; a new course starts with a new key.
                key = AESGCM.generate_key(bit_length=256)
                conn.execute(stafet_subject_keys.update().where(
                    stafet_subject_keys.c.subject_id == subject_id).values(
                    key=key, erased_at=None))
            else:
                key = bytes(row["key"])
            exists = conn.execute(sa.select(stafet_case_subjects.c.case_id).where(
                stafet_case_subjects.c.case_id == str(case_id))).first()
            if exists is None:
                conn.execute(stafet_case_subjects.insert().values(
                    case_id=str(case_id), subject_id=subject_id))
        with self._lock:
            self._keys[case_id] = key
        return key

    def key_for_case(self, case_id: UUID) -> bytes | None:
        """The key of the case's citizen, or None when it was erased."""
        with self._lock:
            if case_id in self._keys:
                return self._keys[case_id]
        with reading(self.engine) as conn:
            row = conn.execute(
                sa.select(stafet_subject_keys.c.key, stafet_case_subjects.c.erased_at)
                .join(stafet_case_subjects,
                      stafet_case_subjects.c.subject_id == stafet_subject_keys.c.subject_id)
                .where(stafet_case_subjects.c.case_id == str(case_id))
            ).first()
        key = bytes(row[0]) if row is not None and row[0] is not None and row[1] is None else None
        with self._lock:
            self._keys[case_id] = key
        return key

    def forget(self, case_id: UUID) -> None:
        """Look the case's key up afresh next time (its citizen is being erased)."""
        with self._lock:
            self._keys.pop(case_id, None)
        _aead.cache_clear()

    def subject_ids_of(self, case_ids: list[str]) -> dict[str, str]:
        """The (keyed-hash) subject id of each case, for the access log."""
        found: dict[str, str] = {}
        t = stafet_case_subjects
        with reading(self.engine) as conn:
            for start in range(0, len(case_ids), 500):
                chunk = case_ids[start:start + 500]
                found.update((r[0], r[1]) for r in conn.execute(
                    sa.select(t.c.case_id, t.c.subject_id).where(t.c.case_id.in_(chunk))))
        return found

    def cases_of(self, subject_ref: str) -> list[UUID]:
        with reading(self.engine) as conn:
            return [UUID(r[0]) for r in conn.execute(
                sa.select(stafet_case_subjects.c.case_id).where(
                    stafet_case_subjects.c.subject_id == self.subject_id(subject_ref)))]

    def erase(self, subject_ref: str, clock: Callable[[], datetime]) -> list[UUID]:
        """Delete the citizen's key; returns their cases.

        Writers check, inside the transaction that stores their events, that the key still
        exists (``refuse_erased_keys`` in stafet.storage.recorders): on SQLite the write lock,
        on PostgreSQL the key row's lock (FOR UPDATE here, FOR SHARE there), orders every
        write either wholly before the deletion or after it, refused. The time of the deletion
        is read once the lock is held, so every event stored is recorded before it."""
        subject_id = self.subject_id(subject_ref)
        with self.engine.begin() as conn:
            self._advisory_lock(conn)
            key_row = sa.select(stafet_subject_keys.c.subject_id).where(
                stafet_subject_keys.c.subject_id == subject_id)
            if self.engine.dialect.name == "postgresql":
                conn.execute(key_row.with_for_update())
            erased_at = clock()
            conn.execute(stafet_subject_keys.update().where(
                stafet_subject_keys.c.subject_id == subject_id).values(
                key=None, erased_at=erased_at))
            conn.execute(stafet_case_subjects.update().where(
                stafet_case_subjects.c.subject_id == subject_id).values(erased_at=erased_at))
            if not conn.execute(stafet_erasures.update().values(
                    epoch=stafet_erasures.c.epoch + 1)).rowcount:
                conn.execute(stafet_erasures.insert().values(id=1, epoch=1))
        cases = self.cases_of(subject_ref)
        with self._lock:
            for case_id in cases:
                self._keys[case_id] = None
        _aead.cache_clear()
        return cases


@functools.lru_cache(maxsize=256)
def _aead(key: bytes) -> AESGCM:
    """One cipher object a key (making one costs more than a field's decryption); the cache is
    emptied whenever a key is erased or forgotten."""
    return AESGCM(key)


def _nonce_and_box(key: bytes, case_id: UUID, value: Any) -> str:
    return _box_bytes(key, case_id, json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _box_bytes(key: bytes, case_id: UUID, plaintext: bytes) -> str:
    nonce = secrets.token_bytes(12)
    sealed = _aead(key).encrypt(nonce, plaintext, case_id.bytes)
    return base64.b64encode(nonce + sealed).decode("ascii")


def _open_box(key: bytes, case_id: UUID, box: str) -> Any:
    return json.loads(open_bytes(key, case_id, box))


def open_bytes(key: bytes, case_id: UUID, box: str) -> bytes:
    """The plaintext of one sealed value (JSON text)."""
    raw = base64.b64decode(box)
    return _aead(key).decrypt(raw[:12], raw[12:], case_id.bytes)


def seal_bytes(plaintext: bytes, kind: str, key: bytes, case_id: UUID) -> dict[str, str]:
    """A value already written as JSON text, sealed as ``seal`` seals one."""
    return {"$sealed": _box_bytes(key, case_id, plaintext), "kind": kind}


def _walk(data: Any, path: list[str], change: Any) -> None:
    """Apply ``change(value) -> value`` to every value at a dotted path (``[]``: each item)."""
    if data is None:
        return
    head, rest = path[0], path[1:]
    if head.endswith("[]"):
        items = data.get(head[:-2]) or []
        for item in items:
            _walk(item, rest, change)
        return
    if not rest:
        if head in data and data[head] is not None:
            data[head] = change(data[head])
        return
    _walk(data.get(head), rest, change)


def seal(data: dict[str, Any], paths: tuple[str, ...], key: bytes, case_id: UUID) -> None:
    def close_one(value: Any) -> dict[str, str]:
        kind = "list" if isinstance(value, list) else "dict" if isinstance(value, dict) else "str"
        return {"$sealed": _nonce_and_box(key, case_id, value), "kind": kind}

    for path in paths:
        _walk(data, path.split("."), close_one)


class KeyErased(Exception):
    """The citizen's key was deleted (an erasure): nothing more can be sealed with it."""


class ErasedSnapshot(Exception):
    """A snapshot of an erased citizen's case: unreadable, and due to be deleted."""


def unseal(data: dict[str, Any], paths: tuple[str, ...], key: bytes | None,
           case_id: UUID) -> None:
    def open_one(value: Any) -> Any:
        if not (isinstance(value, dict) and "$sealed" in value):
            return value
        if key is None:
            if value.get("kind") == "dict":
                raise ErasedSnapshot(str(case_id))
            return [ERASED] if value.get("kind") == "list" else ERASED
        return _open_box(key, case_id, value["$sealed"])

    for path in paths:
        _walk(data, path.split("."), open_one)
