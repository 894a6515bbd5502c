"""Every write verb of SPEC §11, run through the command line against a real SQLite file.

Each verb runs once for people (``Stored <Event> (#n) in case <id>.``) and once with ``--json``
(``case_id``, ``command``, ``version``, ``events``, ``replayed``); either way the events must be
in the case's history afterwards and visible in ``case show``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cli._support import (
    ADDICTION,
    ADMIN,
    AUDITOR,
    DPO,
    HOLDER,
    SOCIAL,
    apply,
    history,
    show,
    soon,
    sqlite_url,
    stafet,
    with_roles,
)

OPEN = {"command": "case.open", "as": "k", "actor": HOLDER, "subject_ref": "borger-4711",
        "subject_kind": "adult", "title": "Samlet forløb", "temporary": False,
        "holder_title": "Koordinerende sagsbehandler"}
JOIN = {"command": "case.join", "case": "$k", "actor": HOLDER, "participant": SOCIAL,
        "kind": "authority", "title": "Sagsbehandler, Socialcenter"}
CONSENT = {"command": "consent.give", "case": "$k", "actor": HOLDER, "given_by": [{"role": "citizen"}],
           "purpose": "koordinering", "recipients": ["@socialcenter", "@jobcenter"],
           "categories": ["helbred", "bolig"]}
ACCEPT = {"command": "plan.accept", "case": "$k", "actor": HOLDER, "accepted_by": [{"role": "citizen"}]}
GOAL = {"command": "goal.set", "case": "$k", "actor": HOLDER, "level": "overall", "text": "Egen bolig"}
EFFORT = {"command": "effort.plan", "case": "$k", "actor": HOLDER, "title": "Bostøtte", "law": "SEL",
          "paragraph": "§ 85", "provider": SOCIAL}
AGREEMENT = {"command": "agreement.make", "case": "$k", "actor": HOLDER, "text": "visitere til bostøtte",
             "responsible": SOCIAL, "due_on": soon(30)}
CONVENE = {"command": "meeting.convene", "case": "$k", "actor": HOLDER, "starts_at": f"{soon(10)}T10:00",
           "place": "Jobcentret", "invited": [SOCIAL], "agenda": ["Status"]}
# Convened a week ago for yesterday morning: a meeting that can be recorded as held now.
CONVENED_EARLIER = {**CONVENE, "starts_at": f"{soon(-1)}T10:00", "occurred_at": f"{soon(-7)}T10:00"}
HELD = {"command": "meeting.hold", "case": "$k", "actor": HOLDER, "meeting_id": "M1",
        "attendees": [SOCIAL], "minutes": "Vi aftalte bostøtte."}
HAND = {"command": "baton.hand", "case": "$k", "actor": HOLDER, "to": SOCIAL}
GRAB = {"command": "baton.grab", "case": "$k", "actor": SOCIAL}
CLOSE = {"command": "case.close", "case": "$k", "actor": HOLDER, "further_course": "Handleplanen fortsætter",
         "follow_up_by": HOLDER}
BASE = (OPEN, JOIN, CONSENT)

Check = Callable[[dict[str, Any]], bool]


@dataclass
class Verb:
    path: str                       # "baton hand"
    args: list[str]                 # after the path; "{case}" is the case's 6-character prefix
    events: list[str]               # the event types it stores
    check: Check                    # on `case show --json` afterwards
    setup: tuple[dict[str, Any], ...] = ()
    actor: str = HOLDER
    base: tuple[dict[str, Any], ...] = field(default=BASE)


def _participant(case: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(p for p in case["participants"] if p["ref"] == ref)


VERBS = [
    Verb("case open", ["--subject", "familie-8d21", "--subject-kind", "family",
                       "--title", "Bekymring for Emma", "--holder-title", "Pædagog, Solsikken"],
         ["CaseOpened"], lambda c: c["holder"] == "mette@solsikken" and c["holder_temporary"]
         and c["subject_kind"] == "family" and c["status"] == "open",
         actor="mette@solsikken", base=()),
    Verb("case join", ["{case}", ADDICTION, "--kind", "authority", "--title", "Behandler"],
         ["ParticipantJoined"], lambda c: _participant(c, ADDICTION)["active"]),
    Verb("case leave", ["{case}", SOCIAL, "--reason", "Afsluttet indsats"],
         ["ParticipantLeft"], lambda c: not _participant(c, SOCIAL)["active"]),
    Verb("case close", ["{case}", "--further-course", "Handleplanen efter SEL § 141 fortsætter",
                        "--follow-up-by", SOCIAL],
         ["CaseClosed"], lambda c: c["status"] == "closed" and c["closure"]["follow_up_by"] == SOCIAL),
    Verb("case reopen", ["{case}", "--reason", "Ny bekymring"], ["CaseReopened"],
         lambda c: c["status"] == "open", setup=(CLOSE,)),
    Verb("phase", ["{case}", "2", "--reason", "Tværfaglig drøftelse"], ["PhaseChanged"],
         lambda c: c["phase"] == 2),
    Verb("baton hand", ["{case}", "--to", SOCIAL, "--note", "Bolig fylder mest nu"], ["BatonHanded"],
         lambda c: c["exchange"] == {"from": HOLDER, "to": SOCIAL, "state": "offered"}),
    Verb("baton grab", ["{case}"], ["BatonGrabbed"],
         lambda c: c["holder"] == SOCIAL
         and c["exchange"] == {"from": HOLDER, "to": SOCIAL, "state": "exchange"},
         setup=(HAND,), actor=SOCIAL),
    Verb("baton release", ["{case}"], ["BatonReleased"],
         lambda c: c["holder"] == SOCIAL and c["exchange"] is None and c["holders"] == [SOCIAL],
         setup=(HAND, GRAB)),
    Verb("baton decline", ["{case}", "--reason", "Ikke vores målgruppe"], ["BatonDeclined"],
         lambda c: c["holder"] == HOLDER and c["exchange"] is None, setup=(HAND,), actor=SOCIAL),
    Verb("baton withdraw", ["{case}", "--reason", "Forkert modtager"], ["HandoverWithdrawn"],
         lambda c: c["holder"] == HOLDER and c["exchange"] is None, setup=(HAND,)),
    Verb("plan accept", ["{case}", "--by", "citizen", "--note", "Mads siger ja"], ["PlanAccepted"],
         lambda c: c["plan"]["accepted"]["accepted_by"][0]["role"] == "citizen"),
    Verb("plan summary", ["{case}", "Mads er 39 år og mangler en stabil bolig."], ["SituationSummarized"],
         lambda c: c["plan"]["summary"] == "Mads er 39 år og mangler en stabil bolig.", setup=(ACCEPT,)),
    Verb("goal set", ["{case}", "Mads bliver tømrer", "--level", "overall", "--target", "2029-06-30"],
         ["GoalSet"], lambda c: c["plan"]["goals"][0]["text"] == "Mads bliver tømrer"
         and c["plan"]["goals"][0]["target_date"] == "2029-06-30", setup=(ACCEPT,)),
    Verb("goal revise", ["{case}", "G1", "Egen bolig inden jul", "--reason", "Skærpet"], ["PlanGoalRevised"],
         lambda c: c["plan"]["goals"][0]["text"] == "Egen bolig inden jul", setup=(ACCEPT, GOAL)),
    Verb("goal status", ["{case}", "G1", "in_progress", "--note", "Godt i gang"], ["GoalStatusChanged"],
         lambda c: c["plan"]["goals"][0]["status"] == "in_progress", setup=(ACCEPT, GOAL)),
    Verb("effort plan", ["{case}", "Ambulant behandling", "--law", "SEL", "--paragraph", "§ 101",
                         "--provider", SOCIAL, "--starts-on", "2026-03-01", "--ends-on", "2026-12-31",
                         "--goal", "G1"],
         ["EffortPlanned"], lambda c: c["plan"]["efforts"][0]["paragraph"] == "§ 101"
         and c["plan"]["efforts"][0]["goal_ids"] == ["G1"], setup=(ACCEPT, GOAL)),
    Verb("effort status", ["{case}", "E1", "started"], ["EffortStatusChanged"],
         lambda c: c["plan"]["efforts"][0]["status"] == "started", setup=(ACCEPT, EFFORT)),
    Verb("agreement make", ["{case}", "afklare optag på EUV", "--responsible", SOCIAL, "--due", soon(20)],
         ["AgreementMade"], lambda c: c["plan"]["agreements"][0]["due_on"] == soon(20), setup=(ACCEPT,)),
    Verb("agreement complete", ["{case}", "A1", "--note", "Visiteret"], ["AgreementCompleted"],
         lambda c: c["plan"]["agreements"][0]["status"] == "completed", setup=(ACCEPT, AGREEMENT),
         actor=SOCIAL),
    Verb("agreement cancel", ["{case}", "A1", "--reason", "Ikke længere relevant"], ["AgreementCancelled"],
         lambda c: c["plan"]["agreements"][0]["status"] == "cancelled", setup=(ACCEPT, AGREEMENT)),
    Verb("agreement reopen", ["{case}", "A1", "--reason", "Ikke færdig alligevel"], ["AgreementReopened"],
         lambda c: c["plan"]["agreements"][0]["status"] == "open",
         setup=(ACCEPT, AGREEMENT, {"command": "agreement.complete", "case": "$k", "actor": HOLDER,
                                    "agreement_id": "A1"})),
    Verb("case birth-month", ["{case}", "5.2010"], ["BirthMonthRecorded"],
         lambda c: c["subject_birth_month"] == "2010-05"),
    Verb("baton confirm", ["{case}"], ["BatonConfirmed"],
         lambda c: c["holder"] == HOLDER and not c["holder_temporary"],
         base=({**OPEN, "temporary": True}, JOIN, CONSENT)),
    Verb("meeting reschedule", ["{case}", "M1", "--at", f"{soon(12)}T13:00", "--place", "Rådhuset",
                                "--reason", "Tolken er optaget"], ["MeetingRescheduled"],
         lambda c: c["meetings"][0]["starts_at"].startswith(soon(12))
         and c["meetings"][0]["place"] == "Rådhuset", setup=(CONVENE,)),
    Verb("meeting not-held", ["{case}", "M1", "--reason", "Registreret på forkert møde"],
         ["MeetingHoldWithdrawn"], lambda c: c["meetings"][0]["status"] == "convened"
         and c["meetings"][0]["minutes"] is None, setup=(CONVENED_EARLIER, HELD)),
    Verb("view", ["{case}", "Jeg vil gerne være tømrer."], ["CitizenViewRecorded"],
         lambda c: c["plan"]["citizen_views"][0]["text"] == "Jeg vil gerne være tømrer.", setup=(ACCEPT,)),
    Verb("sectorplan link", ["{case}", "--plan", "Min Plan (LAB § 27)", "--owner", HOLDER, "--system",
                             "Jobnet", "--reference", "MP-2026-0448213"],
         ["SectorPlanLinked"], lambda c: c["plan"]["sector_plans"][0]["reference"] == "MP-2026-0448213"),
    Verb("consent give", ["{case}", "--by", "citizen", "--purpose", "behandling", "--recipient", ADDICTION,
                          "--recipient", "@socialcenter", "--category", "misbrug", "--expires", soon(300)],
         ["ConsentGiven"], lambda c: c["consents"][-1]["recipients"] == [ADDICTION, "@socialcenter"]
         and c["consents"][-1]["expires_on"] == soon(300)),
    Verb("consent revoke", ["{case}", "C1", "--reason", "Trukket tilbage af borgeren"], ["ConsentRevoked"],
         lambda c: c["consents"][0]["revoked_at"] is not None),
    Verb("share", ["{case}", "Helbredsattest", "--recipient", SOCIAL, "--purpose", "koordinering",
                   "--category", "helbred"], ["InformationShared"], lambda c: c["version"] == 4),
    Verb("meeting convene", ["{case}", "--at", f"{soon(10)}T10:00", "--place", "Jobcentret, lokale 3",
                             "--place-agreed", "--invite", SOCIAL, "--item", "Status",
                             "--item", "Aftaler"],
         ["MeetingConvened"], lambda c: c["meetings"][0]["agenda"] == ["Status", "Aftaler"]
         and c["meetings"][0]["place_agreed_with_citizen"]),
    Verb("meeting agenda", ["{case}", "M1", "--item", "Status", "--item", "Bolig"], ["MeetingAgendaChanged"],
         lambda c: c["meetings"][0]["agenda"] == ["Status", "Bolig"], setup=(CONVENE,)),
    Verb("meeting hold", ["{case}", "M1", "--attendee", SOCIAL, "--minutes", "Vi aftalte bostøtte.",
                          "--decision", "Anne er fortsat stafetholder",
                          "--agreement", f"{SOCIAL}|{soon(40)}|visitere til bostøtte"],
         ["MeetingHeld", "AgreementMade"],
         lambda c: c["meetings"][0]["status"] == "held"
         and c["plan"]["agreements"][0]["responsible"] == SOCIAL, setup=(ACCEPT, CONVENED_EARLIER)),
    Verb("meeting cancel", ["{case}", "M1", "--reason", "Borgeren er syg"], ["MeetingCancelled"],
         lambda c: c["meetings"][0]["status"] == "cancelled", setup=(CONVENE,)),
    Verb("meeting minutes-sent", ["{case}", "M1"], ["MinutesSent"],
         lambda c: c["meetings"][0]["minutes_sent"], setup=(CONVENED_EARLIER, HELD)),
    Verb("note", ["{case}", "Mads er visiteret til bostøtte fra 1. maj."], ["NoteLogged"],
         lambda c: c["version"] == 4),
    Verb("correct", ["{case}", "2", "--correction", "Bo er fra Socialcenter Vest",
                     "--reason", "Forkert titel"],
         ["EntryCorrected"], lambda c: c["version"] == 4),
]
WRITE_VERBS = {verb.path for verb in VERBS}


def _prepare(tmp_path: Path, verb: Verb) -> tuple[str, str | None]:
    db = sqlite_url(tmp_path / "stafet.db")
    lines = (*verb.base, *verb.setup)
    if not lines:
        return db, None
    applied = apply(db, *lines)
    assert applied.code == 0, str(applied)
    return db, str(applied.json["cases"][0])


def _argv(verb: Verb, case_id: str | None) -> list[str]:
    return [*verb.path.split(), *(a.replace("{case}", (case_id or "")[:6]) for a in verb.args)]


@pytest.mark.parametrize("verb", VERBS, ids=[v.path.replace(" ", "-") for v in VERBS])
def test_write_verb_for_people(verb: Verb, tmp_path: Path) -> None:
    db, case_id = _prepare(tmp_path, verb)
    before = len(history(db, case_id, actor=verb.actor)) if case_id else 0

    result = stafet(db, *_argv(verb, case_id), actor=verb.actor)

    assert result.code == 0, str(result)
    assert result.err == ""
    stored = ", ".join(f"{t} (#{before + i})" for i, t in enumerate(verb.events, start=1))
    match = re.fullmatch(rf"Stored {re.escape(stored)} in case ([0-9a-f]{{8}})(; created [A-Z]+\d+)?\.\n",
                         result.out)
    assert match, str(result)
    case_id = case_id or match.group(1)
    assert case_id.startswith(match.group(1))
    # The one who wrote reads it back (a participant of the case).
    events = history(db, case_id, actor=verb.actor)
    assert [e["type"] for e in events[before:]] == verb.events
    assert all(e["actor"] == verb.actor for e in events[before:])
    case = show(db, case_id, actor=verb.actor)
    assert verb.check(case), case


@pytest.mark.parametrize("verb", VERBS, ids=[v.path.replace(" ", "-") for v in VERBS])
def test_write_verb_json(verb: Verb, tmp_path: Path) -> None:
    db, case_id = _prepare(tmp_path, verb)
    before = len(history(db, case_id, actor=verb.actor)) if case_id else 0

    result = stafet(db, "--json", *_argv(verb, case_id), actor=verb.actor)

    answer = result.json
    assert set(answer) == {"case_id", "command", "version", "events", "replayed", "created"}
    assert answer["command"] == verb.path.replace(" ", ".")
    assert answer["replayed"] is False
    assert [{"position": e["position"], "type": e["type"]} for e in answer["events"]] == [
        {"position": before + i, "type": t} for i, t in enumerate(verb.events, start=1)]
    assert answer["created"] == [e["id"] for e in answer["events"] if "id" in e]
    assert answer["version"] == before + len(verb.events)
    if case_id:
        assert answer["case_id"] == case_id
    case = show(db, answer["case_id"], actor=verb.actor)
    assert case["version"] == answer["version"]
    assert verb.check(case), case


# -- what every write verb shares: --occurred-at, --command-id, --role ------------------------


def test_occurred_at_is_business_time_in_copenhagen_shown_in_history(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    case_id = str(apply(db, *BASE).json["cases"][0])

    local = stafet(db, "note", case_id[:6], "Mødet blev holdt i går.", "--occurred-at", "2026-03-02T09:15")
    offset = stafet(db, "note", case_id[:6], "Ringet op.", "--occurred-at", "2026-03-02T09:15+00:00")
    assert local.code == 0 and offset.code == 0, str(local) + str(offset)

    events = history(db, case_id)
    assert events[-2]["occurred_at"].startswith("2026-03-02T08:15")  # 09:15 in Copenhagen is 08:15 UTC
    assert events[-1]["occurred_at"].startswith("2026-03-02T09:15")
    assert events[-2]["recorded_at"] != events[-2]["occurred_at"]
    people = stafet(db, "case", "history", case_id[:6]).out.splitlines()
    assert "2 Mar 2026 09:15" in people[-2] and "Mødet blev holdt i går." in people[-2]
    assert "2 Mar 2026 10:15" in people[-1]


def test_command_id_makes_sending_again_harmless(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    case_id = str(apply(db, *BASE).json["cases"][0])
    args = ("note", case_id[:6], "Ringede til Mads.", "--command-id", "crm-4711-1",
            "--role", "koordinerende sagsbehandler")

    first = stafet(db, *args)
    again = stafet(db, *args)
    as_json = stafet(db, "--json", *args)

    assert first.out == f"Stored NoteLogged (#4) in case {case_id[:8]}.\n"
    assert again.code == 0
    assert again.out == f"Already stored earlier: NoteLogged (#4) in case {case_id[:8]}.\n"
    assert as_json.json["replayed"] is True
    assert as_json.json["events"] == [{"position": 4, "type": "NoteLogged"}]
    events = history(db, case_id)
    assert len(events) == 4
    assert events[-1]["command_id"] == "crm-4711-1"
    assert events[-1]["actor_role"] == "koordinerende sagsbehandler"


def test_danish_letters_long_texts_and_odd_unicode_are_data(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    case_id = str(apply(db, *BASE).json["cases"][0])
    odd = "Ærø Å æøå – “citat” 🚀 \u200b Zoë"
    long_text = "Lang tekst om forløbet. " * 400

    assert stafet(db, "note", case_id[:6], odd).code == 0
    assert stafet(db, "note", case_id[:6], long_text).code == 0

    events = history(db, case_id)
    assert events[-2]["data"]["text"] == odd
    assert events[-1]["data"]["text"] == long_text.strip()
    people = stafet(db, "case", "history", case_id[:6])
    assert odd in people.out
    assert len(people.out.splitlines()) == 1 + len(events)  # the long note is still one line


def test_init_creates_the_store_and_says_where(tmp_path: Path) -> None:
    path = tmp_path / "ny.db"
    db = sqlite_url(path)

    result = stafet(db, "init", actor=None, purpose=None)
    assert result.code == 0, str(result)
    assert result.out.startswith("Ready: ") and "(sqlite)" in result.out
    assert path.is_file()
    again = stafet(db, "--json", "init", actor=None, purpose=None).json
    assert again["backend"] == "sqlite" and "ny.db" in again["db"]
    assert stafet(db, "--json", "case", "list").json == []


def test_erase_shreds_the_citizen_and_the_log_still_verifies(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")
    with_roles(db)
    case_id = str(apply(db, *BASE).json["cases"][0])

    result = stafet(db, "erase", "--subject", "borger-4711", "--confirm", "borger-4711",
                    "--reason", "Slettefrist udløbet", actor=DPO)
    assert result.code == 0, str(result)
    assert f"1 case(s): {case_id[:8]}" in result.out
    case = show(db, case_id)
    assert case["subject_ref"] == "[erased]" and case["title"] == "[erased]"
    assert stafet(db, "verify", actor=AUDITOR).code == 0
    unknown = stafet(db, "--json", "erase", "--subject", "borger-0000", "--confirm", "borger-0000",
                     "--reason", "x", actor=DPO)
    assert unknown.code != 0 and "Traceback" not in unknown.err


def test_init_appoints_the_administrator_who_grants_lists_and_revokes_roles(tmp_path: Path) -> None:
    db = sqlite_url(tmp_path / "stafet.db")

    init = stafet(db, "init", "--admin", ADMIN, actor=None, purpose=None)
    assert init.code == 0, str(init)
    assert init.out.startswith("Ready: ") and f"{ADMIN} is its administrator." in init.out
    again = stafet(db, "init", "--admin", "someone@kommunen", actor=None, purpose=None)
    assert again.code == 1 and "already has its administration" in again.err  # once per ledger

    granted = stafet(db, "roles", "grant", "auditor", AUDITOR, actor=ADMIN, purpose=None)
    assert (granted.code, granted.out) == (0, f"{AUDITOR} is now auditor.\n"), str(granted)
    leader = stafet(db, "--json", "roles", "grant", "team_leader", "lis@jobcenter", "--org",
                    "jobcenter", actor=ADMIN, purpose=None).json
    assert leader["events"] == [{"position": 3, "type": "RoleGranted"}]
    not_admin = stafet(db, "roles", "grant", "dpo", DPO, actor=AUDITOR, purpose=None)
    assert not_admin.code == 1 and not_admin.err.startswith("Refused: only an administrator")

    listed = stafet(db, "--json", "roles", "list", actor=AUDITOR, purpose=None).json
    assert [(r["person"], r["role"], r["org"], r["granted_by"]) for r in listed] == [
        (ADMIN, "admin", None, ADMIN), ("lis@jobcenter", "team_leader", "jobcenter", ADMIN),
        (AUDITOR, "auditor", None, ADMIN)]
    people = stafet(db, "roles", "list", actor=ADMIN, purpose=None).out.splitlines()
    assert people[0].split() == ["PERSON", "ROLE", "ORG", "SINCE", "GRANTED", "BY"]
    assert stafet(db, "roles", "list", actor=HOLDER, purpose=None).code == 1  # not for everyone

    revoked = stafet(db, "roles", "revoke", "team_leader", "lis@jobcenter", "--org", "jobcenter",
                     "--reason", "Ny stilling", actor=ADMIN, purpose=None)
    assert (revoked.code, revoked.out) == (0, "lis@jobcenter is no longer team_leader for jobcenter.\n")
    last = stafet(db, "roles", "revoke", "admin", ADMIN, actor=ADMIN, purpose=None)
    assert last.code == 1 and "the last administrator cannot be revoked" in last.err
    report = stafet(db, "--json", "verify", actor=AUDITOR, purpose=None).json
    assert report["ok"] and report["count"] == 4  # appointed, two grants, a revoke: all in the log
