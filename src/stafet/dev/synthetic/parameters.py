"""The synthetic municipality's sizes and calendar: cheap to import (the CLI's help uses them)."""

from __future__ import annotations

from datetime import date

DEFAULT_START = date(2025, 1, 6)  # a Monday: the synthetic year runs from here
EVENTS_PER_CASE = 100  # the default when only the number of cases is given
WORKDAY = 8 * 3600  # working seconds a day, 08:00-16:00, Monday to Friday
YEAR_DAYS = 52 * 5  # working days in the synthetic year

# Every command the generator produces (all but ``erase``, an administrative act).
KINDS: frozenset[str] = frozenset({
    "case.open", "case.join", "case.leave", "case.close", "case.reopen",
    "baton.hand", "baton.grab", "baton.release", "baton.decline", "baton.withdraw",
    "phase", "plan.accept", "plan.summary", "goal.set", "goal.revise", "goal.status",
    "effort.plan", "effort.status", "agreement.make", "agreement.complete", "agreement.cancel",
    "view", "sectorplan.link", "consent.give", "consent.revoke", "share",
    "meeting.convene", "meeting.agenda", "meeting.hold", "meeting.cancel",
    "meeting.minutes-sent", "note", "correct",
})
