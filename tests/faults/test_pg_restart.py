"""The PostgreSQL server goes down and comes back while writers run (SPEC §12).

The server is stopped, kept down for a moment (so some commands certainly meet it down),
and started again, while three kinds of client run: ``stafet`` commands in a loop (the user
path), a long-lived writer process holding one Ledger (like a service), and ``stafet
projections run`` following the log. Afterwards: nothing acknowledged is lost, a command whose
outcome was unknown can be sent again with its command id and is stored exactly once,
``verify`` is clean, every history runs 1..n, the read models equal a rebuild, and every
failed ``stafet`` command ended with one clear line and no traceback.

This restarts the whole server, which breaks every other test run using it at that moment,
so it runs only when asked: STAFET_TEST_PG_RESTART=1, or in CI (CI=true).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from stafet import Ledger
from tests.faults.processes import (
    Children,
    assert_acknowledged_stored,
    assert_log_intact,
    assert_read_models_equal_a_rebuild,
    forkserver,
    iter_acks,
    read_reports,
    wait_for_report,
    write_through_outage,
)
from tests.integration.concurrent_writers import WRITERS, open_shared_cases

ASKED = os.environ.get("STAFET_TEST_PG_RESTART") == "1" or os.environ.get("CI", "").lower() == "true"
pytestmark = [
    pytest.mark.postgres,
    # Tier (tests/README.md): `make test` runs these after the parallel part, alone.
    pytest.mark.fault, pytest.mark.process, pytest.mark.serial,
    pytest.mark.skipif(not ASKED, reason=(
        "restarts the PostgreSQL server, which breaks everyone else's tests on this machine; "
        "set STAFET_TEST_PG_RESTART=1 (CI=true runs it too)")),
]

STAFET = str(Path(sys.executable).parent / "stafet")
DOWN_SECONDS = 2.0  # how long the server stays down
AFTER_SECONDS = 4.0  # how long the writers go on once it is back
CLI_WRITERS = 2


def _cluster() -> tuple[str, str] | None:
    """(version, name) of the local cluster serving 127.0.0.1:5432, if we can restart it."""
    if os.environ.get("STAFET_TEST_PG_URL") or not shutil.which("pg_ctlcluster"):
        return None
    versions = sorted(p.name for p in Path("/etc/postgresql").glob("*") if (p / "main").is_dir())
    return (versions[-1], "main") if versions else None


def _pg_ctl(action: str, cluster: tuple[str, str]) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action],
                   capture_output=True, check=False, timeout=120)


def _accepts_connections(conninfo: str) -> bool:
    try:
        with psycopg.connect(conninfo, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def _wait_until_up(conninfo: str, cluster: tuple[str, str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _accepts_connections(conninfo):
            return
        _pg_ctl("start", cluster)  # a no-op when it is starting or running
        time.sleep(0.5)
    raise AssertionError(f"PostgreSQL did not accept connections within {timeout} s")


def _caught_up(url: str, runner: subprocess.Popen[str], timeout: float) -> bool:
    """Does the runner bring every read model to the head of the log (without our help)?"""
    with Ledger(url, read_models=False) as ledger:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and runner.poll() is None:
            head = ledger.store.recorder.max_notification_id() or 0
            with psycopg.connect(ledger.storage.pg_dsn) as conn:
                positions = [r[0] for r in conn.execute(sql.SQL(
                    "SELECT position FROM {}").format(
                        sql.Identifier(ledger.storage.pg_schema, "rm_tracking")))]
            if positions and min(positions) == head:
                return True
            time.sleep(0.2)
    return False


@dataclass
class CliRun:
    command_id: str
    case_id: str
    actor: str
    returncode: int
    stdout: str
    stderr: str
    started: float
    ended: float
    details: str = ""  # what the command wrote to its error log, if anything


@dataclass
class Outage:
    url: str
    case_ids: list[UUID]
    down_at: float = 0.0  # time.monotonic() when the server was stopped
    up_at: float = 0.0  # ... and when it accepted connections again
    up_at_wall: float = 0.0  # the same moment by time.time(), as the writer process reports
    cli_runs: list[CliRun] = field(default_factory=list)
    writer_reports: list[dict[str, Any]] = field(default_factory=list)
    runner: subprocess.CompletedProcess[str] | None = None
    runner_alive: bool = False  # `projections run` was still running once the writers stopped
    runner_caught_up: bool = False  # ... and had brought every read model to the head of the log


def _cli_writer(outage: Outage, actor: str, n: int, stop: threading.Event, workdir: Path) -> None:
    k = 0
    while not stop.is_set():
        k += 1
        case_id = str(outage.case_ids[k % len(outage.case_ids)])
        command_id = f"cli{n}-{k}"
        tmp = workdir / command_id  # its own TMPDIR, so its error log (if any) is its own
        tmp.mkdir()
        started = time.monotonic()
        done = subprocess.run(
            [STAFET, "--db", outage.url, "--as", actor, "--json", "note", case_id,
             _text(k, actor), "--command-id", command_id],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
            env={**os.environ, "TMPDIR": str(tmp)},
        )
        details = "".join(p.read_text(errors="replace") for p in tmp.glob("*.log"))
        outage.cli_runs.append(CliRun(command_id, case_id, actor, done.returncode, done.stdout,
                                      done.stderr, started, time.monotonic(), details))


def _text(k: int | str, actor: str) -> str:
    return f"Notat {k} fra {actor} – æøå"


@pytest.fixture(scope="module")
def outage(pg_url: str) -> Iterator[Outage]:
    cluster = _cluster()
    if cluster is None:
        pytest.skip("no local PostgreSQL cluster to restart (pg_ctlcluster on this machine, "
                    "and no STAFET_TEST_PG_URL)")
    conninfo = pg_url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
    schema = f"t_restart_{uuid.uuid4().hex[:8]}"
    url = f"{pg_url}?schema={schema}"
    workdir = Path(tempfile.mkdtemp(prefix="stafet-restart-"))
    try:
        with Ledger(url) as ledger:
            result = Outage(url=url, case_ids=open_shared_cases(ledger, 2, WRITERS))
        with Children(forkserver()) as children:
            writer_path, stop_path = workdir / "writer.jsonl", workdir / "stop"
            writer = children.start(write_through_outage, "long-lived writer", url,
                                    result.case_ids, WRITERS[0], 7, "py", str(writer_path),
                                    str(stop_path))
            runner_out = (workdir / "runner.out").open("w+")
            runner_err = (workdir / "runner.err").open("w+")
            runner = subprocess.Popen([STAFET, "--db", url, "projections", "run", "--poll", "0.2"],
                                      stdout=runner_out, stderr=runner_err, text=True,
                                      stdin=subprocess.DEVNULL)
            stop = threading.Event()
            threads = [threading.Thread(target=_cli_writer, args=(result, WRITERS[n + 1], n, stop,
                                                                 workdir))
                       for n in range(CLI_WRITERS)]
            try:
                for thread in threads:
                    thread.start()
                wait_for_report(writer_path, "ack", writer)
                deadline = time.monotonic() + 60
                while sum(r.returncode == 0 for r in result.cli_runs) < 2 * CLI_WRITERS:
                    assert time.monotonic() < deadline, [r.stderr for r in result.cli_runs]
                    time.sleep(0.05)

                result.down_at = time.monotonic()
                _pg_ctl("stop", cluster)  # fast shutdown: sessions are cut off mid-command
                time.sleep(DOWN_SECONDS)
                _pg_ctl("start", cluster)
                _wait_until_up(conninfo, cluster)
                result.up_at, result.up_at_wall = time.monotonic(), time.time()
                time.sleep(AFTER_SECONDS)
            finally:
                stop.set()
                stop_path.touch()
                for thread in threads:
                    thread.join(timeout=180)
                if writer.is_alive():
                    writer.join(timeout=60)
                _wait_until_up(conninfo, cluster)
                result.runner_alive = runner.poll() is None
                if result.runner_alive:
                    result.runner_caught_up = _caught_up(url, runner, timeout=20)
                if runner.poll() is None:
                    runner.terminate()  # SIGTERM: `projections run` stops cleanly
                try:
                    runner.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    runner.kill()
                    runner.wait()
                _wait_until_up(conninfo, cluster)
            runner_out.seek(0)
            runner_err.seek(0)
            result.runner = subprocess.CompletedProcess(runner.args, runner.returncode,
                                                        runner_out.read(), runner_err.read())
            runner_out.close()
            runner_err.close()
        result.writer_reports = read_reports(writer_path)
        yield result
    finally:
        _wait_until_up(conninfo, cluster)  # whatever happened, the server is up again
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
        shutil.rmtree(workdir, ignore_errors=True)


def _cli_acks(outage: Outage) -> list[dict[str, Any]]:
    acks = []
    for run in outage.cli_runs:
        if run.returncode == 0:
            acks.append({**json.loads(run.stdout), "command_id": run.command_id,
                         "actor": run.actor})
    return acks


def test_the_restart_really_cut_writers_off(outage: Outage) -> None:
    during = [r for r in outage.cli_runs if r.started < outage.up_at and r.ended > outage.down_at]
    assert any(r.returncode != 0 for r in during), "no stafet command met the server down"
    settled = [r for r in outage.cli_runs if r.started > outage.up_at + 1.0]
    assert settled, "no stafet command ran once the server was back"
    assert all(r.returncode == 0 for r in settled), [
        (r.command_id, r.returncode, r.stderr, r.details[-500:]) for r in settled]


def test_nothing_acknowledged_is_lost_and_the_log_is_intact(outage: Outage) -> None:
    with Ledger(outage.url) as ledger:
        histories = assert_log_intact(ledger)
        acks = _cli_acks(outage) + list(iter_acks(outage.writer_reports))
        assert len(acks) > 5
        assert_acknowledged_stored(ledger, histories, acks)

        # A command that failed may or may not have been stored (the answer can be lost with
        # the connection). Sent again with its command id, it is stored exactly once.
        for run in [r for r in outage.cli_runs if r.returncode != 0]:
            again = subprocess.run(
                [STAFET, "--db", outage.url, "--as", run.actor, "--json", "note", run.case_id,
                 _text(run.command_id.split("-")[-1], run.actor), "--command-id", run.command_id],
                capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
            )
            assert again.returncode == 0, again.stderr
        histories = assert_log_intact(ledger)
        stored: dict[str, int] = {}
        for history in histories.values():
            for event in history:
                if event.command_id:
                    stored[event.command_id] = stored.get(event.command_id, 0) + 1
        for run in outage.cli_runs:
            assert stored.get(run.command_id) == 1, (run.command_id, run.returncode, run.stderr)
        assert_read_models_equal_a_rebuild(ledger)


def test_a_long_running_writer_carries_on_once_the_server_is_back(outage: Outage) -> None:
    """A process that keeps one Ledger open (a service) meets the outage as an error on the
    commands sent meanwhile, or a wait, and stores again once the server is back."""
    acks = list(iter_acks(outage.writer_reports))
    assert any(a["at"] < outage.up_at_wall - DOWN_SECONDS for a in acks)
    assert any(a["at"] > outage.up_at_wall for a in acks), (
        "the long-lived writer stored nothing once the server was back: "
        f"{[i['error'] for i in outage.writer_reports if 'error' in i][-3:]}")
    assert "stopped" in outage.writer_reports[-1]


def test_failed_stafet_commands_end_with_one_line_and_no_traceback(outage: Outage) -> None:
    failed = [r for r in outage.cli_runs if r.returncode != 0]
    assert failed
    for run in failed:
        assert "Traceback" not in run.stderr, run.stderr
        assert len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_failed_stafet_commands_say_clearly_that_the_database_was_unreachable(
    outage: Outage,
) -> None:
    failed = [r for r in outage.cli_runs if r.returncode != 0]
    assert failed
    messages = sorted({r.stderr.strip() for r in failed})
    assert {r.returncode for r in failed} <= {1, 2, 75}, messages
    assert not [m for m in messages if "Unexpected error" in m], messages


def test_projections_run_survives_the_restart_or_stops_with_one_clear_line(outage: Outage) -> None:
    runner = outage.runner
    assert runner is not None
    if outage.runner_alive:
        assert outage.runner_caught_up, "`projections run` survived but stopped following the log"
        assert runner.returncode == 0, (runner.returncode, runner.stderr[-2000:])
        return
    errors = [line for line in runner.stderr.splitlines()
              if not line.startswith("Following the log") and " applied " not in line]
    assert runner.returncode in (1, 2, 75), (runner.returncode, errors)
    assert "Traceback" not in runner.stderr, runner.stderr[-3000:]
    assert len(errors) == 1, errors
    assert "Unexpected error" not in errors[0], errors

