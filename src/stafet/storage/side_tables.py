"""The tables beside the log, checked against it by ``verify``.

They are not hash-chained themselves; each is checked against what the chain does prove:

- **command records** (``stafet_commands``): every event stored for a command sent with a
  ``command_id`` carries that id in its (chained) bytes, so each such id must have its record,
  and each record must name exactly the stored events that carry its id. A deleted record would
  let a re-sent command be stored twice; a made-up one would answer a re-sent command with
  events that were never stored. (A record's fingerprint of the command cannot be recomputed
  from the events; a changed one makes a re-sent command refused as a reused id, loudly.)
- **citizens' keys** (``stafet_case_subjects``, ``stafet_subject_keys``): every case must have
  its tie to a citizen and that citizen's key, and the key must open the case's data, unless a
  ``PersonalDataErased`` event is in the case's log; an erased case must not be readable again.
- **the subject pepper** (``stafet_secrets``): its fingerprint must be the one recorded in the
  log when the ledger was set up (``FirstAdminAppointed``) and in every checkpoint kept
  elsewhere, and each case's tie must still be the keyed hash of the citizen it was opened for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from stafet.domain.administration import ADMINISTRATION_ID
from stafet.storage.engine import reading
from stafet.storage.keys import open_bytes, stafet_case_subjects, stafet_secrets, stafet_subject_keys

if TYPE_CHECKING:
    from stafet.storage.checkpoint import Checkpoint

PEPPER = "subject_pepper"
ERASED_TOPIC = "PersonalDataErased"
_COMMAND_ID = b'"command_id":'
SHOWN = 20  # problems listed one by one; the rest are counted


def pepper_fingerprint(pepper: bytes) -> str:
    """A hash that names the pepper without giving it away (64 hex digits)."""
    return hashlib.sha256(b"stafet-subject-pepper-v1\0" + pepper).hexdigest()


def current_pepper(engine: Engine) -> bytes | None:
    with reading(engine) as conn:
        value = conn.execute(sa.select(stafet_secrets.c.value).where(
            stafet_secrets.c.name == PEPPER)).scalar()
    return bytes(value) if value is not None else None


def subject_id(pepper: bytes, subject_ref: str) -> str:
    """The keyed hash standing for a citizen (``KeyStore.subject_id``'s formula)."""
    return hmac.new(pepper, subject_ref.encode("utf-8"), hashlib.sha256).hexdigest()


def _command_id(state: bytes) -> str | None:
    """The command id in an event's stored JSON (None: sent without one). The bytes have just
    verified against the chain, so they are as the ledger wrote them: a key, never text."""
    at = state.find(_COMMAND_ID)
    if at < 0:
        return None
    if state[at + len(_COMMAND_ID):at + len(_COMMAND_ID) + 6].lstrip().startswith(b"null"):
        return None
    value = json.loads(state).get("command_id")
    return value if isinstance(value, str) else None


@dataclass
class LogFacts:
    """What the side-table checks need from the walk over the verified log, gathered as
    ``verify`` goes (``observe``)."""

    positions: dict[UUID, int] = field(default_factory=dict)  # each case's last verified entry
    erased: set[UUID] = field(default_factory=set)
    commands: dict[str, list[tuple[UUID, int, str]]] = field(default_factory=dict)
    opened_for: dict[UUID, Any] = field(default_factory=dict)  # the sealed subject reference
    recorded_pepper: str | None = None  # as the administration's first event recorded it
    administration_began: bool = False

    def observe(self, row: Any, case_id: UUID) -> None:
        version, topic = row.originator_version, row.topic
        self.positions[case_id] = version
        state = bytes(row.state)
        if topic == ERASED_TOPIC:
            self.erased.add(case_id)
        elif version == 1 and topic == "CaseOpened":
            self.opened_for[case_id] = json.loads(state).get("subject_ref")
        elif version == 1 and case_id == ADMINISTRATION_ID:
            self.administration_began = True
            fingerprint = json.loads(state).get("pepper_fingerprint")
            self.recorded_pepper = fingerprint if isinstance(fingerprint, str) else None
        command_id = _command_id(state)
        if command_id is not None:
            self.commands.setdefault(command_id, []).append((case_id, version, topic))


@dataclass
class SideCheck:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    command_records: int = 0
    cases: int = 0
    pepper: str | None = None  # the fingerprint found

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "command_records": self.command_records, "cases": self.cases,
                "subject_pepper_fingerprint": self.pepper, "problems": self.problems,
                "notes": self.notes}


def check_side_tables(engine: Engine, facts: LogFacts, checkpoints: Sequence[Checkpoint] = (),
                      ) -> SideCheck:
    check = SideCheck()
    _check_commands(engine, facts, check)
    pepper = current_pepper(engine)
    replaced = _check_pepper(pepper, facts, checkpoints, check)
    _check_keys(engine, facts, pepper, check, pepper_said=replaced)
    return check


# -- command records ----------------------------------------------------------------------------


def _check_commands(engine: Engine, facts: LogFacts, check: SideCheck) -> None:
    with reading(engine) as conn:
        rows = conn.execute(sa.text(
            "SELECT command_id, case_id, result FROM stafet_commands ORDER BY command_id")).all()
    problems: list[str] = []
    recorded: set[str] = set()
    for command_id, case_text, result in rows:
        check.command_records += 1
        command_id = str(command_id)
        recorded.add(command_id)
        problem = _record_problem(command_id, case_text, result, facts)
        if problem:
            problems.append(problem)
    for command_id, events in facts.commands.items():
        if command_id not in recorded:
            case_id, version, _topic = events[0]
            problems.append(f"the record of command '{command_id[:80]}' is missing from "
                            f"stafet_commands (its events are in the log, e.g. case {case_id} "
                            f"entry {version}): sent again, it would be stored twice")
    _add(check, problems, "command records")


def _record_problem(command_id: str, case_text: Any, result: Any,
                    facts: LogFacts) -> str | None:
    """What is wrong with one command record (None: it names exactly its stored events)."""
    named = f"the record of command '{command_id[:80]}' in stafet_commands"
    try:
        data = json.loads(result) if isinstance(result, str | bytes) else result
        case_id = UUID(str(case_text))
        listed = [(UUID(str(data["case_id"])), int(e["position"]), str(e["type"]))
                  for e in data["events"]]
        version = int(data["version"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return f"{named} is not one the ledger writes (edited by hand)"
    if any(c != case_id for c, _, _ in listed) or not listed:
        return f"{named} does not name the events of its case: it was made up or changed"
    walked = facts.positions.get(case_id, 0)
    if min(p for _, p, _ in listed) > walked:
        return None  # stored after verify walked the log: the next run checks it
    stored = sorted((c, p, t) for c, p, t in facts.commands.get(command_id, []))
    if sorted(listed) != stored or version != max(p for _, p, _ in listed):
        return (f"{named} names other events than the log holds for that command: it was made "
                "up or changed (a re-sent command would get a wrong answer)")
    return None


# -- the pepper ---------------------------------------------------------------------------------


def _check_pepper(pepper: bytes | None, facts: LogFacts, checkpoints: Sequence[Checkpoint],
                  check: SideCheck) -> bool:
    """Whether the pepper was found replaced (or missing)."""
    if pepper is None:
        check.problems.append("the subject pepper is missing from stafet_secrets")
        return True
    before = len(check.problems)
    check.pepper = fingerprint = pepper_fingerprint(pepper)
    if facts.recorded_pepper is not None and facts.recorded_pepper != fingerprint:
        check.problems.append("the subject pepper in stafet_secrets is not the one recorded in "
                              "the log when the ledger was set up: it was replaced, so citizens' "
                              "subject ids no longer match (erasure and the access log would "
                              "miss them)")
    elif facts.administration_began and facts.recorded_pepper is None:
        check.notes.append("the log does not record the subject pepper's fingerprint (a ledger "
                           "set up by an earlier stafet); checkpoints record it from now on")
    for checkpoint in checkpoints:
        if checkpoint.pepper is not None and checkpoint.pepper != fingerprint:
            check.problems.append(f"the subject pepper in stafet_secrets is not the one "
                                  f"{checkpoint.label} recorded: it was replaced")
            break
    return len(check.problems) > before


# -- citizens' keys -----------------------------------------------------------------------------


def _check_keys(engine: Engine, facts: LogFacts, pepper: bytes | None, check: SideCheck,
                pepper_said: bool = False) -> None:
    """``pepper_said``: a replaced pepper was reported already (not again for every case)."""
    ties, keys = _key_tables(engine)
    problems: list[str] = []
    untied: list[UUID] = []  # opened with the key, but tied by another subject id
    opened = 0
    for case_id in facts.positions:
        if case_id == ADMINISTRATION_ID:
            continue
        check.cases += 1
        tie = ties.get(str(case_id))
        key = keys.get(tie[0]) if tie is not None else None
        live = key if tie is not None and tie[1] is None else None  # what reads would use
        box = facts.opened_for.get(case_id)
        if case_id in facts.erased:
            if live is not None:
                problems.append(
                    f"case {case_id} was erased (its log says so), yet stafet_case_subjects "
                    "ties it to a citizen's key again" + (
                        " that opens its data: the erasure was undone behind the ledger's back"
                        if _opens(live, case_id, box) is not None else ""))
            continue
        if tie is None:
            problems.append(f"case {case_id} has no tie to its citizen in stafet_case_subjects, "
                            "and no erasure is recorded in its log: its personal data can no "
                            "longer be read")
            continue
        if tie[1] is not None:
            problems.append(f"case {case_id} is marked erased in stafet_case_subjects, but no "
                            "erasure is recorded in its log")
            continue
        if tie[0] not in keys:
            problems.append(f"the key of case {case_id}'s citizen is gone from "
                            "stafet_subject_keys, and no erasure is recorded in its log")
            continue
        if live is None:
            problems.append(f"the key of case {case_id}'s citizen was deleted, but no erasure is "
                            "recorded in the case's log (an interrupted erasure: run stafet "
                            "erase again; otherwise it was deleted behind the ledger's back)")
            continue
        if box is None:
            continue  # opened before the reference was sealed: nothing to open
        subject_ref = _opens(live, case_id, box)
        if subject_ref is None:
            problems.append(f"the key stafet_case_subjects gives case {case_id} does not open "
                            "the case's data: the key or the tie was changed")
            continue
        opened += 1
        if pepper is not None and subject_id(pepper, subject_ref) != tie[0]:
            untied.append(case_id)
    if untied and not pepper_said:
        if len(untied) == opened and opened > 1:
            problems.append(f"no case's tie in stafet_case_subjects is the keyed hash of the "
                            f"citizen it was opened for ({opened} cases): the subject pepper "
                            "was replaced")
        else:
            problems.extend(f"case {c} is tied (stafet_case_subjects) to another subject id than "
                            "its citizen's: the tie or the subject pepper was changed"
                            for c in untied)
    _add(check, problems, "cases")


def _key_tables(engine: Engine) -> tuple[dict[str, tuple[str, Any]], dict[str, bytes | None]]:
    """{case id: (subject id, erased_at)} and {subject id: key or None}."""
    t, k = stafet_case_subjects, stafet_subject_keys
    with reading(engine) as conn:
        ties = {str(r[0]): (str(r[1]), r[2])
                for r in conn.execute(sa.select(t.c.case_id, t.c.subject_id, t.c.erased_at))}
        keys = {str(r[0]): (bytes(r[1]) if r[1] is not None else None)
                for r in conn.execute(sa.select(k.c.subject_id, k.c.key))}
    return ties, keys


def _opens(key: bytes, case_id: UUID, box: Any) -> str | None:
    """The citizen's reference, if the key opens the sealed one (None: it does not)."""
    if not (isinstance(box, dict) and isinstance(box.get("$sealed"), str)):
        return box if isinstance(box, str) else None
    try:
        value = json.loads(open_bytes(key, case_id, box["$sealed"]))
    except Exception:  # a wrong or damaged key, in any of the ways AES-GCM says so
        return None
    return value if isinstance(value, str) else None


def _add(check: SideCheck, problems: list[str], what: str) -> None:
    check.problems.extend(problems[:SHOWN])
    if len(problems) > SHOWN:
        check.problems.append(f"... and {len(problems) - SHOWN} more problems with {what}")
