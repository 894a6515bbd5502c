"""Backups and restores that respect erasure, and the gap a restore leaves in the proof.

**Backup (SQLite)**: the SQLite online backup API (``sqlite3.Connection.backup``) copies the
whole file in one step under a read transaction, so the copy is one consistent moment of the
log while writers go on (in WAL mode they are not held up). **Backup (PostgreSQL)**:
``pg_dump --format=custom`` of the store's schema (one consistent snapshot, too).

**Restore** copies the backup to a temporary file beside the store, re-applies every
erasure in the erasure register (``stafet.storage.erasure_register``) made after the backup
was taken — deletes those citizens' keys, records the erasure events, drops their snapshots,
brings the read models up to date and scrubs the file — and only then moves it into place,
so no process ever opens a restored store that still holds an erased citizen's key.

**The gap.** Events stored after the backup are lost. A restore writes a *restore note* into
the folder of published checkpoints: a checkpoint of the restored log at the backup's size,
signed with the ledger's checkpoint key, with the line ``restored-from-backup``. ``verify
--checkpoints DIR`` then names the events lost (from the backup's size up to the size the
newest earlier checkpoint counted) instead of calling the log truncated, and keeps checking
everything else against every checkpoint that still applies.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import sqlalchemy as sa

from stafet.domain.errors import InvalidCommand
from stafet.storage import erasure_register
from stafet.storage.checkpoint import (
    PUBLIC_KEY_FILE,
    SUFFIX,
    Checkpoint,
    CheckpointRefused,
    Verifier,
    open_note,
    read_small,
    read_verifiers,
)
from stafet.storage.url import StorageConfig, parse_db_url

if TYPE_CHECKING:
    from stafet.ledger import Ledger

RESTORE_PREFIX = "restore-"
RESTORE_SUFFIX = ".note"
RESTORE_LINE = "restored-from-backup"
REAPPLIED_REASON = "erasure re-applied after a restore (erased {date}, register of erasures)"
OPERATIONS_DOC = "docs/operations.md"


# -- backup ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BackupMade:
    path: Path
    events: int  # the log's size in the backup
    bytes: int
    tool: str  # "sqlite-backup-api" | "pg_dump"


def backup(storage: StorageConfig, dest: Path) -> BackupMade:
    """A consistent copy of the store in ``dest`` (a new file; never overwritten)."""
    if dest.exists():
        raise InvalidCommand(f"{dest} exists already; a backup is written to a new file.")
    if not dest.parent.is_dir():
        raise InvalidCommand(f"the folder {dest.parent} does not exist; create it first.")
    if storage.backend == "postgres":
        return _pg_dump(storage, dest)
    if storage.sqlite_path is None:
        raise InvalidCommand("an in-memory store cannot be backed up; give --db a file.")
    source = Path(storage.sqlite_path)
    if not source.is_file():
        raise InvalidCommand(f"there is no store at {source} to back up.")
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # personal data: 0600
    os.close(fd)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        out = sqlite3.connect(partial)
        try:
            # pages=-1: the whole file in one step, under one read transaction: a consistent
            # moment of the log, however many writers append meanwhile.
            src.backup(out, pages=-1)
            events = _events_in(out)
        finally:
            out.close()
            src.close()
        os.replace(partial, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    return BackupMade(dest, events, dest.stat().st_size, "sqlite-backup-api")


def _events_in(db: sqlite3.Connection) -> int:
    try:
        row = db.execute("SELECT COALESCE(MAX(seq), 0) FROM stafet_chain").fetchone()
    except sqlite3.DatabaseError:
        return 0
    return int(row[0])


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise InvalidCommand(f"{name} is not installed on this machine; back up PostgreSQL "
                             f"as {OPERATIONS_DOC} describes (pg_dump or a base backup).")
    return found


def _pg_env(storage: StorageConfig) -> dict[str, str]:
    info = storage.pg_conninfo
    env = dict(os.environ)
    env.update(PGHOST=info["host"], PGPORT=info["port"], PGUSER=info["user"],
               PGDATABASE=info["dbname"])
    if info.get("password"):
        env["PGPASSWORD"] = info["password"]
    return env


def _pg_dump(storage: StorageConfig, dest: Path) -> BackupMade:
    """pg_dump of the schema in a snapshot this process exports and holds, so the size it
    reports is exactly the dump's, however many writers go on."""
    import psycopg

    tool = _pg_tool("pg_dump")
    partial = dest.with_name(f".{dest.name}.partial-{os.getpid()}")
    with psycopg.connect(storage.pg_dsn, connect_timeout=10) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
        row = conn.execute(f'SELECT COALESCE(MAX(seq), 0) FROM "{storage.pg_schema}".'
                           "stafet_chain").fetchone()
        done = subprocess.run(
            [tool, "--format=custom", "--no-owner", f"--schema={storage.pg_schema}",
             f"--snapshot={snapshot[0] if snapshot else ''}", f"--file={partial}"],
            env=_pg_env(storage), capture_output=True, text=True)
        conn.rollback()
    if done.returncode != 0:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise InvalidCommand(f"pg_dump failed: {first[:300]}")
    os.chmod(partial, 0o600)
    os.replace(partial, dest)
    return BackupMade(dest, int(row[0]) if row else 0, dest.stat().st_size, "pg_dump")


def _pg_connect(storage: StorageConfig) -> Any:
    import psycopg

    return psycopg.connect(storage.pg_dsn, autocommit=True, connect_timeout=10)


# -- restore --------------------------------------------------------------------------------


@dataclass
class Restored:
    events: int  # the log's size in the backup
    head: int = 0  # ... and after the erasures were re-applied
    reapplied: list[Erasure] = field(default_factory=list)
    cases_erased: int = 0
    note: Path | None = None  # the restore note written beside the checkpoints
    registers: list[Path] = field(default_factory=list)
    lost_through: int | None = None  # the newest earlier checkpoint's size, when larger


Erasure = erasure_register.Erasure


def restore(storage: StorageConfig, source: Path, *, actor: str, replace_store: bool,
            checkpoints: Path | None, key_file: str | None) -> Restored:
    """Put a backup in place of the store, with every later erasure re-applied first."""
    registers = erasure_register.register_paths(storage, checkpoints)
    try:
        erasures = erasure_register.read(registers)
    except erasure_register.RegisterUnreadable as unreadable:  # before anything changes
        raise InvalidCommand(f"{unreadable}; nothing was restored (mend the register: it says "
                             "whom the restore must erase again).") from None
    if not source.is_file():
        raise InvalidCommand(f"the backup {source} does not exist.")
    if storage.backend == "postgres":
        return _restore_pg(storage, source, actor=actor, replace_store=replace_store,
                           checkpoints=checkpoints, key_file=key_file, erasures=erasures,
                           registers=registers)
    if storage.sqlite_path is None:
        raise InvalidCommand("give --db the file to restore into (not an in-memory store).")
    target = Path(storage.sqlite_path)
    if target.exists() and not replace_store:
        raise InvalidCommand(f"{target} exists; stop every stafet process on it and give "
                             "--replace to put the backup in its place.")
    _check_sqlite_backup(source)
    staging = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    _remove_sqlite(staging)
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        out = sqlite3.connect(staging)
        try:
            src.backup(out, pages=-1)
        finally:
            out.close()
            src.close()
        os.chmod(staging, 0o600)
        restored = _reapply(parse_db_url(f"sqlite:///{staging}"), erasures, actor)
        restored.registers = registers
        _remove_sqlite(target, keep_main=True)
        os.replace(staging, target)
    finally:
        _remove_sqlite(staging)
    _note(storage, restored, checkpoints, key_file)
    return restored


def _check_sqlite_backup(source: Path) -> None:
    try:
        db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            db.execute("SELECT seq FROM stafet_chain LIMIT 1").fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError:
        raise InvalidCommand(f"{source} is not a backup of a stafet store (an SQLite file "
                             "made by stafet backup).") from None


def _remove_sqlite(path: Path, keep_main: bool = False) -> None:
    """An SQLite file's WAL and shared-memory files (and the file itself unless kept)."""
    for suffix in ("-wal", "-shm", "-journal", *(() if keep_main else ("",))):
        with contextlib.suppress(FileNotFoundError):
            Path(str(path) + suffix).unlink()


def _reapply(storage: StorageConfig, erasures: Sequence[Erasure], actor: str) -> Restored:
    """Re-apply on the restored store every erasure it does not hold yet (made after the
    backup: its position is beyond the backup's head), then scrub."""
    from stafet.ledger import Ledger
    from stafet.storage.engine import scrub

    with Ledger(storage.url, read_models=True) as ledger:
        restored = Restored(events=ledger.head())
        for erasure in erasures:
            if erasure.position <= restored.events:
                continue  # the backup was taken after it: the erasure is in it
            erased = reapply_erasure(ledger, erasure, actor)
            if erased:  # (a citizen whose cases all came after the backup has none here)
                restored.reapplied.append(erasure)
                restored.cases_erased += len(erased)
        ledger.read_models.catch_up()
        restored.head = ledger.head()
    scrub(storage)
    return restored


def reapply_erasure(ledger: Ledger, erasure: Erasure, actor: str) -> list[UUID]:
    """What ``stafet erase`` does, by the citizen's subject id (the register never holds the
    reference): delete the key, record the erasure on each of their cases in this store,
    drop the snapshots and rewrite the read models' rows."""
    from stafet.application.unit_of_work import UnitOfWork, decide_and_store
    from stafet.domain.commands import EraseCase
    from stafet.storage.keys import stafet_case_subjects, stafet_subject_keys

    store = ledger.store
    with store.sql.begin() as conn:
        conn.execute(stafet_subject_keys.update().where(
            stafet_subject_keys.c.subject_id == erasure.subject_id).values(
            key=None, erased_at=erasure.erased_at))
        conn.execute(stafet_case_subjects.update().where(
            stafet_case_subjects.c.subject_id == erasure.subject_id,
            stafet_case_subjects.c.erased_at.is_(None)).values(erased_at=erasure.erased_at))
        tied = [UUID(r[0]) for r in conn.execute(sa.select(stafet_case_subjects.c.case_id).where(
            stafet_case_subjects.c.subject_id == erasure.subject_id))]
    cases = [c for c in tied if store.recorder.select_events(c, limit=1)]
    for case_id in cases:
        store.forget(case_id)
        store.forget_key(case_id)
    reason = REAPPLIED_REASON.format(date=erasure.erased_at.strftime("%Y-%m-%d"))

    def record(work: UnitOfWork) -> None:
        for case_id in cases:
            if not store.case(case_id).personal_data_erased:
                work.decide(EraseCase(actor=actor, case_id=case_id, reason=reason))

    decide_and_store(ledger.unit_of_work, record,
                     gave_up="the restored store was changed by others during the restore")
    store.drop_snapshots(cases)
    ledger.read_models.refresh_cases(cases)
    return cases


def _restore_pg(storage: StorageConfig, source: Path, *, actor: str, replace_store: bool,
                checkpoints: Path | None, key_file: str | None, erasures: Sequence[Erasure],
                registers: list[Path]) -> Restored:
    """pg_restore of the schema (dropped first with --replace), then the erasures. Stop the
    service first: PostgreSQL has no file to move into place at the end (docs/operations.md)."""
    tool = _pg_tool("pg_restore")
    with _pg_connect(storage) as conn:
        exists = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                              (storage.pg_schema,)).fetchone()
        if exists and not replace_store:
            raise InvalidCommand(f"the schema {storage.pg_schema} exists; stop every stafet "
                                 "process on it and give --replace to put the backup in its "
                                 "place.")
        if exists:
            conn.execute(f'DROP SCHEMA "{storage.pg_schema}" CASCADE')
    done = subprocess.run([tool, "--no-owner", "--exit-on-error",
                           f"--dbname={storage.pg_conninfo['dbname']}", str(source)],
                          env=_pg_env(storage), capture_output=True, text=True)
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise InvalidCommand(f"pg_restore failed: {first[:300]}")
    try:
        restored = _reapply(storage, erasures, actor)
    except BaseException:
        # A restored schema that still holds an erased citizen's key must not stay for use.
        with _pg_connect(storage) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{storage.pg_schema}" CASCADE')
        raise
    restored.registers = registers
    _note(storage, restored, checkpoints, key_file)
    return restored


# -- the restore note and the gap -------------------------------------------------------------


@dataclass(frozen=True)
class RestoreStatement(Checkpoint):
    """A checkpoint of the restored log at the backup's size, marked as a restore."""

    def body(self, origin: str) -> str:
        return super().body(origin) + RESTORE_LINE + "\n"


def _note(storage: StorageConfig, restored: Restored, folder: Path | None,
          key_file: str | None) -> None:
    """Sign and keep the restore note in the folder of checkpoints (when there is one)."""
    folder = folder or (Path(os.environ[erasure_register.CHECKPOINTS_ENV])
                        if os.environ.get(erasure_register.CHECKPOINTS_ENV) else None)
    if folder is None or not folder.is_dir():
        return
    from stafet.application.integrity import _write_new, checkpoint_key
    from stafet.ledger import Ledger
    from stafet.storage.side_tables import current_pepper, pepper_fingerprint
    from stafet.storage.verify import verify

    try:
        key, _ = checkpoint_key(storage, key_file)
    except InvalidCommand as error:
        raise InvalidCommand(f"the store is restored and the erasures re-applied, but no restore "
                             f"note was kept in {folder}: {error.message}") from None
    published = folder / PUBLIC_KEY_FILE
    if published.exists() and key.verifier not in read_verifiers(published):
        # A restore to another path finds (or makes) another key beside it: a note signed by
        # that key would be refused by every later verify of this folder.
        raise InvalidCommand(
            f"the store is restored and the erasures re-applied, but no restore note was kept "
            f"in {folder}: the checkpoint key beside the restored store is not the ledger's key "
            f"that signed the checkpoints there; give the ledger's key with --checkpoint-key "
            f"FILE (the original store's ….checkpoint-key) and restore again with --replace, or "
            f"restore in place of the original store")
    with Ledger(storage.url, read_models=False) as ledger:
        report = verify(ledger.store.recorder)
        size, head = _prefix(ledger, restored.events)
        pepper = current_pepper(ledger.store.sql)
        access = ledger.access_log.head()
    if not report.ok:
        return  # the restored log is itself broken: verify says so; nothing is signed
    # Checkpoints are dated to the second: the note is dated the next whole second, and the
    # restore returns only once it has passed, so every checkpoint taken before the restore is
    # dated before the note and every one taken after it is not.
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    statement = RestoreStatement(size=size, root=head, taken_at=now, access=access,
                                 pepper=pepper_fingerprint(pepper) if pepper else None)
    signed = key.sign(statement)
    path = folder / f"{RESTORE_PREFIX}{now:%Y%m%dT%H%M%SZ}-{size}{RESTORE_SUFFIX}"
    try:
        _write_new(path, signed.note or "")
    except CheckpointRefused as refused:
        raise InvalidCommand(f"the store is restored, but the restore note was not kept: "
                             f"{refused}.") from None
    restored.note = path
    time.sleep(max(0.0, (now - datetime.now(UTC)).total_seconds()))
    with contextlib.suppress(CheckpointRefused):
        gaps = restore_gaps(folder, [key.verifier])
        if gaps:
            restored.lost_through = gaps[-1].lost_through


def _prefix(ledger: Ledger, last: int) -> tuple[int, bytes]:
    """How many events the log held up to position ``last``, and the chain's head there."""
    from stafet.storage.chain import GENESIS

    with ledger.store.sql.connect() as conn:
        count = int(conn.execute(sa.text("SELECT COUNT(*) FROM stafet_chain WHERE seq <= :s"),
                                 {"s": last}).scalar() or 0)
        value = conn.execute(sa.text("SELECT chain_hash FROM stafet_chain WHERE seq = :s"),
                             {"s": last}).scalar()
    return count, bytes(value) if value is not None else GENESIS


@dataclass(frozen=True)
class Gap:
    """Events lost by a restore: after ``backup_size`` through ``lost_through``."""

    restored_at: datetime
    backup_size: int
    lost_through: int
    note: str

    @property
    def lost(self) -> int:
        return self.lost_through - self.backup_size

    def sentence(self) -> str:
        return (f"the store was restored on {self.restored_at:%Y-%m-%d %H:%M} UTC from a backup "
                f"of {self.backup_size:,} events; the events at positions "
                f"{self.backup_size + 1:,}–{self.lost_through:,} ({self.lost:,}), counted by the "
                f"checkpoints taken before, were lost with it and are not in the log "
                f"({self.note})")

    def as_json(self) -> dict[str, Any]:
        return {"restored_at": self.restored_at, "backup_size": self.backup_size,
                "lost_from": self.backup_size + 1, "lost_through": self.lost_through,
                "lost": self.lost, "note": self.note}


def restore_notes(folder: Path, trusted: list[Verifier]) -> list[Checkpoint]:
    """The signed restore notes kept in a folder of checkpoints, oldest first. A file named
    as one that is not signed by a trusted key (or lacks the restore line) is refused."""
    notes = []
    for path in sorted(folder.glob(f"{RESTORE_PREFIX}*{RESTORE_SUFFIX}")):
        note = open_note(read_small(path), trusted, str(path))
        body = (note.note or "").split("\n\n", 1)[0].split("\n")
        if RESTORE_LINE not in body[3:] or note.taken_at is None:
            raise CheckpointRefused(f"{path} is not a restore note of this ledger (no "
                                    f"'{RESTORE_LINE}' line signed)")
        notes.append(note)
    return sorted(notes, key=lambda n: n.taken_at or datetime.min.replace(tzinfo=UTC))


def _superseded(checkpoint: Checkpoint, notes: Sequence[Checkpoint]) -> Checkpoint | None:
    """The restore that cut this checkpoint's events off, if one did."""
    for note in notes:
        assert note.taken_at is not None
        if checkpoint.size > note.size and checkpoint.taken_at is not None \
                and checkpoint.taken_at < note.taken_at:
            return note
    return None


def binding(folder: Path, trusted: list[Verifier], series: list[Checkpoint]) -> list[Checkpoint]:
    """The checkpoints the log must still agree with: the series without those whose events a
    restore cut off, plus each restore note (the restored log at the backup's size)."""
    notes = restore_notes(folder, trusted)
    if not notes:
        return series
    kept = [c for c in series if _superseded(c, notes) is None]
    return sorted([*kept, *notes], key=lambda c: (c.size, c.taken_at or datetime.min))


def restore_gaps(folder: Path, trusted: list[Verifier]) -> list[Gap]:
    """For each restore, the events lost: from its backup's size to the largest size counted
    by a checkpoint taken before it."""
    from stafet.storage.checkpoint import read_checkpoint

    notes = restore_notes(folder, trusted)
    if not notes:
        return []
    series = [read_checkpoint(p, trusted) for p in sorted(folder.glob("*" + SUFFIX))]
    gaps = []
    for note in notes:
        cut = [c.size for c in series if _superseded(c, [note]) is note]
        if cut and note.taken_at is not None:
            gaps.append(Gap(note.taken_at, note.size, max(cut), Path(note.source).name))
    return gaps


def checkpoint_path(folder: Path, size: int, trusted: list[Verifier]) -> Path:
    """Where a new checkpoint at ``size`` is kept: ``<size>.checkpoint``, unless a restore cut
    off the one of that name (it is never overwritten): then ``<size>.after-restore-N``."""
    from stafet.storage.checkpoint import read_checkpoint

    path = folder / f"{size}{SUFFIX}"
    notes = None
    number = 0
    while path.exists():
        notes = notes if notes is not None else restore_notes(folder, trusted)
        try:
            existing = read_checkpoint(path, trusted)
        except CheckpointRefused:
            return path  # the caller reports it
        if _superseded(existing, notes) is None:
            return path
        number += 1
        path = folder / f"{size}.after-restore-{number}{SUFFIX}"
    return path


