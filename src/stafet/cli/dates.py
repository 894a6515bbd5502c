"""Date and time flags: one parser (``stafet.domain.calendar``), errors that name the flag.

A wrong date is refused by click before anything runs, as "Invalid value for '--due': '01.13.2027'
is no day of the calendar; write it like 2026-03-01 or 1.3.2026." (exit 2): the flag the user
typed, never the command's field name, and an example that works.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import click
from pydantic import TypeAdapter, ValidationError

from stafet.domain.calendar import parse_day, parse_moment
from stafet.domain.errors import cut
from stafet.domain.values import Day, MeetingTime, Moment

_DAY: TypeAdapter[date] = TypeAdapter(Day)
_MOMENT: TypeAdapter[datetime] = TypeAdapter(Moment)
_MEETING_TIME: TypeAdapter[datetime] = TypeAdapter(MeetingTime)


def _reason(error: ValueError) -> str:
    if isinstance(error, ValidationError):
        return error.errors()[0]["msg"].removeprefix("Value error, ")
    return str(error)


class DayType(click.ParamType[date]):
    """A calendar day: 2026-03-01, 1.3.2026, 01.03.2026, 1/3-2026."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return _DAY.validate_python(parse_day(str(value)))
        except ValueError as error:
            self.fail(f"'{cut(str(value))}' {_reason(error)}", param, ctx)


class MomentType(click.ParamType[datetime]):
    """A time: 2026-03-06T10:00, 6.3.2026 10:00 (Copenhagen time unless an offset is given).
    ``clock_required``: a bare date is refused (a meeting starts at a time of day)."""

    name = "time"

    def __init__(self, clock_required: bool = False) -> None:
        self.clock_required = clock_required

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None
                ) -> datetime:
        if isinstance(value, datetime):
            return value
        adapter = _MEETING_TIME if self.clock_required else _MOMENT
        try:
            return adapter.validate_python(
                parse_moment(str(value), clock_required=self.clock_required))
        except ValueError as error:
            self.fail(f"'{cut(str(value))}' {_reason(error)}", param, ctx)


DAY = DayType()
MOMENT = MomentType()
MEETING_TIME = MomentType(clock_required=True)
