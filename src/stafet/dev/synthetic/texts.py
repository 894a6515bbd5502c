"""What caseworkers write: notes, minutes, agendas and goals, in the case's own words."""

from __future__ import annotations

import random

from stafet.dev.synthetic.population import Population
from stafet.dev.synthetic.vocabulary import (
    AGENDA,
    OVERALL_GOALS,
    PROGRESSION_GOALS,
    SITUATION,
    SUB_GOALS,
    TASKS,
)
from stafet.domain.values import GoalLevel


class Texts:
    def __init__(self, rng: random.Random, people: Population) -> None:
        self.rng = rng
        self.people = people

    def category(self) -> str:
        return self.rng.choice(self.people.categories)

    def situation(self) -> str:
        return self.rng.choice(SITUATION[self.people.kind])

    def situations(self, count: int) -> list[str]:
        return self.rng.sample(SITUATION[self.people.kind], count)

    def compose(self, forms: list[str], org: str) -> str:
        """One of ``forms`` filled in: who the case is about, how things are, from which org."""
        form = self.rng.choice(forms)
        situation = self.situation()
        who = self.people.who
        return form.format(
            who=who.lower(), Who=who, sit=situation, Sit=situation[0].upper() + situation[1:],
            org=org, cat=self.category(), who_l=who.lower(),
        )

    def agenda(self) -> list[str]:
        points = self.rng.sample(AGENDA, self.rng.randint(2, 5))
        return [p.format(who_l=self.people.who.lower(), cat=self.category()) for p in points]

    def task(self) -> str:
        return self.rng.choice(TASKS).format(cat=self.category())

    def goal(self, level: GoalLevel) -> str:
        if level == "overall":
            return self.rng.choice(OVERALL_GOALS[self.people.kind]).format(who=self.people.who)
        if level == "sub":
            return self.rng.choice(SUB_GOALS).format(who=self.people.who, cat=self.category())
        return self.rng.choice(PROGRESSION_GOALS).format(cat=self.category())
