"""Attention flags (SPEC §9): what in a case needs someone's attention, and from when.

A flag is a pure function of the case state and the policy. It carries the moment it
becomes due (``since``) and, for some, when it stops (``until``), so the same flags hold
whatever day they are computed on; a reader compares them with the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from stafet.domain.calendar import add_working_days, day
from stafet.domain.policy import Policy
from stafet.domain.state import CaseState
from stafet.domain.values import COPENHAGEN, local_date


@dataclass(frozen=True)
class Flag:
    flag: str
    key: str
    since: datetime
    detail: str
    until: datetime | None = None


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=COPENHAGEN)


def attention_flags(s: CaseState, policy: Policy) -> list[Flag]:
    if s.status != "open":
        return []
    flags: list[Flag] = []
    baton = s.baton
    if baton.temporary:
        flags.append(Flag(
            "temporary_holder", "", baton.since + timedelta(days=policy.temporary_holder_days),
            f"{baton.holder} has held the baton only temporarily for more than "
            f"{policy.temporary_holder_days} days",
        ))
    held = [m for m in s.meetings.values() if m.status == "held"]
    if not held:
        due = add_working_days(local_date(s.opened_at), policy.first_meeting_working_days)
        flags.append(Flag(
            "no_coordinating_meeting", "", start_of(due + timedelta(days=1)),
            f"no coordinating meeting held within {policy.first_meeting_working_days} working "
            "days of opening",
        ))
    else:
        last = max(m.starts_at for m in held)
        flags.append(Flag(
            "no_follow_up", "", last + timedelta(days=policy.follow_up_interval_days),
            f"no meeting for more than {policy.follow_up_interval_days} days",
        ))
    for a in s.open_agreements():
        flags.append(Flag(
            "agreement_overdue", a.agreement_id, start_of(a.due_on + timedelta(days=1)),
            f"agreement {a.agreement_id} ({a.responsible}) was due {day(a.due_on)}",
        ))
    if baton.stage == "exchange":
        flags.append(Flag(
            "exchange_open", "", baton.since + timedelta(days=policy.exchange_open_days),
            f"{baton.holder} grabbed the baton but {baton.outgoing} has not released it",
        ))
    flags += _one_custody_holder(s, policy)
    for c in s.consents.values():
        if c.revoked_at is None and c.expires_on is not None:
            flags.append(Flag(
                "consent_expiring", c.consent_id,
                start_of(c.expires_on - timedelta(days=policy.consent_expiry_warning_days)),
                f"consent {c.consent_id} ({c.purpose}) expires {day(c.expires_on)}",
                until=start_of(c.expires_on + timedelta(days=1)),
            ))
    return flags


def _one_custody_holder(s: CaseState, policy: Policy) -> list[Flag]:
    """A child's (or family's) active consent given by fewer custody holders than the policy
    expects (and no guardian): usually both parents hold custody, so the other's consent is
    missing (issue 17)."""
    if s.subject_kind == "adult":
        return []
    flags = []
    for c in s.consents.values():
        roles = [g.role for g in c.given_by]
        holders = roles.count("custody_holder")
        if c.revoked_at is None and 0 < holders < policy.custody_holders_expected \
                and "guardian" not in roles:
            flags.append(Flag(
                "consent_one_custody_holder", c.consent_id, c.given_at,
                f"consent {c.consent_id} ({c.purpose}) is given by {holders} of "
                f"{policy.custody_holders_expected} custody holders",
            ))
    return flags
