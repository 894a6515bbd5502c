"""Event evolution: a log written with version 1 of an event loads through version 2 of its
class (upcast on read), and still verifies; the catalogue in docs/events.md is the registry's."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest
from eventsourcing.persistence import StoredEvent

from stafet import Ledger
from stafet.domain.administration import ADMIN_EVENT_TYPES
from stafet.domain.events import EVENT_TYPES, CaseEvent, NoteLogged
from stafet.storage import mapper as mapper_module
from stafet.storage.evolution import END, START, catalogue, in_document, problems
from stafet.storage.failures import StoreUnusable

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"
HOLDER, AUDITOR = "anne@jobcenter", "revisor@kommunen"


def test_every_event_class_has_a_version_and_its_upcasters() -> None:
    assert problems(mapper_module.TOPICS) == []
    for cls in mapper_module.TOPICS.values():
        assert isinstance(cls.class_version, int) and cls.class_version >= 1  # type: ignore[attr-defined]


def test_the_catalogue_in_docs_is_the_registrys() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert START in text and END in text
    assert in_document(text) == text, ("docs/events.md is behind the event registry: run "
                                       "python -m stafet.storage.evolution docs/events.md")
    listed = catalogue(EVENT_TYPES, ADMIN_EVENT_TYPES)
    for topic in [*EVENT_TYPES, *ADMIN_EVENT_TYPES]:
        assert f"| `{topic}` |" in listed


def _evolved(monkeypatch: pytest.MonkeyPatch) -> type[NoteLogged]:
    """The next release's NoteLogged: version 2 adds the note's language; every note written
    before said nothing of it, and was Danish."""
    monkeypatch.setattr(CaseEvent, "TYPES", dict(CaseEvent.TYPES))  # the class below stays here

    class NoteLoggedV2(NoteLogged):
        """Named NoteLogged, as the evolved class would be (the name is the stored topic)."""

        class_version: ClassVar[int] = 2
        language: str

        @staticmethod
        def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
            return {**data, "language": "da"}

    NoteLoggedV2.__name__ = NoteLoggedV2.__qualname__ = "NoteLogged"
    monkeypatch.setitem(mapper_module.TOPICS, "NoteLogged", NoteLoggedV2)
    return NoteLoggedV2


def _stored_notes(path: Path) -> list[bytes]:
    db = sqlite3.connect(path)
    try:
        return [bytes(r[0]) for r in db.execute(
            "SELECT state FROM stored_events WHERE topic = 'NoteLogged' ORDER BY rowid")]
    finally:
        db.close()


def test_a_log_written_with_version_1_loads_through_version_2_and_verifies(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "stafet.db"
    with Ledger(f"sqlite:///{path}") as ledger:
        ledger.appoint_first_admin("it@kommunen")
        ledger.grant_role(actor="it@kommunen", role="auditor", to=AUDITOR)
        case_id = ledger.run("case.open", {
            "actor": HOLDER, "subject_ref": "borger-4711", "subject_kind": "adult",
            "title": "Samlet forløb", "temporary": False}).case_id
        ledger.run("note", {"actor": HOLDER, "case_id": case_id, "text": "skrevet i version 1"})
    v1_bytes = _stored_notes(path)
    assert len(v1_bytes) == 1 and b"class_version" not in v1_bytes[0]

    evolved = _evolved(monkeypatch)
    with Ledger(f"sqlite:///{path}") as ledger:
        notes = [e for e in ledger.history(case_id) if isinstance(e, NoteLogged)]
        assert len(notes) == 1 and isinstance(notes[0], evolved)
        assert notes[0].language == "da"  # type: ignore[attr-defined]
        assert notes[0].text == "skrevet i version 1"  # opened after upcasting
        assert ledger.verify(actor=AUDITOR).ok
        # The read models, fed by the same mapper, fold the upcast event too.
        ledger.read_models.rebuild()
    assert _stored_notes(path) == v1_bytes, "reading never rewrites the log"


def test_version_2_is_stored_with_its_version_and_read_back_without_upcasting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evolved = _evolved(monkeypatch)
    with Ledger(f"sqlite:///{tmp_path / 'stafet.db'}") as ledger:
        case_id = ledger.run("case.open", {
            "actor": HOLDER, "subject_ref": "borger-4711", "subject_kind": "adult",
            "title": "Samlet forløb", "temporary": False}).case_id
        mapper = ledger.store.mapper
        event = evolved(originator_id=case_id, originator_version=2, recorded_at=datetime.now(UTC),
                        actor=HOLDER, text="in English", language="en")
        stored = mapper.to_stored_event(event)
        data = json.loads(stored.state)
        assert data["class_version"] == 2 and "$sealed" in json.dumps(data["text"])
        back = mapper.to_domain_event(stored)
        assert back.language == "en" and back.text == "in English"

        newer = StoredEvent(originator_id=case_id, originator_version=3, topic="NoteLogged",
                            state=json.dumps({**data, "class_version": 7}).encode())
        with pytest.raises(StoreUnusable, match="version 7, written by a later stafet"):
            mapper.to_domain_event(newer)


def test_an_event_of_a_version_it_does_not_know_is_refused_without_upcasters() -> None:
    class Broken(NoteLogged):
        class_version: ClassVar[int] = 3

        @staticmethod
        def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
            return data

    try:
        assert problems({"Broken": Broken}) == [
            "Broken is version 3 but has no static method upcast_v2_v3"]
    finally:
        CaseEvent.TYPES.pop("Broken", None)
