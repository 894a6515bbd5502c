"""The web view in a real browser (Debian's Chromium, driven by Playwright): a hand-over
between two caseworkers in two browser contexts, the first page following live; the refusal
sentence in place; the citizen's own view; the timeline; accessibility (axe-core); the
hand-over by keyboard alone. The screenshots in docs/images are made here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from stafet import Ledger
from tests.web.conftest import (
    CITIZEN,
    IMAGES,
    LEADER,
    LOUISE,
    PETER,
    SUBJECT,
    Demo,
    new_context,
    sign_in,
)

pytestmark = [pytest.mark.process, pytest.mark.slow]

LIVE = 20_000  # ms: a feed event, a fetch and a swap on a loaded machine


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = new_context(browser)
    yield ctx
    ctx.close()


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element ``selector`` has the focus (the keyboard alone)."""
    target = page.locator(selector)
    expect(target).to_have_count(1)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{selector} never had the focus after {limit} Tabs")


def history_length(url: str, case_id: str) -> int:
    with Ledger(url, read_models=False) as ledger:
        return len(ledger.history(case_id))


def test_a_hand_over_in_two_browsers_the_first_page_follows_live(browser: Browser,
                                                                   demo: Demo) -> None:
    case_url = f"{demo.base}/case/{demo.adult}"
    peter_ctx, louise_ctx = new_context(browser), new_context(browser)
    try:
        peter, louise = peter_ctx.new_page(), louise_ctx.new_page()
        requested: list[str] = []
        for page in (peter, louise):
            page.on("request", lambda request: requested.append(request.url))
        sign_in(peter, demo.base, PETER, next_path=f"/case/{demo.adult}")
        expect(peter.locator("h1")).to_contain_text("Samlet forløb")

        # Letting go before anyone has grabbed: refused, the rule's sentence in the form.
        before = history_length(demo.url, demo.adult)
        peter.click("#release")
        expect(peter.locator("#form-baton-release .refusal")).to_contain_text(
            "no other authority has taken the baton yet")
        assert history_length(demo.url, demo.adult) == before

        # Hand the baton on by keyboard alone: Tab to Louise's button, Enter.
        peter.goto(case_url)
        tab_to(peter, f"button[name=to][value='{LOUISE}']")
        peter.keyboard.press("Enter")
        expect(peter.locator("#exchange")).to_contain_text(LOUISE)
        assert history_length(demo.url, demo.adult) == before + 1

        peter.evaluate("window.stayedOnThePage = true")  # gone if the page were reloaded
        sign_in(louise, demo.base, LOUISE, next_path=f"/case/{demo.adult}")
        expect(louise.locator("#grab")).to_be_visible()
        louise.click("#grab")
        expect(louise.locator("#exchange")).to_contain_text("Overdragelseszone")

        # Peter's page learns of the grab from the feed, without a reload.
        expect(peter.locator("#exchange")).to_contain_text("Overdragelseszone", timeout=LIVE)
        expect(peter.locator("#release")).to_be_visible()
        assert peter.evaluate("window.stayedOnThePage") is True
        expect(peter.locator("#live-status")).not_to_be_empty()
        peter.evaluate("window.scrollTo(0, 0)")
        peter.screenshot(path=str(IMAGES / "web-case.png"))

        louise.evaluate("window.stayedOnThePage = true")
        peter.click("#release")
        expect(peter.locator(".holder-name")).to_contain_text(LOUISE)
        # ... and Louise's page sees the exchange complete, live.
        expect(louise.locator("#exchange")).to_have_count(0, timeout=LIVE)
        expect(louise.locator(".holder-name")).to_contain_text(LOUISE)
        assert louise.evaluate("window.stayedOnThePage") is True
        expect(louise.locator("form.hand")).to_be_visible(timeout=LIVE)

        with Ledger(demo.url, read_models=False) as ledger:
            assert ledger.get_case(demo.adult).baton.holder == LOUISE
        # No citizen's reference or name in any address the browsers asked for.
        assert requested and not [u for u in requested if SUBJECT in u or "Mads" in u]
    finally:
        peter_ctx.close()
        louise_ctx.close()


def test_the_citizen_sees_only_their_own_case(context: BrowserContext, demo: Demo) -> None:
    page = context.new_page()
    sign_in(page, demo.base, CITIZEN, purpose="læse mit eget forløb")
    rows = page.locator("table.list tbody tr")
    expect(rows).to_have_count(1)
    rows.locator("a").click()
    expect(page.locator("h1")).to_have_text("Planen for dit forløb")
    expect(page.locator("#baton")).to_contain_text("Din tovholder er")
    expect(page.locator("#plan")).to_contain_text("Hvem gør hvad")
    # The citizen writes their own view; it is in the plan's fifth section at once.
    page.fill("#view-text", "Jeg vil gerne have møderne om eftermiddagen – æøå ÆØÅ.")
    page.click("#form-view button[type=submit]")
    expect(page.locator("#views")).to_contain_text("om eftermiddagen – æøå ÆØÅ")
    # The access log: who looked, when, why (their own reads, the purpose they gave).
    access = page.locator("#access tbody tr")
    expect(access.first).to_be_visible()
    expect(page.locator("#access")).to_contain_text("læse mit eget forløb")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(IMAGES / "web-citizen.png"))

    # Another family's case, by its address: refused as if it did not exist.
    answer = page.goto(f"{demo.base}/case/{demo.family}")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_contain_text("findes ikke")
    assert "Emma" not in page.content()


def test_the_timeline_has_one_band_per_holder(context: BrowserContext, demo: Demo) -> None:
    page = context.new_page()
    with Ledger(demo.url, read_models=False) as ledger:
        state = ledger.get_case(demo.family)
    holders = list(dict.fromkeys(h.holder for h in state.holds))
    sign_in(page, demo.base, state.baton.holder, next_path=f"/case/{demo.family}")
    bands = page.locator("svg.timeline g.band")
    expect(bands).to_have_count(len(holders))
    assert [b.get_attribute("data-holder") for b in bands.all()] == holders
    assert len(holders) >= 2
    expect(page.locator("svg.timeline")).to_have_attribute("aria-label", "Stafetholdere over tid, "
                                                           "én række pr. holder")


def test_a_note_holding_markup_is_shown_as_text(context: BrowserContext, demo: Demo) -> None:
    page = context.new_page()
    sign_in(page, demo.base, PETER, next_path=f"/case/{demo.adult}")
    text = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> & "æøå"'
    page.fill("#note-text", text)
    page.click("#form-note button[type=submit]")
    expect(page.locator("#history")).to_contain_text(text)
    assert page.evaluate("window.pwned") is None
    assert page.locator("#history script, #history img").count() == 0


def test_english_switch(context: BrowserContext, demo: Demo) -> None:
    page = context.new_page()
    sign_in(page, demo.base, PETER)
    page.click("a[hreflang=en]")
    expect(page.locator("h1")).to_have_text("My cases")
    page.goto(f"{demo.base}/case/{demo.adult}")
    expect(page.locator("#h-baton")).to_have_text("The baton")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("a[hreflang=da]")
    expect(page.locator("#h-baton")).to_have_text("Stafetten")


def _serious(page: Page) -> list[str]:
    results = Axe().run(page)
    assert results.response["testEngine"]["name"] == "axe-core"
    return [f"{v['id']} ({v['impact']}): {v['help']} — "
            f"{[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violations_on_the_main_pages(browser: Browser,
                                                               demo: Demo) -> None:
    found: dict[str, list[str]] = {}
    ctx = new_context(browser)
    try:
        page = ctx.new_page()
        page.goto(f"{demo.base}/sign-in")
        found["sign-in"] = _serious(page)
        sign_in(page, demo.base, PETER)
        found["my cases"] = _serious(page)
        page.goto(f"{demo.base}/case/{demo.adult}")
        found["case page"] = _serious(page)
        page.goto(f"{demo.base}/board")
        found["board (participant)"] = _serious(page)
        ctx.clear_cookies()
        sign_in(page, demo.base, LEADER, next_path="/board")
        expect(page.locator("h1")).to_contain_text("Overblik")
        found["attention board"] = _serious(page)
        ctx.clear_cookies()
        sign_in(page, demo.base, CITIZEN, purpose="læse mit eget forløb",
                next_path=f"/case/{demo.adult}")
        found["citizen view"] = _serious(page)
    finally:
        ctx.close()
    assert not {name: v for name, v in found.items() if v}, found
