"""A digest kept outside the store catches what the chain alone cannot: an intruder with the
code who rewrites the log *consistently* (every hash recomputed after the changed event).

``stafet digest`` prints a signed checkpoint (the head and count, docs/trust.md), so a mismatch
is named at the digest's last position: "the first N events no longer hash to the checkpoint".
The older unsigned JSON digests are still read, strictly (test_checkpoints.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

from stafet import Ledger
from stafet.storage.chain import GENESIS, chain_links
from stafet.storage.checkpoint import Checkpoint, CheckpointKey, open_note
from stafet.storage.verify import verify
from tests.trust.conftest import ExampleStore
from tests.trust.support import ADULT_HOLDER, EXAMPLE_EVENTS, RawStore, Run, audit

MALLORY = b"mallory@jobcenter-odense"
EVENTS = EXAMPLE_EVENTS  # the roles' events and both examples'


def take_digest(store: ExampleStore, path: Path, key: Path) -> Checkpoint:
    done = audit(store.url, "digest", "--checkpoint-key", str(key))
    assert done.code == 0, done.err
    path.write_text(done.out, encoding="utf-8")
    return open_note(done.out, [CheckpointKey.load(key).verifier], str(path))


def verify_against(store: ExampleStore, digest: Path, key: Path, *options: str) -> Run:
    return audit(store.url, *options, "verify", "--digest", str(digest), "--checkpoint-key",
                 str(key))


def rewrite_consistently(raw: RawStore, from_index: int) -> int:
    """Change the event at ``from_index`` (its actor becomes Mallory) and recompute every hash
    from there on with the product's own chain functions; returns the changed event's
    position in the log."""
    events = raw.events()
    chain = raw.chain()
    victim = events[from_index]
    actor = json.loads(victim.state)["actor"].encode()
    raw.set_state(victim.seq, victim.state.replace(actor, MALLORY))

    before = [k for k in chain if k.seq < victim.seq]
    previous = before[-1].chain_hash if before else GENESIS
    case_previous: dict[UUID, bytes] = {}
    for k in before:
        case_previous[k.case_id] = k.case_hash
    rows = [(e.seq, e.case_id, e.version, e.topic, e.state) for e in raw.events()
            if e.seq >= victim.seq]
    links = chain_links(previous, case_previous, rows)
    raw.execute_many([
        ("UPDATE stafet_chain SET event_hash = ?, chain_hash = ?, case_hash = ? WHERE seq = ?",
         (k.event_hash, k.chain_hash, k.case_hash, k.seq)) for k in links
    ])
    return victim.seq


def test_a_fresh_digest_matches(example_store: ExampleStore, tmp_path: Path,
                                checkpoint_key: Path) -> None:
    digest = take_digest(example_store, tmp_path / "digest.txt", checkpoint_key)
    assert digest.size == EVENTS

    done = verify_against(example_store, tmp_path / "digest.txt", checkpoint_key)
    assert done.code == 0, done.err
    assert f"Intact: {EVENTS} events, head {digest.head}" in done.out
    assert f"matches the digest of {digest.taken_at:%Y-%m-%d %H:%M:%S} UTC" in done.out


def test_a_consistent_rewrite_passes_verify_but_not_the_digest(
        example_store: ExampleStore, tmp_path: Path, checkpoint_key: Path) -> None:
    digest_file = tmp_path / "digest.txt"
    digest = take_digest(example_store, digest_file, checkpoint_key)
    raw = example_store.raw
    changed_at = rewrite_consistently(raw, 50)

    # The chain itself now agrees with the forged log: verify alone cannot tell.
    plain = audit(example_store.url, "verify")
    assert plain.code == 0, plain.err
    assert f"Intact: {EVENTS} events" in plain.out
    assert digest.head not in plain.out

    checked = verify_against(example_store, digest_file, checkpoint_key)
    assert checked.code == 1, checked
    assert f"BROKEN at position {digest.size}: the first {digest.size} events no longer hash " \
           f"to {digest.label}: the store was rewritten." in checked.err
    as_json = verify_against(example_store, digest_file, checkpoint_key, "--json").json()
    assert (as_json["ok"], as_json["kind"], as_json["position"]) == (False, "rewritten", EVENTS)

    with Ledger(example_store.url) as ledger:
        report = verify(ledger.store.recorder, digest)
    assert (report.ok, report.kind, report.seq) == (False, "rewritten", digest.size)
    assert changed_at < digest.size


def test_events_added_after_the_digest_still_match_it(example_store: ExampleStore,
                                                      tmp_path: Path, checkpoint_key: Path) -> None:
    digest_file = tmp_path / "digest.txt"
    digest = take_digest(example_store, digest_file, checkpoint_key)
    with Ledger(example_store.url) as ledger:
        ledger.log_note(actor=ADULT_HOLDER, case_id=UUID(example_store.adult),
                        text="Mads er flyttet i egen bolig.")

    done = verify_against(example_store, digest_file, checkpoint_key)
    assert done.code == 0, done.err
    assert f"Intact: {EVENTS + 1} events" in done.out
    assert f"matches the digest of {digest.taken_at:%Y-%m-%d %H:%M:%S} UTC" in done.out


def test_a_rewrite_before_the_digest_is_caught_after_later_events(
        example_store: ExampleStore, tmp_path: Path, checkpoint_key: Path) -> None:
    digest_file = tmp_path / "digest.txt"
    digest = take_digest(example_store, digest_file, checkpoint_key)
    with Ledger(example_store.url) as ledger:
        ledger.log_note(actor=ADULT_HOLDER, case_id=UUID(example_store.adult),
                        text="Mads er flyttet i egen bolig.")
    rewrite_consistently(example_store.raw, 10)

    assert audit(example_store.url, "verify").code == 0
    done = verify_against(example_store, digest_file, checkpoint_key)
    assert done.code == 1
    assert f"BROKEN at position {digest.size}: " in done.err and "rewritten" in done.err


def test_cutting_off_the_newest_events_is_caught_by_the_digest(
        example_store: ExampleStore, tmp_path: Path, checkpoint_key: Path) -> None:
    digest_file = tmp_path / "digest.txt"
    digest = take_digest(example_store, digest_file, checkpoint_key)
    raw = example_store.raw
    last_three = [e.seq for e in raw.events()[-3:]]
    raw.execute_many([
        *[("DELETE FROM {events} WHERE {seq} = ?", (seq,)) for seq in last_three],
        *[("DELETE FROM stafet_chain WHERE seq = ?", (seq,)) for seq in last_three],
    ])

    plain = audit(example_store.url, "verify")
    assert plain.code == 0 and f"Intact: {EVENTS - 3} events" in plain.out
    done = verify_against(example_store, digest_file, checkpoint_key)
    assert done.code == 1
    assert f"BROKEN at position {EVENTS - 2}: " in done.err
    assert f"holds {EVENTS - 3} events but {digest.label} counted {EVENTS}" in done.err


def test_no_digest_is_taken_of_a_broken_store(example_store: ExampleStore,
                                              checkpoint_key: Path) -> None:
    raw = example_store.raw
    victim = raw.events()[5]
    raw.set_state(victim.seq, victim.state.replace(b'"actor": "', b'"actor": "x', 1))

    done = audit(example_store.url, "digest", "--checkpoint-key", str(checkpoint_key))
    assert done.code == 1
    assert done.out == ""
    assert f"BROKEN at position {victim.seq}" in done.err and "no checkpoint taken" in done.err


def test_an_unreadable_digest_file_is_an_input_error(example_store: ExampleStore,
                                                     tmp_path: Path) -> None:
    bad = tmp_path / "not-a-digest.json"
    bad.write_text('{"count": 3}', encoding="utf-8")

    done = audit(example_store.url, "verify", "--digest", str(bad))
    assert done.code == 2
    assert "the digest file cannot be read" in done.err
    assert "Intact" not in done.out


def test_a_digest_of_the_old_json_format_is_still_read(example_store: ExampleStore,
                                                      tmp_path: Path) -> None:
    """For one release: the unsigned digests earlier releases wrote still check the log."""
    with Ledger(example_store.url) as ledger:
        report = verify(ledger.store.recorder)
    old = tmp_path / "digest.json"
    old.write_text(json.dumps({"format": "stafet-digest-v1", "count": report.count,
                               "head": report.head, "taken_at": "2026-11-24T02:00:00+00:00",
                               "access_log": {"seq": 0, "hash": "0" * 64}}), encoding="utf-8")
    done = audit(example_store.url, "verify", "--digest", str(old))
    assert done.code == 0, done.err
    assert "matches the digest of 2026-11-24T02:00:00+00:00" in done.out

    rewrite_consistently(example_store.raw, 30)
    done = audit(example_store.url, "verify", "--digest", str(old))
    assert done.code == 1
    assert "no longer hash to the digest taken at 2026-11-24T02:00:00+00:00" in done.err
