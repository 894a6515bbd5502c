"""docs/operations.md cannot rot: its `bash` blocks run, in order, as one script from an empty
folder on an SQLite store; with PostgreSQL, its `bash postgres` blocks run after them on a
schema of their own."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.http.server import free_port

pytestmark = [pytest.mark.process, pytest.mark.slow]
DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
DOC_PG = "postgresql+psycopg://stafet@db.kommune.local/stafet"


def blocks(text: str, postgres: bool) -> list[str]:
    found = re.findall(r"^```bash( postgres)?\n(.*?)^```", text, flags=re.S | re.M)
    return [body for tag, body in found if postgres or not tag]


def _run(script: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STAFET_", "PG"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    with tempfile.TemporaryDirectory(prefix="stafet-ops-docs-") as folder:
        process = subprocess.Popen(["bash", "-c", "set -euo pipefail\n" + script], cwd=folder,
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, start_new_session=True)
        try:
            out, err = process.communicate(timeout=600)
        finally:
            with contextlib.suppress(ProcessLookupError):  # a server the script left
                os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, out, err


def test_every_command_in_the_operations_guide_runs() -> None:
    text = DOC.read_text(encoding="utf-8")
    script = "\n".join(blocks(text, postgres=False)).replace("8000", str(free_port()))
    code, out, err = _run(script)
    assert code == 0, f"stdout:\n{out}\nstderr:\n{err}"
    assert "Backed up" in out and "sqlite-backup-api" in out
    assert re.search(r"Restored \d+ events .* re-applied 1 erasure\(s\)", out), out
    assert re.search(r"Gap: the store was restored on .* the events at positions \d+–\d+", out)
    register = [line for line in out.splitlines() if '"format":"stafet-erasure-v1"' in line]
    assert register and not any("borger" in line for line in register)
    assert "FAIL" not in out
    assert '"status":"ready"' in out.replace(" ", "")
    assert "stafet_commands_total" in out or "stafet_log_events" in out
    assert '"route": "/' in out


@pytest.mark.postgres
def test_the_postgresql_procedure_runs(pg_schema_url: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    assert DOC_PG in text
    script = "\n".join(blocks(text, postgres=True)).replace("8000", str(free_port())) \
        .replace(DOC_PG, pg_schema_url)
    code, out, err = _run(script)
    assert code == 0, f"stdout:\n{out}\nstderr:\n{err}"
    assert "pg_dump" in out and "re-applied 1 erasure(s)" in out
    assert "FAIL" not in out and "Intact:" in out
