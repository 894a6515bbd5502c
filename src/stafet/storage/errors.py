"""What a failure of the database looks like from above, for every interface (CLI, HTTP)."""

from __future__ import annotations

from stafet.storage.failures import StoreUnavailable, explain


def database_unavailable(error: BaseException) -> bool:
    """The database cannot be reached or used just now (a temporary failure, not a bug):
    ``stafet.storage.failures`` decides, for every interface alike."""
    return isinstance(explain(error), StoreUnavailable)
