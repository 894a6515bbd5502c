"""The web view's routes: server-rendered pages on the same Ledger and Reader as the API.

    GET  /                       my cases (where I take part; those I hold first; flags)
    GET  /board                  the attention board (counts per flag and holder, filters)
    GET  /case/{case_id}         the case page (the citizen's side: the plain view)
    POST /case/{case_id}/do/{verb}   a daily verb (baton.hand, note, meeting.hold, ...)
    GET  /sign-in, POST /sign-in     sign-in (the dev form; links to OIDC and the gateway)
    GET  /sign-in/oidc, GET /sign-in/oidc/callback   OIDC: authorization code with PKCE
    GET  /sign-in/gateway        a session from the identity gateway's header
    GET  /purpose, POST /purpose why I read (written to the access log with every read)
    POST /sign-out
    GET  /static/...             CSS and the live-update script

Every read is a ``Reader`` call with the session's actor and purpose; every write a command
built by the HTTP API's ``command_for`` and executed by the ``Ledger``; a refusal is mapped
by the API's ``from_error`` and its sentence shown in the form that was sent. No rule, no SQL
and no authorisation decision here.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import replace
from functools import cache
from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from jinja2 import Environment, PackageLoader, StrictUndefined
from pydantic import ValidationError
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from stafet.documents.html import breakable, lines, paragraphs
from stafet.domain.authorisation import check_purpose
from stafet.domain.calendar import Lang
from stafet.domain.commands import valid_actor
from stafet.domain.errors import CaseNotFound, InvalidCommand
from stafet.http.app import Services
from stafet.http.commands import command_for
from stafet.http.identity import (
    Caller,
    IdentityUnavailable,
    Unauthenticated,
    dev_key_path,
    ensure_dev_key,
    mint_dev_token,
)
from stafet.http.problems import from_error
from stafet.projections.queries import AttentionFilter
from stafet.web import forms
from stafet.web.oidc import OidcClient
from stafet.web.session import (
    COOKIE,
    REFRESH_SECONDS,
    Ended,
    Sealer,
    Session,
    ensure_session_key,
    session_key_path,
)
from stafet.web.views import board, case_lines, case_page, org_name, role_in
from stafet.web.words import FLAGS, PURPOSES, WEB
from stafet.wording import term

LANG_COOKIE = "stafet_lang"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
WEB_PATHS = ("/sign-in", "/sign-out", "/purpose", "/board", "/case/", "/static/")
ANCHORS = {"note": "write-note", "agreement.make": "write-agreement",
           "agreement.complete": "plan-agreements", "meeting.convene": "write-meeting",
           "meeting.hold": "meetings", "consent.give": "write-consent", "view": "views"}


def is_web_path(path: str) -> bool:
    return path == "/" or path.startswith(WEB_PATHS)


class SecurityHeaders:
    """Adds the security headers to every response of the web view (pure ASGI, so the API's
    streams pass untouched); pages are never stored by caches."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not is_web_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", [])
                           if h[0].lower() not in {k for k, _ in SECURITY_HEADERS}]
                headers += SECURITY_HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _Redirect(Exception):
    def __init__(self, location: str) -> None:
        self.location = location


def safe_next(target: str | None) -> str:
    """A place on this site to go after sign-in (never another site)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("stafet.web", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["paragraphs"] = paragraphs
    env.filters["lines"] = lines
    env.filters["who"] = breakable
    return env


class Web:
    """The web view of one worker: its session key, its sign-in methods, its pages."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        key = ensure_session_key(session_key_path(services.storage,
                                                  self.settings.web_session_key_file))
        self.sealer = Sealer(key)
        self.ended = Ended()
        self.idle = self.settings.web_idle_minutes * 60
        self.absolute = self.settings.web_absolute_hours * 3600
        self.oidc = OidcClient(self.settings) if self.settings.oidc_client_id else None

    # -- sessions -----------------------------------------------------------------------------

    def session(self, request: Request) -> Session | None:
        """The visitor's session, if it is sealed by us and has not ended."""
        raw = request.cookies.get(COOKIE)
        found = self.sealer.open(raw) if raw else None
        if found is None:
            return None
        if found.ended(time.time(), self.idle, self.absolute) or found.sid in self.ended:
            return None
        return found

    def caller(self, request: Request) -> Caller | None:
        """The signed-in person of a request's session (for the feed), or None."""
        found = self.session(request)
        if found is None or found.actor is None:
            return None
        return Caller(found.actor, found.actor_role, f"web-{found.via}")

    def signed_in(self, request: Request, purpose: bool = True) -> Session:
        """The signed-in session, or a redirect to sign in (and to choose a purpose)."""
        found = self.session(request)
        target = quote(request.url.path, safe="/")
        if found is None or found.actor is None:
            ended = "&ended=1" if request.cookies.get(COOKIE) else ""
            raise _Redirect(f"/sign-in?next={target}{ended}")
        if purpose and not found.purpose:
            raise _Redirect(f"/purpose?next={target}")
        return found

    def keep(self, response: Response, session: Session, force: bool = False) -> Response:
        """Write the session back when it changed or its last use is getting stale."""
        now = time.time()
        if force or now - session.seen > min(REFRESH_SECONDS, self.idle / 4):
            response.set_cookie(COOKIE, self.sealer.seal(session.touched(now)), httponly=True,
                                secure=True, samesite="lax", path="/")
        return response

    def csrf_ok(self, request: Request, session: Session | None, form: forms.Form) -> bool:
        sent = forms.one(form, "csrf") or ""
        if session is None or not hmac.compare_digest(sent, session.csrf):
            return False
        # Browsers send Origin with a POST (Referrer-Policy same-origin keeps it a real origin,
        # not "null"): it must be this site.
        origin = request.headers.get("origin")
        return origin is None or urlsplit(origin).netloc == request.headers.get("host")

    # -- rendering ------------------------------------------------------------------------------

    def lang(self, request: Request) -> Lang:
        asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
        return "en" if asked == "en" else "da"

    def render(self, request: Request, template: str, session: Session | None,
               status: int = 200, **context: Any) -> HTMLResponse:
        lang = self.lang(request)
        html = environment().get_template(template).render(
            w=WEB[lang], lang=lang, session=session, path=request.url.path,
            term=lambda value: term(value, lang), org_of=org_name,
            dev=self.settings.dev_identity, oidc=self.oidc is not None,
            gateway=bool(self.settings.trusted_header), **context)
        response = HTMLResponse(html, status_code=status)
        asked = request.query_params.get("lang")
        if asked in ("da", "en"):
            response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, httponly=True,
                                secure=True, samesite="lax", path="/")
        return response

    def failure(self, request: Request, session: Session | None, error: BaseException,
                case_id: str | None = None) -> HTMLResponse:
        """A page for what a read or write raised, mapped as the API maps it."""
        problem = from_error(error, self.settings.retry_after_seconds, case_id)
        body = json.loads(bytes(problem.body))
        w = WEB[self.lang(request)]
        status = problem.status_code
        title = {404: w["not_found"], 403: w["forbidden"]}.get(status, w["error"])
        response = self.render(request, "error.html.j2", session, status=status, title=title,
                               detail=body["detail"] if status != 404 else None,
                               purpose_problem=status == 422)
        if "retry-after" in problem.headers:
            response.headers["Retry-After"] = problem.headers["retry-after"]
        return response

    def read(self, fn: Callable[[], Any]) -> Any:
        """A ledger call under the worker's lock (SQLite runs one at a time)."""
        return self.services.call(fn)

    # -- pages ------------------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        session = self.signed_in(request)
        lang = self.lang(request)
        ledger = self.services.ledger

        def read() -> Any:
            reader = ledger.reader(session.actor, session.purpose)
            return reader.case_list(), reader.attention()

        try:
            rows, attention = self.read(read)
        except Exception as error:
            return self.failure(request, session, error)
        assert session.actor is not None
        page = case_lines(rows, attention, session.actor, lang)
        return self.keep(self.render(request, "home.html.j2", session, cases=page), session)

    def board(self, request: Request) -> Response:
        session = self.signed_in(request)
        lang = self.lang(request)
        q = request.query_params
        chosen = {k: (q.get(k) or "").strip() or None for k in ("holder", "org", "flag")}
        problem = None
        try:
            where = AttentionFilter(**chosen)
        except ValidationError:
            where, problem = AttentionFilter(), "filter"
        ledger = self.services.ledger

        def read() -> Any:
            reader = ledger.reader(session.actor, session.purpose)
            return reader.case_list(), reader.attention(where), reader.caseload()

        try:
            rows, attention, load = self.read(read)
        except Exception as error:
            return self.failure(request, session, error)
        return self.keep(self.render(
            request, "board.html.j2", session, board=board(rows, attention, load, lang),
            chosen=chosen, flags=FLAGS[lang], filter_problem=problem), session)

    def case(self, request: Request, case_id: str, session: Session, status: int = 200,
             error: dict[str, str] | None = None, values: forms.Form | None = None,
             ) -> Response:
        lang = self.lang(request)
        try:
            ref = UUID(case_id)
        except ValueError:
            return self.failure(request, session, CaseNotFound(f"there is no case {case_id[:40]}"))
        ledger = self.services.ledger
        actor = session.actor
        assert actor is not None

        def read() -> Any:
            head = ledger.head()  # before the reads: any later event refreshes the page
            reader = ledger.reader(actor, session.purpose)
            state = reader.case(ref)
            events = reader.history(ref)
            access = reader.access_log(state.subject_ref) \
                if role_in(state, actor) == "citizen" else None
            return head, state, events, access

        try:
            head, state, events, access = self.read(read)
        except Exception as error_:
            return self.failure(request, session, error_, str(ref))
        page = case_page(state, events, actor, session.purpose, ledger.clock(),
                         ledger.storage.display_url, lang, access)
        template = "citizen.html.j2" if page.role == "citizen" else "case.html.j2"
        done = request.query_params.get("done")
        return self.keep(self.render(
            request, template, session, status=status, p=page, doc=page.doc, t=page.doc.t,
            head=head, error=error, values=values or {}, done=done if done in forms.VERBS
            else None, command_id=_command_id), session)

    async def write(self, request: Request, case_id: str, verb: str) -> Response:
        body = await request.body()
        if len(body) > forms.MAX_BODY:
            return self.failure(request, self.session(request), InvalidCommand(
                "the form is too large to be stored in one go"))
        form = forms.parse(body)
        try:
            session = self.signed_in(request)
        except _Redirect as redirect:
            return RedirectResponse(redirect.location.replace(
                quote(request.url.path, safe="/"), quote(f"/case/{case_id}", safe="/")), 303)
        if not self.csrf_ok(request, session, form):
            return self.render(request, "error.html.j2", session, status=403,
                               title=WEB[self.lang(request)]["forbidden"],
                               detail=WEB[self.lang(request)]["csrf"], purpose_problem=False)
        if verb not in forms.VERBS:
            return self.failure(request, session, CaseNotFound(f"there is no form {verb[:40]}"))
        try:
            ref = UUID(case_id)
        except ValueError:
            return self.failure(request, session, CaseNotFound(f"there is no case {case_id[:40]}"))
        assert session.actor is not None
        caller = Caller(session.actor, session.actor_role, f"web-{session.via}")
        ledger = self.services.ledger
        try:
            command = command_for(caller, verb, forms.fields(verb, form), ref,
                                  forms.one(form, "command_id"))
            await run_in_threadpool(self.services.call, lambda: ledger.execute(command))
        except Exception as error:
            problem = from_error(error, self.settings.retry_after_seconds, str(ref))
            if problem.status_code >= 500 and problem.status_code != 503:
                return self.failure(request, session, error, str(ref))
            detail = json.loads(bytes(problem.body))["detail"]
            key = f"{verb}:{forms.one(form, 'agreement_id') or forms.one(form, 'meeting_id') or ''}"
            return await run_in_threadpool(
                self.case, request, str(ref), session, problem.status_code,
                {"key": key, "verb": verb, "detail": detail,
                 "anchor": ANCHORS.get(verb, "baton")}, form)
        self.services.feed.wake()
        anchor = ANCHORS.get(verb, "baton")
        return RedirectResponse(f"/case/{ref}?done={verb}#{anchor}", 303)

    # -- signing in and out -------------------------------------------------------------------

    def sign_in_page(self, request: Request, status: int = 200, problem: str | None = None,
                     values: forms.Form | None = None) -> Response:
        session = self.session(request)
        if session is not None and session.actor and status == 200:
            return RedirectResponse(safe_next(request.query_params.get("next")), 303)
        # a refused sign-in leaves a signed-in session as it was; a visitor gets one
        anonymous = session if session is not None else Session.new()
        lang = self.lang(request)
        q = request.query_params
        note = WEB[lang]["session_ended"] if q.get("ended") else (
            WEB[lang]["signed_out"] if q.get("out") else None)
        response = self.render(
            request, "sign_in.html.j2", anonymous, status=status, problem=problem, note=note,
            next=safe_next(q.get("next") or (forms.one(values or {}, "next"))),
            purposes=self.purposes(lang), values=values or {})
        return self.keep(response, anonymous, force=anonymous is not session)

    def purposes(self, lang: Lang) -> list[str]:
        policy = self.services.policy
        return list(policy.purposes) if policy.purposes else PURPOSES[lang]

    async def sign_in(self, request: Request) -> Response:
        form = forms.parse(await request.body())
        session = self.session(request)
        lang = self.lang(request)
        if not self.csrf_ok(request, session, form) or session is None:
            return self.render(request, "error.html.j2", session, status=403,
                               title=WEB[lang]["forbidden"], detail=WEB[lang]["csrf"],
                               purpose_problem=False)
        if not self.settings.dev_identity:
            return self.sign_in_page(request, 403, WEB[lang]["dev_off"], form)
        actor = forms.one(form, "actor")
        purpose = forms.one(form, "purpose_other") or forms.one(form, "purpose")
        try:
            valid_actor(actor)
            checked = check_purpose(purpose, self.services.policy) or ""
            token = mint_dev_token(ensure_dev_key(dev_key_path(
                self.services.storage, self.settings.dev_key_file)), actor or "", ttl_seconds=60)
            caller = self.services.authenticator.verify_token(token)
        except InvalidCommand as error:
            words = WEB[lang]["who_are_you"] if error.field is None and "--as" in error.message \
                else error.message
            return self.sign_in_page(request, 422, words, form)
        except Unauthenticated as error:
            return self.sign_in_page(request, 401, error.message, form)
        fresh = session.signed_in(caller.actor, caller.actor_role, "dev", checked)
        response = RedirectResponse(safe_next(forms.one(form, "next")), 303)
        return self.keep(response, fresh, force=True)

    def oidc_start(self, request: Request) -> Response:
        if self.oidc is None:
            return self.sign_in_page(request, 404, WEB[self.lang(request)]["no_sign_in"])
        session = self.session(request) or Session.new()
        try:
            start = self.oidc.start(self.redirect_uri(request))
        except IdentityUnavailable as error:
            return self.failure(request, session, error)
        pending = replace(session, oidc={"state": start.state, "nonce": start.nonce,
                                         "verifier": start.verifier,
                                         "next": safe_next(request.query_params.get("next"))})
        return self.keep(RedirectResponse(start.url, 303), pending, force=True)

    def redirect_uri(self, request: Request) -> str:
        return self.settings.oidc_redirect_uri or str(request.url_for("oidc_callback"))

    def oidc_callback(self, request: Request) -> Response:
        session = self.session(request)
        q = request.query_params
        lang = self.lang(request)
        pending = session.oidc if session is not None else None
        if self.oidc is None or session is None or pending is None or not hmac.compare_digest(
                q.get("state") or "", pending["state"]):
            return self.sign_in_page(request, 400, WEB[lang]["csrf"])
        if q.get("error") or not q.get("code"):
            return self.sign_in_page(request, 401, f"{q.get('error') or 'no code'}: "
                                     f"{(q.get('error_description') or '')[:200]}")
        try:
            token = self.oidc.id_token(q["code"], pending["verifier"], self.redirect_uri(request))
            caller = self.services.authenticator.verify_id_token(
                token, self.oidc.client_id, pending["nonce"])
        except Unauthenticated as error:
            return self.sign_in_page(request, 401, error.message)
        except IdentityUnavailable as error:
            return self.failure(request, session, error)
        fresh = session.signed_in(caller.actor, caller.actor_role, "oidc", "")
        fresh = replace(fresh, purpose=None)
        target = f"/purpose?next={quote(pending['next'], safe='/')}"
        return self.keep(RedirectResponse(target, 303), fresh, force=True)

    def gateway(self, request: Request) -> Response:
        lang = self.lang(request)
        header = self.settings.trusted_header
        if not header or request.headers.get(header) is None:
            return self.sign_in_page(request, 401, WEB[lang]["no_sign_in"])
        client = request.scope.get("client")
        try:
            caller = self.services.authenticator.authenticate(
                request.headers, client[0] if client else None)
        except Unauthenticated as error:
            return self.sign_in_page(request, 401, error.message)
        fresh = Session.new().signed_in(caller.actor, caller.actor_role, "gateway", "")
        fresh = replace(fresh, purpose=None)
        target = f"/purpose?next={quote(safe_next(request.query_params.get('next')), safe='/')}"
        return self.keep(RedirectResponse(target, 303), fresh, force=True)

    def purpose_page(self, request: Request, status: int = 200, problem: str | None = None,
                     ) -> Response:
        session = self.signed_in(request, purpose=False)
        lang = self.lang(request)
        return self.keep(self.render(
            request, "purpose.html.j2", session, status=status, problem=problem,
            purposes=self.purposes(lang), next=safe_next(request.query_params.get("next"))),
            session)

    async def choose_purpose(self, request: Request) -> Response:
        form = forms.parse(await request.body())
        session = self.signed_in(request, purpose=False)
        lang = self.lang(request)
        if not self.csrf_ok(request, session, form):
            return self.render(request, "error.html.j2", session, status=403,
                               title=WEB[lang]["forbidden"], detail=WEB[lang]["csrf"],
                               purpose_problem=False)
        purpose = forms.one(form, "purpose_other") or forms.one(form, "purpose")
        try:
            checked = check_purpose(purpose, self.services.policy)
        except InvalidCommand as error:
            return self.purpose_page(request, 422, error.message)
        response = RedirectResponse(safe_next(forms.one(form, "next")), 303)
        return self.keep(response, replace(session, purpose=checked), force=True)

    async def sign_out(self, request: Request) -> Response:
        form = forms.parse(await request.body())
        session = self.session(request)
        response = RedirectResponse("/sign-in?out=1", 303)
        if session is not None and self.csrf_ok(request, session, form):
            self.ended.add(session.sid, session.created + self.absolute)
            response.delete_cookie(COOKIE, path="/", secure=True, httponly=True,
                                   samesite="lax")
        return response


def _command_id() -> str:
    from uuid import uuid4

    return f"web-{uuid4()}"


def register(app: FastAPI, services: Services) -> None:
    web = Web(services)
    services.session_caller = web.caller
    app.state.web = web
    app.add_middleware(SecurityHeaders)
    static = files("stafet.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    def redirecting(fn: Callable[..., Response]) -> Callable[..., Response]:
        def run(*args: Any, **kwargs: Any) -> Response:
            try:
                return fn(*args, **kwargs)
            except _Redirect as redirect:
                return RedirectResponse(redirect.location, 303)
        return run

    def redirecting_async(fn: Callable[..., Awaitable[Response]],
                          ) -> Callable[..., Awaitable[Response]]:
        async def run(*args: Any, **kwargs: Any) -> Response:
            try:
                return await fn(*args, **kwargs)
            except _Redirect as redirect:
                return RedirectResponse(redirect.location, 303)
        return run

    options: dict[str, Any] = {"include_in_schema": False, "response_class": HTMLResponse}

    @app.get("/", **options)
    def home(request: Request) -> Response:
        return redirecting(web.home)(request)

    @app.get("/board", **options)
    def attention_board(request: Request) -> Response:
        return redirecting(web.board)(request)

    @app.get("/case/{case_id}", **options)
    def case_page_route(request: Request, case_id: str) -> Response:
        def show() -> Response:
            return web.case(request, case_id, web.signed_in(request))
        return redirecting(show)()

    @app.post("/case/{case_id}/do/{verb}", **options)
    async def case_write(request: Request, case_id: str, verb: str) -> Response:
        return await redirecting_async(web.write)(request, case_id, verb)

    @app.get("/sign-in", **options)
    def sign_in_form(request: Request) -> Response:
        return web.sign_in_page(request)

    @app.post("/sign-in", **options)
    async def sign_in(request: Request) -> Response:
        return await web.sign_in(request)

    @app.get("/sign-in/oidc", **options)
    def oidc_start(request: Request) -> Response:
        return web.oidc_start(request)

    @app.get("/sign-in/oidc/callback", name="oidc_callback", **options)
    def oidc_callback(request: Request) -> Response:
        return web.oidc_callback(request)

    @app.get("/sign-in/gateway", **options)
    def gateway(request: Request) -> Response:
        return web.gateway(request)

    @app.get("/purpose", **options)
    def purpose_form(request: Request) -> Response:
        return redirecting(web.purpose_page)(request)

    @app.post("/purpose", **options)
    async def purpose(request: Request) -> Response:
        return await redirecting_async(web.choose_purpose)(request)

    @app.post("/sign-out", **options)
    async def sign_out(request: Request) -> Response:
        return await web.sign_out(request)
