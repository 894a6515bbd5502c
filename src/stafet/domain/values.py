"""Value types shared by commands, events and state: the words of the field."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, StringConstraints

# COPENHAGEN is the calendar's; re-exported here, where many modules read it.
from stafet.domain.calendar import COPENHAGEN as COPENHAGEN
from stafet.domain.calendar import parse_day, parse_moment

SubjectKind = Literal["adult", "child", "family"]
ParticipantKind = Literal[
    "authority", "provider", "volunteer", "citizen", "relative", "advocate", "interpreter"
]
# Who may hold the baton: the professionals of an authority or a provider.
BATON_KINDS: frozenset[str] = frozenset({"authority", "provider"})
# The citizen's own side; they never need a consent to take part in their own case.
CITIZEN_SIDE_KINDS: frozenset[str] = frozenset({"citizen", "relative"})

GiverRole = Literal["citizen", "custody_holder", "guardian", "lasting_power_of_attorney", "youth"]
GoalLevel = Literal["overall", "sub", "progression"]
GoalStatus = Literal["open", "in_progress", "achieved", "partly_achieved", "not_achieved", "dropped"]
EffortStatus = Literal["planned", "started", "paused", "completed", "stopped"]
MeetingKind = Literal["coordinating", "follow_up"]
Phase = Literal[1, 2, 3]

_REF = re.compile(r"^[^\s@]{1,64}@[^\s@]{1,64}$")
_ORG = re.compile(r"^@?[^\s@]{1,64}$")
# A CPR number: DDMMYY, optional dash or space, four digits.
_CPR = re.compile(r"(?<!\d)([0-3]\d[01]\d\d\d)[- ]?(\d{4})(?!\d)")


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text must not contain NUL (\\x00) characters")
    return text


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _participant_ref(value: str) -> str:
    if not _REF.match(value):
        raise ValueError("must be written person@org, for example anne@jobcenter")
    return _pseudonymous(value)  # handles are stored in clear: never a CPR number in one


def _recipient(value: str) -> str:
    if _REF.match(value):
        return _pseudonymous(value)
    if _ORG.match(value):
        return "@" + value.lstrip("@")
    raise ValueError("must be person@org or @org, for example @ppr")


def looks_like_cpr(text: str) -> bool:
    """True when the text contains something shaped like a Danish CPR number."""
    return bool(_CPR.search(text))


def _pseudonymous(value: str) -> str:
    if looks_like_cpr(value):
        raise ValueError(
            "looks like a CPR number; use a pseudonymous reference, never a CPR number in clear"
        )
    return value


ParticipantRef = Annotated[
    str, BeforeValidator(_lower), AfterValidator(_participant_ref)
]
"""A person at an organisation, ``person@org``; stored lower-case."""

Recipient = Annotated[str, BeforeValidator(_lower), AfterValidator(_recipient)]
"""A consent recipient: one person (``person@org``) or a whole organisation (``@org``)."""


def _org(value: str) -> str:
    if not _ORG.match(value):
        raise ValueError("must be an organisation's name, for example jobcenter-odense")
    return value.lstrip("@")


Org = Annotated[str, BeforeValidator(_lower), AfterValidator(_org)]
"""An organisation, the part after the @ of ``person@org``; stored lower-case, without @."""

SubjectRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=64, pattern=r"^\S+$"),
    AfterValidator(_pseudonymous),
]

ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_no_nul),
]
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200_000),
    AfterValidator(_no_nul),
]
Label = Annotated[
    str, BeforeValidator(_lower),
    StringConstraints(min_length=1, max_length=80), AfterValidator(_no_nul),
]
"""A short key such as an information category; stored lower-case, so compared case-blind."""

Purpose = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(_no_nul),
]
"""Why a consent is given or information shared, kept as written ("Samarbejde om Emma");
compared case-blind (``rules.same_purpose``)."""

CommandId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^\S+$")
]
EntityId = Annotated[
    str, BeforeValidator(_upper), StringConstraints(pattern=r"^[A-Z]{1,2}\d{1,6}$")
]
"""Ids the ledger hands out inside a case: G1 (goal), E1 (effort), A1 (agreement),
M1 (meeting), C1 (consent), SP1 (sector plan)."""


# Dates a case can plausibly hold; beyond them date arithmetic (deadlines, flags) overflows.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _plausible_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(f"must lie between the years {FIRST_YEAR} and {LAST_YEAR}")


def _day(value: date) -> date:
    _plausible_year(value.year)
    return value


def _written_day(value: object) -> object:
    return parse_day(value) if isinstance(value, str) else value


def _written_moment(value: object) -> object:
    return parse_moment(value) if isinstance(value, str) else value


def _written_meeting_time(value: object) -> object:
    return parse_moment(value, clock_required=True) if isinstance(value, str) else value


Day = Annotated[date, BeforeValidator(_written_day), AfterValidator(_day)]
"""A calendar day (due dates, expiry, periods)."""


def _aware(value: datetime) -> datetime:
    """Naive times are Copenhagen wall-clock time; everything is stored in UTC."""
    _plausible_year(value.year)
    if value.tzinfo is None:
        value = value.replace(tzinfo=COPENHAGEN)
    return value.astimezone(UTC)


_BIRTH_MONTH = re.compile(r"(?:(\d{4})-(\d{1,2})|(\d{1,2})[./-](\d{4}))")


def _birth_month(value: object) -> object:
    """2010-05, 5.2010, 05/2010 or 5-2010 -> '2010-05'."""
    if not isinstance(value, str):
        return value
    found = _BIRTH_MONTH.fullmatch(value.strip())
    if found is None:
        raise ValueError("is not a month; write it like 2010-05 or 5.2010")
    year, month = (found.group(1), found.group(2)) if found.group(1) else (found.group(4),
                                                                           found.group(3))
    if not 1 <= int(month) <= 12:
        raise ValueError("is not a month; write it like 2010-05 or 5.2010")
    _plausible_year(int(year))
    return f"{int(year):04}-{int(month):02}"


BirthMonth = Annotated[str, BeforeValidator(_birth_month)]
"""The month someone was born, 'YYYY-MM': enough to know a youth's age for the consent rules
(the day is not needed and not asked for: less personal data)."""


def age_in(birth_month: str, on: date) -> int:
    """Completed years on a day, from the birth month; the birthday counts from the first of
    its month (the day is not known).

        >>> age_in("2010-05", date(2026, 4, 30)), age_in("2010-05", date(2026, 5, 1))
        (15, 16)
    """
    year, month = (int(part) for part in birth_month.split("-"))
    return on.year - year - (1 if on.month < month else 0)


Moment = Annotated[datetime, BeforeValidator(_written_moment), AfterValidator(_aware)]
"""A point in time: ISO or as Danes write it (``calendar.parse_moment``); stored in UTC."""

MeetingTime = Annotated[datetime, BeforeValidator(_written_meeting_time), AfterValidator(_aware)]
"""When a meeting starts: a Moment that must say the clock time (a bare date is refused)."""


def org_of(ref: str) -> str:
    return ref.split("@", 1)[1]


def recipient_covers(recipient: str, ref: str) -> bool:
    """Does a consent recipient (``person@org`` or ``@org``) cover this participant?"""
    if recipient.startswith("@"):
        return org_of(ref) == recipient[1:]
    return recipient == ref


def local_date(moment: datetime) -> date:
    return moment.astimezone(COPENHAGEN).date()
