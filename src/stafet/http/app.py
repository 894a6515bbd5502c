"""The HTTP API: ``create_app(settings)`` builds it on one ``Ledger`` per worker process.

It authenticates (``identity``), hands the caller's actor to the same ``Ledger`` and
``Reader`` methods the command line calls (``commands``, ``reads``, ``feed``), and turns their
answers into JSON and their refusals into problems (``problems``). It holds no rule, no SQL and
no authorisation decision.

Run it with ``stafet serve`` (uvicorn). The OpenAPI description is at ``/openapi.json``, a docs
page at ``/docs``.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AbstractContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from stafet.domain.policy import DEFAULT_POLICY, Policy
from stafet.http.identity import Authenticator, Caller
from stafet.http.problems import Problem, from_error, problem
from stafet.http.settings import HttpSettings
from stafet.ledger import Ledger
from stafet.storage.url import parse_db_url

SETTINGS_ENV = "STAFET_HTTP_SETTINGS"
T = TypeVar("T")
log = logging.getLogger("stafet.http")


class Services:
    """What every request of one worker shares: the ledger (made on first use, so a server
    whose database is down starts, answers 503, and recovers), the authenticator, the feed's
    wake-up."""

    def __init__(self, settings: HttpSettings) -> None:
        from stafet.http.feed import FeedHub

        self.settings = settings
        self.storage = parse_db_url(settings.db_url)
        self.authenticator = Authenticator(settings, self.storage)
        self.policy = load_policy(settings.policy_file)
        self.feed = FeedHub(self)
        # The web view's signed-in session as a caller (set by stafet.web; the feed only).
        self.session_caller: Callable[[Request], Caller | None] | None = None
        self._ledger: Ledger | None = None
        self._lock = threading.Lock()
        # One Ledger serves every thread of a worker. On SQLite its two ways into the file (the
        # event store's writer connection, SQLAlchemy's for the read models and the access log)
        # can wait on each other when two threads write at once, so a worker runs one ledger
        # call at a time there (SQLite writes one at a time anyway); PostgreSQL runs them side
        # by side.
        self.serial: AbstractContextManager[Any] = (
            threading.RLock() if self.storage.backend == "sqlite" else nullcontext())

    @property
    def ledger(self) -> Ledger:
        if self._ledger is None:
            with self._lock:
                if self._ledger is None:
                    self._ledger = Ledger(self.settings.db_url, policy=self.policy,
                                          read_models_url=self.settings.read_db_url)
        return self._ledger

    def call(self, fn: Callable[[], T]) -> T:
        """Run a ledger call (in a worker thread), one at a time on SQLite."""
        with self.serial:
            return fn()

    def close(self) -> None:
        self.feed.close()
        if self._ledger is not None:
            self._ledger.close()


def load_policy(path: str | None) -> Policy:
    if not path:
        return DEFAULT_POLICY
    return Policy.model_validate_json(Path(path).read_text(encoding="utf-8"))


class ProblemRoute(APIRoute):
    """Every route answers a problem for whatever it (or a dependency) raised: no exception
    leaves a route, so the server never sends a traceback."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            if nul := _nul_parameter(request):
                return problem(400, f"The parameter '{nul}' holds a NUL (\\x00) character, "
                               "which no text a person writes holds.", "http.bad_parameter",
                               field=nul)
            try:
                return await handler(request)
            except RequestValidationError as error:
                return invalid_parameter(error)
            except Exception as error:
                services: Services = request.app.state.services
                case_id = request.path_params.get("case_id")
                return from_error(error, services.settings.retry_after_seconds,
                                  str(case_id) if case_id else None)

        return handle


def _nul_parameter(request: Request) -> str | None:
    """The first path or query parameter holding NUL (PostgreSQL cannot even compare it, and
    command bodies refuse it already), or None."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if isinstance(value, str) and "\x00" in value:
            return str(name)
    return None


def invalid_parameter(error: RequestValidationError) -> Response:
    """A path, query or header parameter that does not parse: 400, naming it."""
    first = error.errors()[0] if error.errors() else {}
    loc = [str(part) for part in first.get("loc", ())]
    where, name = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else ("input", ".".join(loc))
    message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
    return problem(400, f"The {where} parameter '{name}' is not valid: {message[0].lower()}"
                   f"{message[1:]}".rstrip(".") + ".", "http.bad_parameter", field=name)


def create_app(settings: HttpSettings) -> FastAPI:
    """The API on the store and identity configuration ``settings`` give."""
    from stafet.http import commands, feed, reads

    problems = settings.problems()
    if problems:
        raise ValueError("; ".join(problems))
    services = Services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="stafet",
        version=_version(),
        summary="The coordination ledger (stafetlog) over HTTP: the same rules and reads as "
        "the command line.",
        description=_DESCRIPTION,
        lifespan=lifespan,
    )
    app.router.route_class = ProblemRoute
    app.state.services = services

    @app.exception_handler(StarletteHTTPException)
    async def http_problem(_request: Request, error: StarletteHTTPException) -> Response:
        detail = error.detail if isinstance(error.detail, str) else "HTTP error"
        return problem(error.status_code, detail.rstrip(".") + ".", "http.error",
                       headers=dict(error.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(_request: Request, error: RequestValidationError) -> Response:
        return invalid_parameter(error)

    @app.get("/health", include_in_schema=True, tags=["service"],
             summary="Is the server up (no identity needed).")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    from stafet.http import health as operations  # /healthz, /readyz, /metrics (issue 19)

    operations.register(app, services)
    commands.register(app)
    reads.register(app)
    feed.register(app)
    from stafet import web

    web.register(app, services)
    _openapi_with_commands(app)
    return app


def create_app_from_env() -> FastAPI:
    """For uvicorn's worker processes: the settings ``stafet serve`` put in the environment."""
    raw = os.environ.get(SETTINGS_ENV)
    settings = HttpSettings.model_validate_json(raw) if raw else HttpSettings()
    return create_app(settings)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("stafet")
    except PackageNotFoundError:
        return "0"


def _openapi_with_commands(app: FastAPI) -> None:
    """Add the command bodies (pydantic schemas of ``COMMANDS``) and the Problem schema."""
    from stafet.http.commands import body_schemas
    from stafet.http.feed import FeedEvent
    from stafet.http.reads import EventDocument, EventMetadataDocument

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                                 description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(body_schemas())
            for model in (Problem, EventDocument, EventMetadataDocument, FeedEvent):
                components[model.__name__] = model.model_json_schema(
                    ref_template="#/components/schemas/{model}")
            schema["components"].setdefault("securitySchemes", {})["bearer"] = {
                "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            schema["security"] = [{"bearer": []}]
            app.openapi_schema = json.loads(json.dumps(schema))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


_DESCRIPTION = """\
Every write is a POST taking the same command body as `stafet apply` (the actor is the
token's); every read a GET through the same Reader as `stafet case show` and friends, so
each read of personal data needs a purpose (header `X-Stafet-Purpose` or `?purpose=`) and is
access-logged. Errors are `application/problem+json` (RFC 9457) with the rule's sentence in
`detail` and its code in `code`. See docs/http.md.
"""
