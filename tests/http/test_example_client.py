"""examples/feed_client.py follows the feed across a server restart (a clean stop, then a
SIGKILL): every event it may see arrives once, in order, and its position file keeps up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stafet import Ledger
from tests.http.clients import post_json, visible_events
from tests.http.server import Server

pytestmark = [pytest.mark.process, pytest.mark.slow]
CLIENT = Path(__file__).resolve().parents[2] / "examples" / "feed_client.py"


def test_the_example_client_survives_server_restarts(server: Server,
                                                     module_workdir: Path) -> None:
    with server.client("anne@jobcenter") as anne:
        case_id = post_json(anne, "/cases", {"subject_ref": "borger-klient", "subject_kind":
                                             "adult", "title": "Klientens forløb"})["case_id"]
    with Ledger(server.db_url, read_models=False) as ledger:
        start = ledger.head() - 1  # from the case's first event
    state = module_workdir / f"client-{os.getpid()}-{time.monotonic_ns()}.pos"
    out = state.with_suffix(".jsonl")
    state.write_text(f"{start}\n")
    client = subprocess.Popen(
        [sys.executable, str(CLIENT), "--url", server.url, "--state", str(state),
         "--out", str(out)], env={**os.environ, "STAFET_TOKEN": server.token("anne@jobcenter")},
        stderr=subprocess.PIPE, start_new_session=True)
    try:
        def note(text: str) -> None:
            with server.client("anne@jobcenter") as anne:
                post_json(anne, f"/cases/{case_id}/commands/note", {"text": text})

        for n in range(5):
            note(f"før {n}")
        server.stop()  # a clean restart
        with Ledger(server.db_url) as ledger:  # the log grows while the server is away
            for n in range(3):
                ledger.run("note", {"actor": "anne@jobcenter", "case_id": case_id,
                                    "text": f"imens {n}"})
        server.start()
        for n in range(5):
            note(f"efter {n}")
        time.sleep(0.5)
        server.kill()  # and a crash
        server.start()
        for n in range(5):
            note(f"til sidst {n}")
        with Ledger(server.db_url, read_models=False) as ledger:
            head = ledger.head()
        deadline = time.monotonic() + 60
        while int(state.read_text().strip() or 0) < head:
            assert client.poll() is None, client.stderr.read() if client.stderr else ""
            assert time.monotonic() < deadline, state.read_text()
            time.sleep(0.2)
    finally:
        os.killpg(client.pid, signal.SIGTERM)
        client.wait(15)
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = visible_events(server.db_url, {case_id}, head)
    assert [(e["notification_id"], e["case_id"], e["type"]) for e in got] == expected
    assert [e["data"]["text"] for e in got if e["type"] == "NoteLogged"] == [
        *(f"før {n}" for n in range(5)), *(f"imens {n}" for n in range(3)),
        *(f"efter {n}" for n in range(5)), *(f"til sidst {n}" for n in range(5))]
