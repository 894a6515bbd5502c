"""The application: load a case, decide, store the events. No rule lives here.

    >>> from stafet import Ledger
    >>> ledger = Ledger("sqlite:///:memory:")
    >>> opened = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-4711",
    ...                          subject_kind="adult", title="Vejen til uddannelse")
    >>> ledger.get_case(opened.case_id).baton.holder
    'anne@jobcenter'
    >>> ledger.release_baton(actor="anne@jobcenter", case_id=opened.case_id)
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    stafet.domain.errors.RuleViolation: no other authority has taken the baton yet; ...
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper
from eventsourcing.utils import Environment
from pydantic import BaseModel, ValidationError

from stafet.domain.calendar import when
from stafet.domain.commands import (
    COMMANDS,
    Command,
    EraseCase,
    OpenCase,
    build_command,
    describe_validation_error,
)
from stafet.domain.decide import Context, decide
from stafet.domain.errors import CaseNotFound, ConcurrencyConflict, InvalidCommand, RuleViolation
from stafet.domain.events import CaseEvent
from stafet.domain.evolve import project_case
from stafet.domain.policy import DEFAULT_POLICY, Policy
from stafet.domain.state import CaseSnapshot, CaseState
from stafet.reader import Reader
from stafet.storage.engine import scrub, sql_engine
from stafet.storage.keys import ErasedSnapshot, KeyStore
from stafet.storage.mapper import PydanticMapper
from stafet.storage.recorders import CommandRecord
from stafet.storage.url import StorageConfig, parse_db_url

if TYPE_CHECKING:
    from stafet.projections.runner import ProjectionRunner
    from stafet.storage.access import AccessLog

# How often a command is decided afresh when another writer stored an event on the case
# between our read and our write. Each attempt re-reads the case and re-checks every rule.
MAX_ATTEMPTS = 8
T = TypeVar("T")
SNAPSHOT_INTERVAL = 100
# Cases kept in memory between commands, brought up to date from the log on every read (the
# library's aggregate cache with fast-forward), so a busy writer decodes only what is new.
CASE_CACHE_SIZE = 1000


class StoredEventRef(BaseModel):
    position: int
    type: str


class CommandResult(BaseModel):
    """What a command did: the case, the events it stored, and the case's new version."""

    case_id: UUID
    command: str
    version: int
    events: list[StoredEventRef]
    replayed: bool = False


class Ledger(Application[UUID]):
    name = "Stafet"

    def __init__(
        self,
        db_url: str | None = None,
        *,
        policy: Policy = DEFAULT_POLICY,
        clock: Callable[[], datetime] | None = None,
        snapshot_interval: int = SNAPSHOT_INTERVAL,
        read_models: bool | None = None,
        read_models_url: str | None = None,
        case_cache_size: int = CASE_CACHE_SIZE,
    ) -> None:
        """``read_models``: bring the rm_ tables up to date after every write (the default on
        SQLite, where one user's CLI must never show stale data; on PostgreSQL a separate
        ``stafet projections run`` process follows the log). ``read_models_url``: keep the
        rm_ tables in another database (default: beside the log). ``case_cache_size``: how many
        cases stay in memory between commands (0: none)."""
        self.case_cache_size = case_cache_size
        self.storage: StorageConfig = parse_db_url(db_url)
        self.policy = policy
        self.clock = clock or (lambda: datetime.now(UTC))
        self.snapshot_interval = snapshot_interval
        self.update_read_models = (
            self.storage.backend == "sqlite" if read_models is None else read_models
        )
        self._projection_runner: ProjectionRunner | None = None
        self.read_models_url = read_models_url
        self._access_log: AccessLog | None = None
        # One SQLAlchemy engine for every table beside the event store (keys, access log, read
        # models), disposed with the ledger so no connection outlives it.
        self.sql = sql_engine(self.storage)
        with _schema_lock(self.storage):
            try:
                super().__init__()  # creates the tables, if missing
            except Exception as error:
                if "file is not a database" in str(error):
                    raise InvalidCommand(f"{self.storage.sqlite_path} is not a stafet database "
                                         "(not an SQLite file).") from None
                raise

    # -- wiring the library ------------------------------------------------------------

    def construct_env(self, name: str, env: Any = None) -> Environment:
        # Configured by the URL alone, so stray library variables in the shell change nothing.
        env = dict(self.storage.env)
        if self.case_cache_size > 0:
            # Every read still fetches the case's newer events, so other writers' events are
            # seen. No deep copy: a CaseState is immutable, evolve makes new ones.
            env["AGGREGATE_CACHE_MAXSIZE"] = str(self.case_cache_size)
            env["DEEPCOPY_FROM_AGGREGATE_CACHE"] = "n"
        return Environment(name, env)

    def construct_mapper(self) -> Mapper[UUID]:
        self.keys = KeyStore(
            self.sql,
            zlib.crc32(f"stafet-keys:{self.storage.pg_schema}".encode()),
        )
        return PydanticMapper(
            self.keys, compressor=self.factory.compressor(), cipher=self.factory.cipher()
        )

    # -- commands ----------------------------------------------------------------------

    def run(self, name: str, fields: dict[str, Any]) -> CommandResult:
        """Validate and execute a command given by name (``baton.hand``) and raw fields."""
        return self.execute(build_command(name, fields))

    def execute(self, command: Command) -> CommandResult:
        """Decide and store one command, re-deciding if another writer raced us on the case."""
        return self._decide_and_store(
            lambda work: work.decide(command),
            # Our own command may be what raced us (sent twice at once): answer as the first.
            earlier=lambda: self._earlier_result(command) if command.command_id else None,
            gave_up="the case was changed by others at the same moment, again and again; "
                    "nothing was stored, so send the command once more",
        )

    def _decide_and_store(
        self,
        decide_all: Callable[[UnitOfWork], T],
        gave_up: str,
        earlier: Callable[[], T | None] = lambda: None,
    ) -> T:
        """Decide in a fresh unit of work and store it; when another writer stored an event on
        one of its cases meanwhile, read the cases again and decide afresh (MAX_ATTEMPTS)."""
        for _attempt in range(MAX_ATTEMPTS):
            work = self.unit_of_work()
            result = decide_all(work)
            try:
                work.commit()  # nothing to store (a replayed command id): nothing happens
            except ConcurrencyConflict:
                if (first := earlier()) is not None:
                    return first
                continue
            return result
        raise ConcurrencyConflict(gave_up)

    def unit_of_work(self) -> UnitOfWork:
        """Several commands decided one after another and stored together, or not at all."""
        return UnitOfWork(self)

    def _earlier_result(
        self, command: Command, fingerprint: str | None = None
    ) -> CommandResult | None:
        record = self.recorder.select_command(command.command_id)  # type: ignore[attr-defined]
        if record is None:
            return None
        if record.fingerprint != (fingerprint or _fingerprint(command)):
            raise _id_reused(command)
        return CommandResult.model_validate({**record.result, "replayed": True})

    def _snapshot_if_due(self, old_version: int, state: CaseState) -> None:
        assert self.snapshots is not None
        if state.personal_data_erased:
            return  # a snapshot would need the deleted key; the events alone are few enough
        if state.version // self.snapshot_interval > old_version // self.snapshot_interval:
            # The new state is exactly what was stored, so snapshot it without reloading.
            # IntegrityError: someone snapshotted this version already. RuleViolation: the key
            # was deleted a moment ago (an erasure under way); the events are stored either way.
            with contextlib.suppress(IntegrityError, RuleViolation):
                self.snapshots.put([CaseSnapshot.take(state)])

    @property
    def projections(self) -> ProjectionRunner:
        """The runner that keeps this ledger's read models (rm_ tables) current."""
        if self._projection_runner is None:
            from stafet.projections.runner import ProjectionRunner

            self._projection_runner = ProjectionRunner(self, read_url=self.read_models_url)
        return self._projection_runner

    def reader(self, actor: str | None, purpose: str | None = None) -> Reader:
        """Read personal data as ``actor`` for ``purpose``: every read is access-logged."""
        return Reader(self, actor, purpose)

    @property
    def access_log(self) -> AccessLog:
        if self._access_log is None:
            from stafet.storage.access import AccessLog

            lock_key = zlib.crc32(f"stafet-access:{self.storage.pg_schema}".encode())
            self._access_log = AccessLog(self.sql, lock_key, self.keys.subject_id)
        return self._access_log

    def erase_subject(self, actor: str, subject_ref: str, reason: str) -> list[UUID]:
        """Crypto-shred a citizen: delete their key, then record the erasure on each of their
        cases, drop the cases' snapshots and refresh the read models. Every hash still verifies.

        The key goes first, so the log never claims an erasure that did not happen; if the
        recording fails, running the erasure again records it."""
        known = self.keys.cases_of(subject_ref)
        if not known:
            raise CaseNotFound("no case in this ledger is about that citizen")
        # A case.open that never committed (killed, or lost a race) leaves its key tie behind
        # without a case: the key is deleted all the same, there is just no event to record.
        cases = [c for c in known if self.recorder.select_events(c, limit=1)]
        if self.update_read_models:
            self.projections.catch_up()
        self.keys.erase(subject_ref)
        for case_id in cases:
            self._forget(case_id)
        def record_erasures(work: UnitOfWork) -> None:
            for case_id in cases:
                if not self.get_case(case_id).personal_data_erased:
                    work.decide(_validated(EraseCase, {
                        "actor": actor, "case_id": case_id, "reason": reason}))

        self._decide_and_store(
            record_erasures,
            gave_up="the key is deleted, but the cases were changed by others again and again, "
                    "so the erasure is not yet recorded on all of them; run the erasure once more",
        )
        self._drop_snapshots(cases)
        self.projections.refresh_cases(cases)
        scrub(self.storage)
        if self.projections.storage is not self.storage:
            scrub(self.projections.storage)
        return cases

    def _drop_snapshots(self, case_ids: list[UUID]) -> None:
        assert self.snapshots is not None
        recorder = self.snapshots.recorder
        table = recorder.events_table_name  # type: ignore[attr-defined]
        if self.storage.backend == "sqlite":
            with recorder.datastore.transaction(commit=True) as c:  # type: ignore[attr-defined]
                c.executemany(f"DELETE FROM {table} WHERE originator_id = ?",
                              [(case_id.hex,) for case_id in case_ids])
            return
        from psycopg.sql import SQL, Identifier

        with recorder.datastore.transaction(commit=True) as curs:  # type: ignore[attr-defined]
            curs.executemany(
                SQL("DELETE FROM {} WHERE originator_id = %s").format(
                    Identifier(self.storage.pg_schema, table)),
                [(case_id,) for case_id in case_ids],
            )

    def close(self) -> None:
        super().close()
        if self._projection_runner is not None:
            self._projection_runner.close()
        if hasattr(self, "sql"):
            self.sql.dispose()

    def _after_commit(self) -> None:
        if not self.update_read_models:
            return
        try:
            self.projections.catch_up()
        except Exception:  # the events are stored; the read models catch up on the next run
            logging.getLogger("stafet").exception("read models could not be brought up to date")

    # -- reads -------------------------------------------------------------------------

    def get_case(self, case_id: UUID | str, version: int | None = None) -> CaseState:
        """The case as it stands now (or at a given version). Not access-logged: the ledger's
        own reads use it; people read through ``reader(actor, purpose)``."""
        case_uuid = self.resolve_case(case_id)
        if version is not None and version < 1:
            raise InvalidCommand(f"version must be 1 or more (a case starts at version 1), not {version}")
        try:
            state: CaseState = self.repository.get(
                case_uuid, version=version, projector_func=project_case)
            if version is None and state.personal_data_erased:
                # A cached state was made while the key existed: read the erased case afresh
                # from the log, and never keep it, so no cleartext outlives the key in memory.
                self._forget(case_uuid)
                state = self.repository.get(
                    case_uuid, version=state.version, projector_func=project_case)
            return state
        except ErasedSnapshot:
            # A snapshot sealed with a key that has just been deleted (it is dropped as part
            # of the erasure): fold the events alone.
            self._forget(case_uuid)
            return self._fold_events(case_uuid, version)
        except AggregateNotFoundError:
            raise CaseNotFound(f"there is no case {case_uuid}") from None

    def _fold_events(self, case_uuid: UUID, version: int | None) -> CaseState:
        state = project_case(None, self.events.get(case_uuid, lte=version))  # type: ignore[arg-type]
        if state is None:
            raise CaseNotFound(f"there is no case {case_uuid}")
        return state

    def _remember(self, state: CaseState) -> None:
        """Keep a just-stored state for the next command on the case (saves decoding it)."""
        if self.repository.cache is not None and not state.personal_data_erased:
            self.repository.cache.put(state.id, state)

    def _forget(self, case_id: UUID) -> None:
        if self.repository.cache is not None:
            with contextlib.suppress(KeyError):
                self.repository.cache.get(case_id, evict=True)

    def get_case_as_of(self, case_id: UUID | str, moment: datetime) -> CaseState:
        """The case exactly as the log stood at a recorded time (time travel, from the log)."""
        events = self.history(case_id)
        state = project_case(None, [e for e in events if e.recorded_at <= moment])
        if state is None:
            raise CaseNotFound(
                f"the case was not yet in the log at {when(moment)}; its first event was "
                f"recorded {when(events[0].recorded_at)}"
            )
        return state

    def history(self, case_id: UUID | str) -> list[CaseEvent]:
        """Every event of the case, oldest first."""
        case_uuid = self.resolve_case(case_id)
        events = list(self.events.get(case_uuid))
        if not events:
            raise CaseNotFound(f"there is no case {case_uuid}")
        return events  # type: ignore[return-value]

    def case_ids(self, limit: int | None = 1000) -> list[UUID]:
        """Case ids in the order the cases were opened (all of them with ``limit=None``)."""
        return self.recorder.select_case_ids(  # type: ignore[attr-defined]
            "", 2**62 if limit is None else limit)

    def resolve_case(self, ref: UUID | str) -> UUID:
        """A case id from its full id or a unique prefix of at least 6 hex digits."""
        if isinstance(ref, UUID):
            return ref
        text = ref.strip().lower().replace("-", "")
        if not re.fullmatch(r"[0-9a-f]{6,32}", text):
            raise InvalidCommand(
                f"'{ref}' is not a case id; give the id or at least its first 6 characters."
            )
        if len(text) == 32:
            return UUID(text)
        found = self.recorder.select_case_ids(text, limit=2)  # type: ignore[attr-defined]
        if not found:
            raise CaseNotFound(f"no case id starts with '{ref}'")
        if len(found) > 1:
            raise InvalidCommand(f"more than one case id starts with '{ref}'; give more of it.")
        return found[0]

    # -- one method per command (thin: each builds the command and executes it) ---------


class UnitOfWork:
    """Commands decided against the stored cases and against what this unit decided before.

    ``commit()`` stores every event (and every command id) in one transaction; if another
    writer stored an event on one of the cases meanwhile, nothing is stored and
    ``ConcurrencyConflict`` is raised, so the unit can be decided afresh.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.loaded_versions: dict[UUID, int] = {}
        self.states: dict[UUID, CaseState] = {}
        self.events: list[CaseEvent] = []
        self.records: list[CommandRecord] = []
        self.results: dict[str, tuple[str, CommandResult]] = {}

    def state(self, case_id: UUID) -> CaseState:
        if case_id not in self.states:
            state = self.ledger.get_case(case_id)
            self.loaded_versions[case_id] = state.version
            self.states[case_id] = state
        return self.states[case_id]

    def decide(self, command: Command) -> CommandResult:
        fingerprint = _fingerprint(command)
        if command.command_id:
            if command.command_id in self.results:
                earlier_fingerprint, earlier = self.results[command.command_id]
                if earlier_fingerprint != fingerprint:
                    raise _id_reused(command)
                return earlier.model_copy(update={"replayed": True})
            if stored := self.ledger._earlier_result(command, fingerprint):
                return stored
        state = None if isinstance(command, OpenCase) else self.state(command.case_id)  # type: ignore[attr-defined]
        ctx = Context(
            command=command, now=self.ledger.clock(), policy=self.ledger.policy,
            new_case_id=uuid4() if state is None else None,
        )
        events = decide(state, command, ctx)
        new_state = project_case(state, events)
        assert new_state is not None
        if state is None:
            self.loaded_versions[new_state.id] = 0
        self.states[new_state.id] = new_state
        self.events.extend(events)
        result = CommandResult(
            case_id=new_state.id,
            command=command.name,
            version=new_state.version,
            events=[StoredEventRef(position=e.originator_version, type=type(e).__name__)
                    for e in events],
        )
        if command.command_id:
            self.results[command.command_id] = (fingerprint, result)
            self.records.append(CommandRecord(
                command_id=command.command_id, case_id=result.case_id,
                fingerprint=fingerprint, result=result.model_dump(mode="json"),
            ))
        return result

    def commit(self) -> None:
        if not self.events:
            return
        try:
            self.ledger.save(*self.events, command_records=self.records)
        except IntegrityError:
            raise ConcurrencyConflict(
                "another writer changed one of these cases at the same moment; nothing was "
                "stored, so decide again"
            ) from None
        for case_id, state in self.states.items():
            self.ledger._snapshot_if_due(self.loaded_versions[case_id], state)
            self.ledger._remember(state)
        self.ledger._after_commit()


def _id_reused(command: Command) -> RuleViolation:
    return RuleViolation(
        f"command_id '{command.command_id}' was already used for a different command",
        code="command.id_reused",
    )


def _fingerprint(command: Command) -> str:
    body = command.model_dump(mode="json", exclude={"command_id"})
    canonical = json.dumps({"command": command.name, **body}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@contextlib.contextmanager
def _schema_lock(storage: StorageConfig) -> Iterator[None]:
    """On PostgreSQL, one process at a time creates the schema and (re)declares its tables and
    functions: two concurrent CREATE OR REPLACE FUNCTION of one function collide."""
    if storage.backend != "postgres":
        yield
        return
    import psycopg
    from psycopg import sql

    lock_key = zlib.crc32(f"stafet-schema:{storage.pg_schema}".encode())
    with psycopg.connect(**storage.pg_conninfo, autocommit=True, connect_timeout=10) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (lock_key,))
        try:
            if storage.pg_schema != "public":
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(storage.pg_schema)))
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key,))


def _validated(command_type: type[Command], fields: dict[str, Any]) -> Command:
    try:
        return command_type.model_validate(fields)
    except ValidationError as error:
        raise InvalidCommand(describe_validation_error(error, command_type.name)) from None


def _command_method(command_type: type[Command]) -> Callable[..., CommandResult]:
    def method(self: Ledger, **fields: Any) -> CommandResult:
        return self.run(command_type.name, fields)

    method.__doc__ = f"``{command_type.name}``: {command_type.__doc__ or command_type.__name__}"
    return method


# The Python names of the commands: ledger.hand_baton(actor=..., case_id=..., to=...).
METHOD_NAMES: dict[str, str] = {
    "case.open": "open_case",
    "case.join": "join_case",
    "case.leave": "leave_case",
    "case.close": "close_case",
    "case.reopen": "reopen_case",
    "baton.hand": "hand_baton",
    "baton.grab": "grab_baton",
    "baton.release": "release_baton",
    "baton.decline": "decline_baton",
    "baton.withdraw": "withdraw_handover",
    "phase": "change_phase",
    "plan.accept": "accept_plan",
    "plan.summary": "summarize_situation",
    "goal.set": "set_goal",
    "goal.revise": "revise_goal",
    "goal.status": "change_goal_status",
    "effort.plan": "plan_effort",
    "effort.status": "change_effort_status",
    "agreement.make": "make_agreement",
    "agreement.complete": "complete_agreement",
    "agreement.cancel": "cancel_agreement",
    "view": "record_citizen_view",
    "sectorplan.link": "link_sector_plan",
    "consent.give": "give_consent",
    "consent.revoke": "revoke_consent",
    "share": "share_information",
    "meeting.convene": "convene_meeting",
    "meeting.agenda": "change_agenda",
    "meeting.hold": "hold_meeting",
    "meeting.cancel": "cancel_meeting",
    "meeting.minutes-sent": "send_minutes",
    "note": "log_note",
    "correct": "correct_entry",
}
assert set(METHOD_NAMES) == set(COMMANDS), set(COMMANDS) ^ set(METHOD_NAMES)
for _name, _method in METHOD_NAMES.items():
    setattr(Ledger, _method, _command_method(COMMANDS[_name]))
