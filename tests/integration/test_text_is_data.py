"""What storage decides about texts and unknown cases, on an SQLite file and on PostgreSQL.

Moved here from tests/rules (which run the pure domain in memory): these are about what a
real store keeps and finds, read back by a fresh ``Ledger`` (not from this process's memory).

| SPEC rule (§) | tests |
|---|---|
| "Danish letters, long texts and odd Unicode are data, not errors" (§10) | |
| | test_danish_letters_long_texts_and_odd_unicode_in_a_note_are_data |
| | test_danish_letters_long_texts_and_odd_unicode_in_the_plan_are_data |
| "mistakes are corrected by new events that reference the old one" (§1) | |
| | test_a_correction_on_an_unknown_case_is_refused |
"""

from __future__ import annotations

from uuid import uuid4

import pytest

from stafet import CaseNotFound, Ledger
from tests.helpers import HOLDER, SOCIAL, Scenario
from tests.rules._plan_support import stored


def case_with_note(ledger: Ledger) -> Scenario:
    """An adult's case: 1 CaseOpened, 2 SOCIAL joined, 3 a note by SOCIAL."""
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.do("note", actor=SOCIAL, text="Borgeren mødte ikke op tirsdag.")
    return case


def test_danish_letters_long_texts_and_odd_unicode_in_a_note_are_data(
    ledger: Ledger, db_url: str
) -> None:
    case = case_with_note(ledger)
    texts = [
        "Æ Ø Å æ ø å – Ærøskøbing, Brønshøj, Sønderjylland",
        "👨‍👩‍👧‍👦 🇩🇰 e\u0301 \u202eRTL\u202c zero\u200bwidth \ufeffBOM ẞ ǅ 𝔘 "
        "\u0627\u0644\u0639\u0631\u0628\u064a\u0629",
        ("Langt notat om forløbet; " * 9000)[:200_000].strip(),
    ]
    for text in texts:
        case.do("note", text=text)

    with Ledger(db_url) as again:  # read back from storage, not from this process's memory
        notes = [e.data()["text"] for e in again.history(case.case_id)[3:]]
    assert notes == texts
    assert len(notes[2]) == len(texts[2]) > 199_000


def test_danish_letters_long_texts_and_odd_unicode_in_the_plan_are_data(
    ledger: Ledger, db_url: str
) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.accept_plan()
    odd = "Æblegrød på Ærø – «citat» 👨‍👩‍👧 e\u0301 \u202eRTL\u202c zero\u200bwidth ẞ ǅ 𝔘"
    long_text = ("Søren Kierkegaard-vej 7, 2. th. " * 6000)[:199_990] + "ØÆÅ slut"
    case.do("plan.summary", text=long_text)
    case.do("goal.set", level="overall", text=odd)
    case.do("view", text="Jeg hedder Åse og vil være smed 🔧")

    # Read back from the stored log by a fresh ledger: nothing was lost or mangled.
    with Ledger(db_url) as again:
        state = again.get_case(case.case_id)
    assert state.summary == long_text
    assert state.goals["G1"].text == odd
    assert state.citizen_views[0].text == "Jeg hedder Åse og vil være smed 🔧"


def test_a_correction_on_an_unknown_case_is_refused(ledger: Ledger) -> None:
    case = case_with_note(ledger)
    before = stored(case)
    missing = uuid4()
    with pytest.raises(CaseNotFound, match=rf"there is no case {missing}"):
        ledger.run("correct", {"actor": HOLDER, "case_id": missing, "position": 1,
                               "correction": "Rettelse", "reason": "Fejl"})
    assert stored(case) == before
    assert ledger.case_ids() == [case.case_id]
