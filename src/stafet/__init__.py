"""stafet: an event-sourced coordination ledger (stafetlog) for Danish municipal social work."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stafet.application.unit_of_work import CommandResult
    from stafet.domain.errors import (
        CaseNotFound,
        ConcurrencyConflict,
        InvalidCommand,
        RuleViolation,
        StafetError,
    )
    from stafet.domain.policy import Policy
    from stafet.ledger import Ledger

# Where each name lives. Imported on first use (PEP 562), so that importing a light module
# (``stafet.cli``, ``stafet.domain.errors``) does not import the ledger and all beneath it.
_WHERE = {
    "CaseNotFound": "stafet.domain.errors",
    "CommandResult": "stafet.application.unit_of_work",
    "ConcurrencyConflict": "stafet.domain.errors",
    "InvalidCommand": "stafet.domain.errors",
    "Ledger": "stafet.ledger",
    "Policy": "stafet.domain.policy",
    "RuleViolation": "stafet.domain.errors",
    "StafetError": "stafet.domain.errors",
}

__all__ = [
    "CaseNotFound",
    "CommandResult",
    "ConcurrencyConflict",
    "InvalidCommand",
    "Ledger",
    "Policy",
    "RuleViolation",
    "StafetError",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'stafet' has no attribute {name!r}")
    value = getattr(importlib.import_module(_WHERE[name]), name)
    globals()[name] = value
    return value
