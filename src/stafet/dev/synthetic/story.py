"""One case, told step by step: the story proposes commands and the domain decides them.

Each step the story chooses what might happen next (a hand-over that is due, a meeting whose
time has come, the intake's next task, else a weighted draw over everything a case sees)
and offers the act's proposals to ``stafet.domain.decide.decide``. A refused proposal
(``RuleViolation``) is dropped and the next one tried; an accepted one is folded into the
case's state with ``evolve`` and becomes an ``Item`` of the stream. The story keeps no copy
of any rule: it reads the state to choose, and the domain alone says what is allowed.

The planner gives every case an exact number of events. A case that is to close must close
on its very last event, and the story does not know what closing needs: it asks. It
dry-runs the wind-down on a copy of the state (propose the close; while refused, finish
something still open and propose again) and counts the events that takes; a step that
would leave too few events to close is not taken. When the events left come down to that
count (plus two notes' slack), the story winds down for real. The dry run is exact but not
free, so it runs only near the end (see ``GROWTH_PER_EVENT``).
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from stafet.dev.synthetic.acts import (
    baton,
    common,
    consent,
    lifecycle,
    log,
    meetings,
    participants,
    plan,
)
from stafet.dev.synthetic.acts.common import Proposals
from stafet.dev.synthetic.clock import Clock, monday_of
from stafet.dev.synthetic.item import Item
from stafet.dev.synthetic.parameters import DEFAULT_START
from stafet.dev.synthetic.planner import CaseSpec
from stafet.dev.synthetic.population import populate
from stafet.dev.synthetic.texts import Texts
from stafet.domain.commands import Command, build_command
from stafet.domain.decide import Context, decide
from stafet.domain.errors import RuleViolation
from stafet.domain.events import CaseEvent
from stafet.domain.evolve import project_case
from stafet.domain.policy import DEFAULT_POLICY
from stafet.domain.state import CaseState

# The rules of a ledger with default settings: a store with other settings may refuse some
# of the commands (a stricter youth-consent rule, say).
POLICY = DEFAULT_POLICY
# A closing case starts its wind-down with this many events to spare, spent on notes.
CLOSING_SLACK = 2
# An open-ended case does not start a story it has no events left to finish: a hand-over
# (then a grab and a release) or a meeting (then its holding).
RESERVE = {"baton.hand": 2, "meeting.convene": 1}
# The longest wind-down the dry run follows before it gives up (every open agreement is a step).
MAX_WIND_DOWN = 1000
# At most how many events of unfinished business one stored event leaves (a hand-over leaves
# a grab and a release). Not a rule: it only says when the exact dry run is worth running,
# so that it runs near a case's end and not after every step. Were the domain ever to break
# it, the story would stop with a StoryError rather than write a wrong stream.
GROWTH_PER_EVENT = 2

Later = Callable[[], Item | None]


class StoryError(RuntimeError):
    """The story could not keep to its plan: a fault in the generator, never in the ledger."""


class CaseStory:
    def __init__(self, spec: CaseSpec, seed: int, epoch: date | None = None) -> None:
        self.spec = spec
        self.rng = random.Random(f"stafet-synthetic:{seed}:{spec.number}:{spec.events}")
        self.people = populate(spec.kind, self.rng)
        self.texts = Texts(self.rng, self.people)
        # The story's own id for the case; a ledger that stores the stream gives its own.
        self.case_id = UUID(int=self.rng.getrandbits(128), version=4)
        self._state: CaseState | None = None
        self.clock = Clock(self.rng, epoch or monday_of(DEFAULT_START), spec.opens,
                           gap=max(1.0, (spec.until - spec.opens) / max(spec.events, 1)))
        self.todo: deque[Later] = deque()
        self.agenda_changes: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()  # the domain's refusal codes, for curiosity and tests
        self.closing = False
        # What closing takes, as last counted by a dry run, and the events stored since then.
        self._known_cost: int | None = None
        self._since_known = 0
        # The budget: a reopened case has two lives, each ending in a closure.
        if spec.reopens:
            first = max(3, spec.events * self.rng.randint(35, 65) // 100)
            self.lives = [first, spec.events - first]
        else:
            self.lives = [spec.events]
        self.left = self.lives.pop(0)

    @property
    def case(self) -> CaseState:
        if self._state is None:
            raise StoryError("the case has not been opened yet")
        return self._state

    # -- asking the domain ---------------------------------------------------------------------

    def _command(self, name: str, fields: dict[str, Any]) -> Command:
        return build_command(name, fields if name == "case.open" else {**fields, "case_id": self.case_id})

    def _decide(
        self, state: CaseState | None, command: Command, *, tally: bool = True
    ) -> list[CaseEvent] | None:
        """The domain's answer: the events, or None when it refuses."""
        assert command.occurred_at is not None
        context = Context(command=command, now=command.occurred_at, policy=POLICY,
                          new_case_id=self.case_id)
        try:
            return decide(state, command, context)
        except RuleViolation as refusal:
            if tally:
                self.refusals[refusal.code] += 1
            return None

    def propose(self, name: str, fields: dict[str, Any], *, guarded: bool = True) -> Item | None:
        """Offer one command; keep it if the domain accepts it and (``guarded``) the case's
        events still suffice for what it is planned to do."""
        at = self.clock.calendar()
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["occurred_at"] = at.isoformat(timespec="seconds")
        command = self._command(name, fields)
        events = self._decide(self._state, command)
        if events is None:
            return None
        state = project_case(self._state, events)
        assert state is not None
        cost: int | None = None
        if guarded:
            fits, cost = self._fits(name, len(events), state)
            if not fits:
                return None
        self._state = state
        self.left -= len(events)
        if cost is not None:
            self._known_cost, self._since_known = cost, 0
        else:
            self._since_known += len(events)
        if name == "meeting.agenda":
            self.agenda_changes[fields["meeting_id"]] += 1
        return Item(self.spec.number, name, fields, len(events), at, self.clock.w, command)

    def first(self, proposals: Iterable[common.Proposal], *, guarded: bool = True) -> Item | None:
        """The first proposal the domain accepts (and the budget allows), or None."""
        for name, fields in proposals:
            item = self.propose(name, fields, guarded=guarded)
            if item is not None:
                return item
        return None

    def must(self, proposals: Proposals, what: str, *, guarded: bool = True) -> Item:
        item = self.first(proposals, guarded=guarded)
        if item is None:
            raise StoryError(f"case {self.spec.number}: every proposal for {what} was refused "
                             f"(refusals so far: {dict(self.refusals)})")
        return item

    # -- the budget ------------------------------------------------------------------------------

    def _fits(self, name: str, events: int, state: CaseState) -> tuple[bool, int | None]:
        """Do the events left after this step still cover the case's plan? For a closing case
        also the events closing would then take."""
        left = self.left - events
        if left < 0:
            return False, None
        if not self.spec.closes:
            return left >= RESERVE.get(name, 0), None
        upper = self._upper_cost(events)
        if upper is not None and left >= upper + CLOSING_SLACK:
            return True, None  # far from the end: closing cannot take all that is left
        cost = self.cost_to_close(state)
        return cost is not None and left >= cost + CLOSING_SLACK, cost

    def cost_to_close(self, state: CaseState) -> int | None:
        """How many events closing takes from ``state``, found by asking the domain on a copy:
        propose the close; while it is refused, take the wind-down's first accepted step
        (finish a hand-over, an open agreement) and propose again. None: it cannot close."""
        at = self.clock.calendar().isoformat(timespec="seconds")
        events = 0
        for _ in range(MAX_WIND_DOWN):
            for name, fields in lifecycle.wind_down_dry_run(state):
                command = self._command(name, {**fields, "occurred_at": at})
                decided = self._decide(state, command, tally=False)
                if decided is not None:
                    folded = project_case(state, decided)
                    assert folded is not None
                    state, events = folded, events + len(decided)
                    if folded.status == "closed":
                        return events
                    break
            else:
                return None
        return None

    def _upper_cost(self, events: int = 0) -> int | None:
        """The most closing can take after ``events`` more, from the last count (None: none yet)."""
        if self._known_cost is None:
            return None
        return self._known_cost + GROWTH_PER_EVENT * (self._since_known + events)

    def _closing_cost(self) -> int:
        """What closing takes from the current state, counted afresh if anything was stored since."""
        if self._known_cost is None or self._since_known:
            self._known_cost, self._since_known = self.cost_to_close(self.case), 0
        if self._known_cost is None:
            raise StoryError(f"case {self.spec.number}: the domain lets it close no more")
        return self._known_cost

    def _time_to_wind_down(self) -> bool:
        upper = self._upper_cost()
        if upper is not None and self.left - upper > CLOSING_SLACK:
            return False
        return self.left - self._closing_cost() <= CLOSING_SLACK

    # -- the order of business ---------------------------------------------------------------

    def items(self) -> Iterator[Item]:
        yield self._open()
        while True:
            while self.left > 0:
                self.clock.tick(0.3 if self.todo else 1.0)
                yield self._step()
            if self.spec.closes and self.case.status != "closed":
                raise StoryError(f"case {self.spec.number} ran out of events before it closed")
            if not self.lives:
                return
            self.left = self.lives.pop(0)
            self.closing, self._known_cost, self._since_known = False, None, 0
            self.clock.tick(20)
            yield self.must(lifecycle.reopen(self), "reopening", guarded=False)

    def _open(self) -> Item:
        item = self.must(lifecycle.open_case(self), "opening", guarded=False)
        # The intake: who joins, the consent, the first meeting; the plan comes once accepted.
        if self.rng.random() < 0.3:
            self.later(log.note)
        for person in self.people.citizen_side:
            self.later(participants.join, person)
        self.later(consent.give_consent)
        network = self.people.network
        joiners = [p for p in network if p.kind != "interpreter"] or list(network)
        first = self.rng.sample(joiners, min(len(joiners), self.rng.randint(2, 5)))
        if self.people.language:
            first += [p for p in network if p.kind == "interpreter"]
        for person in first:
            self.later(participants.join, person)
        if self.case.baton.temporary:
            self.later(baton.hand_to_permanent)
        self.later(meetings.convene)
        return item

    def later(self, act: Callable[..., Proposals], *args: Any) -> None:
        """Put an act on the intake's list: tried in turn before anything else comes up."""
        self.todo.append(lambda: self.first(act(self, *args)))

    def _step(self) -> Item:
        if self.spec.closes and not self.closing and self._time_to_wind_down():
            self.closing = True
        if self.closing:
            return self._closing_step()
        for due in (self._baton_due, self._meeting_due, self._minutes_due):
            item = due()
            if item is not None:
                return item
        while self.todo:
            item = self.todo.popleft()()
            if item is not None:
                return item
        return self._free()

    def _closing_step(self) -> Item:
        """Notes while there are events to spare, then the wind-down, ending in the close."""
        if self.left > self._closing_cost():
            return self.must(log.note(self), "a note", guarded=False)
        if self.left < self._closing_cost():
            raise StoryError(f"case {self.spec.number} has {self.left} events left and needs "
                             f"{self._closing_cost()} to close")
        item = self.must(lifecycle.wind_down(self), "winding down", guarded=False)
        if item.name == "case.close" and self.left != 0:
            raise StoryError(f"case {self.spec.number} closed with {self.left} events unspent")
        # Each wind-down step takes what its dry run counted, so what is left is what closing
        # still takes: no need to ask again.
        self._known_cost, self._since_known = (None if item.name == "case.close" else self.left), 0
        return item

    def _baton_due(self) -> Item | None:
        """An offered baton is mostly grabbed, sometimes declined or withdrawn; an exchange
        is released."""
        stage, rng = self.case.baton.stage, self.rng
        if stage == "offered" and rng.random() < 0.6:
            roll = rng.random()
            act = baton.grab if roll < 0.82 else baton.decline if roll < 0.91 else baton.withdraw
            return self.first(act(self))
        if stage == "exchange" and rng.random() < 0.6:
            return self.first(baton.release(self))
        return None

    def _meeting_due(self) -> Item | None:
        """A meeting whose hour has passed: the citizen accepts the plan at the first one
        (refused once accepted), then it is held, or now and then cancelled."""
        for meeting in self.case.meetings.values():
            if meeting.status == "convened" and self.clock.moment - meeting.starts_at >= timedelta(hours=1):
                accepted = self.first(plan.accept_plan(self))
                if accepted is not None:
                    self._write_the_plan()
                    return accepted
                if self.rng.random() < 0.93:
                    held = self.first(meetings.hold(self, meeting))
                    if held is not None:
                        return held
                return self.first(meetings.cancel_meeting(self, meeting))
        return None

    def _minutes_due(self) -> Item | None:
        for meeting in self.case.meetings.values():
            if meeting.status == "held" and not meeting.minutes_sent and self.rng.random() < 0.6:
                return self.first(meetings.send_minutes(self, meeting))
        return None

    def _write_the_plan(self) -> None:
        """Once accepted, the plan is written over the next days."""
        self.later(plan.summary)
        self.todo.append(self._first_goals)
        self.later(plan.plan_effort)
        self.later(plan.view)
        if self.rng.random() < 0.7:
            self.later(plan.link_sector_plan)
        self.later(plan.plan_effort)

    def _first_goals(self) -> Item | None:
        item = self.first(plan.set_goal(self, "overall"))
        if item is not None:
            for _ in range(self.rng.randint(1, 3)):
                self.todo.appendleft(lambda: self.first(plan.set_goal(self)))
        return item

    def _free(self) -> Item:
        """Everything else a case sees, drawn by weight; what the domain refuses is skipped."""
        choices: list[tuple[float, Callable[[CaseStory], Proposals]]] = [
            (20, log.note), (9, consent.share), (7, plan.make_agreement),
            (7, plan.complete_some), (1, plan.cancel_some), (1, plan.reassign),
            (4, plan.goal_status), (2, plan.revise_goal), (2, plan.set_goal),
            (3, plan.plan_effort), (4, plan.effort_status), (4, meetings.convene),
            (1, meetings.change_agenda), (2, baton.hand), (2, participants.join_someone),
            (1, participants.leave_someone), (0.5, consent.renew_consent), (0.5, consent.revoke_consent),
            (3, plan.view), (1, plan.link_sector_plan), (0.7, lifecycle.phase), (1, log.correct),
            (0.8, plan.summary),
        ]
        while choices:
            index = self.rng.choices(range(len(choices)), weights=[w for w, _ in choices])[0]
            item = self.first(choices.pop(index)[1](self))
            if item is not None:
                return item
        return self.must(log.note(self), "a note")
