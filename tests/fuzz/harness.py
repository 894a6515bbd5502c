"""What the fuzz tests share: running ``stafet`` (in-process or as a subprocess), judging how it
ended, counting and verifying the stored log, and a case with something of every kind in it.

In-process runs go through ``stafet.cli.main`` itself (inside click's CliRunner isolation), so
the exit codes are exactly those of the installed command: 0 done, 1 refused, 2 usage or
input error, 70 "Unexpected error" (a crash, which the tests never accept).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from click.testing import CliRunner

import stafet.cli
from stafet import Ledger
from stafet.storage.verify import verify

STAFET = str(Path(sys.executable).parent / "stafet")
HOLDER = "anne@jobcenter"
SOCIAL = "bo@socialcenter"
ADDICTION = "carl@misbrugscenter"
VOLUNTEER = "dorte@frivilligcenter"
CITIZEN = "borger@hjemme"
READER = ["--as", HOLDER, "--purpose", "fuzz-test"]
# The ledger's roles (docs/authorisation.md), set up by ``with_roles``.
ADMIN = "it@kommunen"
AUDITOR = "revisor@kommunen"
DPO = "dpo@kommunen"


@dataclass
class Outcome:
    argv: list[str]
    code: int
    stdout: str
    stderr: str
    seconds: float

    def __str__(self) -> str:
        shown = [a if len(a) < 120 else f"{a[:60]}…({len(a)} chars)" for a in self.argv]
        return (f"stafet {shown} -> exit {self.code} in {self.seconds:.2f} s\n"
                f"stdout: {self.stdout[-1500:]}\nstderr: {self.stderr[-3000:]}")


def stafet_in_process(argv: list[str], stdin: str | bytes | None = None,
                      env: dict[str, str | None] | None = None) -> Outcome:
    """``stafet ARGV`` through the console script's own ``main``, in this process."""
    runner = CliRunner()
    started = time.perf_counter()
    with runner.isolation(input=stdin, env={"STAFET_DB": None, "STAFET_ACTOR": None,
                                            "STAFET_PURPOSE": None, **(env or {})}) as streams:
        out, err = streams[0], streams[1]
        saved = sys.argv
        sys.argv = ["stafet", *argv]
        code = 0
        try:
            stafet.cli.main()
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        finally:
            sys.argv = saved
            sys.stdout.flush()
            sys.stderr.flush()
        return Outcome(argv, code, out.getvalue().decode("utf-8", "replace"),
                       err.getvalue().decode("utf-8", "replace"), time.perf_counter() - started)


def stafet_subprocess(argv: list[str | bytes], stdin: bytes | None = None,
                      cwd: Path | None = None) -> Outcome:
    """The installed console script, as a user runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFET_")}
    started = time.perf_counter()
    done = subprocess.run([STAFET, *argv], input=stdin, capture_output=True, timeout=120,
                          env=env, cwd=cwd)
    return Outcome([a if isinstance(a, str) else repr(a) for a in argv], done.returncode,
                   done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace"),
                   time.perf_counter() - started)


def assert_no_crash(outcome: Outcome) -> None:
    """Exit 0, 1 or 2 (or 75, the database unreachable just now); no traceback anywhere; a
    refusal or input error (other than click's usage message) is one line on stderr."""
    assert outcome.code in (0, 1, 2, 75), str(outcome)
    assert "Traceback" not in outcome.stderr and "Traceback" not in outcome.stdout, str(outcome)
    assert "Unexpected error" not in outcome.stderr, str(outcome)
    if outcome.code != 0:
        lines = outcome.stderr.strip().splitlines()
        assert lines, f"exit {outcome.code} with nothing on stderr: {outcome}"
        if not outcome.stderr.startswith("Usage:"):
            assert len(lines) == 1, str(outcome)
            assert lines[0].startswith(("Error: ", "Refused: ")), str(outcome)


def log_state(ledger: Ledger) -> tuple[int, str]:
    """(events stored, the chain's head), after checking the whole chain."""
    report = verify(ledger.store.recorder)
    assert report.ok, report.problem
    return report.count, report.head


def with_roles(ledger: Ledger) -> None:
    """The administrator appointed once, who grants the auditor (verify, digest) and the data
    protection officer (erase, the access log) their roles."""
    ledger.appoint_first_admin(ADMIN)
    ledger.grant_role(actor=ADMIN, role="auditor", to=AUDITOR)
    ledger.grant_role(actor=ADMIN, role="dpo", to=DPO)


def soon(days: int = 14) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


def later(days: int = 10) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0).isoformat()


def began() -> dict[str, str]:
    """A meeting convened yesterday that began an hour ago: it may be recorded as held now
    (a meeting is not held before it starts; convening in the past says when it happened)."""
    now = datetime.now(UTC).replace(microsecond=0)
    return {"starts_at": (now - timedelta(hours=1)).isoformat(),
            "occurred_at": (now - timedelta(days=1)).isoformat()}


def run(ledger: Ledger, name: str, case_id: UUID, actor: str = HOLDER, **fields: Any) -> Any:
    return ledger.run(name, {"actor": actor, "case_id": case_id, **fields})


def rich_case(ledger: Ledger) -> UUID:
    """An adult's open case with participants of every kind, an accepted plan, goal G1, effort
    E1, agreements A1 and A2, consent C1, meetings M1 and M2 (convened, begun), sector plan SP1."""
    case_id = ledger.open_case(actor=HOLDER, subject_ref="borger-4711", subject_kind="adult",
                               title="Samlet forløb", temporary=False).case_id
    for ref, kind in ((SOCIAL, "authority"), (ADDICTION, "provider"),
                      (VOLUNTEER, "volunteer"), (CITIZEN, "citizen")):
        run(ledger, "case.join", case_id, participant=ref, kind=kind)
    run(ledger, "consent.give", case_id, given_by=[{"role": "citizen"}], purpose="koordinering",
        recipients=["@socialcenter", "@misbrugscenter"], categories=["helbred", "bolig"])
    run(ledger, "plan.accept", case_id, accepted_by=[{"role": "citizen"}])
    run(ledger, "goal.set", case_id, level="overall", text="Egen bolig")
    run(ledger, "effort.plan", case_id, title="Behandling", law="SEL", paragraph="§ 101",
        provider=ADDICTION)
    run(ledger, "agreement.make", case_id, text="Søge bolig", responsible=SOCIAL, due_on=soon())
    run(ledger, "agreement.make", case_id, text="Ringe", responsible=HOLDER, due_on=soon())
    for _ in range(2):
        run(ledger, "meeting.convene", case_id, place="Jobcentret", invited=[SOCIAL],
            agenda=["Status"], **began())
    run(ledger, "sectorplan.link", case_id, kind="Handleplan", owner=SOCIAL, system="Nexus",
        reference="HP-1")
    return case_id
