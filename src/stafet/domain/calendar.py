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

from datetime import date, timedelta
from functools import cache


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


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(day: date, days: int) -> date:
    """The day ``days`` working days after ``day``."""
    while days > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day
