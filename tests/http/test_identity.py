"""Who is calling: bearer JWTs (dev key, a JWKS file, an issuer's JWKS URL, with rotation), a
trusted gateway's header, and a server that will not start without an identity configuration.
Identity does not depend on the backend: these run on SQLite."""

from __future__ import annotations

import http.server
import json
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from stafet import Ledger
from stafet.http.identity import ensure_dev_key, key_id, mint_dev_token
from tests.http.server import STAFET, Server

pytestmark = [pytest.mark.process]
ISSUER, AUDIENCE = "https://login.kommune.test", "stafet"


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stafet-http-id-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def db(workdir: Path) -> str:
    url = f"sqlite:///{workdir / 'stafet.db'}"
    with Ledger(url) as ledger:
        ledger.appoint_first_admin("it@kommunen")
    return url


@pytest.fixture(scope="module")
def dev_server(db: str, workdir: Path) -> Iterator[Server]:
    server = Server(db, workdir).start()
    yield server
    server.stop()


def whoami(server: Server, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(server.url + "/whoami", headers=headers, timeout=10)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["code"] == code, response.json()


def test_dev_tokens(dev_server: Server) -> None:
    key = ensure_dev_key(dev_server.key_file)
    ok = whoami(dev_server, bearer(mint_dev_token(key, "anne@jobcenter", role="tovholder")))
    assert ok.json() == {"actor": "anne@jobcenter", "actor_role": "tovholder", "via": "dev"}
    refused(whoami(dev_server, {}), "identity.missing")
    refused(whoami(dev_server, {"Authorization": "Basic YW5uZTpzZWNyZXQ="}), "identity.malformed")
    refused(whoami(dev_server, bearer("not.a.jwt")), "identity.malformed")
    refused(whoami(dev_server, bearer(mint_dev_token(key, "anne@jobcenter", ttl_seconds=60,
                                                     now=time.time() - 3600))),
            "identity.expired")
    refused(whoami(dev_server, bearer(mint_dev_token(key, "anne@jobcenter",
                                                     now=time.time() + 3600))),
            "identity.not_yet_valid")
    refused(whoami(dev_server, bearer(mint_dev_token(key, "anne@jobcenter", audience="other"))),
            "identity.wrong_audience")
    refused(whoami(dev_server, bearer(mint_dev_token(key, "anne@jobcenter", issuer="evil"))),
            "identity.wrong_issuer")
    refused(whoami(dev_server, bearer(mint_dev_token(key, "anne"))), "identity.no_actor")
    # signed with another key that claims the dev key's id
    forged = jwt.encode({"iss": "stafet-dev", "aud": "stafet", "sub": "anne@jobcenter",
                         "exp": int(time.time()) + 600}, Ed25519PrivateKey.generate(),
                        algorithm="EdDSA", headers={"kid": key_id(key)})
    refused(whoami(dev_server, bearer(forged)), "identity.bad_signature")
    # and with no signature at all
    unsigned = jwt.encode({"iss": "stafet-dev", "aud": "stafet", "sub": "anne@jobcenter",
                           "exp": int(time.time()) + 600}, None, algorithm="none",
                          headers={"kid": key_id(key)})
    refused(whoami(dev_server, bearer(unsigned)), "identity.bad_signature")


def test_the_dev_token_command(dev_server: Server) -> None:
    made = subprocess.run([STAFET, "--db", dev_server.db_url, "dev", "token", "--as",
                           "bo@socialcenter", "--ttl", "5m", "--signing-key", str(dev_server.key_file)],
                          capture_output=True, text=True, check=True)
    assert whoami(dev_server, bearer(made.stdout.strip())).json()["actor"] == "bo@socialcenter"


# -- an issuer's keys ---------------------------------------------------------------------------


def keypair(kind: str) -> tuple[Any, dict[str, Any], str]:
    """A private key, its public JWK (with kid and alg), and the algorithm."""
    if kind == "RS256":
        key: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    elif kind == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    else:
        key = Ed25519PrivateKey.generate()
        jwk = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    kid = f"{kind.lower()}-{time.monotonic_ns()}"
    jwk.update({"kid": kid, "alg": kind, "use": "sig"})
    return key, jwk, kind


def issued(key: Any, jwk: dict[str, Any], alg: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "anne@jobcenter", "iat": now, "exp": now + 600,
            **claims}
    return jwt.encode(body, key, algorithm=alg, headers={"kid": jwk["kid"]})


def test_a_jwks_file_with_three_algorithms_and_rotation(db: str, workdir: Path) -> None:
    keys = [keypair(kind) for kind in ("RS256", "ES256", "EdDSA")]
    jwks = workdir / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk for _, jwk, _ in keys]}))
    server = Server(db, workdir, dev=False, args=[
        "--jwks-file", str(jwks), "--issuer", ISSUER, "--audience", AUDIENCE,
        "--actor-claim", "email"]).start()
    try:
        for key, jwk, alg in keys:
            token = issued(key, jwk, alg, email="Anne@Jobcenter")
            assert whoami(server, bearer(token)).json() == {
                "actor": "anne@jobcenter", "actor_role": None, "via": "jwt"}, alg
        key, jwk, alg = keys[0]
        refused(whoami(server, bearer(issued(key, jwk, alg))), "identity.no_actor")  # no email
        refused(whoami(server, bearer(issued(key, jwk, alg, email="a@b", aud="x"))),
                "identity.wrong_audience")
        # rotation: the file now holds a new key only
        new = keypair("ES256")
        jwks.write_text(json.dumps({"keys": [new[1]]}))
        assert whoami(server, bearer(issued(*new, email="a@b"))).status_code == 200
        refused(whoami(server, bearer(issued(key, jwk, alg, email="a@b"))),
                "identity.unknown_key")
        # the dev key is not trusted here
        refused(whoami(server, bearer(mint_dev_token(Ed25519PrivateKey.generate(), "a@b"))),
                "identity.wrong_issuer")
    finally:
        server.stop()


class _Jwks(http.server.BaseHTTPRequestHandler):
    document: ClassVar[dict[str, Any]] = {"keys": []}
    fetches = 0

    def do_GET(self) -> None:
        type(self).fetches += 1
        body = json.dumps(type(self).document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_an_issuers_jwks_url_cached_and_rotated(db: str, workdir: Path) -> None:
    first = keypair("RS256")
    _Jwks.document = {"keys": [first[1]]}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Jwks)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/jwks"
    server = Server(db, workdir, dev=False, args=[
        "--jwks-url", url, "--issuer", ISSUER, "--audience", AUDIENCE]).start()
    try:
        for _ in range(5):
            assert whoami(server, bearer(issued(*first))).status_code == 200
        assert _Jwks.fetches == 1  # cached
        second = keypair("EdDSA")
        _Jwks.document = {"keys": [first[1], second[1]]}
        deadline = time.monotonic() + 15
        while (answer := whoami(server, bearer(issued(*second)))).status_code != 200:
            assert answer.json()["code"] == "identity.unknown_key"
            assert time.monotonic() < deadline, "the rotated key never arrived"
            time.sleep(0.5)
    finally:
        server.stop()
        httpd.shutdown()


# -- a gateway -----------------------------------------------------------------------------------


def test_the_trusted_header_only_from_the_gateway(db: str, workdir: Path) -> None:
    trusted = Server(db, workdir, dev=False, args=[
        "--trusted-header", "X-Stafet-Actor", "--trusted-proxy", "127.0.0.1/32"]).start()
    untrusted = Server(db, workdir, args=[
        "--trusted-header", "X-Stafet-Actor", "--trusted-proxy", "10.1.2.3"]).start()
    try:
        answer = whoami(trusted, {"X-Stafet-Actor": "lis@jobcenter"})
        assert answer.json() == {"actor": "lis@jobcenter", "actor_role": None, "via": "gateway"}
        refused(whoami(trusted, {}), "identity.missing")
        refused(whoami(trusted, {"X-Stafet-Actor": "lis"}), "identity.no_actor")
        # from anywhere else the header is refused, a valid token beside it or not
        token = untrusted.token("anne@jobcenter")
        refused(whoami(untrusted, {"X-Stafet-Actor": "it@kommunen"}),
                "identity.untrusted_proxy")
        refused(whoami(untrusted, {"X-Stafet-Actor": "it@kommunen", **bearer(token)}),
                "identity.untrusted_proxy")
        assert whoami(untrusted, bearer(token)).json()["actor"] == "anne@jobcenter"
    finally:
        trusted.stop()
        untrusted.stop()


@pytest.mark.parametrize("args, words", [
    ([], "no identity configuration"),
    (["--jwks-url", "https://login.kommune.test/jwks"], "needs --issuer and --audience"),
    (["--trusted-header", "X-Stafet-Actor"], "needs --trusted-proxy"),
    (["--trusted-header", "X-A", "--trusted-proxy", "kommunen"], "not an IP address"),
])
def test_no_start_without_an_identity_configuration(db: str, args: list[str],
                                                    words: str) -> None:
    ran = subprocess.run([STAFET, "--db", db, "serve", "--port", "1", *args],
                         capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin"})
    assert ran.returncode == 2, ran.stderr
    assert words in ran.stderr
