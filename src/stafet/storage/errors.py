"""What a failure of the database looks like from above, for every interface (CLI, HTTP)."""

from __future__ import annotations


def database_unavailable(error: BaseException) -> bool:
    """The PostgreSQL server refused, lost or shut the connection, or a lock was not granted in
    time: a temporary failure, not a bug. (A bad SQLite path is no such thing.)"""
    import psycopg

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        if "database is locked" in str(seen) or "lock timeout" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
