"""The errors the domain raises. Each carries one sentence a person can act on."""

from __future__ import annotations

SHOWN = 40  # characters of someone's input a message quotes (a case id, a flag, a line)


def cut(text: object, limit: int = SHOWN) -> str:
    """Input quoted in a message, cut to ``limit`` characters (a 300,000-character case id is
    not echoed back; the message stays one short line)."""
    shown = str(text)
    if len(shown) > limit:
        shown = shown[:limit] + f"… ({len(shown):,} characters)"
    # Control characters (a line break, an escape) are shown, not obeyed: one line stays one.
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in shown)


class StafetError(Exception):
    """Base of every error stafet raises on purpose (never a bug)."""

    code: str = "error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return self.message


class RuleViolation(StafetError):
    """A command was refused by a domain rule; nothing was stored."""

    code = "rule"


class InvalidCommand(StafetError):
    """A command's fields did not validate; nothing was stored. ``field``: the (dotted) field
    that failed, when one did."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 ) -> None:
        super().__init__(message, code=code)
        self.field = field


class CaseNotFound(StafetError):
    """No case has the given id (or prefix)."""

    code = "not_found"


class ConcurrencyConflict(StafetError):
    """Someone else changed the case at the same moment, and retrying did not help."""

    code = "conflict"


class StaleVersion(ConcurrencyConflict):
    """The case is no longer at the version the client decided on (HTTP If-Match): nothing
    was stored."""

    code = "stale_version"


class NotAllowed(RuleViolation):
    """Refused by the authorisation policy: this actor may not do or read this. Nothing was
    stored or shown; the refusal itself is access-logged."""

    code = "not_allowed"
