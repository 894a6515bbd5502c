"""Fixtures the rule tests share: a ledger on a clock the test moves by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stafet import Ledger
from tests.rules._plan_support import MONDAY, Clock


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def clocked_ledger(db_url: str, clock: Clock) -> Iterator[Ledger]:
    """A ledger on the test's own clock (starting Monday 2 March 2026, 10:00 in Copenhagen)."""
    with Ledger(db_url, clock=clock) as the_ledger:
        yield the_ledger
