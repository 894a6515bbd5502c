"""Signing in to the web view through an identity gateway: a session for the person the
gateway's header names, only from the gateway's address (docs/http.md)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http.server import Server
from tests.web.conftest import PETER, make_store
from tests.web.visitor import Visitor

pytestmark = [pytest.mark.process]


@pytest.fixture(scope="module")
def gateway_server(web_workdir: Path) -> Iterator[Server]:
    url = f"sqlite:///{web_workdir / f'gateway-{uuid.uuid4().hex[:6]}.db'}"
    make_store(url)
    server = Server(url, web_workdir, dev=False, args=[
        "--trusted-header", "X-Stafet-Actor", "--trusted-proxy", "127.0.0.1"]).start()
    yield server
    server.stop()


def test_a_session_from_the_gateways_header(gateway_server: Server) -> None:
    visitor = Visitor(gateway_server.url)
    page = visitor.get("/sign-in").text
    assert "/sign-in/gateway" in page and 'name="actor"' not in page
    assert visitor.get("/sign-in/gateway").status_code == 401  # no header: no one
    answer = visitor.get("/sign-in/gateway", headers={"X-Stafet-Actor": PETER})
    assert answer.status_code == 303 and answer.headers["location"].startswith("/purpose")
    answer = visitor.post("/purpose", {"csrf": visitor.csrf("/purpose"),
                                       "purpose_other": "koordinere forløbet", "next": "/"})
    assert answer.status_code == 303
    home = visitor.get("/")  # the session, not the header, carries Peter from here on
    assert home.status_code == 200 and PETER in home.text and "Samlet forløb" in home.text
