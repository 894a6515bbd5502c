"""Feed clients and writer processes for the HTTP feed tests."""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse import connect_sse

from stafet import ConcurrencyConflict, Ledger, RuleViolation
from stafet.domain.events import CaseEvent


@dataclass
class FeedFollower:
    """Follows /feed as one caller, dropping the connection at random and resuming with
    Last-Event-ID; keeps every event it got (id, case, type) and the last position it knows."""

    url: str
    token: str
    seed: int
    drop: float = 0.15  # chance to hang up after an event
    received: list[tuple[int, str, str]] = field(default_factory=list)
    position: int = 0
    connections: int = 0
    heartbeats_with_id: int = 0
    stop: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None

    def run(self) -> None:
        rng = random.Random(self.seed)
        try:
            while not self.stop.is_set():
                self.connections += 1
                headers = {"Authorization": f"Bearer {self.token}",
                           "X-Stafet-Purpose": "følge forløbene".encode()}
                if self.position:
                    headers["Last-Event-ID"] = str(self.position)
                # A follower waits longer than the server's heartbeat (10 s) before it gives
                # up on a quiet connection, as any SSE client must: a caller who follows one
                # case may hear nothing else for a while.
                with httpx.Client(timeout=httpx.Timeout(30, read=25)) as client, \
                        connect_sse(client, "GET", self.url + "/feed", headers=headers) as source:
                    assert source.response.status_code == 200, source.response.read()
                    for sse in source.iter_sse():
                        # (httpx-sse repeats the last id on a heartbeat without one)
                        if sse.id and (sse.data or int(sse.id) != self.position):
                            new = int(sse.id)
                            assert new > self.position, (new, self.position)
                        if sse.data:
                            event = json.loads(sse.data)
                            assert event["notification_id"] == int(sse.id)
                            self.received.append((event["notification_id"], event["case_id"],
                                                  event["type"]))
                        elif sse.id:
                            self.heartbeats_with_id += 1
                        if sse.id:
                            self.position = int(sse.id)
                        if self.stop.is_set() or rng.random() < self.drop:
                            break
                time.sleep(rng.uniform(0, 0.2))
        except BaseException as error:  # reported by the test
            self.error = error

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, daemon=True)
        thread.start()
        return thread


def visible_events(url: str, cases: set[str], upto: int) -> list[tuple[int, str, str]]:
    """What a follower of these cases must have got: their events up to a position, in order."""
    with Ledger(url, read_models=False) as ledger:
        out = []
        position = 0
        while batch := ledger.store.read_after(position, 1000):
            for position, event in batch:
                if position <= upto and isinstance(event, CaseEvent) \
                        and str(event.originator_id) in cases:
                    out.append((position, str(event.originator_id), type(event).__name__))
            if position >= upto:
                break
        return out


def write_notes(url: str, plan: list[tuple[str, str]], seed: int) -> None:
    """A writer process: a note for each (case, actor), in order, with short pauses."""
    rng = random.Random(seed)
    with Ledger(url) as ledger:
        for n, (case_id, actor) in enumerate(plan):
            with contextlib.suppress(RuleViolation, ConcurrencyConflict):
                ledger.run("note", {"actor": actor, "case_id": case_id,
                                    "text": f"note {seed}-{n} – æøå"})
            time.sleep(rng.uniform(0, 0.03))


def post_json(client: httpx.Client, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(path, json=body)
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result
