"""Fuzzing ``stafet apply FILE.jsonl`` (SPEC §10, §11): bad input is refused with one clear
sentence and nothing stored; odd but valid input is data.

* Random batches (hypothesis): plausible commands for every command name, mutated (a field
  dropped, a value replaced by random JSON, an unknown field, an unknown command), random JSON
  values, huge numbers, nested junk, non-JSON lines, blank and comment lines; applied with and
  without ``--atomic``. Never a crash (exit 0/1/2, no traceback); ``verify`` clean after
  every batch; with ``--atomic`` all or nothing; without it, exactly the lines before the
  refused one are stored (checked by applying just those lines to a copy taken before);
  the read models stay current; at the end they equal a rebuild.
* Odd text in every free-text field of every command: Danish letters, emoji, right-to-left
  text, CPR-number-looking strings, 150 000 and 1 000 000 characters, NUL: each is stored
  and read back exactly (``case history --json``, ``case show --json``) or refused with one
  clear message naming the field, and never slowly.
* NUL in identifiers (participant refs, subject_ref, command_id, actor), on both backends.
* Deliberate cases: a batch that is not UTF-8 (also on stdin through the real console
  script), an atomic batch refused at its last line, the internal ``erase`` command, deeply
  nested JSON, and dates at the very ends of the calendar (refused: a case's dates lie
  between the years 1900 and 2999).

Dates in the random batches lie between 1900 and 2200.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from stafet import Ledger
from stafet.domain.commands import COMMANDS
from stafet.domain.errors import InvalidCommand
from tests.faults.processes import assert_read_models_equal_a_rebuild
from tests.fuzz.conftest import Store
from tests.fuzz.harness import (
    ADDICTION,
    AUDITOR,
    CITIZEN,
    HOLDER,
    READER,
    SOCIAL,
    VOLUNTEER,
    Outcome,
    assert_no_crash,
    began,
    later,
    log_state,
    rich_case,
    run,
    soon,
    stafet_in_process,
    stafet_subprocess,
    with_roles,
)

# Tier (tests/README.md): hypothesis fuzzing of apply, some through the console script.
pytestmark = [pytest.mark.fuzz]

FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])

# -- random batches ---------------------------------------------------------------------------

CASE = "<CASE>"  # stands for the store's rich case, filled in when the batch is written
CASE_PREFIX = "<CASE6>"
ODD = [
    "", " ", "æøå ÆØÅ", "Søren Kierkegaard-Ørsted", "🙂👩‍👩‍👧‍👦🇩🇰", "مرحبا", "שלום", "\u202eevil\u202c",
    "\x00", "a\x00b", "\ud800", "x\udfffy", "0101901234", "010190-1234", "$k", "$nolabel",
    "G1", "E1", "A1", "A2", "M1", "M2", "C1", "SP1", "ZZ999999", "g1", "1e999", "NaN", "null",
    "2026-02-30", "tomorrow", "2026-05-01T25:61", "anne@jobcenter", "x@y", "@ppr", "a@b@c",
    "borger-4711", "\t\n\r", "\u2028\u2029\x85", "e\u0301", "ﬁ", "‮", " padded ",
]
GOOD = ["Mødet gik godt", "Æblegrød på Ærø", "Jeg vil gerne være tømrer 🙂", "مرحبا بالعالم",
        "שלום עולם", "CPR 010190-1234 nævnes", "Tværfaglig drøftelse", "Status", "x"]
SAFE_CHARS = st.characters(blacklist_categories=("Cs",))
good_texts = st.one_of(st.sampled_from(GOOD), st.text(SAFE_CHARS, min_size=1, max_size=40).filter(
    lambda t: t.strip() != "" and "\x00" not in t))
junk_texts = st.one_of(st.sampled_from(ODD), st.text(SAFE_CHARS, max_size=40))
leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(-(10**40), 10**40),
    st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1]),
    st.floats(allow_nan=True, allow_infinity=True), junk_texts,
)
json_values = st.recursive(
    leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(junk_texts, inner, max_size=4),
    max_leaves=12,
)
PEOPLE = [HOLDER, SOCIAL, ADDICTION, VOLUNTEER, CITIZEN]
good_refs = st.sampled_from([HOLDER, HOLDER, SOCIAL, SOCIAL, ADDICTION, VOLUNTEER, CITIZEN,
                             "ny.person@kommunen"])
junk_refs = st.sampled_from(["x@y", "ANNE@JOBCENTER", "noat", "a@b@c", "@ppr", " bo@socialcenter ",
                             "æøå@ørsted", "nul\x00@org", ""])
good_ids = st.sampled_from(["G1", "G2", "E1", "E2", "A1", "A2", "A3", "M1", "M2", "M3", "C1",
                            "C2", "SP1", "g1"])
junk_ids = st.sampled_from(["Z9", "", "A1234567", "G-1", "1", "ÆØ1"])
good_dates = st.one_of(st.dates(date.today(), date(2200, 12, 31)).map(date.isoformat),
                       st.sampled_from([soon(), soon(60)]))
junk_dates = st.one_of(st.dates(date(1900, 1, 1), date(2200, 12, 31)).map(date.isoformat),
                       st.sampled_from(["2026-02-30", "", "igår", "01-02-2026"]))
good_moments = st.one_of(
    st.datetimes(datetime(2000, 1, 1), datetime(2200, 12, 31)).map(datetime.isoformat),
    st.sampled_from([later(), later(3), "2026-03-02T09:15:00+01:00"]))
junk_moments = st.one_of(
    st.datetimes(datetime(1900, 1, 1), datetime(2200, 12, 31)).map(datetime.isoformat),
    st.sampled_from(["not a time", "2026-05-01T25:61", "", "1e9"]))
recipients = st.sampled_from(["@socialcenter", "@misbrugscenter", SOCIAL, "@ppr", "ppr", "x y"])
roles = st.sampled_from(["citizen", "citizen", "custody_holder", "guardian",
                         "lasting_power_of_attorney", "youth", "mother"])
ages = st.one_of(st.integers(-3, 20), st.sampled_from([10**30]))


@dataclass(frozen=True)
class Words:
    """The values a family of commands is made of."""

    text: st.SearchStrategy[str]
    ref: st.SearchStrategy[str]
    date: st.SearchStrategy[str]
    moment: st.SearchStrategy[str]
    odd: bool

    def id(self, kind: str) -> st.SearchStrategy[str]:
        """An id of this kind (G goal, E effort, A agreement, M meeting, C consent, SP sector
        plan): one that exists in the rich case or soon may; any id, or junk, when odd."""
        own = st.sampled_from([f"{kind}{n}" for n in (1, 1, 2, 3)] + [f"{kind.lower()}1"])
        return st.one_of(own, good_ids, junk_ids) if self.odd else own


PLAIN = Words(good_texts, good_refs, good_dates, good_moments, odd=False)
ODDLY = Words(st.one_of(good_texts, junk_texts), st.one_of(good_refs, junk_refs),
              st.one_of(good_dates, junk_dates), st.one_of(good_moments, junk_moments), odd=True)


def plausible(name: str, w: Words) -> st.SearchStrategy[dict[str, Any]]:
    """The fields of a command called ``name``, made of ``w``."""
    def fields(required: dict[str, Any], **optional: Any) -> st.SearchStrategy[dict[str, Any]]:
        return st.fixed_dictionaries(required, optional=optional)

    givers = st.lists(st.fixed_dictionaries({"role": roles}, optional={"name": w.text}),
                      min_size=1, max_size=2)
    lists = {"max_size": 3, "min_size": 1}
    table: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
        "case.open": lambda: fields(
            {"subject_ref": st.sampled_from(["borger-1", "borger-4711", "0101901234", "ab", "b c",
                                             "familie-8d21", "æøå-🙂"]),
             "subject_kind": st.sampled_from(["adult", "adult", "child", "family", "alien"]),
             "title": w.text},
            temporary=st.booleans(), holder_kind=st.sampled_from(["authority", "provider"]),
            holder_title=w.text, holder_name=w.text, **{"as": st.sampled_from(["k", "other"])}),
        "case.join": lambda: fields({"participant": w.ref, "kind": st.sampled_from(
            ["authority", "provider", "volunteer", "citizen", "relative", "advocate",
             "interpreter"])}, title=w.text, participant_name=w.text),
        "case.leave": lambda: fields({"participant": w.ref}, reason=w.text),
        "case.close": lambda: fields({"further_course": w.text, "follow_up_by": w.ref},
                                     continuing_sector_plans=st.lists(w.id("SP"), max_size=2)),
        "case.reopen": lambda: fields({"reason": w.text}),
        "phase": lambda: fields({"phase": st.one_of(st.integers(1, 3), st.integers(-2, 5),
                                                    st.just(10**30))}, reason=w.text),
        "baton.hand": lambda: fields({"to": w.ref}, note=w.text),
        "baton.grab": lambda: fields({}),
        "baton.release": lambda: fields({}),
        "baton.decline": lambda: fields({}, reason=w.text),
        "baton.withdraw": lambda: fields({}, reason=w.text),
        "consent.give": lambda: fields(
            {"given_by": givers, "purpose": st.one_of(st.just("koordinering"), w.text),
             "recipients": st.lists(recipients, **lists),
             "categories": st.lists(st.one_of(st.just("helbred"), w.text), **lists)},
            expires_on=w.date, subject_age=ages),
        "consent.revoke": lambda: fields({"consent_id": w.id("C")}, reason=w.text,
                                         revoked_by=st.sampled_from(
                                             [{"role": "citizen"}, {"role": "custody_holder",
                                                                    "name": "Bo"}])),
        "share": lambda: fields({"recipient": w.ref, "purpose": st.one_of(
            st.just("koordinering"), w.text), "categories": st.lists(st.one_of(
                st.just("helbred"), w.text), **lists), "description": w.text}),
        "plan.accept": lambda: fields({"accepted_by": givers}, subject_age=ages, note=w.text),
        "plan.summary": lambda: fields({"text": w.text}),
        "goal.set": lambda: fields({"level": st.sampled_from(["overall", "sub", "progression"]),
                                    "text": w.text}, parent_id=w.id("G"), target_date=w.date),
        "goal.revise": lambda: fields({"goal_id": w.id("G"), "text": w.text, "reason": w.text}),
        "goal.status": lambda: fields({"goal_id": w.id("G"), "status": st.sampled_from(
            ["open", "in_progress", "achieved", "partly_achieved", "not_achieved", "dropped"])},
            note=w.text),
        "effort.plan": lambda: fields({"title": w.text, "law": w.text, "paragraph": w.text,
                                       "provider": w.ref}, starts_on=w.date, ends_on=w.date,
                                      goal_ids=st.lists(w.id("G"), max_size=2)),
        "effort.status": lambda: fields({"effort_id": w.id("E"), "status": st.sampled_from(
            ["planned", "started", "paused", "completed", "stopped"])}, note=w.text),
        "agreement.make": lambda: fields({"text": w.text, "responsible": w.ref,
                                          "due_on": w.date}, goal_id=w.id("G"), replaces=w.id("A")),
        "agreement.complete": lambda: fields({"agreement_id": w.id("A")}, note=w.text),
        "agreement.cancel": lambda: fields({"agreement_id": w.id("A"), "reason": w.text}),
        "agreement.reopen": lambda: fields({"agreement_id": w.id("A"), "reason": w.text}),
        "baton.confirm": lambda: fields({}, note=w.text),
        "case.birth-month": lambda: fields({"birth_month": st.one_of(
            st.sampled_from(["2010-05", "5.2010", "2010-13", "1899-01"]), w.text)}),
        "meeting.reschedule": lambda: fields({"meeting_id": w.id("M"), "starts_at": w.moment},
                                             place=w.text, reason=w.text),
        "meeting.not-held": lambda: fields({"meeting_id": w.id("M"), "reason": w.text}),
        "view": lambda: fields({"text": w.text}, given_by=roles, goal_id=w.id("G")),
        "sectorplan.link": lambda: fields({"kind": w.text, "owner": w.ref, "system": w.text,
                                           "reference": w.text}),
        "meeting.convene": lambda: fields(
            {"starts_at": w.moment, "place": w.text, "invited": st.lists(w.ref, **lists),
             "agenda": st.lists(w.text, **lists)},
            place_agreed_with_citizen=st.booleans(), kind=st.sampled_from(
                ["coordinating", "follow_up"]), interpreter_language=w.text,
            advocate_needed=st.booleans()),
        "meeting.agenda": lambda: fields({"meeting_id": w.id("M"), "agenda": st.lists(w.text, **lists)}),
        "meeting.hold": lambda: fields(
            {"meeting_id": w.id("M"), "attendees": st.lists(w.ref, **lists), "minutes": w.text},
            decisions=st.lists(w.text, max_size=2), agreements=st.lists(st.fixed_dictionaries(
                {"text": w.text, "responsible": w.ref, "due_on": w.date}), max_size=2)),
        "meeting.cancel": lambda: fields({"meeting_id": w.id("M"), "reason": w.text}),
        "meeting.minutes-sent": lambda: fields({"meeting_id": w.id("M")},
                                               recipients=st.lists(w.ref, max_size=2)),
        "note": lambda: fields({"text": w.text}),
        "correct": lambda: fields({"position": st.one_of(st.integers(1, 40), st.integers(-1, 60),
                                                         st.just(10**30)),
                                   "correction": w.text, "reason": w.text}),
    }
    return table[name]()


# "erase" is the ledger's own step of `stafet erase --subject`; that a batch may send it at
# all is a bug with its own test (it would freeze the shared case for the rest of the run).
BATCH_COMMANDS = sorted(set(COMMANDS) - {"erase"})
FAMILIES = {(name, plain): plausible(name, PLAIN if plain else ODDLY)
            for name in BATCH_COMMANDS for plain in (True, False)}


def test_the_random_batches_cover_every_command() -> None:
    assert sorted({name for name, _ in FAMILIES}) == BATCH_COMMANDS


common = st.fixed_dictionaries({}, optional={
    "actor_role": good_texts, "occurred_at": good_moments,
    "command_id": st.sampled_from(["c-1", "c-2", "c-3", "ø-4", "c 4", "", "c" * 129]),
})


# Commands that add to a case mostly succeed; the others mostly meet a rule. Both kinds.
ADDING = ["case.open", "case.join", "plan.summary", "goal.set", "effort.plan", "agreement.make",
          "view", "sectorplan.link", "meeting.convene", "consent.give", "note", "correct"]
WEIGHTED = BATCH_COMMANDS + ADDING * 3


@st.composite
def commands(draw: st.DrawFn, plain: bool) -> dict[str, Any]:
    name = draw(st.sampled_from(WEIGHTED))
    item: dict[str, Any] = {"command": name, **draw(FAMILIES[name, plain])}
    if draw(st.integers(0, 5)) == 0:
        item.update(draw(common))
    if name != "case.open":
        item["case"] = CASE if plain else draw(st.sampled_from(
            [CASE] * 6 + [CASE_PREFIX, "$k", "$nolabel", "ffffff", "not a case", 12345, None]))
    item["actor"] = draw(st.sampled_from([HOLDER] * 4 + PEOPLE) if plain else junk_refs)
    if plain:
        return item
    keys = sorted(item)
    mutation = draw(st.sampled_from(["drop", "replace", "extra", "rename"]))
    if mutation == "drop":
        item.pop(draw(st.sampled_from(keys)))
    elif mutation == "replace":
        item[draw(st.sampled_from(keys))] = draw(json_values)
    elif mutation == "extra":
        item[draw(junk_texts)] = draw(json_values)
    else:
        item["command"] = draw(st.sampled_from(["Note", "note ", "baton.HAND", "baton", "",
                                                "case.delete", "apply", "erase.all"]))
    return item


def _dump(obj: Any, ascii_only: bool) -> str:
    try:
        return json.dumps(obj, ensure_ascii=ascii_only)
    except (ValueError, RecursionError):
        return "{}"


@st.composite
def lines(draw: st.DrawFn) -> str:
    """Mostly plausible commands (each may still be refused by a rule), sometimes a broken one,
    random JSON, text, or a blank or comment line."""
    kind = draw(st.sampled_from(["plain"] * 12 + ["odd"] * 3 + ["json", "text", "blank",
                                                                 "comment"]))
    if kind in ("plain", "odd"):
        line = _dump(draw(commands(kind == "plain")), draw(st.booleans()))
    elif kind == "json":
        line = _dump(draw(json_values), draw(st.booleans()))
    elif kind == "text":
        line = draw(st.text(SAFE_CHARS, max_size=60))
    elif kind == "blank":
        line = draw(st.sampled_from(["", "   ", "\t"]))
    else:
        line = "# " + draw(st.text(SAFE_CHARS, max_size=30))
    # One line each (a lone \r also ends a line when the file is read).
    line = re.sub(r"[\r\n]", " ", line)
    try:  # a line that cannot be UTF-8 (an unpaired surrogate in raw text) goes as JSON
        line.encode("utf-8")
    except UnicodeEncodeError:
        line = json.dumps(line)
    return line


def _write(path: Path, batch: list[str], store: Store) -> list[str]:
    case = str(store.case_id)
    out = [line.replace(CASE_PREFIX, case[:6]).replace(CASE, case) for line in batch]
    path.write_text("".join(line + "\n" for line in out), encoding="utf-8")
    return out


def _copy(url_path: Path, to: Path) -> None:
    source, target = sqlite3.connect(url_path), sqlite3.connect(to)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


REFUSED_AT = re.compile(r"^(?:Error|Refused): line (\d+): ", re.MULTILINE)


def _apply(url: str, path: Path, atomic: bool) -> Outcome:
    return stafet_in_process(["--db", url, "--json", "apply", *(["--atomic"] if atomic else []),
                              str(path)])


@FUZZ
@given(batch=st.lists(lines(), min_size=1, max_size=6), atomic=st.booleans())
@example(batch=['{"command": "note", "case": "<CASE>", "text": "først"}',
                '{"command": "note", "case": "<CASE>", "text": 12}'], atomic=True)
@example(batch=['{"command": "note", "case": "<CASE>", "text": "først"}',
                '{"command": "baton.release", "case": "<CASE>"}'], atomic=False)
@example(batch=['{"command": "case.open", "as": "k", "subject_ref": "borger-9", '
                '"subject_kind": "adult", "title": "Ny"}',
                '{"command": "meeting.hold", "case": "$k", "meeting_id": "M1", "attendees": '
                '["anne@jobcenter"], "minutes": "x", "agreements": [{"text": "y", '
                '"responsible": "anne@jobcenter", "due_on": "2999-01-01"}]}'], atomic=True)
def test_random_batches_never_crash_corrupt_or_store_half(
    sqlite_store: Store, batch: list[str], atomic: bool,
) -> None:
    store = sqlite_store
    path = store.workdir / "batch.jsonl"
    written = _write(path, batch, store)
    database = Path(store.url.removeprefix("sqlite:///"))
    before_copy = store.workdir / "before.db"
    _copy(database, before_copy)
    count, _ = log_state(store.ledger)

    outcome = _apply(store.url, path, atomic)

    assert_no_crash(outcome)
    after, _ = log_state(store.ledger)
    if outcome.code == 0:
        assert after - count == json.loads(outcome.stdout)["events"], str(outcome)
    else:
        refused = REFUSED_AT.search(outcome.stderr)
        assert refused, f"a refused batch must say which line: {outcome}"
        line_no = int(refused.group(1))
        if atomic or line_no == 1:
            assert after == count, f"refused, yet {after - count} events were stored: {outcome}"
        else:  # exactly what the lines before the refused one store, and not one event more
            path.write_text("".join(line + "\n" for line in written[:line_no - 1]),
                            encoding="utf-8")
            again = _apply(f"sqlite:///{before_copy}", path, atomic=True)
            assert again.code == 0, f"lines 1..{line_no - 1} alone: {again}\nfirst: {outcome}"
            assert after - count == json.loads(again.stdout)["events"], (str(outcome), str(again))
    lagging = [s for s in store.ledger.read_models.status() if s.lag]
    assert not lagging, f"read models not brought up to date after {outcome}: {lagging}"


def test_zz_after_the_random_batches_the_read_models_equal_a_rebuild(sqlite_store: Store) -> None:
    log_state(sqlite_store.ledger)
    assert assert_read_models_equal_a_rebuild(sqlite_store.ledger) > 0


# -- a smaller run on PostgreSQL ----------------------------------------------------------------


@pytest.mark.postgres
@settings(FUZZ, max_examples=25)
@given(batch=st.lists(lines(), min_size=1, max_size=4), atomic=st.booleans())
def test_random_batches_on_postgresql_never_crash_or_store_half(
    pg_store: Store, batch: list[str], atomic: bool,
) -> None:
    # NUL in an identifier is accepted and then breaks PostgreSQL's read models: a known bug
    # with its own tests (test_nul_in_an_identifier_...), kept out of this run.
    assume(not any("\x00" in line or "\\u0000" in line for line in batch))
    path = pg_store.workdir / "batch.jsonl"
    _write(path, batch, pg_store)
    count, _ = log_state(pg_store.ledger)
    outcome = _apply(pg_store.url, path, atomic)
    assert_no_crash(outcome)
    after, _ = log_state(pg_store.ledger)
    if outcome.code == 0:
        assert after - count == json.loads(outcome.stdout)["events"], str(outcome)
    else:
        assert REFUSED_AT.search(outcome.stderr), f"a refused batch must say which line: {outcome}"
        if atomic:
            assert after == count, str(outcome)


@pytest.mark.postgres
def test_zz_after_the_postgresql_batches_the_read_models_equal_a_rebuild(pg_store: Store) -> None:
    log_state(pg_store.ledger)
    assert assert_read_models_equal_a_rebuild(pg_store.ledger) > 0


@pytest.fixture(scope="module")
def pg_store(pg_url: str, module_workdir: Path) -> Any:
    import uuid

    import psycopg
    from psycopg import sql

    schema = f"t_fuzz_{uuid.uuid4().hex[:10]}"
    url = f"{pg_url}?schema={schema}"
    try:
        with Ledger(url) as ledger:
            yield Store(url, ledger, rich_case(ledger), module_workdir)
    finally:
        conninfo = pg_url.replace("postgresql+psycopg://", "postgresql://").split("?")[0]
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


# -- deliberate: what a batch must refuse cleanly ---------------------------------------------------


def _fresh_case(url: str) -> UUID:
    with Ledger(url) as ledger:
        return rich_case(ledger)


def _count(url: str) -> int:
    with Ledger(url) as ledger:
        return log_state(ledger)[0]


@settings(FUZZ, max_examples=10)
@given(bad=st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80",
                            b"\xc0\xaf", b"\x80"]), before=st.booleans())
@example(bad=b"\xff", before=False)
def test_a_batch_that_is_not_utf8_is_refused_with_one_line(sqlite_store: Store, bad: bytes,
                                                           before: bool) -> None:
    good = b'{"command": "note", "case": "%s", "text": "f\xc3\xb8r"}\n' % str(
        sqlite_store.case_id).encode()
    body = b'{"command": "note", "case": "%s", "text": "' % str(sqlite_store.case_id).encode()
    path = sqlite_store.workdir / "bad.jsonl"
    path.write_bytes((good if before else b"") + body + bad + b'"}\n')
    count, _ = log_state(sqlite_store.ledger)
    for atomic in (True, False):
        outcome = _apply(sqlite_store.url, path, atomic)
        assert_no_crash(outcome)
        assert outcome.code == 2 and f"line {2 if before else 1}" in outcome.stderr, str(outcome)
        assert log_state(sqlite_store.ledger)[0] == count


def test_batches_on_stdin_through_the_real_console_script(workdir: Path) -> None:
    """`cat batch.jsonl | stafet apply -`, as a user runs it: UTF-8 with a byte-order mark and
    odd text is stored; bytes that are not UTF-8 are refused in one line; nothing half.

    Only `stafet` processes touch the store once the case is made: a Ledger kept open in this
    process beside them is blinded by a known bug (tests/faults/test_sqlite_sharing.py)."""
    url = f"sqlite:///{workdir / 'stafet.db'}"
    with Ledger(url) as ledger:
        with_roles(ledger)  # an auditor verifies the log
        case = str(rich_case(ledger))

    def count() -> int:
        done = stafet_subprocess(["--db", url, "--as", AUDITOR, "--json", "verify"])
        assert done.code == 0, str(done)
        return int(json.loads(done.stdout)["count"])

    text = "Æblegrød 👨‍👩‍👧‍👦 مرحبا שלום 010190-1234"
    good = json.dumps({"command": "note", "case": case, "actor": HOLDER, "text": text},
                      ensure_ascii=False).encode("utf-8") + b"\n"
    before = count()
    stored = stafet_subprocess(["--db", url, "--json", "apply", "-"], stdin=b"\xef\xbb\xbf" + good)
    assert stored.code == 0, str(stored)
    history = stafet_subprocess(["--db", url, *READER, "--json", "case", "history", case])
    assert json.loads(history.stdout)[-1]["data"]["text"] == text
    for bad in (good + b'{"command": "note", "text": "\xe6\xf8\xe5"}\n', b"\xff\n" + good):
        refused = stafet_subprocess(["--db", url, "apply", "--atomic", "-"], stdin=bad)
        assert_no_crash(refused)
        assert refused.code == 2 and "not UTF-8" in refused.stderr, str(refused)
    assert count() == before + 1


@pytest.mark.parametrize("where", ["line", "field"])
def test_deeply_nested_json_is_refused_with_one_line(sqlite_store: Store, where: str) -> None:
    nested = "[" * 5000 + "]" * 5000
    line = nested if where == "line" else (
        f'{{"command": "note", "case": "{sqlite_store.case_id}", "text": {nested}}}')
    path = sqlite_store.workdir / "nested.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    count, _ = log_state(sqlite_store.ledger)
    # As a user runs it, in a process of its own: in-process, the interpreter's clean-up of
    # the refused parse's deep frames can reach pytest's unraisable-exception hook, which then
    # overflows the stack itself (seen under load on two workers), not stafet.
    outcome = stafet_subprocess(["--db", sqlite_store.url, "--json", "apply", "--atomic",
                                 str(path)])
    assert_no_crash(outcome)
    assert outcome.code == 2
    assert log_state(sqlite_store.ledger)[0] == count


def test_an_atomic_batch_refused_at_its_last_line_stores_nothing(sqlite_store: Store) -> None:
    case = str(sqlite_store.case_id)
    path = sqlite_store.workdir / "atomic.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in [
        {"command": "case.open", "as": "k", "actor": HOLDER, "subject_ref": "borger-5",
         "subject_kind": "adult", "title": "Nyt forløb"},
        {"command": "note", "case": "$k", "actor": HOLDER, "text": "Første notat – æøå"},
        {"command": "note", "case": case, "actor": HOLDER, "text": "I den anden sag"},
        {"command": "baton.release", "case": "$k", "actor": HOLDER},
    ]), encoding="utf-8")
    count, head = log_state(sqlite_store.ledger)
    outcome = _apply(sqlite_store.url, path, atomic=True)
    assert outcome.code == 1 and outcome.stderr.startswith("Refused: line 4: "), str(outcome)
    assert log_state(sqlite_store.ledger) == (count, head)
    assert_no_crash(outcome)


def test_a_batch_cannot_send_the_internal_erase_command(sqlite_store: Store) -> None:
    """Erasure is one act with the key's deletion (`stafet erase --subject`); a batch line
    "erase" from anyone would otherwise record an erasure and freeze the case, with the
    personal data still readable."""
    path = sqlite_store.workdir / "erase.jsonl"
    with Ledger(sqlite_store.url) as ledger:
        case_id = ledger.open_case(actor=HOLDER, subject_ref="borger-31", subject_kind="adult",
                                   title="Hemmelig titel", temporary=False).case_id
    path.write_text(json.dumps({"command": "erase", "case": str(case_id), "actor": "x@y",
                                "reason": "fordi"}) + "\n", encoding="utf-8")
    count, _ = log_state(sqlite_store.ledger)
    outcome = _apply(sqlite_store.url, path, atomic=False)
    assert_no_crash(outcome)
    assert outcome.code == 2, "an outsider erased a case through apply"
    assert "unknown command 'erase'" in outcome.stderr
    assert log_state(sqlite_store.ledger)[0] == count


# Extreme dates: each stored (and readable everywhere, read models included) or refused.
MEETING = {"place": "x", "invited": [SOCIAL], "agenda": ["a"]}
CONSENT = {"given_by": [{"role": "citizen"}], "purpose": "p", "recipients": ["@x"],
           "categories": ["c"]}
EFFORT = {"title": "x", "law": "SEL", "paragraph": "§ 1", "provider": ADDICTION}
EXTREME = [
    pytest.param("note", {"text": "x", "occurred_at": "0001-01-01T00:00"}, "occurred_at",
                 id="occurred_at-0001-01-01T00:00"),
    pytest.param("meeting.convene", {"starts_at": "0001-01-01T00:30", **MEETING}, "starts_at",
                 id="meeting-0001-01-01T00:30"),
    pytest.param("note", {"text": "x", "occurred_at": "9999-12-31T23:59:59+00:00"},
                 "occurred_at", id="occurred_at-9999-12-31T23:59:59Z"),
    pytest.param("meeting.convene", {"starts_at": "9999-12-31T23:30:00+00:00", **MEETING},
                 "starts_at", id="meeting-9999-12-31T23:30Z"),
    pytest.param("agreement.make", {"text": "x", "responsible": SOCIAL, "due_on": "9999-12-31"},
                 "due_on", id="agreement-due-9999-12-31"),
    pytest.param("consent.give", {**CONSENT, "expires_on": "9999-12-31"}, "expires_on",
                 id="consent-expires-9999-12-31"),
    pytest.param("note", {"text": "x", "occurred_at": "0001-01-01T01:00:00+00:00"}, "occurred_at",
                 id="occurred_at-0001-01-01T01:00Z"),
    pytest.param("note", {"text": "x", "occurred_at": "9999-12-31T23:59"}, "occurred_at",
                 id="occurred_at-9999-12-31T23:59-copenhagen"),
    pytest.param("meeting.convene", {"starts_at": "0001-01-02T00:00", **MEETING}, "starts_at",
                 id="meeting-0001-01-02"),
    pytest.param("agreement.make", {"text": "x", "responsible": SOCIAL, "due_on": "9999-12-30"},
                 "due_on", id="agreement-due-9999-12-30"),
    pytest.param("consent.give", {**CONSENT, "expires_on": "9999-12-30"}, "expires_on",
                 id="consent-expires-9999-12-30"),
    pytest.param("goal.set", {"level": "overall", "text": "x", "target_date": "9999-12-31"},
                 "target_date", id="goal-target-9999-12-31"),
    pytest.param("goal.set", {"level": "overall", "text": "x", "target_date": "0001-01-01"},
                 "target_date", id="goal-target-0001-01-01"),
    pytest.param("effort.plan", {**EFFORT, "starts_on": "0001-01-01", "ends_on": "9999-12-31"},
                 "starts_on", id="effort-0001-01-01-to-9999-12-31"),
]
READS = [["--json", "case", "show", "{case}"], ["case", "show", "{case}"],
         ["--json", "case", "history", "{case}"], ["case", "history", "{case}"],
         ["case", "history", "{case}", "--lang", "da"], ["baton", "timeline", "{case}"],
         ["attention"], ["case", "list"], ["caseload"], ["export", "--table", "rm_events"],
         ["export", "--events"], ["projections", "status"]]


@pytest.mark.parametrize(("name", "fields", "field_name"), EXTREME)
def test_extreme_dates_are_stored_and_readable_or_refused(
    workdir: Path, caplog: pytest.LogCaptureFixture, name: str, fields: dict[str, Any],
    field_name: str,
) -> None:
    url = f"sqlite:///{workdir / 'stafet.db'}"
    case_id = _fresh_case(url)
    path = workdir / "dates.jsonl"
    path.write_text(json.dumps({"command": name, "case": str(case_id), "actor": HOLDER,
                                **fields}) + "\n", encoding="utf-8")
    count = _count(url)
    outcome = _apply(url, path, atomic=True)
    assert_no_crash(outcome)
    if outcome.code != 0:
        assert field_name in outcome.stderr and _count(url) == count, str(outcome)
        return
    # Stored: later writes bring the read models up to date without a (logged) traceback...
    caplog.clear()
    later_write = stafet_in_process(["--db", url, "--as", HOLDER, "note", str(case_id), "efter"])
    assert_no_crash(later_write)
    assert later_write.code == 0, str(later_write)
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text[-3000:]
    # ... and every reader copes.
    for argv in READS:
        read = stafet_in_process(["--db", url, *READER,
                                  *[a.format(case=case_id) for a in argv]])
        assert_no_crash(read)
        assert read.code == 0, str(read)
    with Ledger(url) as ledger:
        assert assert_read_models_equal_a_rebuild(ledger) > 0


# -- deliberate: odd text in every free-text field ------------------------------------------------

LONG = ("Lang beskrivelse af forløbet – æøå ÆØÅ 🙂 مرحبا שלום. " * 4000)[:150_000].strip()
TEXTS = {
    "danish": "Æblegrød på Ærø – søster Åse ØSTERGÅRD-Ødegaard: «citat» § 141 stk. 2, ½ år",
    "emoji": "Mødet gik godt 👍🏽 familien 👨‍👩‍👧‍👦 flag 🇩🇰 hjerte ❤️‍🔥 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301",
    "rtl": "العربية: مرحبا بالعالم — עברית: שלום עולם \u200f(RLM) \u202eTEKST BAGLÆNS\u202c slut",
    "cpr": "Borgerens CPR-nr. 010190-1234 (også skrevet 0101901234 og 010190 1234)",
    "long-150k": LONG,
    "1mb": ("x" * 999_999) + "y",
    "nul": "før\x00efter",
}
# Everything odd at once, short enough for a label (80 characters).
MIXED = "Ærø-Åse 👍🏽👨‍👩‍👧‍👦🇩🇰 مرحبا שלום ‏‮BAGLÆNS‬ CPR 010190-1234 é"
assert len(MIXED) <= 80


@dataclass
class Step:
    """One command carrying the text in one field; ``before`` and ``instead`` (run when the
    text is refused) use plain text, so each step finds the case as it expects."""

    field: str  # command.field, as free_text_fields() names it
    command: str
    make: Callable[[str], dict[str, Any]]
    actor: str = HOLDER
    # main: the rich case; new: a new case; temporary: a new case held temporarily; closed: a
    # new closed case; none
    on: str = "main"
    before: Callable[[Ledger, UUID], Any] | None = None
    instead: Callable[[Ledger, UUID], Any] | None = None
    shown: bool = False  # `case show --json` shows it too
    label: bool = False  # a label (a category): kept lower-case, compared case-blind
    purpose: bool = False  # a purpose: kept as written (trimmed), compared case-blind


def _again(name: str, **fields: Any) -> Callable[[Ledger, UUID], Any]:
    return lambda ledger, case_id: run(ledger, name, case_id, **fields)


def _steps() -> list[Step]:
    def consent(**over: Any) -> dict[str, Any]:
        return {"given_by": [{"role": "citizen"}], "purpose": "koordinering",
                "recipients": ["@socialcenter"], "categories": ["helbred"], **over}

    def meeting(**over: Any) -> dict[str, Any]:
        return {**began(), "place": "Jobcentret", "invited": [SOCIAL], "agenda": ["Status"],
                **over}

    def hold(meeting_id: str, **over: Any) -> dict[str, Any]:
        return {"meeting_id": meeting_id, "attendees": [SOCIAL], "minutes": "Referat", **over}

    opened = {"subject_ref": "borger-77", "subject_kind": "adult"}
    return [
        Step("note.text", "note", lambda t: {"text": t}),
        Step("*.actor_role", "note", lambda t: {"text": "rolle", "actor_role": t}),
        Step("plan.summary.text", "plan.summary", lambda t: {"text": t}, shown=True),
        Step("goal.set.text", "goal.set", lambda t: {"level": "sub", "parent_id": "G1",
                                                     "text": t}, shown=True),
        Step("goal.revise.text", "goal.revise", lambda t: {"goal_id": "G1", "text": t,
                                                           "reason": "Ny formulering"}, shown=True),
        Step("goal.revise.reason", "goal.revise", lambda t: {"goal_id": "G1", "text": "Mål 2",
                                                             "reason": t},
             instead=_again("goal.revise", goal_id="G1", text="Mål 2", reason="r")),
        Step("goal.status.note", "goal.status", lambda t: {"goal_id": "G1",
                                                           "status": "in_progress", "note": t},
             instead=_again("goal.status", goal_id="G1", status="in_progress")),
        Step("effort.plan.title", "effort.plan", lambda t: {
            "title": t, "law": "SEL", "paragraph": "§ 85", "provider": ADDICTION}, shown=True),
        Step("effort.plan.law", "effort.plan", lambda t: {
            "title": "Bostøtte", "law": t, "paragraph": "§ 85", "provider": ADDICTION}, shown=True),
        Step("effort.plan.paragraph", "effort.plan", lambda t: {
            "title": "Bostøtte", "law": "SEL", "paragraph": t, "provider": ADDICTION}, shown=True),
        Step("effort.status.note", "effort.status", lambda t: {
            "effort_id": "E1", "status": "started", "note": t},
            instead=_again("effort.status", effort_id="E1", status="started")),
        Step("agreement.make.text", "agreement.make", lambda t: {
            "text": t, "responsible": SOCIAL, "due_on": soon()}, shown=True),
        Step("agreement.complete.note", "agreement.complete", lambda t: {
            "agreement_id": "A1", "note": t}, instead=_again("agreement.complete", agreement_id="A1")),
        Step("agreement.cancel.reason", "agreement.cancel", lambda t: {
            "agreement_id": "A2", "reason": t},
            instead=_again("agreement.cancel", agreement_id="A2", reason="r")),
        Step("agreement.reopen.reason", "agreement.reopen", lambda t: {
            "agreement_id": "A2", "reason": t},
            instead=_again("agreement.reopen", agreement_id="A2", reason="r")),
        Step("view.text", "view", lambda t: {"text": t}, shown=True),
        Step("sectorplan.link.kind", "sectorplan.link", lambda t: {
            "kind": t, "owner": SOCIAL, "system": "Nexus", "reference": "HP-2"}, shown=True),
        Step("sectorplan.link.system", "sectorplan.link", lambda t: {
            "kind": "Handleplan", "owner": SOCIAL, "system": t, "reference": "HP-3"}, shown=True),
        Step("sectorplan.link.reference", "sectorplan.link", lambda t: {
            "kind": "Handleplan", "owner": SOCIAL, "system": "Nexus", "reference": t}, shown=True),
        Step("consent.give.given_by.name", "consent.give", lambda t: consent(
            given_by=[{"role": "citizen", "name": t}]), shown=True),
        Step("consent.give.purpose", "consent.give", lambda t: consent(purpose=t), shown=True,
             purpose=True),
        Step("consent.give.categories", "consent.give", lambda t: consent(categories=[t]),
             shown=True, label=True),
        Step("share.description", "share", lambda t: {
            "recipient": SOCIAL, "purpose": "koordinering", "categories": ["helbred"],
            "description": t}),
        Step("share.purpose", "share", lambda t: {
            "recipient": SOCIAL, "purpose": t, "categories": ["helbred"], "description": "d"},
            purpose=True),
        Step("share.categories", "share", lambda t: {
            "recipient": SOCIAL, "purpose": "koordinering", "categories": [t],
            "description": "d"}, label=True),
        Step("consent.revoke.reason", "consent.revoke", lambda t: {"consent_id": "C1",
                                                                   "reason": t},
             instead=_again("consent.revoke", consent_id="C1")),
        Step("consent.revoke.revoked_by.name", "consent.revoke", lambda t: {
            "consent_id": "C1", "revoked_by": {"role": "citizen", "name": t}}, on="new",
            before=_again("consent.give", **consent())),
        Step("case.join.title", "case.join", lambda t: {
            "participant": "ny1@kommunen", "kind": "authority", "title": t}, shown=True,
            instead=_again("case.join", participant="ny1@kommunen", kind="authority")),
        Step("case.join.participant_name", "case.join", lambda t: {
            "participant": "ny2@kommunen", "kind": "relative", "participant_name": t}, shown=True),
        Step("case.leave.reason", "case.leave", lambda t: {"participant": VOLUNTEER, "reason": t},
             instead=_again("case.leave", participant=VOLUNTEER)),
        Step("phase.reason", "phase", lambda t: {"phase": 2, "reason": t},
             instead=_again("phase", phase=2)),
        Step("meeting.agenda.agenda", "meeting.agenda", lambda t: {"meeting_id": "M1",
                                                                   "agenda": [t]}, shown=True),
        Step("meeting.reschedule.place", "meeting.reschedule", lambda t: {
            "meeting_id": "M1", "starts_at": later(), "place": t}),
        Step("meeting.reschedule.reason", "meeting.reschedule", lambda t: {
            "meeting_id": "M1", "starts_at": later(11), "reason": t}),
        Step("meeting.convene.place", "meeting.convene", lambda t: meeting(place=t), shown=True,
             instead=_again("meeting.convene", **meeting())),  # M3
        Step("meeting.convene.agenda", "meeting.convene", lambda t: meeting(agenda=[t]),
             shown=True, instead=_again("meeting.convene", **meeting())),  # M4
        Step("meeting.convene.interpreter_language", "meeting.convene",
             lambda t: meeting(interpreter_language=t), shown=True,
             instead=_again("meeting.convene", **meeting())),  # M5
        Step("meeting.hold.minutes", "meeting.hold", lambda t: hold("M2", minutes=t),
             instead=_again("meeting.hold", **hold("M2"))),
        Step("meeting.hold.decisions", "meeting.hold", lambda t: hold("M3", decisions=[t]),
             instead=_again("meeting.hold", **hold("M3"))),
        Step("meeting.hold.agreements.text", "meeting.hold", lambda t: hold("M4", agreements=[
            {"text": t, "responsible": SOCIAL, "due_on": soon()}]), shown=True,
            instead=_again("meeting.hold", **hold("M4"))),
        Step("meeting.not-held.reason", "meeting.not-held", lambda t: {
            "meeting_id": "M2", "reason": t},
            instead=_again("meeting.not-held", meeting_id="M2", reason="r")),
        Step("meeting.cancel.reason", "meeting.cancel", lambda t: {"meeting_id": "M5",
                                                                   "reason": t},
             instead=_again("meeting.cancel", meeting_id="M5", reason="r")),
        Step("baton.hand.note", "baton.hand", lambda t: {"to": SOCIAL, "note": t},
             instead=_again("baton.hand", to=SOCIAL)),
        Step("baton.withdraw.reason", "baton.withdraw", lambda t: {"reason": t},
             instead=_again("baton.withdraw")),
        Step("baton.decline.reason", "baton.decline", lambda t: {"reason": t}, actor=SOCIAL,
             before=_again("baton.hand", to=SOCIAL),
             instead=_again("baton.decline", actor=SOCIAL)),
        Step("correct.correction", "correct", lambda t: {"position": 2, "correction": t,
                                                         "reason": "Forkert"}),
        Step("correct.reason", "correct", lambda t: {"position": 2, "correction": "Rettet",
                                                     "reason": t}),
        Step("case.open.title", "case.open", lambda t: {**opened, "title": t}, on="none",
             shown=True),
        Step("case.open.holder_title", "case.open", lambda t: {**opened, "title": "T",
                                                               "holder_title": t},
             on="none", shown=True),
        Step("case.open.holder_name", "case.open", lambda t: {**opened, "title": "T",
                                                              "holder_name": t},
             on="none", shown=True),
        Step("case.close.further_course", "case.close", lambda t: {
            "further_course": t, "follow_up_by": HOLDER}, on="new", shown=True),
        Step("case.reopen.reason", "case.reopen", lambda t: {"reason": t}, on="closed"),
        Step("baton.confirm.note", "baton.confirm", lambda t: {"note": t}, on="temporary"),
        Step("plan.accept.note", "plan.accept", lambda t: {"accepted_by": [{"role": "citizen"}],
                                                           "note": t}, on="new"),
        Step("plan.accept.accepted_by.name", "plan.accept", lambda t: {
            "accepted_by": [{"role": "citizen", "name": t}]}, on="new", shown=True),
    ]


def free_text_fields() -> set[str]:
    """Every free-text field of every command (short text, text, label), found in the models."""
    out = {"*.actor_role"}
    for name, cls in COMMANDS.items():
        for field_name, info in cls.model_fields.items():
            spec = repr(info.annotation) + repr(info.metadata)
            if field_name != "actor_role" and any(
                    f"max_length={n}" in spec for n in (80, 500, 200_000)):
                out.add(f"{name}.{field_name}")
            if "Giver" in spec:
                out.add(f"{name}.{field_name}.name")
            if "AgreementTerms" in spec:
                out.add(f"{name}.{field_name}.text")
    return out


def test_the_text_matrix_covers_every_free_text_field() -> None:
    assert sorted(s.field for s in _steps()) == sorted(free_text_fields())


def _contains(data: Any, value: str) -> bool:
    if isinstance(data, str):
        return data == value
    if isinstance(data, dict):
        return any(_contains(v, value) for v in data.values())
    if isinstance(data, list):
        return any(_contains(v, value) for v in data)
    return False


def _case_for(step: Step, ledger: Ledger, main: UUID) -> UUID | None:
    if step.on == "main":
        return main
    if step.on == "none":
        return None
    case_id = ledger.open_case(actor=HOLDER, subject_ref="borger-88", subject_kind="adult",
                               title="Kort forløb", temporary=step.on == "temporary").case_id
    if step.on == "closed":
        run(ledger, "case.close", case_id, further_course="Intet videre", follow_up_by=HOLDER)
    return case_id


def _read_json(url: str, *argv: str) -> Any:
    outcome = stafet_in_process(["--db", url, *READER, "--json", *argv])
    assert outcome.code == 0, str(outcome)
    return json.loads(outcome.stdout)


def run_text_matrix(url: str, workdir: Path, text: str) -> dict[str, str]:
    """Every step with ``text``; returns what became of each field (stored or refused)."""
    with Ledger(url) as ledger:
        main = rich_case(ledger)
        stored: list[tuple[Step, UUID, int, int, str]] = []
        fate: dict[str, str] = {}
        for step in _steps():
            case_id = _case_for(step, ledger, main)
            if step.before is not None:
                assert case_id is not None
                step.before(ledger, case_id)
            line = {"command": step.command, "actor": step.actor, **step.make(text)}
            if case_id is not None:
                line["case"] = str(case_id)
            path = workdir / "text.jsonl"
            path.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
            count, _ = log_state(ledger)
            version = ledger.get_case(case_id).version if case_id else 0

            outcome = _apply(url, path, atomic=False)

            assert_no_crash(outcome)
            assert outcome.seconds < 10, f"{step.field}: {outcome.seconds:.1f} s for {len(text)} chars"
            if outcome.code == 0:
                target = case_id or UUID(json.loads(outcome.stdout)["cases"][0])
                expected = (text.strip().lower() if step.label
                            else text.strip() if step.purpose else text)
                stored.append((step, target, version, ledger.get_case(target).version, expected))
                fate[step.field] = "stored"
                continue
            fate[step.field] = "refused"
            leaf = step.field.split(".")[-1]
            named = re.search(r"field '([^']+)'", outcome.stderr)
            assert outcome.code == 2 and named and leaf in named.group(1).split("."), (
                f"{step.field}: a refused text must be an input error naming the field: {outcome}")
            assert log_state(ledger)[0] == count, f"{step.field}: refused, yet stored: {outcome}"
            if step.instead is not None:
                assert case_id is not None
                step.instead(ledger, case_id)

        histories: dict[UUID, list[dict[str, Any]]] = {}
        shown: dict[UUID, Any] = {}
        for step, case_id, before, after, expected in stored:
            if case_id not in histories:
                histories[case_id] = _read_json(url, "case", "history", str(case_id))
                shown[case_id] = _read_json(url, "case", "show", str(case_id))
            events = [e for e in histories[case_id] if before < e["position"] <= after]
            assert any(_contains(e, expected) for e in events), (
                f"{step.field}: stored, but `case history --json` does not give the text back "
                f"exactly: {events!r:.2000}")
            if step.shown:
                assert _contains(shown[case_id], expected), (
                    f"{step.field}: stored, but `case show --json` does not show it exactly")
        log_state(ledger)
        assert_read_models_equal_a_rebuild(ledger)
    return fate


@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_odd_text_in_every_free_text_field_is_stored_exactly_or_refused_clearly(
    workdir: Path, kind: str,
) -> None:
    fate = run_text_matrix(f"sqlite:///{workdir / 'stafet.db'}", workdir, TEXTS[kind])
    if kind in ("danish", "emoji", "rtl", "cpr"):  # SPEC §10: data, not errors
        assert set(fate.values()) == {"stored"}, fate
    if kind in ("1mb", "nul"):
        assert set(fate.values()) == {"refused"}, fate
    if kind == "long-150k":  # long texts are data where the field is a text, not a title
        assert fate["note.text"] == fate["plan.summary.text"] == "stored", fate


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["mixed", "nul"])
def test_odd_text_in_every_free_text_field_on_postgresql(pg_schema_url: str, workdir: Path,
                                                         kind: str) -> None:
    fate = run_text_matrix(pg_schema_url, workdir, MIXED if kind == "mixed" else TEXTS[kind])
    assert set(fate.values()) == {"stored" if kind == "mixed" else "refused"}, fate


# -- deliberate: NUL in identifiers -------------------------------------------------------------

NUL_REF = "nu\x00l@kommunen"
IDENTIFIERS: dict[str, Callable[[UUID], dict[str, Any]]] = {
    "participant": lambda case: {"command": "case.join", "case": str(case), "actor": HOLDER,
                                 "participant": NUL_REF, "kind": "authority"},
    "subject_ref": lambda case: {"command": "case.open", "actor": HOLDER,
                                 "subject_ref": "bor\x00ger-1", "subject_kind": "adult",
                                 "title": "Forløb"},
    "command_id": lambda case: {"command": "note", "case": str(case), "actor": HOLDER,
                                "text": "x", "command_id": "id\x00x"},
    "actor": lambda case: {"command": "note", "case": str(case), "actor": NUL_REF, "text": "x"},
}


def _nul_params() -> list[Any]:
    params = []
    for name in IDENTIFIERS:
        params.append(pytest.param(name, "sqlite", id=f"{name}-sqlite"))
        params.append(pytest.param(name, "postgres", id=f"{name}-postgres",
                                   marks=[pytest.mark.postgres]))
    return params


@pytest.mark.parametrize(("name", "backend"), _nul_params())
def test_nul_in_an_identifier_is_stored_and_readable_or_refused(
    fresh_url: str, workdir: Path, name: str, backend: str,
) -> None:
    url = fresh_url
    case_id = _fresh_case(url)
    if name == "actor":
        # An actor must be a participant; one with NUL can no longer join, which settles it.
        with Ledger(url) as ledger, pytest.raises(InvalidCommand, match=r"'participant'.*NUL"):
            run(ledger, "case.join", case_id, participant=NUL_REF, kind="authority")
        return
    line = IDENTIFIERS[name](case_id)
    path = workdir / "nul.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    count = _count(url)
    outcome = _apply(url, path, atomic=True)
    assert_no_crash(outcome)
    if outcome.code != 0:
        assert f"'{name}'" in outcome.stderr and _count(url) == count, str(outcome)
        return
    case = json.loads(outcome.stdout)["cases"][0]
    value = line.get("participant", line.get("subject_ref", line.get("command_id", line["actor"])))
    history = _read_json(url, "case", "history", case)
    assert _contains(history, value), "stored, but not read back exactly"
    for argv in (["projections", "run", "--once"], ["case", "list"], ["attention"],
                 ["export", "--table", "rm_participants"], ["export", "--events"]):
        read = stafet_in_process(["--db", url, *READER, *argv])
        assert_no_crash(read)
        assert read.code == 0, str(read)
    with Ledger(url) as ledger:
        log_state(ledger)
        assert_read_models_equal_a_rebuild(ledger)
