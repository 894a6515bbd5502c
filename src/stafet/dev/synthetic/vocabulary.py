"""The municipality's words: towns, names, organisations and their efforts, and the texts
caseworkers write. Data only; which of it a case uses is the population's and the story's
choice."""

from __future__ import annotations

from dataclasses import dataclass

from stafet.domain.values import ParticipantKind

TOWNS: list[tuple[str, str]] = [
    ("odense", "Odense"), ("vejle", "Vejle"), ("aarhus", "Aarhus"), ("aalborg", "Aalborg"),
    ("esbjerg", "Esbjerg"), ("randers", "Randers"), ("kolding", "Kolding"),
    ("horsens", "Horsens"), ("silkeborg", "Silkeborg"), ("naestved", "Næstved"),
    ("herning", "Herning"), ("roskilde", "Roskilde"), ("holbaek", "Holbæk"),
    ("svendborg", "Svendborg"), ("viborg", "Viborg"), ("hjoerring", "Hjørring"),
]
FIRST: list[tuple[str, str]] = [
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
LAST: list[tuple[str, str]] = [
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
    kind: ParticipantKind
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

OPENERS: dict[str, tuple[str, ...]] = {
    "adult": ("jobcenter", "voksen"), "child": ("dagtilbud", "skole", "familie"),
    "family": ("familie", "jobcenter"),
}
NETWORK: dict[str, tuple[str, ...]] = {
    "adult": ("jobcenter", "voksen", "misbrug", "psykiatri", "laege", "kriminalforsorg", "uu",
              "bolig", "frivillig"),
    "child": ("skole", "dagtilbud", "ppr", "sundhedspleje", "familie", "bup", "laege",
              "frivillig"),
    "family": ("familie", "jobcenter", "skole", "ppr", "sundhedspleje", "voksen", "misbrug",
               "psykiatri", "laege", "bolig"),
}
PURPOSE: dict[str, str] = {
    "adult": "koordinering af samlet forløb", "child": "tværfagligt samarbejde om barnet",
    "family": "helhedsorienteret støtte til familien"}
CATEGORIES: dict[str, tuple[str, ...]] = {
    "adult": ("beskæftigelse", "uddannelse", "misbrug", "helbred", "psykisk helbred",
              "kriminalitet", "bolig", "økonomi"),
    "child": ("trivsel", "sprog", "skolegang", "helbred", "udvikling", "familieforhold"),
    "family": ("trivsel", "skolegang", "helbred", "familieforhold", "beskæftigelse", "bolig",
               "økonomi", "misbrug"),
}
WHO: dict[str, str] = {"adult": "Borgeren", "child": "Barnet", "family": "Familien"}
TITLES: dict[str, list[str]] = {
    "adult": ["Samlet forløb: job, helbred og egen bolig", "Vejen til uddannelse",
              "Stabil hverdag efter afsoning", "Fra ressourceforløb mod job",
              "Ud af misbrug og ind i fællesskaber", "Sammenhængende indsats ved psykisk sårbarhed"],
    "child": ["Bekymring for trivsel og sprog", "Fravær og mistrivsel i skolen",
              "Støtte til skolestart", "Udredning og støtte i hverdagen",
              "Overgang fra børnehave til skole"],
    "family": ["Støtte til familien i en svær periode", "Helhedsorienteret indsats for familien",
               "Familiens hverdag, bolig og børnenes skolegang", "Ét samlet forløb for familien"],
}
SITUATION: dict[str, list[str]] = {
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
OVERALL_GOALS: dict[str, list[str]] = {
    "adult": ["{who} er i job eller uddannelse og selvforsørgende",
              "{who} har en stabil hverdag i egen bolig"],
    "child": ["{who} trives og går i skole hver dag", "{who} er klar til skolestart"],
    "family": ["Familien har en tryg og stabil hverdag",
               "Børnene trives, og forældrene er i beskæftigelse"],
}
SUB_GOALS = ["{who} deltager i et forløb om {cat}", "Der er en fast plan for {cat}",
             "{who} oplever fremgang med {cat}", "Ingen uafklarede spørgsmål om {cat}"]
PROGRESSION_GOALS = ["Fremmøde fire ud af fem dage i fire uger", "Én samtale om ugen om {cat}",
                     "Tre måneder uden afbrud i forløbet", "Faste rutiner hver morgen i en måned"]
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
