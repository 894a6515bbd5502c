"""``stafet case history --lang da|en`` tells the story in plain words: every event type of the
catalogue (the adult example, carried on through every remaining kind of event, and the family
example after an erasure), dates as people write them, and no event type names or JSON.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from stafet import Ledger
from stafet.domain.events import EVENT_TYPES
from tests.trust.support import ADULT_HOLDER, DPO, FAMILY_HOLDER, FAMILY_REF, read, stafet

PETER = ADULT_HOLDER  # the adult example's holder at its end
LOUISE = "louise.holm@jobcenter-odense"
JENS = "jens.berg@misbrugscenter-odense"

MONTHS = {
    "da": r"(jan\.|feb\.|mar\.|apr\.|maj|jun\.|jul\.|aug\.|sep\.|okt\.|nov\.|dec\.)",
    "en": r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)",
}
WHEN = {"da": MONTHS["da"].join([r"\d{1,2}\. ", r" \d{4} \d{2}:\d{2}"]),
        "en": MONTHS["en"].join([r"\d{1,2} ", r" \d{4} \d{2}:\d{2}"])}
HEADERS = {"da": ["#", "HVORNÅR", "HVEM", "HVAD"], "en": ["#", "WHEN", "WHO", "WHAT"]}
# Words of the other language's sentences that the data of the examples never uses.
FOREIGN = {
    "da": re.compile(r"\b(the|baton|case|meeting|agreement|consent|goal|wrote|marked|planned|"
                     r"linked|held|offered|took|added|opened|closed|reopened|erased|shared)\b"),
    "en": re.compile(r"\b(stafetten|tilføjede|noterede|markerede|indkaldte|overtog|aftalte|"
                     r"planlagde|oprettede|afsluttede|genåbnede|slettede|sendte|holdt|delte)\b"),
}
LEAKS = re.compile(r"[{}]|\$sealed|\":|\b[a-z]+_[a-z_]+\b|\b(None|True|False|null)\b")


@dataclass(frozen=True)
class Story:
    url: str
    adult: str
    family: str

    def reader(self, case: str) -> str:
        """Who reads the case's history: its coordinator (a participant)."""
        return PETER if case == self.adult else FAMILY_HOLDER


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory,
          _pristine_sqlite: tuple[Path, str, str]) -> Story:
    """The two examples; the adult case carried on through every event type it lacks, the
    family's citizen erased."""
    pristine, adult, family = _pristine_sqlite
    path = tmp_path_factory.mktemp("story") / "stafet.db"
    shutil.copyfile(pristine, path)
    url = f"sqlite:///{path}"
    later = (date.today() + timedelta(days=20)).isoformat()
    with Ledger(url) as ledger:
        def do(name: str, actor: str = PETER, **fields: Any) -> None:
            ledger.run(name, {"actor": actor, "case_id": UUID(adult), **fields})

        do("baton.hand", to=LOUISE, note="Boligdelen fylder nu mest")
        do("baton.decline", actor=LOUISE, reason="Ikke plads i min kalender lige nu")
        do("baton.hand", to=LOUISE)
        do("baton.withdraw", reason="Vi venter til efter sommerferien")
        do("goal.revise", goal_id="G2", text="Mads starter på EUV i januar 2027",
           reason="Optaget fra januar")
        do("effort.status", effort_id="E1", status="paused", note="Holder pause over jul")
        do("agreement.make", text="sende boligansøgningen", responsible=LOUISE, due_on=later)
        do("agreement.cancel", agreement_id="A6", reason="Ansøgningen er allerede sendt")
        # issue 17: undo as events, the baton confirmed, the birth month, who withdrew
        do("meeting.reschedule", meeting_id="M2", starts_at=f"{later}T13:00",
           place="Socialafdelingen, lokale 2", reason="Tolken er optaget")
        do("meeting.not-held", meeting_id="M1", reason="Registreret på det forkerte møde")
        do("meeting.hold", meeting_id="M1", attendees=[JENS], minutes="Mads fortalte om sin plan.")
        do("case.birth-month", birth_month="1987-04")
        do("meeting.cancel", meeting_id="M2", reason="Mads er syg")
        do("correct", position=5, correction="Karin Hansen er praktiserende læge i Odense",
           reason="Forkert titel")
        do("agreement.complete", actor=JENS, agreement_id="A1")
        do("agreement.reopen", agreement_id="A1", reason="Samtalerne fortsætter")
        do("agreement.complete", actor=JENS, agreement_id="A1")
        do("consent.revoke", consent_id="C1", reason="Mads ønsker et nyt samtykke",
           revoked_by={"role": "citizen", "name": "Mads"})
        do("case.close", further_course="Socialafdelingen følger op via handleplanen",
           follow_up_by=PETER, continuing_sector_plans=["SP2"])
        do("case.reopen", actor=LOUISE, reason="Mads har mistet sin bolig")
        do("baton.confirm", actor=LOUISE)
    erased = stafet(url, "--as", DPO, "erase", "--subject", FAMILY_REF, "--confirm", FAMILY_REF,
                    "--reason", "Slettefrist udløbet")
    assert erased.code == 0, erased.err
    return Story(url, adult, family)


def history(story: Story, case: str, lang: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(the events as JSON, the lines of the history for people, header first)."""
    events = read(story.url, "--json", "case", "history", case, actor=story.reader(case)).json()
    done = read(story.url, "case", "history", case, "--lang", lang, actor=story.reader(case))
    assert done.code == 0, done.err
    return events, done.out.splitlines()


def descriptions(events: list[dict[str, Any]], lines: list[str]) -> dict[str, list[str]]:
    """{event type: what each of its lines says after the actor}, checking one line an event."""
    assert len(lines) == 1 + len(events)
    said: dict[str, list[str]] = {}
    for event, line in zip(events, lines[1:], strict=True):
        number, _, rest = line.partition(" ")
        assert int(number) == event["position"]
        said.setdefault(event["type"], []).append(rest.split(event["actor"], 1)[1].strip())
    return said


def test_the_stories_hold_every_event_type(story: Story) -> None:
    adult = {e["type"] for e in read(story.url, "--json", "case", "history", story.adult,
                                     actor=PETER).json()}
    family = {e["type"] for e in read(story.url, "--json", "case", "history", story.family,
                                      actor=FAMILY_HOLDER).json()}
    assert adult | family == set(EVENT_TYPES)


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("which", ["adult", "family"])
def test_history_is_told_in_plain_words(story: Story, lang: str, which: str) -> None:
    events, lines = history(story, getattr(story, which), lang)
    assert lines[0].split() == HEADERS[lang]
    said = descriptions(events, lines)
    text = "\n".join(lines[1:])

    for line in lines[1:]:
        assert re.match(r"\d+\s+" + WHEN[lang] + r"\s", line), line
    for event_type in EVENT_TYPES:
        assert event_type not in text, event_type
    assert not LEAKS.findall(text)
    other_months = MONTHS["en" if lang == "da" else "da"].replace(r"\.", "")
    assert not re.search(r"\d{1,2}\.? " + other_months + r" \d{4}", text)
    for event_type, sentences in said.items():
        for sentence in sentences:
            assert sentence, event_type
            # "[erased]" is the placeholder for erased personal data, in every language
            assert not FOREIGN[lang].search(sentence.replace("[erased]", "")), sentence


def test_danish_and_english_say_each_event_differently(story: Story) -> None:
    for case in (story.adult, story.family):
        events, danish = history(story, case, "da")
        _, english = history(story, case, "en")
        da, en = descriptions(events, danish), descriptions(events, english)
        for event_type in da:
            for in_danish, in_english in zip(da[event_type], en[event_type], strict=True):
                assert in_danish != in_english, event_type


def test_dates_are_written_as_people_write_them(story: Story) -> None:
    # The adult example opens on 2 March 2026 at 09:15 Copenhagen time; the hand-over in May.
    _, danish = history(story, story.adult, "da")
    _, english = history(story, story.adult, "en")
    assert danish[1].split()[1:5] == ["2.", "mar.", "2026", "09:15"]
    assert english[1].split()[1:5] == ["2", "Mar", "2026", "09:15"]
    assert any(" maj 2026 " in line for line in danish)
    assert not any(" May " in line for line in danish)
    assert any(" May 2026 " in line for line in english)


def test_the_words_for_the_new_kinds_of_event(story: Story) -> None:
    """The events the examples lack, in both languages, with what they are about."""
    events, danish = history(story, story.adult, "da")
    _, english = history(story, story.adult, "en")
    da, en = descriptions(events, danish), descriptions(events, english)
    assert "M2" in da["MeetingCancelled"][0] and "Mads er syg" in da["MeetingCancelled"][0]
    assert "A6" in da["AgreementCancelled"][0] and "A6" in en["AgreementCancelled"][0]
    assert "G2" in da["PlanGoalRevised"][0] and "januar 2027" in da["PlanGoalRevised"][0]
    assert "E1" in da["EffortStatusChanged"][0] and "pause" in da["EffortStatusChanged"][0]
    assert "paused" in en["EffortStatusChanged"][0]
    assert "C1" in da["ConsentRevoked"][0]
    assert "5" in da["EntryCorrected"][0] and "Karin Hansen" in da["EntryCorrected"][0]
    assert PETER in da["CaseClosed"][0]
    assert "mistet sin bolig" in da["CaseReopened"][0]
    _, family_da = history(story, story.family, "da")
    assert "Slettefrist udløbet" in family_da[-1]
