"""stafet: an event-sourced coordination ledger (stafetlog) for Danish municipal social work."""

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
