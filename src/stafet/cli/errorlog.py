"""The details of an unexpected error (exit 70), written where only the user who ran stafet
reads them, without the personal data a database error may quote.

Where: ``--error-log FILE`` (or ``STAFET_ERROR_LOG``); else ``stafet-error.log`` beside the
SQLite file; else (PostgreSQL) ``$XDG_STATE_HOME/stafet/`` or ``~/.local/state/stafet/``.
How: appended, one entry a crash; created 0600; never through a symbolic link, and never into a
file that is not a plain file of this user's. What: the traceback (exception types and code
locations) with the values a driver or validator quotes cut out: SQLAlchemy's
``[parameters: ...]``, PostgreSQL's ``DETAIL:`` line, pydantic's ``input_value=...``.
A log that cannot be written changes nothing but the sentence: the exit code stays 70.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
import traceback
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from stafet.domain.errors import cut

FILE_NAME = "stafet-error.log"

_REDACTIONS = (
    # SQLAlchemy: "[parameters: ('anne@jobcenter', 'opfølgning', ...)]" (or cut short)
    (re.compile(r"\[parameters: .*?(\]?)$"), r"[parameters: (removed)\1"),
    # PostgreSQL: "DETAIL:  Key (command_id)=(k-1) already exists."
    (re.compile(r"\b(DETAIL|HINT|WHERE|CONTEXT):.*"), r"\1: (removed)"),
    # pydantic: "[type=..., input_value='louise.holm@jobcenter', input_type=str]"
    (re.compile(r"input_value=.*?(, input_type=|$)"), r"input_value=(removed)\1"),
)


def redact(text: str) -> str:
    """The traceback without the values the errors quote (their types and places stay)."""
    lines = []
    for line in text.splitlines():
        for pattern, replacement in _REDACTIONS:
            line = pattern.sub(replacement, line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def log_path(configured: str | None, sqlite_path: str | None) -> Path:
    """Where the details go (see the module's docstring)."""
    if configured:
        return Path(configured).expanduser()
    if sqlite_path:
        return Path(sqlite_path).parent / FILE_NAME
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "stafet" / FILE_NAME


def record(error: BaseException, path: Path) -> str:
    """Append the details of ``error`` to ``path``; the one line to show the user."""
    entry = _entry(error)
    try:
        _append_privately(path, entry)
    except OSError as why:
        reason = ("it is a symbolic link, which is not followed" if why.errno == errno.ELOOP
                  else why.strerror or str(why))
        return (f"Unexpected error ({type(error).__name__}); the details could not be written "
                f"({cut(path, 120)}: {reason}).")
    return f"Unexpected error; the details are in {path}"


def _entry(error: BaseException) -> str:
    try:
        release = version("stafet")
    except PackageNotFoundError:
        release = "?"
    when = datetime.now(UTC).isoformat(timespec="seconds")
    details = "".join(traceback.format_exception(error))
    return (f"---- {when} stafet {release}, Python {sys.version.split()[0]}, pid {os.getpid()}\n"
            + redact(details))


def _append_privately(path: Path, text: str) -> None:
    """Append to a plain file of this user's, readable by them alone: created 0600, never
    through a symbolic link (O_NOFOLLOW), never a FIFO or device (O_NONBLOCK, then checked),
    never a file another user owns or has linked elsewhere."""
    if path.parent != Path(path.anchor) and not path.parent.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    flags = (os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_NONBLOCK
             | getattr(os, "O_CLOEXEC", 0))
    fd = os.open(path, flags, 0o600)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(0, "not a plain file")
        if info.st_uid != os.geteuid():
            raise OSError(0, "the file belongs to another user")
        if info.st_nlink != 1:
            raise OSError(0, "the file has other names (hard links)")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(fd, 0o600)  # an older stafet's log, readable by others: no more
        data = memoryview(text.encode("utf-8", "backslashreplace"))
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)
