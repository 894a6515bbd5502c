"""How each error becomes a problem (RFC 9457), in memory; and a server whose database cannot
be reached answers 503 with Retry-After (a real process)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import httpx
import psycopg
import pytest

from stafet.domain.errors import (
    CaseNotFound,
    ConcurrencyConflict,
    InvalidCommand,
    NotAllowed,
    RuleViolation,
    StaleVersion,
)
from stafet.http.identity import IdentityUnavailable, Unauthenticated
from stafet.http.problems import PROBLEM_JSON, from_error
from tests.http.server import Server

CASE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


@pytest.mark.parametrize("error, status, code", [
    (Unauthenticated("the token has expired", "identity.expired"), 401, "identity.expired"),
    (NotAllowed("eva@udenfor (you) is not an active participant of this case",
                code="participant.unknown"), 403, "participant.unknown"),
    (NotAllowed("eva@udenfor takes no part in this case, so may not read it",
                code="read.not_participant"), 404, "not_found"),
    (CaseNotFound(f"there is no case {CASE}"), 404, "not_found"),
    (RuleViolation("no other authority has taken the baton yet",
                   code="baton.release_before_grab"), 409, "baton.release_before_grab"),
    (ConcurrencyConflict("another writer changed the case"), 409, "conflict"),
    (StaleVersion("the case is at version 4, not 3"), 412, "stale_version"),
    (InvalidCommand("note: field 'text' is required.", field="text"), 422, "invalid"),
    (psycopg.OperationalError("connection refused"), 503, "database.unavailable"),
    (IdentityUnavailable("the keys could not be fetched"), 503, "identity.unavailable"),
    (RuntimeError("a bug with borger-4711 in its message"), 500, "internal"),
])
def test_each_error_is_a_problem(error: Exception, status: int, code: str) -> None:
    answer = from_error(error, retry_after=7, case_id=CASE)
    body = json.loads(bytes(answer.body))
    assert answer.status_code == status and answer.media_type == PROBLEM_JSON
    assert body["status"] == status and body["code"] == code
    assert body["type"].startswith("urn:stafet:problem:") and body["title"]
    assert body["detail"].endswith(".")
    if status == 503:
        assert answer.headers["retry-after"] == "7"
    if status == 422:
        assert body["field"] == "text"
    if status == 500:
        assert "borger-4711" not in body["detail"] and "Traceback" not in body["detail"]


def test_a_hidden_case_answers_as_a_missing_one() -> None:
    hidden = from_error(NotAllowed("x takes no part", code="read.not_participant"), case_id=CASE)
    missing = from_error(CaseNotFound(f"there is no case {CASE}"), case_id=CASE)
    assert bytes(hidden.body) == bytes(missing.body)


@pytest.mark.process
def test_no_database_is_503_with_retry_after() -> None:
    with tempfile.TemporaryDirectory(prefix="stafet-http-503-") as folder:
        server = Server("postgresql+psycopg://postgres@127.0.0.1:9/nowhere", Path(folder)).start()
        try:
            answer = httpx.get(server.url + "/cases", timeout=30, headers={
                "Authorization": f"Bearer {server.token('anne@jobcenter')}",
                "X-Stafet-Purpose": "opfølgning".encode()})
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"] == "5"
            assert answer.json()["code"] == "database.unavailable"
            assert "Traceback" not in server.log()
        finally:
            server.stop()
