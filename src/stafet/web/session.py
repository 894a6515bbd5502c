"""The web view's sessions: a sealed cookie (AES-GCM), ending when idle and at a fixed age.

A session is who signed in (``person@org``, as the identity said: a dev token, an OIDC ID
token or the gateway), the purpose they read for, a CSRF token, and two times: when it began
and when it was last used. It travels in one cookie, ``stafet_session``, encrypted and
authenticated with a key kept beside the store (or where ``web_session_key_file`` says), so it
can be neither read nor forged by the browser, and every worker process of the server reads
it alike (no shared session table). The cookie is ``HttpOnly; Secure; SameSite=Lax; Path=/``.

It ends: after ``web_idle_minutes`` without a request, ``web_absolute_hours`` after sign-in
whatever happens, when the browser closes (no Max-Age), and at sign-out (the cookie is
cleared, and its id refused by this worker until it would have ended anyway).

Before sign-in a visitor has an anonymous session too (no actor): it carries the CSRF token
of the sign-in form and the state of an OIDC sign-in under way. Signing in makes a new session
(a new id and a new CSRF token), so a session fixed before sign-in is worth nothing after.

    >>> from pathlib import Path
    >>> import tempfile
    >>> seal = Sealer(ensure_session_key(Path(tempfile.mkdtemp()) / "k"))
    >>> s = Session.new(now=1000.0).signed_in("anne@jobcenter", None, "dev", "læse forløbet",
    ...                                       now=1000.0)
    >>> seal.open(seal.seal(s)).actor
    'anne@jobcenter'
    >>> seal.open(seal.seal(s)[:-2] + "xx") is None
    True
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stafet.storage.url import StorageConfig

COOKIE = "stafet_session"
_AAD = b"stafet-web-session-v1"
REFRESH_SECONDS = 60.0  # how stale ``seen`` may get before the cookie is written again


@dataclass(frozen=True)
class Session:
    sid: str
    csrf: str
    created: float
    seen: float
    actor: str | None = None
    actor_role: str | None = None
    via: str | None = None  # dev | oidc | gateway
    purpose: str | None = None
    oidc: dict[str, str] | None = None  # state, nonce, verifier, next: a sign-in under way

    @classmethod
    def new(cls, now: float | None = None) -> Session:
        at = time.time() if now is None else now
        return cls(sid=secrets.token_urlsafe(16), csrf=secrets.token_urlsafe(24), created=at,
                   seen=at)

    def signed_in(self, actor: str, actor_role: str | None, via: str, purpose: str,
                  now: float | None = None) -> Session:
        """A new session for who signed in (never the anonymous one's id or CSRF token)."""
        fresh = Session.new(now)
        return replace(fresh, actor=actor, actor_role=actor_role, via=via, purpose=purpose)

    def touched(self, now: float) -> Session:
        return replace(self, seen=now)

    def ended(self, now: float, idle_seconds: float, absolute_seconds: float) -> bool:
        return now - self.seen > idle_seconds or now - self.created > absolute_seconds


def session_key_path(storage: StorageConfig, configured: str | None = None) -> Path:
    """Where the session key lives: beside an SQLite store (``<file>.web-session.key``), else
    in the working directory (``stafet.web-session.key``), unless configured."""
    if configured:
        return Path(configured)
    return storage.beside(".web-session.key") or Path("stafet.web-session.key").absolute()


def ensure_session_key(path: Path) -> bytes:
    """The 256-bit key sealing session cookies, made on first use (readable by its owner
    only). Replacing the file signs everybody out."""
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # made by another process a moment ago
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(base64.b64encode(AESGCM.generate_key(bit_length=256)) + b"\n")
    for _ in range(50):  # another process may be writing it this very moment
        text = path.read_bytes().strip()
        if text:
            key = base64.b64decode(text)
            if len(key) != 32:
                raise ValueError(f"{path} does not hold a 256-bit key")
            return key
        time.sleep(0.02)
    raise ValueError(f"{path} is empty")


class Sealer:
    """Seals a session into a cookie value and opens one (None: forged, damaged, or sealed
    with another key)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, session: Session) -> str:
        nonce = os.urandom(12)
        data = json.dumps(asdict(session), separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(nonce + self._aead.encrypt(nonce, data, _AAD)) \
            .decode().rstrip("=")

    def open(self, value: str) -> Session | None:
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            data: dict[str, Any] = json.loads(self._aead.decrypt(raw[:12], raw[12:], _AAD))
            return Session(**data)
        except (ValueError, TypeError, InvalidTag):
            return None


class Ended:
    """Session ids signed out in this worker, kept until they would have ended anyway."""

    def __init__(self) -> None:
        self._ids: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, sid: str, until: float) -> None:
        with self._lock:
            now = time.time()
            self._ids = {k: v for k, v in self._ids.items() if v > now}
            self._ids[sid] = until

    def __contains__(self, sid: object) -> bool:
        with self._lock:
            return sid in self._ids
