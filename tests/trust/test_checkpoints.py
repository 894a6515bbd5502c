"""Signed checkpoints kept outside the database: their format (C2SP tlog-checkpoint, an Ed25519
signed note), the series ``stafet checkpoint --publish DIR`` keeps, and ``stafet verify
--checkpoints DIR`` finding a log shortened or rewritten since (issue 13, finding 5).

The format tests need no store; the rest run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import base64
import os
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stafet import Ledger
from stafet.domain.errors import InvalidCommand, NotAllowed
from stafet.storage.access import AccessHead
from stafet.storage.checkpoint import (
    MAX_NOTE_BYTES,
    Checkpoint,
    CheckpointKey,
    CheckpointRefused,
    Verifier,
    key_id,
    open_note,
    read_checkpoint,
    read_small,
)
from tests.trust.conftest import ExampleStore
from tests.trust.support import ADULT_HOLDER, AUDITOR, EXAMPLE_EVENTS, Run, audit, stafet
from tests.trust.test_digest import rewrite_consistently

ROOT = bytes(range(32))


def a_checkpoint(size: int = 90) -> Checkpoint:
    return Checkpoint(size=size, root=ROOT, taken_at=datetime(2026, 11, 30, 2, tzinfo=UTC),
                      access=AccessHead(12, "ab" * 32), pepper="cd" * 32)


@pytest.fixture
def key(tmp_path: Path) -> CheckpointKey:
    return CheckpointKey.generate(tmp_path / "checkpoint-key")


# -- the format, without a store ----------------------------------------------------------------


def test_the_signature_scheme_is_c2sp_signed_note_ed25519() -> None:
    """The Go reference's test vector (golang.org/x/mod/sumdb/note): a verifier key line and a
    note signed with it verify here, so any C2SP tool can check stafet's checkpoints."""
    verifier = Verifier.parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    text = (b"If you think cryptography is the answer to your problem,\n"
            b"then you don't know what your problem is.\n")
    signature = base64.b64decode("x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSN"
                                 "XgKvqfqdngotpRZb6KE6RyyBwJnAM=")
    assert signature[:4] == verifier.key_id == key_id("PeterNeumann", verifier.public)
    assert verifier.verify(text, signature[4:])
    assert not verifier.verify(text.replace(b"problem", b"answer", 1), signature[4:])


def test_a_checkpoint_is_a_c2sp_tlog_checkpoint(key: CheckpointKey) -> None:
    signed = key.sign(a_checkpoint())
    assert signed.note is not None
    lines = signed.note.split("\n")
    assert lines[:3] == [key.name, "90", base64.b64encode(ROOT).decode()]
    assert lines[3:6] == ["taken-at 2026-11-30T02:00:00Z", f"access-log 12 {'ab' * 32}",
                          f"subject-pepper-fingerprint {'cd' * 32}"]
    assert lines[6] == "" and lines[7].startswith(f"— {key.name} ") and lines[8] == ""
    raw = base64.b64decode(lines[7].split(" ")[2])
    assert len(raw) == 4 + 64 and raw[:4] == key.verifier.key_id

    read_back = open_note(signed.note, [key.verifier])
    assert (read_back.size, read_back.root, read_back.taken_at, read_back.access,
            read_back.pepper, read_back.origin) == (90, ROOT, a_checkpoint().taken_at,
                                                    AccessHead(12, "ab" * 32), "cd" * 32, key.name)
    # The public key, published as one verifier-key line, reads back as the same key.
    assert Verifier.parse(key.verifier.vkey()) == key.verifier


def test_the_key_file_is_the_owners_alone_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "checkpoint-key"
    made = CheckpointKey.generate(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert CheckpointKey.load(path).verifier == made.verifier
    with pytest.raises(CheckpointRefused, match="never overwritten"):
        CheckpointKey.generate(path)
    path.chmod(0o644)
    with pytest.raises(CheckpointRefused, match="may be read by others"):
        CheckpointKey.load(path)


def _refused(text: str, trusted: list[Verifier], why: str) -> None:
    with pytest.raises(CheckpointRefused, match=why) as refused:
        open_note(text, trusted, "the file")
    assert "\n" not in str(refused.value)


def test_a_checkpoint_that_was_altered_forged_or_not_signed_is_refused(
        key: CheckpointKey, tmp_path: Path) -> None:
    note = key.sign(a_checkpoint()).note
    assert note is not None
    other = CheckpointKey.generate(tmp_path / "other-key")
    body, signature = note.split("\n\n")

    _refused(note.replace("\n90\n", "\n91\n"), [key.verifier], "does not verify: it was forged")
    _refused(other.sign(a_checkpoint()).note or "", [key.verifier], "not signed by the ledger's")
    _refused(body + "\n", [key.verifier], "not a signed note")
    _refused(body + "\n\n", [key.verifier], "not signed")
    _refused(note.replace(key.name, "evil.example/log"), [key.verifier], "not signed by")
    _refused("\n".join(["x"] * 3) + "\n\n" + signature, [key.verifier], "size 'x' is not a number")
    _refused(note.replace("\n90\n", "\n090\n"), [key.verifier], "is not a number")
    _refused(note.replace(base64.b64encode(ROOT).decode(), "Zm9yZ2Vk"), [key.verifier],
             "root hash is not 32 bytes")
    _refused(note.replace("taken-at", "taken-at\x00"), [key.verifier], "control characters")
    _refused("", [key.verifier], "not a signed note")
    _refused("x" * (MAX_NOTE_BYTES + 1), [key.verifier], "over 8192 bytes")
    # A note signed by the right key but for another origin (a key shared by two logs).
    forged_origin = Checkpoint(size=1, root=ROOT).body("stafet-ledger/another") + "\n"
    _refused(forged_origin + signature, [key.verifier], "does not verify|origin")


def test_huge_endless_and_odd_files_are_refused_quickly(tmp_path: Path) -> None:
    started = time.perf_counter()
    for path, why in [(Path("/dev/zero"), "larger than any checkpoint"),
                      (tmp_path, "not a checkpoint file"),
                      (tmp_path / "missing", "does not exist")]:
        with pytest.raises(CheckpointRefused, match=why):
            read_small(path)
    big = tmp_path / "big.checkpoint"
    with big.open("wb") as f:
        f.truncate(2**30)  # a gigabyte (sparse): read no further than 8 KiB of it
    with pytest.raises(CheckpointRefused, match="larger than any checkpoint"):
        read_small(big)
    fifo = tmp_path / "pipe.checkpoint"
    os.mkfifo(fifo)  # nobody writes: opening it would wait for ever
    with pytest.raises(CheckpointRefused, match="not a checkpoint file"):
        read_small(fifo)
    (tmp_path / "latin1").write_bytes(b"caf\xe9\n")
    with pytest.raises(CheckpointRefused, match="not UTF-8"):
        read_small(tmp_path / "latin1")
    assert time.perf_counter() - started < 2


def test_a_checkpoint_file_named_for_another_size_is_refused(key: CheckpointKey,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "80.checkpoint"
    path.write_text(key.sign(a_checkpoint(90)).note or "", encoding="utf-8")
    with pytest.raises(CheckpointRefused, match="its name says 80"):
        read_checkpoint(path, [key.verifier])


# -- init makes the key ---------------------------------------------------------------------------


def test_init_makes_the_checkpoint_key(db_url: str, tmp_path: Path) -> None:
    given = tmp_path / "keys" / "checkpoint-key"
    given.parent.mkdir()
    args = [] if db_url.startswith("sqlite") else ["--checkpoint-key", str(given)]
    done = stafet(db_url, "init", "--admin", "it@kommunen", *args)
    assert done.code == 0, done.err
    path = Path(db_url.removeprefix("sqlite:///") + ".checkpoint-key") if not args else given
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert f"Checkpoint key: {path} (public key {CheckpointKey.load(path).verifier.vkey()})" \
        in done.out
    again = stafet(db_url, "init", *args)  # the key is kept, never replaced
    assert again.code == 0 and CheckpointKey.load(path).verifier.vkey() in again.out
    if args:  # PostgreSQL without a key given: no key, and a sentence saying how to make one
        bare = stafet(db_url, "init")
        assert bare.code == 0 and "No checkpoint key yet" in bare.out


# -- a series of checkpoints, and the log checked against it ---------------------------------------


def publish(store: ExampleStore, folder: Path, key: Path, actor: str = AUDITOR) -> Run:
    return stafet(store.url, "--as", actor, "checkpoint", "--publish", str(folder),
                  "--checkpoint-key", str(key))


def verify_against(store: ExampleStore, folder: Path, *options: str) -> Run:
    return audit(store.url, *options, "verify", "--checkpoints", str(folder))


def add_notes(store: ExampleStore, count: int) -> None:
    with Ledger(store.url) as ledger:
        for n in range(count):
            ledger.log_note(actor=ADULT_HOLDER, case_id=store.adult, text=f"Opfølgning {n}.")


def a_series(store: ExampleStore, folder: Path, key: Path) -> list[int]:
    """Three checkpoints, with notes logged between them; returns their sizes."""
    sizes, added = [], 0
    for notes in (0, 2, 3):
        add_notes(store, notes)
        added += notes
        done = publish(store, folder, key)
        assert done.code == 0, done.err
        sizes.append(EXAMPLE_EVENTS + added)
    return sizes


def test_a_series_is_kept_and_the_log_agrees_with_it(example_store: ExampleStore, tmp_path: Path,
                                                     checkpoint_key: Path) -> None:
    folder = tmp_path / "checkpoints"
    sizes = a_series(example_store, folder, checkpoint_key)
    assert sizes == [EXAMPLE_EVENTS, EXAMPLE_EVENTS + 2, EXAMPLE_EVENTS + 5]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{s}.checkpoint" for s in sizes] + ["checkpoint-key.pub"])
    assert (folder / "checkpoint-key.pub").read_text() == \
        CheckpointKey.load(checkpoint_key).verifier.vkey() + "\n"

    again = publish(example_store, folder, checkpoint_key)
    assert again.code == 0 and "Nothing new since" in again.out

    done = verify_against(example_store, folder)
    assert done.code == 0, done.err
    assert f"agrees with 3 checkpoints in {folder} (the newest at {sizes[-1]} events" in done.out
    add_notes(example_store, 1)  # appending after the newest checkpoint is the log growing
    assert verify_against(example_store, folder).code == 0
    data = verify_against(example_store, folder, "--json").json()
    assert data["intact"] is True and data["checkpoints"]["checked"] == 3


def test_cutting_off_the_newest_events_is_found(example_store: ExampleStore, tmp_path: Path,
                                                checkpoint_key: Path) -> None:
    """Finding 5: deleting the last events with their chain rows passes a plain verify; against
    the checkpoints it is found."""
    folder = tmp_path / "checkpoints"
    sizes = a_series(example_store, folder, checkpoint_key)
    raw = example_store.raw
    last_four = [e.seq for e in raw.events()[-4:]]
    raw.execute_many([
        *[("DELETE FROM {events} WHERE {seq} = ?", (seq,)) for seq in last_four],
        *[("DELETE FROM stafet_chain WHERE seq = ?", (seq,)) for seq in last_four],
    ])

    plain = audit(example_store.url, "verify")
    assert plain.code == 0  # the chain that is left is whole: only a checkpoint knows more
    assert "a shortened or consistently rewritten log looks intact" in plain.out
    done = verify_against(example_store, folder)
    assert done.code == 1, done.out
    assert "Intact" not in done.out
    assert (f"BROKEN at position {sizes[-1] - 3}: the store holds {sizes[-1] - 4} events but the "
            f"checkpoint at {sizes[-1]} events") in done.err and "events were removed" in done.err


def test_a_rewrite_between_checkpoints_is_placed_between_them(
        example_store: ExampleStore, tmp_path: Path, checkpoint_key: Path) -> None:
    folder = tmp_path / "checkpoints"
    sizes = a_series(example_store, folder, checkpoint_key)
    rewrite_consistently(example_store.raw, sizes[1])  # the first event after the second one

    assert audit(example_store.url, "verify").code == 0  # consistent: the chain agrees
    done = verify_against(example_store, folder)
    assert done.code == 1
    assert (f"the first {sizes[2]} events no longer hash to the checkpoint at {sizes[2]} events"
            in done.err)
    assert (f"it still agrees with the checkpoint at {sizes[1]} events" in done.err
            and f"the change lies after event {sizes[1]}" in done.err)
    published = publish(example_store, folder, checkpoint_key)  # never signs a rewritten log
    assert published.code == 1 and "no checkpoint taken" in published.err
    assert len(list(folder.glob("*.checkpoint"))) == 3


def test_a_wiped_log_is_not_intact_against_its_checkpoints(
        example_store: ExampleStore, tmp_path: Path, checkpoint_key: Path) -> None:
    """Every event and chain row deleted: the administration (and with it the auditor's role)
    is gone too, so verify is refused; it never says intact."""
    folder = tmp_path / "checkpoints"
    a_series(example_store, folder, checkpoint_key)
    example_store.raw.execute_many([("DELETE FROM {events}", ()),
                                    ("DELETE FROM stafet_chain", ())])
    done = verify_against(example_store, folder)
    assert done.code == 1 and "Intact" not in done.out, done


def test_checkpoints_that_are_not_the_ledgers_are_refused(
        example_store: ExampleStore, tmp_path: Path, checkpoint_key: Path) -> None:
    folder = tmp_path / "checkpoints"
    sizes = a_series(example_store, folder, checkpoint_key)
    newest = folder / f"{sizes[-1]}.checkpoint"
    genuine = newest.read_text(encoding="utf-8")
    other = CheckpointKey.generate(tmp_path / "other-key")

    def refused(text: str, why: str) -> None:
        newest.write_text(text, encoding="utf-8")
        done = verify_against(example_store, folder)
        assert done.code == 2, done
        assert why in done.err and "nothing was verified" in done.err
        assert len(done.err.strip().splitlines()) == 1 and "Intact" not in done.out

    body = genuine.split("\n\n")[0]
    forged_root = base64.b64encode(bytes(32)).decode()
    lines = body.split("\n")
    refused("\n".join([lines[0], lines[1], forged_root, *lines[3:]]) + "\n\n"
            + genuine.split("\n\n")[1], "its signature does not verify: it was forged or altered")
    refused(other.sign(Checkpoint(size=sizes[-1], root=bytes(32))).note or "",
            "not signed by the ledger's checkpoint key")
    refused("{}\n", "not a signed note")
    newest.write_text(genuine, encoding="utf-8")

    # Another folder, another key's public key: publishing there is refused.
    strange = tmp_path / "strange"
    strange.mkdir()
    (strange / "checkpoint-key.pub").write_text(other.verifier.vkey() + "\n", encoding="utf-8")
    done = publish(example_store, strange, checkpoint_key)
    assert done.code == 2 and "keeps the checkpoints of another key" in done.err
    # The public key is never read from the database: without one, nothing is trusted.
    (folder / "checkpoint-key.pub").unlink()
    done = verify_against(example_store, folder)
    assert done.code == 2 and "give the ledger's public checkpoint key with --key" in done.err
    with_key = audit(example_store.url, "verify", "--checkpoints", str(folder), "--key",
                     str(strange / "checkpoint-key.pub"))
    assert with_key.code == 2 and "not signed by the ledger's checkpoint key" in with_key.err


@pytest.mark.parametrize("given", [
    '{"count":0,"head":"forged"}',
    '{"format":"stafet-digest-v1","count":0,"head":"forged","taken_at":"x"}',
    '{"format":"stafet-digest-v1","count":-1,"head":"' + "0" * 64 + '","taken_at":"x"}',
    "/dev/zero",
])
def test_a_made_up_digest_never_matches(example_store: ExampleStore, tmp_path: Path,
                                        given: str) -> None:
    """Finding 5: a digest of nothing that claims to match, and an endless file."""
    path = Path(given) if given.startswith("/") else tmp_path / "digest.json"
    if not given.startswith("/"):
        path.write_text(given, encoding="utf-8")
    started = time.perf_counter()
    done = audit(example_store.url, "verify", "--digest", str(path))
    assert done.code == 2, done
    assert "matches" not in done.out and "Intact" not in done.out
    assert time.perf_counter() - started < 10


def test_a_legacy_digest_of_the_empty_log_with_another_head_is_a_rewrite(
        example_store: ExampleStore, tmp_path: Path) -> None:
    path = tmp_path / "digest.json"
    path.write_text('{"format":"stafet-digest-v1","count":0,"head":"' + "ab" * 32
                    + '","taken_at":"2026-01-01T00:00:00+00:00"}', encoding="utf-8")
    done = audit(example_store.url, "verify", "--digest", str(path))
    assert done.code == 1 and "the empty log no longer hashes to the digest" in done.err


def test_only_those_who_answer_for_the_ledger_take_checkpoints(
        example_store: ExampleStore, tmp_path: Path, checkpoint_key: Path) -> None:
    folder = tmp_path / "checkpoints"
    done = publish(example_store, folder, checkpoint_key, actor=ADULT_HOLDER)
    assert done.code == 1 and "may take a checkpoint of the log" in done.err
    assert not folder.exists()
    with Ledger(example_store.url) as ledger:
        with pytest.raises(NotAllowed):
            ledger.checkpoint(actor="eva@udenfor", publish=folder, key_file=checkpoint_key)
        published = ledger.checkpoint(actor=AUDITOR, publish=folder, key_file=checkpoint_key)
        assert published.new and published.path == folder / f"{EXAMPLE_EVENTS}.checkpoint"
        with pytest.raises(InvalidCommand, match="does not exist"):
            ledger.checkpoint(actor=AUDITOR, key_file=tmp_path / "no-such-key")


def test_publishing_where_it_cannot_is_one_sentence(example_store: ExampleStore, tmp_path: Path,
                                                    checkpoint_key: Path) -> None:
    done = publish(example_store, tmp_path / "no" / "such" / "folder", checkpoint_key)
    assert done.code == 2 and "cannot be made" in done.err, done
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    read_only.chmod(0o555)
    try:
        done = publish(example_store, read_only, checkpoint_key)
        if os.geteuid() != 0:  # root writes anywhere
            assert done.code == 2 and "cannot be written" in done.err, done
        else:
            assert done.code == 0, done
    finally:
        read_only.chmod(0o755)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # a database file is SQLite's
def test_an_empty_database_file_is_never_intact_against_checkpoints(
        example_store: ExampleStore, tmp_path: Path, checkpoint_key: Path) -> None:
    """Finding 5: a 0-byte database file given where the store was."""
    folder = tmp_path / "checkpoints"
    a_series(example_store, folder, checkpoint_key)
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    done = audit(f"sqlite:///{empty}", "verify", "--checkpoints", str(folder))
    assert done.code != 0 and "Intact" not in done.out, done
