"""Signing in with an identity provider (OIDC, authorization code with PKCE) against a tiny
issuer served by the test over real HTTP: discovery, JWKS, an authorize endpoint that signs
the person in at once, a token endpoint that checks the PKCE verifier and signs an RS256 ID
token. The server runs without the dev identity, with a short idle and absolute session
time, so the sessions' end is seen too."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Browser, expect

from tests.http.server import Server
from tests.web.conftest import make_store, new_context
from tests.web.visitor import Visitor

pytestmark = [pytest.mark.process]

CLIENT_ID = "stafet-web"
ANNE = "anne@jobcenter-odense"
IDLE_SECONDS, ABSOLUTE_SECONDS = 3.0, 9.0


@dataclass
class FakeIssuer:
    """An identity provider on 127.0.0.1: it knows one person and signs them in at once."""

    actor: str = ANNE
    nonce_override: str | None = None
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(
        public_exponent=65537, key_size=2048))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeIssuer:
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def answer(self, status: int, body: Any = None,
                       headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self.answer(200, {"issuer": issuer.url,
                                      "authorization_endpoint": issuer.url + "/authorize",
                                      "token_endpoint": issuer.url + "/token",
                                      "jwks_uri": issuer.url + "/jwks"})
                elif url.path == "/jwks":
                    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(
                        issuer.key.public_key()))
                    self.answer(200, {"keys": [{**jwk, "kid": "k1", "alg": "RS256",
                                                "use": "sig"}]})
                elif url.path == "/authorize":
                    issuer.authorize_requests.append(query)
                    code = secrets.token_urlsafe(16)
                    issuer.codes[code] = query
                    target = query["redirect_uri"] + "?" + urlencode(
                        {"code": code, "state": query["state"]})
                    self.answer(302, headers={"Location": target})
                else:
                    self.answer(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                issuer.token_requests.append(form)
                asked = issuer.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(
                    verifier.encode()).digest()).decode().rstrip("=")
                if asked is None or asked["code_challenge"] != challenge or \
                        form.get("client_id") != asked["client_id"] or \
                        form.get("redirect_uri") != asked["redirect_uri"]:
                    self.answer(400, {"error": "invalid_grant"})
                    return
                now = int(time.time())
                token = jwt.encode(
                    {"iss": issuer.url, "aud": asked["client_id"], "sub": "a9f3-opaque",
                     "stafet_actor": issuer.actor, "iat": now, "exp": now + 300,
                     "nonce": issuer.nonce_override or asked["nonce"]},
                    issuer.key, algorithm="RS256", headers={"kid": "k1"})
                self.answer(200, {"id_token": token, "access_token": "opaque",
                                  "token_type": "Bearer", "expires_in": 300})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture(scope="module")
def issuer() -> Iterator[FakeIssuer]:
    the_issuer = FakeIssuer().start()
    yield the_issuer
    the_issuer.stop()


@pytest.fixture(scope="module")
def oidc_server(issuer: FakeIssuer, web_workdir: Path) -> Iterator[Server]:
    url = f"sqlite:///{web_workdir / f'oidc-{uuid.uuid4().hex[:6]}.db'}"
    make_store(url)
    server = Server(url, web_workdir, dev=False, args=[
        "--jwks-url", issuer.url + "/jwks", "--issuer", issuer.url, "--audience", "stafet",
        "--actor-claim", "stafet_actor"], env={
        "STAFET_HTTP_OIDC_CLIENT_ID": CLIENT_ID,
        "STAFET_HTTP_WEB_IDLE_MINUTES": str(IDLE_SECONDS / 60),
        "STAFET_HTTP_WEB_ABSOLUTE_HOURS": str(ABSOLUTE_SECONDS / 3600)}).start()
    yield server
    server.stop()


def oidc_sign_in(visitor: Visitor, issuer: FakeIssuer) -> None:
    """The redirects a browser follows, by hand: stafet -> issuer -> stafet -> purpose."""
    start = visitor.get("/sign-in/oidc")
    assert start.status_code == 303 and start.headers["location"].startswith(issuer.url)
    at_issuer = visitor.client.get(start.headers["location"])
    back = urlsplit(at_issuer.headers["location"])
    answer = visitor.get(f"{back.path}?{back.query}")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/purpose"), \
        answer.text
    answer = visitor.post("/purpose", {"csrf": visitor.csrf("/purpose"),
                                       "purpose": "koordinere forløbet", "next": "/"})
    assert answer.status_code == 303


def test_signing_in_with_the_issuer_in_the_browser(browser: Browser, issuer: FakeIssuer,
                                                   oidc_server: Server) -> None:
    context = new_context(browser)
    try:
        page = context.new_page()
        page.goto(oidc_server.url + "/")
        expect(page.locator("#actor")).to_have_count(0)  # no dev sign-in on this server
        page.click("a[href^='/sign-in/oidc']")
        expect(page.locator("h1")).to_have_text("Vælg formål")
        page.click("main button[type=submit]")
        expect(page.locator("h1")).to_have_text("Mine forløb")
        expect(page.locator("header")).to_contain_text(ANNE)
    finally:
        context.close()
    asked = issuer.authorize_requests[-1]
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert "openid" in asked["scope"].split()
    sent = issuer.token_requests[-1]
    assert sent["grant_type"] == "authorization_code" and len(sent["code_verifier"]) >= 43


def test_a_callback_that_is_not_this_sign_in_is_refused(issuer: FakeIssuer,
                                                        oidc_server: Server) -> None:
    visitor = Visitor(oidc_server.url)
    start = visitor.get("/sign-in/oidc")
    at_issuer = visitor.client.get(start.headers["location"])
    back = urlsplit(at_issuer.headers["location"])
    code = parse_qs(back.query)["code"][0]
    # another state (a forged or stale link): refused, no session
    answer = visitor.get(f"{back.path}?{urlencode({'code': code, 'state': 'other'})}")
    assert answer.status_code == 400 and visitor.get("/").status_code == 303
    # a browser that started no sign-in at all
    stranger = Visitor(oidc_server.url)
    assert stranger.get(f"{back.path}?{back.query}").status_code == 400
    # an ID token for another sign-in (its nonce): refused
    issuer.nonce_override = "another sign-in"
    try:
        visitor = Visitor(oidc_server.url)
        start = visitor.get("/sign-in/oidc")
        back = urlsplit(visitor.client.get(start.headers["location"]).headers["location"])
        answer = visitor.get(f"{back.path}?{back.query}")
        assert answer.status_code == 401 and "nonce" in answer.text
    finally:
        issuer.nonce_override = None
    assert visitor.get("/").status_code == 303


def test_the_dev_sign_in_is_refused_without_the_dev_identity(issuer: FakeIssuer,
                                                             oidc_server: Server) -> None:
    visitor = Visitor(oidc_server.url)
    page = visitor.get("/sign-in")
    assert 'name="actor"' not in page.text and "/sign-in/oidc" in page.text
    oidc_sign_in(visitor, issuer)  # a session with a CSRF token, to send a well-formed form
    answer = visitor.post("/sign-in", {"csrf": visitor.csrf("/"), "actor": "it@kommunen",
                                       "purpose_other": "koordinere"})
    assert answer.status_code == 403 and "Demo-login er slået fra" in answer.text
    assert ANNE in visitor.get("/").text  # still Anne: nobody became it@kommunen


@pytest.mark.slow
def test_sessions_end_when_idle_and_at_their_age(issuer: FakeIssuer,
                                                 oidc_server: Server) -> None:
    visitor = Visitor(oidc_server.url)
    oidc_sign_in(visitor, issuer)
    assert visitor.get("/").status_code == 200
    time.sleep(IDLE_SECONDS + 1)
    answer = visitor.get("/")
    assert answer.status_code == 303 and "ended=1" in answer.headers["location"]

    oidc_sign_in(visitor, issuer)
    began = time.monotonic()
    while time.monotonic() - began < ABSOLUTE_SECONDS - 1.5:  # busy, never idle
        assert visitor.get("/").status_code == 200
        time.sleep(0.5)
    time.sleep(2.5)
    answer = visitor.get("/")
    assert answer.status_code == 303 and "ended=1" in answer.headers["location"]
