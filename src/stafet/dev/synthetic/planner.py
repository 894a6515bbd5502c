"""The planner: how many cases of each kind, how busy, when - decided before any command."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from stafet.dev.synthetic.parameters import EVENTS_PER_CASE, WORKDAY, YEAR_DAYS
from stafet.domain.values import SubjectKind

SUBJECT_KINDS: tuple[SubjectKind, ...] = ("adult", "child", "family")


@dataclass(frozen=True)
class CaseSpec:
    """What the planner decided about one case before any of its commands is generated."""

    number: int
    kind: SubjectKind
    events: int  # exactly this many events
    opens: int  # working second of the year the case opens
    until: int  # working second its last command should come near
    closes: bool
    reopens: bool
    hot: bool


def plan_cases(
    cases: int, seed: int, events: int | None = None, *, sigma: float = 1.5, cap: float = 40.0
) -> list[CaseSpec]:
    """Decide every case up front: its kind, exact number of events, when it opens, whether
    it closes (or closes and reopens).

    A case's events are a base (12-40) plus a share of the rest in proportion to a
    heavy-tailed weight (log-normal, ``sigma``; capped at ``cap`` times the mean), so most
    cases are small and a few are hot: with the defaults the median case has about 50
    events, 1 in 100 has 800 or more, the largest about 3,000; the top 1% of cases carry
    about 15% of the events. The weights are drawn case by case, so the shape is the same
    in a store of 10,000 events and of 1,000,000 (only the number of cases grows), and a
    benchmark's cost curve shows the store's size, not ever bigger hot cases."""
    if cases < 1:
        raise ValueError("there must be at least one case")
    total = EVENTS_PER_CASE * cases if events is None else events
    if total < 2 * cases:
        raise ValueError(f"{total} events cannot fill {cases} cases (2 events a case at least)")
    rng = random.Random(f"stafet-synthetic:{seed}:plan")
    base = [rng.randint(12, 40) for _ in range(cases)]
    budget = int(total * 0.45)
    if sum(base) > budget:
        base = [max(2, b * budget // sum(base)) for b in base]
    rest = total - sum(base)
    limit = cap * math.exp(sigma**2 / 2)  # the log-normal's mean, times the cap
    weights = [min(rng.lognormvariate(0.0, sigma), limit) for _ in range(cases)]
    scale = rest / sum(weights)
    shares = [w * scale for w in weights]
    counts = [b + int(s) for b, s in zip(base, shares, strict=True)]
    short = total - sum(counts)
    by_fraction = sorted(range(cases), key=lambda i: (-(shares[i] % 1.0), i))
    for i in by_fraction[:short]:
        counts[i] += 1
    hot_cut = sorted(counts, reverse=True)[max(0, cases // 100 - 1)] if cases >= 100 else max(counts)
    specs = []
    year = YEAR_DAYS * WORKDAY
    for number, count in enumerate(counts):
        kind = rng.choices(SUBJECT_KINDS, weights=(55, 30, 15))[0]
        hot = count >= hot_cut and count > 200
        opens = rng.randrange(0, year // 8 if hot else year * 8 // 10)
        length = year - opens if hot else rng.randrange(min(20 * WORKDAY, year - opens), year - opens + 1)
        length = max(length, count)  # at least a working second an event
        closes = not hot and rng.random() < 0.45
        reopens = closes and count >= 40 and rng.random() < 0.12
        specs.append(CaseSpec(number, kind, count, opens, opens + length, closes, reopens, hot))
    return specs
