"""The live feed: ``GET /feed`` (Server-Sent Events) and ``GET /events`` (pages, for pull
clients). Both hand out what ``Reader.feed`` lets the caller follow: the events of the cases
they take part in, and for a system holding the ``feed`` role for an organisation the events
of the cases where that organisation takes part.

Each event's SSE ``id`` is its position in the whole log (the global order), so a client that
reconnects with ``Last-Event-ID`` (browsers do it by themselves) resumes exactly after the
last event it got: nothing lost, nothing twice. While nothing arrives, a comment line every
few seconds keeps proxies from closing the stream; it carries an ``id`` of its own when the
log moved on past events the caller does not see, so a resume need not read them again.

New events wake the feed: on PostgreSQL by LISTEN/NOTIFY (one listening connection per
worker, in a thread), on SQLite by polling (and at once after a write through this worker).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from enum import Enum
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from starlette.responses import Response, StreamingResponse

from stafet.domain.errors import StafetError
from stafet.http.problems import responses
from stafet.http.reads import EventDocument, PurposeQuery, as_json, reader_for, services_of
from stafet.reader import FeedPage, LoggedEvent
from stafet.storage.errors import database_unavailable

if TYPE_CHECKING:
    from stafet.http.app import Services
    from stafet.reader import Reader

log = logging.getLogger("stafet.http")
PAGE = 500
MAX_POSITION = 2**62  # positions are 64-bit integers in both databases
RECONNECT_SECONDS = 2.0


class FeedEvent(EventDocument):
    """An event of the feed: its place in the whole log (``notification_id``, the SSE id),
    its case, and the event as `case history --json` gives it."""

    notification_id: int
    case_id: str


# One event of the stream (OpenAPI 3.2's itemSchema for text/event-stream): `data` is a
# FeedEvent as JSON; a heartbeat may carry an `id` alone.
SSE_EVENT = {"type": "object", "properties": {
    "data": {"type": "string", "contentMediaType": "application/json",
             "contentSchema": {"$ref": "#/components/schemas/FeedEvent"}},
    "event": {"type": "string"}, "id": {"type": "string"},
    "retry": {"type": "integer", "minimum": 0}}}


class EventsPage(BaseModel):
    events: list[FeedEvent]
    next_after: int


def event_document(e: LoggedEvent) -> dict[str, Any]:
    from stafet.cli.render import event_json

    return {"notification_id": e.notification_id, "case_id": str(e.event.originator_id),
            **event_json(e.event)}


class FeedHub:
    """Wakes the feeds of one worker when the log grows."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._loop: asyncio.AbstractEventLoop | None = None
        self._event: asyncio.Event | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def current(self) -> asyncio.Event:
        """The event the next wake-up sets (take it before reading, then wait on it)."""
        if self._event is None:
            self._loop = asyncio.get_running_loop()
            self._event = asyncio.Event()
            if self.services.storage.backend == "postgres":
                self._thread = threading.Thread(target=self._listen, name="stafet-feed-listen",
                                                daemon=True)
                self._thread.start()
        return self._event

    def _fire(self) -> None:
        if self._event is not None:
            fired, self._event = self._event, asyncio.Event()
            fired.set()

    def wake(self) -> None:
        """From any thread: wake every feed waiting in this worker."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._fire)

    @property
    def poll_seconds(self) -> float:
        """How long a feed waits without a wake-up before it looks anyway."""
        poll = self.services.settings.poll_seconds
        return poll if self._thread is None else max(poll, 2.0)

    def _listen(self) -> None:
        conn: Any = None
        while not self._stop.is_set():
            try:
                if conn is None:
                    conn = self.services.ledger.store.listen()
                    self.wake()  # anything committed while we were not listening
                for _ in conn.notifies(timeout=1.0):
                    self.wake()
            except Exception as error:
                log.warning("the feed's LISTEN connection failed (%s); polling until it is back",
                            type(error).__name__)
                if conn is not None:
                    with contextlib.suppress(Exception):
                        conn.close()
                conn = None
                self._stop.wait(RECONNECT_SECONDS)
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def close(self) -> None:
        self._stop.set()


def _position(last_event_id: str | None, after: int | None) -> int:
    if last_event_id is not None and last_event_id.strip():
        text = last_event_id.strip()
        if not text.isdigit() or len(text) > 18:
            raise _BadPosition("Last-Event-ID must be a log position (a whole number) as the "
                               "feed's id gave it.")
        return int(text)
    return after or 0


class _BadPosition(StafetError):
    code = "http.bad_header"


def _sse(e: LoggedEvent) -> bytes:
    from stafet.cli.render import json_default

    data = json.dumps(event_document(e), ensure_ascii=False, default=json_default)
    return f"id: {e.notification_id}\ndata: {data}\n\n".encode()


async def _stream(hub: FeedHub, reader: Reader, first: FeedPage, start: int,
                  heartbeat: float) -> AsyncIterator[bytes]:
    yield b"retry: 2000\n\n"
    position, sent = start, start
    page: FeedPage | None = first
    last_write = time.monotonic()
    while True:
        wakeup = hub.current()
        if page is None:
            try:
                page = await run_in_threadpool(hub.services.call,
                                               functools.partial(reader.feed, position, PAGE))
            except Exception as error:
                if not database_unavailable(error):
                    log.error("the feed stopped: %s", type(error).__name__)
                    return  # the client reconnects with Last-Event-ID
                page = FeedPage([], position)  # the database is away: wait, try again
        for e in page.events:
            yield _sse(e)
            sent = e.notification_id
            last_write = time.monotonic()
        moved = page.next_after > position
        position = max(position, page.next_after)
        page = None
        if moved:
            continue  # there may be more right behind
        due = last_write + heartbeat - time.monotonic()
        if due <= 0:
            beat = b": keep-alive\n"
            if position > sent:  # the log moved past events this caller does not see
                beat += f"id: {position}\n".encode()
                sent = position
            yield beat + b"\n"
            last_write = time.monotonic()
            continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wakeup.wait(), timeout=min(hub.poll_seconds, due))


def register(app: FastAPI) -> None:
    tags: list[str | Enum] = ["feed"]

    @app.get("/feed", tags=tags, responses={
        **responses(400, 401, 422, 503),
        200: {"description": "Server-Sent Events: `id:` the log position, `data:` a "
                             "FeedEvent as JSON; comment lines as heartbeats.",
              "content": {"text/event-stream": {"itemSchema": SSE_EVENT}}}},
        summary="Follow the events you may see, live (resume with Last-Event-ID).")
    async def feed(request: Request,
                   after: int | None = Query(None, ge=0, le=MAX_POSITION,
                                             description="Start after this log "
                                             "position (default 0: from the beginning)."),
                   purpose: str | None = PurposeQuery,
                   last_event_id: str | None = Header(None, description="Resume after this "
                                                      "position (browsers send it).")) -> Response:
        start = _position(last_event_id, after)
        # the web view's session too: a browser's EventSource sends its cookie, no header
        reader = await run_in_threadpool(reader_for, request, purpose, True)
        hub = services_of(request).feed
        # the first page before the stream starts, so a refusal answers as a problem
        first = await run_in_threadpool(hub.services.call, lambda: reader.feed(start, PAGE))
        settings = services_of(request).settings
        return StreamingResponse(
            _stream(hub, reader, first, start, settings.heartbeat_seconds),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get("/events", tags=tags, response_model=EventsPage,
             responses=responses(400, 401, 422, 503),
             summary="A page of the events you may see after a log position (pull clients).")
    def events(request: Request, after: int = Query(0, ge=0, le=MAX_POSITION),
               limit: int = Query(100, ge=1, le=1000),
               purpose: str | None = PurposeQuery) -> Response:
        with services_of(request).serial:
            page = reader_for(request, purpose).feed(after, limit)
        return as_json({"events": [event_document(e) for e in page.events],
                        "next_after": page.next_after})
