"""Danish working days: Monday to Friday, except the public holidays (helligdage).

    >>> from datetime import date
    >>> easter_sunday(2026)
    datetime.date(2026, 4, 5)
    >>> is_working_day(date(2026, 4, 2))   # skærtorsdag
    False
    >>> add_working_days(date(2026, 4, 1), 5)  # over Easter
    datetime.date(2026, 4, 13)
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
"""Where the ledger's days begin and end: every wall-clock time without an offset is read here."""


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 19 * leap) // 433
    month = (h + leap - 7 * m + 90) // 25
    return date(year, month, (h + leap - 7 * m + 33 * month + 19) % 32)


@cache
def public_holidays(year: int) -> frozenset[date]:
    """The Danish public holidays of a year (store bededag was abolished from 2024)."""
    easter = easter_sunday(year)
    moving = [-3, -2, 0, 1, 39, 49, 50]  # skærtorsdag .. 2. pinsedag
    if year < 2024:
        moving.append(26)  # store bededag
    fixed = [date(year, 1, 1), date(year, 12, 25), date(year, 12, 26)]
    return frozenset([easter + timedelta(days=n) for n in moving] + fixed)


def is_working_day(on: date) -> bool:
    return on.weekday() < 5 and on not in public_holidays(on.year)


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start``."""
    while days > 0:
        start += timedelta(days=1)
        if is_working_day(start):
            days -= 1
    return start


# -- dates as people read them (in refusal sentences, flags and every view) --------------

Lang = Literal["en", "da"]

MONTHS: dict[Lang, list[str]] = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "da": ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.",
           "nov.", "dec."],
}


def day(value: date | None, lang: Lang = "en") -> str:
    """A date as people read it: 6 Mar 2026 / 6. mar. 2026."""
    if value is None:
        return "-"
    dot = "." if lang == "da" else ""
    return f"{value.day}{dot} {MONTHS[lang][value.month - 1]} {value.year}"


def when(moment: datetime | None, lang: Lang = "en") -> str:
    """A time in Copenhagen as people read it: 6 Mar 2026 10:00."""
    if moment is None:
        return "-"
    local = moment.astimezone(COPENHAGEN)
    return f"{day(local.date(), lang)} {local:%H:%M}"


# -- dates as people write them (every date and time flag, batch line and form) -----------

DAY_EXAMPLE = "2026-03-01 or 1.3.2026"
TIME_EXAMPLE = "2026-03-06T10:00 or 6.3.2026 10:00"

# A Danish date: 1.3.2026, 01.03.2026, 1/3-2026, 1/3/2026, 1-3-2026 (day first, as Danes write).
_DANISH_DAY = re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})")
# A clock time after the date: 10:00, 10.00, 10:00:30, optionally "kl." before it.
_CLOCK = re.compile(r"(?:kl\.?\s*)?(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")


def parse_day(text: str) -> date:
    """A day written as ISO (2026-03-01) or as Danes write it (1.3.2026, 01.03.2026,
    1/3-2026). Raises ValueError saying how to write it.

        >>> parse_day("1/3-2026"), parse_day("01.03.2026"), parse_day("2026-03-01")
        (datetime.date(2026, 3, 1), datetime.date(2026, 3, 1), datetime.date(2026, 3, 1))
    """
    text = text.strip()
    try:
        danish = _DANISH_DAY.fullmatch(text)
        if danish:
            d, m, y = (int(part) for part in danish.groups())
            return date(y, m, d)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"is no day of the calendar; write it like {DAY_EXAMPLE}") from None
    raise ValueError(f"is not a date; write it like {DAY_EXAMPLE}")


def parse_moment(text: str, *, clock_required: bool = False) -> datetime:
    """A time written as ISO (2026-03-06T10:00, with an offset if wanted) or as Danes write
    it (6.3.2026 10:00, 06.03.2026 kl. 10.00). Without an offset it is the wall-clock time
    as given (naive; the domain reads it as Copenhagen time). A date alone is midnight,
    unless ``clock_required`` (a meeting's time), which refuses it. Raises ValueError.

        >>> parse_moment("6.3.2026 kl. 10.00")
        datetime.datetime(2026, 3, 6, 10, 0)
        >>> parse_moment("2026-12-24", clock_required=True)
        Traceback (most recent call last):
        ValueError: has no clock time; write it like 2026-03-06T10:00 or 6.3.2026 10:00
    """
    text = text.strip()
    date_part, _, clock_part = text.replace("T", " ", 1).partition(" ")
    clock_part = clock_part.strip()
    if not clock_part and clock_required:
        try:
            parse_day(date_part)
        except ValueError:
            pass
        else:
            raise ValueError(f"has no clock time; write it like {TIME_EXAMPLE}")
    if _DANISH_DAY.fullmatch(date_part):
        on = parse_day(date_part)
        if not clock_part:
            return datetime(on.year, on.month, on.day)
        clock = _CLOCK.fullmatch(clock_part)
        if clock is None:
            raise ValueError(f"is not a time; write it like {TIME_EXAMPLE}")
        hour, minute, second = (int(part or 0) for part in clock.groups())
        try:
            return datetime(on.year, on.month, on.day, hour, minute, second)
        except ValueError:
            raise ValueError(f"is no time of the day; write it like {TIME_EXAMPLE}") from None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"is not a time; write it like {TIME_EXAMPLE}") from None
