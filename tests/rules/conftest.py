"""Fixtures the rule tests share: the domain in memory (no database), on a clock the test
moves by hand when it needs one.

``ledger`` here shadows the real-storage ``ledger`` of tests/conftest.py: a rule is decided by
the pure domain, the same on every backend, so it is tested once, in memory. What storage
decides is tested on both backends in tests/integration.
"""

from __future__ import annotations

import pytest

from tests.rules._domain import DomainLedger
from tests.rules._plan_support import MONDAY, Clock


@pytest.fixture
def ledger() -> DomainLedger:
    return DomainLedger()


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def clocked_ledger(clock: Clock) -> DomainLedger:
    """The domain on the test's own clock (starting Monday 2 March 2026, 10:00 in Copenhagen)."""
    return DomainLedger(clock=clock)
