"""Errors as ``application/problem+json`` (RFC 9457): the rule's sentence and its code.

| what went wrong | status |
|---|---|
| the body is not JSON, or a header or parameter is malformed | 400 |
| no identity, or one that does not verify | 401 |
| refused by the authorisation policy (``NotAllowed``) | 403 |
| a read of a case the caller takes no part in (``read.not_participant``) | 404, as for no case |
| no such case (``CaseNotFound``) | 404 |
| refused by a rule (``RuleViolation``), or a concurrent change retrying could not get past | 409 |
| ``If-Match`` names a version the case is no longer at (``StaleVersion``) | 412 |
| a field of the command does not validate (``InvalidCommand``), naming the field | 422 |
| the database cannot be reached just now | 503, with ``Retry-After`` |
| anything else (a bug) | 500, no details; they are logged, without personal data |

A read refused because the caller takes no part in the case answers 404, as if the case did
not exist: a stranger may not learn which case ids are in use.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field
from starlette.responses import Response

from stafet.domain.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    InvalidCommand,
    NotAllowed,
    RuleViolation,
    StafetError,
    StaleVersion,
)
from stafet.http.identity import IdentityUnavailable, Unauthenticated
from stafet.storage.failures import StoreUnavailable, StoreUnusable, explain

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("stafet.http")

# Codes of refusals that hide the case: the caller may not learn it exists.
HIDING_CODES = frozenset({"read.not_participant"})


class Problem(BaseModel):
    """An RFC 9457 problem: ``detail`` is the one sentence, ``code`` the rule's stable code."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str = Field(description="The HTTP status in words.")
    status: int
    detail: str = Field(description="One sentence saying what was refused and why.")
    code: str = Field(description="The rule's (or the check's) stable code, e.g. "
                      "baton.release_without_grab, identity.expired.")
    field: str | None = Field(None, description="For 422: the field that failed.")


def problem(status: int, detail: str, code: str, *, field: str | None = None,
            headers: dict[str, str] | None = None) -> Response:
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": f"urn:stafet:problem:{phrase.lower().replace(' ', '-')}",
        "title": phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if field is not None:
        body["field"] = field
    return Response(json.dumps(body, ensure_ascii=False).encode("utf-8"), status_code=status,
                    media_type=PROBLEM_JSON, headers=headers)


def sentence(message: str) -> str:
    """The domain's sentences end without a full stop (the CLI adds 'Refused: '); HTTP's
    detail is a sentence on its own."""
    text = message.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def from_error(error: BaseException, retry_after: int = 5, case_id: str | None = None,
               ) -> Response:
    """The problem for any exception a request raised (``case_id``: the case the request
    named, so a hidden case answers exactly as a missing one)."""
    if isinstance(error, Unauthenticated):
        return problem(401, sentence(error.message), error.code,
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'
                                if error.code != "identity.missing" else "Bearer"})
    if isinstance(error, IdentityUnavailable):
        return problem(503, sentence(str(error)), "identity.unavailable",
                       headers={"Retry-After": str(retry_after)})
    known = error if isinstance(error, StafetError) else explain(error)
    if isinstance(known, StoreUnavailable):
        log.warning("the database is unavailable: %s", known.message)
        return problem(503, "The database could not be reached just now; what was acknowledged "
                       "before is kept. Try again.", "database.unavailable",
                       headers={"Retry-After": str(retry_after)})
    if isinstance(known, StoreUnusable):
        # The operator's to fix (a setting, a damaged store): said in the server's log, where
        # the paths and names it gives belong; the caller learns only that it is unusable.
        log.error("the database cannot be used: %s", known.message)
        return problem(503, "The ledger's database cannot be used as it is configured; the "
                       "operator must fix it.", known.code)
    if isinstance(error, StafetError):
        cause = getattr(error, "cause", error)  # a batch line's error carries its cause
        detail = sentence(error.message)
        if isinstance(cause, NotAllowed):
            if cause.code in HIDING_CODES:
                return problem(404, sentence(f"there is no case {case_id or ''}".strip()),
                               CaseNotFound.code)
            return problem(403, detail, cause.code)
        if isinstance(cause, StaleVersion):
            return problem(412, detail, cause.code)
        if isinstance(cause, RuleViolation | ConcurrencyConflict):
            return problem(409, detail, cause.code)
        if isinstance(cause, CaseNotFound):
            return problem(404, detail, cause.code)
        if isinstance(cause, InvalidCommand):
            return problem(422, detail, cause.code, field=cause.field)
        return problem(400, detail, cause.code)
    # A bug. The traceback goes to the server's log (exception types and code lines, not the
    # request's data); the caller gets no details.
    log.error("unexpected %s", type(error).__name__, exc_info=(type(error), error,
                                                               error.__traceback__))
    return problem(500, "Something unexpected went wrong; the details are in the server's log.",
                   "internal")


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route may give."""
    words = {
        400: "Malformed input (JSON, header or parameter).",
        401: "No identity, or one that does not verify.",
        403: "Refused by the authorisation policy.",
        404: "No such case (or one the caller may not know of).",
        409: "Refused by a rule, or by a concurrent change.",
        412: "If-Match names a version the case is no longer at.",
        422: "A field does not validate.",
        503: "The database cannot be reached just now (see Retry-After).",
        500: "A bug; no details are given.",
    }
    return {s: {"description": words[s], "content": {PROBLEM_JSON: {
        "schema": {"$ref": "#/components/schemas/Problem"}}}} for s in statuses}
