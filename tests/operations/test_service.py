"""The service's probes and metrics, scraped from a real `stafet serve` process and parsed by
prometheus_client's own text parser; its JSON-lines log; no personal data in either."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from stafet import Ledger
from tests.http.server import PURPOSE, Server

pytestmark = [pytest.mark.process]
ANNE, BO, EVA = "anne@jobcenter", "bo@socialcenter", "eva@elsewhere"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    path = tmp_path / "stafet.db"
    with Ledger(f"sqlite:///{path}") as ledger:
        ledger.appoint_first_admin("it@kommunen")
    server = Server(f"sqlite:///{path}", tmp_path, env={"STAFET_LOG_FORMAT": "json"}).start()
    try:
        yield server, path
    finally:
        server.stop()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_metrics_probes_and_logs_without_personal_data(served: tuple[Server, Path]) -> None:
    server, _path = served
    subject, marker = f"borger-{uuid.uuid4().hex[:6]}", f"MARKOR{uuid.uuid4().hex[:10]}"
    purpose = "opfølgning på forløbet"
    with server.client(ANNE) as anne, server.client(EVA) as eva:
        opened = anne.post("/cases", json={"subject_ref": subject, "subject_kind": "adult",
                                           "title": f"Forløb {marker}", "temporary": False})
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        assert anne.post(f"/cases/{case_id}/commands/case.join",
                         json={"participant": BO, "kind": "authority"}).status_code == 200
        assert anne.post(f"/cases/{case_id}/commands/note",
                         json={"text": f"notat {marker}"}).status_code == 200
        assert anne.post(f"/cases/{case_id}/commands/baton.hand",
                         json={"to": BO}).status_code == 200
        assert anne.post(f"/cases/{case_id}/commands/baton.release").status_code == 409
        assert anne.post(f"/cases/{case_id}/commands/note",
                         json={"text": 5}).status_code in (400, 422)
        assert eva.get(f"/cases/{case_id}").status_code == 404  # as if there were none
        assert eva.get("/verify").status_code == 403  # an auditor's
        assert anne.get(f"/cases/{case_id}").status_code == 200

    following = threading.Event()
    stop = threading.Event()

    def follow() -> None:
        headers = {**PURPOSE, "Authorization": f"Bearer {server.token(BO)}"}
        with httpx.Client(base_url=server.url, timeout=30) as bo, \
                bo.stream("GET", "/feed", headers=headers) as stream:
            assert stream.status_code == 200
            following.set()
            for _ in stream.iter_lines():
                if stop.is_set():
                    return

    follower = threading.Thread(target=follow, daemon=True)
    follower.start()
    assert following.wait(20)
    time.sleep(0.2)
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    scraped = httpx.get(server.url + "/metrics")
    stop.set()
    assert scraped.status_code == 200
    assert scraped.headers["content-type"].startswith("text/plain")
    samples = _samples(scraped.text)

    def value(name: str, **labels: str) -> float:
        return samples.get((name, tuple(sorted(labels.items()))), 0.0)

    assert value("stafet_commands_total", command="case.open", outcome="stored") == 1
    assert value("stafet_commands_total", command="note", outcome="stored") == 1
    assert value("stafet_commands_total", command="note", outcome="invalid") == 1
    assert value("stafet_commands_total", command="baton.release", outcome="refused") == 1
    assert value("stafet_refused_reads_total", route="/verify") == 1
    refused = {dict(labels)["action"]: v for (name, labels), v in samples.items()
               if name == "stafet_refused_access_last_day"}
    assert sum(refused.values()) >= 2, refused  # the stranger's read, the verify
    assert value("stafet_feed_clients") == 1
    assert value("stafet_request_duration_seconds_count", method="GET",
                 route="/cases/{case_id}") == 2
    assert value("stafet_projection_lag_events", projection="cases") == 0
    assert value("stafet_log_events") >= 5  # the administration, open, join, note, hand
    secrets = [case_id, case_id[:8], subject, marker, ANNE, BO, EVA, "opfølgning"]
    for (_, labels) in samples:
        for _, label in labels:
            assert not any(s in label for s in secrets), label
    assert not any(s in scraped.text for s in secrets)

    server.stop()  # the log is complete once the process has gone
    lines = [line for line in server.log().splitlines() if line.startswith("{")]
    entries = [json.loads(line) for line in lines]
    requests = [e for e in entries if e["logger"] == "stafet.http.access"]
    assert {"method", "route", "status", "ms"} <= set(requests[0])
    assert any(e["route"] == "/verify" and e["status"] == 403 for e in requests)
    for line in lines:
        assert not any(s in line for s in [*secrets, purpose]), line
    follower.join(5)


def test_readyz_says_not_ready_when_the_schema_is_newer(served: tuple[Server, Path]) -> None:
    """Upgraded under a running server by a later release: not ready; and this release then
    refuses to start on it (exit 2, one sentence)."""
    server, path = served
    assert httpx.get(server.url + "/readyz").status_code == 200
    db = sqlite3.connect(path)
    db.execute("INSERT INTO stafet_schema_version VALUES (99, 'x', '2030-01-01 00:00:00', '9')")
    db.commit()
    db.close()
    assert httpx.get(server.url + "/healthz").status_code == 200
    ready = httpx.get(server.url + "/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "not ready"
    assert "version 99" in ready.json()["detail"]
    server.stop()
    with pytest.raises(AssertionError, match="exited with 2"):
        server.start()
    assert "newer than this stafet knows" in server.log()
