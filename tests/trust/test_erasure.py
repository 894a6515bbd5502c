"""Erasing a citizen (crypto-shredding) end to end, on SQLite and PostgreSQL.

A case whose personal fields (every PERSONAL path of the event catalogue that a command can
fill) carry a unique marker is erased with ``stafet erase``. Afterwards the log still verifies,
every way of reading shows "[erased]", and no byte of the marker is left: not in the SQLite file
or its WAL, not in any column of any table of the PostgreSQL schema. Another citizen's case is
untouched.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stafet import Ledger
from stafet.storage.keys import seal
from tests.trust.conftest import ExampleStore
from tests.trust.support import (
    ADMIN,
    ADULT_HOLDER,
    AUDITOR,
    DPO,
    FAMILY_HOLDER,
    FAMILY_REF,
    RawStore,
    audit,
    plaintext_in,
    read,
    stafet,
    stafet_process,
)

MARKER = "MARKER-7f3a9"
OTHER = "OTHERCITIZEN-c0ffee"
HOLDER = "anne@jobcenter-odense"
SOCIAL = "bo@socialafdelingen-odense"
REASON = "Slettefrist udløbet"
SNAPSHOT_INTERVAL = 5


def build_case(ledger: Ledger, subject_ref: str, marker: str) -> UUID:
    """An adult case that writes ``marker`` into every kind of personal field."""
    opened = ledger.open_case(actor=HOLDER, subject_ref=subject_ref, subject_kind="adult",
                              title=f"Forløb for {marker}", holder_name=f"Anne {marker}",
                              temporary=False)
    case_id = opened.case_id
    soon = (date.today() + timedelta(days=30)).isoformat()

    def do(name: str, actor: str = HOLDER, **fields: Any) -> None:
        ledger.run(name, {"actor": actor, "case_id": case_id, **fields})

    do("case.join", participant=SOCIAL, kind="authority", title=f"Sagsbehandler {marker}",
       participant_name=f"Bo {marker}")
    do("case.join", participant="soester@hjemme", kind="relative", title=f"Søster {marker}")
    do("consent.give", given_by=[{"role": "citizen", "name": f"Mads {marker}"}],
       purpose="koordinering", recipients=["@jobcenter-odense", "@socialafdelingen-odense"],
       categories=["helbred", "bolig"])
    do("plan.accept", accepted_by=[{"role": "citizen", "name": f"Mads {marker}"}],
       note=f"Siger ja {marker}")
    do("plan.summary", text=f"Situationen: {marker} har brug for bolig.")
    do("goal.set", level="overall", text=f"Mål om egen bolig {marker}")
    do("goal.revise", goal_id="G1", text=f"Revideret mål {marker}", reason=f"Fordi {marker}")
    do("goal.status", goal_id="G1", status="in_progress", note=f"I gang {marker}")
    do("effort.plan", title=f"Bostøtte {marker}", law="SEL", paragraph="§ 85", provider=SOCIAL)
    do("effort.status", effort_id="E1", status="started", note=f"Startet {marker}")
    do("agreement.make", text=f"skrive {marker} op til bolig", responsible=SOCIAL, due_on=soon)
    do("view", text=f"Jeg vil gerne bo selv, siger {marker}")
    do("sectorplan.link", kind="Handleplan (SEL § 141)", owner=SOCIAL, system="Nexus",
       reference=f"HP-{marker}")
    do("share", recipient=SOCIAL, purpose="koordinering", categories=["helbred"],
       description=f"Helbredsattest om {marker}")
    # convened a week ago for yesterday, so it can be recorded as held now
    do("meeting.convene", starts_at=(datetime.now(UTC) - timedelta(days=1)).isoformat(),
       occurred_at=(datetime.now(UTC) - timedelta(days=7)).isoformat(),
       place=f"Mødelokale {marker}", invited=[SOCIAL], agenda=[f"Punkt om {marker}"])
    do("meeting.agenda", meeting_id="M1", agenda=[f"Nyt punkt om {marker}"])
    do("meeting.hold", meeting_id="M1", attendees=[SOCIAL], minutes=f"Referat: {marker}",
       decisions=[f"Beslutning om {marker}"],
       agreements=[{"text": f"følge op på {marker}", "responsible": SOCIAL, "due_on": soon}])
    do("note", text=f"Notat om {marker}")
    do("correct", position=19, correction=f"Rettelse om {marker}", reason=f"Fejl om {marker}")
    do("phase", phase=2, reason=f"Tværfagligt for {marker}")
    do("agreement.cancel", agreement_id="A1", reason=f"Aflyst for {marker}")
    do("case.leave", participant="soester@hjemme", reason=f"Flyttet, {marker}")
    do("baton.hand", to=SOCIAL, note=f"Overdragelse af {marker}")
    do("baton.withdraw", reason=f"Trukket tilbage for {marker}")
    return case_id


def contains(data: bytes | str, text: str) -> bool:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return text.lower().encode("utf-8") in raw.lower()


def sqlite_files(url: str) -> dict[str, bytes]:
    path = Path(url.removeprefix("sqlite:///"))
    return {p.name: p.read_bytes() for p in (path, path.with_name(path.name + "-wal"),
                                             path.with_name(path.name + "-shm")) if p.exists()}


def marker_anywhere(raw: RawStore, text: str, *, outside_ciphertext: bool = False,
                    ) -> dict[str, int]:
    """Where ``text`` is still found: tables by rows, and on SQLite the raw files' bytes.
    ``outside_ciphertext`` for a short word (a name), which the base64 of sealed fields holds
    now and then by chance (``plaintext_in``)."""
    found = raw.rows_containing(text, outside_ciphertext=outside_ciphertext)
    if raw.backend == "sqlite":
        found.update({name: 1 for name, data in sqlite_files(raw.db_url).items()
                      if (plaintext_in(data, text) if outside_ciphertext
                          else contains(data, text))})
    return found


def erase(subject_ref: str) -> list[str]:
    """``stafet erase`` as the data protection officer, the reference given twice."""
    return ["--as", DPO, "erase", "--subject", subject_ref, "--confirm", subject_ref,
            "--reason", REASON]


@pytest.mark.process
@pytest.mark.slow
def test_erasure_end_to_end(db_url: str) -> None:
    with Ledger(db_url, snapshot_interval=SNAPSHOT_INTERVAL) as ledger:
        ledger.appoint_first_admin(ADMIN)
        ledger.grant_role(actor=ADMIN, role="dpo", to=DPO)
        ledger.grant_role(actor=ADMIN, role="auditor", to=AUDITOR)
        case_id = build_case(ledger, f"borger-{MARKER}", MARKER)
        other_id = build_case(ledger, "borger-other-1", OTHER)
        version = ledger.get_case(case_id).version
    case, other = str(case_id), str(other_id)
    raw = RawStore(db_url)

    # Before: the marker is readable, kept sealed in the log and snapshots, plain in read models.
    shown = read(db_url, "case", "show", case, actor=HOLDER, purpose="forberede møde")
    assert shown.code == 0 and MARKER in shown.out
    assert MARKER in read(db_url, "case", "list", actor=HOLDER).out  # brings the read models up to date
    snapshots = "SELECT originator_id, count(*) FROM {snapshots} GROUP BY originator_id"
    assert {UUID(str(r[0])): r[1] for r in raw.query(snapshots)} == {
        case_id: version // SNAPSHOT_INTERVAL, other_id: version // SNAPSHOT_INTERVAL}
    before = marker_anywhere(raw, MARKER)
    assert "rm_cases" in before and "rm_events" in before
    if raw.backend == "sqlite":  # the byte scan below sees plaintext where there is some
        assert {"stafet.db", "stafet.db-wal"} & set(before)
    assert not {"stored_events", "stafet_events", "stored_snapshots", "stafet_snapshots"} & set(
        before)  # personal fields are stored encrypted
    count = len(raw.events())

    # The erasure, by the installed command in a process of its own.
    erased = stafet_process(db_url, *erase(f"borger-{MARKER}"))
    assert erased.code == 0, erased.err
    said = erased.out.splitlines()
    assert said[:2] == [f"Erased the citizen's personal data in 1 case(s): {case[:8]}. "
                        "The log still verifies.",
                        "Scrubbed: no deleted plaintext remains in the store's files."]
    outside = "\n".join(said[2:])
    assert outside.startswith("Outside the store (see to these yourself):")
    assert "exports and backups" in outside and "--read-db" in outside
    assert ("pg_wal" in outside) == (raw.backend == "postgres")

    # Not a byte of the marker is left anywhere in the store.
    assert marker_anywhere(raw, MARKER) == {}
    assert raw.query(snapshots.replace("GROUP BY", "WHERE originator_id = ? GROUP BY"),
                     (case_id,)) == []

    # The log is whole: one event more, and it verifies.
    verified = audit(db_url, "verify")
    assert verified.code == 0, verified.err
    assert f"Intact: {count + 1} events" in verified.out

    # The erasure event itself holds no personal data.
    erasure = raw.events()[-1]
    assert (erasure.case_id, erasure.topic) == (case_id, "PersonalDataErased")
    stored = json.loads(erasure.state)
    assert stored["reason"] == REASON and stored["actor"] == DPO
    assert "$sealed" not in erasure.state.decode() and "borger" not in erasure.state.decode()

    # Every way of reading shows "[erased]" where the personal data was.
    shown = read(db_url, "--json", "case", "show", case, actor=HOLDER)
    assert shown.code == 0, shown.err
    state = shown.json()
    assert MARKER not in shown.out
    assert state["plan"]["summary"] == "[erased]"
    assert [g["text"] for g in state["plan"]["goals"]] == ["[erased]"]
    assert {a["text"] for a in state["plan"]["agreements"]} == {"[erased]"}
    assert [v["text"] for v in state["plan"]["citizen_views"]] == ["[erased]"]
    people = read(db_url, "case", "show", case, actor=HOLDER)
    assert "[erased]" in people.out and MARKER not in people.out
    assert "Citizen: [erased]" in people.out

    for lang in ("en", "da"):
        history = read(db_url, "case", "history", case, "--lang", lang, actor=HOLDER)
        assert history.code == 0
        assert MARKER not in history.out and "[erased]" in history.out
    events = read(db_url, "--json", "case", "history", case, actor=HOLDER).json()
    assert len(events) == version + 1 and MARKER not in json.dumps(events)
    assert events[-1]["type"] == "PersonalDataErased"
    assert read(db_url, "baton", "timeline", case, actor=HOLDER).code == 0
    assert read(db_url, "case", "show", case, "--as-of", datetime.now(UTC).isoformat(),
                actor=HOLDER).code == 0

    def exports() -> dict[str, str]:
        tables = sorted(t for t in raw.tables() if t.startswith("rm_"))
        assert len(tables) >= 10
        # HOLDER takes part in both cases, so their exports hold both.
        out = {t: read(db_url, "export", "--table", t, "--format", "csv", actor=HOLDER).out
               for t in tables}
        out["events"] = read(db_url, "export", "--events", actor=HOLDER).out
        return out

    exported = exports()
    assert not [name for name, text in exported.items() if MARKER in text]
    assert "[erased]" in exported["rm_cases"] and "[erased]" in exported["events"]
    assert OTHER in exported["rm_cases"] and OTHER in exported["events"]

    # The read models, rebuilt from the log, stay erased.
    rebuilt = stafet(db_url, "projections", "rebuild")
    assert rebuilt.code == 0, rebuilt.err
    exported = exports()
    assert not [name for name, text in exported.items() if MARKER in text]
    assert "[erased]" in exported["rm_cases"] and OTHER in exported["rm_goals"]
    assert marker_anywhere(raw, MARKER) == {}

    # The erased case takes no new entries; the other citizen's case is untouched.
    refused = stafet(db_url, "--as", HOLDER, "note", case, "Ny note")
    assert refused.code == 1 and "erased" in refused.err
    theirs = read(db_url, "--json", "case", "show", other, actor=HOLDER).json()
    assert OTHER in theirs["plan"]["summary"] and theirs["version"] == version
    assert raw.query(snapshots.replace("GROUP BY", "WHERE originator_id = ? GROUP BY"),
                     (other_id,))[0][1] == version // SNAPSHOT_INTERVAL
    assert stafet(db_url, "--as", HOLDER, "note", other, f"Ny note om {OTHER}").code == 0
    assert marker_anywhere(raw, OTHER)

    # Who read the erased citizen's case before the erasure is still on record.
    lookups = read(db_url, "--json", "access-log", "--subject", f"borger-{MARKER}",
                   actor=DPO).json()
    assert [e["purpose"] for e in lookups][:1] == ["forberede møde"]
    assert "Access log intact" in audit(db_url, "verify").out


def test_every_case_of_the_citizen_is_erased(example_store: ExampleStore) -> None:
    url = example_store.url
    opened = stafet(url, "--as", HOLDER, "--json", "case", "open", "--subject", FAMILY_REF,
                    "--subject-kind", "family", "--title", f"Lillebror {MARKER}", "--permanent")
    assert opened.code == 0, opened.err
    second = opened.json()["case_id"]

    done = stafet(url, *erase(FAMILY_REF))
    assert done.code == 0, done.err
    assert "in 2 case(s)" in done.out
    assert example_store.family[:8] in done.out and second[:8] in done.out
    for case, reader in ((example_store.family, FAMILY_HOLDER), (second, HOLDER)):
        shown = read(url, "--json", "case", "show", case, actor=reader).json()
        assert shown["plan"]["summary"] in ("[erased]", None)
        assert "Emma" not in json.dumps(shown, ensure_ascii=False)
        listed = read(url, "case", "list", actor=reader).out  # each coordinator's own list
        assert case[:8] in listed
        assert MARKER not in listed and "Emma" not in listed and "[erased]" in listed
    assert marker_anywhere(example_store.raw, MARKER) == {}
    adult = read(url, "--json", "case", "show", example_store.adult, actor=ADULT_HOLDER).json()
    assert adult["plan"]["summary"].startswith("Mads er 39 år")


def test_a_new_case_for_an_erased_citizen_leaves_the_old_case_readable_as_erased(
        example_store: ExampleStore) -> None:
    url = example_store.url
    erased = stafet(url, *erase(FAMILY_REF))
    assert erased.code == 0, erased.err
    opened = stafet(url, "--as", HOLDER, "--json", "case", "open", "--subject", FAMILY_REF,
                    "--subject-kind", "family", "--title", "Nyt forløb for familien", "--permanent")
    assert opened.code == 0, opened.err
    new_case = opened.json()["case_id"]

    assert "Nyt forløb for familien" in read(url, "case", "show", new_case, actor=HOLDER).out
    old = read(url, "case", "show", example_store.family, actor=FAMILY_HOLDER)
    assert old.code == 0, old.err
    assert "[erased]" in old.out and "Emma" not in old.out
    assert read(url, "case", "list", actor=HOLDER).code == 0
    assert read(url, "case", "list", actor=FAMILY_HOLDER).code == 0


def test_erasing_an_unknown_citizen_is_a_clear_error(example_store: ExampleStore) -> None:
    count = len(example_store.raw.events())
    done = stafet(example_store.url, *erase("borger-ukendt"))
    assert done.code == 2
    assert done.err.strip() == "Error: no case in this ledger is about that citizen"
    assert done.out == ""
    assert len(example_store.raw.events()) == count


def test_erase_needs_a_person_and_a_reason(example_store: ExampleStore) -> None:
    count = len(example_store.raw.events())
    nobody = stafet(example_store.url, "erase", "--subject", FAMILY_REF, "--confirm", FAMILY_REF,
                    "--reason", REASON)
    assert nobody.code == 2 and "--as person@org" in nobody.err
    no_reason = stafet(example_store.url, "--as", DPO, "erase", "--subject", FAMILY_REF,
                       "--confirm", FAMILY_REF)
    assert no_reason.code == 2 and "--reason" in no_reason.err
    assert len(example_store.raw.events()) == count
    assert read(example_store.url, "--json", "case", "show", example_store.family,
                actor=FAMILY_HOLDER).json()["plan"]["summary"] != "[erased]"


def test_erase_needs_the_data_protection_officer_and_the_reference_twice(
        example_store: ExampleStore) -> None:
    count = len(example_store.raw.events())
    unconfirmed = stafet(example_store.url, "--as", DPO, "erase", "--subject", FAMILY_REF,
                         "--reason", REASON)
    assert unconfirmed.code == 2 and "--confirm" in unconfirmed.err
    mistyped = stafet(example_store.url, "--as", DPO, "erase", "--subject", FAMILY_REF,
                      "--confirm", "familie-8d21a1", "--reason", REASON)
    assert mistyped.code == 2 and "differ" in mistyped.err
    holder = stafet(example_store.url, "--as", FAMILY_HOLDER, "erase", "--subject", FAMILY_REF,
                    "--confirm", FAMILY_REF, "--reason", REASON)
    assert holder.code == 1
    assert holder.err.startswith("Refused: only the data protection officer may erase")
    assert len(example_store.raw.events()) == count


def test_erasing_twice_changes_nothing_more(example_store: ExampleStore) -> None:
    first = stafet(example_store.url, *erase(FAMILY_REF))
    assert first.code == 0, first.err
    count = len(example_store.raw.events())
    again = stafet(example_store.url, *erase(FAMILY_REF))
    assert again.code == 0, again.err
    assert len(example_store.raw.events()) == count
    assert audit(example_store.url, "verify").code == 0


def test_erasing_the_family_example_leaves_no_trace_of_the_childs_name(
        example_store: ExampleStore) -> None:
    url = example_store.url
    assert "Emma" in read(url, "case", "show", example_store.family, actor=FAMILY_HOLDER).out
    done = stafet(url, *erase(FAMILY_REF))
    assert done.code == 0, done.err
    assert "Emma" not in read(url, "case", "show", example_store.family,
                              actor=FAMILY_HOLDER).out  # the sealed fields

    # "emma" is four letters: the base64 of the sealed fields holds it by chance about once
    # in a hundred stores (10,000 base64 characters, 1 in 10^6 positions), which made this
    # test fail now and then; such a hit is ciphertext, not the child's name.
    assert marker_anywhere(example_store.raw, "emma", outside_ciphertext=True) == {}


def test_the_erase_batch_command_does_not_claim_an_erasure_it_did_not_do(
        example_store: ExampleStore) -> None:
    url, adult = example_store.url, example_store.adult
    count = len(example_store.raw.events())
    line = json.dumps({"command": "erase", "actor": DPO, "case": adult, "reason": REASON})
    done = stafet(url, "apply", "-", stdin=line + "\n")

    shown = read(url, "case", "show", adult, actor=ADULT_HOLDER).out
    assert "Samlet forløb" in shown or "[erased]" in shown  # the case was read
    if done.code == 0:  # then it must really have erased
        assert "borger-3c9e41" not in shown and "[erased]" in shown
    else:  # or it is refused, and nothing is stored
        assert len(example_store.raw.events()) == count


def test_a_name_turning_up_in_ciphertext_by_chance_is_no_plaintext() -> None:
    """Why the family test once found "emma" in stafet_events with the child's name sealed:
    the sealed fields' base64 holds any four given letters now and then."""
    key, case_id = AESGCM.generate_key(bit_length=256), uuid4()
    for _ in range(400_000):
        data = {"text": "Emma trækker sig fra leg"}
        seal(data, ("text",), key, case_id)
        stored = json.dumps(data).encode("utf-8")
        if contains(stored, "emma"):
            break
    else:
        pytest.fail("no box with the letters in 400,000 (expected about one in 15,000)")
    assert not plaintext_in(stored, "emma")
    assert plaintext_in(stored + '"Emma trækker sig"'.encode(), "emma")


def _open_reader(raw: RawStore) -> Any:
    """Another program (sqlite3, psql, a BI tool) in the middle of a read transaction."""
    if raw.backend == "sqlite":
        conn: Any = sqlite3.connect(raw.path, isolation_level=None)
        conn.execute("BEGIN")
    else:
        conn = psycopg.connect(raw.conninfo)
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
    conn.execute(raw._sql("SELECT count(*) FROM {events}") if raw.backend == "sqlite" else
                 f'SELECT count(*) FROM "{raw.schema}".rm_events').fetchone()
    return conn


def test_erase_says_so_when_an_open_reader_keeps_the_plaintext(
        example_store: ExampleStore) -> None:
    url, raw = example_store.url, example_store.raw
    assert read(url, "case", "list", actor=FAMILY_HOLDER).code == 0  # read models up to date
    reader = _open_reader(raw)
    try:
        done = stafet_process(url, *erase(FAMILY_REF), "--wait", "0.5")
        assert done.code == 3, done.out + done.err
        said = done.out.splitlines()
        assert said[0].startswith("Erased the citizen's personal data in 1 case(s)")
        assert said[1] == "NOT SCRUBBED: deleted plaintext remains in the store's files:"
        assert "erase --scrub-only" in said[2]
        assert ("open reader" if raw.backend == "sqlite" else "open transactions") in said[2]
        # The erasure itself is done: every way of reading shows "[erased]".
        shown = read(url, "case", "show", example_store.family, actor=FAMILY_HOLDER)
        assert "Emma" not in shown.out and "[erased]" in shown.out
    finally:
        reader.close()
    again = stafet_process(url, "--as", DPO, "--json", "erase", "--scrub-only")
    assert again.code == 0, again.out + again.err
    report = json.loads(again.out)
    assert report["erased_cases"] == [] and report["scrubbed"] is True
    assert [r["in_store"] for r in report["residues"]].count(True) == 0
    assert marker_anywhere(raw, "emma", outside_ciphertext=True) == {}


def test_scrub_only_erases_nobody_and_needs_the_data_protection_officer(
        example_store: ExampleStore) -> None:
    url = example_store.url
    count = len(example_store.raw.events())
    mixed = stafet(url, "--as", DPO, "erase", "--scrub-only", "--subject", FAMILY_REF)
    assert mixed.code == 2 and "--scrub-only erases nobody" in mixed.err
    holder = stafet(url, "--as", FAMILY_HOLDER, "erase", "--scrub-only")
    assert holder.code == 1 and holder.err.startswith("Refused: only the data protection officer")
    done = stafet(url, "--as", DPO, "erase", "--scrub-only")
    assert done.code == 0, done.err
    assert done.out.startswith("Scrubbed: no deleted plaintext remains in the store's files.")
    assert len(example_store.raw.events()) == count
