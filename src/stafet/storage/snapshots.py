"""Snapshots are caches, never evidence: each records the chain's case hash at its version, and
loading uses it only when that hash is the log's; ``verify`` recomputes every snapshot from the
events.

A snapshot is the whole case state at one version, sealed with the citizen's key and kept in
the snapshot table beside the log (not in the chain). Loading a case starts from its newest
snapshot and folds the events after it, so a snapshot that lies would change what everyone
reads. Two defences:

- **on loading**, a snapshot is used only if it opens, is of its case and version, and carries
  the chain's case hash at that version (``stafet_chain.case_hash``). Anything else (garbage, a
  snapshot moved to another version, one left behind by a rewrite or truncation, one taken by an
  earlier stafet without the hash) is ignored and the case is folded from its events;
- **in ``verify``**, every snapshot's state is recomputed from the events and compared. This is
  the only defence against a forger who re-seals a changed state with the citizen's key and the
  right hash, both of which sit in the same database.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

import sqlalchemy as sa
from eventsourcing.persistence import StoredEvent

from stafet.domain.evolve import evolve
from stafet.domain.state import CaseSnapshot, CaseState
from stafet.storage.engine import reading
from stafet.storage.keys import ErasedSnapshot, KeyStore, open_bytes, seal_bytes
from stafet.storage.mapper import PydanticMapper

if TYPE_CHECKING:
    from stafet.storage.store import CaseStore

log = logging.getLogger("stafet")
TOPIC = "CaseSnapshot"


class UntrustedSnapshot(Exception):
    """A snapshot that is not this log's (the message says why): ignored, the case is folded
    from its events instead."""


class UnchainedSnapshot(UntrustedSnapshot):
    """A snapshot taken by an earlier stafet, before snapshots recorded the chain's hash."""


class SnapshotMapper(PydanticMapper):
    """Snapshots in and out of the snapshot table, each bound to the chain at its version."""

    def __init__(self, keys: KeyStore, case_hash_at: Callable[[UUID, int], bytes | None],
                 compressor: Any = None, cipher: Any = None) -> None:
        super().__init__(keys, compressor=compressor, cipher=cipher)
        self.case_hash_at = case_hash_at

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        snapshot: CaseSnapshot = domain_event
        case_id, version = snapshot.originator_id, snapshot.originator_version
        case_hash = self.case_hash_at(case_id, version)
        if case_hash is None:
            raise UntrustedSnapshot(f"the log has no entry {version} of case {case_id}")
        key = self.keys.key_for_case(case_id)
        if key is None:
            raise ErasedSnapshot(str(case_id))
        # The whole state as one sealed JSON text, written by pydantic (a big case's state is
        # half a megabyte: no detour through Python dicts).
        data = {"state": seal_bytes(snapshot.state.model_dump_json().encode("utf-8"), "dict",
                                    key, case_id),
                "case_hash": case_hash.hex()}
        state = json.dumps(data, ensure_ascii=False).encode("utf-8")
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(originator_id=case_id, originator_version=version, topic=TOPIC,
                           state=state)

    def to_domain_event(self, stored_event: StoredEvent) -> CaseSnapshot:
        """The snapshot, if it is this log's; else ``UntrustedSnapshot`` (``ErasedSnapshot``
        when its citizen's key is gone)."""
        snapshot, recorded = self.decode(stored_event)
        case_id, version = snapshot.originator_id, snapshot.originator_version
        if recorded is None:
            raise UnchainedSnapshot(f"the snapshot of case {case_id} at entry {version} carries "
                                    "no chain hash (taken by an earlier stafet)")
        actual = self.case_hash_at(case_id, version)
        if actual is None or actual.hex() != recorded:
            raise UntrustedSnapshot(f"the snapshot of case {case_id} at entry {version} is not "
                                    "of this log (its chain hash differs)")
        return snapshot

    def decode(self, stored: StoredEvent) -> tuple[CaseSnapshot, str | None]:
        """The snapshot as stored and the chain hash it records (None: none), without asking
        the chain; ``UntrustedSnapshot`` when it cannot be read as a snapshot at all."""
        case_id = stored.originator_id
        if not isinstance(case_id, UUID) or stored.topic != TOPIC:
            raise UntrustedSnapshot(f"a snapshot row of {str(case_id)[:36]} is not a snapshot")
        version = stored.originator_version
        key = self.keys.key_for_case(case_id)  # outside the try: a database error is no garbage
        try:
            raw = stored.state
            if self.cipher:
                raw = self.cipher.decrypt(raw)
            if self.compressor:
                raw = self.compressor.decompress(raw)
            data = json.loads(raw)
            box = data["state"]["$sealed"]
            recorded = data.get("case_hash")
            if key is None:
                raise ErasedSnapshot(str(case_id))
            state = CaseState.model_validate_json(open_bytes(key, case_id, box))
        except ErasedSnapshot:
            raise
        except Exception as error:  # any garbage at all: the cache is not used
            raise UntrustedSnapshot(f"the snapshot of case {case_id} at entry {version} cannot "
                                    f"be read ({type(error).__name__})") from None
        if state.id != case_id or state.version != version:
            raise UntrustedSnapshot(f"the snapshot of case {case_id} at entry {version} holds "
                                    f"case {state.id} at entry {state.version}")
        if recorded is not None and not isinstance(recorded, str):
            raise UntrustedSnapshot(f"the snapshot of case {case_id} at entry {version} holds "
                                    "a chain hash that is not one")
        snapshot = CaseSnapshot(originator_id=case_id, originator_version=version, state=state)
        return snapshot, recorded


# -- verify -----------------------------------------------------------------------------------

# What verify may find. The first four fail verify; the last two are reported, not failed:
# an old snapshot whose state is right, and one whose citizen's key is gone (erased; or deleted
# behind the ledger's back, which the check of the tables beside the log reports).
FORGED, GARBAGE, FOREIGN, ORPHAN = "forged", "garbage", "foreign", "orphan"
UNCHAINED, ERASED = "unchained", "erased"
FAILING = frozenset({FORGED, GARBAGE, FOREIGN, ORPHAN})


@dataclass(frozen=True)
class SnapshotFinding:
    kind: str
    case_id: UUID
    version: int
    problem: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "case_id": str(self.case_id), "case_position": self.version,
                "problem": self.problem}


@dataclass
class SnapshotCheck:
    checked: int = 0
    findings: list[SnapshotFinding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.kind in FAILING for f in self.findings)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "checked": self.checked,
                "findings": [f.as_json() for f in self.findings]}


def _snapshot_rows(store: CaseStore) -> list[tuple[UUID, int]]:
    """(case, version) of every stored snapshot, by case then version."""
    assert store.snapshots is not None
    table = store.snapshots.recorder.events_table_name  # type: ignore[attr-defined]
    with reading(store.sql) as conn:
        rows = conn.execute(sa.text(
            f"SELECT originator_id, originator_version FROM {table} "
            "ORDER BY originator_id, originator_version")).all()
    found = []
    for case_id, version in rows:
        try:
            found.append((UUID(str(case_id)), int(version)))
        except (ValueError, TypeError):
            found.append((UUID(int=0), -1))  # a row edited into garbage: reported below
    return found


def check_snapshots(store: CaseStore, walked: dict[UUID, int]) -> SnapshotCheck:
    """Recompute every snapshot's case from its events and compare; ``walked`` holds each
    case's last entry that ``verify`` found intact (snapshots of later entries were taken
    while verify ran, and are left for the next run)."""
    check = SnapshotCheck()
    by_case: dict[UUID, list[int]] = {}
    for case_id, version in _snapshot_rows(store):
        by_case.setdefault(case_id, []).append(version)
    for case_id, versions in by_case.items():
        check.findings.extend(_check_case(store, case_id, versions, walked, check))
    return check


def _check_case(store: CaseStore, case_id: UUID, versions: list[int], walked: dict[UUID, int],
                check: SnapshotCheck) -> Iterable[SnapshotFinding]:
    assert store.snapshots is not None
    mapper = store.snapshot_mapper
    recorder: Any = store.snapshots.recorder
    decoded: dict[int, tuple[CaseSnapshot, str | None]] = {}
    for version in versions:
        check.checked += 1
        if version < 1 or case_id.int == 0:
            yield SnapshotFinding(GARBAGE, case_id, version, "a snapshot row was edited by hand: "
                                  "its case or entry is not one the ledger writes")
            continue
        if version > walked.get(case_id, 0):
            if store.recorder.select_chain_link(case_id, version) is not None:
                check.checked -= 1  # taken after verify walked the log: the next run checks it
                continue
            yield SnapshotFinding(ORPHAN, case_id, version, f"there is a snapshot of case "
                                  f"{case_id} at entry {version}, but the log has no such entry")
            continue
        rows = recorder.select_events(case_id, gt=version - 1, lte=version, limit=1)
        if not rows:
            continue  # deleted meanwhile (an erasure)
        try:
            snapshot, recorded = mapper.decode(rows[0])
        except ErasedSnapshot:
            yield SnapshotFinding(ERASED, case_id, version, f"the snapshot of case {case_id} at "
                                  f"entry {version} cannot be opened: its citizen's key is gone "
                                  "(it is ignored when loading)")
            continue
        except UntrustedSnapshot as untrusted:
            yield SnapshotFinding(GARBAGE, case_id, version, f"{untrusted} (it is ignored when "
                                  "the case is loaded)")
            continue
        link = store.recorder.select_chain_link(case_id, version)
        if recorded is not None and (link is None or link.case_hash.hex() != recorded):
            yield SnapshotFinding(FOREIGN, case_id, version, f"the snapshot of case {case_id} "
                                  f"at entry {version} records another chain hash than the "
                                  "log's: it is not of this log (it is ignored when the case "
                                  "is loaded)")
            continue
        decoded[version] = (snapshot, recorded)
    if decoded:
        yield from _compare_with_events(store, case_id, decoded)


def _compare_with_events(store: CaseStore, case_id: UUID,
                         snapshots: dict[int, tuple[CaseSnapshot, str | None]],
                         ) -> Iterable[SnapshotFinding]:
    """Fold the case's events once, comparing each snapshot at its entry."""
    last = max(snapshots)
    state: CaseState | None = None
    try:
        for event in store.events.get(case_id, lte=last):
            state = evolve(state, event)  # type: ignore[arg-type]
            if state.version not in snapshots:
                continue
            snapshot, recorded = snapshots[state.version]
            recomputed = state.model_dump(mode="json")
            stored = snapshot.state.model_dump(mode="json")
            differ = sorted(k for k in recomputed.keys() | stored.keys()
                            if recomputed.get(k) != stored.get(k))
            if differ:
                yield SnapshotFinding(FORGED, case_id, state.version, f"the snapshot of case "
                                      f"{case_id} at entry {state.version} differs from what "
                                      f"its events say ({', '.join(differ)}): it was forged")
            elif recorded is None:
                yield SnapshotFinding(UNCHAINED, case_id, state.version, f"the snapshot of case "
                                      f"{case_id} at entry {state.version} carries no chain "
                                      "hash (taken by an earlier stafet); it agrees with the "
                                      "events, but is ignored when loading")
    except Exception as error:  # the events cannot be opened (a damaged key): said elsewhere
        yield SnapshotFinding(GARBAGE, case_id, last, f"the snapshots of case {case_id} could "
                              f"not be compared with its events ({type(error).__name__}): "
                              "its events cannot be read with its key")

