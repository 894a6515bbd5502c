"""Writes: one POST a command verb (SPEC §11), taking the same body as a `stafet apply` line.

    POST /cases                                  case.open
    POST /cases/{case_id}/commands/{name}        every other command, e.g. baton.hand

The body is the command's fields (``COMMANDS[name]``'s pydantic schema, in the OpenAPI
description as ``<Command>Body``) without ``case_id`` (the path says it) and with ``actor``
optional: it is the caller's, and a body naming anybody else is refused (403). The body is
validated by the domain (``build_command``), so a refusal names the field exactly as the
command line does.

``Idempotency-Key`` becomes the command id: sent again, the command is stored once and the
first answer comes back. The answer's ``ETag`` is the case's new version; ``If-Match`` with a
version makes the command conditional on the case being at that version when it is decided
(inside the unit of work, so no other write slips in between): 412 if it is not.
"""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

from fastapi import FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from starlette.responses import Response

from stafet.application.unit_of_work import CommandResult
from stafet.domain.commands import COMMANDS, Command, build_command, valid_actor
from stafet.domain.errors import InvalidCommand, NotAllowed, StafetError
from stafet.http.identity import Caller
from stafet.http.problems import responses
from stafet.http.reads import authenticated, services_of

WRITE_ERRORS = responses(400, 401, 403, 404, 409, 412, 422, 503)
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,12})"?$')


def body_schemas() -> dict[str, Any]:
    """``<Command>Body`` for every command, and the models they refer to, for OpenAPI."""
    schemas: dict[str, Any] = {}
    for name, cls in COMMANDS.items():
        schema = cls.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schema["properties"].pop("case_id", None)
        schema["properties"]["actor"]["description"] = (
            "Who acts: the caller's identity fills it; naming anyone else is refused (403).")
        schema["required"] = [f for f in schema.get("required", []) if f not in
                              ("actor", "case_id")]
        schema["title"] = f"{cls.__name__}Body"
        schema["description"] = (cls.__doc__ or f"The {name} command.").strip()
        schemas[body_name(name)] = schema
    return schemas


def body_name(name: str) -> str:
    return f"{COMMANDS[name].__name__}Body"


def register(app: FastAPI) -> None:
    for name in COMMANDS:
        _register(app, name)


def _register(app: FastAPI, name: str) -> None:
    cls = COMMANDS[name]
    body = {"requestBody": {"required": False, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{body_name(name)}"}}}}}
    summary = (cls.__doc__ or name).strip().splitlines()[0]
    operation = name.replace(".", "_").replace("-", "_")

    if name == "case.open":
        async def open_case(
            request: Request,
            idempotency_key: str | None = Header(None, description="Becomes the command id: "
                                                 "a repeated request is stored once."),
        ) -> Response:
            caller = await run_in_threadpool(authenticated, request)
            return await _execute(request, caller, name, None, idempotency_key, None)

        app.post("/cases", tags=["commands"], operation_id=operation, summary=summary,
                 status_code=201, response_model=CommandResult, responses={
                     200: {"model": CommandResult,
                           "description": "Sent before (same Idempotency-Key): the first answer."},
                     **WRITE_ERRORS},
                 openapi_extra=body)(open_case)
        return

    async def case_command(
        request: Request,
        case_id: UUID,
        idempotency_key: str | None = Header(None, description="Becomes the command id: a "
                                             "repeated request is stored once."),
        if_match: str | None = Header(None, description='The case version the command is '
                                      'decided on, e.g. "7" (the ETag of a read or write).'),
    ) -> Response:
        caller = await run_in_threadpool(authenticated, request)
        return await _execute(request, caller, name, case_id, idempotency_key, if_match)

    app.post(f"/cases/{{case_id}}/commands/{name}", tags=["commands"], operation_id=operation,
             summary=summary, response_model=CommandResult, responses=WRITE_ERRORS,
             openapi_extra=body)(case_command)


async def _execute(request: Request, caller: Caller, name: str, case_id: UUID | None,
                   idempotency_key: str | None, if_match: str | None) -> Response:
    fields = _fields(await request.body())
    command = command_for(caller, name, fields, case_id, idempotency_key)
    expected = _expected_version(if_match)
    services = services_of(request)
    ledger = services.ledger
    result: CommandResult = await run_in_threadpool(services.call, lambda: ledger.execute(
        command, expected_version=expected))
    services.feed.wake()
    headers = {"ETag": f'"{result.version}"'}
    status = 200
    if name == "case.open":
        headers["Location"] = f"/cases/{result.case_id}"
        status = 200 if result.replayed else 201
    return Response(result.model_dump_json().encode("utf-8"), status_code=status,
                    media_type="application/json", headers=headers)


def _fields(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        fields = json.loads(raw)
    except (ValueError, RecursionError):
        raise _Malformed("the request body is not JSON") from None
    if not isinstance(fields, dict):
        raise _Malformed("the request body must be a JSON object of the command's fields")
    return fields


class _Malformed(StafetError):
    """Not JSON at all: a 400, not a field that failed (422)."""

    code = "http.malformed_body"


def command_for(caller: Caller, name: str, fields: dict[str, Any], case_id: UUID | None,
                idempotency_key: str | None = None) -> Command:
    """The command ``name`` from a caller's fields: the actor is the caller (a body naming
    anybody else is refused), the role the identity's unless given, the case the path's.
    Validated by the domain (``build_command``). The web view's forms use it too."""
    if "actor" in fields and fields["actor"] is not None:
        try:
            named = valid_actor(fields["actor"]) if isinstance(fields["actor"], str) else None
        except InvalidCommand:
            named = None
        if named != caller.actor:
            raise NotAllowed(f"{caller.actor} (you) may act only as yourself, not as "
                             f"{fields['actor']}", code="identity.actor_mismatch")
    fields = {**fields, "actor": caller.actor}
    if caller.actor_role and not fields.get("actor_role"):
        fields["actor_role"] = caller.actor_role
    if case_id is not None:
        if "case_id" in fields and str(fields["case_id"]) != str(case_id):
            raise InvalidCommand("field 'case_id' differs from the case in the path; leave it "
                                 "out of the body.", field="case_id")
        fields["case_id"] = str(case_id)
    if idempotency_key is not None:
        if fields.get("command_id") not in (None, idempotency_key):
            raise InvalidCommand("field 'command_id' differs from the Idempotency-Key header; "
                                 "give one of them.", field="command_id")
        fields["command_id"] = idempotency_key
    return build_command(name, fields)


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    found = _ETAG.match(if_match.strip())
    if not found:
        raise _BadHeader('If-Match must be a case version as the ETag gives it, e.g. "7".')
    return int(found.group(1))


class _BadHeader(StafetError):
    code = "http.bad_header"
