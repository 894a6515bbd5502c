"""SPEC §11: `case show CASE --as-of TIME` — the case as the log stood at a recorded time —
and `Ledger.get_case_as_of`. Later events must not leak into an earlier view (holder and
exchange, the plan, who takes part), and the answer comes from the event log itself: with
the read models damaged or dropped it is the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import sqlalchemy as sa

from stafet import Ledger
from stafet.cli.render import case_json
from stafet.domain.errors import CaseNotFound
from tests.readside.support import (
    RM_TABLES,
    RM_VIEWS,
    Clock,
    engine_for,
    execute,
    open_ledger,
    stafet,
    utc,
)

ANNE, BO, CARL, DORTE, IDA = ("anne@jobcenter", "bo@socialcenter", "carl@misbrugscenter",
                              "dorte@frivilligcenter", "ida@psykiatrien")
CITIZEN = "borger@hjemme"


@dataclass
class Story:
    ledger: Ledger
    url: str
    case_id: UUID
    ref: str  # the id's first 8 characters, as people type it


@pytest.fixture
def story(db_url: str) -> Iterator[Story]:
    """One case through a year: opened, the plan, a hand-over, revisions, people leaving and
    joining, an entry logged late, closed. Each command recorded one minute after the last."""
    clock = Clock(utc(2026, 1, 5, 8, 0))
    with open_ledger(db_url, clock=clock, read_models=True) as ledger:
        def do(name: str, actor: str = ANNE, **fields: Any) -> None:
            ledger.run(name, {"actor": actor, "case_id": case_id, **fields})
            clock.advance(minutes=1)

        case_id = ledger.open_case(actor=ANNE, subject_ref="borger-7001", subject_kind="adult",
                                   title="Bolig og beskæftigelse", temporary=False).case_id
        clock.advance(minutes=1)
        do("case.join", participant=BO, kind="authority")
        do("case.join", participant=CARL, kind="provider")
        do("case.join", participant=CITIZEN, kind="citizen")
        clock.set(utc(2026, 1, 12, 9, 0))
        do("plan.accept", accepted_by=[{"role": "citizen"}])
        do("plan.summary", text="Situation, første udgave")
        do("goal.set", level="overall", text="Egen bolig, første udgave")
        clock.set(utc(2026, 2, 2, 9, 0))
        do("baton.hand", to=BO)
        clock.set(utc(2026, 2, 2, 10, 0))
        do("baton.grab", actor=BO)
        clock.set(utc(2026, 2, 3, 9, 45))  # 10:45 in Copenhagen
        do("baton.release")
        clock.set(utc(2026, 3, 2, 9, 0))
        do("goal.revise", actor=BO, goal_id="G1", text="Egen bolig, anden udgave", reason="ny viden")
        do("plan.summary", actor=BO, text="Situation, anden udgave")
        do("case.leave", actor=BO, participant=CARL, reason="behandlingen er slut")
        do("case.join", actor=BO, participant=DORTE, kind="volunteer")
        clock.set(utc(2026, 3, 10, 9, 0))  # logged on 10 March, happened on 20 February
        do("case.join", actor=BO, participant=IDA, kind="authority",
           occurred_at=utc(2026, 2, 20, 13, 0))
        clock.set(utc(2026, 4, 1, 9, 0))
        do("case.close", actor=BO, further_course="Socialcentret følger op", follow_up_by=BO)
        yield Story(ledger, db_url, case_id, str(case_id)[:8])


def _active(state_json: dict[str, Any]) -> set[str]:
    return {p["ref"] for p in state_json["participants"] if p["active"]}


def show_as_of(story: Story, moment: str) -> dict[str, Any]:
    """The case as Anne (who takes part in it throughout) reads it at ``moment``."""
    return stafet(story.url, "case", "show", story.ref, "--as-of", moment, actor=ANNE,
                  as_json=True).json()


def test_as_of_shows_the_earlier_holder_plan_and_participants(story: Story) -> None:
    early = show_as_of(story, "2026-01-10T12:00:00+00:00")
    assert early["holder"] == ANNE and early["exchange"] is None
    assert early["plan"]["accepted"] is None and early["plan"]["summary"] is None
    assert early["plan"]["goals"] == []
    assert _active(early) == {ANNE, BO, CARL, CITIZEN}
    assert early["status"] == "open" and early["version"] == 4

    exchange = show_as_of(story, "2026-02-02T12:00:00+00:00")
    assert exchange["holder"] == BO
    assert exchange["holders"] == [ANNE, BO]
    assert exchange["exchange"] == {"from": ANNE, "to": BO, "state": "exchange"}
    assert exchange["plan"]["summary"] == "Situation, første udgave"
    assert [g["text"] for g in exchange["plan"]["goals"]] == ["Egen bolig, første udgave"]

    revised = show_as_of(story, "2026-03-05T12:00:00+00:00")
    assert revised["holder"] == BO and revised["exchange"] is None
    assert revised["plan"]["summary"] == "Situation, anden udgave"
    [goal] = revised["plan"]["goals"]
    assert goal["text"] == "Egen bolig, anden udgave" and goal["revisions"] == 1
    assert _active(revised) == {ANNE, BO, CITIZEN, DORTE}
    assert revised["status"] == "open"

    closed = show_as_of(story, "2026-05-01T12:00:00+00:00")
    assert closed["status"] == "closed"
    assert closed == stafet(story.url, "case", "show", story.ref, actor=ANNE, as_json=True).json()


def test_as_of_follows_the_recorded_time_not_the_business_time(story: Story) -> None:
    """Ida's joining happened on 20 February but was logged on 10 March: on 5 March the log
    did not yet say so."""
    before_logged = show_as_of(story, "2026-03-05T12:00:00+00:00")
    assert IDA not in {p["ref"] for p in before_logged["participants"]}
    after_logged = show_as_of(story, "2026-03-10T09:00:00+00:00")  # the very moment: included
    [ida] = [p for p in after_logged["participants"] if p["ref"] == IDA]
    assert ida["joined_at"].startswith("2026-02-20T13:00")


def test_a_time_without_zone_is_copenhagen_time(story: Story) -> None:
    """The release was recorded 09:45 UTC = 10:45 in Copenhagen (winter time)."""
    assert show_as_of(story, "2026-02-03T10:30")["exchange"] is not None
    assert show_as_of(story, "2026-02-03T10:50")["exchange"] is None
    assert show_as_of(story, "2026-02-03T09:50:00+00:00")["exchange"] is None


def test_as_of_equals_the_case_at_each_version(story: Story) -> None:
    ledger = story.ledger
    for event in ledger.history(story.case_id):
        then = ledger.get_case_as_of(story.case_id, event.recorded_at)
        assert then.version == event.originator_version
        assert then == ledger.get_case(story.case_id, version=event.originator_version)
        just_before = ledger.get_case_as_of(story.case_id, event.recorded_at - timedelta(seconds=1)) \
            if event.originator_version > 1 else None
        if just_before is not None:
            assert just_before.version == event.originator_version - 1


def test_before_the_case_existed_is_an_error(story: Story) -> None:
    with pytest.raises(CaseNotFound):
        story.ledger.get_case_as_of(story.case_id, utc(2026, 1, 1))
    result = stafet(story.url, "case", "show", story.ref, "--as-of", "2026-01-01T12:00", actor=ANNE)
    assert result.code == 2, result
    assert "not yet" in result.err, result.err
    bad = stafet(story.url, "case", "show", story.ref, "--as-of", "sidste tirsdag", actor=ANNE)
    assert bad.code == 2 and "--as-of" in bad.err


def _rm_tables_present(url: str) -> set[str]:
    engine = engine_for(url)
    try:
        inspector = sa.inspect(engine)
        return {n for n in [*inspector.get_table_names(), *inspector.get_view_names()]
                if n.startswith("rm_")}
    finally:
        engine.dispose()


MOMENTS = ["2026-01-10T12:00", "2026-02-02T12:00", "2026-03-05T12:00", "2026-05-01T12:00"]


@pytest.mark.slow
def test_as_of_comes_from_the_log_not_the_read_models(story: Story) -> None:
    expected = {m: show_as_of(story, m) for m in MOMENTS}
    python = {m: case_json(story.ledger.get_case_as_of(story.case_id, datetime.fromisoformat(
        m + "+01:00"))) for m in MOMENTS}
    # `case show --json` adds the flags due at that moment (the domain's attention rules);
    # the rest is the case state, the same as Python's.
    assert python == {m: {k: v for k, v in shown.items() if k != "flags"}
                      for m, shown in expected.items()}

    # damage the read models: a wrong holder, people gone, the audit table emptied
    execute(story.url,
            "UPDATE rm_cases SET holder = 'mallory@falsk', title = 'forfalsket', version = 999",
            "UPDATE rm_baton_holds SET holder = 'mallory@falsk'",
            "DELETE FROM rm_participants", "DELETE FROM rm_goals", "DELETE FROM rm_events")
    assert {m: show_as_of(story, m) for m in MOMENTS} == expected

    # drop them altogether: as-of still answers, and does not even bring them back
    statements = [f"DROP VIEW {v}" for v in RM_VIEWS]
    statements += [f"DROP TABLE {t}" for t in [*RM_TABLES, "rm_tracking"]]
    execute(story.url, *statements)
    assert _rm_tables_present(story.url) == set()
    assert {m: show_as_of(story, m) for m in MOMENTS} == expected
    assert story.ledger.get_case_as_of(story.case_id, utc(2026, 2, 2, 12)).baton.holder == BO
    assert _rm_tables_present(story.url) == set()
