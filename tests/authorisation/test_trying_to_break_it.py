"""The reproductions of the authorisation issue, tried as an outsider would, from the command line
and from Python, on SQLite and PostgreSQL: each is now refused or detected.

- a stranger reads a family's plan (case show, history --json);
- anybody erases a citizen; a stranger records PersonalDataErased through ``execute``;
- ``access-log prune --keep-days 0`` with no actor wipes the access log; the access log is read
  with no actor and unlogged;
- ``--purpose "."``; an agreement completed by someone else;
- the access log shortened behind the ledger's back (newest entries, all of them, the oldest
  without a recorded prune, a forged prune anchor).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from stafet import Ledger
from stafet.domain.commands import EraseCase
from stafet.domain.errors import NotAllowed, RuleViolation
from stafet.storage.access import stafet_access_anchor, stafet_access_log
from stafet.storage.checkpoint import CheckpointKey
from tests.cli._support import stafet

ADMIN, DPO, AUDITOR = "it@kommunen", "dpo@kommunen", "revisor@kommunen"
HOLDER, CITIZEN, STRANGER = "anne@jobcenter", "borger@4711", "eva@udenfor"
REF = "borger-4711"
PURPOSE = "opfølgning på forløbet"


@pytest.fixture
def store(db_url: str) -> Iterator[tuple[str, str]]:
    """A ledger with its roles and one case (the holder, the citizen, an agreement)."""
    with Ledger(db_url) as ledger:
        ledger.appoint_first_admin(ADMIN)
        ledger.grant_role(actor=ADMIN, role="dpo", to=DPO)
        ledger.grant_role(actor=ADMIN, role="auditor", to=AUDITOR)
        case = str(ledger.open_case(actor=HOLDER, subject_ref=REF, subject_kind="adult",
                                    title="Familiens plan", temporary=False).case_id)
        ledger.join_case(actor=HOLDER, case_id=case, participant=CITIZEN, kind="citizen")
        ledger.join_case(actor=HOLDER, case_id=case, participant="bo@socialcenter",
                         kind="authority")
        ledger.join_case(actor=HOLDER, case_id=case, participant="carl@misbrugscenter",
                         kind="authority")
        ledger.accept_plan(actor=HOLDER, case_id=case, accepted_by=[{"role": "citizen"}])  # type: ignore[list-item]
        ledger.make_agreement(actor=HOLDER, case_id=case, text="finde en praktikplads",
                              responsible="bo@socialcenter", due_on="2030-01-01")  # type: ignore[arg-type]
        ledger.reader(HOLDER, PURPOSE).case(case)
    yield db_url, case


def _log_size(db: str) -> tuple[int, int]:
    with Ledger(db) as ledger:
        return ledger.store.head(), len(ledger.access_log.entries())


def test_a_stranger_reading_the_plan_is_refused_and_the_refusal_logged(store: tuple[str, str]) -> None:
    db, case = store
    for args in (["case", "show", case], ["--json", "case", "history", case],
                 ["baton", "timeline", case], ["case", "show", case, "--as-of", "2030-01-01T00:00"]):
        refused = stafet(db, *args, actor=STRANGER, purpose="nysgerrighed")
        assert refused.code == 1, refused
        assert refused.err.startswith(f"Refused: {STRANGER} takes no part in this case"), refused
        assert "Familiens plan" not in refused.out + refused.err
    with Ledger(db) as ledger:
        refusals = [e for e in ledger.access_log.entries(REF) if e.outcome == "refused"]
    assert [(e.actor, e.case_id) for e in refusals] == [(STRANGER, case)] * 4


def test_only_the_dpo_erases_from_the_cli_and_from_python(store: tuple[str, str]) -> None:
    db, case = store
    before = _log_size(db)
    for who in (HOLDER, STRANGER, AUDITOR, ADMIN):
        refused = stafet(db, "erase", "--subject", REF, "--confirm", REF, "--reason", "test", actor=who)
        assert refused.code == 1 and "only the data protection officer may erase" in refused.err, refused
    with Ledger(db) as ledger, pytest.raises(NotAllowed):
        ledger.erase_subject(actor=STRANGER, subject_ref=REF, reason="test", confirm=REF)
    with Ledger(db) as ledger:
        # The log would claim an erasure that never happened: refused, by a stranger or the DPO.
        for who in (STRANGER, DPO):
            with pytest.raises(RuleViolation):
                ledger.execute(EraseCase(actor=who, case_id=case, reason="test"))
        assert ledger.store.keys.key_for_case(ledger.resolve_case(case)) is not None
    head, entries = _log_size(db)
    assert head == before[0] and entries == before[1] + 6  # six refusals logged, nothing stored


def test_erase_asks_for_the_reference_twice(store: tuple[str, str]) -> None:
    db, _case = store
    unconfirmed = stafet(db, "erase", "--subject", REF, "--reason", "test", actor=DPO)
    assert unconfirmed.code == 2 and "--confirm" in unconfirmed.err, unconfirmed
    mistyped = stafet(db, "erase", "--subject", REF, "--confirm", "borger-4712", "--reason", "t",
                      actor=DPO)
    assert mistyped.code == 2 and "differ" in mistyped.err, mistyped
    erased = stafet(db, "erase", "--subject", REF, "--confirm", REF, "--reason", "Slettefrist",
                    actor=DPO)
    assert erased.code == 0, erased


def test_the_access_log_is_pruned_by_the_dpo_only_and_the_prune_is_recorded(
        store: tuple[str, str]) -> None:
    db, _case = store
    anonymous = stafet(db, "access-log", "prune", "--keep-days", "0", actor=None)
    assert anonymous.code == 2 and "--as" in anonymous.err, anonymous
    for who in (HOLDER, AUDITOR, ADMIN):
        refused = stafet(db, "access-log", "prune", "--keep-days", "0", actor=who)
        assert refused.code == 1 and "only the data protection officer" in refused.err, refused
    pruned = stafet(db, "--json", "access-log", "prune", "--keep-days", "0", "--reason",
                    "årlig oprydning", actor=DPO)
    assert pruned.json["removed"] > 0
    with Ledger(db) as ledger:
        events = [e for _, e in ledger.store.read_after(0, 1000)]
        prune = [e for e in events if type(e).__name__ == "AccessLogPruned"]
        assert len(prune) == 1 and prune[0].actor == DPO and prune[0].reason == "årlig oprydning"
        assert prune[0].through_seq == pruned.json["through"]
    verified = stafet(db, "verify", actor=AUDITOR)
    assert verified.code == 0 and "Access log intact" in verified.out, verified


def test_reading_the_access_log_needs_a_right_and_is_itself_logged(store: tuple[str, str]) -> None:
    db, _case = store
    assert stafet(db, "access-log", "--subject", REF, actor=None).code == 2
    assert stafet(db, "access-log", "--subject", REF, actor=HOLDER).code == 1  # a professional
    assert stafet(db, "access-log", actor=CITIZEN).code == 1  # the whole log is the DPO's
    own = stafet(db, "--json", "access-log", "--subject", REF, actor=CITIZEN)
    assert own.code == 0 and {e["actor"] for e in own.json} >= {HOLDER}, own
    whole = stafet(db, "--json", "access-log", actor=DPO)
    assert whole.code == 0
    actions = [(e["actor"], e["action"], e["outcome"]) for e in whole.json]
    assert (CITIZEN, "access-log", "read") in actions
    assert (HOLDER, "access-log", "refused") in actions


@pytest.mark.parametrize("purpose", [".", "x", "  ", "!!!", "1234"])
def test_a_purpose_is_words_not_a_dot(store: tuple[str, str], purpose: str) -> None:
    db, case = store
    result = stafet(db, "case", "show", case, actor=HOLDER, purpose=purpose)
    assert result.code == 2 and "purpose" in result.err, result


def test_an_agreement_is_completed_by_its_responsible_or_the_holder_only(
        store: tuple[str, str]) -> None:
    db, case = store
    other = stafet(db, "agreement", "complete", case, "A1", actor="carl@misbrugscenter")
    assert other.code == 1 and "only bo@socialcenter (responsible) or the holder" in other.err, other
    assert stafet(db, "agreement", "complete", case, "A1", actor="bo@socialcenter").code == 0


def _access_rows(db: str) -> tuple[Ledger, sa.Engine]:
    ledger = Ledger(db)
    return ledger, ledger.store.sql


def test_a_shortened_access_log_is_detected(store: tuple[str, str], tmp_path: Path) -> None:
    db, case = store
    for n in range(4):
        stafet(db, "case", "show", case, actor=HOLDER, purpose=f"{PURPOSE} {n}")
    key = tmp_path / "checkpoint-key"  # the ledger's checkpoint key (PostgreSQL has no default)
    CheckpointKey.generate(key)
    digest = stafet(db, "digest", "--checkpoint-key", str(key), actor=AUDITOR)
    assert digest.code == 0, digest
    kept = tmp_path / "digest.txt"
    kept.write_text(digest.out, encoding="utf-8")
    ledger, engine = _access_rows(db)
    t = stafet_access_log
    try:
        with engine.begin() as conn:  # the newest two entries go, behind the ledger's back
            newest = conn.execute(sa.select(sa.func.max(t.c.seq))).scalar_one()
            conn.execute(t.delete().where(t.c.seq > newest - 2))
    finally:
        ledger.close()
    plain = stafet(db, "verify", actor=AUDITOR)
    assert plain.code == 0  # intact as far as it goes: only a digest kept elsewhere knows more
    against = stafet(db, "verify", "--digest", str(kept), "--checkpoint-key", str(key),
                     actor=AUDITOR)
    assert against.code == 1 and "the newest were removed" in against.err, against


@pytest.mark.parametrize("tamper", ["all", "oldest", "forged-anchor", "changed"])
def test_entries_removed_or_changed_without_a_recorded_prune_are_detected(
        store: tuple[str, str], tamper: str) -> None:
    db, case = store
    stafet(db, "case", "show", case, actor=HOLDER)
    stafet(db, "case", "history", case, actor=HOLDER)
    ledger, engine = _access_rows(db)
    t = stafet_access_log
    try:
        with engine.begin() as conn:
            first = conn.execute(sa.select(sa.func.min(t.c.seq))).scalar_one()
            if tamper == "all":
                conn.execute(t.delete())
                # ... and covered up with an anchor, as a prune would leave one
                conn.execute(stafet_access_anchor.insert().values(
                    through_seq=99, head=bytes(32), pruned_at=ledger.clock(), removed=99))
            elif tamper == "oldest":
                conn.execute(t.delete().where(t.c.seq == first))
            elif tamper == "forged-anchor":
                last = conn.execute(sa.select(t.c.seq, t.c.hash).where(t.c.seq == first)).one()
                conn.execute(t.delete().where(t.c.seq <= first))
                conn.execute(stafet_access_anchor.insert().values(
                    through_seq=last.seq, head=bytes(last.hash), pruned_at=ledger.clock(),
                    removed=1))
            else:
                conn.execute(t.update().where(t.c.seq == first).values(purpose="noget andet"))
    finally:
        ledger.close()
    found = stafet(db, "verify", actor=AUDITOR)
    assert found.code == 1 and "ACCESS LOG BROKEN" in found.err, found


def test_numbers_of_pruned_entries_are_never_used_again(store: tuple[str, str]) -> None:
    db, case = store
    assert stafet(db, "access-log", "prune", "--keep-days", "0", actor=DPO).code == 0
    assert stafet(db, "case", "show", case, actor=HOLDER).code == 0
    verified = stafet(db, "verify", actor=AUDITOR)
    assert verified.code == 0, verified
    with Ledger(db) as ledger:
        seqs = [e.seq for e in ledger.access_log.entries()]
        assert min(seqs) > ledger.roles().pruned_through
