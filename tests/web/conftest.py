"""Fixtures of the web view's tests: Debian's Chromium (installed when missing), Playwright's
Python API driving it, and a real `stafet serve` process on a fresh store holding the example
cases (tests/http/server.py starts it on a free port).

Playwright's own browser download does not work on these machines; the tests launch
``/usr/bin/chromium`` from Debian's ``chromium`` package with ``executable_path``. When it is
missing they install it (``apt-get install -y chromium fonts-dejavu-core``: DejaVu carries
æøå). Without it they skip loudly; under ``CI=true`` that is a failure.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from stafet import Ledger
from tests.http.server import Server
from tests.system_packages import ensure

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
# Screenshots land beside the test run (tests/web/screenshots, ignored by git); with
# STAFET_UPDATE_SCREENSHOTS=1 they refresh the README's pictures in docs/images instead.
IMAGES = (REPO / "docs" / "images" if os.environ.get("STAFET_UPDATE_SCREENSHOTS") == "1"
          else REPO / "tests" / "web" / "screenshots")
IMAGES.mkdir(parents=True, exist_ok=True)

# The example adult case (examples/adult-case): who is who.
PETER = "peter.lund@socialafdelingen-odense"  # holds the baton after the example's May hand-over
LOUISE = "louise.holm@jobcenter-odense"  # the jobcenter's coordinator, held it before
CITIZEN = "borger@k7q2m9"  # Mads, taking part as the citizen
SUBJECT = "borger-3c9e41"  # his pseudonymous reference (never in a URL)
LEADER = "leder@jobcenter-odense"  # team leader of the jobcenter (a role, not a participant)
STRANGER = "eva@udenfor"


def _install_chromium() -> str | None:
    """Why Chromium could not be had, or None when it is there."""
    return ensure(["chromium", "fonts-dejavu-core"], lambda: Path(CHROMIUM).exists())


@pytest.fixture(scope="session")
def chromium() -> str:
    problem = _install_chromium()
    if problem is not None:
        reason = f"NO CHROMIUM: {problem}; the browser tests did not run"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (and under CI that is a failure)")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(chromium: str, playwright: Playwright) -> Iterator[Browser]:
    the_browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    yield the_browser
    the_browser.close()


@dataclass
class Demo:
    """A store with the example cases, and its server."""

    url: str
    adult: str  # the adult example's case id
    family: str  # the family example's case id (Mads takes no part in it)
    server: Server

    @property
    def base(self) -> str:
        return self.server.url


def make_store(url: str) -> tuple[str, str]:
    """The example cases in a fresh store, a first administrator and a team leader."""
    with Ledger(url) as ledger:
        ledger.appoint_first_admin("it@kommunen")
        ledger.grant_role(actor="it@kommunen", role="team_leader", to=LEADER,
                          org="jobcenter-odense")
        adult = ledger.apply_batch((EXAMPLES / "adult-case" / "case.jsonl").read_text(
            encoding="utf-8").splitlines())[0].case_id
        family = ledger.apply_batch((EXAMPLES / "family-case" / "case.jsonl").read_text(
            encoding="utf-8").splitlines())[0].case_id
    return str(adult), str(family)


@pytest.fixture(scope="module")
def web_workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="stafet-web-") as name:
        yield Path(name)


@pytest.fixture(scope="module")
def demo(web_workdir: Path) -> Iterator[Demo]:
    """The embedded default: an SQLite file, `stafet serve --dev-identity`."""
    url = f"sqlite:///{web_workdir / f'stafet-{uuid.uuid4().hex[:6]}.db'}"
    adult, family = make_store(url)
    server = Server(url, web_workdir).start()
    yield Demo(url, adult, family, server)
    server.stop()


def new_context(browser: Browser, **kwargs: object) -> BrowserContext:
    return browser.new_context(viewport={"width": 1200, "height": 900}, locale="da-DK",
                               **kwargs)  # type: ignore[arg-type]


def sign_in(page: Page, base: str, actor: str, purpose: str | None = None,
            next_path: str = "/") -> None:
    """The dev sign-in form, as a person fills it in."""
    page.goto(f"{base}/sign-in?next={next_path}")
    page.fill("#actor", actor)
    if purpose:
        page.fill("#purpose-other", purpose)
    page.click("form[action='/sign-in'] button[type=submit]")
    page.wait_for_load_state()
    assert "/sign-in" not in page.url, page.content()
