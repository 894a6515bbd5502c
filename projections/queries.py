"""Every read of the read models (the rm_ tables), answered here and nowhere else.

Each read is one function of a SQLAlchemy connection or engine, and of the moment ``now`` it
is asked at where the answer depends on time: the caller passes the ledger's clock
(``ledger.clock()``), never the wall clock. Answers are pydantic models (plain dict rows for
exports). The entrypoints (the command line; later the HTTP API, reports and the web view)
do not call these directly: they go through ``stafet.reader.Reader``, which brings the read
models up to date, checks who reads, and writes the access log.

What the reads share, each said once:

- *due now*: ``stafet.projections.attention.due_at`` (a flag is due from ``since`` until
  ``until``);
- *held at an organisation*: ``rm_cases.holder_org``, the organisation of the case's current
  baton holder (the part of ``person@org`` after the ``@``), for the case list and attention
  alike (``held_by``);
- *consent expired*: ``stafet.domain.rules.consent_expired``, by the date in Copenhagen.

    >>> from datetime import UTC, datetime
    >>> from stafet import Ledger
    >>> from stafet.projections import queries
    >>> ledger = Ledger("sqlite:///:memory:")
    >>> case = ledger.open_case(actor="anne@jobcenter", subject_ref="borger-4711",
    ...                         subject_kind="adult", title="Forløb")
    >>> ledger.projections.catch_up() >= 0
    True
    >>> [row.holder for row in queries.case_list(ledger.projections.engine, ledger.clock(),
    ...                                          queries.CaseFilter(org="@JobCenter"))]
    ['anne@jobcenter']
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from sqlalchemy.engine import Connection, Engine
from stafet.projections.attention import due_at, rm_attention
from stafet.projections.base import metadata
from stafet.projections.caseload import rm_caseload
from stafet.projections.cases import rm_cases
from stafet.projections.consents import rm_consents
from stafet.projections.participants import rm_participants

from stafet.domain.attention import FLAGS
from stafet.domain.authorisation import OverviewScope
from stafet.domain.errors import InvalidCommand, cut
from stafet.domain.rules import consent_expired
from stafet.storage.engine import reading

Db = Connection | Engine
"""Where to read: a connection (read in its transaction) or an engine (a read-only
connection is taken for the one read)."""

CASELOAD = "caseload"
"""The attention 'flag' of coordinators over the caseload limit (rm_caseload, not rm_attention)."""


@contextlib.contextmanager
def _connected(db: Db) -> Iterator[Connection]:
    if isinstance(db, Connection):
        yield db
        return
    with reading(db) as conn:
        yield conn


# -- filters -------------------------------------------------------------------------------


def _person(value: object) -> object:
    """``Bo@SocialCenter`` and ``bo@socialcenter`` are the same person (refs are stored
    lower-case)."""
    return value.strip().lower() if isinstance(value, str) else value


def _org(value: object) -> object:
    """An organisation as ``rm_cases.holder_org`` holds it: lower-case, without the ``@``
    (``@SocialCenter`` and ``socialcenter`` are the same)."""
    return value.strip().lower().lstrip("@") if isinstance(value, str) else value


Person = Annotated[str, BeforeValidator(_person)]
Org = Annotated[str, BeforeValidator(_org)]


class _Filter(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def criterion(self) -> str:
        """The filter as the access log records it: ``--holder anne@jobcenter --org ...``
        (empty when nothing is filtered). A citizen's reference is never written in clear:
        the log entry names the citizen by their keyed hash instead."""
        return " ".join(f"--{name} {'[one citizen]' if name == 'subject' else value}"
                        for name, value in self.model_dump().items() if value)


def _known_flag(value: str | None) -> str | None:
    """A flag name of ``FLAGS``; any other is refused naming the flags there are."""
    if value is None:
        return None
    value = value.strip().lower()
    if value not in FLAGS:
        raise ValueError(f"there is no flag '{cut(value)}'; the flags are {', '.join(FLAGS)}")
    return value


FlagName = Annotated[str | None, AfterValidator(_known_flag)]


class CaseFilter(_Filter):
    """Which cases ``case_list`` lists (all of them when nothing is set)."""

    holder: Person | None = None
    """Cases this coordinator holds the baton of."""
    org: Org | None = None
    """Cases held at this organisation (``held_by``)."""
    status: Literal["open", "closed"] | None = None
    flag: FlagName = None
    """Cases with this attention flag due at ``now``."""
    subject: str | None = None
    """The cases of this citizen (their reference): the reader looks it up by its keyed hash
    (``storage.keys``) and passes the case ids; rm_cases is never searched by it."""


class AttentionFilter(_Filter):
    """Which flags ``attention`` lists (all of them when nothing is set)."""

    holder: Person | None = None
    org: Org | None = None
    flag: FlagName = None
    """Only this flag; ``caseload`` for only the coordinators over the caseload limit."""


def visible_cases(case_id: sa.ColumnElement[str],
                  scope: OverviewScope | None) -> list[sa.ColumnElement[bool]]:
    """The cases a reader sees in the overview (``OverviewScope``, the authorisation policy's
    answer): those they take part in, and those where an organisation they lead takes part.
    No scope: every case (the ledger's own reads)."""
    if scope is None:
        return []
    p = rm_participants
    who = p.c.ref == scope.actor
    if scope.orgs:
        who = sa.or_(who, p.c.org.in_(sorted(scope.orgs)))
    return [case_id.in_(sa.select(p.c.case_id).where(p.c.active, who))]


def seen_cases(db: Db, scope: OverviewScope) -> set[str]:
    """The ids of the cases ``scope`` sees (``visible_cases``), as a set."""
    with _connected(db) as conn:
        return {r[0] for r in conn.execute(
            sa.select(rm_cases.c.case_id).where(*visible_cases(rm_cases.c.case_id, scope)))}


def taking_part(db: Db, actor: str) -> set[str]:
    """The cases the actor takes part in now (an active participant)."""
    p = rm_participants
    with _connected(db) as conn:
        return {r[0] for r in conn.execute(
            sa.select(p.c.case_id).where(p.c.ref == actor, p.c.active))}


def _holders_seen(scope: OverviewScope | None) -> list[sa.ColumnElement[bool]]:
    """A coordinator's caseload is seen by themselves and by the leaders of their organisation."""
    if scope is None:
        return []
    c = rm_caseload.c
    seen = c.holder == scope.actor
    if scope.orgs:
        seen = sa.or_(seen, c.holder_org.in_(sorted(scope.orgs)))
    return [seen]


def held_by(holder: str | None = None, org: str | None = None) -> list[sa.ColumnElement[bool]]:
    """The conditions on rm_cases for cases held by this person and at this organisation.

    The one holder and organisation filter: the case list applies it to rm_cases, attention
    to the cases its flags are about. The organisation is ``holder_org``, the part after the
    ``@`` of the current holder (during an exchange the incoming holder), as the projection
    stored it; it matches exactly (``uu_odense`` is not ``uu-odense``)."""
    where: list[sa.ColumnElement[bool]] = []
    if holder:
        where.append(rm_cases.c.holder == holder)
    if org:
        where.append(rm_cases.c.holder_org == org)
    return where


# -- answers -------------------------------------------------------------------------------


class _Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CaseRow(_Row):
    """One row of rm_cases (docs/read-models.md), its columns in the table's order."""

    case_id: str
    subject_ref: str
    subject_kind: str
    title: str
    status: Literal["open", "closed"]
    phase: int
    holder: str
    holder_org: str
    holder_temporary: bool
    holder_since: datetime
    exchange_state: Literal["offered", "exchange"] | None
    exchange_from: str | None
    exchange_to: str | None
    opened_at: datetime
    closed_at: datetime | None
    plan_accepted_at: datetime | None
    participants_active: int
    goals: int
    efforts: int
    agreements_open: int
    agreements_total: int
    meetings_held: int
    consents_given: int
    consents_revoked: int
    version: int
    last_event_at: datetime


class FlagRow(_Row):
    """One attention flag (a row of rm_attention)."""

    case_id: str
    flag: str
    key: str
    holder: str
    since: datetime
    until: datetime | None
    detail: str


class CaseloadRow(_Row):
    """One coordinator's caseload (a row of rm_caseload)."""

    holder: str
    holder_org: str
    active_cases: int
    temporary_cases: int
    over_limit: bool


class Attention(_Row):
    """What needs attention at a moment: the flags due, and the coordinators over the limit."""

    flags: list[FlagRow]
    caseload_over_limit: list[CaseloadRow]

    def case_ids(self) -> list[str]:
        """The cases the flags are about, each once, sorted."""
        return sorted({f.case_id for f in self.flags})


class Count(_Row):
    """How many flags one holder (or one flag name) has."""

    name: str
    flags: int
    cases: int


class AttentionSummary(_Row):
    """The attention list counted: per holder, per flag (the most first), and in all."""

    per_holder: list[Count]
    per_flag: list[Count]
    flags: int
    cases: int
    caseload_over_limit: int


def summarise(answer: Attention) -> AttentionSummary:
    """Count an attention answer per holder and per flag (coordinators over the caseload
    limit count under the flag ``caseload``)."""
    def counted(key: str) -> list[Count]:
        groups: dict[str, list[FlagRow]] = {}
        for f in answer.flags:
            groups.setdefault(getattr(f, key), []).append(f)
        rows = [Count(name=name, flags=len(fs), cases=len({f.case_id for f in fs}))
                for name, fs in groups.items()]
        return sorted(rows, key=lambda r: (-r.flags, r.name))

    per_flag = counted("flag")
    over = answer.caseload_over_limit
    if over:
        per_flag.append(Count(name=CASELOAD, flags=len(over), cases=0))
    return AttentionSummary(per_holder=counted("holder"), per_flag=per_flag,
                            flags=len(answer.flags), cases=len(answer.case_ids()),
                            caseload_over_limit=len(over))


ConsentStatus = Literal["active", "expired", "revoked"]


class ConsentRow(_Row):
    """A consent (a row of rm_consents) with its status at the moment asked: 'revoked' as
    the log says, else 'expired' once past ``expires_on`` in Copenhagen, else 'active'."""

    case_id: str
    consent_id: str
    given_by: str
    purpose: str
    recipients: str
    categories: str
    given_at: datetime
    expires_on: date | None
    status: ConsentStatus
    revoked_at: datetime | None


@dataclass(frozen=True)
class TableExport:
    """A read model handed out whole: its columns (also for an empty CSV) and its rows, in
    primary-key order, read as they are iterated."""

    name: str
    columns: list[str]
    rows: Iterator[dict[str, Any]]


# -- the reads -------------------------------------------------------------------------------


def case_list(db: Db, now: datetime, where: CaseFilter | None = None,
              scope: OverviewScope | None = None,
              case_ids: set[str] | None = None) -> list[CaseRow]:
    """Cases from rm_cases, oldest first, filtered by holder, organisation, status and an
    attention flag due at ``now``, and to ``case_ids`` if given (a citizen's cases); only
    those ``scope`` sees."""
    where = where or CaseFilter()
    t = rm_cases
    query = sa.select(t).where(*held_by(where.holder, where.org),
                               *visible_cases(t.c.case_id, scope)).order_by(t.c.opened_at,
                                                                            t.c.case_id)
    if case_ids is not None:
        query = query.where(t.c.case_id.in_(sorted(case_ids)))
    if where.status:
        query = query.where(t.c.status == where.status)
    if where.flag:
        a = rm_attention
        query = query.where(t.c.case_id.in_(
            sa.select(a.c.case_id).where(a.c.flag == where.flag, due_at(now))))
    with _connected(db) as conn:
        return [CaseRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def attention(db: Db, now: datetime, where: AttentionFilter | None = None,
              scope: OverviewScope | None = None) -> Attention:
    """The flags due at ``now`` (oldest first), filtered by the holder and organisation of the
    case and by flag; and the coordinators over the caseload limit (unless another flag is
    asked for). Only the cases and coordinators ``scope`` sees."""
    where = where or AttentionFilter()
    t = rm_attention
    query = sa.select(t).where(due_at(now), *visible_cases(t.c.case_id, scope))
    held = held_by(where.holder, where.org)
    if held:
        query = query.where(t.c.case_id.in_(sa.select(rm_cases.c.case_id).where(*held)))
    if where.flag:
        query = query.where(t.c.flag == where.flag)
    query = query.order_by(t.c.since, t.c.case_id, t.c.flag, t.c.key)
    with _connected(db) as conn:
        flags = [FlagRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]
        over = [] if where.flag not in (None, CASELOAD) else _caseload(
            conn, rm_caseload.c.over_limit, *_holders_seen(scope))
    return Attention(flags=flags, caseload_over_limit=over)


CaseloadOrder = Literal["load", "name"]


def caseload(db: Db, scope: OverviewScope | None = None, org: str | None = None,
             sort: CaseloadOrder = "load") -> list[CaseloadRow]:
    """Active cases per coordinator (the coordinators ``scope`` sees), of one organisation
    if ``org`` is given (``@Org`` and ``org`` alike): the most first (``load``) or by name."""
    where = list(_holders_seen(scope))
    if org:
        where.append(rm_caseload.c.holder_org == _org(org))
    with _connected(db) as conn:
        return _caseload(conn, *where, sort=sort)


def _caseload(conn: Connection, *where: sa.ColumnElement[bool],
              sort: CaseloadOrder = "load") -> list[CaseloadRow]:
    c = rm_caseload.c
    order = (c.active_cases.desc(), c.holder) if sort == "load" else (c.holder,)
    query = sa.select(rm_caseload).where(*where).order_by(*order)
    return [CaseloadRow.model_validate(dict(r)) for r in conn.execute(query).mappings()]


def consents(db: Db, now: datetime, case_id: str | None = None,
             case_ids: set[str] | None = None) -> list[ConsentRow]:
    """Consents (of one case, of these cases, or all), with their status at ``now``: expiry is
    judged by ``consent_expired``, the date in Copenhagen, never by the database's date."""
    t = rm_consents
    query = sa.select(t).order_by(t.c.case_id, t.c.given_at, t.c.consent_id)
    if case_ids is not None:
        query = query.where(t.c.case_id.in_(sorted(case_ids)))
    if case_id is not None:
        query = query.where(t.c.case_id == case_id)
    with _connected(db) as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    return [ConsentRow.model_validate({**r, "status": consent_status(r, now)}) for r in rows]


def consent_status(row: dict[str, Any], now: datetime) -> ConsentStatus:
    """A row of rm_consents judged at ``now``."""
    if row["status"] == "revoked":
        return "revoked"
    return "expired" if consent_expired(row["expires_on"], now) else "active"


def read_model(name: str) -> sa.Table:
    """The rm_ table of this name; any other name is refused in one sentence."""
    if name not in metadata.tables or not name.startswith("rm_"):
        known = ", ".join(sorted(t for t in metadata.tables if t.startswith("rm_")))
        raise InvalidCommand(f"there is no read model '{cut(name)}'; there are {known}.")
    return metadata.tables[name]


def export_table(db: Db, name: str, scope: OverviewScope | None = None) -> TableExport:
    """A read model as plain dict rows, in primary-key order (streamed: the rows are read as
    they are iterated, in a connection of their own when given an engine). With a scope, only
    the rows of the cases its reader takes part in (rm_caseload: the coordinators they see)."""
    table = read_model(name)
    return TableExport(name=table.name, columns=[c.name for c in table.columns],
                       rows=_rows(db, sa.select(table).where(*_exported(table, scope))
                                  .order_by(*table.primary_key)))


def _exported(table: sa.Table, scope: OverviewScope | None) -> list[sa.ColumnElement[bool]]:
    if scope is None:
        return []
    if "case_id" in table.c:
        return visible_cases(table.c.case_id, OverviewScope(scope.actor, frozenset()))
    if table is rm_caseload:
        return _holders_seen(scope)
    return [sa.false()]  # a table about no case and no coordinator: nothing to hand out


def _rows(db: Db, query: sa.Select[Any]) -> Iterator[dict[str, Any]]:
    with _connected(db) as conn:
        yield from (dict(r) for r in conn.execute(query).mappings())


def table_case_ids(db: Db, name: str, scope: OverviewScope | None = None) -> list[str]:
    """The cases a read model's rows are about (none for a table without ``case_id``, such
    as rm_caseload): whom an export of it concerns, for the access log."""
    table = read_model(name)
    if "case_id" not in table.c:
        return []
    with _connected(db) as conn:
        return [r[0] for r in conn.execute(sa.select(table.c.case_id).where(
            *_exported(table, scope)).distinct())]
