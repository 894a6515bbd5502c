"""Reads: one GET a read of SPEC §11, each a call of the caller's ``Reader`` (or, for verify and
the roles, of the ``Ledger`` with the caller as actor), answered as `stafet --json` answers.

A read of personal data needs a purpose: the ``X-Stafet-Purpose`` header (UTF-8) or the
``purpose`` query parameter; the Reader checks it and access-logs the read with the caller's
actor, exactly as on the command line. Caseload, the history's metadata, verify and the roles
need none.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar
from uuid import UUID

from fastapi import FastAPI, Query, Request
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from starlette.responses import Response, StreamingResponse

from stafet.domain.commands import describe_validation_error, failed_field
from stafet.domain.errors import InvalidCommand
from stafet.domain.state import Hold
from stafet.domain.values import Moment
from stafet.http.identity import Caller, header_text
from stafet.http.problems import responses
from stafet.projections.queries import (
    Attention,
    AttentionFilter,
    CaseFilter,
    CaseloadRow,
    CaseRow,
    ConsentRow,
)

if TYPE_CHECKING:
    from stafet.http.app import Services
    from stafet.reader import Reader

READ_ERRORS = responses(400, 401, 403, 404, 422, 503)
F = TypeVar("F", bound=BaseModel)
P = ParamSpec("P")
R = TypeVar("R")
_MOMENT: TypeAdapter[datetime] = TypeAdapter(Moment)
PurposeQuery = Query(None, description="Why you read (or the X-Stafet-Purpose header); logged.")


# -- what every route shares ------------------------------------------------------------------


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def authenticated(request: Request, sessions: bool = False) -> Caller:
    """The caller, from a bearer token or the trusted gateway's header (or 401). The peer is
    the TCP peer: ``stafet serve`` does not let X-Forwarded-For rewrite it.

    ``sessions``: a request without an Authorization header may also be the web view's
    signed-in session (its cookie). Only the feed allows it (a browser's EventSource cannot
    send a header); every other route takes tokens or the gateway alone, so no write and no
    other read of the API can be driven by a cookie."""
    services = services_of(request)
    if sessions and services.session_caller is not None \
            and "authorization" not in request.headers:
        caller = services.session_caller(request)
        if caller is not None:
            return caller
    client = request.scope.get("client")
    peer = client[0] if client else None
    return services.authenticator.authenticate(request.headers, peer)


def reader_for(request: Request, purpose: str | None = None, sessions: bool = False) -> Reader:
    """The caller's Reader, with the purpose from the header or the query parameter."""
    caller = authenticated(request, sessions)
    services = services_of(request)
    header = request.headers.get(services.settings.purpose_header)
    return services.ledger.reader(caller.actor, purpose or (
        header_text(header) if header else None))


def serialised(endpoint: Callable[P, R]) -> Callable[P, R]:
    """A read route's body under the worker's ledger lock (``Services.serial``: SQLite only)."""

    @functools.wraps(endpoint)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        request = kwargs["request"]
        assert isinstance(request, Request)
        with services_of(request).serial:
            return endpoint(*args, **kwargs)

    return run


def as_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    from stafet.cli.render import json_default

    return Response(json.dumps(data, ensure_ascii=False, default=json_default).encode("utf-8"),
                    status_code=status, media_type="application/json", headers=headers)


def _moment(text: str | None, field: str) -> datetime | None:
    if text is None:
        return None
    try:
        return _MOMENT.validate_python(text)
    except ValidationError:
        raise InvalidCommand(f"{field} '{text[:40]}' is not a time; write it like "
                             "2026-05-01T12:00:00+01:00.", field=field) from None


def _filter(cls: type[F], **values: Any) -> F:
    try:
        return cls(**values)
    except ValidationError as error:
        raise InvalidCommand(describe_validation_error(error), field=failed_field(error)) \
            from None


# -- documents (for the OpenAPI description; the bodies are `stafet --json`'s) --------------


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class CaseDocument(_Doc):
    """A case as `stafet --json case show` gives it (SPEC §11)."""

    case_id: str
    status: Literal["open", "closed"]
    phase: int
    title: str
    subject_ref: str
    subject_kind: str
    opened_at: str
    holder: str
    holder_temporary: bool
    holders: list[str]
    exchange: dict[str, Any] | None
    participants: list[dict[str, Any]]
    plan: dict[str, Any]
    consents: list[dict[str, Any]]
    meetings: list[dict[str, Any]]
    closure: dict[str, Any] | None
    version: int


class EventDocument(_Doc):
    """An event as `stafet --json case history` gives it."""

    position: int
    type: str
    actor: str
    actor_role: str | None
    recorded_at: str
    occurred_at: str | None
    command_id: str | None
    data: dict[str, Any]


class EventMetadataDocument(_Doc):
    position: int
    type: str
    actor: str
    actor_role: str | None
    recorded_at: datetime
    occurred_at: datetime | None


class TableDocument(_Doc):
    table: str
    columns: list[str]
    rows: list[dict[str, Any]]


class AccessEntryDocument(_Doc):
    seq: int
    at: str
    actor: str
    action: str
    case_id: str | None
    criterion: str | None
    purpose: str | None
    outcome: str


class RoleDocument(_Doc):
    person: str
    role: str
    org: str | None
    granted_at: datetime
    granted_by: str


class CallerDocument(BaseModel):
    actor: str
    actor_role: str | None
    via: str


# -- the routes ---------------------------------------------------------------------------


def register(app: FastAPI) -> None:
    tags: list[str | Enum] = ["reads"]

    @app.get("/whoami", tags=tags, response_model=CallerDocument,
             responses=responses(401, 503), summary="Who the server takes you to be.")
    def whoami(request: Request) -> Response:
        caller = authenticated(request)
        return as_json({"actor": caller.actor, "actor_role": caller.actor_role,
                        "via": caller.via})

    @app.get("/cases/{case_id}", tags=tags, response_model=CaseDocument, responses=READ_ERRORS,
             summary="A case as it stands (or as the log stood at as_of); ETag: its version.")
    @serialised
    def case_show(request: Request, case_id: UUID,
                  as_of: str | None = Query(None, description="A recorded time, e.g. "
                                            "2026-05-01T12:00:00Z."),
                  purpose: str | None = PurposeQuery) -> Response:
        from stafet.cli.render import case_json

        reader = reader_for(request, purpose)
        moment = _moment(as_of, "as_of")
        state = reader.case(case_id) if moment is None else reader.case_as_of(case_id, moment)
        return as_json(case_json(state), headers={"ETag": f'"{state.version}"'})

    @app.get("/cases/{case_id}/history", tags=tags, response_model=None,
             responses={**READ_ERRORS, 200: {"description": "The events, oldest first (with "
                                             "metadata=true: EventMetadataDocument items).",
                                             "content": {"application/json": {"schema": {
                                                 "type": "array", "items": {"anyOf": [
                                                     {"$ref": "#/components/schemas/EventDocument"},
                                                     {"$ref": "#/components/schemas/EventMetadataDocument"},
                                                 ]}}}}}},
             summary="Every event of the case, oldest first (metadata=true: no personal "
             "fields, no purpose needed; an auditor's read).")
    @serialised
    def case_history(request: Request, case_id: UUID, metadata: bool = False,
                     purpose: str | None = PurposeQuery) -> Response:
        from stafet.cli.render import event_json

        reader = reader_for(request, purpose)
        if metadata:
            return as_json([asdict(m) for m in reader.history_metadata(case_id)])
        return as_json([event_json(e) for e in reader.history(case_id)])

    @app.get("/cases/{case_id}/timeline", tags=tags, response_model=list[Hold],
             responses=READ_ERRORS, summary="Who held the baton, from when to when.")
    @serialised
    def case_timeline(request: Request, case_id: UUID,
                      purpose: str | None = PurposeQuery) -> Response:
        holds = reader_for(request, purpose).timeline(case_id).holds
        return as_json([h.model_dump(mode="json") for h in holds])

    @app.get("/cases/{case_id}/consents", tags=tags, response_model=list[ConsentRow],
             responses=READ_ERRORS, summary="The case's consents and their status now.")
    @serialised
    def case_consents(request: Request, case_id: UUID,
                      purpose: str | None = PurposeQuery) -> Response:
        rows = reader_for(request, purpose).consents(case_id)
        return as_json([r.model_dump(mode="json") for r in rows])

    @app.get("/cases", tags=tags, response_model=list[CaseRow], responses=READ_ERRORS,
             summary="The cases the caller sees, oldest first (a team leader's without "
             "personal content).")
    @serialised
    def case_list(request: Request, holder: str | None = None, org: str | None = None,
                  status: Literal["open", "closed"] | None = None, flag: str | None = None,
                  purpose: str | None = PurposeQuery) -> Response:
        where = _filter(CaseFilter, holder=holder, org=org, status=status, flag=flag)
        rows = reader_for(request, purpose).case_list(where)
        return as_json([r.model_dump(mode="json") for r in rows])

    @app.get("/attention", tags=tags, response_model=Attention, responses=READ_ERRORS,
             summary="What needs attention (SPEC §9), as far as the caller sees.")
    @serialised
    def attention(request: Request, holder: str | None = None, org: str | None = None,
                  flag: str | None = None, as_of: str | None = None,
                  purpose: str | None = PurposeQuery) -> Response:
        where = _filter(AttentionFilter, holder=holder, org=org, flag=flag)
        answer = reader_for(request, purpose).attention(where, at=_moment(as_of, "as_of"))
        return as_json(answer.model_dump(mode="json"))

    @app.get("/caseload", tags=tags, response_model=list[CaseloadRow], responses=READ_ERRORS,
             summary="Active cases per coordinator (own, and a team leader's organisation's).")
    @serialised
    def caseload(request: Request) -> Response:
        return as_json([r.model_dump(mode="json") for r in reader_for(request).caseload()])

    @app.get("/export/tables/{name}", tags=tags, response_model=TableDocument,
             responses=READ_ERRORS, summary="A read model's rows of the caller's cases.")
    @serialised
    def export_table(request: Request, name: str,
                     purpose: str | None = PurposeQuery) -> Response:
        exported = reader_for(request, purpose).export_table(name)
        return as_json({"table": exported.name, "columns": exported.columns,
                        "rows": list(exported.rows)})

    @app.get("/export/events", tags=tags, responses={
        **READ_ERRORS, 200: {"description": "One event a line (JSON Lines), in log order.",
                             "content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
        summary="The raw events of the caller's cases, in log order (JSON Lines).")
    @serialised
    def export_events(request: Request, purpose: str | None = PurposeQuery) -> Response:
        from stafet.cli.render import event_json, json_default

        serial = services_of(request).serial
        events = reader_for(request, purpose).export_events()

        def lines() -> Iterator[bytes]:
            while True:
                with serial:  # read in batches as it streams, after the route returned
                    e = next(events, None)
                if e is None:
                    return
                row = {"notification_id": e.notification_id,
                       "case_id": str(e.event.originator_id), **event_json(e.event)}
                yield (json.dumps(row, ensure_ascii=False, default=json_default)
                       + "\n").encode("utf-8")

        return StreamingResponse(lines(), media_type="application/x-ndjson")

    @app.get("/verify", tags=tags, responses={**READ_ERRORS, 200: {
        "description": "The verification (ok, count, head, problem, access_log).",
        "content": {"application/json": {"schema": {"type": "object"}}}}},
        summary="Recompute the hash chains (an auditor's, the DPO's or an administrator's).")
    @serialised
    def verify(request: Request) -> Response:
        caller = authenticated(request)
        found = services_of(request).ledger.verify(actor=caller.actor)
        return as_json(found.as_json())

    @app.get("/access-log", tags=tags, response_model=list[AccessEntryDocument],
             responses=READ_ERRORS, summary="Who read what, when and why (about one citizen: "
             "their side or the DPO; all of it: the DPO).")
    @serialised
    def access_log(request: Request, subject: str | None = Query(None, description="The "
                                                                  "citizen's reference."),
                   purpose: str | None = PurposeQuery) -> Response:
        entries = reader_for(request, purpose).access_log(subject)
        return as_json([e.as_json() for e in entries])

    @app.get("/roles", tags=tags, response_model=list[RoleDocument], responses=READ_ERRORS,
             summary="Who holds which role (an administrator's, auditor's or the DPO's read).")
    @serialised
    def roles(request: Request) -> Response:
        caller = authenticated(request)
        held = services_of(request).ledger.list_roles(actor=caller.actor)
        return as_json([{"person": who, **g.model_dump(mode="json")}
                        for who, grants in sorted(held.grants.items()) for g in grants])
