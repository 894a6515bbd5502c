"""A visitor of the web view without a browser (httpx), keeping the session cookie by hand:
the cookie is ``Secure``, which httpx (rightly) sends over https only, while a browser sends it
to http://127.0.0.1 too (a secure context)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from stafet.web.session import COOKIE

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Visitor:
    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, follow_redirects=False, timeout=30)
        self.cookie: str | None = None
        self.set_cookies: list[str] = []

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        answer = self.client.request(method, path, headers=headers, **kwargs)
        for raw in answer.headers.get_list("set-cookie"):
            if raw.startswith(COOKIE + "="):
                self.set_cookies.append(raw)
                value = raw.split(";", 1)[0].split("=", 1)[1].strip('"')
                self.cookie = value or None
        return answer

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, data=data, **kwargs)

    def csrf(self, path: str) -> str:
        found = _CSRF.search(self.get(path).text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    def sign_in(self, actor: str, purpose: str = "koordinere forløbet i arbejdet") -> None:
        answer = self.post("/sign-in", {"csrf": self.csrf("/sign-in"), "actor": actor,
                                        "purpose_other": purpose, "next": "/"})
        assert answer.status_code == 303 and answer.headers["location"] == "/", answer.text
