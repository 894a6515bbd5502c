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

    def due_at(self, moment: datetime) -> bool:
        """Due from ``since`` until ``until`` (as ``projections.attention.due_at`` in SQL)."""
        return self.since <= moment and (self.until is None or moment < self.until)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=COPENHAGEN)


FLAGS: dict[str, str] = {
    "temporary_holder": "a temporary holder has held the baton too long",
    "no_coordinating_meeting": "no coordinating meeting held soon after opening",
    "no_follow_up": "no meeting for longer than the follow-up interval",
    "agreement_overdue": "an open agreement is past its due date",
    "exchange_open": "the outgoing holder has not released after a grab",
    "consent_expiring": "a consent expires soon",
    "short_notice": "a meeting was convened at short notice",
    "meeting_unrecorded": "a meeting has passed but is neither held nor cancelled",
    "minutes_not_sent": "a held meeting's minutes have not been sent",
    "caseload": "a coordinator holds more active cases than the limit",
}
"""Every attention flag by name, with what it means: the one list the overview's --flag
accepts and --help shows. (``caseload`` is about a coordinator, not a case.)"""


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
    flags.extend(meeting_flags(s, policy))
    return flags


def meeting_flags(s: CaseState, policy: Policy) -> list[Flag]:
    """Meetings convened at short notice, passed without a record, or held without the
    minutes sent."""
    flags: list[Flag] = []
    for m in s.meetings.values():
        notice = m.starts_at - m.convened_at if m.convened_at else None
        if m.status == "convened" and notice is not None \
                and notice < timedelta(days=policy.short_notice_days):
            flags.append(Flag(
                "short_notice", m.meeting_id, m.convened_at or m.starts_at,
                f"meeting {m.meeting_id} on {day(local_date(m.starts_at))} was convened less "
                f"than {policy.short_notice_days} days before it",
                until=m.starts_at,
            ))
        if m.status == "convened":
            flags.append(Flag(
                "meeting_unrecorded", m.meeting_id,
                m.starts_at + timedelta(days=policy.meeting_unrecorded_days),
                f"meeting {m.meeting_id} of {day(local_date(m.starts_at))} is neither recorded "
                "as held nor cancelled",
            ))
        if m.status == "held" and not m.minutes_sent:
            flags.append(Flag(
                "minutes_not_sent", m.meeting_id,
                m.starts_at + timedelta(days=policy.minutes_sent_days),
                f"the minutes of meeting {m.meeting_id} of {day(local_date(m.starts_at))} have "
                f"not been sent ({policy.minutes_sent_days} days)",
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
