"""The web view's security, against a real `stafet serve` process: the headers on every
response, the session cookie's flags, CSRF on every form, sessions that end, the feed the only
API route a cookie opens, refusals that show nothing."""

from __future__ import annotations

import pytest

from stafet import Ledger
from stafet.web.session import COOKIE
from tests.web.conftest import LEADER, PETER, STRANGER, SUBJECT, Demo
from tests.web.visitor import Visitor

pytestmark = [pytest.mark.process]


def notes(url: str, case_id: str) -> list[str]:
    with Ledger(url, read_models=False) as ledger:
        return [e.text for e in ledger.history(case_id) if type(e).__name__ == "NoteLogged"]


def test_every_web_response_carries_the_security_headers(demo: Demo) -> None:
    visitor = Visitor(demo.base)
    answers = [visitor.get("/"), visitor.get("/sign-in"), visitor.get("/static/stafet.css"),
               visitor.get("/static/live.js")]
    visitor.sign_in(PETER)
    answers += [visitor.get("/"), visitor.get("/board"), visitor.get(f"/case/{demo.adult}"),
                visitor.get("/case/not-a-case"), visitor.get(f"/case/{demo.family}")]
    assert [a.status_code for a in answers] == [303, 200, 200, 200, 200, 200, 200, 404, 404]
    for answer in answers:
        csp = answer.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
        assert answer.headers["x-frame-options"] == "DENY"
    page = answers[6]
    assert page.headers["cache-control"] == "no-store"
    # no inline script or style anywhere: everything the CSP lets run comes from /static
    assert "<script>" not in page.text and "<style" not in page.text and " style=" not in page.text
    assert '<script src="/static/live.js" defer></script>' in page.text
    # the API is untouched (its /docs page loads Swagger UI's scripts)
    assert "content-security-policy" not in visitor.get("/health").headers


def test_the_session_cookie_is_httponly_secure_samesite_and_ends_with_the_browser(
        demo: Demo) -> None:
    visitor = Visitor(demo.base)
    visitor.get("/sign-in")
    visitor.sign_in(PETER)
    assert len(visitor.set_cookies) == 2  # the visitor's, then a new one on sign-in
    for raw in visitor.set_cookies:
        attributes = {part.strip().split("=")[0].lower() for part in raw.split(";")[1:]}
        assert {"httponly", "secure", "samesite", "path"} <= attributes, raw
        assert "samesite=lax" in raw.lower() and "path=/" in raw.lower()
        assert "max-age" not in attributes and "expires" not in attributes
    anonymous, signed = (raw.split(";")[0] for raw in visitor.set_cookies)
    assert anonymous != signed  # signing in makes a new session (no fixation)


def test_a_form_without_the_right_csrf_token_or_origin_is_refused_and_stores_nothing(
        demo: Demo) -> None:
    visitor = Visitor(demo.base)
    visitor.sign_in(PETER)
    token = visitor.csrf(f"/case/{demo.adult}")
    path = f"/case/{demo.adult}/do/note"
    before = notes(demo.url, demo.adult)
    for data, headers in [({"text": "uden token"}, {}),
                          ({"text": "forkert token", "csrf": "x" + token[1:]}, {}),
                          ({"text": "andet site", "csrf": token},
                           {"Origin": "https://evil.example"}),
                          ({"text": "null origin", "csrf": token}, {"Origin": "null"})]:
        answer = visitor.post(path, data, headers=headers)
        assert answer.status_code == 403, answer.text
        assert "Formularen er udløbet" in answer.text
    assert notes(demo.url, demo.adult) == before
    # the sign-in form and sign-out are forms too
    other = Visitor(demo.base)
    other.get("/sign-in")
    assert other.post("/sign-in", {"actor": PETER, "purpose_other": "at læse"}).status_code \
        == 403
    answer = visitor.post("/sign-out", {})
    assert answer.status_code == 303 and visitor.get("/").status_code == 200  # still signed in
    # the right token from this site: stored
    answer = visitor.post(path, {"text": "med token", "csrf": token},
                          headers={"Origin": demo.base})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/case/{demo.adult}?done=note")
    assert notes(demo.url, demo.adult) == [*before, "med token"]


def test_sign_out_ends_the_session_and_a_copied_cookie_with_it(demo: Demo) -> None:
    visitor = Visitor(demo.base)
    visitor.sign_in(PETER)
    copied = visitor.cookie
    token = visitor.csrf("/")
    answer = visitor.post("/sign-out", {"csrf": token})
    assert answer.status_code == 303 and answer.headers["location"] == "/sign-in?out=1"
    assert visitor.cookie is None  # the browser is told to forget it
    thief = Visitor(demo.base)
    thief.cookie = copied
    answer = thief.get("/")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/sign-in")


def test_a_forged_or_tampered_cookie_is_no_session(demo: Demo) -> None:
    visitor = Visitor(demo.base)
    visitor.sign_in(PETER)
    assert visitor.cookie is not None
    for value in (visitor.cookie[:-3] + "AAA", "e30", '{"actor": "' + PETER + '"}'):
        forger = Visitor(demo.base)
        forger.cookie = value
        assert forger.get("/").status_code == 303


def test_the_feed_is_the_one_api_route_a_session_cookie_opens(demo: Demo) -> None:
    visitor = Visitor(demo.base)
    visitor.sign_in(PETER)
    cookie = {"Cookie": f"{COOKIE}={visitor.cookie}"}
    api = visitor.client
    assert api.get(f"/cases/{demo.adult}?purpose=at+læse", headers=cookie).status_code == 401
    assert api.post(f"/cases/{demo.adult}/commands/note", json={"text": "via cookie"},
                    headers=cookie).status_code == 401
    with api.stream("GET", "/feed?purpose=følge+forløbet", headers=cookie) as feed:
        assert feed.status_code == 200
        assert feed.headers["content-type"].startswith("text/event-stream")
        first = next(feed.iter_lines())
        assert first.startswith("retry:")
    with api.stream("GET", "/feed?purpose=følge+forløbet") as feed:
        assert feed.status_code == 401


def test_strangers_and_team_leaders_see_nothing_of_the_case(demo: Demo) -> None:
    stranger = Visitor(demo.base)
    stranger.sign_in(STRANGER)
    answer = stranger.get(f"/case/{demo.adult}")
    assert answer.status_code == 404 and "findes ikke" in answer.text
    assert "Samlet forløb" not in answer.text and SUBJECT not in answer.text
    leader = Visitor(demo.base)
    leader.sign_in(LEADER)
    answer = leader.get(f"/case/{demo.adult}")
    assert answer.status_code == 403 and "overview only" in answer.text
    assert "Samlet forløb" not in answer.text
    board = leader.get("/board")
    assert board.status_code == 200 and demo.adult[:8] in board.text
    assert "Samlet forløb" not in board.text and SUBJECT not in board.text
    # a write by a stranger: refused by the ledger, nothing stored
    token = stranger.csrf("/")
    before = notes(demo.url, demo.adult)
    answer = stranger.post(f"/case/{demo.adult}/do/note", {"csrf": token, "text": "hej"})
    assert answer.status_code in (403, 404)
    assert notes(demo.url, demo.adult) == before


def test_no_personal_data_in_any_address_the_pages_link_to(demo: Demo) -> None:
    import re

    visitor = Visitor(demo.base)
    visitor.sign_in(PETER)
    for path in ("/", "/board", f"/case/{demo.adult}"):
        text = visitor.get(path).text
        for target in re.findall(r'(?:href|action|src)="([^"]*)"', text):
            assert SUBJECT not in target and "Mads" not in target, (path, target)
