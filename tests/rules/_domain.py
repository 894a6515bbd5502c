"""The application as the rule tests use it, in memory: decide, fold, append to a list.

A fake in cosmicpython's sense (their FakeRepository): the same few public calls as ``Ledger``
(``run``, ``execute``, ``get_case``, ``history``, ``case_ids``, ``policy``, ``clock``,
``recorder.max_notification_id``; a command id is answered once) with no database behind them,
so a rule test runs the pure domain (``decide`` and ``project_case``) in milliseconds. It builds
the ``Context`` and the ``CommandResult`` the way ``Ledger`` does (see its ``UnitOfWork.decide``)
and depends on no private part of the ledger.

What only storage decides (events and states surviving the trip to SQLite and PostgreSQL and
back, snapshots, command ids across processes, concurrent writers, erasure) is tested on both
backends in tests/integration and tests/trust, never here. tests/integration/test_event_roundtrip.py
runs one story through this fake and through the real ``Ledger`` and checks both decided the same,
so the fake cannot drift from the application unnoticed.

    >>> ledger = DomainLedger()
    >>> opened = ledger.run("case.open", {"actor": "anne@jobcenter", "subject_ref": "borger-1",
    ...                                   "subject_kind": "adult", "title": "Forløb"})
    >>> ledger.get_case(opened.case_id).baton.holder, ledger.recorder.max_notification_id()
    ('anne@jobcenter', 1)
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from stafet import CaseNotFound, CommandResult, Policy, RuleViolation
from stafet.application.unit_of_work import event_ref
from stafet.domain.commands import Command, OpenCase, build_command
from stafet.domain.decide import Context, decide
from stafet.domain.events import CaseEvent
from stafet.domain.evolve import project_case
from stafet.domain.policy import DEFAULT_POLICY
from stafet.domain.state import CaseState


class DomainLedger:
    """Decides with ``decide``, folds with ``project_case``, keeps the log in a list."""

    def __init__(
        self, *, policy: Policy = DEFAULT_POLICY, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.policy = policy
        self.clock = clock or (lambda: datetime.now(UTC))
        self.log: list[CaseEvent] = []  # every event of every case, in the order stored
        self._cases: dict[UUID, list[CaseEvent]] = {}
        self._commands: dict[str, tuple[dict[str, Any], CommandResult]] = {}
        self.recorder = _Recorder(self)

    def __enter__(self) -> DomainLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    # -- commands ----------------------------------------------------------------------

    def run(self, name: str, fields: dict[str, Any]) -> CommandResult:
        """Validate (``InvalidCommand``) and execute a command given by name and raw fields."""
        return self.execute(build_command(name, fields))

    def execute(self, command: Command) -> CommandResult:
        if command.command_id and (earlier := self._replay(command)):
            return earlier
        state = None if isinstance(command, OpenCase) else self.get_case(command.case_id)  # type: ignore[attr-defined]
        ctx = Context(
            command=command, now=self.clock(), policy=self.policy,
            new_case_id=uuid4() if state is None else None,
        )
        events = decide(state, command, ctx)  # a refusal raises here, before anything is kept
        new_state = project_case(state, events)
        assert new_state is not None and events, f"{command.name} decided no event"
        self._append(state, events)
        result = CommandResult.model_validate({
            "case_id": new_state.id,
            "command": command.name,
            "version": new_state.version,
            "events": [event_ref(e) for e in events],  # position, type, and the id it created
        })
        if command.command_id:
            self._commands[command.command_id] = (_content(command), result)
        return result

    def _replay(self, command: Command) -> CommandResult | None:
        """A command id seen before: the first result again, or a refusal if the content
        differs (SPEC §8). The real guarantee, across processes and writers, is storage's:
        tests/integration/test_idempotency.py."""
        assert command.command_id
        if command.command_id not in self._commands:
            return None
        content, result = self._commands[command.command_id]
        if content != _content(command):
            raise RuleViolation(
                f"command_id '{command.command_id}' was already used for a different command",
                code="command.id_reused",
            )
        return result.model_copy(update={"replayed": True})

    def _append(self, state: CaseState | None, events: list[CaseEvent]) -> None:
        """What the event store's unique (case, position) key guarantees: each new event of a
        case follows on from the version it was decided against, one position at a time."""
        version = state.version if state is not None else 0
        case_id = state.id if state is not None else events[0].originator_id
        assert [(e.originator_id, e.originator_version) for e in events] == [
            (case_id, version + n) for n in range(1, len(events) + 1)
        ], f"events do not follow on from version {version}: {events}"
        self._cases.setdefault(case_id, []).extend(events)
        self.log.extend(events)

    # -- reads -------------------------------------------------------------------------

    def get_case(self, case_id: UUID | str, version: int | None = None) -> CaseState:
        """The case folded afresh from its events (all of them, or up to ``version``)."""
        events = self.history(case_id)
        state = project_case(None, events if version is None else events[:version])
        assert state is not None
        return state

    def history(self, case_id: UUID | str) -> list[CaseEvent]:
        """Every event of the case, oldest first (a copy: the log cannot be changed through it)."""
        case_uuid = case_id if isinstance(case_id, UUID) else UUID(case_id)
        if case_uuid not in self._cases:
            raise CaseNotFound(f"there is no case {case_uuid}")
        return list(self._cases[case_uuid])

    def head(self) -> int:
        """How far the log has got (0 while empty), as ``Ledger.head``."""
        return len(self.log)

    def case_ids(self, limit: int | None = 1000) -> list[UUID]:
        """Case ids in the order the cases were opened."""
        return list(self._cases)[:limit]


def _content(command: Command) -> dict[str, Any]:
    return {"command": command.name, **command.model_dump(mode="json", exclude={"command_id"})}


class _Recorder:
    """The one recorder question the tests ask: how far the log has got (None while empty)."""

    def __init__(self, ledger: DomainLedger) -> None:
        self._ledger = ledger

    def max_notification_id(self) -> int | None:
        return len(self._ledger.log) or None
