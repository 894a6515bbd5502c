"""Deciding commands against stored cases and storing what was decided, all or nothing.

A unit of work loads each case it touches once, decides its commands one after another (a
later command sees what an earlier one decided), and stores every event in one transaction.
When another writer stored an event on one of its cases meanwhile, nothing is stored and the
unit is decided afresh (``decide_and_store``), so every rule is checked against what is
really stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.persistence import IntegrityError
from pydantic import BaseModel, SerializerFunctionWrapHandler, computed_field, model_serializer

from stafet.domain.administration import (
    ADMINISTRATION_ID,
    AdminCommand,
    Roles,
    decide_admin,
    project_roles,
)
from stafet.domain.commands import CaseCommand, Command, EraseCase, OpenCase
from stafet.domain.decide import Context, decide
from stafet.domain.errors import ConcurrencyConflict, NotAllowed, RuleViolation, StaleVersion
from stafet.domain.events import Envelope
from stafet.domain.evolve import project_case
from stafet.domain.policy import Policy
from stafet.domain.rules import refuse_erased
from stafet.domain.state import CaseState
from stafet.storage.keys import KeyErased
from stafet.storage.recorders import CommandRecord
from stafet.storage.store import CaseStore

# How often a command is decided afresh when another writer stored an event on the case
# between our read and our write. Each attempt re-reads the case and re-checks every rule.
MAX_ATTEMPTS = 8
T = TypeVar("T")
# (the storing transaction's connection, [(position, event)], the cases as loaded)
# True when it did all that ``after_commit`` would do (so that is not called).
InStoringTransaction = Callable[[Any, list[tuple[int, Envelope]], dict[UUID, CaseState]], bool]


class StoredEventRef(BaseModel):
    position: int
    type: str
    id: str | None = None
    """The id the event gave what it created (G1, E1, A1, C1, M1, SP1), if it created one."""

    @model_serializer(mode="wrap")
    def _without_empty_id(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("id") is None:
            data.pop("id", None)  # only events that created something name an id
        return data


# The events that create something the case names by an id, and the field holding that id.
_CREATED_ID = {"GoalSet": "goal_id", "EffortPlanned": "effort_id",
               "AgreementMade": "agreement_id", "ConsentGiven": "consent_id",
               "MeetingConvened": "meeting_id", "SectorPlanLinked": "sector_plan_id"}


def event_ref(event: Any) -> StoredEventRef:
    """A stored event as a command's result names it: position, type, and what it created."""
    kind = type(event).__name__
    field = _CREATED_ID.get(kind)
    return StoredEventRef(position=event.originator_version, type=kind,
                          id=getattr(event, field, None) if field else None)


class CommandResult(BaseModel):
    """What a command did: the case, the events it stored, and the case's new version."""

    case_id: UUID
    command: str
    version: int
    events: list[StoredEventRef]
    replayed: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def created(self) -> list[str]:
        """The ids of what the command created (G1, M1, A1, C1 ...), in order."""
        return [e.id for e in self.events if e.id]


class UnitOfWork:
    """Commands decided against the stored cases and against what this unit decided before.

    ``commit()`` stores every event (and every command id) in one transaction; if another
    writer stored an event on one of the cases meanwhile, nothing is stored and
    ``ConcurrencyConflict`` is raised, so the unit can be decided afresh.
    """

    def __init__(self, store: CaseStore, policy: Policy, clock: Callable[[], datetime],
                 after_commit: Callable[[], None] = lambda: None,
                 refused: Callable[[Command, NotAllowed], None] = lambda _c, _e: None,
                 in_transaction: InStoringTransaction | None = None) -> None:
        """``refused``: told of every command the authorisation policy refused (for the access
        log), before the refusal is raised. ``in_transaction``: told, inside the storing
        transaction, of its connection, every event with its position, and each case as it was
        loaded before this unit decided (the read models kept in that transaction, SQLite);
        when it answers True, ``after_commit`` has nothing left to do and is not called."""
        self.store = store
        self.policy = policy
        self.clock = clock
        self.after_commit = after_commit
        self.refused = refused
        self.in_transaction = in_transaction
        self.done_in_transaction = False
        self.loaded_versions: dict[UUID, int] = {}
        self.loaded_states: dict[UUID, CaseState] = {}
        self.states: dict[UUID, CaseState] = {}
        self.events: list[Envelope] = []
        self.records: list[CommandRecord] = []
        self.results: dict[str, tuple[str, CommandResult]] = {}
        self._roles: Roles | None = None

    def roles(self) -> Roles:
        """The roles as stored, with what this unit decided about them."""
        if self._roles is None:
            self._roles = self.store.roles()
            self.loaded_versions[ADMINISTRATION_ID] = self._roles.version
        return self._roles

    def state(self, case_id: UUID) -> CaseState:
        if case_id not in self.states:
            state = self.store.case(case_id)
            self.loaded_versions[case_id] = state.version
            self.loaded_states[case_id] = state
            self.states[case_id] = state
        return self.states[case_id]

    def decide(self, command: Command, expected_version: int | None = None) -> CommandResult:
        """Decide one command. ``expected_version``: the version of the command's case the
        caller decided on (HTTP If-Match); if the case is at another, ``StaleVersion`` and
        nothing is decided. A command id already stored answers as before, unchecked."""
        fingerprint = fingerprint_of(command)
        if command.command_id:
            if command.command_id in self.results:
                earlier_fingerprint, earlier = self.results[command.command_id]
                if earlier_fingerprint != fingerprint:
                    raise id_reused(command)
                return earlier.model_copy(update={"replayed": True})
            if stored := earlier_result(self.store, command, fingerprint):
                return stored
        try:
            if isinstance(command, AdminCommand):
                stream, version, events = self._decide_admin(command)
            else:
                stream, version, events = self._decide_case(command, expected_version)
        except NotAllowed as refusal:
            self.refused(command, refusal)
            raise
        self.events.extend(events)
        result = CommandResult(
            case_id=stream,
            command=command.name,
            version=version,
            events=[event_ref(e) for e in events],
        )
        if command.command_id:
            self.results[command.command_id] = (fingerprint, result)
            self.records.append(CommandRecord(
                command_id=command.command_id, case_id=result.case_id,
                fingerprint=fingerprint, result=result.model_dump(mode="json"),
            ))
        return result

    def _decide_case(self, command: Command, expected_version: int | None = None,
                     ) -> tuple[UUID, int, list[Envelope]]:
        state = self.state(command.case_id) if isinstance(command, CaseCommand) else None
        if expected_version is not None and state is not None \
                and state.version != expected_version:
            raise StaleVersion(f"the case is at version {state.version}, not "
                               f"{expected_version} as expected; nothing was stored, so read "
                               "it again and decide afresh")
        erasing = isinstance(command, EraseCase)
        ctx = Context(
            command=command, now=self.clock(), policy=self.policy,
            new_case_id=uuid4() if isinstance(command, OpenCase) else None,
            roles=self.roles() if erasing else None,
            key_deleted=isinstance(command, EraseCase)
            and self.store.keys.key_for_case(command.case_id) is None,
        )
        events = decide(state, command, ctx)
        new_state = project_case(state, events)
        assert new_state is not None
        if state is None:
            self.loaded_versions[new_state.id] = 0
        self.states[new_state.id] = new_state
        return new_state.id, new_state.version, list(events)

    def _decide_admin(self, command: AdminCommand) -> tuple[UUID, int, list[Envelope]]:
        roles = self.roles()
        events = decide_admin(roles, command, self.clock())
        self._roles = project_roles(roles, events)
        assert self._roles is not None
        return ADMINISTRATION_ID, self._roles.version, list(events)

    def commit(self) -> None:
        if not self.events:
            return  # nothing decided, or only replayed command ids
        hook = None
        if self.in_transaction is not None:
            tell, events, loaded = self.in_transaction, self.events, self.loaded_states

            def hook(connection: Any, positions: Sequence[int]) -> None:
                self.done_in_transaction = tell(
                    connection, list(zip(positions, events, strict=True)), loaded)
        try:
            self.store.append(self.events, self.records, in_transaction=hook)
        except IntegrityError:
            raise ConcurrencyConflict(
                "another writer changed one of these cases at the same moment; nothing was "
                "stored, so decide again"
            ) from None
        except KeyErased:
            # The citizen was erased by another process after we read the key: nothing was
            # stored, and the key this process remembers is dropped.
            for case_id in self.states:
                self.store.forget_key(case_id)
                self.store.forget(case_id)
            refuse_erased()
        self.store.after_store(self.loaded_versions, self.states)
        if not self.done_in_transaction:
            self.after_commit()


def decide_and_store(
    new_unit: Callable[[], UnitOfWork],
    decide_all: Callable[[UnitOfWork], T],
    gave_up: str,
    earlier: Callable[[], T | None] = lambda: None,
) -> T:
    """Decide in a fresh unit of work and store it; when another writer stored an event on
    one of its cases meanwhile, read the cases again and decide afresh (MAX_ATTEMPTS).

    ``earlier``: after a conflict, the answer when our own first attempt is what raced us
    (a command sent twice at once with one command id)."""
    for _attempt in range(MAX_ATTEMPTS):
        work = new_unit()
        result = decide_all(work)
        try:
            work.commit()
        except ConcurrencyConflict:
            if (first := earlier()) is not None:
                return first
            continue
        return result
    raise ConcurrencyConflict(gave_up)


def earlier_result(store: CaseStore, command: Command,
                   fingerprint: str | None = None) -> CommandResult | None:
    """The stored result of an earlier command with this command id, marked as replayed."""
    if not command.command_id:
        return None
    record = store.command_record(command.command_id)
    if record is None:
        return None
    if record.fingerprint != (fingerprint or fingerprint_of(command)):
        raise id_reused(command)
    return CommandResult.model_validate({**record.result, "replayed": True})


def id_reused(command: Command) -> RuleViolation:
    return RuleViolation(
        f"command_id '{command.command_id}' was already used for a different command",
        code="command.id_reused",
    )


def fingerprint_of(command: Command) -> str:
    body = command.model_dump(mode="json", exclude={"command_id"})
    canonical = json.dumps({"command": command.name, **body}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
