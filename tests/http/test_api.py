"""The API against a real `stafet serve` process, on SQLite and PostgreSQL: writes, refusals
as problems, idempotency, ETag / If-Match, reads with a purpose, and who sees what."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from stafet import Ledger
from tests.http.server import PURPOSE, Server

pytestmark = [pytest.mark.process]

ANNE, BO, EVA, CITIZEN = ("anne@jobcenter", "bo@socialcenter", "eva@udenfor",
                          "borger@k7q2m9")


def problem(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"] and body["title"] and body["type"]
    if code is not None:
        assert body["code"] == code, body
    return body


def open_case(server: Server, title: str = "Vejen til uddannelse", **extra: Any) -> str:
    with server.client(ANNE) as anne:
        opened = anne.post("/cases", json={"subject_ref": f"borger-{uuid.uuid4().hex[:6]}",
                                           "subject_kind": "adult", "title": title,
                                           "temporary": False, **extra})
        assert opened.status_code == 201, opened.text
        assert opened.headers["location"] == f"/cases/{opened.json()['case_id']}"
        case_id: str = opened.json()["case_id"]
        joined = anne.post(f"/cases/{case_id}/commands/case.join",
                           json={"participant": BO, "kind": "authority"})
        assert joined.status_code == 200, joined.text
    return case_id


def test_the_baton_over_http(server: Server, store_url: str) -> None:
    case_id = open_case(server)
    with server.client(ANNE) as anne, server.client(BO) as bo:
        handed = anne.post(f"/cases/{case_id}/commands/baton.hand", json={"to": BO})
        assert handed.status_code == 200 and handed.headers["etag"] == '"3"'
        refused = anne.post(f"/cases/{case_id}/commands/baton.release")
        body = problem(refused, 409, "baton.release_before_grab")
        assert "no other authority has taken the baton yet" in body["detail"]
        assert bo.post(f"/cases/{case_id}/commands/baton.grab").status_code == 200
        assert anne.post(f"/cases/{case_id}/commands/baton.release").status_code == 200
        shown = bo.get(f"/cases/{case_id}")
        assert shown.status_code == 200, shown.text
        assert shown.json()["holder"] == BO and shown.json()["version"] == 5
        assert shown.headers["etag"] == '"5"'
        history = bo.get(f"/cases/{case_id}/history").json()
        assert [e["type"] for e in history] == ["CaseOpened", "ParticipantJoined",
                                                "BatonHanded", "BatonGrabbed", "BatonReleased"]
        timeline = bo.get(f"/cases/{case_id}/timeline").json()
        assert [h["holder"] for h in timeline] == [ANNE, BO]
    with Ledger(store_url) as ledger:  # the refused release stored nothing
        assert ledger.get_case(case_id).version == 5


def test_bad_input_names_the_field(server: Server) -> None:
    case_id = open_case(server)
    with server.client(ANNE) as anne:
        body = problem(anne.post(f"/cases/{case_id}/commands/baton.hand", json={"to": 5}),
                       422, "invalid")
        assert body["field"] == "to" and "'to'" in body["detail"]
        body = problem(anne.post(f"/cases/{case_id}/commands/note", json={"text": "x",
                                                                         "colour": "red"}),
                       422, "invalid")
        assert body["field"] == "colour"
        problem(anne.post(f"/cases/{case_id}/commands/note", content=b'{"text": '), 400,
                "http.malformed_body")
        problem(anne.post(f"/cases/{case_id}/commands/note", content=b"[1, 2]"), 400)
        problem(anne.get("/cases/not-a-case"), 400, "http.bad_parameter")
        # (schemathesis found these on PostgreSQL: NUL in a filter or a purpose was a 500)
        assert problem(anne.get("/attention", params={"flag": "a\x00b"}), 400,
                       "http.bad_parameter")["field"] == "flag"
        problem(anne.get("/cases", params={"purpose": "for\x00målet"}), 400)
        problem(anne.get("/access-log", params={"subject": "borger\x00"}), 400)
        problem(anne.post(f"/cases/{case_id}/commands/note", json={"text": "x"},
                          headers={"If-Match": "yesterday"}), 400, "http.bad_header")
        # Danish letters and odd Unicode are data
        text = "Mødet flyttes – æøå ÆØÅ 🙂 \u200b"
        assert anne.post(f"/cases/{case_id}/commands/note", json={"text": text}
                         ).status_code == 200
        notes = [e for e in anne.get(f"/cases/{case_id}/history").json() if e["type"] ==
                 "NoteLogged"]
        assert notes[-1]["data"]["text"] == text


def test_who_may_do_what(server: Server) -> None:
    case_id = open_case(server)
    with server.client(EVA) as eva, server.client(ANNE) as anne:
        # a write by a non-participant: refused by the policy
        problem(eva.post(f"/cases/{case_id}/commands/note", json={"text": "hej"}), 403,
                "participant.unknown")
        # a read by a stranger: as if the case did not exist
        hidden = problem(eva.get(f"/cases/{case_id}"), 404, "not_found")
        missing = problem(eva.get(f"/cases/{uuid.uuid4()}"), 404, "not_found")
        assert hidden.keys() == missing.keys()
        assert hidden["detail"] == f"there is no case {case_id}."
        problem(eva.get(f"/cases/{case_id}/history"), 404)
        # acting as somebody else
        problem(anne.post(f"/cases/{case_id}/commands/note",
                          json={"text": "hej", "actor": BO}), 403, "identity.actor_mismatch")
        # the same actor, written otherwise, is the caller
        assert anne.post(f"/cases/{case_id}/commands/note",
                         json={"text": "hej", "actor": "Anne@Jobcenter"}).status_code == 200
        # integrity is an auditor's: refused for a caseworker
        problem(anne.get("/verify"), 403, "role.required")


def test_a_citizen_sees_only_their_own_case(server: Server) -> None:
    theirs = open_case(server, "Borgerens eget forløb")
    other = open_case(server, "En andens forløb")
    with server.client(ANNE) as anne:
        assert anne.post(f"/cases/{theirs}/commands/case.join",
                         json={"participant": CITIZEN, "kind": "citizen"}).status_code == 200
    with server.client(CITIZEN) as citizen:
        assert citizen.get(f"/cases/{theirs}").json()["title"] == "Borgerens eget forløb"
        problem(citizen.get(f"/cases/{other}"), 404)
        listed = citizen.get("/cases").json()
        assert [row["case_id"] for row in listed] == [theirs]
        page = citizen.get("/events", params={"after": 0, "limit": 1000}).json()
        assert {e["case_id"] for e in page["events"]} == {theirs}


def test_idempotency_key_and_if_match(server: Server, store_url: str) -> None:
    case_id = open_case(server)
    with server.client(ANNE) as anne:
        key = f"note-{uuid.uuid4().hex}"
        first = anne.post(f"/cases/{case_id}/commands/note", json={"text": "én gang"},
                          headers={"Idempotency-Key": key})
        again = anne.post(f"/cases/{case_id}/commands/note", json={"text": "én gang"},
                          headers={"Idempotency-Key": key})
        assert first.status_code == again.status_code == 200
        assert again.json() == {**first.json(), "replayed": True}
        problem(anne.post(f"/cases/{case_id}/commands/note", json={"text": "en anden"},
                          headers={"Idempotency-Key": key}), 409, "command.id_reused")
        opened_key = f"open-{uuid.uuid4().hex}"
        body = {"subject_ref": "borger-idem", "subject_kind": "adult", "title": "Én gang"}
        one = anne.post("/cases", json=body, headers={"Idempotency-Key": opened_key})
        two = anne.post("/cases", json=body, headers={"Idempotency-Key": opened_key})
        assert (one.status_code, two.status_code) == (201, 200)
        assert one.json()["case_id"] == two.json()["case_id"]

        version = int(anne.get(f"/cases/{case_id}").headers["etag"].strip('"'))
        stale = anne.post(f"/cases/{case_id}/commands/note", json={"text": "for sent"},
                          headers={"If-Match": f'"{version - 1}"'})
        problem(stale, 412, "stale_version")
        fresh = anne.post(f"/cases/{case_id}/commands/note", json={"text": "i tide"},
                          headers={"If-Match": f'"{version}"'})
        assert fresh.status_code == 200 and fresh.headers["etag"] == f'"{version + 1}"'
    with Ledger(store_url) as ledger:
        texts = [e.data().get("text") for e in ledger.history(case_id)]
        assert texts.count("én gang") == 1 and "for sent" not in texts


def test_reads_need_a_purpose_and_are_logged(server: Server) -> None:
    case_id = open_case(server)
    with server.client(BO, purpose=False) as bo:
        problem(bo.get(f"/cases/{case_id}"), 422)
        assert bo.get(f"/cases/{case_id}", params={"purpose": "forberede mødet"}
                      ).status_code == 200
        assert bo.get(f"/cases/{case_id}", headers=PURPOSE).status_code == 200
        assert bo.get("/caseload").status_code == 200  # counts: no purpose needed
        assert bo.get(f"/cases/{case_id}/history", params={"metadata": "true"}
                      ).status_code == 200
    with server.client("it@kommunen") as admin:
        assert admin.post("/cases", json={}).status_code == 422
    with Ledger(server.db_url) as ledger:
        ledger.grant_role(actor="it@kommunen", role="dpo", to="dpo@kommunen")
    with server.client("dpo@kommunen") as dpo:
        entries = dpo.get("/access-log").json()
        mine = [e for e in entries if e["actor"] == BO and e["case_id"] == case_id]
        assert {e["purpose"] for e in mine if e["action"] == "show"} == {
            "forberede mødet", "opfølgning på forløbet"}
        assert dpo.get("/verify").json()["ok"] is True
        assert any(r["person"] == "dpo@kommunen" for r in dpo.get("/roles").json())


def test_unknown_routes_and_methods_are_problems(server: Server) -> None:
    with server.client(ANNE) as anne:
        problem(anne.get("/nowhere"), 404)
        problem(anne.delete("/cases"), 405)
        assert anne.get("/openapi.json").json()["components"]["schemas"]["HandBatonBody"]
        assert anne.get("/docs").status_code == 200
