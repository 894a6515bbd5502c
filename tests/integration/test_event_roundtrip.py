"""What storage decides, per backend: every event type of the catalogue survives the trip to the
store and back, and a refused command stores nothing. On an SQLite file and on PostgreSQL.

The rule tests (tests/rules) run the pure domain in memory; this module is what makes that
enough. One story of real commands goes through the real ``Ledger`` and, with the same clock,
through the in-memory ``DomainLedger`` of the rule tests. For every event type of
``stafet.domain.events.EVENT_TYPES`` the story produced, what the store gives back equals what
the domain decided:

- read back by a fresh ``Ledger(case_cache_size=0)`` (no case cache, nothing of this process's
  memory), event by event;
- folded into the case at every version (through the snapshots the writing ledger took every
  ``SNAPSHOT_EVERY`` versions, and the events after them), and each snapshot itself;
- as the ``CommandResult`` of the writing ledger said.

An event type added to the catalogue without a command in the story fails
``test_every_event_type_round_trips[<its name>]``. It also checks that the fake and the
application decide alike, so the rule tests cannot drift from the real ``Ledger``.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import pytest

from stafet import CommandResult, InvalidCommand, Ledger, RuleViolation
from stafet.domain.commands import EraseCase
from stafet.domain.decide import Context, decide
from stafet.domain.events import EVENT_TYPES, CaseEvent, PersonalDataErased
from stafet.domain.evolve import project_case
from stafet.domain.state import CaseState
from tests.helpers import ADDICTION, HOLDER, SOCIAL, VOLUNTEER, Scenario
from tests.readside.support import drop_schema, dump_tables, tracking
from tests.rules._domain import DomainLedger
from tests.rules._plan_support import MONDAY, Clock

# Tier (tests/README.md): the quick loop's PostgreSQL check, besides SQLite.
pytestmark = pytest.mark.pg_smoke

SNAPSHOT_EVERY = 2  # odd versions load from a snapshot and one event, even ones from a snapshot
ERASER = "dpo@kommunen"
CITIZEN_NAME = "Åse Ødegård-Ærenfeldt"  # personal data, sealed with the citizen's key


def story(case_id: UUID) -> list[tuple[str, dict[str, Any]]]:
    """After ``case.open``: commands that between them record every kind of event, each with
    the optional fields filled in (so every personal field is sealed and opened again)."""
    plan_dates = {"due_on": "2026-04-01"}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("case.join", {"participant": SOCIAL, "kind": "authority", "title": "Socialrådgiver",
                       "participant_name": "Bo Bøgh"}),
        ("case.join", {"participant": ADDICTION, "kind": "provider"}),
        ("case.join", {"participant": VOLUNTEER, "kind": "volunteer"}),
        ("case.leave", {"actor": VOLUNTEER, "participant": VOLUNTEER, "reason": "Flytter"}),
        ("baton.confirm", {"note": "Anne fortsætter som stafetholder"}),
        ("case.birth-month", {"birth_month": "4.1987"}),
        ("phase", {"phase": 2, "reason": "Planen skal i gang"}),
        ("consent.give", {"given_by": [{"role": "citizen", "name": CITIZEN_NAME}],
                          "purpose": "koordinering af forløbet", "recipients": [SOCIAL],
                          "categories": ["helbred"], "expires_on": "2026-09-01"}),
        ("share", {"recipient": SOCIAL, "purpose": "koordinering af forløbet",
                   "categories": ["helbred"], "description": "Lægeerklæring om ryggen"}),
        ("consent.revoke", {"consent_id": "C1", "reason": "Borgeren ønsker det"}),
        ("plan.accept", {"accepted_by": [{"role": "citizen", "name": CITIZEN_NAME}],
                         "note": "Accepteret på mødet"}),
        ("plan.summary", {"text": "Bor alene i Brønshøj 👨‍👩‍👧, ledig i to år."}),
        ("goal.set", {"level": "overall", "text": "Job inden for et år",
                      "target_date": "2027-03-01"}),
        ("goal.revise", {"goal_id": "G1", "text": "Job eller uddannelse inden for et år",
                         "reason": "Bredere mål"}),
        ("goal.status", {"goal_id": "G1", "status": "in_progress", "note": "Godt i gang"}),
        ("effort.plan", {"title": "Misbrugsbehandling", "law": "Sundhedsloven",
                         "paragraph": "§ 141", "provider": ADDICTION, "starts_on": "2026-03-09",
                         "ends_on": "2026-06-30", "goal_ids": ["G1"]}),
        ("effort.status", {"effort_id": "E1", "status": "started", "note": "Første samtale"}),
        ("agreement.make", {"text": "Søge tre job", "responsible": SOCIAL, "goal_id": "G1",
                            **plan_dates}),
        ("agreement.complete", {"agreement_id": "A1", "note": "Gjort"}),
        ("agreement.reopen", {"agreement_id": "A1", "reason": "Kun to job søgt"}),
        ("agreement.complete", {"agreement_id": "A1", "note": "Nu er det gjort"}),
        ("agreement.make", {"text": "Ringe til a-kassen", "responsible": SOCIAL, **plan_dates}),
        ("agreement.cancel", {"agreement_id": "A2", "reason": "Ikke længere nødvendigt"}),
        ("view", {"text": "Jeg vil gerne være smed 🔧", "goal_id": "G1"}),
        ("sectorplan.link", {"kind": "handleplan", "owner": SOCIAL, "system": "DUBU",
                             "reference": "HP-2026-17"}),
        # Convened a week before the story's Monday for that morning: held the same day.
        ("meeting.convene", {"starts_at": "2026-03-02T08:00:00", "occurred_at": "2026-02-23T09:00",
                             "place": "Jobcentret, lokale 2",
                             "place_agreed_with_citizen": True, "invited": [SOCIAL, ADDICTION],
                             "agenda": ["Velkomst", "Bolig"], "interpreter_language": "arabisk",
                             "advocate_needed": True}),
        ("meeting.agenda", {"meeting_id": "M1", "agenda": ["Velkomst", "Bolig", "Job"]}),
        ("meeting.hold", {"meeting_id": "M1", "attendees": [HOLDER, SOCIAL],
                          "minutes": "Vi talte om bolig og job.", "decisions": ["Søg bolig"],
                          "agreements": [{"text": "Finde bolig", "responsible": SOCIAL,
                                          **plan_dates}]}),
        ("meeting.not-held", {"meeting_id": "M1", "reason": "Registreret på forkert møde"}),
        ("meeting.hold", {"meeting_id": "M1", "attendees": [HOLDER, SOCIAL],
                          "minutes": "Vi talte om bolig og job, rigtigt referat.",
                          "decisions": ["Søg bolig"]}),
        ("meeting.minutes-sent", {"meeting_id": "M1", "recipients": [SOCIAL]}),
        ("meeting.convene", {"starts_at": "2026-04-10T10:00:00", "place": "Hjemme hos borgeren",
                             "invited": [SOCIAL], "agenda": ["Opfølgning"]}),
        ("meeting.reschedule", {"meeting_id": "M2", "starts_at": "11.4.2026 13:00",
                                "place": "Jobcentret", "reason": "Tolken er optaget"}),
        ("meeting.cancel", {"meeting_id": "M2", "reason": "Borgeren er syg"}),
        ("note", {"text": "Borgeren mødte ikke op tirsdag.", "occurred_at": "2026-03-01T14:15:00"}),
        ("correct", {"position": 2, "correction": "Bo er socialpædagog.", "reason": "Forkert titel"}),
        ("baton.hand", {"to": SOCIAL, "note": "Du kender borgeren bedst"}),
        ("baton.decline", {"actor": SOCIAL, "reason": "For travlt"}),
        ("baton.hand", {"to": SOCIAL}),
        ("baton.withdraw", {"reason": "Vi venter"}),
        ("baton.hand", {"to": SOCIAL}),
        ("baton.grab", {"actor": SOCIAL}),
        ("baton.release", {}),
        ("agreement.complete", {"actor": SOCIAL, "agreement_id": "A3"}),
        ("case.close", {"actor": SOCIAL, "further_course": "Fortsætter i handleplanen",
                        "follow_up_by": SOCIAL, "continuing_sector_plans": ["SP1"]}),
        ("case.reopen", {"actor": SOCIAL, "reason": "Borgeren har brug for hjælp igen"}),
    ]
    return [(name, {"actor": HOLDER, "case_id": case_id, "command_id": f"rt-{n}", **fields})
            for n, (name, fields) in enumerate(steps, start=2)]


OPEN = {"actor": HOLDER, "subject_ref": "borger-1001", "subject_kind": "adult",
        "title": "Samlet forløb for Åse", "holder_title": "Jobkonsulent",
        "holder_name": "Anne Ærø", "temporary": True, "command_id": "rt-1"}


@dataclass
class Told:
    """The story as stored on one backend, and as the domain decided it."""

    url: str
    case_id: UUID
    decided: list[CaseEvent]  # in memory, by DomainLedger, with the stored case's id
    results: list[tuple[CommandResult, CommandResult]]  # (real Ledger, DomainLedger)
    live: CaseState  # what the writing ledger (case cache on) says the case is now
    erased_case_id: UUID
    erased_decided: PersonalDataErased
    loaded: list[CaseEvent] = field(default_factory=list)  # read back, no cache
    loaded_states: dict[int, CaseState] = field(default_factory=dict)  # version -> state
    snapshots: list[CaseState] = field(default_factory=list)
    erased_loaded: list[CaseEvent] = field(default_factory=list)
    erased_state: CaseState | None = None


def _same_case(events: list[CaseEvent], case_id: UUID) -> list[CaseEvent]:
    return [e.model_copy(update={"originator_id": case_id}) for e in events]


def _tell(url: str) -> Told:
    clock = Clock(MONDAY)
    fake = DomainLedger(clock=clock)
    results = []
    with Ledger(url, clock=clock, snapshot_interval=SNAPSHOT_EVERY) as ledger:
        real = ledger.run("case.open", OPEN)
        results.append((real, fake.run("case.open", OPEN)))
        fake_case = results[0][1].case_id
        for (name, fields), (_, fake_fields) in zip(story(real.case_id), story(fake_case),
                                                    strict=True):
            clock.advance(minutes=7)
            results.append((ledger.run(name, fields), fake.run(name, fake_fields)))
        while results[-1][1].version % SNAPSHOT_EVERY:  # so a snapshot holds the last event too
            note = {"actor": HOLDER, "text": "Sagen er genåbnet.", "command_id": f"rt-{len(results) + 1}"}
            results.append((ledger.run("note", {**note, "case_id": real.case_id}),
                            fake.run("note", {**note, "case_id": fake_case})))
        live = ledger.get_case(real.case_id)

        # Another citizen (borger-4711), erased: the one event no command records.
        other = Scenario(ledger)
        other.do("note", text="Et notat om en anden borger")
        clock.advance(minutes=7)
        before = ledger.get_case(other.case_id)
        ledger.appoint_first_admin("it@kommunen")
        ledger.grant_role(actor="it@kommunen", role="dpo", to=ERASER)
        erased = ledger.erase_subject(actor=ERASER, subject_ref="borger-4711",
                                      reason="Sletning efter anmodning", confirm="borger-4711")
        assert erased.cases == [other.case_id]
    # The domain's own decision on the same case at the same moment (no command records it).
    erase = EraseCase(actor=ERASER, case_id=other.case_id, reason="Sletning efter anmodning")
    roles = Ledger(url).roles()
    (erased_decided,) = decide(before, erase, Context(command=erase, now=clock(),
                                                      policy=ledger.policy, roles=roles,
                                                      key_deleted=True))
    assert isinstance(erased_decided, PersonalDataErased)
    return Told(url=url, case_id=real.case_id,
                decided=_same_case(fake.history(fake_case), real.case_id), results=results,
                live=live, erased_case_id=other.case_id, erased_decided=erased_decided)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def told(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Told]:
    """The story, told once per backend for the whole module (a store is slow to make)."""
    if request.param == "sqlite":
        yield _read_back(_tell(f"sqlite:///{tmp_path_factory.mktemp('roundtrip') / 'stafet.db'}"))
        return
    url = f"{request.getfixturevalue('pg_url')}?schema=t_{uuid.uuid4().hex[:12]}"
    try:
        yield _read_back(_tell(url))
    finally:
        gc.collect()
        drop_schema(url)


def _read_back(told: Told) -> Told:
    """Everything read by a fresh ledger without a case cache: events, states, snapshots."""
    with Ledger(told.url, case_cache_size=0, snapshot_interval=SNAPSHOT_EVERY) as fresh:
        told.loaded = fresh.history(told.case_id)
        told.loaded_states = {v: fresh.get_case(told.case_id, version=v)
                              for v in range(1, len(told.loaded) + 1)}
        told.loaded_states[0] = fresh.get_case(told.case_id)  # the newest, by the default path
        assert fresh.store.snapshots is not None
        told.snapshots = [s.state for s in fresh.store.snapshots.get(told.case_id)]
        told.erased_loaded = fresh.history(told.erased_case_id)
        told.erased_state = fresh.get_case(told.erased_case_id)
    return told


# -- every event type ------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_event_type_round_trips(told: Told, event_type: str) -> None:
    if event_type == PersonalDataErased.__name__:
        (erased,) = [e for e in told.erased_loaded if type(e).__name__ == event_type]
        assert erased == told.erased_decided
        assert told.erased_state is not None and told.erased_state.personal_data_erased
        assert told.erased_state == project_case(None, told.erased_loaded)
        return
    positions = [e.position for e in told.decided if type(e).__name__ == event_type]
    assert positions, f"{event_type} is in the catalogue, but no command in story() records it"
    for position in positions:
        decided = told.decided[position - 1]
        assert told.loaded[position - 1] == decided
        # The case at that version, folded by the store's loader (snapshot + later events) ...
        assert told.loaded_states[position] == project_case(None, told.decided[:position])
        # ... and inside every snapshot taken from then on.
        later = [s for s in told.snapshots if s.version >= position]
        assert later, f"no snapshot holds {event_type} at position {position}"
        for snapshot in later:
            assert snapshot == project_case(None, told.decided[:snapshot.version])


def test_the_whole_log_reads_back_as_decided_on_every_path(told: Told) -> None:
    """Not only each type: the whole history, the newest state with and without the cache,
    every snapshot, and the results both ledgers gave."""
    # (the story, apart from the open, gives every command an id: "rt-<n>")
    assert told.loaded == told.decided
    newest = project_case(None, told.decided)
    assert newest is not None and newest.version == len(told.decided) > 40
    # The writing ledger's cached case, and a fresh one's, are the fold of what was decided.
    assert told.live == newest
    assert told.loaded_states[0] == newest
    assert [s.version for s in told.snapshots] == list(
        range(SNAPSHOT_EVERY, newest.version + 1, SNAPSHOT_EVERY))
    for real, fake in told.results:
        assert real.model_dump(exclude={"case_id"}) == fake.model_dump(exclude={"case_id"})
        assert not real.replayed
    assert {r.case_id for r, _ in told.results} == {told.case_id}


# -- a refusal stores nothing ----------------------------------------------------------------


def _everything(ledger: Ledger, url: str, case: Scenario) -> tuple[Any, ...]:
    """All a command could change: the case's log, the store's newest notification, the cases,
    every read model row and each projection's position."""
    return ([e.model_dump() for e in ledger.history(case.case_id)],
            ledger.head(), ledger.case_ids(),
            dump_tables(url), tracking(url))


@pytest.mark.parametrize(("name", "fields", "error"), [
    pytest.param("baton.release", {}, RuleViolation, id="a-rule"),  # nobody has grabbed
    pytest.param("note", {"text": " "}, InvalidCommand, id="bad-input"),
    pytest.param("note", {"text": "Et andet notat", "command_id": "first"}, RuleViolation,
                 id="a-reused-command-id"),
])
def test_a_refused_command_stores_nothing(
    db_url: str, name: str, fields: dict[str, Any], error: type[Exception]
) -> None:
    """No event, no command-id record, no read-model change (read models kept after every
    write on both backends here)."""
    with Ledger(db_url, read_models=True) as ledger:
        case = Scenario(ledger)
        case.join(SOCIAL)
        first = case.do("note", text="Første notat", command_id="first")
        before = _everything(ledger, db_url, case)
        assert before[3]["rm_cases"] and before[4], "the read models were never written"

        with pytest.raises(error):
            case.do(name, **{"command_id": "refused", **fields})

        assert _everything(ledger, db_url, case) == before
        if fields.get("command_id") == "first":
            # The id keeps answering with its own first command, and only that.
            assert case.do("note", text="Første notat", command_id="first") == (
                first.model_copy(update={"replayed": True}))
        else:
            # No record of the refused command's id: the id is free for a new command.
            again = case.do("note", text="Nu gik det", command_id="refused")
            assert not again.replayed and again.version == first.version + 1
