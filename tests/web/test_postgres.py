"""The web view on PostgreSQL (one smoke run): sign in, read the case page, write a note, and
see another participant's write arrive live (the feed wakes on LISTEN/NOTIFY there)."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, expect
from psycopg import sql

from tests.conftest import _conninfo
from tests.http.server import Server
from tests.web.conftest import LOUISE, PETER, Demo, make_store, new_context, sign_in

pytestmark = [pytest.mark.process, pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def pg_demo(pg_url: str) -> Iterator[Demo]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    url = f"{pg_url}?schema={schema}"
    adult, family = make_store(url)
    with tempfile.TemporaryDirectory(prefix="stafet-web-pg-") as workdir:
        server = Server(url, Path(workdir)).start()
        try:
            yield Demo(url, adult, family, server)
        finally:
            server.stop()
            with psycopg.connect(_conninfo(url), autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)))


def test_the_case_page_on_postgresql(browser: Browser, pg_demo: Demo) -> None:
    peter_ctx, louise_ctx = new_context(browser), new_context(browser)
    try:
        peter, louise = peter_ctx.new_page(), louise_ctx.new_page()
        sign_in(peter, pg_demo.base, PETER, next_path=f"/case/{pg_demo.adult}")
        expect(peter.locator("svg.timeline g.band")).to_have_count(2)
        peter.fill("#note-text", "Notat fra PostgreSQL – æøå")
        peter.click("#form-note button[type=submit]")
        expect(peter.locator("#history")).to_contain_text("Notat fra PostgreSQL – æøå")
        peter.click(f"button[name=to][value='{LOUISE}']")
        expect(peter.locator("#exchange")).to_contain_text(LOUISE)
        sign_in(louise, pg_demo.base, LOUISE, next_path=f"/case/{pg_demo.adult}")
        louise.click("#grab")
        expect(peter.locator("#exchange")).to_contain_text("Overdragelseszone", timeout=20_000)
    finally:
        peter_ctx.close()
        louise_ctx.close()
