"""The people of one case: the opener, the citizen's side and the network of professionals
who may join later. Drawn once, before the case's first command; the story then chooses
among them, and the domain decides what each of them may do."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from stafet.dev.synthetic.vocabulary import (
    CATEGORIES,
    CLINICS,
    DAYCARES,
    FIRST,
    INTERPRETER_LANGUAGES,
    LAST,
    NETWORK,
    OPENERS,
    ORGS,
    PURPOSE,
    SCHOOLS,
    TOWNS,
    WHO,
)
from stafet.domain.values import GiverRole, ParticipantKind, SubjectKind

CUSTODY = "forældremyndighedsindehaver"


@dataclass(frozen=True)
class Person:
    ref: str
    kind: ParticipantKind
    title: str
    name: str | None = None  # professionals only: the citizen's side are pseudonymous handles
    org: str = ""  # the organisation's slug, as in the ref
    org_type: str = ""  # a key of ORGS; empty on the citizen's side
    speaks_as: GiverRole | None = None  # the role in which they consent and accept the plan


@dataclass(frozen=True)
class Population:
    kind: SubjectKind
    handle: str  # the pseudonymous part of every citizen-side ref
    town: str
    town_name: str
    age: int | None  # a child's age; the consent asks for it
    opener: Person
    citizen_side: tuple[Person, ...]
    network: tuple[Person, ...]  # professionals who may join, the opener's colleagues among them
    language: str | None  # an interpreter's language, when the family needs one
    categories: tuple[str, ...]  # the information categories this case is about
    by_ref: dict[str, Person] = field(default_factory=dict, repr=False)

    @property
    def purpose(self) -> str:
        return PURPOSE[self.kind]

    @property
    def who(self) -> str:
        """How texts name the subject: 'Borgeren', 'Barnet', 'Familien'."""
        return WHO[self.kind]

    @property
    def givers(self) -> list[dict[str, str]]:
        """Who signs a consent or accepts the plan: everyone on the citizen's side with a say."""
        return [{"role": p.speaks_as} for p in self.citizen_side if p.speaks_as]

    @property
    def voice(self) -> GiverRole:
        """Whose own views the plan records: the youth's when there is one, else the first giver's."""
        roles = [p.speaks_as for p in self.citizen_side if p.speaks_as]
        return "youth" if "youth" in roles else roles[0] if roles else "citizen"

    @property
    def recipients(self) -> list[str]:
        """Every organisation of the case's network, as consent recipients (``@org``)."""
        return [f"@{org}" for org in sorted({p.org for p in (self.opener, *self.network)})]

    def person(self, ref: str) -> Person | None:
        return self.by_ref.get(ref)


def populate(kind: SubjectKind, rng: random.Random) -> Population:
    """Draw a case's people. The order of draws is part of the seed's meaning: keep it."""
    handle = f"{rng.getrandbits(24):06x}"
    town, town_name = rng.choice(TOWNS)
    places = {"school": rng.choice(SCHOOLS), "daycare": rng.choice(DAYCARES),
              "clinic": rng.choice(CLINICS)}
    age = rng.randint(3, 17) if kind == "child" else None
    used: set[str] = set()

    def professional(org_type: str) -> Person:
        o = ORGS[org_type]
        org = o.slug.format(t=town, **places)
        for _ in range(20):  # a name not yet taken in this case
            first, first_name = rng.choice(FIRST)
            last, last_name = rng.choice(LAST)
            ref = f"{first}.{last}@{org}"
            if ref not in used:
                break
        used.add(ref)
        title = rng.choice(o.titles).format(T=town_name)
        if o.kind == "interpreter":  # interpreters are booked through a service, not by name
            ref = f"tolk{len(used)}@{org}"
        return Person(ref, o.kind, title, f"{first_name} {last_name}", org, org_type)

    opener_type = rng.choice(OPENERS[kind])
    opener = professional(opener_type)
    citizen_side = _citizen_side(kind, handle, age, rng)
    types = [t for t in NETWORK[kind] if t != opener_type]
    chosen = rng.sample(types, rng.randint(min(3, len(types)), min(7, len(types))))
    if opener_type in ("dagtilbud", "skole", "familie") or rng.random() < 0.5:
        chosen.append(opener_type)  # a colleague at the opener's place, often the permanent holder
    if rng.random() < 0.15:
        chosen.append("bisidder")
    language = rng.choice(INTERPRETER_LANGUAGES) if rng.random() < 0.1 else None
    if language:
        chosen.append("tolk")
    network = [professional(t) for t in chosen]
    if rng.random() < 0.3:  # a second person at one of the places
        network.append(professional(rng.choice(chosen)))
    categories = tuple(sorted(rng.sample(CATEGORIES[kind], 4)))
    everyone = (opener, *citizen_side, *network)
    return Population(
        kind=kind, handle=handle, town=town, town_name=town_name, age=age, opener=opener,
        citizen_side=citizen_side, network=tuple(network), language=language,
        categories=categories, by_ref={p.ref: p for p in everyone},
    )


def _citizen_side(
    kind: SubjectKind, handle: str, age: int | None, rng: random.Random
) -> tuple[Person, ...]:
    """The citizen and their family, by pseudonymous handles only: never a name or a CPR number."""
    if kind == "adult":
        side = [Person(f"borger@{handle}", "citizen", "Borger", speaks_as="citizen")]
        if rng.random() < 0.2:
            side.append(Person(f"paaroerende@{handle}", "relative", "Pårørende"))
        return tuple(side)
    if kind == "child":
        side = [
            Person(f"mor@barn-{handle}", "relative", f"Mor, {CUSTODY}", speaks_as="custody_holder"),
            Person(f"far@barn-{handle}", "relative", f"Far, {CUSTODY}", speaks_as="custody_holder"),
        ]
        if age is not None and age >= 13:  # old enough to take part in their own meetings
            side.append(Person(f"ung@barn-{handle}", "citizen", "Den unge", speaks_as="youth"))
        return tuple(side)
    return (
        Person(f"mor@familie-{handle}", "citizen", f"Mor, {CUSTODY}", speaks_as="custody_holder"),
        Person(f"far@familie-{handle}", "citizen", f"Far, {CUSTODY}", speaks_as="custody_holder"),
    )
