"""A synthetic municipality: seeded, realistic command streams for benchmarks and demos.

``generate(cases, seed, events)`` yields the commands of a year in one municipality, oldest
first: many small cases and a few hot ones (heavy-tailed activity), adults, children and
families, each with its own network of authorities, providers and volunteers. Every case
opens, gets its participants, a consent, meetings with agreements, a plan with goals and
efforts, hand-overs of the baton, notes and shares, and many cases close (a few reopen).

The generator is pure: the same arguments give the same commands, and it never reads a
ledger. It tracks each case's state itself, so every command it yields is accepted by the
ledger's rules (the tests apply whole streams and expect no refusal). Citizens are
pseudonymous handles (``borger@3c9e41``), never CPR numbers; business times
(``occurred_at``) fall on working hours spread over a year.

    >>> items = list(generate(cases=3, seed=7, events=90))
    >>> sum(item.events for item in items), items[0].name
    (90, 'case.open')
    >>> [item.fields["actor"] for item in items] == [
    ...     item.fields["actor"] for item in generate(cases=3, seed=7, events=90)]
    True

``load(ledger, items)`` writes a stream into a ledger in batches (one unit of work each).
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from stafet.domain.commands import Command, build_command

if TYPE_CHECKING:
    from stafet.domain.state import CaseState
    from stafet.ledger import Ledger

DEFAULT_START = date(2025, 1, 6)  # a Monday: the synthetic year runs from here
EVENTS_PER_CASE = 100  # the default when only the number of cases is given
WORKDAY = 8 * 3600  # working seconds a day, 08:00-16:00, Monday to Friday
YEAR_DAYS = 52 * 5  # working days in the synthetic year

# Every command the generator produces (all but ``erase``, an administrative act).
KINDS: frozenset[str] = frozenset({
    "case.open", "case.join", "case.leave", "case.close", "case.reopen",
    "baton.hand", "baton.grab", "baton.release", "baton.decline", "baton.withdraw",
    "phase", "plan.accept", "plan.summary", "goal.set", "goal.revise", "goal.status",
    "effort.plan", "effort.status", "agreement.make", "agreement.complete", "agreement.cancel",
    "view", "sectorplan.link", "consent.give", "consent.revoke", "share",
    "meeting.convene", "meeting.agenda", "meeting.hold", "meeting.cancel",
    "meeting.minutes-sent", "note", "correct",
})


@dataclass(frozen=True)
class Item:
    """One command of the stream, for the case numbered ``case`` (0, 1, ...)."""

    case: int
    name: str
    fields: dict[str, Any]  # every field but case_id; JSON-ready (times and dates as text)
    events: int  # how many events the ledger stores for it
    at: datetime  # the business time (naive, Copenhagen), also in fields["occurred_at"]
    order: int = field(default=0, repr=False)  # working second of the year: the stream's order

    @property
    def label(self) -> str:
        return f"c{self.case}"

    def command(self, case_id: UUID | str | None = None) -> Command:
        """The validated command; ``case_id`` is the ledger's id of this item's case."""
        fields = self.fields if self.name == "case.open" else {**self.fields, "case_id": case_id}
        return build_command(self.name, fields)

    def line(self) -> dict[str, Any]:
        """The command as a line of a ``stafet apply`` batch (cases bound by label)."""
        if self.name == "case.open":
            return {"command": self.name, "as": self.label, **self.fields}
        return {"command": self.name, "case": f"${self.label}", **self.fields}


@dataclass(frozen=True)
class CaseSpec:
    """What the planner decided about one case before any of its commands is generated."""

    number: int
    kind: str  # adult | child | family
    events: int  # exactly this many events
    opens: int  # working second of the year the case opens
    until: int  # working second its last command should come near
    closes: bool
    reopens: bool
    hot: bool


# -- the municipality's vocabulary ---------------------------------------------------------

TOWNS = [
    ("odense", "Odense"), ("vejle", "Vejle"), ("aarhus", "Aarhus"), ("aalborg", "Aalborg"),
    ("esbjerg", "Esbjerg"), ("randers", "Randers"), ("kolding", "Kolding"),
    ("horsens", "Horsens"), ("silkeborg", "Silkeborg"), ("naestved", "Næstved"),
    ("herning", "Herning"), ("roskilde", "Roskilde"), ("holbaek", "Holbæk"),
    ("svendborg", "Svendborg"), ("viborg", "Viborg"), ("hjoerring", "Hjørring"),
]
FIRST = [
    ("anne", "Anne"), ("louise", "Louise"), ("mette", "Mette"), ("rikke", "Rikke"),
    ("birgit", "Birgit"), ("hanne", "Hanne"), ("karin", "Karin"), ("nina", "Nina"),
    ("sara", "Sara"), ("camilla", "Camilla"), ("pernille", "Pernille"), ("lone", "Lone"),
    ("susanne", "Susanne"), ("helle", "Helle"), ("tina", "Tina"), ("maria", "Maria"),
    ("jens", "Jens"), ("peter", "Peter"), ("lars", "Lars"), ("ole", "Ole"), ("mads", "Mads"),
    ("soeren", "Søren"), ("henrik", "Henrik"), ("thomas", "Thomas"), ("jesper", "Jesper"),
    ("morten", "Morten"), ("kasper", "Kasper"), ("anders", "Anders"), ("bo", "Bo"),
    ("martin", "Martin"), ("jakob", "Jakob"), ("rasmus", "Rasmus"), ("niels", "Niels"),
    ("aase", "Åse"), ("bjoern", "Bjørn"), ("signe", "Signe"), ("ida", "Ida"), ("emil", "Emil"),
]
LAST = [
    ("holm", "Holm"), ("berg", "Berg"), ("nielsen", "Nielsen"), ("hansen", "Hansen"),
    ("lund", "Lund"), ("krogh", "Krogh"), ("dal", "Dal"), ("skov", "Skov"),
    ("moeller", "Møller"), ("friis", "Friis"), ("bach", "Bach"), ("winther", "Winther"),
    ("jensen", "Jensen"), ("pedersen", "Pedersen"), ("andersen", "Andersen"),
    ("larsen", "Larsen"), ("soerensen", "Sørensen"), ("rasmussen", "Rasmussen"),
    ("madsen", "Madsen"), ("kristensen", "Kristensen"), ("olsen", "Olsen"),
    ("thomsen", "Thomsen"), ("poulsen", "Poulsen"), ("knudsen", "Knudsen"),
    ("mortensen", "Mortensen"), ("juhl", "Juhl"), ("vestergaard", "Vestergaard"),
    ("dahl", "Dahl"), ("lauridsen", "Lauridsen"), ("oestergaard", "Østergaard"),
]
SCHOOLS = ["skovvangskolen", "lindeskolen", "aaskolen", "noerrebroskolen", "hoejvangskolen",
           "bakkeskolen", "engskolen", "rosenlundskolen"]
DAYCARES = ["solsikken", "maerkehoenen", "regnbuen", "troldehaven", "skovstjernen", "myretuen"]
CLINICS = ["vestergade", "torvet", "parkvej", "kirkebakken", "stationsvej", "havnegade"]


@dataclass(frozen=True)
class OrgType:
    key: str
    slug: str  # {t}: town; {school}, {daycare}, {clinic}
    kind: str  # participant kind
    titles: tuple[str, ...]
    efforts: tuple[tuple[str, str, str], ...] = ()  # (title, law, paragraph)
    sector_plan: tuple[str, str, str] | None = None  # (kind, system, reference prefix)


ORGS: dict[str, OrgType] = {o.key: o for o in [
    OrgType("jobcenter", "jobcenter-{t}", "authority",
            ("Koordinerende sagsbehandler, Jobcenter {T}", "Virksomhedskonsulent, Jobcenter {T}",
             "Mentor, Jobcenter {T}"),
            (("Mentorstøtte i overgangen til job", "LAB", "§ 31 b"),
             ("Virksomhedspraktik", "LAB", "§ 42"), ("Ressourceforløb", "LAB", "§ 68 a")),
            ("Min Plan (LAB § 27)", "Jobnet", "MP")),
    OrgType("voksen", "socialafdelingen-{t}", "authority",
            ("Sagsbehandler, Voksen- og handicapafdelingen", "Bostøttemedarbejder, Socialafdelingen"),
            (("Socialpædagogisk støtte i eget hjem", "SEL", "§ 85"),
             ("Kontaktperson", "SEL", "§ 99")),
            ("Handleplan (SEL § 141)", "Nexus", "HP")),
    OrgType("familie", "familieafdelingen-{t}", "authority",
            ("Socialrådgiver, Familieafdelingen", "Familiebehandler, Familieafdelingen"),
            (("Forebyggende familiesamtaler", "Barnets Lov", "§ 32"),
             ("Familiebehandling", "Barnets Lov", "§ 32, stk. 1, nr. 2"),
             ("Fast kontaktperson", "Barnets Lov", "§ 32, stk. 1, nr. 4")),
            ("Barnets plan (Barnets Lov § 91)", "DUBU", "BP")),
    OrgType("misbrug", "misbrugscenter-{t}", "authority", ("Behandler, Misbrugscenter {T}",),
            (("Ambulant stofmisbrugsbehandling", "SEL", "§ 101"),
             ("Alkoholbehandling", "Sundhedsloven", "§ 141")),
            ("Behandlingsplan", "Netsund", "BH")),
    OrgType("psykiatri", "distriktspsykiatrien-{t}", "authority",
            ("Sygeplejerske, Distriktspsykiatrien", "Psykiater, Distriktspsykiatrien"),
            (("Ambulant psykiatrisk behandling", "Sundhedsloven", "§ 79"),)),
    OrgType("bup", "boerne-ungepsykiatrien-{t}", "authority",
            ("Psykolog, Børne- og ungdomspsykiatrien",),
            (("Udredning i børne- og ungdomspsykiatrien", "Sundhedsloven", "§ 79"),)),
    OrgType("laege", "laegehuset-{clinic}", "provider", ("Praktiserende læge",),
            (("Samtaleforløb hos egen læge", "Sundhedsloven", "§ 57"),)),
    OrgType("kriminalforsorg", "kriminalforsorgen-{t}", "authority",
            ("Tilsynsførende, Kriminalforsorgen",),
            (("Tilsyn under prøveløsladelse", "Straffeloven", "§ 38"),)),
    OrgType("uu", "uu-{t}", "authority", ("Uddannelsesvejleder, UU {T}",),
            (("Erhvervsuddannelse for voksne (EUV)", "LAB", "§ 32"),),
            ("Uddannelsesplan", "Optagelse.dk", "UP")),
    OrgType("bolig", "boligsocialt-{t}", "provider", ("Boligsocial medarbejder",),
            (("Boligsocial støtte", "Almenboligloven", "§ 51 b"),)),
    OrgType("ppr", "ppr-{t}", "authority", ("Psykolog, PPR", "Tale-hørelærer, PPR"),
            (("Psykologsamtaler", "Barnets Lov", "§ 32"),
             ("Specialpædagogisk bistand", "Folkeskoleloven", "§ 3, stk. 2"))),
    OrgType("sundhedspleje", "sundhedsplejen-{t}", "authority", ("Sundhedsplejerske",),
            (("Hjemmebesøg om søvn og rutiner", "Sundhedsloven", "§ 120"),)),
    OrgType("skole", "{school}", "authority",
            ("Klasselærer", "Indskolingsleder", "Skolesocialrådgiver", "AKT-lærer"),
            (("Støtte i klassen", "Folkeskoleloven", "§ 3 a"),),
            ("Elevplan", "Aula", "EP")),
    OrgType("dagtilbud", "boernehuset-{daycare}", "authority", ("Pædagog", "Pædagogisk leder"),
            (("Sprogstimulering i lille gruppe", "Dagtilbudsloven", "§ 11"),)),
    OrgType("frivillig", "frivilligcenter-{t}", "volunteer",
            ("Frivillig mentor", "Frivillig lektiehjælper"),
            (("Frivillig mentorordning", "Frivillig indsats", "Ikke lovbestemt"),)),
    OrgType("bisidder", "borgerraadgiveren-{t}", "advocate", ("Bisidder",)),
    OrgType("tolk", "tolkeservice-{t}", "interpreter", ("Tolk",)),
]}

OPENERS = {"adult": ("jobcenter", "voksen"), "child": ("dagtilbud", "skole", "familie"),
           "family": ("familie", "jobcenter")}
NETWORK = {
    "adult": ("jobcenter", "voksen", "misbrug", "psykiatri", "laege", "kriminalforsorg", "uu",
              "bolig", "frivillig"),
    "child": ("skole", "dagtilbud", "ppr", "sundhedspleje", "familie", "bup", "laege",
              "frivillig"),
    "family": ("familie", "jobcenter", "skole", "ppr", "sundhedspleje", "voksen", "misbrug",
               "psykiatri", "laege", "bolig"),
}
PURPOSE = {"adult": "koordinering af samlet forløb", "child": "tværfagligt samarbejde om barnet",
           "family": "helhedsorienteret støtte til familien"}
CATEGORIES = {
    "adult": ("beskæftigelse", "uddannelse", "misbrug", "helbred", "psykisk helbred",
              "kriminalitet", "bolig", "økonomi"),
    "child": ("trivsel", "sprog", "skolegang", "helbred", "udvikling", "familieforhold"),
    "family": ("trivsel", "skolegang", "helbred", "familieforhold", "beskæftigelse", "bolig",
               "økonomi", "misbrug"),
}
WHO = {"adult": "Borgeren", "child": "Barnet", "family": "Familien"}
TITLES = {
    "adult": ["Samlet forløb: job, helbred og egen bolig", "Vejen til uddannelse",
              "Stabil hverdag efter afsoning", "Fra ressourceforløb mod job",
              "Ud af misbrug og ind i fællesskaber", "Sammenhængende indsats ved psykisk sårbarhed"],
    "child": ["Bekymring for trivsel og sprog", "Fravær og mistrivsel i skolen",
              "Støtte til skolestart", "Udredning og støtte i hverdagen",
              "Overgang fra børnehave til skole"],
    "family": ["Støtte til familien i en svær periode", "Helhedsorienteret indsats for familien",
               "Familiens hverdag, bolig og børnenes skolegang", "Ét samlet forløb for familien"],
}
SITUATION = {
    "adult": ["fremmødet er stabilt", "der har været et tilbagefald i weekenden",
              "boligsituationen er stadig uafklaret", "økonomien er presset efter en restance",
              "medicinen er justeret og søvnen er bedre", "praktikken går godt",
              "der er aflyst to aftaler i træk", "motivationen for uddannelse er høj",
              "der er behov for hjælp til at åbne digital post", "netværket er blevet større"],
    "child": ["barnet har haft en god uge", "fraværet er steget igen",
              "søvnen og morgenerne er blevet bedre", "sproget udvikler sig",
              "der har været konflikter i frikvartererne", "barnet deltager mere i leg",
              "forældrene oplever mindre uro derhjemme", "lektierne fylder meget"],
    "family": ["familien har fået faste rutiner", "far er begyndt på nattevagter",
               "mor er startet i praktik", "børnene kommer til tiden i skole",
               "der er økonomisk pres på familien", "boligen er for lille",
               "forældrene samarbejder godt med skolen", "der har været en krise i weekenden"],
}
NOTE_FORMS = [
    "Telefonsamtale med {who}: {sit}.", "Opfølgning: {sit}.", "Mail fra {org}: {sit}.",
    "Hjemmebesøg gennemført; {sit}.", "Kort møde med {who}. {Sit}.", "{Who} fortæller, at {sit}.",
    "Sms fra {who} om, at {sit}.",
]
TASKS = [
    "afklare {cat} og melde tilbage", "indkalde til samtale om {cat}",
    "sende status om {cat} til stafetholderen", "undersøge muligheder for {cat}",
    "følge op på {cat} efter fire uger", "lave en skriftlig aftale om {cat}",
    "koordinere {cat} med de øvrige aktører",
]
GOALS = {
    "overall": {"adult": ["{who} er i job eller uddannelse og selvforsørgende",
                          "{who} har en stabil hverdag i egen bolig"],
                "child": ["{who} trives og går i skole hver dag", "{who} er klar til skolestart"],
                "family": ["Familien har en tryg og stabil hverdag",
                           "Børnene trives, og forældrene er i beskæftigelse"]},
    "sub": ["{who} deltager i et forløb om {cat}", "Der er en fast plan for {cat}",
            "{who} oplever fremgang med {cat}", "Ingen uafklarede spørgsmål om {cat}"],
    "progression": ["Fremmøde fire ud af fem dage i fire uger", "Én samtale om ugen om {cat}",
                    "Tre måneder uden afbrud i forløbet", "Faste rutiner hver morgen i en måned"],
}
AGENDA = ["Velkomst og {who_l}s egne ønsker", "Status fra aktørerne", "Mål for {cat}",
          "Aftaler og næste møde", "Samtykke og deling af oplysninger", "Status på indsatserne",
          "Opfølgning på aftaler", "Hvem holder stafetten"]
MINUTES = [
    "{Who} fortalte om hverdagen: {sit}.", "Aktørerne gav status, og {sit}.",
    "Der var enighed om at fortsætte den fælles plan.", "Vi drøftede {cat}; {sit}.",
    "{Who} ønsker færre møder og én fast kontakt.", "Næste møde aftales om cirka tre måneder.",
]
DECISIONS = ["Stafetholderen fortsætter", "Næste møde om cirka 3 måneder",
             "Planen justeres efter drøftelsen", "Samtykket fornys ved udløb",
             "Indsatsen fortsætter uændret"]
VIEWS = ["Det er vigtigt for mig, at jeg ikke skal fortælle min historie forfra hver gang.",
         "Jeg vil gerne have én person, jeg kan ringe til.",
         "Vi vil ikke have flere møder end nødvendigt.",
         "Jeg har det bedre, når der er faste aftaler.",
         "Jeg vil gerne selv være med til at bestemme målene."]
INTERPRETER_LANGUAGES = ["arabisk", "somali", "tyrkisk", "ukrainsk", "tigrinya", "polsk"]


# -- the planner: how many cases of each kind, how busy, when ------------------------------


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
        kind = rng.choices(("adult", "child", "family"), weights=(55, 30, 15))[0]
        hot = count >= hot_cut and count > 200
        opens = rng.randrange(0, year // 8 if hot else year * 8 // 10)
        length = year - opens if hot else rng.randrange(min(20 * WORKDAY, year - opens), year - opens + 1)
        length = max(length, count)  # at least a working second an event
        closes = not hot and rng.random() < 0.45
        reopens = closes and count >= 40 and rng.random() < 0.12
        specs.append(CaseSpec(number, kind, count, opens, opens + length, closes, reopens, hot))
    return specs


def single_case(events: int, seed: int = 1, kind: str = "adult", closes: bool = False) -> list[Item]:
    """The commands of one case with exactly ``events`` events, spread over a year."""
    spec = CaseSpec(0, kind, events, 0, max(YEAR_DAYS * WORKDAY - WORKDAY, events), closes,
                    False, events > 200)
    return list(_CaseSim(spec, seed).items())


def generate(
    cases: int, seed: int, events: int | None = None, *, start: date = DEFAULT_START
) -> Iterator[Item]:
    """The commands of a municipality's year, in business-time order across all cases.

    Exactly ``events`` events in total (100 a case by default). Cases start lazily, so
    memory follows the cases open at one time, not all cases."""
    specs = sorted(plan_cases(cases, seed, events), key=lambda s: (s.opens, s.number))
    epoch = start - timedelta(days=start.weekday())
    pending: list[tuple[int, int, Item, Iterator[Item]]] = []
    next_spec = 0
    while pending or next_spec < len(specs):
        while next_spec < len(specs) and (not pending or specs[next_spec].opens <= pending[0][0]):
            stream = _CaseSim(specs[next_spec], seed, epoch).items()
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


# -- one case, step by step -----------------------------------------------------------------


@dataclass
class _Person:
    ref: str
    kind: str
    org: str  # org slug
    org_type: str
    title: str
    name: str | None
    active: bool = False


@dataclass
class _Consent:
    cid: str
    recipients: frozenset[str]  # org slugs
    categories: tuple[str, ...]
    expires: date
    revoked: bool = False
    superseded: bool = False


@dataclass
class _Meeting:
    mid: str
    start: int  # working second
    invited: list[str]
    status: str = "convened"
    minutes_sent: bool = False
    agenda_changes: int = 0


@dataclass
class _Model:
    """What the generator knows of a case: the parts of its state the rules look at."""

    people: dict[str, _Person] = field(default_factory=dict)
    stage: str = "held"
    holder: str = ""
    offered_to: str | None = None
    outgoing: str | None = None
    consents: list[_Consent] = field(default_factory=list)
    accepted: bool = False
    goals: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # id -> level, status, text
    efforts: dict[str, str] = field(default_factory=dict)  # id -> status
    agreements: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> status, responsible
    meetings: dict[str, _Meeting] = field(default_factory=dict)
    sector_plans: list[str] = field(default_factory=list)
    phase: int = 1
    status: str = "open"
    version: int = 0

    def active(self, professional: bool | None = None) -> list[_Person]:
        return [p for p in self.people.values() if p.active and (
            professional is None or (p.kind in ("authority", "provider", "volunteer")) == professional)]

    def baton_eligible(self) -> list[_Person]:
        return [p for p in self.people.values() if p.active and p.kind in ("authority", "provider")]

    def open_agreements(self) -> list[str]:
        return [a for a, (status, _) in self.agreements.items() if status == "open"]

    def involved(self) -> set[str]:
        """Who may not leave: the holders and whoever is in a hand-over."""
        return {r for r in (self.holder, self.outgoing, self.offered_to) if r}


class _CaseSim:
    def __init__(self, spec: CaseSpec, seed: int, epoch: date | None = None) -> None:
        self.spec = spec
        self.rng = random.Random(f"stafet-synthetic:{seed}:{spec.number}:{spec.events}")
        self.epoch = epoch or (DEFAULT_START - timedelta(days=DEFAULT_START.weekday()))
        self.m = _Model()
        self.w = spec.opens
        self.gap = max(1.0, (spec.until - spec.opens) / max(spec.events, 1))
        self.todo: deque[Callable[[], Item | None]] = deque()
        self.closing = False
        rng = self.rng
        self.handle = f"{rng.getrandbits(24):06x}"
        self.town, self.town_name = rng.choice(TOWNS)
        self.places = {"school": rng.choice(SCHOOLS), "daycare": rng.choice(DAYCARES),
                       "clinic": rng.choice(CLINICS)}
        self.age = rng.randint(3, 17) if spec.kind == "child" else None
        self.who = WHO[spec.kind]
        self._network()
        self.purpose = PURPOSE[spec.kind]
        self.categories = tuple(sorted(rng.sample(CATEGORIES[spec.kind], 4)))
        # The budget: each life ends in a closure when the case closes; a reopened case
        # has two lives.
        if spec.reopens:
            first = max(3, spec.events * rng.randint(35, 65) // 100)
            self.lives = [first, spec.events - first]
        else:
            self.lives = [spec.events]
        self.left = self.lives.pop(0)

    # -- the people ---------------------------------------------------------------------

    def _org_slug(self, org_type: OrgType) -> str:
        return org_type.slug.format(t=self.town, **self.places)

    def _person(self, org_type: str, used: set[str]) -> _Person:
        o = ORGS[org_type]
        for _ in range(20):
            first, first_name = self.rng.choice(FIRST)
            last, last_name = self.rng.choice(LAST)
            ref = f"{first}.{last}@{self._org_slug(o)}"
            if ref not in used:
                break
        used.add(ref)
        title = self.rng.choice(o.titles).format(T=self.town_name)
        if o.kind == "interpreter":
            ref = f"tolk{len(used)}@{self._org_slug(o)}"
        return _Person(ref, o.kind, self._org_slug(o), org_type, title, f"{first_name} {last_name}")

    def _network(self) -> None:
        rng, kind = self.rng, self.spec.kind
        used: set[str] = set()
        opener_type = rng.choice(OPENERS[kind])
        self.opener = self._person(opener_type, used)
        h = self.handle
        custody = "forældremyndighedsindehaver"
        if kind == "adult":
            self.citizen_side = [_side(f"borger@{h}", "citizen", "Borger")]
            if rng.random() < 0.2:
                self.citizen_side.append(_side(f"paaroerende@{h}", "relative", "Pårørende"))
        elif kind == "child":
            self.citizen_side = [_side(f"mor@barn-{h}", "relative", f"Mor, {custody}"),
                                 _side(f"far@barn-{h}", "relative", f"Far, {custody}")]
            if self.age is not None and self.age >= 13:
                self.citizen_side.append(_side(f"ung@barn-{h}", "citizen", "Den unge"))
        else:
            self.citizen_side = [_side(f"mor@familie-{h}", "citizen", f"Mor, {custody}"),
                                 _side(f"far@familie-{h}", "citizen", f"Far, {custody}")]
        types = [t for t in NETWORK[kind] if t != opener_type]
        chosen = rng.sample(types, rng.randint(min(3, len(types)), min(7, len(types))))
        if opener_type in ("dagtilbud", "skole", "familie") or rng.random() < 0.5:
            chosen.append(opener_type)  # a colleague at the opener's place, often the permanent holder
        if rng.random() < 0.15:
            chosen.append("bisidder")
        self.language = rng.choice(INTERPRETER_LANGUAGES) if rng.random() < 0.1 else None
        if self.language:
            chosen.append("tolk")
        self.network = [self._person(t, used) for t in chosen]
        if rng.random() < 0.3:  # a second person at one of the places
            self.network.append(self._person(rng.choice(chosen), used))
        for p in [self.opener, *self.citizen_side, *self.network]:
            self.m.people[p.ref] = p

    # -- time ----------------------------------------------------------------------------

    def _tick(self, scale: float = 1.0) -> None:
        gap = self.gap * scale
        self.w += max(1, int(self.rng.expovariate(1.0 / gap))) if gap > 1 else 1

    def _calendar(self, w: int) -> datetime:
        day, second = divmod(w, WORKDAY)
        weeks, weekday = divmod(day, 5)
        moment = datetime.combine(self.epoch + timedelta(days=7 * weeks + weekday), time(8))
        return moment + timedelta(seconds=second)

    @property
    def today(self) -> date:
        return self._calendar(self.w).date()

    def _day_at(self, days_ahead: int, hour: int) -> int:
        """The working second of ``hour`` o'clock, ``days_ahead`` working days from now."""
        return (self.w // WORKDAY + days_ahead) * WORKDAY + (hour - 8) * 3600

    # -- emitting ----------------------------------------------------------------------

    def _emit(self, name: str, events: int = 1, **fields: Any) -> Item:
        at = self._calendar(self.w)
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["occurred_at"] = at.isoformat(timespec="seconds")
        self.left -= events
        self.m.version += events
        return Item(self.spec.number, name, fields, events, at, self.w)

    def items(self) -> Iterator[Item]:
        yield self._open()
        while True:
            while self.left > 0:
                self._tick(0.3 if self.todo else 1.0)
                yield self._step()
            if not self.lives or self.m.status != "closed":
                return
            self.left = self.lives.pop(0)
            self.closing = False
            self._tick(20)
            yield self._reopen()

    # -- the order of business ---------------------------------------------------------

    def _needed(self) -> int:
        """Events it takes to close from here: finish the hand-over, the agreements, close."""
        if not self.spec.closes:
            return 0
        m = self.m
        return {"offered": 2, "exchange": 1}.get(m.stage, 0) + len(m.open_agreements()) + 1

    def _room(self, cost: int, extra_needed: int = 0) -> bool:
        return self.left - cost >= self._needed() + extra_needed + (2 if self.spec.closes else 0)

    def _step(self) -> Item:
        if self.spec.closes and not self.closing and self.left - self._needed() <= 2:
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
        m = self.m
        if self.left > self._needed():
            return self._note()
        if m.stage == "offered":
            return self._grab()
        if m.stage == "exchange":
            return self._release()
        if m.open_agreements():
            aid = self.rng.choice(m.open_agreements())
            return self._complete(aid) if self.rng.random() < 0.85 else self._cancel(aid)
        return self._close()

    def _baton_due(self) -> Item | None:
        m = self.m
        if m.stage == "offered" and self.rng.random() < 0.6:
            roll = self.rng.random()
            if roll < 0.82:
                return self._grab()
            return self._decline() if roll < 0.91 else self._withdraw()
        if m.stage == "exchange" and self.rng.random() < 0.6:
            return self._release()
        return None

    def _meeting_due(self) -> Item | None:
        for meeting in self.m.meetings.values():
            if meeting.status == "convened" and self.w >= meeting.start + 3600:
                if not self.m.accepted:
                    return self._accept()
                if self.rng.random() < 0.93 and self._room(1):
                    item = self._hold(meeting)
                    if item is not None:
                        return item
                return self._cancel_meeting(meeting)
        return None

    def _minutes_due(self) -> Item | None:
        for meeting in self.m.meetings.values():
            if meeting.status == "held" and not meeting.minutes_sent and self.rng.random() < 0.6:
                return self._minutes(meeting)
        return None

    def _free(self) -> Item:
        choices: list[tuple[float, Callable[[], Item | None]]] = [
            (20, self._note), (9, self._share), (7, self._make_agreement),
            (7, self._complete_some), (1, self._cancel_some), (1, self._reassign),
            (4, self._goal_status), (2, self._revise_goal), (2, self._set_goal),
            (3, self._plan_effort), (4, self._effort_status), (4, self._convene),
            (1, self._change_agenda), (2, self._hand), (2, self._join_someone),
            (1, self._leave_someone), (0.5, self._renew_consent), (0.5, self._revoke_consent),
            (3, self._view), (1, self._link_sector_plan), (0.7, self._phase), (1, self._correct),
            (0.8, self._summary),
        ]
        while choices:
            weights = [w for w, _ in choices]
            index = self.rng.choices(range(len(choices)), weights=weights)[0]
            item = choices.pop(index)[1]()
            if item is not None:
                return item
        return self._note()

    # -- helpers for texts and people --------------------------------------------------

    def _pick(self, people: list[_Person]) -> _Person:
        return self.rng.choice(people)

    def _actor(self) -> _Person:
        """Who writes: the holder often, else a professional of an authority or provider."""
        if self.rng.random() < 0.4:
            return self.m.people[self.m.holder]
        return self._pick(self.m.baton_eligible())

    def _cat(self) -> str:
        return self.rng.choice(self.categories)

    def _sit(self) -> str:
        return self.rng.choice(SITUATION[self.spec.kind])

    def _text(self, forms: list[str], **extra: str) -> str:
        form = self.rng.choice(forms)
        person = self._pick(self.m.active(professional=True))
        sit = self._sit()
        values = {"who": self.who.lower(), "Who": self.who, "sit": sit, "Sit": sit[0].upper() + sit[1:],
                  "org": person.org, "cat": self._cat(), "who_l": self.who.lower(), **extra}
        return form.format(**values)

    def _days(self, low: int, high: int) -> str:
        return (self.today + timedelta(days=self.rng.randint(low, high))).isoformat()

    def _givers(self) -> list[dict[str, str]]:
        if self.spec.kind == "adult":
            return [{"role": "citizen"}]
        if self.spec.kind == "family":
            return [{"role": "custody_holder"}, {"role": "custody_holder"}]
        givers = [{"role": "custody_holder"}, {"role": "custody_holder"}]
        if self.age is not None and self.age >= 15:
            givers.append({"role": "youth"})
        return givers

    def _active_consents(self) -> list[_Consent]:
        return [c for c in self.m.consents if not c.revoked and self.today <= c.expires]

    def _covered(self, person: _Person) -> bool:
        return any(person.org in c.recipients for c in self._active_consents())

    # -- the case ----------------------------------------------------------------------

    def _open(self) -> Item:
        o, kind, m = self.opener, self.spec.kind, self.m
        temporary = self.rng.random() < (0.6 if kind == "child" else 0.3)
        o.active = True
        m.holder = o.ref
        prefix = {"adult": "borger", "child": "barn", "family": "familie"}[kind]
        item = self._emit(
            "case.open", actor=o.ref, actor_role=o.title.split(",")[0],
            subject_ref=f"{prefix}-{self.handle}", subject_kind=kind,
            title=self.rng.choice(TITLES[kind]), holder_kind=o.kind, holder_title=o.title,
            holder_name=o.name, temporary=temporary,
        )
        # The intake: who joins, the consent, the first meeting; then, once the plan is
        # accepted, the plan itself.
        if self.rng.random() < 0.3:
            self.todo.append(self._note)
        self.todo.extend(self._join_person(p) for p in self.citizen_side)
        self.todo.append(self._first_consent)
        joiners = [p for p in self.network if p.kind != "interpreter"] or self.network
        first = self.rng.sample(joiners, min(len(joiners), self.rng.randint(2, 5)))
        if self.language:
            first += [p for p in self.network if p.kind == "interpreter"]
        self.todo.extend(self._join_person(p) for p in first)
        if temporary:
            self.todo.append(self._hand_to_permanent)
        self.todo.append(self._convene)
        return item

    def _join_person(self, person: _Person) -> Callable[[], Item | None]:
        def join() -> Item | None:
            if person.active or not self._room(1):
                return None
            needs_consent = self.spec.kind in ("child", "family") and person.kind not in (
                "citizen", "relative")
            if needs_consent and not self._covered(person):
                return None
            person.active = True
            return self._emit(
                "case.join", actor=self.m.holder, participant=person.ref, kind=person.kind,
                title=person.title, participant_name=person.name,
            )
        return join

    def _first_consent(self) -> Item | None:
        return self._give_consent()

    def _give_consent(self) -> Item | None:
        if not self._room(1):
            return None
        m = self.m
        orgs = sorted({p.org for p in [self.opener, *self.network]})
        expires = self.today + timedelta(days=self.rng.randint(365, 540))
        consent = _Consent(f"C{len(m.consents) + 1}", frozenset(orgs), self.categories, expires)
        m.consents.append(consent)
        return self._emit(
            "consent.give", actor=m.holder, given_by=self._givers(), purpose=self.purpose,
            recipients=[f"@{o}" for o in orgs], categories=list(self.categories),
            expires_on=expires.isoformat(), subject_age=self.age,
        )

    def _hand_to_permanent(self) -> Item | None:
        m = self.m
        if m.stage != "held" or not self._room(3):
            return None
        candidates = [p for p in m.baton_eligible() if p.ref != m.holder]
        same = [p for p in candidates if p.org == self.opener.org]
        if not candidates:
            return None
        target = self._pick(same or candidates)
        m.stage, m.offered_to = "offered", target.ref
        return self._emit("baton.hand", actor=m.holder, to=target.ref,
                          note=f"{target.name} bliver fast stafetholder.")

    def _accept(self) -> Item:
        self.m.accepted = True
        item = self._emit("plan.accept", actor=self.m.holder, accepted_by=self._givers(),
                          subject_age=self.age,
                          note=f"{self.who} siger ja til én fælles plan.")
        # The plan is written over the next days.
        self.todo.extend([self._summary, self._first_goals, self._plan_effort, self._view])
        if self.rng.random() < 0.7:
            self.todo.append(self._link_sector_plan)
        self.todo.append(self._plan_effort)
        return item

    def _first_goals(self) -> Item | None:
        item = self._set_goal(level="overall")
        if item is not None:
            self.todo.extendleft([self._set_goal] * self.rng.randint(1, 3))
        return item

    def _close(self) -> Item:
        m = self.m
        m.status = "closed"
        follow = self._pick(m.active(professional=True))
        continuing = [sp for sp in m.sector_plans if self.rng.random() < 0.6]
        return self._emit(
            "case.close", actor=m.holder,
            further_course=f"{self.who} fortsætter i de sektorplaner, der lever videre. "
            f"{follow.name} følger op om tre måneder.",
            follow_up_by=follow.ref, continuing_sector_plans=continuing,
        )

    def _reopen(self) -> Item:
        m = self.m
        m.status = "open"
        eligible = m.baton_eligible()
        last = m.people[m.holder]
        by = last if last in eligible and self.rng.random() < 0.6 else self._pick(eligible)
        m.holder, m.stage, m.offered_to, m.outgoing = by.ref, "held", None, None
        return self._emit("case.reopen", actor=by.ref,
                          reason=f"Ny henvendelse: {self._sit()}; forløbet genoptages.")

    def _phase(self) -> Item | None:
        m = self.m
        phase = min(3, m.phase + 1) if self.rng.random() < 0.8 else max(1, m.phase - 1)
        if phase == m.phase:
            return None
        m.phase = phase
        return self._emit("phase", actor=m.holder, phase=phase,
                          reason="Tværfaglig drøftelse" if phase > 1 else "Tilbage til lokale indsatser")

    # -- people joining and leaving ----------------------------------------------------

    def _join_someone(self) -> Item | None:
        outside = [p for p in self.network if not p.active]
        if not outside:
            return None
        return self._join_person(self._pick(outside))()

    def _leave_someone(self) -> Item | None:
        m = self.m
        professionals = m.active(professional=True)
        if len(professionals) <= 3:
            return None
        responsible = {r for status, r in m.agreements.values() if status == "open"}
        can_go = [p for p in professionals if p.ref not in m.involved() and p.ref not in responsible]
        if not can_go:
            return None
        person = self._pick(can_go)
        person.active = False
        actor = person.ref if self.rng.random() < 0.5 else m.holder
        return self._emit("case.leave", actor=actor, participant=person.ref,
                          reason="Indsatsen er afsluttet")

    # -- the baton ---------------------------------------------------------------------

    def _hand(self) -> Item | None:
        m = self.m
        if m.stage != "held" or not self._room(3):
            return None
        candidates = [p for p in m.baton_eligible() if p.ref != m.holder]
        if not candidates:
            return None
        target = self._pick(candidates)
        m.stage, m.offered_to = "offered", target.ref
        return self._emit("baton.hand", actor=m.holder, to=target.ref,
                          note="Hovedindsatsen flytter; stafetten gives videre.")

    def _grab(self) -> Item:
        m = self.m
        by = m.offered_to
        assert by is not None
        m.stage, m.outgoing, m.holder, m.offered_to = "exchange", m.holder, by, None
        return self._emit("baton.grab", actor=by)

    def _release(self) -> Item:
        m = self.m
        assert m.outgoing is not None
        by, m.outgoing, m.stage = m.outgoing, None, "held"
        return self._emit("baton.release", actor=by)

    def _decline(self) -> Item:
        m = self.m
        by, m.offered_to, m.stage = m.offered_to, None, "held"
        return self._emit("baton.decline", actor=by, reason="Ikke kapacitet lige nu")

    def _withdraw(self) -> Item:
        m = self.m
        m.offered_to, m.stage = None, "held"
        return self._emit("baton.withdraw", actor=m.holder, reason="Aftalt på mødet at vente")

    # -- consent and sharing -----------------------------------------------------------

    def _renew_consent(self) -> Item | None:
        active = self._active_consents()
        if not active or len(self.m.consents) > 20:
            return None
        for c in active:
            c.superseded = True
        return self._give_consent()

    def _revoke_consent(self) -> Item | None:
        m = self.m
        newest = self._active_consents()[-1:]
        old = [c for c in m.consents if c.superseded and not c.revoked and c not in newest]
        if not old or not newest or not self._room(1):
            return None
        consent = self._pick(old)
        consent.revoked = True
        return self._emit("consent.revoke", actor=m.holder, consent_id=consent.cid,
                          reason="Erstattet af et nyt samtykke")

    def _share(self) -> Item | None:
        active = self._active_consents()
        if not active:
            return None
        consent = active[-1]
        actor = self._actor()
        recipients = [p for p in self.m.active(professional=True)
                      if p.org in consent.recipients and p.ref != actor.ref]
        if not recipients:
            return None
        to = self._pick(recipients)
        cats = sorted(self.rng.sample(consent.categories, self.rng.randint(1, 2)))
        return self._emit(
            "share", actor=actor.ref, recipient=to.ref, purpose=self.purpose, categories=cats,
            description=f"Status om {', '.join(cats)} fra {actor.org} til {to.org}.",
        )

    # -- the plan ------------------------------------------------------------------------

    def _summary(self) -> Item | None:
        if not self.m.accepted:
            return None
        sits = self.rng.sample(SITUATION[self.spec.kind], 3)
        return self._emit(
            "plan.summary", actor=self.m.holder,
            text=f"{self.who} har brug for en samlet indsats. Lige nu gælder, at {sits[0]}, "
            f"at {sits[1]}, og at {sits[2]}. Aktørerne er enige om én fælles plan.",
        )

    def _set_goal(self, level: str | None = None) -> Item | None:
        m = self.m
        if not m.accepted or len(m.goals) > 40:
            return None
        overall = [g for g, (lvl, _, _) in m.goals.items() if lvl == "overall"]
        sub = [g for g, (lvl, _, _) in m.goals.items() if lvl == "sub"]
        if level is None:
            if not overall:
                level = "overall"
            else:
                level = "sub" if not sub or self.rng.random() < 0.6 else "progression"
        parent = None
        if level == "sub":
            if not overall:
                return None
            parent = self.rng.choice(overall)
            text = self.rng.choice(GOALS["sub"]).format(who=self.who, cat=self._cat())
        elif level == "progression":
            if not sub:
                return None
            parent = self.rng.choice(sub)
            text = self.rng.choice(GOALS["progression"]).format(cat=self._cat())
        else:
            text = self.rng.choice(GOALS["overall"][self.spec.kind]).format(who=self.who)
        gid = f"G{len(m.goals) + 1}"
        m.goals[gid] = (level, "open", text)
        return self._emit("goal.set", actor=m.holder, level=level, parent_id=parent, text=text,
                          target_date=self._days(60, 720))

    def _revise_goal(self) -> Item | None:
        m = self.m
        if not m.accepted or not m.goals:
            return None
        gid = self.rng.choice(sorted(m.goals))
        level, status, text = m.goals[gid]
        new = f"{text.split(' (revideret')[0]} (revideret {m.version})"
        m.goals[gid] = (level, status, new)
        return self._emit("goal.revise", actor=self._actor().ref, goal_id=gid, text=new,
                          reason="Målet er justeret efter opfølgningsmødet")

    def _goal_status(self) -> Item | None:
        m = self.m
        if not m.accepted or not m.goals:
            return None
        gid = self.rng.choice(sorted(m.goals))
        level, status, text = m.goals[gid]
        options = {"open": ["in_progress"], "in_progress": ["achieved", "partly_achieved", "in_progress"],
                   }.get(status, ["in_progress", "not_achieved", "dropped", "open"])
        new = self.rng.choice([o for o in options if o != status] or ["in_progress"])
        if new == status:
            return None
        m.goals[gid] = (level, new, text)
        return self._emit("goal.status", actor=self._actor().ref, goal_id=gid, status=new,
                          note="Vurderet på opfølgningsmødet" if self.rng.random() < 0.5 else None)

    def _plan_effort(self) -> Item | None:
        m = self.m
        if not m.accepted or len(m.efforts) > 30:
            return None
        providers = [p for p in m.active(professional=True) if ORGS[p.org_type].efforts]
        if not providers:
            return None
        provider = self._pick(providers)
        title, law, paragraph = self.rng.choice(ORGS[provider.org_type].efforts)
        goals = sorted(m.goals)
        goal_ids = self.rng.sample(goals, min(len(goals), self.rng.randint(0, 2)))
        eid = f"E{len(m.efforts) + 1}"
        m.efforts[eid] = "planned"
        starts = self.today + timedelta(days=self.rng.randint(0, 45))
        ends = starts + timedelta(days=self.rng.randint(30, 540)) if self.rng.random() < 0.8 else None
        return self._emit(
            "effort.plan", actor=m.holder, title=title, law=law, paragraph=paragraph,
            provider=provider.ref, starts_on=starts.isoformat(),
            ends_on=ends.isoformat() if ends else None, goal_ids=sorted(goal_ids),
        )

    def _effort_status(self) -> Item | None:
        m = self.m
        moves = {"planned": ["started"], "started": ["paused", "completed", "completed", "stopped"],
                 "paused": ["started", "stopped"]}
        movable = [e for e, status in m.efforts.items() if status in moves]
        if not m.accepted or not movable:
            return None
        eid = self.rng.choice(movable)
        new = self.rng.choice(moves[m.efforts[eid]])
        m.efforts[eid] = new
        return self._emit("effort.status", actor=self._actor().ref, effort_id=eid, status=new)

    def _view(self) -> Item | None:
        m = self.m
        if not m.accepted:
            return None
        given_by = {"adult": "citizen", "family": "citizen"}.get(
            self.spec.kind, "youth" if self.age and self.age >= 13 else "custody_holder")
        goal = self.rng.choice(sorted(m.goals)) if m.goals and self.rng.random() < 0.3 else None
        return self._emit("view", actor=self._actor().ref, text=self.rng.choice(VIEWS),
                          given_by=given_by, goal_id=goal)

    def _link_sector_plan(self) -> Item | None:
        m = self.m
        owners = [p for p in m.active(professional=True) if ORGS[p.org_type].sector_plan]
        if not owners or len(m.sector_plans) > 10:
            return None
        owner = self._pick(owners)
        kind, system, prefix = ORGS[owner.org_type].sector_plan  # type: ignore[misc]
        sid = f"SP{len(m.sector_plans) + 1}"
        m.sector_plans.append(sid)
        reference = f"{prefix}-{self.today.year}-{self.rng.randrange(10**5):05d}"
        return self._emit("sectorplan.link", actor=owner.ref, kind=kind, owner=owner.ref,
                          system=system, reference=reference)

    # -- agreements ----------------------------------------------------------------------

    def _terms(self) -> dict[str, Any]:
        m = self.m
        people = m.active(professional=True)
        if self.rng.random() < 0.15:
            people = [p for p in m.active() if p.kind in ("citizen", "relative")] or people
        who = self._pick(people)
        goal = self.rng.choice(sorted(m.goals)) if m.goals and self.rng.random() < 0.4 else None
        return {"text": self.rng.choice(TASKS).format(cat=self._cat()), "responsible": who.ref,
                "due_on": self._days(7, 90), **({"goal_id": goal} if goal else {})}

    def _new_agreement(self, responsible: str) -> str:
        aid = f"A{len(self.m.agreements) + 1}"
        self.m.agreements[aid] = ("open", responsible)
        return aid

    def _make_agreement(self) -> Item | None:
        if not self.m.accepted or not self._room(1, 1):
            return None
        terms = self._terms()
        self._new_agreement(terms["responsible"])
        return self._emit("agreement.make", actor=self.m.holder, **terms)

    def _reassign(self) -> Item | None:
        m = self.m
        open_ = m.open_agreements()
        if not m.accepted or not open_:
            return None
        old = self.rng.choice(open_)
        terms = self._terms()
        if terms["responsible"] == m.agreements[old][1]:
            return None
        m.agreements[old] = ("reassigned", m.agreements[old][1])
        self._new_agreement(terms["responsible"])
        return self._emit("agreement.make", actor=m.holder, replaces=old, **terms)

    def _complete(self, aid: str) -> Item:
        m = self.m
        responsible = m.people[m.agreements[aid][1]]
        actor = responsible.ref if responsible.active and responsible.kind not in (
            "citizen", "relative") else m.holder
        m.agreements[aid] = ("completed", responsible.ref)
        return self._emit("agreement.complete", actor=actor, agreement_id=aid,
                          note="Udført som aftalt" if self.rng.random() < 0.4 else None)

    def _cancel(self, aid: str) -> Item:
        m = self.m
        m.agreements[aid] = ("cancelled", m.agreements[aid][1])
        return self._emit("agreement.cancel", actor=m.holder, agreement_id=aid,
                          reason="Ikke længere relevant")

    def _complete_some(self) -> Item | None:
        open_ = self.m.open_agreements()
        return self._complete(self.rng.choice(open_)) if open_ else None

    def _cancel_some(self) -> Item | None:
        open_ = self.m.open_agreements()
        return self._cancel(self.rng.choice(open_)) if open_ else None

    # -- meetings ------------------------------------------------------------------------

    def _convene(self) -> Item | None:
        m = self.m
        if any(x.status == "convened" for x in m.meetings.values()) or not self._room(2):
            return None
        others = [p.ref for p in m.active() if p.ref != m.holder]
        if not others:
            return None
        invited = sorted(self.rng.sample(others, max(1, len(others) - self.rng.randint(0, 2))))
        mid = f"M{len(m.meetings) + 1}"
        start = self._day_at(self.rng.randint(3, 10), self.rng.choice((9, 10, 13)))
        m.meetings[mid] = _Meeting(mid, start, invited)
        agenda = self.rng.sample(AGENDA, self.rng.randint(2, 5))
        values = {"who_l": self.who.lower(), "cat": self._cat()}
        place = self.rng.choice([f"{self.opener.org}, mødelokale {self.rng.randint(1, 6)}",
                                 "Borgerens hjem", "Rådhuset, lokale 2.14", "Online (Teams)"])
        interpreter = self.language if any(
            m.people[r].kind == "interpreter" for r in invited) else None
        return self._emit(
            "meeting.convene", actor=m.holder, starts_at=self._calendar(start).isoformat(),
            place=f"{place} (aftalt med borgeren)" if self.rng.random() < 0.7 else place,
            place_agreed_with_citizen=self.rng.random() < 0.7, invited=invited,
            agenda=[a.format(**values) for a in agenda],
            kind="coordinating" if len(m.meetings) == 1 else "follow_up",
            interpreter_language=interpreter,
            advocate_needed=any(m.people[r].kind == "advocate" for r in invited) or None,
        )

    def _change_agenda(self) -> Item | None:
        m = self.m
        upcoming = [x for x in m.meetings.values()
                    if x.status == "convened" and self.w < x.start and x.agenda_changes < 2]
        if not upcoming:
            return None
        meeting = upcoming[0]
        meeting.agenda_changes += 1
        values = {"who_l": self.who.lower(), "cat": self._cat()}
        agenda = [a.format(**values) for a in self.rng.sample(AGENDA, self.rng.randint(2, 5))]
        return self._emit("meeting.agenda", actor=m.holder, meeting_id=meeting.mid, agenda=agenda)

    def _hold(self, meeting: _Meeting) -> Item | None:
        m = self.m
        present = [r for r in meeting.invited if m.people[r].active]
        came = self.rng.sample(present, max(0, len(present) - self.rng.randint(0, 1)))
        attendees = sorted({m.holder, *came})
        room = self.left - 1 - self._needed() - (2 if self.spec.closes else 0)
        if self.spec.closes:
            room //= 2  # each agreement costs one event now and one to finish before closing
        count = max(0, min(self.rng.randint(0, 5), room, self.left - 1))
        agreements = [self._terms() for _ in range(count)]
        for terms in agreements:
            self._new_agreement(terms["responsible"])
        meeting.status = "held"
        minutes = " ".join(self._text(MINUTES) for _ in range(self.rng.randint(2, 4)))
        return self._emit(
            "meeting.hold", events=1 + count, actor=m.holder, meeting_id=meeting.mid,
            attendees=attendees, minutes=minutes,
            decisions=self.rng.sample(DECISIONS, self.rng.randint(0, 2)), agreements=agreements,
        )

    def _cancel_meeting(self, meeting: _Meeting) -> Item:
        meeting.status = "cancelled"
        return self._emit("meeting.cancel", actor=self.m.holder, meeting_id=meeting.mid,
                          reason="Flere aktører var forhindret; nyt møde indkaldes")

    def _minutes(self, meeting: _Meeting) -> Item:
        m = self.m
        meeting.minutes_sent = True
        recipients = [r for r in meeting.invited if m.people[r].active] or [m.holder]
        return self._emit("meeting.minutes-sent", actor=m.holder, meeting_id=meeting.mid,
                          recipients=recipients)

    # -- the log ---------------------------------------------------------------------------

    def _note(self) -> Item:
        actor = self._actor()
        text = self._text(NOTE_FORMS)
        if self.rng.random() < 0.02:  # now and then a long journal note
            text = " ".join(self._text(NOTE_FORMS) for _ in range(30))
        return self._emit("note", actor=actor.ref, actor_role=actor.title.split(",")[0], text=text)

    def _correct(self) -> Item | None:
        m = self.m
        if m.version < 3:
            return None
        position = self.rng.randint(max(2, m.version - 20), m.version)
        return self._emit("correct", actor=self._actor().ref, position=position,
                          correction="Rettelse: datoen for samtalen var dagen før.",
                          reason="Forkert dato i notatet")



def _side(ref: str, kind: str, title: str) -> _Person:
    """Someone on the citizen's side: a pseudonymous handle, never a name or a CPR number."""
    return _Person(ref, kind, "", "", title, None)


# -- writing a stream into a ledger ------------------------------------------------------------


@dataclass
class LoadReport:
    cases: int = 0
    commands: int = 0
    events: int = 0
    seconds: float = 0.0
    by_command: Counter[str] = field(default_factory=Counter)
    case_ids: dict[int, UUID] = field(default_factory=dict)


def load(
    ledger: Ledger,
    items: Iterable[Item],
    *,
    batch: int = 500,
    progress: Callable[[int], None] | None = None,
    keep_states: int = 50_000,
) -> LoadReport:
    """Write the stream with one unit of work per ``batch`` commands.

    Meant for a ledger no one else writes to at the same time (a fresh database, a
    benchmark): the states this loader decided are carried from one unit to the next
    (``keep_states`` of them, least recently used dropped), so a case is read from the
    store only when it fell out of that memory. Returns what was written, and each case
    number's id in the ledger."""
    import time as _time

    from stafet.application.unit_of_work import UnitOfWork

    report = LoadReport()
    states: dict[UUID, CaseState] = {}
    started = _time.perf_counter()
    work: UnitOfWork | None = None
    in_batch = 0

    def commit(unit: UnitOfWork) -> None:
        unit.commit()
        for case_id, state in unit.states.items():
            states.pop(case_id, None)
            states[case_id] = state
        while len(states) > keep_states:
            states.pop(next(iter(states)))

    for item in items:
        if work is None:
            work = ledger.unit_of_work()
            in_batch = 0
        case_id = report.case_ids.get(item.case)
        if case_id is not None and case_id not in work.states and case_id in states:
            work.states[case_id] = states[case_id]
            work.loaded_versions[case_id] = states[case_id].version
        result = work.decide(item.command(case_id))
        if item.name == "case.open":
            report.case_ids[item.case] = result.case_id
            report.cases += 1
        report.commands += 1
        report.events += len(result.events)
        report.by_command[item.name] += 1
        in_batch += 1
        if progress:
            progress(len(result.events))
        if in_batch >= batch:
            commit(work)
            work = None
    if work is not None:
        commit(work)
    report.seconds = _time.perf_counter() - started
    return report
