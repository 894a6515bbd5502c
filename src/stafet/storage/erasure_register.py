"""The erasure register: which citizens were erased, kept OUTSIDE the database.

A backup taken before an erasure still holds the citizen's key. So every erasure is also
written here, to files a restore of the database does not bring back, and ``stafet restore``
re-applies each one made after the backup before the restored store is used
(``stafet.storage.backup``).

One JSON line per erasure, no personal data: the citizen's pseudonymous subject id (the keyed
hash stored in ``stafet_case_subjects`` and ``stafet_subject_keys``, never the reference),
the ids of their cases (random UUIDs), the log position after the erasure was recorded and
its time::

    {"format": "stafet-erasure-v1", "subject_id": "9f2c...", "cases": ["3fa85f64-..."],
     "position": 1234, "erased_at": "2026-11-30T02:00:00Z"}

Where: ``erasure-register.jsonl`` in the folder of published checkpoints
(``STAFET_CHECKPOINTS``), and for the embedded store also beside its SQLite file
(``stafet.db.erasure-register``). Appending is one ``write`` of a whole line, fsynced.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from stafet.storage.url import StorageConfig

FORMAT = "stafet-erasure-v1"
REGISTER_FILE = "erasure-register.jsonl"  # in the folder of published checkpoints
BESIDE_SUFFIX = ".erasure-register"  # beside the SQLite file: stafet.db.erasure-register
CHECKPOINTS_ENV = "STAFET_CHECKPOINTS"
_HEX64 = re.compile(r"[0-9a-f]{64}")
log = logging.getLogger("stafet")


class RegisterUnreadable(Exception):
    """A register file that is not one; the message is one sentence."""


@dataclass(frozen=True)
class Erasure:
    subject_id: str  # the keyed hash standing for the citizen
    cases: tuple[UUID, ...]
    position: int  # the log's head after the erasure was recorded
    erased_at: datetime

    def line(self) -> str:
        return json.dumps({
            "format": FORMAT, "subject_id": self.subject_id,
            "cases": [str(c) for c in self.cases], "position": self.position,
            "erased_at": self.erased_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            separators=(",", ":")) + "\n"

    @classmethod
    def parse(cls, text: str, where: str) -> Erasure:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT or not _HEX64.fullmatch(str(data["subject_id"])):
                raise ValueError("not an erasure")
            return cls(str(data["subject_id"]), tuple(UUID(c) for c in data["cases"]),
                       int(data["position"]),
                       datetime.strptime(data["erased_at"], "%Y-%m-%dT%H:%M:%SZ").replace(
                           tzinfo=UTC))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RegisterUnreadable(f"{where} is not an erasure register line "
                                     f"({FORMAT})") from None


def register_paths(storage: StorageConfig, folder: Path | str | None = None) -> list[Path]:
    """Where the register is kept for this store: in the checkpoints' folder (given, else
    ``STAFET_CHECKPOINTS``) and beside the SQLite file."""
    paths = []
    folder = folder or os.environ.get(CHECKPOINTS_ENV)
    if folder:
        paths.append(Path(folder).expanduser() / REGISTER_FILE)
    if (copy := storage.beside(BESIDE_SUFFIX)) is not None:
        paths.append(copy)
    return paths


def append(paths: Sequence[Path], erasure: Erasure) -> list[Path]:
    """Add the erasure to every register; returns those written. A register that cannot be
    written is a warning (the erasure itself is done), never a failure."""
    written = []
    data = erasure.line().encode("utf-8")
    for path in paths:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            written.append(path)
        except OSError as error:
            log.warning("the erasure could not be added to the erasure register %s (%s); "
                        "add it before any restore: a restore would bring the key back",
                        path, error.strerror)
    if not paths:
        log.warning("no erasure register is kept for this store (set STAFET_CHECKPOINTS to the "
                    "folder of published checkpoints): a restore of an older backup would bring "
                    "the erased key back (docs/operations.md)")
    return written


def read(paths: Iterable[Path]) -> list[Erasure]:
    """Every erasure in the registers that exist (each once), oldest first."""
    found: dict[tuple[str, int], Erasure] = {}
    for path in paths:
        if not path.exists():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RegisterUnreadable(f"the erasure register {path} cannot be read "
                                     f"({getattr(error, 'strerror', None) or 'not text'})") from None
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                erasure = Erasure.parse(line, f"line {number} of {path}")
                found[(erasure.subject_id, erasure.position)] = erasure
    return sorted(found.values(), key=lambda e: (e.position, e.erased_at))


def record(storage: StorageConfig, subject_id: str, cases: Sequence[UUID], position: int,
           at: datetime) -> list[Path]:
    """Called at the end of an erasure (``stafet.application.erasure.erase_subject``)."""
    return append(register_paths(storage), Erasure(subject_id, tuple(cases), position, at))
