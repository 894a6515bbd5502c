"""The log's integrity: verify the event log, the access log, the snapshots and the tables beside
the log; take and publish signed checkpoints; prune the access log (and record who pruned it,
how far and why, in the event log)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stafet.domain.administration import RecordPrune
from stafet.domain.errors import InvalidCommand
from stafet.storage.access import AccessHead, Pruned
from stafet.storage.checkpoint import (
    DEFAULT_KEY_SUFFIX,
    PUBLIC_KEY_FILE,
    Checkpoint,
    CheckpointKey,
    CheckpointRefused,
    read_checkpoint,
    read_series,
    read_verifiers,
)
from stafet.storage.side_tables import (
    LogFacts,
    SideCheck,
    check_side_tables,
    current_pepper,
    pepper_fingerprint,
)
from stafet.storage.snapshots import SnapshotCheck, check_snapshots
from stafet.storage.verify import Digest, Report, expectations, verify

if TYPE_CHECKING:
    from stafet.ledger import Ledger
    from stafet.storage.url import StorageConfig


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found in the event log, the access log, the snapshots and the tables
    beside the log, checked against the checkpoints kept elsewhere (``checkpoints``)."""

    events: Report
    access_ok: bool
    access_entries: int
    access_problem: str | None
    snapshots: SnapshotCheck
    side: SideCheck
    checkpoints: tuple[Checkpoint, ...] = ()

    @property
    def ok(self) -> bool:
        return self.events.ok and self.access_ok and self.snapshots.ok and self.side.ok

    def as_json(self) -> dict[str, Any]:
        newest = self.checkpoints[-1] if self.checkpoints else None
        # "ok" is the event log's, as it always was; "intact": every part (the exit code's).
        return {**self.events.as_json(), "intact": self.ok,
                "access_log": {"ok": self.access_ok, "entries": self.access_entries,
                               "problem": self.access_problem},
                "snapshots": self.snapshots.as_json(), "side_tables": self.side.as_json(),
                "checkpoints": {"checked": len(self.checkpoints),
                                "newest": {"size": newest.size, "head": newest.head,
                                           "taken_at": newest.taken_at} if newest else None}}


def verify_ledger(ledger: Ledger, expected: Digest | Checkpoint | Sequence[Checkpoint] | None = None,
                  progress: Callable[[int], None] | None = None) -> Verification:
    kept = expectations(expected)
    facts = LogFacts()
    events = verify(ledger.store.recorder, kept, progress, facts.observe)
    heads = [c.access for c in kept if c.access is not None]
    newest: AccessHead | None = max(heads, key=lambda h: h.seq) if heads else None
    ok, entries, problem = ledger.access_log.verify(ledger.store.roles().pruned_through, newest)
    snapshots = check_snapshots(ledger.store, facts.positions)
    side = check_side_tables(ledger.store.sql, facts, kept)
    return Verification(events, ok, entries, problem, snapshots, side, tuple(kept))


def take_digest(ledger: Ledger) -> tuple[Report, Checkpoint | None]:
    """What a checkpoint of the log as it stands states (None when the log does not verify);
    unsigned (``CheckpointKey.sign`` signs it)."""
    return _statement(ledger, verify(ledger.store.recorder))


def _statement(ledger: Ledger, report: Report, access: AccessHead | None = None,
               ) -> tuple[Report, Checkpoint | None]:
    access = access or ledger.access_log.head()
    if not report.ok:
        return report, None
    pepper = current_pepper(ledger.store.sql)
    return report, Checkpoint(size=report.count, root=bytes.fromhex(report.head),
                              taken_at=ledger.clock(), access=access,
                              pepper=pepper_fingerprint(pepper) if pepper else None)


# -- the checkpoint key -------------------------------------------------------------------------


def key_path(storage: StorageConfig, key_file: str | Path | None) -> Path | None:
    """The key given, else the embedded store's beside its SQLite file (None: neither)."""
    return Path(key_file).expanduser() if key_file else storage.beside(DEFAULT_KEY_SUFFIX)


def checkpoint_key(storage: StorageConfig, key_file: str | Path | None = None, *,
                   create: bool = False) -> tuple[CheckpointKey, bool]:
    """The ledger's checkpoint key and whether it was made just now: made when missing if
    ``create`` (``stafet init``), or when it is the embedded store's default one."""
    path = key_path(storage, key_file)
    if path is None:
        raise InvalidCommand("no checkpoint key: give --checkpoint-key FILE or set "
                             "STAFET_CHECKPOINT_KEY (stafet init --checkpoint-key FILE makes one).")
    try:
        if (create or not key_file) and not path.exists():
            return CheckpointKey.generate(path), True
        return CheckpointKey.load(path), False
    except CheckpointRefused as refused:
        raise InvalidCommand(f"{refused}.") from None


@dataclass(frozen=True)
class Published:
    """A checkpoint taken (and, with a folder, kept there)."""

    report: Report  # the log, checked against the folder's checkpoints
    checkpoint: Checkpoint | None  # None: the log did not verify, nothing was signed
    path: Path | None = None  # where it is kept
    new: bool = True  # False: that checkpoint was kept there already
    kept: int = 0  # checkpoints in the folder now
    key_created: Path | None = None


def take_checkpoint(ledger: Ledger, key: CheckpointKey, folder: Path | None = None,
                    ) -> Published:
    """Sign a checkpoint of the log; with a folder, first check the log against every
    checkpoint kept there, then keep the new one beside them (``<size>.checkpoint``) with the
    public key (``checkpoint-key.pub``)."""
    if folder is None:
        report, statement = take_digest(ledger)
        return Published(report, key.sign(statement) if statement else None)
    try:
        trusted, series = _series_for(folder, key)
    except CheckpointRefused as refused:
        raise InvalidCommand(f"{refused}.") from None
    access = ledger.access_log.head()
    report = verify(ledger.store.recorder, series)
    report, statement = _statement(ledger, report, access)
    if statement is None:
        return Published(report, None, kept=len(series))
    signed = key.sign(statement)
    from stafet.storage.backup import checkpoint_path  # a size a restore cut off: a new name

    path = checkpoint_path(folder, signed.size, trusted)
    if path.exists():
        try:
            return Published(report, read_checkpoint(path, trusted), path, False, len(series))
        except CheckpointRefused as refused:
            raise InvalidCommand(f"{refused}.") from None
    try:
        _write_new(path, signed.note or "")
    except CheckpointRefused as refused:
        raise InvalidCommand(f"{refused}.") from None
    return Published(report, signed, path, True, len(series) + 1)


def _series_for(folder: Path, key: CheckpointKey) -> tuple[list[Any], list[Checkpoint]]:
    """The folder's checkpoints, checked against its published key, which must be ours (the
    folder is made, and the key published, on first use)."""
    try:
        folder.mkdir(exist_ok=True)
    except OSError as error:
        raise CheckpointRefused(f"the folder {folder} cannot be made ({error.strerror})") from None
    published = folder / PUBLIC_KEY_FILE
    if not published.exists():
        _write_new(published, f"{key.verifier.vkey()}\n")
    trusted = read_verifiers(published)
    if key.verifier not in trusted:
        raise CheckpointRefused(f"{folder} keeps the checkpoints of another key ({published} "
                                "does not list this ledger's key); publish to another folder, "
                                "or add the key's line to it if the key was replaced")
    return read_series(folder, trusted)


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet, whole or not at all."""
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".stafet-")
    except OSError as error:
        raise CheckpointRefused(f"{path.parent} cannot be written ({error.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.link(temporary, path)  # fails if the file appeared meanwhile: never overwritten
    except FileExistsError:
        raise CheckpointRefused(f"{path} was written by someone else meanwhile") from None
    except OSError as error:
        raise CheckpointRefused(f"{path} cannot be written ({error.strerror})") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def prune_access_log(ledger: Ledger, actor: str, keep_days: int, reason: str) -> Pruned | None:
    """Remove entries older than ``keep_days`` and record the prune in the event log.

    The entries go first: if recording fails, ``verify`` reports the prune the event log does
    not know of, and pruning again (nothing more to remove) does not hide it."""
    pruned = ledger.access_log.prune(ledger.clock(), keep_days)
    if pruned is not None:
        ledger.execute(RecordPrune(actor=actor, through_seq=pruned.through_seq,
                                   head=pruned.head, removed=pruned.removed,
                                   keep_days=keep_days, reason=reason))
    return pruned
