"""A case's clock: business time in working seconds (08:00-16:00, Monday to Friday), moving
on by a random gap each step so a case's commands spread over its planned span."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from stafet.dev.synthetic.parameters import WORKDAY
from stafet.domain.values import COPENHAGEN


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


class Clock:
    def __init__(self, rng: random.Random, epoch: date, start: int, gap: float) -> None:
        self.rng = rng
        self.epoch = epoch  # the Monday the synthetic year's working second 0 falls on
        self.w = start  # working second of the year: now
        self.gap = gap  # the mean gap between two steps, in working seconds
        self._moment: tuple[int, datetime] = (-1, datetime.min)

    def tick(self, scale: float = 1.0) -> None:
        gap = self.gap * scale
        self.w += max(1, int(self.rng.expovariate(1.0 / gap))) if gap > 1 else 1

    def calendar(self, w: int | None = None) -> datetime:
        """Working second ``w`` (default: now) as Copenhagen wall-clock time (naive)."""
        day, second = divmod(self.w if w is None else w, WORKDAY)
        weeks, weekday = divmod(day, 5)
        moment = datetime.combine(self.epoch + timedelta(days=7 * weeks + weekday), time(8))
        return moment + timedelta(seconds=second)

    @property
    def moment(self) -> datetime:
        """Now, as the domain sees time (aware, UTC)."""
        if self._moment[0] != self.w:  # asked many times a step; the clock moves once
            self._moment = (self.w, self.calendar().replace(tzinfo=COPENHAGEN).astimezone(UTC))
        return self._moment[1]

    @property
    def today(self) -> date:
        return self.calendar().date()

    def day_at(self, days_ahead: int, hour: int) -> datetime:
        """``hour`` o'clock, ``days_ahead`` working days from now (naive, Copenhagen)."""
        return self.calendar((self.w // WORKDAY + days_ahead) * WORKDAY + (hour - 8) * 3600)

    def days(self, low: int, high: int) -> str:
        """A day between ``low`` and ``high`` days from today, as ISO text."""
        return (self.today + timedelta(days=self.rng.randint(low, high))).isoformat()
