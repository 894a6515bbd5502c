"""One SQLite file, several writer processes (SPEC §12), and a process that opens the ledger
more than once (an application server, a test, a tool that opens a Ledger per request).

SQLite's locks are POSIX advisory locks, which belong to the process: closing *any* file
descriptor on the database file drops every lock the process holds on it, including those
of connections that are still open (https://www.sqlite.org/howtocorrupt.html, 2.2). Then
another process that closes its connection believes it was the last one, checkpoints and
removes the WAL, and the first process goes on with a stale view of the file: it does not
see writes acknowledged to others, and when it writes it can corrupt the file.

Found by the fuzz tests, whose pytest process keeps a Ledger open while `stafet` runs in
subprocesses on the same file: "database disk image is malformed".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stafet import Ledger
from stafet.storage.verify import verify

# Tier (tests/README.md): several processes share one SQLite file.
pytestmark = [pytest.mark.process, pytest.mark.slow]

STAFET = str(Path(sys.executable).parent / "stafet")


def _stafet(url: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([STAFET, "--db", url, "--as", "anne@jobcenter", *argv],
                          capture_output=True, text=True, timeout=120)


def _events_seen_by_a_fresh_process(url: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys\nfrom stafet import Ledger\nfrom stafet.storage.verify import verify\n"
         "with Ledger(sys.argv[1]) as l:\n    r = verify(l.store.recorder)\n"
         "    print(r.count if r.ok else -1)", url],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


def _writes_by_others_are_seen(url: str, second_ledger: bool) -> None:
    with Ledger(url) as ledger:
        case = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-1",
                                subject_kind="adult", title="Forløb").case_id
        if second_ledger:
            Ledger(url).close()  # e.g. one Ledger per request in an application server
        for n in range(1, 4):
            assert _stafet(url, "note", str(case), f"fra en anden proces {n}").returncode == 0
            assert len(ledger.history(case)) == 1 + n, (
                f"write {n}, acknowledged to another process, is not seen by this one")
        ledger.log_note(actor="anne@jobcenter", case_id=case, text="og herfra")
        assert verify(ledger.store.recorder).ok
    assert _events_seen_by_a_fresh_process(url) == 5


def test_two_processes_with_one_ledger_each_see_each_others_writes(workdir: Path) -> None:
    """The baseline: one Ledger in this process, `stafet` in others."""
    _writes_by_others_are_seen(f"sqlite:///{workdir / 'stafet.db'}", second_ledger=False)


def test_a_second_ledger_in_the_process_does_not_blind_the_first(workdir: Path) -> None:
    _writes_by_others_are_seen(f"sqlite:///{workdir / 'stafet.db'}", second_ledger=True)
