"""Tampering behind the ledger's back, with raw SQL, is found by ``stafet verify``.

Each test takes a store holding the roles' events and both example cases (adult, then family:
90 events) on SQLite and on PostgreSQL, damages it with plain SQL as an intruder with database
access would, and checks that ``stafet verify`` run by the auditor (exit code 1) and the Python
``verify`` name the first broken position in the log and what kind of damage it is.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from uuid import UUID

import pytest

from stafet import Ledger
from stafet.storage.verify import Report, verify
from tests.trust.conftest import ExampleStore
from tests.trust.support import (
    ADULT_HOLDER,
    AUDITOR,
    EXAMPLE_EVENTS,
    ROLE_EVENTS,
    RawEvent,
    RawStore,
    audit,
    read,
    stafet_process,
)

MALLORY = b"mallory@jobcenter-odense"


def python_verify(url: str) -> Report:
    with Ledger(url) as ledger:
        return verify(ledger.store.recorder)


def independent_head(raw: RawStore) -> tuple[int, str]:
    """The chain's head recomputed from the raw rows with hashlib alone (the formula in
    stafet.storage.chain): nothing of the product's code takes part."""
    head = bytes(32)
    events = raw.events()
    for e in events:
        h = hashlib.sha256(b"stafet-event-v1\0")
        h.update(e.case_id.bytes)
        h.update(e.version.to_bytes(8, "big"))
        h.update(e.topic.encode("utf-8") + b"\0")
        h.update(e.state)
        head = hashlib.sha256(head + h.digest()).digest()
    return len(events), head.hex()


def assert_broken(url: str, seq: int, kind: str, case_id: UUID | None = None,
                  entry: int | None = None) -> Report:
    """Python verify, the CLI and the CLI's JSON all name ``seq`` as the first broken
    position, with ``kind``; the events before it still count as intact."""
    report = python_verify(url)
    assert not report.ok
    assert (report.seq, report.kind) == (seq, kind), report.problem
    assert report.count == seq - 1, report.problem
    if case_id is not None:
        assert (report.case_id, report.position) == (case_id, entry), report.problem

    done = audit(url, "verify")
    assert done.code == 1, done
    assert f"BROKEN at position {seq}: " in done.err, done.err
    assert "Intact" not in done.out
    assert report.problem is not None and report.problem in done.err

    as_json = audit(url, "--json", "verify")
    assert as_json.code == 1
    data = as_json.json()
    assert (data["ok"], data["position"], data["kind"]) == (False, seq, kind)
    if case_id is not None:
        assert (data["case_id"], data["case_position"]) == (str(case_id), entry)
    return report


def a_family_event(raw: RawStore, index: int = 15) -> RawEvent:
    """An event well inside the family case (the second case in the log)."""
    events = raw.events()
    family = [e for e in events if e.case_id == events[-1].case_id]
    return family[index]


# -- a clean store --------------------------------------------------------------------------


def test_a_clean_store_verifies_with_its_head_and_count(example_store: ExampleStore,
                                                       checkpoint_key: Path) -> None:
    raw = example_store.raw
    count, head = independent_head(raw)
    assert count == EXAMPLE_EVENTS == ROLE_EVENTS + 87  # the roles', the adult's 41, the family's 46

    report = python_verify(example_store.url)
    assert (report.ok, report.count, report.head, report.kind) == (True, count, head, None)

    done = audit(example_store.url, "verify")
    assert done.code == 0, done.err
    assert f"Intact: {count} events, head {head}" in done.out
    assert "Access log intact" in done.out
    assert done.err == ""

    data = audit(example_store.url, "--json", "verify").json()
    assert (data["ok"], data["count"], data["head"], data["position"]) == (True, count, head, None)

    digest = audit(example_store.url, "digest", "--checkpoint-key", str(checkpoint_key))
    assert digest.code == 0, digest.err
    # A signed checkpoint: origin, size, root (the head, base64), then the time, the access
    # log's newest entry (none yet: nobody read a case) and the pepper's fingerprint.
    origin, size, root, taken, access, pepper, blank, signature, end = digest.out.split("\n")
    assert origin.startswith("stafet-ledger/") and signature.startswith(f"— {origin} ")
    assert (size, base64.b64decode(root).hex(), blank, end) == (str(count), head, "", "")
    assert taken.startswith("taken-at 20") and access == f"access-log 0 {'0' * 64}"
    assert pepper.startswith("subject-pepper-fingerprint ")


# -- the event log --------------------------------------------------------------------------


@pytest.mark.process
def test_changed_event_bytes_are_named(example_store: ExampleStore) -> None:
    raw = example_store.raw
    victim = a_family_event(raw)
    actor = json.loads(victim.state)["actor"].encode()
    raw.set_state(victim.seq, victim.state.replace(actor, MALLORY))

    assert_broken(example_store.url, victim.seq, "changed", victim.case_id, victim.version)
    installed = stafet_process(example_store.url, "--as", AUDITOR, "verify")  # as users run it
    assert installed.code == 1
    assert f"BROKEN at position {victim.seq}: " in installed.err


def test_a_changed_topic_is_named(example_store: ExampleStore) -> None:
    raw = example_store.raw
    victim = next(e for e in raw.events() if e.topic == "BatonReleased")
    assert raw.execute("UPDATE {events} SET topic = ? WHERE {seq} = ?",
                       ("BatonDeclined", victim.seq)) == 1

    assert_broken(example_store.url, victim.seq, "changed", victim.case_id, victim.version)


def test_a_deleted_event_is_named(example_store: ExampleStore) -> None:
    raw = example_store.raw
    victim = raw.events()[20]
    assert raw.execute("DELETE FROM {events} WHERE {seq} = ?", (victim.seq,)) == 1

    assert_broken(example_store.url, victim.seq, "missing", victim.case_id, victim.version)


def test_deleting_the_newest_event_is_found(example_store: ExampleStore) -> None:
    raw = example_store.raw
    victim = raw.events()[-1]
    assert raw.execute("DELETE FROM {events} WHERE {seq} = ?", (victim.seq,)) == 1

    assert_broken(example_store.url, victim.seq, "missing", victim.case_id, victim.version)


@pytest.mark.parametrize("which", ["two cases", "one case"])
def test_two_swapped_events_are_named_as_reordered(example_store: ExampleStore,
                                                   which: str) -> None:
    raw = example_store.raw
    events = raw.events()
    first, second = (events[4], events[60]) if which == "two cases" else (events[9], events[10])
    raw.execute_many([
        ("UPDATE {events} SET {seq} = ? WHERE {seq} = ?", (-1, first.seq)),
        ("UPDATE {events} SET {seq} = ? WHERE {seq} = ?", (first.seq, second.seq)),
        ("UPDATE {events} SET {seq} = ? WHERE {seq} = ?", (second.seq, -1)),
    ])

    report = assert_broken(example_store.url, first.seq, "reordered", second.case_id,
                           second.version)
    assert f"recorded at position {second.seq}" in str(report.problem)


def test_a_forged_event_appended_to_a_case_is_named(example_store: ExampleStore) -> None:
    raw = example_store.raw
    events = raw.events()
    adult = [e for e in events if e.case_id == UUID(example_store.adult)]
    grabbed = next(e for e in adult if e.topic == "BatonGrabbed")
    forged = grabbed.state.replace(json.loads(grabbed.state)["actor"].encode(), MALLORY)
    seq = events[-1].seq + 1
    raw.execute("INSERT INTO {events} ({seq}, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)",
                (seq, grabbed.case_id, adult[-1].version + 1, "BatonGrabbed", forged))

    assert_broken(example_store.url, seq, "inserted", grabbed.case_id, adult[-1].version + 1)


def test_a_forged_event_at_log_position_zero_is_found(example_store: ExampleStore) -> None:
    raw = example_store.raw
    events = raw.events()
    adult = [e for e in events if e.case_id == UUID(example_store.adult)]
    grabbed = next(e for e in adult if e.topic == "BatonGrabbed")
    forged = grabbed.state.replace(json.loads(grabbed.state)["actor"].encode(), MALLORY)
    raw.execute("INSERT INTO {events} ({seq}, originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?, ?)",
                (0, grabbed.case_id, adult[-1].version + 1, "BatonGrabbed", forged))
    shown = read(example_store.url, "--json", "case", "show", example_store.adult,
                 actor=ADULT_HOLDER)
    assert shown.json()["holder"] == MALLORY.decode()  # the forgery is part of the case

    report = python_verify(example_store.url)
    assert not report.ok
    assert audit(example_store.url, "verify").code == 1


@pytest.mark.parametrize("damage", ["negative entry", "state NULL"])
def test_garbage_in_a_row_is_named_not_a_crash(example_store: ExampleStore, damage: str) -> None:
    raw = example_store.raw
    victim = raw.events()[30]
    if damage == "negative entry":
        raw.execute("UPDATE {events} SET originator_version = ? WHERE {seq} = ?",
                    (-victim.version, victim.seq))
    else:
        raw.execute("UPDATE {events} SET state = NULL WHERE {seq} = ?", (victim.seq,))

    done = audit(example_store.url, "verify")
    assert done.code == 1, done
    assert f"BROKEN at position {victim.seq}: " in done.err


# -- the chain table ------------------------------------------------------------------------


def test_an_altered_chain_hash_is_named(example_store: ExampleStore) -> None:
    raw = example_store.raw
    victim = raw.events()[40]
    raw.execute("UPDATE stafet_chain SET chain_hash = ? WHERE seq = ?", (bytes(32), victim.seq))

    report = assert_broken(example_store.url, victim.seq, "chain", victim.case_id,
                           victim.version)
    assert "chain record" in str(report.problem)


def test_an_event_changed_with_its_own_hash_recomputed_breaks_the_chain(
        example_store: ExampleStore) -> None:
    """The intruder changes an event and rewrites its event_hash, but not the chain after it."""
    raw = example_store.raw
    victim = a_family_event(raw, 20)
    actor = json.loads(victim.state)["actor"].encode()
    forged = victim.state.replace(actor, MALLORY)
    h = hashlib.sha256(b"stafet-event-v1\0")
    h.update(victim.case_id.bytes)
    h.update(victim.version.to_bytes(8, "big"))
    h.update(victim.topic.encode() + b"\0")
    h.update(forged)
    raw.execute_many([
        ("UPDATE {events} SET state = ? WHERE {seq} = ?", (forged, victim.seq)),
        ("UPDATE stafet_chain SET event_hash = ? WHERE seq = ?", (h.digest(), victim.seq)),
    ])

    assert_broken(example_store.url, victim.seq, "chain", victim.case_id, victim.version)


def test_an_altered_event_hash_in_the_chain_table_is_named_as_chain_damage(
        example_store: ExampleStore) -> None:
    raw = example_store.raw
    victim = raw.events()[40]
    raw.execute("UPDATE stafet_chain SET event_hash = ? WHERE seq = ?", (bytes(32), victim.seq))

    assert_broken(example_store.url, victim.seq, "chain", victim.case_id, victim.version)


def test_an_altered_case_hash_is_found(example_store: ExampleStore) -> None:
    raw = example_store.raw
    victim = raw.events()[40]
    raw.execute("UPDATE stafet_chain SET case_hash = ? WHERE seq = ?", (bytes(32), victim.seq))

    assert_broken(example_store.url, victim.seq, "chain", victim.case_id, victim.version)


def test_a_deleted_chain_record_is_named(example_store: ExampleStore) -> None:
    raw = example_store.raw
    victim = raw.events()[40]
    assert raw.execute("DELETE FROM stafet_chain WHERE seq = ?", (victim.seq,)) == 1

    report = python_verify(example_store.url)
    assert (report.ok, report.seq) == (False, victim.seq)
    done = audit(example_store.url, "verify")
    assert done.code == 1
    assert f"BROKEN at position {victim.seq}: " in done.err


def test_the_first_of_several_damages_is_the_one_named(example_store: ExampleStore) -> None:
    raw = example_store.raw
    events = raw.events()
    early, late = events[12], events[70]
    raw.execute("DELETE FROM {events} WHERE {seq} = ?", (late.seq,))
    actor = json.loads(early.state)["actor"].encode()
    raw.set_state(early.seq, early.state.replace(actor, MALLORY))

    assert_broken(example_store.url, early.seq, "changed", early.case_id, early.version)
