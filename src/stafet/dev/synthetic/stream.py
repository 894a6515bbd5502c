"""The stream of a municipality's year: every case's story, merged in business-time order.

``generate(cases, seed, events)`` yields the commands of a year in one municipality, oldest
first: many small cases and a few hot ones (heavy-tailed activity), adults, children and
families, each with its own network of authorities, providers and volunteers. The same
arguments give the same commands. Citizens are pseudonymous handles (``borger@k7q2m9``),
never CPR numbers; business times (``occurred_at``) fall on working hours spread over a year.

    >>> items = list(generate(cases=3, seed=7, events=90))
    >>> sum(item.events for item in items), items[0].name
    (90, 'case.open')
    >>> [item.fields["actor"] for item in items] == [
    ...     item.fields["actor"] for item in generate(cases=3, seed=7, events=90)]
    True
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from stafet.dev.synthetic.clock import monday_of
from stafet.dev.synthetic.item import Item
from stafet.dev.synthetic.parameters import DEFAULT_START, WORKDAY, YEAR_DAYS
from stafet.dev.synthetic.planner import CaseSpec, plan_cases
from stafet.dev.synthetic.story import CaseStory
from stafet.domain.values import SubjectKind


def single_case(
    events: int, seed: int = 1, kind: SubjectKind = "adult", closes: bool = False
) -> list[Item]:
    """The commands of one case with exactly ``events`` events, spread over a year."""
    spec = CaseSpec(0, kind, events, 0, max(YEAR_DAYS * WORKDAY - WORKDAY, events), closes,
                    False, events > 200)
    return list(CaseStory(spec, seed).items())


def generate(
    cases: int, seed: int, events: int | None = None, *, start: date = DEFAULT_START
) -> Iterator[Item]:
    """The commands of a municipality's year, in business-time order across all cases.

    Exactly ``events`` events in total (100 a case by default). Cases start lazily, so
    memory follows the cases open at one time, not all cases."""
    specs = sorted(plan_cases(cases, seed, events), key=lambda s: (s.opens, s.number))
    epoch = monday_of(start)
    pending: list[tuple[int, int, Item, Iterator[Item]]] = []
    next_spec = 0
    while pending or next_spec < len(specs):
        while next_spec < len(specs) and (not pending or specs[next_spec].opens <= pending[0][0]):
            stream = CaseStory(specs[next_spec], seed, epoch).items()
            first = next(stream, None)
            if first is not None:
                heapq.heappush(pending, (first.order, specs[next_spec].number, first, stream))
            next_spec += 1
        _, number, item, stream = heapq.heappop(pending)
        yield item
        following = next(stream, None)
        if following is not None:
            heapq.heappush(pending, (following.order, number, following, stream))


def summarise(items: Iterable[Item]) -> dict[str, Any]:
    """Counts of a stream: cases, commands, events and commands by kind."""
    kinds: Counter[str] = Counter()
    per_case: Counter[int] = Counter()
    for item in items:
        kinds[item.name] += 1
        per_case[item.case] += item.events
    sizes = sorted(per_case.values())
    return {
        "cases": len(per_case), "commands": sum(kinds.values()), "events": sum(sizes),
        "largest_case": sizes[-1] if sizes else 0,
        "median_case": sizes[len(sizes) // 2] if sizes else 0,
        "by_command": dict(sorted(kinds.items())),
    }
