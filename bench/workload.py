"""The workload of one store size: a synthetic municipality whose first N events fill the
store and whose following commands are what the benchmarks time, split into segments.

Because the measured commands continue the same year, they fall on the cases already in the
store, in the same skewed way (hot cases get many), with the same mix of commands.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.common import Store, bare_env
from stafet import Ledger
from stafet.dev.synthetic.item import Item
from stafet.dev.synthetic.loading import load
from stafet.dev.synthetic.parameters import EVENTS_PER_CASE
from stafet.dev.synthetic.stream import generate


@dataclass
class Workload:
    size: int  # events the store holds before anything is timed
    seed: int
    cases: int
    total_events: int  # of the whole generated year (prefix and segments)
    prefix_commands: int = 0
    prefix_per_case: Counter[int] = field(default_factory=Counter)
    segments: dict[str, list[Item]] = field(default_factory=dict)

    def prefix(self) -> Iterator[Item]:
        """The commands that fill the store (generated afresh: the same seed, the same items)."""
        for n, item in enumerate(generate(self.cases, self.seed, self.total_events)):
            if n >= self.prefix_commands:
                return
            yield item

    def mix(self, name: str) -> dict[str, float]:
        counts = Counter(item.name for item in self.segments[name])
        total = sum(counts.values()) or 1
        return {k: v / total for k, v in counts.most_common()}


def make_workload(size: int, seed: int, segments: list[tuple[str, int]]) -> Workload:
    """Plan the year: ``size`` events for the store, then ``segments`` (name, commands)."""
    wanted = sum(n for _, n in segments)
    extra = int(wanted * 1.25) + 200
    total = size + extra
    cases = max(1, total // EVENTS_PER_CASE)
    work = Workload(size, seed, cases, total)
    events = 0
    stream = generate(cases, seed, total)
    for item in stream:
        work.prefix_commands += 1
        work.prefix_per_case[item.case] += item.events
        events += item.events
        if events >= size:
            break
    for name, count in segments:
        work.segments[name] = [item for _, item in zip(range(count), stream, strict=False)]
    return work


def assign(items: list[Item], writers: int) -> list[list[Item]]:
    """Cases to writers, busiest case first to the least busy writer; each case's commands
    stay in order in one writer (different writers are different caseworkers)."""
    per_case = Counter(item.case for item in items)
    load_of = [0] * writers
    owner: dict[int, int] = {}
    for case, count in sorted(per_case.items(), key=lambda kv: (-kv[1], kv[0])):
        w = min(range(writers), key=lambda i: (load_of[i], i))
        owner[case] = w
        load_of[w] += count
    out: list[list[Item]] = [[] for _ in range(writers)]
    for item in items:
        out[owner[item.case]].append(item)
    return [x for x in out if x]


# -- filling the stores ------------------------------------------------------------------------


def fill_stafet(store: Store, work: Workload, progress: Callable[[int], None]) -> dict[str, Any]:
    """Write the prefix into stafet (read models off, one unit of work per 500 commands)."""
    ledger = Ledger(store.url, read_models=False)
    try:
        report = load(ledger, work.prefix(), batch=500, progress=progress)
        head = ledger.store.recorder.max_notification_id() or 0
    finally:
        ledger.close()
    return {"events": report.events, "commands": report.commands, "cases": report.cases,
            "seconds": report.seconds, "events_per_second": report.events / report.seconds,
            "head": head, "case_ids": report.case_ids}


class Tally(Aggregate):
    """The bare baseline's trivial aggregate: a count, and a short text on each event."""

    def __init__(self) -> None:
        self.count = 0

    @event("Bumped")
    def bump(self, text: str) -> None:
        self.count += 1


class BareApp(Application[UUID]):
    name = "BareBench"
    snapshotting_intervals = {Tally: 100}  # noqa: RUF012  (the library's own class attribute)


def fill_bare(store: Store, work: Workload, progress: Callable[[int], None]) -> dict[int, UUID]:
    """The same number of events per case, on trivial aggregates in the bare library
    (snapshots every 100 events, as stafet takes them)."""
    app = BareApp(env=bare_env(store))
    ids: dict[int, UUID] = {}
    pending: list[Tally] = []
    unsaved = 0
    try:
        for case, count in sorted(work.prefix_per_case.items()):
            tally = Tally()
            ids[case] = tally.id
            pending.append(tally)
            unsaved += 1
            for _ in range(count - 1):
                tally.bump("note")
                unsaved += 1
                if unsaved >= 2000:
                    app.save(*pending)
                    progress(unsaved)
                    pending, unsaved = [tally], 0
        if unsaved:
            app.save(*pending)
            progress(unsaved)
    finally:
        app.close()
    return ids
