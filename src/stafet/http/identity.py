"""Who is calling: a bearer JWT checked against a JWKS, or an identity gateway's header.

Authentication only. The caller's actor (``person@org``) goes to the ``Ledger`` and the
``Reader``, which decide what the caller may do and see (``stafet.domain.authorisation``);
nothing here grants or refuses a right. The ledger's roles (admin, auditor, dpo, team_leader,
feed) are events in the ledger's own log, never a token's claims, so who holds which right
verifies with the log.

JWTs are checked with PyJWT: the signature (public-key algorithms only: RS256, ES256, EdDSA by
default), ``iss``, ``aud``, ``exp`` (required) and ``nbf`` (when present), with a small leeway
for clock skew. Keys come from a JWKS file (re-read when it changes) or an issuer's JWKS URL
(PyJWT's ``PyJWKClient``: cached, fetched again when a token names a key id it has not seen,
which is how an issuer's key rotation arrives).

The dev identity (``stafet dev token``) is an Ed25519 key made beside the store; the server
trusts it only with ``--dev-identity``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import TypeAdapter, ValidationError

from stafet.domain.values import ParticipantRef
from stafet.http.settings import DEV_AUDIENCE, DEV_ISSUER, HttpSettings
from stafet.storage.url import StorageConfig

_ACTOR: TypeAdapter[str] = TypeAdapter(ParticipantRef)
VERIFIED_TOKENS = 4096
VERIFIED_SECONDS = 60.0


class Unauthenticated(Exception):
    """No identity, or one that does not verify: HTTP 401 (one sentence, a code)."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class IdentityUnavailable(Exception):
    """The issuer's keys could not be fetched just now: HTTP 503 (try again)."""


@dataclass(frozen=True)
class Caller:
    actor: str  # person@org, as the ledger records it
    actor_role: str | None  # the professional role they act in, if the identity says
    via: str  # "jwt", "dev" or "gateway"


# -- keys -------------------------------------------------------------------------------


class JwksFile:
    """A JWKS on disk, read again when the file changes (rotation by replacing the file)."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys: jwt.PyJWKSet | None = None

    def keys(self) -> jwt.PyJWKSet:
        stat = self.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if self._keys is None or stamp != self._stamp:
                self._keys = jwt.PyJWKSet.from_json(self.path.read_text(encoding="utf-8"))
                self._stamp = stamp
            return self._keys

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        return _pick(self.keys(), kid)


class JwksUrl:
    """An issuer's JWKS endpoint (PyJWT's client: cached; an unknown kid fetches again)."""

    def __init__(self, url: str, cache_seconds: float) -> None:
        self.client = jwt.PyJWKClient(url, cache_jwk_set=True, lifespan=cache_seconds,
                                      timeout=10, cooldown_duration=5)

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        try:
            if kid is None:
                return _pick(self.client.get_jwk_set(), None)
            return self.client.get_signing_key(kid)
        except jwt.PyJWKClientConnectionError as error:
            raise IdentityUnavailable(f"the identity provider's keys could not be fetched "
                                      f"({error})") from None
        except jwt.PyJWKClientError:
            raise Unauthenticated("the token is signed with a key the issuer does not publish",
                                  "identity.unknown_key") from None


class OneKey:
    def __init__(self, key: jwt.PyJWK) -> None:
        self.key = key

    def key_for(self, kid: str | None) -> jwt.PyJWK:
        if kid is not None and self.key.key_id is not None and kid != self.key.key_id:
            raise Unauthenticated("the token is signed with a key this server does not know",
                                  "identity.unknown_key")
        return self.key


def _pick(keys: jwt.PyJWKSet, kid: str | None) -> jwt.PyJWK:
    if kid is None:
        signing = [k for k in keys.keys if k.public_key_use in (None, "sig")]
        if len(signing) == 1:
            return signing[0]
        raise Unauthenticated("the token names no key id (kid) and the key set has several",
                              "identity.unknown_key")
    try:
        return keys[kid]
    except KeyError:
        raise Unauthenticated("the token is signed with a key this server does not know",
                              "identity.unknown_key") from None


@dataclass(frozen=True)
class Issuer:
    issuer: str
    audience: str
    keys: JwksFile | JwksUrl | OneKey
    via: str


# -- the authenticator ---------------------------------------------------------------------


class Authenticator:
    """Turns a request's credentials into a ``Caller``, or raises ``Unauthenticated``."""

    def __init__(self, settings: HttpSettings, storage: StorageConfig) -> None:
        self.settings = settings
        self.issuers: dict[str, Issuer] = {}
        if settings.issuer and settings.audience and (settings.jwks_file or settings.jwks_url):
            source: JwksFile | JwksUrl = (
                JwksFile(settings.jwks_file) if settings.jwks_file
                else JwksUrl(str(settings.jwks_url), settings.jwks_cache_seconds))
            self.issuers[settings.issuer] = Issuer(settings.issuer, settings.audience, source,
                                                   "jwt")
        if settings.dev_identity:
            key = ensure_dev_key(dev_key_path(storage, settings.dev_key_file))
            self.issuers.setdefault(DEV_ISSUER, Issuer(DEV_ISSUER, DEV_AUDIENCE,
                                                       OneKey(public_jwk(key)), "dev"))
        self.proxies = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]
        # Tokens verified a moment ago (a client sends the same one with every request): kept
        # until they expire, at most a minute, so a key withdrawn from the JWKS stops working
        # within a minute.
        self._verified: OrderedDict[str, tuple[Caller, float]] = OrderedDict()
        self._verified_lock = threading.Lock()

    def authenticate(self, headers: Mapping[str, str], peer: str | None) -> Caller:
        gateway = self.settings.trusted_header
        if gateway and headers.get(gateway) is not None:
            if not self._trusted(peer):
                raise Unauthenticated(f"the {gateway} header is accepted only from the identity "
                                      "gateway, not from this address", "identity.untrusted_proxy")
            actor = _actor(header_text(headers[gateway]), f"the {gateway} header")
            role_header = self.settings.trusted_role_header
            role = header_text(headers[role_header]) if role_header and \
                headers.get(role_header) else None
            return Caller(actor, role or None, "gateway")
        authorization = headers.get("authorization")
        if not authorization:
            raise Unauthenticated("no identity: send Authorization: Bearer <token>",
                                  "identity.missing")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'",
                                  "identity.malformed")
        return self.verify_token(token.strip())

    def _trusted(self, peer: str | None) -> bool:
        if peer is None:
            return False
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)

    def verify_token(self, token: str) -> Caller:
        now = time.time()
        with self._verified_lock:
            known = self._verified.get(token)
            if known is not None and now < known[1]:
                self._verified.move_to_end(token)
                return known[0]
        caller, expires, _claims = self._verify(token)
        with self._verified_lock:
            self._verified[token] = (caller, min(expires, now + VERIFIED_SECONDS))
            while len(self._verified) > VERIFIED_TOKENS:
                self._verified.popitem(last=False)
        return caller

    def verify_id_token(self, token: str, audience: str, nonce: str) -> Caller:
        """An OIDC ID token from the web view's sign-in: checked like a bearer token against
        the configured issuer's keys (signature, ``iss``, ``exp``, ``nbf``, the algorithms,
        the leeway, the actor claim), but meant for the web view's client (``aud``) and
        carrying the nonce the sign-in sent (so a token cannot be replayed into another
        sign-in)."""
        caller, _expires, claims = self._verify(token, audience, via_dev=False)
        if claims.get("nonce") != nonce:
            raise Unauthenticated("the ID token does not carry this sign-in's nonce",
                                  "identity.malformed")
        return caller

    def _verify(self, token: str, audience: str | None = None, via_dev: bool = True,
                ) -> tuple[Caller, float, dict[str, Any]]:
        if not self.issuers:
            raise Unauthenticated("this server accepts no bearer tokens (it trusts its identity "
                                  "gateway)", "identity.malformed")
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise Unauthenticated("the bearer token is not a JWT", "identity.malformed") from None
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is not None and issuer.via == "dev" and not via_dev:
            issuer = None
        if issuer is None:
            raise Unauthenticated("the token's issuer (iss) is not one this server trusts",
                                  "identity.wrong_issuer")
        kid = header.get("kid")
        key = issuer.keys.key_for(kid if isinstance(kid, str) else None)
        try:
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=self.settings.algorithms,
                audience=audience or issuer.audience,
                issuer=issuer.issuer, leeway=self.settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]})
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired", "identity.expired") from None
        except jwt.ImmatureSignatureError:
            raise Unauthenticated("the token is not valid yet (nbf)",
                                  "identity.not_yet_valid") from None
        except jwt.InvalidAudienceError:
            raise Unauthenticated("the token is meant for another audience (aud)",
                                  "identity.wrong_audience") from None
        except jwt.InvalidIssuerError:
            raise Unauthenticated("the token's issuer (iss) is not one this server trusts",
                                  "identity.wrong_issuer") from None
        except jwt.InvalidSignatureError:
            raise Unauthenticated("the token's signature does not verify",
                                  "identity.bad_signature") from None
        except jwt.MissingRequiredClaimError as error:
            raise Unauthenticated(f"the token has no '{error.claim}' claim",
                                  "identity.malformed") from None
        except (jwt.InvalidAlgorithmError, jwt.InvalidKeyError):
            raise Unauthenticated("the token is signed with an algorithm this server does not "
                                  "accept", "identity.bad_signature") from None
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"the token does not verify ({error})",
                                  "identity.malformed") from None
        actor = _actor(claims.get(self.settings.actor_claim),
                       f"the token's '{self.settings.actor_claim}' claim")
        role_claim = self.settings.actor_role_claim
        role = claims.get(role_claim) if role_claim else None
        return (Caller(actor, role if isinstance(role, str) and role else None, issuer.via),
                float(claims["exp"]), claims)


def _actor(value: Any, where: str) -> str:
    try:
        return _ACTOR.validate_python(value)
    except ValidationError:
        raise Unauthenticated(f"{where} does not name a person at an organisation (person@org)",
                              "identity.no_actor") from None


def header_text(value: str) -> str:
    """A header as UTF-8 text (servers hand header bytes over as Latin-1)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


# -- the dev key ---------------------------------------------------------------------------


def dev_key_path(storage: StorageConfig, configured: str | None = None) -> Path:
    """Where the dev key lives: beside an SQLite store (``<file>.dev-jwt.key``), else in the
    working directory (``stafet.dev-jwt.key``), unless configured."""
    if configured:
        return Path(configured)
    return storage.beside(".dev-jwt.key") or Path("stafet.dev-jwt.key").absolute()


def ensure_dev_key(path: Path) -> Ed25519PrivateKey:
    """The dev signing key, made on first use (readable by its owner only)."""
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # made by another process a moment ago
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 key")
    return loaded


def public_jwk(key: Ed25519PrivateKey) -> jwt.PyJWK:
    data = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(key.public_key()))
    data.update({"kid": key_id(key), "alg": "EdDSA", "use": "sig"})
    return jwt.PyJWK.from_dict(data)


def key_id(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    return "dev-" + raw.hex()[:16]


def mint_dev_token(key: Ed25519PrivateKey, actor: str, *, ttl_seconds: int = 3600,
                   role: str | None = None, now: float | None = None,
                   audience: str = DEV_AUDIENCE, issuer: str = DEV_ISSUER) -> str:
    """A token for ``actor`` signed with the dev key (demos and tests)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"iss": issuer, "aud": audience, "sub": actor, "iat": issued,
                              "nbf": issued, "exp": issued + ttl_seconds}
    if role:
        claims["stafet_role"] = role
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": key_id(key)})
