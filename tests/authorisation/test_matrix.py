"""docs/authorisation.md's matrix, cell by cell, on SQLite and PostgreSQL.

The table is read from the document, so the document and the behaviour cannot drift apart. For
every act and every kind of reader the act is tried through the same Python API the command
line calls (``ledger.reader(...)`` and the Ledger's administrative acts), and what came back is
judged: ``yes`` (all of it), ``until left`` (the case as it stood at their leaving),
``withheld`` (overview rows without personal content), ``own`` (only their own rows), ``no``
(refused: nothing shown or stored, and a refused entry in the access log; for a list, the case
is simply not among the rows).
"""

from __future__ import annotations

import itertools
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from stafet import Ledger
from stafet.domain.errors import NotAllowed
from stafet.reader import WITHHELD
from stafet.storage.checkpoint import CheckpointKey

DOC = Path(__file__).resolve().parents[2] / "docs" / "authorisation.md"
PURPOSE = "kontrol af adgangsreglerne"
FAR = datetime(2100, 1, 1, tzinfo=UTC)  # every attention flag is due by then

# Who stands in each column of the matrix.
WHO = {
    "participant": "anne@jobcenter",        # the holder
    "citizen's side": "borger@4711",        # takes part as the citizen
    "former participant": "bo@socialcenter",  # joined, then left
    "team leader": "lis@jobcenter",         # leads jobcenter, where anne is; not in the case
    "auditor": "revisor@kommunen",
    "dpo": "dpo@kommunen",
    "admin": "it@kommunen",
    "stranger": "eva@udenfor",
}


def read_matrix() -> dict[tuple[str, str], str]:
    """(act, column) -> cell, from the table under '## The matrix'."""
    text = DOC.read_text(encoding="utf-8").split("## The matrix", 1)[1]
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| "))
    rows = list(itertools.takewhile(lambda line: line.startswith("|"), lines[start:]))
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    cells = {}
    for line in rows[1:]:
        values = [c.strip() for c in line.strip("|").split("|")]
        if set(values[0]) <= {"-"}:
            continue
        for column, value in zip(header[1:], values[1:], strict=True):
            cells[(values[0], column)] = value
    return cells


MATRIX = read_matrix()


@dataclass
class World:
    ledger: Ledger
    case_id: str
    left_at_version: int  # the entry that took the former participant off
    erasable: Iterator[str]  # a fresh citizen for each allowed erasure

    def version(self) -> int:
        return self.ledger.get_case(self.case_id).version

    def refused_entries(self) -> int:
        return sum(1 for e in self.ledger.access_log.entries() if e.outcome == "refused")


def _build(url: str) -> World:
    ledger = Ledger(url)
    ledger.appoint_first_admin("it@kommunen")
    for role, person, org in [("dpo", "dpo@kommunen", None), ("auditor", "revisor@kommunen", None),
                              ("team_leader", "lis@jobcenter", "jobcenter")]:
        ledger.grant_role(actor="it@kommunen", role=role, to=person, org=org)
    anne = WHO["participant"]
    case = str(ledger.open_case(actor=anne, subject_ref="borger-4711", subject_kind="adult",
                                title="Vejen til uddannelse", temporary=False).case_id)
    for who, kind in [("borger@4711", "citizen"), ("bo@socialcenter", "authority"),
                      ("carl@misbrugscenter", "authority")]:
        ledger.join_case(actor=anne, case_id=case, participant=who, kind=kind)
    ledger.give_consent(actor=anne, case_id=case, given_by=[{"role": "citizen"}],  # type: ignore[list-item]
                        purpose="koordinering", recipients=["@socialcenter", "@misbrugscenter"],
                        categories=["beskæftigelse"])
    left = ledger.leave_case(actor="bo@socialcenter", case_id=case, participant="bo@socialcenter")
    ledger.log_note(actor=anne, case_id=case, text="Efter Bos afsked: ny aftale om praktik.")
    ledger.reader(anne, PURPOSE).case(case)  # something in the access log about the citizen

    erasable = [f"borger-slet-{n}" for n in range(len(WHO))]  # one citizen an erasure
    for ref in erasable:
        ledger.open_case(actor=anne, subject_ref=ref, subject_kind="adult", title="Kort forløb")
    return World(ledger, case, left.version, iter(erasable))


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if request.param == "sqlite":
        built = _build(f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'stafet.db'}")
        yield built
        built.ledger.close()
        return
    pg_url: str = request.getfixturevalue("pg_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    built = _build(f"{pg_url}?schema={schema}")
    yield built
    built.ledger.close()
    conninfo = pg_url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# -- each act: what did this reader get? ---------------------------------------------------

Act = Callable[[World, str], str]


def _by_version(w: World, version: int) -> str:
    if version == w.version():
        return "yes"
    assert version == w.left_at_version, f"saw version {version}, neither now nor at leaving"
    return "until left"


def _listed(rows: list[Any], w: World, withheld: Callable[[Any], bool]) -> str:
    mine = [r for r in rows if r.case_id == w.case_id]
    if not mine:
        return "no"
    return "withheld" if all(withheld(r) for r in mine) else "yes"


def _own(case_ids: list[str], w: World, who: str) -> str:
    mine = {str(c) for c in w.ledger.store.case_ids() if w.ledger.get_case(c).active_participant(who)}
    assert set(case_ids) <= mine, "an export handed out rows of another's case"
    return "own" if w.case_id in case_ids else "no"


def _caseload(w: World, who: str) -> str:
    leads = w.ledger.roles().orgs_led_by(who)
    rows = w.ledger.reader(who, PURPOSE).caseload()
    assert all(r.holder == who or r.holder_org in leads for r in rows), rows
    if who == WHO["participant"] or leads:  # anne holds the case: her line is there
        assert any(r.holder == WHO["participant"] for r in rows), rows
    return "own"


def _yes(call: Callable[[], object]) -> str:
    call()
    return "yes"


ACTS: dict[str, Act] = {
    "case show": lambda w, who: _by_version(w, w.ledger.reader(who, PURPOSE).case(w.case_id).version),
    "case show --as-of": lambda w, who: _by_version(
        w, w.ledger.reader(who, PURPOSE).case_as_of(w.case_id, FAR).version),
    "case history": lambda w, who: _by_version(w, len(w.ledger.reader(who, PURPOSE).history(w.case_id))),
    "case history --metadata": lambda w, who: _by_version(
        w, len(w.ledger.reader(who, None).history_metadata(w.case_id))),
    "baton timeline": lambda w, who: _by_version(
        w, w.ledger.reader(who, PURPOSE).timeline(w.case_id).version),
    "consents of the case": lambda w, who: "yes" if w.ledger.reader(who, PURPOSE).consents(
        w.case_id) else "empty",
    "case list": lambda w, who: _listed(w.ledger.reader(who, PURPOSE).case_list(), w,
                                        lambda row: row.title == row.subject_ref == WITHHELD),
    "attention": lambda w, who: _listed(w.ledger.reader(who, PURPOSE).attention(at=FAR).flags, w,
                                        lambda flag: flag.detail == flag.flag.replace("_", " ")),
    "caseload": _caseload,
    "export --table": lambda w, who: _own(
        [r["case_id"] for r in w.ledger.reader(who, PURPOSE).export_table("rm_cases").rows], w, who),
    "export --events": lambda w, who: _own(
        [str(e.event.originator_id) for e in w.ledger.reader(who, PURPOSE).export_events()], w, who),
    "the event feed": lambda w, who: _own(
        [str(e.event.originator_id) for e in w.ledger.reader(who, PURPOSE).feed(0, 10_000).events],
        w, who),
    "access-log --subject": lambda w, who: _yes(
        lambda: w.ledger.reader(who, PURPOSE).access_log("borger-4711")),
    "access-log": lambda w, who: _yes(lambda: w.ledger.reader(who, PURPOSE).access_log()),
    "access-log prune": lambda w, who: _yes(lambda: w.ledger.prune_access_log(
        actor=who, reason="test af reglerne", keep_days=36_500)),
    "erase": lambda w, who: _erase(w, who),
    "verify": lambda w, who: "yes" if w.ledger.verify(actor=who).ok else "broken",
    "digest": lambda w, who: "yes" if w.ledger.digest(actor=who)[1] else "broken",
    "checkpoint --publish": lambda w, who: _checkpoint(w, who),
    "roles list": lambda w, who: _yes(lambda: w.ledger.list_roles(actor=who)),
    "roles grant": lambda w, who: _yes(lambda: w.ledger.grant_role(
        actor=who, role="auditor", to=f"revisor-{uuid.uuid4().hex[:8]}@kommunen")),
    "note (a write)": lambda w, who: _yes(lambda: w.ledger.log_note(
        actor=who, case_id=w.case_id, text="En note skrevet i testen af reglerne.")),
}


def _checkpoint(w: World, who: str) -> str:
    """A signed checkpoint kept in a folder (the key and the folder made for the test)."""
    folder = Path(tempfile.mkdtemp(prefix="stafet-matrix-"))
    try:
        key = folder / "checkpoint-key"
        CheckpointKey.generate(key)
        published = w.ledger.checkpoint(actor=who, publish=folder / "series", key_file=key)
        kept = published.path is not None and published.path.exists()
        return "yes" if published.checkpoint and kept else "broken"
    finally:
        shutil.rmtree(folder)


def _erase(w: World, who: str) -> str:
    ref = next(w.erasable)
    try:
        w.ledger.erase_subject(actor=who, subject_ref=ref, reason="test af reglerne", confirm=ref)
    except NotAllowed:
        cases = w.ledger.store.keys.cases_of(ref)
        assert all(w.ledger.store.keys.key_for_case(c) is not None for c in cases), \
            "a refused erasure deleted the key"
        raise
    return "yes"


LIST_ACTS = {"case list", "attention", "export --table", "export --events", "the event feed"}


def test_the_matrix_covers_every_act_and_reader() -> None:
    acts = {act for act, _ in MATRIX}
    assert acts == set(ACTS), acts ^ set(ACTS)
    assert {column for _, column in MATRIX} == set(WHO)
    for act in acts:  # every act is both allowed to someone and refused to someone
        seen = {MATRIX[(act, column)] for column in WHO}
        assert act == "caseload" or ("no" in seen and len(seen) > 1), (act, seen)


@pytest.mark.parametrize(("act", "column"), sorted(MATRIX), ids=[f"{a} | {c}" for a, c in sorted(MATRIX)])
def test_each_cell(world: World, act: str, column: str) -> None:
    expected, who = MATRIX[(act, column)], WHO[column]
    head, refused_before = world.ledger.store.head(), world.refused_entries()
    version = world.version()
    try:
        got = ACTS[act](world, who)
    except NotAllowed as refusal:
        got = "no"
        assert act not in LIST_ACTS, f"a list refused instead of leaving the case out: {refusal}"
        assert re.fullmatch(r"[^\n]+", refusal.message) and ". " not in refusal.message
        assert world.ledger.store.head() == head, "a refused act stored something"
        assert world.version() == version
        assert world.refused_entries() == refused_before + 1, "the refusal was not access-logged"
    assert got == expected, f"{act} by the {column} ({who}): got {got!r}, the matrix says {expected!r}"
