"""Settings that are policy, not law: each municipality may choose (SPEC §6, §7, §9)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stafet.domain.values import SubjectKind

YouthRule = Literal["ds", "barnets_lov_110"]


class Policy(BaseModel):
    """What is municipal policy rather than law. Every field has a default; a policy file
    (JSON, e.g. ``{"caseload_limit": 25}``) overrides some of them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    youth_consent_rule: YouthRule = "ds"
    """'ds': a youth of 15-17 may consent in their own right (DS proposal, the default).
    'barnets_lov_110': the custody holder must consent, and a youth of 16 or over too."""

    consent_required_to_join: frozenset[SubjectKind] = frozenset({"child", "family"})
    """Cases of these kinds admit a professional only under an active consent covering them."""

    late_agenda_days: int = Field(default=2, ge=0)
    """Agenda changes closer than this to the meeting are allowed but flagged as late."""

    future_skew_minutes: int = Field(default=5, ge=0, le=24 * 60)
    """How far after now a command's business time (occurred_at) may lie: clocks differ a
    little; a log tells of what has happened, so anything later is refused."""

    temporary_holder_days: int = Field(default=7, ge=1)
    """A temporary holder should hand over to a permanent one within this many days."""

    # Attention flags (SPEC §9)
    first_meeting_working_days: int = Field(default=5, ge=1)
    """A coordinating meeting should be held within this many working days of opening."""
    follow_up_interval_days: int = Field(default=90, ge=1)
    """The longest time between held meetings before a follow-up is overdue."""
    exchange_open_days: int = Field(default=5, ge=1)
    """How long an exchange may stay open before the outgoing holder should release."""
    consent_expiry_warning_days: int = Field(default=14, ge=0)
    """Warn this many days before a consent expires."""
    custody_holders_expected: int = Field(default=2, ge=1, le=2)
    """How many custody holders a child's consent is expected from (joint custody is the rule):
    a consent from fewer is flagged (``consent_one_custody_holder``) until it is given anew.
    1 where sole custody is the norm of the cases, which turns the flag off."""
    caseload_limit: int = Field(default=30, ge=1)
    """Active cases a coordinator should hold at most (DS recommends about 30)."""
    short_notice_days: int = Field(default=2, ge=0)
    """A meeting convened less than this many days before it starts is flagged: the citizen
    and the others had little time to prepare."""
    meeting_unrecorded_days: int = Field(default=1, ge=0)
    """A meeting neither held nor cancelled this many days after it started is flagged."""
    minutes_sent_days: int = Field(default=5, ge=0)
    """The minutes of a held meeting should be sent within this many days of it."""

    # Access to personal data
    purpose_required: bool = True
    """Every read of a case's personal data must say why (a purpose), for the access log."""
    purpose_min_letters: int = Field(default=5, ge=1)
    """A purpose is words, not a dot: at least this many letters."""
    purposes: tuple[str, ...] = ()
    """If given, the only purposes a read may name (compared case-blind)."""
    access_log_retention_days: int = Field(default=183, ge=1)
    """How long access-log entries are kept (about 6 months) before `access-log prune`."""


DEFAULT_POLICY = Policy()
