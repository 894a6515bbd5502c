"""Signing in with the municipality's identity provider: OpenID Connect, the authorization
code flow with PKCE (RFC 7636, S256), the web view as the client.

1. ``/sign-in/oidc``: a fresh ``state``, ``nonce`` and PKCE verifier go into the visitor's
   (sealed) session; the browser is sent to the issuer's ``authorization_endpoint`` with the
   code challenge.
2. The person signs in at the issuer, which sends the browser back to
   ``/sign-in/oidc/callback?code=...&state=...``.
3. The callback checks ``state``, trades the code (with the verifier, and the client secret
   for a confidential client) at the ``token_endpoint``, and checks the ID token exactly as
   the HTTP API checks a bearer token (``Authenticator.verify_id_token``: the issuer's JWKS,
   ``iss``, ``exp``, the algorithms, the actor claim), with ``aud`` the client id and the
   session's ``nonce``. The actor claim (``actor_claim``, e.g. ``stafet_actor``) names
   ``person@org``, as for the API.

The issuer's endpoints come from its discovery document
(``<issuer>/.well-known/openid-configuration``), fetched once and kept.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from stafet.http.identity import IdentityUnavailable, Unauthenticated
from stafet.http.settings import HttpSettings

TIMEOUT = 10


@dataclass(frozen=True)
class Start:
    url: str  # where to send the browser
    state: str
    nonce: str
    verifier: str


def challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636 §4.2).

    >>> challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
    """
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class OidcClient:
    def __init__(self, settings: HttpSettings) -> None:
        assert settings.oidc_client_id and settings.issuer
        self.settings = settings
        self.client_id = settings.oidc_client_id
        self.discovery_url = settings.oidc_discovery_url or (
            settings.issuer.rstrip("/") + "/.well-known/openid-configuration")
        self._metadata: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                found = _get_json(self.discovery_url)
                for key in ("authorization_endpoint", "token_endpoint"):
                    if not isinstance(found.get(key), str):
                        raise IdentityUnavailable(f"the issuer's discovery document has no "
                                                  f"{key}")
                self._metadata = found
            return self._metadata

    def start(self, redirect_uri: str) -> Start:
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)  # 64 characters of [A-Za-z0-9_-]
        query = urllib.parse.urlencode({
            "response_type": "code", "client_id": self.client_id,
            "redirect_uri": redirect_uri, "scope": self.settings.oidc_scopes,
            "state": state, "nonce": nonce, "code_challenge": challenge(verifier),
            "code_challenge_method": "S256"})
        endpoint = str(self.metadata()["authorization_endpoint"])
        joiner = "&" if "?" in endpoint else "?"
        return Start(endpoint + joiner + query, state, nonce, verifier)

    def id_token(self, code: str, verifier: str, redirect_uri: str) -> str:
        """Trade the code for tokens; the ID token (not yet checked)."""
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                "client_id": self.client_id, "code_verifier": verifier}
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": "application/json"}
        if self.settings.oidc_client_secret:
            pair = f"{urllib.parse.quote(self.client_id)}:" \
                   f"{urllib.parse.quote(self.settings.oidc_client_secret)}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        request = urllib.request.Request(
            str(self.metadata()["token_endpoint"]), method="POST",
            data=urllib.parse.urlencode(form).encode(), headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                tokens = json.loads(answer.read())
        except urllib.error.HTTPError as error:
            raise Unauthenticated(f"the identity provider refused the sign-in code "
                                  f"({error.code})", "identity.malformed") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise IdentityUnavailable(f"the identity provider could not be reached "
                                      f"({type(error).__name__})") from None
        token = tokens.get("id_token") if isinstance(tokens, dict) else None
        if not isinstance(token, str):
            raise Unauthenticated("the identity provider sent no ID token",
                                  "identity.malformed")
        return token


def _get_json(url: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            found = json.loads(answer.read())
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise IdentityUnavailable(f"the identity provider's discovery document could not be "
                                  f"read ({type(error).__name__})") from None
    if not isinstance(found, dict):
        raise IdentityUnavailable("the identity provider's discovery document is not an object")
    return found
