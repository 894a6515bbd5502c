"""The hash chain: every stored event is hashed with the one before it, in the whole log's
order and in its case's order, so that no event can be changed, removed, reordered or
inserted behind the ledger's back without ``stafet verify`` saying where.

    event_hash = SHA-256("stafet-event-v1" | case id | position | topic | stored bytes)
    chain_hash = SHA-256(previous chain_hash | event_hash)      (the whole log)
    case_hash  = SHA-256(previous case_hash in the case | event_hash)

The stored bytes are hashed as stored (personal fields already encrypted), so erasing a
subject's key leaves every hash intact.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple
from uuid import UUID

GENESIS = bytes(32)


def event_hash(case_id: UUID, position: int, topic: str, state: bytes | str) -> bytes:
    if isinstance(state, str):  # only a row edited behind the ledger's back holds text here
        state = state.encode("utf-8")
    # One buffer, one call: the same digest as hashing the parts one after another, for less
    # of Python's per-call work (verify hashes every event of the log).
    return _sha256(b"".join((_EVENT, case_id.bytes, position.to_bytes(8, "big"),
                             topic.encode("utf-8"), b"\0", state))).digest()


def link(previous: bytes, this_event: bytes) -> bytes:
    return _sha256(previous + this_event).digest()


_EVENT = b"stafet-event-v1\0"
_sha256 = hashlib.sha256


class ChainLink(NamedTuple):
    """One row of the chain table (a tuple: verify reads one per event of the log)."""

    seq: int  # the event's position in the whole log (its notification id)
    case_id: UUID
    position: int
    event_hash: bytes
    chain_hash: bytes
    case_hash: bytes


def chain_links(
    previous: bytes,
    case_previous: dict[UUID, bytes],
    rows: list[tuple[int, UUID, int, str, bytes]],
) -> list[ChainLink]:
    """Links for newly stored events (seq, case, position, topic, state), oldest first."""
    links = []
    for seq, case_id, position, topic, state in rows:
        this_event = event_hash(case_id, position, topic, state)
        previous = link(previous, this_event)
        case_previous[case_id] = link(case_previous.get(case_id, GENESIS), this_event)
        links.append(ChainLink(seq, case_id, position, this_event, previous,
                               case_previous[case_id]))
    return links
