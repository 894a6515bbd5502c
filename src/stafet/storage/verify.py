"""``verify``: recompute the hash chain over the whole store and say where it breaks."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from stafet.storage.chain import GENESIS, ChainLink, event_hash, link

BATCH = 2000
# Below every position the ledger itself writes (it starts at 1): rows put lower by hand are
# walked too, and reported.
BEFORE_ALL = -(2**62)


@dataclass(frozen=True)
class Digest:
    """The chain's head after ``count`` events, and the access log's newest entry: export it,
    keep it apart, check against it."""

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
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != "stafet-digest-v1":
            raise ValueError("not a stafet digest (format stafet-digest-v1)")
        access = data.get("access_log") or {}
        return cls(count=int(data["count"]), head=str(data["head"]), taken_at=data["taken_at"],
                   access_seq=int(access["seq"]) if access else None,
                   access_hash=str(access["hash"]) if access else None)


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


def verify(
    recorder: Any,
    expected: Digest | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Walk the stored events and the chain side by side, in the log's order."""
    events = _batches(
        lambda after: recorder.select_log(after, BATCH),
        lambda n: n.id,
    )
    links: Iterator[ChainLink] = _batches(
        lambda after: recorder.select_chain(after, BATCH), lambda k: k.seq)
    head, count = GENESIS, 0
    case_positions: dict[UUID, int] = {}
    case_heads: dict[UUID, bytes] = {}
    event, chain = next(events, None), next(links, None)

    def broken(kind: str, text: str, seq: int, case_id: UUID | None = None,
               position: int | None = None) -> Report:
        return Report(False, count, head.hex(), text, kind, seq, case_id, position)

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
        same_place = (case_id, event.originator_version) == (chain.case_id, chain.position)
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
        expected_position = case_positions.get(case_id, 0) + 1
        if event.originator_version != expected_position:
            return broken("missing", f"case {case_id} jumps from entry {expected_position - 1} "
                          f"to {event.originator_version} at position {event.id}: entries are "
                          "missing", event.id, case_id, expected_position)
        head = link(head, this)
        if head != chain.chain_hash:
            return broken("chain", f"the chain record at position {event.id} was altered",
                          event.id, case_id, event.originator_version)
        case_head = link(case_heads.get(case_id, GENESIS), this)
        if case_head != chain.case_hash:
            return broken("chain", f"the chain record at position {event.id} was altered "
                          f"(its hash for case {case_id})", event.id, case_id,
                          event.originator_version)
        case_heads[case_id] = case_head
        case_positions[case_id] = event.originator_version
        count += 1
        if expected is not None and count == expected.count and head.hex() != expected.head:
            return broken("rewritten", f"the first {count} events no longer hash to the digest "
                          f"taken at {expected.taken_at}: the store was rewritten", event.id,
                          case_id, event.originator_version)
        if progress and count % 1000 == 0:
            progress(count)
        event, chain = next(events, None), next(links, None)
    if expected is not None and count < expected.count:
        return broken("missing", f"the store holds {count} events but the digest taken at "
                      f"{expected.taken_at} counted {expected.count}: events were removed",
                      count + 1)
    if progress:
        progress(count)
    return Report(True, count, head.hex())
