"""Erasing a citizen (crypto-shredding): the key goes first, then the log says so.

The citizen's key is deleted, so every personal field sealed with it reads "[erased]"
everywhere at once while every hash in the chain stays valid. Then an erasure event is
recorded on each of their cases, their snapshots are dropped, the read models are made
afresh from the log, and the database files are scrubbed of the deleted plaintext.

The key goes first, so the log never claims an erasure that did not happen; if recording
fails, running the erasure again records it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from stafet.application.unit_of_work import UnitOfWork, decide_and_store
from stafet.domain.commands import EraseCase
from stafet.domain.errors import CaseNotFound
from stafet.storage.engine import scrub

if TYPE_CHECKING:
    from stafet.ledger import Ledger


def erase_subject(ledger: Ledger, actor: str, subject_ref: str, reason: str) -> list[UUID]:
    """Erase the citizen's personal data in every case about them; returns those cases."""
    store = ledger.store
    known = store.keys.cases_of(subject_ref)
    if not known:
        raise CaseNotFound("no case in this ledger is about that citizen")
    # A case.open that never committed (killed, or lost a race) leaves its key tie behind
    # without a case: the key is deleted all the same, there is just no event to record.
    cases = [c for c in known if store.recorder.select_events(c, limit=1)]
    if ledger.update_read_models:
        ledger.read_models.catch_up()
    store.keys.erase(subject_ref, at=ledger.clock())
    for case_id in cases:
        store.forget(case_id)

    def record_erasures(work: UnitOfWork) -> None:
        for case_id in cases:
            if not store.case(case_id).personal_data_erased:
                work.decide(EraseCase(actor=actor, case_id=case_id, reason=reason))

    decide_and_store(
        ledger.unit_of_work, record_erasures,
        gave_up="the key is deleted, but the cases were changed by others again and again, "
                "so the erasure is not yet recorded on all of them; run the erasure once more",
    )
    store.drop_snapshots(cases)
    ledger.read_models.refresh_cases(cases)
    scrub(store.storage)
    if ledger.read_models.storage is not store.storage:
        scrub(ledger.read_models.storage)
    # Operations (issue 19): the erasure also goes to the register kept outside the database,
    # so a restore of an older backup re-applies it (stafet.storage.erasure_register).
    from stafet.storage import erasure_register

    erasure_register.record(store.storage, store.keys.subject_id(subject_ref), cases,
                            store.head(), ledger.clock())
    return cases
