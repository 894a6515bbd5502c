"""The log's integrity: verify the event log and the access log, take digests, prune the
access log (and record who pruned it, how far and why, in the event log)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stafet.domain.administration import RecordPrune
from stafet.storage.access import AccessHead, Pruned
from stafet.storage.verify import Digest, Report, verify

if TYPE_CHECKING:
    from stafet.ledger import Ledger


@dataclass(frozen=True)
class Verification:
    """What ``verify`` found in the event log and in the access log."""

    events: Report
    access_ok: bool
    access_entries: int
    access_problem: str | None

    @property
    def ok(self) -> bool:
        return self.events.ok and self.access_ok

    def as_json(self) -> dict[str, Any]:
        return {**self.events.as_json(), "access_log": {
            "ok": self.access_ok, "entries": self.access_entries, "problem": self.access_problem}}


def verify_ledger(ledger: Ledger, expected: Digest | None = None,
                  progress: Callable[[int], None] | None = None) -> Verification:
    events = verify(ledger.store.recorder, expected, progress)
    kept = None
    if expected is not None and expected.access_seq is not None and expected.access_hash:
        kept = AccessHead(expected.access_seq, expected.access_hash)
    ok, entries, problem = ledger.access_log.verify(ledger.store.roles().pruned_through, kept)
    return Verification(events, ok, entries, problem)


def take_digest(ledger: Ledger) -> tuple[Report, Digest | None]:
    """A digest of the log as it stands (None when the log does not verify)."""
    access = ledger.access_log.head()
    report = verify(ledger.store.recorder)
    if not report.ok:
        return report, None
    return report, Digest(count=report.count, head=report.head,
                          taken_at=ledger.clock().isoformat(),
                          access_seq=access.seq, access_hash=access.hash)


def prune_access_log(ledger: Ledger, actor: str, keep_days: int, reason: str) -> Pruned | None:
    """Remove entries older than ``keep_days`` and record the prune in the event log.

    The entries go first: if recording fails, ``verify`` reports the prune the event log does
    not know of, and pruning again (nothing more to remove) does not hide it."""
    pruned = ledger.access_log.prune(ledger.clock(), keep_days)
    if pruned is not None:
        ledger.execute(RecordPrune(actor=actor, through_seq=pruned.through_seq,
                                   head=pruned.head, removed=pruned.removed,
                                   keep_days=keep_days, reason=reason))
    return pruned
