"""The service's health, metrics and structured logs (docs/operations.md, "Monitoring").

- ``/healthz``: the process is up (no database touched): for a liveness probe.
- ``/readyz``: the database answers and its schema is this release's: for a readiness probe
  (503 with the reason otherwise).
- ``/metrics``: Prometheus text: commands by type and outcome, request latency, projection
  lag, feed clients, refused reads. Every label is a route template, a command's name, an
  outcome or a method — never a case id, an actor, a purpose or anything typed.
- With ``STAFET_LOG_FORMAT=json`` the service logs JSON lines: one per request (method, route
  template, status, milliseconds — no path parameters, no query, no caller) and the ledger's
  warnings (the exception's type, never its parameters).

None of them needs an identity; put ``/metrics`` behind the proxy's own access rule.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

if TYPE_CHECKING:
    from stafet.http.app import Services

LOG_FORMAT_ENV = "STAFET_LOG_FORMAT"
COMMAND_PREFIX = "/cases/{case_id}/commands/"
access_log = logging.getLogger("stafet.http.access")


class Metrics:
    """The service's instruments, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.commands = Counter(
            "stafet_commands", "Commands received, by command and outcome (stored: 2xx; "
            "refused: a rule or the policy said no; invalid: bad input; error: 5xx).",
            ["command", "outcome"], registry=self.registry)
        self.latency = Histogram(
            "stafet_request_duration_seconds", "Time to answer a request, by route template.",
            ["method", "route"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
        self.refused_reads = Counter(
            "stafet_refused_reads", "Reads the authorisation policy refused with 403, by route "
            "(a stranger's read of a case answers 404: see stafet_refused_access_last_day).",
            ["route"], registry=self.registry)
        self.feed_clients = Gauge(
            "stafet_feed_clients", "Clients following the live feed now.",
            registry=self.registry)
        self.lag = Gauge(
            "stafet_projection_lag_events", "Events the read models are behind the log, by "
            "projection (read when scraped).", ["projection"], registry=self.registry)
        self.refused_recent = Gauge(
            "stafet_refused_access_last_day", "Reads and writes refused in the last 24 hours, "
            "by action, from the access log (all processes on the store, the command line's "
            "too; a stranger's read answered 404 is among them).", ["action"],
            registry=self.registry)
        self.head = Gauge("stafet_log_events", "The log's newest position (read when scraped).",
                          registry=self.registry)


def outcome(status: int) -> str:
    if status < 400:
        return "stored"
    if status in (403, 409, 412, 428):
        return "refused"
    if status < 500:
        return "invalid"
    return "error"


def route_of(scope: dict[str, Any]) -> str:
    """The matched route's template (``/cases/{case_id}``), never the path itself."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class Instrument:
    """ASGI middleware: counts and times every request by its route template."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]
        following = [False]

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
                if scope.get("path") == "/feed" and status[0] == 200:
                    following[0] = True
                    self.metrics.feed_clients.inc()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            if following[0]:
                self.metrics.feed_clients.dec()
            self._count(scope, status[0], time.perf_counter() - started)

    def _count(self, scope: dict[str, Any], status: int, seconds: float) -> None:
        method, route = str(scope.get("method", "")), route_of(scope)
        if route not in ("/metrics", "/healthz", "/readyz"):  # the probes are not the work
            self.metrics.latency.labels(method, route).observe(seconds)
            if method == "POST" and route.startswith(COMMAND_PREFIX):
                self.metrics.commands.labels(route.removeprefix(COMMAND_PREFIX),
                                             outcome(status)).inc()
            elif method == "POST" and route == "/cases":
                self.metrics.commands.labels("case.open", outcome(status)).inc()
            elif method == "GET" and status == 403:
                self.metrics.refused_reads.labels(route).inc()
        access_log.info("request", extra={"http": {
            "method": method, "route": route, "status": status,
            "ms": round(seconds * 1000, 1)}})


def register(app: FastAPI, services: Services) -> None:
    """The probes, /metrics and the middleware that feeds it."""
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(Instrument, metrics=metrics)
    if os.environ.get(LOG_FORMAT_ENV, "").lower() == "json":
        json_logs()

    @app.get("/healthz", tags=["service"], summary="The process is up (liveness).")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], summary="The database answers and its schema is "
             "current (readiness).")
    async def readyz() -> Response:
        ready, detail = await run_in_threadpool(services.call, lambda: _ready(services))
        return JSONResponse({"status": "ready" if ready else "not ready", "detail": detail},
                            status_code=200 if ready else 503)

    # The Prometheus text format, documented as such (not the default application/json).
    @app.get("/metrics", tags=["service"], summary="Prometheus metrics (text format).",
             include_in_schema=True, response_class=Response, responses={
                 200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                       "description": "The metrics in the Prometheus text format."}})
    async def scrape() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        await run_in_threadpool(services.call, lambda: _read_gauges(services, metrics))
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _ready(services: Services) -> tuple[bool, str]:
    from stafet.storage.migrations import state

    try:
        ledger = services.ledger
        head = ledger.head()
        found = state(ledger.store.sql)
    except Exception as error:
        return False, f"the database cannot be used: {type(error).__name__}"
    if found.newer or found.pending:
        return False, (f"the store's schema is version {found.stored}, this release needs "
                       f"{found.current}")
    return True, f"{head} events; schema version {found.stored}"


def _read_gauges(services: Services, metrics: Metrics) -> None:
    """Lag and head when scraped; a database that is away leaves them as they were."""
    try:
        ledger = services.ledger
        for status in ledger.read_models.status():
            metrics.lag.labels(status.name).set(status.lag)
        metrics.head.set(ledger.head())
        metrics.refused_recent.clear()
        for action, count in _refused_last_day(ledger):
            metrics.refused_recent.labels(action).set(count)
    except Exception:
        logging.getLogger("stafet").warning("metrics: the database could not be read")


def _refused_last_day(ledger: Any) -> list[tuple[str, int]]:
    import sqlalchemy as sa

    from stafet.storage.access import stafet_access_log as log
    from stafet.storage.engine import reading

    since = datetime.now(UTC) - timedelta(days=1)
    with reading(ledger.store.sql) as conn:
        return [(str(a), int(n)) for a, n in conn.execute(
            sa.select(log.c.action, sa.func.count()).where(
                log.c.at >= since, log.c.outcome == "refused").group_by(log.c.action))]


class JsonLines(logging.Formatter):
    """One JSON object a line. An exception is named by its type and first line up to any SQL
    (drivers put statement parameters, which may be personal data, after it)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage()}
        http = getattr(record, "http", None)
        if isinstance(http, dict):
            entry.update(http)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text = (str(error).strip().splitlines() or [""])[0].split("[SQL:")[0]
            entry["error"] = {"type": type(error).__name__, "message": text[:200]}
        return json.dumps(entry, ensure_ascii=False)


def json_logs() -> None:
    """The service's loggers write JSON lines to stderr; uvicorn's own access log (which
    prints paths and queries) is replaced by ours (route templates)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    for name in ("stafet", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
    logging.getLogger("stafet").setLevel(logging.INFO)
    logging.getLogger("uvicorn.access").disabled = True
