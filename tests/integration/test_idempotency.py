"""command_id (SPEC §8): re-sending a command with the same id is a no-op that returns the
first result; the same id with different content is refused. On both backends."""

from __future__ import annotations

from typing import Any

import pytest

from stafet import CommandResult, Ledger, RuleViolation
from stafet.domain.commands import Command, build_command
from tests.helpers import HOLDER, SOCIAL, Scenario
from tests.integration.concurrent_writers import RacedLedger


def _snapshot_of_store(ledger: Ledger) -> tuple[int | None, list[Any]]:
    """Everything a command could have stored: the newest notification id and every case."""
    return ledger.store.recorder.max_notification_id(), ledger.case_ids()


def _same_apart_from_replayed(first: CommandResult, again: CommandResult) -> None:
    assert again.replayed is True
    assert first.replayed is False
    assert again.model_dump(exclude={"replayed"}) == first.model_dump(exclude={"replayed"})


def _open(ledger: Ledger, **extra: Any) -> CommandResult:
    return ledger.run("case.open", {
        "actor": HOLDER, "subject_ref": "borger-4711", "subject_kind": "adult",
        "title": "Vejen til uddannelse", **extra,
    })


def test_resending_case_open_returns_the_same_case_and_opens_only_one(ledger: Ledger) -> None:
    first = _open(ledger, command_id="open-1")
    stored = _snapshot_of_store(ledger)

    again = _open(ledger, command_id="open-1")

    _same_apart_from_replayed(first, again)
    assert again.case_id == first.case_id
    assert _snapshot_of_store(ledger) == stored
    assert ledger.case_ids() == [first.case_id]
    assert [e.position for e in ledger.history(first.case_id)] == [1]


def test_resending_a_baton_command_stores_nothing_and_returns_the_first_result(
    ledger: Ledger,
) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    first = case.do("baton.hand", to=SOCIAL, command_id="hand-1")
    history = [e.model_dump() for e in ledger.history(case.case_id)]
    stored = _snapshot_of_store(ledger)

    for _ in range(3):
        _same_apart_from_replayed(first, case.do("baton.hand", to=SOCIAL, command_id="hand-1"))

    assert [e.model_dump() for e in ledger.history(case.case_id)] == history
    assert _snapshot_of_store(ledger) == stored
    assert history[-1]["command_id"] == "hand-1"


def test_a_resent_command_replays_even_when_the_rules_would_now_refuse_it(
    ledger: Ledger,
) -> None:
    """The first result comes back although the hand-off has since completed: the id is
    remembered, the command is not decided again."""
    case = Scenario(ledger)
    case.join(SOCIAL)
    first = case.do("baton.hand", to=SOCIAL, command_id="hand-1")
    case.do("baton.grab", actor=SOCIAL, command_id="grab-1")
    case.do("baton.release", command_id="release-1")
    stored = _snapshot_of_store(ledger)

    _same_apart_from_replayed(first, case.do("baton.hand", to=SOCIAL, command_id="hand-1"))
    assert case.do("baton.release", command_id="release-1").replayed
    assert _snapshot_of_store(ledger) == stored
    assert case.state.baton.holder == SOCIAL and case.state.version == 5


def test_the_command_id_survives_a_new_ledger_on_the_same_store(db_url: str) -> None:
    with Ledger(db_url) as writer:
        first = _open(writer, command_id="open-1")
        noted = writer.log_note(actor=HOLDER, case_id=first.case_id, text="x", command_id="n-1")
    with Ledger(db_url) as another:
        stored = _snapshot_of_store(another)
        _same_apart_from_replayed(first, _open(another, command_id="open-1"))
        _same_apart_from_replayed(
            noted, another.log_note(actor=HOLDER, case_id=first.case_id, text="x", command_id="n-1")
        )
        assert _snapshot_of_store(another) == stored
        assert another.case_ids() == [first.case_id]


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("baton.hand", {"to": "carl@misbrugscenter"}),  # same command, another target
        ("baton.hand", {"to": SOCIAL, "note": "med en bemærkning"}),  # one more field
        ("baton.hand", {"to": SOCIAL, "actor": "carl@misbrugscenter"}),  # another actor
        ("note", {"text": "helt andet"}),  # another command
        ("case.open", {"subject_ref": "borger-4711", "subject_kind": "adult", "title": "x"}),
    ],
    ids=["other-target", "extra-field", "other-actor", "other-command", "case-open"],
)
def test_the_same_id_with_different_content_is_refused_and_stores_nothing(
    ledger: Ledger, name: str, fields: dict[str, Any]
) -> None:
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.join("carl@misbrugscenter")
    first = case.do("baton.hand", to=SOCIAL, command_id="hand-1")
    history = [e.model_dump() for e in ledger.history(case.case_id)]
    stored = _snapshot_of_store(ledger)

    body = {"actor": HOLDER, **fields, "command_id": "hand-1"}
    if name != "case.open":
        body["case_id"] = case.case_id
    with pytest.raises(RuleViolation) as refusal:
        ledger.run(name, body)

    assert refusal.value.code == "command.id_reused"
    assert "hand-1" in refusal.value.message
    assert [e.model_dump() for e in ledger.history(case.case_id)] == history
    assert _snapshot_of_store(ledger) == stored
    # ... and the original still replays.
    _same_apart_from_replayed(first, case.do("baton.hand", to=SOCIAL, command_id="hand-1"))


def test_the_same_id_on_another_case_is_refused(ledger: Ledger) -> None:
    one, other = Scenario(ledger), Scenario(ledger)
    one.do("note", text="Første notat", command_id="note-1")
    stored = _snapshot_of_store(ledger)
    with pytest.raises(RuleViolation) as refusal:
        other.do("note", text="Første notat", command_id="note-1")
    assert refusal.value.code == "command.id_reused"
    assert _snapshot_of_store(ledger) == stored
    assert other.state.version == 1


def test_a_different_case_open_under_a_used_id_opens_no_case(ledger: Ledger) -> None:
    first = _open(ledger, command_id="open-1")
    stored = _snapshot_of_store(ledger)
    with pytest.raises(RuleViolation) as refusal:
        _open(ledger, command_id="open-1", title="Et andet forløb")
    assert refusal.value.code == "command.id_reused"
    assert _snapshot_of_store(ledger) == stored
    assert ledger.case_ids() == [first.case_id]


def test_a_refused_command_leaves_its_id_unused(ledger: Ledger) -> None:
    """Nothing is stored for a refused command, not even its id: sent again once the rules
    allow it, it is decided afresh and succeeds."""
    case = Scenario(ledger)
    case.join(SOCIAL)
    case.do("baton.hand", to=SOCIAL)
    case.refused("baton.release", "baton.release_before_grab", command_id="release-1")
    assert ledger.store.recorder.select_command("release-1") is None

    case.do("baton.grab", actor=SOCIAL)
    released = case.do("baton.release", command_id="release-1")
    assert not released.replayed and [e.type for e in released.events] == ["BatonReleased"]
    assert case.do("baton.release", command_id="release-1").replayed


def test_within_one_unit_of_work_a_repeated_id_is_stored_once(ledger: Ledger) -> None:
    case = Scenario(ledger)
    work = ledger.unit_of_work()
    first = work.decide(_note(case, "n-1", "Notat"))
    again = work.decide(_note(case, "n-1", "Notat"))
    _same_apart_from_replayed(first, again)
    with pytest.raises(RuleViolation) as refusal:
        work.decide(_note(case, "n-1", "Et andet notat"))
    assert refusal.value.code == "command.id_reused"
    work.commit()

    assert [e.type for e in first.events] == ["NoteLogged"]
    assert case.state.version == 2
    _same_apart_from_replayed(first, case.do("note", text="Notat", command_id="n-1"))


def _note(case: Scenario, command_id: str, text: str) -> Command:
    return build_command(
        "note", {"actor": HOLDER, "case_id": case.case_id, "text": text, "command_id": command_id}
    )


# -- two writers with one command id at the same moment ----------------------------------
# The second writer has decided (and, for case.open, drawn its own new case id) when the
# first one stores; its commit then collides, and it must answer with the first result.


def test_two_writers_opening_with_one_id_open_one_case_and_both_get_it(db_url: str) -> None:
    with Ledger(db_url) as first_writer, RacedLedger(db_url) as second_writer:
        first: list[CommandResult] = []
        second_writer.meanwhile = lambda: first.append(_open(first_writer, command_id="open-1"))

        again = _open(second_writer, command_id="open-1")

        assert second_writer.conflicts == 1
        _same_apart_from_replayed(first[0], again)
        assert first_writer.case_ids() == [first[0].case_id]
        assert first_writer.store.recorder.max_notification_id() == 1


def test_two_writers_sending_one_command_id_store_it_once(db_url: str) -> None:
    with Ledger(db_url) as first_writer, RacedLedger(db_url) as second_writer:
        case = Scenario(first_writer)
        case.join(SOCIAL)
        first: list[CommandResult] = []
        second_writer.meanwhile = lambda: first.append(
            case.do("baton.hand", to=SOCIAL, command_id="hand-1")
        )

        again = second_writer.hand_baton(
            actor=HOLDER, case_id=case.case_id, to=SOCIAL, command_id="hand-1"
        )

        assert second_writer.conflicts == 1
        _same_apart_from_replayed(first[0], again)
        assert [type(e).__name__ for e in first_writer.history(case.case_id)] == [
            "CaseOpened", "ParticipantJoined", "BatonHanded",
        ]


def test_two_writers_sending_one_id_with_different_content_store_only_the_first(
    db_url: str,
) -> None:
    with Ledger(db_url) as first_writer, RacedLedger(db_url) as second_writer:
        case = Scenario(first_writer)
        second_writer.meanwhile = lambda: case.do("note", text="den ene", command_id="n-1")
        with pytest.raises(RuleViolation) as refusal:
            second_writer.log_note(
                actor=HOLDER, case_id=case.case_id, text="den anden", command_id="n-1"
            )
        assert refusal.value.code == "command.id_reused"
        assert [getattr(e, "text", None) for e in first_writer.history(case.case_id)] == [
            None, "den ene",
        ]
