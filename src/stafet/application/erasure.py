"""Erasing a citizen (crypto-shredding): the key goes first, then the log says so.

The citizen's key is deleted, so every personal field sealed with it reads "[erased]"
everywhere at once while every hash in the chain stays valid. Then an erasure event is
recorded on each of their cases, their snapshots are dropped, the read models are made
afresh from the log, and the database files are scrubbed of the deleted plaintext.

The key goes first, so the log never claims an erasure that did not happen; if recording
fails, running the erasure again records it. Writers in other processes that still hold the
key check, inside the transaction that stores their events, that it exists
(stafet.storage.recorders), and projection runners forget every key when the erasure epoch
moves (stafet.storage.keys), so nothing is stored with the deleted key and no plaintext is
written back after the read models are rewritten here.

What the scrub could not reach is returned, not hidden (``Erasure.residues``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from stafet.application.unit_of_work import UnitOfWork, decide_and_store
from stafet.domain.commands import EraseCase
from stafet.domain.errors import CaseNotFound
from stafet.storage.engine import SCRUB_WAIT_SECONDS, Residue, scrub

if TYPE_CHECKING:
    from datetime import datetime

    from stafet.ledger import Ledger

# What no scrub of the store can reach, said after every erasure.
OUTSIDE = (
    Residue("exports and backups", "files exported and backups taken before the erasure still "
            "hold the plaintext (backups also the key): delete them, or re-run the erasure "
            "after restoring one", in_store=False),
    Residue("other read databases", "a read-model database this erase was not given "
            "(--read-db) is rewritten when its runner next catches up; scrub its files with "
            "`stafet --read-db URL erase --scrub-only`", in_store=False),
)


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: the citizen's cases, the case version of each erasure event it
    recorded (a re-run records none on cases already erased), and where deleted plaintext
    may still lie (``residues``; ``scrubbed`` is False when some is in the store's own
    files)."""

    cases: list[UUID]
    recorded: dict[UUID, int] = field(default_factory=dict)
    residues: list[Residue] = field(default_factory=list)

    @property
    def scrubbed(self) -> bool:
        return not any(r.in_store for r in self.residues)


def erase_subject(ledger: Ledger, actor: str, subject_ref: str, reason: str,
                  wait_seconds: float = SCRUB_WAIT_SECONDS) -> Erasure:
    """Erase the citizen's personal data in every case about them."""
    store = ledger.store
    known = store.keys.cases_of(subject_ref)
    if not known:
        raise CaseNotFound("no case in this ledger is about that citizen")
    # A case.open that never committed (killed, or lost a race) leaves its key tie behind
    # without a case: the key is deleted all the same, there is just no event to record.
    cases = [c for c in known if store.recorder.select_events(c, limit=1)]
    if ledger.update_read_models:
        ledger.read_models.catch_up()
    began = ledger.clock()
    store.keys.erase(subject_ref, ledger.clock)
    for case_id in cases:
        store.forget(case_id)

    def record_erasures(work: UnitOfWork) -> dict[UUID, int]:
        recorded: dict[UUID, int] = {}
        for case_id in cases:
            if not store.case(case_id).personal_data_erased:
                result = work.decide(EraseCase(actor=actor, case_id=case_id, reason=reason))
                recorded[case_id] = result.version
        return recorded

    recorded = decide_and_store(
        ledger.unit_of_work, record_erasures,
        gave_up="the key is deleted, but the cases were changed by others again and again, "
                "so the erasure is not yet recorded on all of them; run the erasure once more",
    )
    store.drop_snapshots(cases)
    # Under the runners' lock, after the key's deletion: a runner's batch either ran before
    # (and is overwritten here) or forgets the keys first (the erasure epoch moved).
    ledger.read_models.refresh_cases(cases)
    residues = scrub_stores(ledger, wait_seconds, since=began)
    # Operations (issue 19): the erasure also goes to the register kept outside the database,
    # so a restore of an older backup re-applies it (stafet.storage.erasure_register).
    from stafet.storage import erasure_register

    erasure_register.record(store.storage, store.keys.subject_id(subject_ref), cases,
                            store.head(), ledger.clock())
    return Erasure(cases=cases, recorded=recorded, residues=residues)


def scrub_stores(ledger: Ledger, wait_seconds: float = SCRUB_WAIT_SECONDS,
                 since: datetime | None = None) -> list[Residue]:
    """Scrub the store and, when the read models live elsewhere, their database; returns
    where deleted plaintext may still lie (the store's own files first)."""
    residues = scrub(ledger.store.storage, wait_seconds, since)
    if ledger.read_models.storage is not ledger.store.storage:
        residues += scrub(ledger.read_models.storage, wait_seconds, since)
    residues.sort(key=lambda r: not r.in_store)
    return [*residues, *OUTSIDE]
