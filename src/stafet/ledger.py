"""The application: one object with a method per command and per read (SPEC §11).

A command method validates its input into a command, decides it against the stored case
(``stafet.domain.decide``: every rule lives there) and stores the events. No rule lives here.

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

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self
from uuid import UUID

from stafet.application.unit_of_work import (
    CommandResult,
    InStoringTransaction,
    UnitOfWork,
    decide_and_store,
    earlier_result,
)
from stafet.application.verbs import CaseId, CommandVerbs
from stafet.domain.administration import (
    AppointFirstAdmin,
    GrantRole,
    RevokeRole,
    RoleName,
    Roles,
    require_role,
)
from stafet.domain.authorisation import INTEGRITY_ROLES, require_any_role
from stafet.domain.commands import Command, build_command, valid_actor
from stafet.domain.errors import InvalidCommand, NotAllowed
from stafet.domain.events import CaseEvent, Envelope
from stafet.domain.policy import DEFAULT_POLICY, Policy
from stafet.domain.state import CaseState
from stafet.reader import Reader
from stafet.storage.engine import SCRUB_WAIT_SECONDS
from stafet.storage.store import CASE_CACHE_SIZE, SNAPSHOT_INTERVAL, CaseStore
from stafet.storage.url import StorageConfig, parse_db_url

if TYPE_CHECKING:
    from stafet.application.batch import LineProgress
    from stafet.application.erasure import Erasure
    from stafet.application.integrity import Published, Verification
    from stafet.projections.runner import ReadModels
    from stafet.storage.access import AccessLog, Pruned
    from stafet.storage.checkpoint import Checkpoint, CheckpointKey
    from stafet.storage.verify import Digest, Report

def system_clock() -> datetime:
    """Now, in UTC: the one place the ledger reads the system's time (tests pass a clock)."""
    return datetime.now(UTC)


class Ledger(CommandVerbs):
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
        self.storage: StorageConfig = parse_db_url(db_url)
        self.policy = policy
        self.clock: Callable[[], datetime] = clock or system_clock
        self.store = CaseStore(self.storage, snapshot_interval=snapshot_interval,
                               case_cache_size=case_cache_size)
        # Operations (issue 19): the schema's version; a store newer than the code is refused.
        from stafet.storage.migrations import open_check

        try:
            open_check(self.store.sql, self.storage.pg_schema)
        except BaseException:
            self.store.close()
            raise
        self.update_read_models = (
            self.storage.backend == "sqlite" if read_models is None else read_models)
        self.read_models_url = read_models_url
        self._read_models: ReadModels | None = None
        self._access_log: AccessLog | None = None

    def close(self) -> None:
        if self._read_models is not None:
            self._read_models.close()
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- commands, in general ----------------------------------------------------------

    def execute(self, command: Command, *, expected_version: int | None = None,
                ) -> CommandResult:
        """Decide and store one command, re-deciding if another writer raced us on the case.
        ``expected_version``: refuse (``StaleVersion``) unless the case is at this version
        when the command is decided (optimistic concurrency for clients, HTTP If-Match)."""
        return decide_and_store(
            self.unit_of_work,
            lambda work: work.decide(command, expected_version),
            # Our own command may be what raced us (sent twice at once): answer as the first.
            earlier=lambda: earlier_result(self.store, command),
            gave_up="the case was changed by others at the same moment, again and again; "
                    "nothing was stored, so send the command once more",
        )

    def run(self, name: str, fields: dict[str, Any]) -> CommandResult:
        """Validate and execute a command given by name (``baton.hand``) and raw fields."""
        return self.execute(build_command(name, fields))

    def unit_of_work(self) -> UnitOfWork:
        """Several commands decided one after another and stored together, or not at all."""
        return UnitOfWork(self.store, self.policy, self.clock, self._after_commit,
                          self._write_refused, in_transaction=self._in_transaction_hook())

    def _in_transaction_hook(self) -> InStoringTransaction | None:
        """On SQLite with the read models beside the log, they are kept in the command's own
        transaction (``ReadModels.apply_in_transaction``); when that cannot be done (behind,
        an erasure) the catch-up after the commit does it."""
        if not (self.update_read_models and self.storage.backend == "sqlite"
                and self.read_models_url is None):
            return None
        from stafet.storage.recorders import SQLiteLedgerRecorder

        read_models = self.read_models  # made (its tables too) before the write lock is taken
        recorder = self.store.recorder
        assert isinstance(recorder, SQLiteLedgerRecorder)
        table = recorder.events_table_name

        def hook(connection: Any, batch: list[tuple[int, Envelope]],
                 loaded: dict[UUID, CaseState]) -> bool:
            return read_models.apply_in_transaction(connection, batch, loaded, table)
        return hook

    def _write_refused(self, command: Command, _refusal: NotAllowed) -> None:
        """A write the policy refused (a stranger to the case, a missing role) is logged."""
        case_id = getattr(command, "case_id", None)
        subject = self.store.keys.subject_ids_of([str(case_id)]).get(str(case_id)) \
            if case_id else None
        self.access_log.record_many(at=self.clock(), actor=command.actor, action="write",
                                    purpose=None, criterion=command.name,
                                    cases=[(str(case_id) if case_id else None, subject)],
                                    refused=True)

    def apply_batch(self, lines: Sequence[str], *, actor: str | None = None,
                    atomic: bool = False, progress: LineProgress | None = None,
                    key: str | None = None) -> list[CommandResult]:
        """Apply a batch of JSON lines in order (see ``stafet.application.batch``); ``key``
        (e.g. the file's path) makes applying it again store nothing twice."""
        from stafet.application.batch import apply_batch

        return apply_batch(self, lines, actor=actor, atomic=atomic, progress=progress,
                           key=key)

    def _after_commit(self) -> None:
        if not self.update_read_models:
            return
        try:
            self.read_models.catch_up()
        except Exception:  # the events are stored; the read models catch up on the next run
            logging.getLogger("stafet").exception("read models could not be brought up to date")

    # -- reads -----------------------------------------------------------------------------

    def reader(self, actor: str | None, purpose: str | None = None) -> Reader:
        """Read personal data as ``actor`` for ``purpose``: every read is access-logged."""
        return Reader(self, actor, purpose)

    def get_case(self, case_id: CaseId, version: int | None = None) -> CaseState:
        """The case as it stands now (or at a given version). Not access-logged: the ledger's
        own reads use it; people read through ``reader(actor, purpose)``."""
        return self.store.case(self.resolve_case(case_id), version)

    def get_case_as_of(self, case_id: CaseId, moment: datetime,
                       by: Literal["recorded", "business"] = "recorded",
                       last: int | None = None) -> CaseState:
        """The case exactly as the log stood at a recorded time (time travel, from the log);
        ``by="business"``: as it was in the world then, whenever it was logged (up to the
        entry at position ``last``, if given)."""
        if by == "business":
            return self.store.case_as_of_business(self.resolve_case(case_id), moment, last)
        return self.store.case_as_of(self.resolve_case(case_id), moment)

    def history(self, case_id: CaseId) -> list[CaseEvent]:
        """Every event of the case, oldest first."""
        return self.store.case_events(self.resolve_case(case_id))

    def head(self) -> int:
        """The position of the newest event in the log (0 while it is empty)."""
        return self.store.head()

    def case_ids(self, limit: int | None = 1000) -> list[UUID]:
        """Case ids in the order the cases were opened (all of them with ``limit=None``)."""
        return self.store.case_ids(limit)

    def resolve_case(self, ref: CaseId) -> UUID:
        """A case id from its full id or a unique prefix of at least 6 hex digits."""
        return self.store.resolve_case(ref)

    @property
    def read_models(self) -> ReadModels:
        """The rm_ tables and what keeps them current (catch up, rebuild, status)."""
        if self._read_models is None:
            from stafet.projections.runner import ReadModels

            self._read_models = ReadModels(
                self.store, self.policy, self.clock,
                read_url=self.read_models_url, engine=self.store.sql)
        return self._read_models

    # -- administration ----------------------------------------------------------------------

    def roles(self) -> Roles:
        """Who holds which role (admin, dpo, auditor, team_leader, feed). The policy's own read;
        people list them with ``list_roles``."""
        return self.store.roles()

    def list_roles(self, *, actor: str) -> Roles:
        """Who holds which role: for an administrator, an auditor or the DPO."""
        self._allowed(actor, "roles", lambda roles: require_any_role(
            actor, roles, INTEGRITY_ROLES, "list the roles"))
        return self.store.roles()

    def appoint_first_admin(self, actor: str) -> CommandResult:
        """Start the administration with its first administrator: possible once per ledger.
        The event records the subject pepper's fingerprint, so ``verify`` sees it replaced."""
        from stafet.storage.side_tables import current_pepper, pepper_fingerprint

        pepper = current_pepper(self.store.sql)
        return self.execute(AppointFirstAdmin(
            actor=actor, pepper_fingerprint=pepper_fingerprint(pepper) if pepper else None))

    def grant_role(self, *, actor: str, role: RoleName, to: str, org: str | None = None,
                   ) -> CommandResult:
        """An administrator grants a role (``team_leader`` for one organisation, ``org``)."""
        return self.execute(GrantRole(actor=actor, role=role, to=to, org=org))

    def revoke_role(self, *, actor: str, role: RoleName, to: str, org: str | None = None,
                    reason: str | None = None) -> CommandResult:
        return self.execute(RevokeRole(actor=actor, role=role, to=to, org=org, reason=reason))

    @property
    def access_log(self) -> AccessLog:
        if self._access_log is None:
            from stafet.storage.access import AccessLog

            self._access_log = AccessLog.for_store(self.store)
        return self._access_log

    def erase_subject(self, *, actor: str, subject_ref: str, reason: str,
                      confirm: str, wait_seconds: float = SCRUB_WAIT_SECONDS) -> Erasure:
        """Crypto-shred a citizen (``stafet.application.erasure``): the data protection officer
        alone, with the citizen's reference given twice (``confirm``). Returns their cases and
        where deleted plaintext may still lie; ``wait_seconds``: how long the scrub waits for
        other connections (an open reader) before reporting it instead."""
        from stafet.application.erasure import erase_subject

        if confirm != subject_ref:
            raise InvalidCommand("the citizen's reference and its confirmation differ; give the "
                                 "same reference twice (nothing was erased).")
        self._allowed(actor, "erase", lambda roles: require_role(
            roles, actor, "dpo", "erase a citizen's personal data"), subject_ref=subject_ref)
        return erase_subject(self, actor, subject_ref, reason, wait_seconds)

    def scrub_erased(self, *, actor: str,
                     wait_seconds: float = SCRUB_WAIT_SECONDS) -> Erasure:
        """Scrub the store (and a separate read database) again, e.g. after an erasure that
        found an open reader: the data protection officer alone. Erases nothing new."""
        from stafet.application.erasure import Erasure, scrub_stores

        self._allowed(actor, "erase", lambda roles: require_role(
            roles, actor, "dpo", "scrub the store of erased personal data"))
        return Erasure(cases=[], residues=scrub_stores(self, wait_seconds))

    def prune_access_log(self, *, actor: str, reason: str,
                         keep_days: int | None = None) -> Pruned | None:
        """Remove access-log entries past retention (the data protection officer alone); the
        prune is recorded in the event log with who, how far and why."""
        from stafet.application.integrity import prune_access_log

        self._allowed(actor, "prune", lambda roles: require_role(
            roles, actor, "dpo", "prune the access log"))
        days = self.policy.access_log_retention_days if keep_days is None else keep_days
        return prune_access_log(self, actor, days, reason)

    def verify(self, *, actor: str,
               expected: Digest | Checkpoint | Sequence[Checkpoint] | None = None,
               progress: Callable[[int], None] | None = None) -> Verification:
        """Recompute the hash chains of the event log and the access log, every snapshot from
        its events, and check the tables beside the log against it; with checkpoints kept
        elsewhere (``expected``, read with ``stafet.storage.checkpoint``), also that the log
        still holds what each of them signed. An auditor's, administrator's or DPO's act."""
        from stafet.application.integrity import verify_ledger

        self._allowed(actor, "verify", lambda roles: require_any_role(
            actor, roles, INTEGRITY_ROLES, "verify the log"))
        return verify_ledger(self, expected, progress)

    def digest(self, *, actor: str) -> tuple[Report, Checkpoint | None]:
        """What a checkpoint of the log states now, unsigned (None when the log does not
        verify); ``checkpoint`` signs and keeps one."""
        from stafet.application.integrity import take_digest

        self._allowed(actor, "digest", lambda roles: require_any_role(
            actor, roles, INTEGRITY_ROLES, "take a digest of the log"))
        return take_digest(self)

    def checkpoint(self, *, actor: str, publish: str | Path | None = None,
                   key_file: str | Path | None = None) -> Published:
        """A checkpoint of the log signed with the ledger's checkpoint key (``key_file``; the
        embedded store's default is beside its SQLite file, made on first use). With
        ``publish`` (a folder), the log is first checked against every checkpoint kept there,
        and the new one is kept beside them. For an auditor, an administrator or the DPO."""
        from dataclasses import replace

        from stafet.application.integrity import checkpoint_key, take_checkpoint

        self._allowed(actor, "checkpoint", lambda roles: require_any_role(
            actor, roles, INTEGRITY_ROLES, "take a checkpoint of the log"))
        key, created = checkpoint_key(self.storage, key_file)
        published = take_checkpoint(self, key, Path(publish) if publish is not None else None)
        return replace(published, key_created=key.path if created else None)

    def checkpoint_key(self, key_file: str | Path | None = None, *,
                       create: bool = False) -> tuple[CheckpointKey, bool]:
        """The ledger's checkpoint key (and whether it was made just now: with ``create``, or
        the embedded store's default one on first use)."""
        from stafet.application.integrity import checkpoint_key

        return checkpoint_key(self.storage, key_file, create=create)

    def _allowed(self, actor: str, action: str, check: Callable[[Roles], None],
                 subject_ref: str | None = None) -> None:
        """Ask the policy; a refusal is written to the access log, then raised."""
        who = valid_actor(actor)
        try:
            check(self.roles())
        except NotAllowed:
            self.access_log.record(at=self.clock(), actor=who, action=action, purpose=None,
                                   subject_ref=subject_ref, refused=True)
            raise
