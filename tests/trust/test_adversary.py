"""The adversary with the database: every table stafet keeps is tampered with by plain SQL, and
``stafet verify --checkpoints DIR`` (the auditor's, with the series published outside the
database) finds each change and says what it is (exit 1), or refuses a checkpoint file that is
not the ledger's (exit 2) — never an unexpected error (exit 70). Loading a case never uses a
snapshot that is not the log's. Issue 13, findings 3, 4 and 5; both backends.

The store: the two example cases and the roles (tests/trust/conftest.py), plus two notes sent
with command ids, a read in the access log, snapshots of both cases, and a series of two signed
checkpoints. It is made once per backend and session; each test tampers with a copy of it.
"""

from __future__ import annotations

import base64
import json
import secrets
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql

from stafet import Ledger
from stafet.domain.state import CaseSnapshot
from stafet.storage.chain import GENESIS, chain_links
from stafet.storage.checkpoint import Checkpoint, CheckpointKey
from tests.trust.conftest import _copy_postgres
from tests.trust.support import (
    ADULT_HOLDER,
    ADULT_REF,
    DPO,
    FAMILY_HOLDER,
    PURPOSE,
    RawStore,
    Run,
    audit,
    read,
    stafet,
)

MALLORY = "mallory@evil"
ADULT_SNAPSHOTS = (20, 40)
FAMILY_SNAPSHOTS = (30,)
NOTES = ("cmd-note-1", "cmd-note-2")  # command ids of the two notes on the adult case


@dataclass(frozen=True)
class Fortified:
    url: str
    adult: UUID
    family: UUID
    folder: Path  # the checkpoints, published outside the database
    key: Path  # the ledger's checkpoint key

    @property
    def raw(self) -> RawStore:
        return RawStore(self.url)

    def verify(self, *options: str) -> Run:
        return audit(self.url, *options, "verify", "--checkpoints", str(self.folder))


def fortify(url: str, adult: str, family: str, folder: Path, key: Path) -> None:
    CheckpointKey.generate(key)
    with Ledger(url) as ledger:
        published = ledger.checkpoint(actor=DPO, publish=folder, key_file=key)
        assert published.checkpoint is not None
        for command_id in NOTES:
            ledger.log_note(actor=ADULT_HOLDER, case_id=adult, text=f"Notat {command_id}",
                            command_id=command_id)
        ledger.reader(ADULT_HOLDER, PURPOSE).case(adult)
        assert ledger.store.snapshots is not None
        for case_id, versions in ((adult, ADULT_SNAPSHOTS), (family, FAMILY_SNAPSHOTS)):
            for version in versions:
                ledger.store.snapshots.put([CaseSnapshot.take(ledger.get_case(case_id, version))])
        assert ledger.checkpoint(actor=DPO, publish=folder, key_file=key).new


def copy_postgres(source: str, target: str) -> None:
    """The conftest's copy, with the access log's tables (made on first use) made first."""
    with Ledger(target) as ledger:
        assert ledger.access_log is not None
    _copy_postgres(source, target)


@pytest.fixture(scope="session")
def _fortified_sqlite(_pristine_sqlite: tuple[Path, str, str],
                      tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    pristine, adult, family = _pristine_sqlite
    folder = tmp_path_factory.mktemp("fortified")
    path = folder / "stafet.db"
    shutil.copyfile(pristine, path)
    fortify(f"sqlite:///{path}", adult, family, folder / "checkpoints",
            folder / "stafet.db.checkpoint-key")
    return path, adult, family


@pytest.fixture(scope="session")
def _fortified_postgres(_pristine_postgres: tuple[str, str, str], pg_url: str,
                        tmp_path_factory: pytest.TempPathFactory,
                        ) -> Iterator[tuple[str, str, str, Path]]:
    source, adult, family = _pristine_postgres
    url = f"{pg_url}?schema=t_fortified_{uuid.uuid4().hex[:10]}"
    copy_postgres(source, url)
    folder = tmp_path_factory.mktemp("fortified-pg")
    fortify(url, adult, family, folder / "checkpoints", folder / "checkpoint-key")
    yield url, adult, family, folder
    with psycopg.connect(RawStore(url).conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
            sql.Identifier(RawStore(url).schema)))


@pytest.fixture
def store(db_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> Fortified:
    """A copy of the fortified store, its checkpoints and its key, for one test."""
    if db_url.startswith("sqlite:///"):
        path, adult, family = request.getfixturevalue("_fortified_sqlite")
        target = Path(db_url.removeprefix("sqlite:///"))
        shutil.copyfile(path, target)
        key = Path(str(target) + ".checkpoint-key")
        shutil.copy2(str(path) + ".checkpoint-key", key)
        shutil.copytree(path.parent / "checkpoints", tmp_path / "checkpoints")
    else:
        source, adult, family, folder = request.getfixturevalue("_fortified_postgres")
        copy_postgres(source, db_url)
        key = tmp_path / "checkpoint-key"
        shutil.copy2(folder / "checkpoint-key", key)
        shutil.copytree(folder / "checkpoints", tmp_path / "checkpoints")
    return Fortified(db_url, UUID(adult), UUID(family), tmp_path / "checkpoints", key)


def test_the_untouched_store_verifies_in_every_part(store: Fortified) -> None:
    done = store.verify()
    assert done.code == 0, done.err
    assert done.err == ""
    assert "agrees with 2 checkpoints" in done.out
    assert "Access log intact: 1 entries." in done.out
    assert "Snapshots: 3 snapshots checked, each agrees with the events." in done.out
    # 79: the fixture's 2, and the examples' 77 lines: `apply FILE` gives each line a command
    # id derived from the file and the line, so applying the file again stores nothing twice.
    assert ("Beside the log: 79 command records and the keys of 2 cases agree with it; the "
            "subject pepper is unchanged.") in done.out
    data = store.verify("--json").json()
    assert data["intact"] is True and data["snapshots"]["checked"] == 3
    assert data["side_tables"]["command_records"] == 79 and data["checkpoints"]["checked"] == 2


# -- raw SQL helpers ------------------------------------------------------------------------------


def subject_key(store: Fortified, case_id: UUID) -> bytes:
    (row,) = store.raw.query(
        "SELECT k.key FROM stafet_subject_keys k JOIN stafet_case_subjects c "
        "ON c.subject_id = k.subject_id WHERE c.case_id = ?", (str(case_id),))
    return bytes(row[0])


def snapshot_data(store: Fortified, case_id: UUID, version: int) -> dict[str, Any]:
    (row,) = store.raw.query("SELECT state FROM {snapshots} WHERE originator_id = ? AND "
                             "originator_version = ?", (case_id, version))
    data: dict[str, Any] = json.loads(bytes(row[0]))
    return data


def write_snapshot(store: Fortified, case_id: UUID, version: int, data: dict[str, Any]) -> None:
    assert store.raw.execute(
        "UPDATE {snapshots} SET state = ? WHERE originator_id = ? AND originator_version = ?",
        (json.dumps(data).encode(), case_id, version)) == 1


def reseal(store: Fortified, case_id: UUID, version: int,
           change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """What a forger with the database does (finding 3): open a snapshot with the citizen's key
    from the same database, change the state, seal it again as the ledger would."""
    key = AESGCM(subject_key(store, case_id))
    data = snapshot_data(store, case_id, version)
    raw = base64.b64decode(data["state"]["$sealed"])
    state = json.loads(key.decrypt(raw[:12], raw[12:], case_id.bytes))
    change(state)
    nonce = secrets.token_bytes(12)
    sealed = key.encrypt(nonce, json.dumps(state).encode(), case_id.bytes)
    data["state"]["$sealed"] = base64.b64encode(nonce + sealed).decode()
    return data


def mallory_joins(state: dict[str, Any]) -> None:
    holder = state["participants"][state["baton"]["holder"]]
    state["participants"][MALLORY] = {**holder, "ref": MALLORY, "kind": "authority"}
    state["title"] = "Forfalsket forløb"


def rewrite_from(raw: RawStore, index: int) -> None:
    """Change an event and recompute every chain row after it, as someone with the code can."""
    events = raw.events()
    victim = events[index]
    raw.set_state(victim.seq, victim.state.replace(b'"actor": "', b'"actor": "m', 1))
    before = [k for k in raw.chain() if k.seq < victim.seq]
    case_previous = {k.case_id: k.case_hash for k in before}
    links = chain_links(before[-1].chain_hash if before else GENESIS, case_previous, [
        (e.seq, e.case_id, e.version, e.topic, e.state) for e in raw.events()
        if e.seq >= victim.seq])
    raw.execute_many([
        ("UPDATE stafet_chain SET event_hash = ?, chain_hash = ?, case_hash = ? WHERE seq = ?",
         (k.event_hash, k.chain_hash, k.case_hash, k.seq)) for k in links])


def json_value(raw: RawStore) -> str:
    return "?" if raw.backend == "sqlite" else "CAST(? AS jsonb)"


# -- every table, tampered with --------------------------------------------------------------------

Tamper = Callable[[Fortified], None]


def _events_changed(s: Fortified) -> None:
    victim = s.raw.events()[30]
    s.raw.set_state(victim.seq, victim.state.replace(b'"actor": "', b'"actor": "m', 1))


def _event_deleted(s: Fortified) -> None:
    s.raw.execute("DELETE FROM {events} WHERE {seq} = ?", (s.raw.events()[30].seq,))


def _chain_altered(s: Fortified) -> None:
    s.raw.execute("UPDATE stafet_chain SET chain_hash = ? WHERE seq = ?",
                  (bytes(32), s.raw.events()[30].seq))


def _chain_row_deleted(s: Fortified) -> None:
    s.raw.execute("DELETE FROM stafet_chain WHERE seq = ?", (s.raw.events()[30].seq,))


def _consistent_rewrite(s: Fortified) -> None:
    rewrite_from(s.raw, 30)


def _newest_cut_off(s: Fortified) -> None:
    newest = [e.seq for e in s.raw.events()[-2:]]
    s.raw.execute_many([*[("DELETE FROM {events} WHERE {seq} = ?", (q,)) for q in newest],
                        *[("DELETE FROM stafet_chain WHERE seq = ?", (q,)) for q in newest]])


def _forged_appended_then_rewritten(s: Fortified) -> None:
    """The newest checkpointed event replaced by a forged one, its chain row recomputed."""
    rewrite_from(s.raw, len(s.raw.events()) - 1)


def _command_record_deleted(s: Fortified) -> None:
    assert s.raw.execute("DELETE FROM stafet_commands WHERE command_id = ?", (NOTES[0],)) == 1


def _command_result_changed(s: Fortified) -> None:
    (row,) = s.raw.query("SELECT result FROM stafet_commands WHERE command_id = ?", (NOTES[0],))
    result = json.loads(row[0]) if isinstance(row[0], str) else row[0]
    result["events"][0]["position"] -= 1
    s.raw.execute(f"UPDATE stafet_commands SET result = {json_value(s.raw)} WHERE command_id = ?",
                  (json.dumps(result), NOTES[0]))


def _command_record_made_up(s: Fortified) -> None:
    result = {"case_id": str(s.adult), "command": "note", "version": 41,
              "events": [{"position": 41, "type": "NoteLogged"}], "replayed": False}
    s.raw.execute("INSERT INTO stafet_commands (command_id, case_id, fingerprint, result) "
                  f"VALUES (?, ?, ?, {json_value(s.raw)})",
                  ("cmd-made-up", s.adult, "0" * 64, json.dumps(result)))


def _command_record_garbage(s: Fortified) -> None:
    s.raw.execute(f"UPDATE stafet_commands SET result = {json_value(s.raw)} WHERE command_id = ?",
                  ('"not a result"', NOTES[1]))


def _key_nulled(s: Fortified) -> None:
    s.raw.execute("UPDATE stafet_subject_keys SET key = NULL WHERE subject_id = (SELECT "
                  "subject_id FROM stafet_case_subjects WHERE case_id = ?)", (str(s.adult),))


def _key_corrupted(s: Fortified) -> None:
    s.raw.execute("UPDATE stafet_subject_keys SET key = ? WHERE subject_id = (SELECT "
                  "subject_id FROM stafet_case_subjects WHERE case_id = ?)",
                  (secrets.token_bytes(32), str(s.adult)))


def _key_row_deleted(s: Fortified) -> None:
    s.raw.execute("DELETE FROM stafet_subject_keys WHERE subject_id = (SELECT "
                  "subject_id FROM stafet_case_subjects WHERE case_id = ?)", (str(s.adult),))


def _tie_deleted(s: Fortified) -> None:
    s.raw.execute("DELETE FROM stafet_case_subjects WHERE case_id = ?", (str(s.adult),))


def _tie_marked_erased(s: Fortified) -> None:
    s.raw.execute("UPDATE stafet_case_subjects SET erased_at = (SELECT created_at FROM "
                  "stafet_subject_keys LIMIT 1) WHERE case_id = ?", (str(s.adult),))


def _tie_repointed(s: Fortified) -> None:
    s.raw.execute("UPDATE stafet_case_subjects SET subject_id = (SELECT subject_id FROM "
                  "stafet_case_subjects WHERE case_id = ?) WHERE case_id = ?",
                  (str(s.family), str(s.adult)))


def _pepper_replaced(s: Fortified) -> None:
    s.raw.execute("UPDATE stafet_secrets SET value = ? WHERE name = 'subject_pepper'",
                  (secrets.token_bytes(32),))


def _pepper_deleted(s: Fortified) -> None:
    s.raw.execute("DELETE FROM stafet_secrets WHERE name = 'subject_pepper'")


def _snapshot_resealed(s: Fortified) -> None:
    write_snapshot(s, s.adult, 40, reseal(s, s.adult, 40, mallory_joins))


def _snapshot_resealed_without_hash(s: Fortified) -> None:
    data = reseal(s, s.adult, 40, mallory_joins)
    del data["case_hash"]
    write_snapshot(s, s.adult, 40, data)


def _snapshot_garbage(s: Fortified) -> None:
    s.raw.execute("UPDATE {snapshots} SET state = ? WHERE originator_id = ? AND "
                  "originator_version = ?", (b"\x00garbage\xff", s.family, 30))


def _snapshot_moved(s: Fortified) -> None:
    s.raw.execute("UPDATE {snapshots} SET originator_version = 39 WHERE originator_id = ? AND "
                  "originator_version = 40", (s.adult,))


def _snapshot_beyond_the_log(s: Fortified) -> None:
    s.raw.execute("INSERT INTO {snapshots} (originator_id, originator_version, topic, state) "
                  "SELECT originator_id, 999, topic, state FROM {snapshots} WHERE "
                  "originator_id = ? AND originator_version = 40", (s.adult,))


def _snapshot_topic_changed(s: Fortified) -> None:
    s.raw.execute("UPDATE {snapshots} SET topic = 'NoteLogged' WHERE originator_id = ? AND "
                  "originator_version = 20", (s.adult,))


def _snapshot_other_chain_hash(s: Fortified) -> None:
    data = snapshot_data(s, s.adult, 40)
    data["case_hash"] = snapshot_data(s, s.adult, 20)["case_hash"]
    write_snapshot(s, s.adult, 40, data)


def _access_entry_changed(s: Fortified) -> None:
    s.raw.execute("UPDATE stafet_access_log SET purpose = 'rutine' WHERE seq = 1")


def _access_anchor_forged(s: Fortified) -> None:
    (row,) = s.raw.query("SELECT hash, at FROM stafet_access_log WHERE seq = 1")
    s.raw.execute_many([
        ("DELETE FROM stafet_access_log WHERE seq = 1", ()),
        ("INSERT INTO stafet_access_anchor (id, through_seq, head, pruned_at, removed) "
         "VALUES (1, 1, ?, ?, 1)", (bytes(row[0]), row[1]))])


TAMPERING: dict[str, tuple[Tamper, str]] = {
    "events: bytes changed": (_events_changed, "was changed after it was recorded"),
    "events: one deleted": (_event_deleted, "is missing"),
    "chain: a hash altered": (_chain_altered, "the chain record at position"),
    "chain: a row deleted": (_chain_row_deleted, "BROKEN at position"),
    "events and chain: rewritten consistently": (
        _consistent_rewrite, "no longer hash to the checkpoint at"),
    "events and chain: the newest cut off": (_newest_cut_off, "events were removed"),
    "events and chain: the newest replaced": (
        _forged_appended_then_rewritten, "no longer hash to the checkpoint at"),
    "commands: a record deleted": (
        _command_record_deleted, f"the record of command '{NOTES[0]}' is missing"),
    "commands: a result changed": (_command_result_changed, "names other events than the log"),
    "commands: a record made up": (_command_record_made_up, "names other events than the log"),
    "commands: garbage": (_command_record_garbage, "is not one the ledger writes"),
    "subject keys: a key NULLed": (_key_nulled, "was deleted, but no erasure is recorded"),
    "subject keys: a key corrupted": (_key_corrupted, "does not open the case's data"),
    "subject keys: a row deleted": (_key_row_deleted, "is gone from stafet_subject_keys"),
    "case subjects: a tie deleted": (_tie_deleted, "has no tie to its citizen"),
    "case subjects: marked erased": (_tie_marked_erased, "is marked erased in stafet_case_subjects"),
    "case subjects: tied to another citizen": (_tie_repointed, "does not open the case's data"),
    "secrets: the pepper replaced": (_pepper_replaced, "not the one recorded in the log when"),
    "secrets: the pepper deleted": (_pepper_deleted, "not the one recorded in the log when"),
    "snapshots: re-sealed with the right hash": (
        _snapshot_resealed, "differs from what its events say (participants, title)"),
    "snapshots: re-sealed without a hash": (
        _snapshot_resealed_without_hash, "differs from what its events say"),
    "snapshots: garbage": (_snapshot_garbage, "cannot be read"),
    "snapshots: moved to another entry": (_snapshot_moved, "at entry 39 holds case"),
    "snapshots: beyond the log": (_snapshot_beyond_the_log, "the log has no such entry"),
    "snapshots: topic changed": (_snapshot_topic_changed, "is not a snapshot"),
    "snapshots: another entry's chain hash": (
        _snapshot_other_chain_hash, "records another chain hash than the log's"),
    "access log: an entry changed": (_access_entry_changed, "ACCESS LOG BROKEN"),
    "access anchors: a prune made up": (_access_anchor_forged, "ACCESS LOG BROKEN"),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERING))
def test_tampering_with_any_table_is_found(store: Fortified, tamper: str) -> None:
    change, found = TAMPERING[tamper]
    change(store)

    done = store.verify()
    assert done.code == 1, (done.out, done.err)
    assert found in done.err, done.err
    assert "Unexpected error" not in done.err and "Traceback" not in done.err
    data = store.verify("--json").json()
    assert data["intact"] is False


@pytest.mark.parametrize("tamper", sorted(t for t in TAMPERING if t.startswith("snapshots")))
def test_a_case_is_never_loaded_from_a_snapshot_that_is_not_the_logs(
        store: Fortified, tamper: str) -> None:
    """Reads fall back to the events, never exit 70. (A forgery re-sealed with the right chain
    hash cannot be told apart on loading, with the key and the hash in the same database: only
    ``verify``, which recomputes it from the events, finds it — docs/trust.md.)"""
    true = read(store.url, "--json", "case", "show", str(store.adult), actor=ADULT_HOLDER).json()
    TAMPERING[tamper][0](store)
    for case_id, holder in ((store.adult, ADULT_HOLDER), (store.family, FAMILY_HOLDER)):
        done = read(store.url, "--json", "case", "show", str(case_id), actor=holder)
        assert done.code == 0, done.err
        if case_id == store.adult and tamper != "snapshots: re-sealed with the right hash":
            assert done.json() == true
            assert MALLORY not in done.out
        history = read(store.url, "case", "history", str(case_id), actor=holder)
        assert history.code == 0, history.err


def test_a_re_sent_command_after_its_record_was_deleted_is_found(store: Fortified) -> None:
    """Finding 4: with its record gone, a re-sent command id stores a second event; verify
    says so."""
    _command_record_deleted(store)
    again = stafet(store.url, "--as", ADULT_HOLDER, "note", str(store.adult),
                   f"Notat {NOTES[0]}", "--command-id", NOTES[0])
    assert again.code == 0, again.err
    done = store.verify()
    assert done.code == 1
    assert f"the record of command '{NOTES[0]}'" in done.err
    assert "names other events than the log holds" in done.err


def test_undoing_an_erasure_behind_the_ledgers_back_is_found(store: Fortified) -> None:
    kept = {r[0]: bytes(r[1]) for r in store.raw.query("SELECT subject_id, key FROM "
                                                       "stafet_subject_keys")}
    erased = stafet(store.url, "--as", DPO, "erase", "--subject", ADULT_REF, "--confirm",
                    ADULT_REF, "--reason", "Slettefrist udløbet")
    assert erased.code == 0, erased.err
    intact = store.verify()
    assert intact.code == 0, intact.err

    store.raw.execute_many([
        *[("UPDATE stafet_subject_keys SET key = ?, erased_at = NULL WHERE subject_id = ?",
           (key, subject)) for subject, key in kept.items()],
        ("UPDATE stafet_case_subjects SET erased_at = NULL", ())])
    done = store.verify()
    assert done.code == 1
    assert (f"case {store.adult} was erased (its log says so), yet stafet_case_subjects ties it "
            "to a citizen's key again that opens its data") in done.err


@pytest.mark.parametrize("checkpoint", ["forged", "another key's", "huge", "endless", "garbage"])
def test_a_checkpoint_file_that_is_not_the_ledgers_is_refused(store: Fortified, tmp_path: Path,
                                                              checkpoint: str) -> None:
    newest = max(store.folder.glob("*.checkpoint"), key=lambda p: int(p.stem))
    text = newest.read_text(encoding="utf-8")
    if checkpoint == "forged":
        lines = text.split("\n")
        lines[2] = base64.b64encode(bytes(32)).decode()
        newest.write_text("\n".join(lines), encoding="utf-8")
    elif checkpoint == "another key's":
        other = CheckpointKey.generate(tmp_path / "other-key")
        forged = other.sign(Checkpoint(size=999, root=bytes(32)))
        (store.folder / "999.checkpoint").write_text(forged.note or "", encoding="utf-8")
    elif checkpoint == "huge":
        with (store.folder / "999.checkpoint").open("wb") as f:
            f.truncate(2**31)
    elif checkpoint == "endless":
        (store.folder / "999.checkpoint").symlink_to("/dev/zero")
    else:
        (store.folder / "999.checkpoint").write_bytes(b"\x89PNG\r\n\x1a\n")
    done = store.verify()
    assert done.code == 2, done
    assert "nothing was verified" in done.err and len(done.err.strip().splitlines()) == 1


def test_a_snapshot_taken_before_snapshots_were_chained_is_noted_and_not_used(
        store: Fortified) -> None:
    """A store made by an earlier stafet: its snapshots carry no chain hash. They agree with the
    events, so verify passes with a note; loading does not use them (a cache, made anew as the
    case grows)."""
    data = snapshot_data(store, store.adult, 40)
    del data["case_hash"]
    write_snapshot(store, store.adult, 40, data)

    done = store.verify()
    assert done.code == 0, done.err
    assert (f"Note: the snapshot of case {store.adult} at entry 40 carries no chain hash (taken "
            "by an earlier stafet); it agrees with the events, but is ignored when loading") \
        in done.out
    with Ledger(store.url) as ledger:
        loads: list[Any] = []
        original = ledger.store.events.get

        def spy(*args: Any, **kwargs: Any) -> Any:
            loads.append(kwargs.get("gt"))
            return original(*args, **kwargs)

        ledger.store.events.get = spy  # type: ignore[method-assign]
        assert ledger.get_case(store.adult).version > 40
        assert 40 not in loads  # not loaded from the unchained snapshot at entry 40
