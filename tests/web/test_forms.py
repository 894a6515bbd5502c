"""The daily verbs' forms against a real server: each stores its command, and a refused one
shows the domain's sentence inside the form that was sent, with what was typed kept."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest

from stafet import Ledger
from stafet.domain.values import COPENHAGEN
from tests.web.conftest import CITIZEN, Demo
from tests.web.visitor import Visitor

pytestmark = [pytest.mark.process]


def holder(demo: Demo) -> str:
    with Ledger(demo.url, read_models=False) as ledger:
        return ledger.get_case(demo.adult).baton.holder


def form_of(page: str, form_id: str) -> str:
    found = re.search(rf'<form [^>]*id="{form_id}".*?</form>', page, re.S)
    assert found, f"no form {form_id}"
    return html.unescape(found.group(0))


def send(visitor: Visitor, demo: Demo, verb: str, data: dict[str, object]) -> tuple[int, str]:
    token = visitor.csrf(f"/case/{demo.adult}")
    answer = visitor.post(f"/case/{demo.adult}/do/{verb}", {"csrf": token, **data})
    return answer.status_code, answer.text


def test_the_daily_verbs_store_and_refusals_stand_in_their_form(demo: Demo) -> None:
    visitor = Visitor(demo.base)
    me = holder(demo)
    visitor.sign_in(me)

    # an agreement without a due date: the field named, in the form, the text kept
    status, page = send(visitor, demo, "agreement.make",
                        {"text": "Ringe til Mads – æøå", "responsible": me})
    assert status == 422
    form = form_of(page, "form-agreement-make")
    assert "field 'due_on' is required" in form and "Ringe til Mads – æøå" in form
    status, _ = send(visitor, demo, "agreement.make", {"text": "Ringe til Mads – æøå",
                                                       "responsible": me,
                                                       "due_on": "2027-01-15"})
    assert status == 303
    with Ledger(demo.url, read_models=False) as ledger:
        made = [a for a in ledger.get_case(demo.adult).agreements.values()
                if a.text == "Ringe til Mads – æøå"]
    assert len(made) == 1
    agreement = made[0].agreement_id

    status, _ = send(visitor, demo, "agreement.complete", {"agreement_id": agreement,
                                                           "note": "Talt med Mads"})
    assert status == 303

    # a meeting: convened, then held with minutes and an agreement made there
    status, page = send(visitor, demo, "meeting.convene", {
        # starting now (within the policy's few minutes' grace), so it can be held at once
        "starts_at": f"{datetime.now(COPENHAGEN) - timedelta(minutes=1):%Y-%m-%dT%H:%M}",
        "place": "Jobcenter Odense, lokale 2",
        "place_agreed_with_citizen": "1", "invited": [CITIZEN],
        "agenda": "Status\nNæste skridt"})
    assert status == 303, page
    with Ledger(demo.url, read_models=False) as ledger:
        meeting = max(ledger.get_case(demo.adult).meetings)
    status, page = send(visitor, demo, "meeting.hold", {
        "meeting_id": meeting, "attendees": [me, CITIZEN], "minutes": "",
        "decisions": "Fortsæt"})
    assert status == 422
    assert "minutes" in form_of(page, f"form-meeting-hold-{meeting}")
    status, _ = send(visitor, demo, "meeting.hold", {
        "meeting_id": meeting, "attendees": [me, CITIZEN], "minutes": "Mads fortalte.",
        "decisions": "Fortsæt\nNyt møde i marts", "a0_text": "Sende referat",
        "a0_responsible": me, "a0_due_on": "2027-02-08"})
    assert status == 303

    status, _ = send(visitor, demo, "consent.give", {
        "given_by": "citizen", "purpose": "koordinering af bolig",
        "recipients": "@boligselskabet, " + me, "categories": "bolig, økonomi",
        "expires_on": "2027-12-31"})
    assert status == 303

    page = visitor.get(f"/case/{demo.adult}").text
    for text in ("Sende referat", "Mads fortalte.", "Nyt møde i marts", "koordinering af bolig",
                 "Talt med Mads"):
        assert text in html.unescape(page), text

    # the same form sent twice (its command id): stored once
    token = visitor.csrf(f"/case/{demo.adult}")
    once = {"csrf": token, "text": "Kun én gang", "command_id": "web-test-twice"}
    assert visitor.post(f"/case/{demo.adult}/do/note", once).status_code == 303
    assert visitor.post(f"/case/{demo.adult}/do/note", once).status_code == 303
    with Ledger(demo.url, read_models=False) as ledger:
        assert [type(e).__name__ for e in ledger.history(demo.adult)
                if getattr(e, "text", None) == "Kun én gang"] == ["NoteLogged"]


def test_the_citizen_may_not_hand_the_baton(demo: Demo) -> None:
    visitor = Visitor(demo.base)
    visitor.sign_in(CITIZEN)
    status, page = send(visitor, demo, "baton.hand", {"to": CITIZEN})
    assert status == 409 and "refusal" in page
    assert holder(demo) != CITIZEN
