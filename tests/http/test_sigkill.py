"""The server SIGKILLed while writers send commands: nothing half-stored (the log verifies),
every acknowledged command stored, and sending the unacknowledged ones again with their
Idempotency-Key stores each exactly once."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter

import httpx
import pytest

from stafet import Ledger
from tests.http.clients import post_json
from tests.http.server import Server

pytestmark = [pytest.mark.process, pytest.mark.fault]
WRITERS = ["anne@jobcenter", "bo@socialcenter", "lis@jobcenter", "kim@psykiatrien"]


def writer(server: Server, actor: str, case_id: str, intents: list[str], acked: list[str],
           stop: threading.Event) -> None:
    headers = {"Authorization": f"Bearer {server.token(actor)}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        while not stop.is_set():
            key = f"{actor}-{uuid.uuid4().hex}"
            intents.append(key)
            try:
                answer = client.post(f"/cases/{case_id}/commands/note",
                                     json={"text": f"notat {len(intents)} – æøå"},
                                     headers={"Idempotency-Key": key})
            except httpx.HTTPError:
                return  # the server died under us
            if answer.status_code == 200:
                acked.append(key)


def test_sigkill_mid_write_stores_nothing_half(server: Server) -> None:
    cases = []
    with server.client("anne@jobcenter") as anne:
        for n in range(2):
            case_id = post_json(anne, "/cases", {"subject_ref": f"borger-k{n}", "subject_kind":
                                                 "adult", "title": f"Forløb {n}"})["case_id"]
            for who in WRITERS[1:]:
                post_json(anne, f"/cases/{case_id}/commands/case.join",
                          {"participant": who, "kind": "authority"})
            cases.append(case_id)
    intents: dict[str, list[str]] = {w: [] for w in WRITERS}
    acked: dict[str, list[str]] = {w: [] for w in WRITERS}
    stop = threading.Event()
    threads = [threading.Thread(target=writer, args=(server, w, cases[i % 2], intents[w],
                                                     acked[w], stop), daemon=True)
               for i, w in enumerate(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(2.0)
    server.kill()
    stop.set()
    for t in threads:
        t.join(15)
    all_acked = [k for keys in acked.values() for k in keys]
    assert len(all_acked) > 10, "the writers got too little done to test anything"
    with Ledger(server.db_url, read_models=False) as ledger:
        assert ledger.verify(actor="it@kommunen").ok
        for key in all_acked:
            assert ledger.store.command_record(key) is not None, key
    # the unacknowledged ones, sent again with their keys after a restart
    server.start()
    for actor in WRITERS:
        unacked = [k for k in intents[actor] if k not in set(acked[actor])]
        headers = {"Authorization": f"Bearer {server.token(actor)}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
            for key in unacked:
                n = intents[actor].index(key) + 1
                answer = client.post(f"/cases/{cases[WRITERS.index(actor) % 2]}/commands/note",
                                     json={"text": f"notat {n} – æøå"},
                                     headers={"Idempotency-Key": key})
                assert answer.status_code == 200, answer.text
    with Ledger(server.db_url, read_models=False) as ledger:
        assert ledger.verify(actor="it@kommunen").ok
        stored = Counter(e.command_id for c in cases for e in ledger.history(c) if e.command_id)
    every = [k for keys in intents.values() for k in keys]
    assert all(stored[k] == 1 for k in every), [k for k in every if stored[k] != 1]
    assert set(stored) == set(every)
