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

from datetime import date, datetime, timedelta
from functools import cache
from typing import Literal

from stafet.domain.values import COPENHAGEN


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
