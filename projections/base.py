"""What a projection is: SQL tables kept as a fold of the log.

A projection says which event types it reads and how one event, with the case's state
just before and just after it, changes its rows. The runner feeds it every event once,
in log order, and records its position in the same transaction as its rows.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from stafet.domain.events import CaseEvent
from stafet.domain.policy import Policy
from stafet.domain.state import CaseState
from stafet.storage.engine import UTCDateTime as UTCDateTime  # re-exported for the tables

metadata = sa.MetaData()


class Projection:
    name: ClassVar[str]
    tables: ClassVar[tuple[sa.Table, ...]]
    handles: ClassVar[frozenset[type[CaseEvent]] | None] = None  # None: every event
    version: ClassVar[int] = 1  # bump when the rows change shape or meaning: forces a rebuild

    def __init__(self, policy: Policy) -> None:
        self.policy = policy

    def wants(self, event: CaseEvent) -> bool:
        return self.handles is None or type(event) in self.handles

    def apply(
        self,
        rows: Rows,
        event: CaseEvent,
        before: CaseState | None,
        after: CaseState,
        notification_id: int,
    ) -> None:
        raise NotImplementedError


Key = tuple[Any, ...]
Row = dict[str, Any]
CaseRows = list[Row]


class Rows:
    """The row changes of one batch, written together at the end of the batch.

    Projections say what the rows should now be; within a batch the last word on a row
    wins, and ``flush`` writes everything with one statement per table and kind of change.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._put: dict[sa.Table, dict[Key, Row | Callable[[], Row] | None]] = {}
        self._case_rows: dict[sa.Table, dict[str, CaseRows | Callable[[], CaseRows]]] = {}
        self._appended: dict[sa.Table, list[dict[str, Any]]] = {}

    @staticmethod
    def key(table: sa.Table, row: dict[str, Any]) -> Key:
        return tuple(row[c.name] for c in table.primary_key.columns)

    def put(self, table: sa.Table, row: Row) -> None:
        """This row, by its primary key, is now so (inserted or replaced)."""
        self._put.setdefault(table, {})[self.key(table, row)] = row

    def put_later(self, table: sa.Table, key: Key, make: Callable[[], Row]) -> None:
        """Like ``put``, but the row is made at the end of the batch, once, from the last word:
        for rows that only the case's latest state decides (cheaper on a rebuild)."""
        self._put.setdefault(table, {})[key] = make

    def delete(self, table: sa.Table, key: Key) -> None:
        self._put.setdefault(table, {})[key] = None

    def get(self, table: sa.Table, key: Key) -> dict[str, Any] | None:
        """The row as it stands, counting this batch's changes."""
        pending = self._put.get(table, {})
        if key in pending:
            pending_row = pending[key]
            return pending_row() if callable(pending_row) else pending_row
        where = [c == v for c, v in zip(table.primary_key.columns, key, strict=True)]
        stored = self.conn.execute(sa.select(table).where(*where)).mappings().first()
        return dict(stored) if stored else None

    def replace_case(self, table: sa.Table, case_id: str,
                     rows: CaseRows | Callable[[], CaseRows]) -> None:
        """All of this case's rows in the table are now exactly these (or what the callable
        makes at the end of the batch, once: the case's latest state decides)."""
        self._case_rows.setdefault(table, {})[case_id] = rows

    def append(self, table: sa.Table, row: dict[str, Any]) -> None:
        """A new row that no other change in the batch touches (an audit line)."""
        self._appended.setdefault(table, []).append(row)

    def flush(self) -> None:
        for table, by_case in self._case_rows.items():
            self.conn.execute(
                _delete_case(table),
                [{"_case_id": case_id} for case_id in by_case],
            )
            fresh = [row for rows in by_case.values()
                     for row in (rows() if callable(rows) else rows)]
            if fresh:
                self.conn.execute(table.insert(), fresh)
        for table, changes in self._put.items():
            columns = list(table.primary_key.columns)
            gone = [key for key, row in changes.items() if row is None]
            if gone:
                self.conn.execute(
                    _delete_key(table),
                    [{f"_k_{c.name}": v for c, v in zip(columns, key, strict=True)}
                     for key in gone],
                )
            fresh = [row() if callable(row) else row for row in changes.values()
                     if row is not None]
            if fresh:
                self.conn.execute(_upsert(table, self.conn.dialect.name), fresh)
        for table, appended in self._appended.items():
            self.conn.execute(table.insert(), appended)
        self._put.clear()
        self._case_rows.clear()
        self._appended.clear()


# The statements are made once a table, not once a batch: SQLAlchemy then reuses their cache
# keys and compiled forms (per batch of one command that work was most of a flush).


@functools.cache
def _delete_case(table: sa.Table) -> sa.Delete:
    return table.delete().where(table.c.case_id == sa.bindparam("_case_id"))


@functools.cache
def _delete_key(table: sa.Table) -> sa.Delete:
    return table.delete().where(
        *(c == sa.bindparam(f"_k_{c.name}") for c in table.primary_key.columns))


@functools.cache
def _upsert(table: sa.Table, dialect: str) -> sa.Insert:
    """INSERT, or UPDATE where the key is there: one statement a table per batch (a round trip
    each counts when a runner follows the log a few events at a time)."""
    # Only this backend's dialect: PostgreSQL's is a large import a SQLite process never needs.
    keys = [c.name for c in table.primary_key.columns]
    others = [c.name for c in table.columns if c.name not in keys]
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg = pg_insert(table)
        return pg.on_conflict_do_update(index_elements=keys,
                                        set_={name: pg.excluded[name] for name in others})
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    lite = sqlite_insert(table)
    return lite.on_conflict_do_update(index_elements=keys,
                                      set_={name: lite.excluded[name] for name in others})


def org(ref: str | None) -> str | None:
    return ref.split("@", 1)[1] if ref and "@" in ref else None


def event_types(*types: type[CaseEvent]) -> frozenset[type[CaseEvent]]:
    return frozenset(types)


def as_list(values: Iterable[str]) -> str:
    return ", ".join(values)
