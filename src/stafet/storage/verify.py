"""``verify``: recompute the hash chain over the whole store and say where it breaks, and
check it against the checkpoints kept elsewhere (``stafet.storage.checkpoint``): at each one's
size the head must be its root, and the log must reach the largest one's size."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from stafet.storage.access import AccessHead
from stafet.storage.chain import GENESIS, ChainLink, event_hash, link
from stafet.storage.checkpoint import Checkpoint

BATCH = 2000
# Below every position the ledger itself writes (it starts at 1): rows put lower by hand are
# walked too, and reported.
BEFORE_ALL = -(2**62)
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Digest:
    """The unsigned JSON digest of earlier releases (``stafet-digest-v1``): still read, for one
    release, and checked as strictly as a checkpoint; ``stafet digest`` now writes signed
    checkpoints (``stafet.storage.checkpoint``)."""

    count: int
    head: str
    taken_at: str  # ISO time, by the ledger's clock
    access_seq: int | None = None
    access_hash: str | None = None

    def dumps(self) -> str:
        data: dict[str, Any] = {"format": "stafet-digest-v1", "count": self.count,
                                "head": self.head, "taken_at": self.taken_at}
        if self.access_seq is not None:
            data["access_log"] = {"seq": self.access_seq, "hash": self.access_hash}
        return json.dumps(data, indent=2)

    @classmethod
    def loads(cls, text: str) -> Digest:
        try:
            data = json.loads(text)
        except ValueError:
            raise ValueError("not a stafet digest (format stafet-digest-v1)") from None
        if not isinstance(data, dict) or data.get("format") != "stafet-digest-v1":
            raise ValueError("not a stafet digest (format stafet-digest-v1)")
        count, head, taken_at = data.get("count"), data.get("head"), data.get("taken_at")
        if type(count) is not int or count < 0:
            raise ValueError("its count is not a number of events")
        if not isinstance(head, str) or not _HEX64.fullmatch(head):
            raise ValueError("its head is not a SHA-256 hash (64 hex digits)")
        if not isinstance(taken_at, str) or len(taken_at) > 64:
            raise ValueError("its taken_at is not a time")
        access = data.get("access_log")
        if access is not None:
            if not isinstance(access, dict) or type(access.get("seq")) is not int \
                    or not isinstance(access.get("hash"), str) \
                    or not _HEX64.fullmatch(access["hash"]):
                raise ValueError("its access_log is not an entry number and a hash")
            return cls(count, head, taken_at, access["seq"], access["hash"])
        return cls(count=count, head=head, taken_at=taken_at)

    def as_checkpoint(self) -> Checkpoint:
        try:
            taken: datetime | None = datetime.fromisoformat(self.taken_at)
        except ValueError:
            taken = None
        access = (AccessHead(self.access_seq, self.access_hash)
                  if self.access_seq is not None and self.access_hash else None)
        return Checkpoint(size=self.count, root=bytes.fromhex(self.head), taken_at=taken,
                          access=access, named=f"the digest taken at {self.taken_at}")


@dataclass
class Report:
    ok: bool
    count: int
    head: str
    problem: str | None = None
    kind: str | None = None  # changed | missing | inserted | reordered | chain | rewritten
    seq: int | None = None  # the first broken position in the whole log
    case_id: UUID | None = None
    position: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "count": self.count, "head": self.head, "problem": self.problem,
                "kind": self.kind, "position": self.seq,
                "case_id": str(self.case_id) if self.case_id else None,
                "case_position": self.position}


@functools.lru_cache(maxsize=65_536)
def _uuid(raw: object) -> UUID:
    """A case id from its stored form; a case's events share one, so parse each once."""
    return raw if isinstance(raw, UUID) else UUID(str(raw))


def _batches(fetch: Callable[[int], list[Any]], seq_of: Callable[[Any], int]) -> Iterator[Any]:
    after = BEFORE_ALL
    while True:
        batch = fetch(after)
        if not batch:
            return
        yield from batch
        after = seq_of(batch[-1])


def expectations(expected: Digest | Checkpoint | Sequence[Checkpoint] | None,
                 ) -> list[Checkpoint]:
    """What the log must still agree with, oldest first (a legacy digest as a checkpoint)."""
    if expected is None:
        return []
    if isinstance(expected, Digest):
        return [expected.as_checkpoint()]
    if isinstance(expected, Checkpoint):
        return [expected]
    return sorted(expected, key=lambda c: c.size)


def verify(
    recorder: Any,
    expected: Digest | Checkpoint | Sequence[Checkpoint] | None = None,
    progress: Callable[[int], None] | None = None,
    observe: Callable[[Any, UUID], None] | None = None,
) -> Report:
    """Walk the stored events and the chain side by side, in the log's order; at the size of
    each checkpoint kept elsewhere (``expected``) the head must be the checkpoint's root.

    ``observe(row, case_id)`` sees every event that verified, in order (the checks of the
    tables beside the log collect what they need from it)."""
    kept = expectations(expected)
    due: dict[int, list[Checkpoint]] = {}
    for checkpoint in kept:
        due.setdefault(checkpoint.size, []).append(checkpoint)
    events = _batches(
        lambda after: recorder.select_log(after, BATCH),
        lambda n: n.id,
    )
    links: Iterator[ChainLink] = _batches(
        lambda after: recorder.select_chain(after, BATCH), lambda k: k.seq)
    head, count = GENESIS, 0
    matched: Checkpoint | None = None  # the newest checkpoint the log still agrees with
    case_positions: dict[int, int] = {}  # by the case id's int
    case_heads: dict[int, bytes] = {}
    event, chain = next(events, None), next(links, None)

    def broken(kind: str, text: str, seq: int, case_id: UUID | None = None,
               position: int | None = None) -> Report:
        return Report(False, count, head.hex(), text, kind, seq, case_id, position)

    def rewritten(checkpoint: Checkpoint, seq: int, case_id: UUID | None = None,
                  position: int | None = None) -> Report:
        since = (f" (it still agrees with {matched.label}, so the change lies after event "
                 f"{matched.size})" if matched is not None and matched.size else "")
        what = "the empty log no longer hashes" if count == 0 else \
            f"the first {count} events no longer hash"
        return broken("rewritten", f"{what} to {checkpoint.label}: the store "
                      f"was rewritten{since}", seq, case_id, position)

    for checkpoint in due.get(0, ()):
        if checkpoint.root != GENESIS:
            return rewritten(checkpoint, 0)
        matched = checkpoint
    while event is not None or chain is not None:
        if chain is None or (event is not None and event.id < chain.seq):
            assert event is not None  # the loop runs while either is left
            case_id = _uuid(event.originator_id)
            return broken("inserted", f"an event was inserted at position {event.id} (case "
                          f"{case_id}, entry {event.originator_version}): the chain has no "
                          "record of it", event.id, case_id, event.originator_version)
        if event is None or chain.seq < event.id:
            return broken("missing", f"the event at position {chain.seq} (case {chain.case_id}, "
                          f"entry {chain.position}) is missing", chain.seq, chain.case_id,
                          chain.position)
        try:
            case_id = _uuid(event.originator_id)
            this = event_hash(case_id, event.originator_version, event.topic, event.state)
        except (TypeError, ValueError, OverflowError, AttributeError):
            return broken("changed", f"the event at position {event.id} holds values the ledger "
                          "never writes (edited by hand): it was changed after it was recorded",
                          event.id, chain.case_id, chain.position)
        # UUIDs compared and keyed by their int: equal exactly when the ids are, without
        # UUID's own (Python-level) __eq__ and __hash__ once per event.
        key = case_id.int
        same_place = key == chain.case_id.int and event.originator_version == chain.position
        if not same_place or this != chain.event_hash:
            own = recorder.select_chain_link(case_id, event.originator_version)
            if own is not None and own.seq != event.id and own.event_hash == this:
                return broken("reordered", f"the event at position {event.id} (case {case_id}, "
                              f"entry {event.originator_version}) was recorded at position "
                              f"{own.seq}: events were reordered", event.id, case_id,
                              event.originator_version)
            if same_place and link(head, this) == chain.chain_hash:
                # The event still hashes into the chain: it is the chain's record that was edited.
                return broken("chain", f"the chain record at position {event.id} was altered "
                              "(its event hash)", event.id, case_id, event.originator_version)
            return broken("changed", f"the event at position {event.id} (case {case_id}, entry "
                          f"{event.originator_version}) was changed after it was recorded",
                          event.id, case_id, event.originator_version)
        expected_position = case_positions.get(key, 0) + 1
        if event.originator_version != expected_position:
            return broken("missing", f"case {case_id} jumps from entry {expected_position - 1} "
                          f"to {event.originator_version} at position {event.id}: entries are "
                          "missing", event.id, case_id, expected_position)
        head = link(head, this)
        if head != chain.chain_hash:
            return broken("chain", f"the chain record at position {event.id} was altered",
                          event.id, case_id, event.originator_version)
        case_head = link(case_heads.get(key, GENESIS), this)
        if case_head != chain.case_hash:
            return broken("chain", f"the chain record at position {event.id} was altered "
                          f"(its hash for case {case_id})", event.id, case_id,
                          event.originator_version)
        case_heads[key] = case_head
        case_positions[key] = event.originator_version
        count += 1
        for checkpoint in due.get(count, ()):
            if checkpoint.root != head:
                return rewritten(checkpoint, event.id, case_id, event.originator_version)
            matched = checkpoint
        if observe is not None:
            observe(event, case_id)
        if progress and count % 1000 == 0:
            progress(count)
        event, chain = next(events, None), next(links, None)
    if kept and count < kept[-1].size:
        longest = kept[-1]
        return broken("missing", f"the store holds {count} events but {longest.label} counted "
                      f"{longest.size}: events were removed", count + 1)
    if progress:
        progress(count)
    return Report(True, count, head.hex())
