"""What a long-running process holds in memory: cases between commands (the case cache), the
citizens' keys, a projection runner's states. What it must never do: decide on a stale case,
or show or write back a citizen's personal data after another process erased them.

The other process is a real one where it matters: ``stafet`` run as a subprocess on the same
store. Also here: an erasure whose event falls on a snapshot position (snapshots need the key,
which the erasure has just deleted).
"""

from __future__ import annotations

import pytest

from stafet import Ledger
from stafet.domain.errors import RuleViolation
from tests.trust.conftest import ExampleStore
from tests.trust.support import ADMIN, ADULT_REF, DPO, stafet_process


@pytest.mark.process
def test_a_cached_case_shows_what_another_process_wrote(example_store: ExampleStore) -> None:
    with Ledger(example_store.url) as ledger:
        holder = ledger.get_case(example_store.adult).baton.holder
        version = ledger.get_case(example_store.adult).version
        assert ledger.store.repository.cache is not None
        note = stafet_process(example_store.url, "--as", holder, "note", example_store.adult,
                              "Skrevet af en anden proces")
        assert note.code == 0, note.err
        assert ledger.get_case(example_store.adult).version == version + 1
        # And a command decided here builds on that event, not on the cached version.
        result = ledger.log_note(actor=holder, case_id=example_store.adult, text="Og her")
        assert result.version == version + 2


@pytest.mark.process
def test_a_cached_case_is_not_decided_on_stale_baton_state(example_store: ExampleStore) -> None:
    """Another process hands the baton on and completes the hand-over; this ledger, which has
    the case cached from before, must refuse the old holder's hand-over now."""
    with Ledger(example_store.url) as ledger:
        state = ledger.get_case(example_store.adult)
        old_holder = state.baton.holder
        new_holder = next(ref for ref, p in state.participants.items()
                          if p.active and p.kind == "authority" and ref != old_holder)
        for actor, *args in [(old_holder, "baton", "hand", example_store.adult, "--to", new_holder),
                             (new_holder, "baton", "grab", example_store.adult),
                             (old_holder, "baton", "release", example_store.adult)]:
            run = stafet_process(example_store.url, "--as", actor, *args)
            assert run.code == 0, run.err
        try:
            ledger.hand_baton(actor=old_holder, case_id=example_store.adult, to=new_holder)
        except RuleViolation:
            pass
        else:
            raise AssertionError("the former holder handed a baton they no longer hold")
        assert ledger.get_case(example_store.adult).baton.holder == new_holder


@pytest.mark.process
def test_an_erasure_by_another_process_empties_the_cached_case(
    example_store: ExampleStore,
) -> None:
    with Ledger(example_store.url) as ledger:
        before = ledger.get_case(example_store.adult)
        assert before.subject_ref == ADULT_REF  # cached here, in clear
        erase = stafet_process(example_store.url, "--as", DPO, "erase", "--subject", ADULT_REF,
                               "--confirm", ADULT_REF, "--reason", "Slettefrist udløbet")
        assert erase.code == 0, erase.err
        after = ledger.get_case(example_store.adult)
        assert after.personal_data_erased
        assert after.subject_ref == "[erased]"
        assert after.title == "[erased]"
        assert ADULT_REF not in after.model_dump_json()
        # Nor does the history read through this ledger's remembered key.
        assert ADULT_REF not in "".join(e.model_dump_json() for e in ledger.history(
            example_store.adult))


def test_an_erasure_here_leaves_nothing_in_clear_in_the_cache(
    example_store: ExampleStore,
) -> None:
    with Ledger(example_store.url) as ledger:
        assert ledger.get_case(example_store.adult).subject_ref == ADULT_REF
        ledger.erase_subject(actor=DPO, subject_ref=ADULT_REF, reason="Slettefrist udløbet",
                             confirm=ADULT_REF)
        assert ledger.store.repository.cache is not None
        cached = ledger.store.repository.cache.cache.get(ledger.resolve_case(example_store.adult))
        assert cached is None or ADULT_REF not in repr(cached)
        assert ledger.get_case(example_store.adult).subject_ref == "[erased]"


def test_a_running_projection_runner_does_not_write_an_erased_citizen_back(
    example_store: ExampleStore,
) -> None:
    """A ``projections run`` process has the case in its memory, in clear, when another process
    erases the citizen; applying the erasure event must leave the read models erased."""
    follower = Ledger(example_store.url, read_models=False)
    eraser = Ledger(example_store.url, read_models=False)
    try:
        follower.read_models.rebuild()  # every case now warm in the runner's memory
        title = follower.get_case(example_store.adult).title
        eraser.erase_subject(actor=DPO, subject_ref=ADULT_REF, reason="Slettefrist udløbet",
                             confirm=ADULT_REF)
        follower.read_models.catch_up()
        with follower.store.sql.connect() as conn:
            for table in ("rm_cases", "rm_events", "rm_caseload", "rm_participants"):
                text = "".join(str(row) for row in conn.exec_driver_sql(f"SELECT * FROM {table}"))
                assert ADULT_REF not in text, table
                assert title not in text, table
    finally:
        follower.close()
        eraser.close()


def test_an_erasure_that_lands_on_a_snapshot_position_is_recorded(db_url: str) -> None:
    """Snapshots need the key; the erasure event deletes it first. An erasure event at a
    snapshot position must still be recorded, and the case still load."""
    with Ledger(db_url, snapshot_interval=5) as ledger:
        ledger.appoint_first_admin(ADMIN)
        ledger.grant_role(actor=ADMIN, role="dpo", to=DPO)
        opened = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-snap-1",
                                  subject_kind="adult", title="Forløb for borger-snap-1")
        while ledger.get_case(opened.case_id).version < 4:
            ledger.log_note(actor="anne@jobcenter", case_id=opened.case_id, text="Samtale")
        erased = ledger.erase_subject(actor=DPO, subject_ref="borger-snap-1",
                                      reason="Slettefrist udløbet", confirm="borger-snap-1")
        assert erased.cases == [opened.case_id]
        state = ledger.get_case(opened.case_id)
        assert (state.version, state.personal_data_erased) == (5, True)
        assert state.title == "[erased]"
    with Ledger(db_url) as fresh:
        assert fresh.get_case(opened.case_id).title == "[erased]"
