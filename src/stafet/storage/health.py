"""What ``stafet doctor`` and the service's ``/readyz`` check: quick, read-only looks at a
store's health, each one line with ok / warn / fail. None reads personal data, and none walks
the whole log (that is ``stafet verify``'s work, nightly)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import sqlalchemy as sa

from stafet.domain.administration import ADMINISTRATION_ID
from stafet.storage.engine import reading
from stafet.storage.url import StorageConfig

if TYPE_CHECKING:
    from stafet.ledger import Ledger

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    message: str
    value: Any = None  # a number a machine may want (lag, age in hours, version)

    def as_json(self) -> dict[str, Any]:
        return {"check": self.name, "status": self.status, "message": self.message,
                "value": self.value}


@dataclass(frozen=True)
class Limits:
    max_lag: int = 1000  # events the read models may be behind before a warning
    max_checkpoint_age_hours: float = 26.0  # nightly, with slack
    now: datetime | None = None


def schema(ledger: Ledger) -> Check:
    from stafet.storage.migrations import state

    found = state(ledger.store.sql)
    if found.newer:
        return Check("schema", FAIL, f"version {found.stored}, newer than this stafet "
                     f"({found.current}): run the release that upgraded it", found.stored)
    if found.pending:
        return Check("schema", WARN, f"version {found.stored} of {found.current}: run "
                     "stafet upgrade", found.stored)
    return Check("schema", OK, f"version {found.stored} (current)", found.stored)


def projections(ledger: Ledger, limits: Limits) -> Check:
    statuses = ledger.read_models.status()
    lag = max((s.lag for s in statuses), default=0)
    changed = [s.name for s in statuses if s.stored_version not in (None, s.version)]
    if changed:
        return Check("projections", WARN, f"{', '.join(changed)} changed version and will be "
                     "rebuilt from the log (stafet projections rebuild)", lag)
    if lag > limits.max_lag:
        return Check("projections", WARN, f"the read models are {lag:,} events behind the log "
                     f"(more than {limits.max_lag:,}): is stafet projections run running?", lag)
    return Check("projections", OK, f"{lag:,} events behind the log", lag)


def checkpoints(ledger: Ledger, folder: Path | None, limits: Limits) -> Check:
    from stafet.storage.checkpoint import CheckpointRefused, read_series

    if folder is None:
        return Check("checkpoint", WARN, "no folder of checkpoints given (--checkpoints or "
                     "STAFET_CHECKPOINTS): a shortened or rewritten log would go unseen")
    if not folder.is_dir() or not any(folder.glob("*.checkpoint")):
        return Check("checkpoint", WARN, f"{folder} holds no checkpoint yet: stafet checkpoint "
                     f"--publish {folder}")
    try:
        _, series = read_series(folder)
    except CheckpointRefused as refused:
        return Check("checkpoint", FAIL, str(refused))
    dated = [c for c in series if c.taken_at is not None]
    if not dated:
        return Check("checkpoint", WARN, f"{folder} holds no checkpoint yet: stafet checkpoint "
                     f"--publish {folder}")
    newest = max(dated, key=lambda c: c.taken_at or datetime.min)
    largest = max(series, key=lambda c: c.size)
    head = _count(ledger)
    if largest.size > head:
        return Check("checkpoint", FAIL, f"the log holds {head:,} events but {largest.label} "
                     "counted more: it was shortened (or restored without stafet restore); run "
                     "stafet verify --checkpoints", largest.size)
    now = limits.now or datetime.now(UTC)
    assert newest.taken_at is not None
    hours = (now - newest.taken_at).total_seconds() / 3600
    if hours > limits.max_checkpoint_age_hours:
        return Check("checkpoint", WARN, f"the newest checkpoint is {hours:,.0f} hours old "
                     f"(more than {limits.max_checkpoint_age_hours:g}): is the nightly "
                     "stafet checkpoint --publish running?", round(hours, 2))
    return Check("checkpoint", OK, f"the newest is {hours:,.1f} hours old, at "
                 f"{newest.size:,} events", round(hours, 2))


def _count(ledger: Ledger) -> int:
    with reading(ledger.store.sql) as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM stafet_chain")).scalar() or 0)


def access_retention(ledger: Ledger, limits: Limits) -> Check:
    from stafet.storage.access import stafet_access_log

    days = ledger.policy.access_log_retention_days
    now = limits.now or datetime.now(UTC)
    cutoff = now - timedelta(days=days)
    with reading(ledger.store.sql) as conn:
        due = int(conn.execute(sa.select(sa.func.count()).where(
            stafet_access_log.c.at < cutoff)).scalar() or 0)
    if due:
        return Check("access-log", WARN, f"{due:,} entries are older than the retention of "
                     f"{days} days: stafet access-log prune is due", due)
    return Check("access-log", OK, f"no entry older than the retention of {days} days", 0)


def keys(ledger: Ledger) -> Check:
    """Every case in the log tied to a citizen whose key is there (or recorded erased); no key
    deleted without its ties marked erased; the subject pepper in place. (``verify`` also opens
    every case's data with its key; this only compares the tables.)"""
    from stafet.storage.keys import stafet_case_subjects, stafet_secrets, stafet_subject_keys

    t, k = stafet_case_subjects, stafet_subject_keys
    with reading(ledger.store.sql) as conn:
        cases = {UUID(str(r[0])) for r in conn.execute(sa.text(
            "SELECT DISTINCT case_id FROM stafet_chain"))} - {ADMINISTRATION_ID}
        ties = {UUID(str(r[0])): (str(r[1]), r[2]) for r in conn.execute(
            sa.select(t.c.case_id, t.c.subject_id, t.c.erased_at))}
        key_rows = {str(r[0]): r[1] is not None for r in conn.execute(
            sa.select(k.c.subject_id, k.c.key))}
        pepper = conn.execute(sa.select(stafet_secrets.c.name).where(
            stafet_secrets.c.name == "subject_pepper")).first()
    problems = []
    if pepper is None:
        problems.append("the subject pepper is missing from stafet_secrets")
    untied = sorted(str(c) for c in cases if c not in ties)
    if untied:
        problems.append(f"{len(untied)} case(s) have no tie to a citizen (e.g. {untied[0]})")
    keyless = sorted(str(c) for c, (s, erased) in ties.items()
                     if c in cases and erased is None and not key_rows.get(s, False))
    if keyless:
        problems.append(f"{len(keyless)} case(s) are not erased but their citizen's key is gone "
                        f"(e.g. {keyless[0]}): an interrupted erasure (run stafet erase again) "
                        "or a key deleted behind the ledger's back")
    if problems:
        return Check("keys", FAIL, "; ".join(problems))
    return Check("keys", OK, f"{len(cases):,} case(s) tied to their citizens' keys", len(cases))


def erasure_register(ledger: Ledger, folder: Path | None) -> Check:
    """Every erasure in the register is in force: none of its cases here is readable again (a
    restore that bypassed stafet restore would bring keys back)."""
    from stafet.storage import erasure_register as register
    from stafet.storage.keys import stafet_case_subjects, stafet_subject_keys

    paths = register.register_paths(ledger.storage, folder)
    if not paths:
        return Check("erasures", WARN, "no erasure register is kept (set STAFET_CHECKPOINTS): a "
                     "restore could not re-apply erasures")
    try:
        erasures = register.read(paths)
    except register.RegisterUnreadable as unreadable:
        return Check("erasures", FAIL, str(unreadable))
    t, k = stafet_case_subjects, stafet_subject_keys
    undone = []
    with reading(ledger.store.sql) as conn:
        for erasure in erasures:
            for case_id in erasure.cases:
                row = conn.execute(sa.select(t.c.erased_at, k.c.key).join(
                    k, k.c.subject_id == t.c.subject_id).where(
                    t.c.case_id == str(case_id))).first()
                if row is not None and row[0] is None and row[1] is not None:
                    undone.append(case_id)
    if undone:
        return Check("erasures", FAIL, f"{len(undone)} case(s) erased on record are readable "
                     f"again (e.g. {undone[0]}): the store was restored without stafet restore; "
                     "restore it again with stafet restore, which re-applies the erasures",
                     len(undone))
    return Check("erasures", OK, f"{len(erasures)} registered erasure(s) in force",
                 len(erasures))


def run_all(storage: StorageConfig, open_ledger: Callable[[], Ledger], folder: Path | None,
            limits: Limits) -> list[Check]:
    """Every check; a store that cannot be opened fails the first (and only the schema's
    version is looked at then: a store newer than the code is refused when opened)."""
    try:
        ledger = open_ledger()
    except Exception as error:
        return [Check("store", FAIL, _sentence(error)), *_schema_alone(storage)]
    try:
        found = [Check("store", OK, f"{ledger.storage.display_url} reachable, "
                       f"{ledger.head():,} events")]
        checks: list[tuple[str, Callable[[], Check]]] = [
            ("schema", lambda: schema(ledger)),
            ("projections", lambda: projections(ledger, limits)),
            ("checkpoint", lambda: checkpoints(ledger, folder, limits)),
            ("access-log", lambda: access_retention(ledger, limits)),
            ("keys", lambda: keys(ledger)),
            ("erasures", lambda: erasure_register(ledger, folder))]
        for name, check in checks:
            try:
                found.append(check())
            except Exception as error:  # one broken table fails its line, not the doctor
                found.append(Check(name, FAIL, _sentence(error)))
        return found
    finally:
        ledger.close()


def _schema_alone(storage: StorageConfig) -> list[Check]:
    from stafet.storage.engine import sql_engine
    from stafet.storage.migrations import state

    if storage.sqlite_path is not None and not Path(storage.sqlite_path).is_file():
        return []
    engine = sql_engine(storage)
    try:
        found = state(engine)
    except Exception:
        return []
    finally:
        engine.dispose()
    if found.newer:
        return [Check("schema", FAIL, f"version {found.stored}, newer than this stafet "
                      f"({found.current}): run the release that upgraded it", found.stored)]
    if found.pending:
        return [Check("schema", WARN, f"version {found.stored} of {found.current}: run "
                      "stafet upgrade", found.stored)]
    return []


def _sentence(error: BaseException) -> str:
    from stafet.domain.errors import StafetError

    if isinstance(error, StafetError):
        return error.message
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else type(error).__name__
