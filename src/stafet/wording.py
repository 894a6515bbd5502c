"""Events in plain words, in English or Danish, for people reading a case's history
(and for the summary column of rm_events). Words a citizen can read, not field names."""

from __future__ import annotations

from typing import Any

from stafet.domain.calendar import Lang, day, when
from stafet.domain.events import CaseEvent

SENTENCES: dict[Lang, dict[str, str]] = {
    "en": {
        "CaseOpened": 'opened the case "{title}" for {subject_ref} and {holds}',
        "ParticipantJoined": "added {who} ({participant_kind}) to the case",
        "ParticipantLeft": "took {ref} off the case",
        "BatonHanded": "offered the baton to {to}",
        "BatonGrabbed": "took over the baton",
        "BatonReleased": "let go of the baton; the hand-over is complete",
        "BatonDeclined": "said no to taking over the baton",
        "HandoverWithdrawn": "took back the offer of the baton",
        "PhaseChanged": "moved the case to phase {phase}",
        "PlanAccepted": "wrote down that {givers} said yes to the plan",
        "ConsentGiven": "wrote down consent {consent_id} from {givers}: {purpose}, to {recipients_text}",
        "ConsentRevoked": "wrote down that consent {consent_id} was withdrawn",
        "InformationShared": "shared information about {categories_text} with {recipient} ({purpose})",
        "SituationSummarized": "wrote the summary of the situation",
        "GoalSet": "set {level_text} {goal_id}: {text}",
        "PlanGoalRevised": "changed goal {goal_id} to: {text}",
        "GoalStatusChanged": "marked goal {goal_id} as {status_text}",
        "EffortPlanned": "planned {effort_id}: {title} ({law} {paragraph}), by {provider}",
        "EffortStatusChanged": "marked effort {effort_id} as {status_text}",
        "AgreementMade": "agreed ({agreement_id}) that {responsible} will {text} by {due_text}",
        "AgreementCompleted": "marked agreement {agreement_id} as done",
        "AgreementCancelled": "cancelled agreement {agreement_id}: {reason}",
        "CitizenViewRecorded": "wrote down {given_by_text}'s own view: {text}",
        "SectorPlanLinked": "linked the sector plan {sector_plan_id}, {kind}, kept in {system}",
        "MeetingConvened": "called meeting {meeting_id} on {starts_text} at {place}",
        "MeetingAgendaChanged": "changed the agenda of meeting {meeting_id}{late_text}",
        "MeetingHeld": "held meeting {meeting_id}",
        "MeetingCancelled": "cancelled meeting {meeting_id}: {reason}",
        "MinutesSent": "sent the minutes of meeting {meeting_id}",
        "NoteLogged": "wrote: {text}",
        "EntryCorrected": "corrected entry {corrects_position}: {correction}",
        "CaseClosed": "closed the case; {follow_up_by} follows up",
        "CaseReopened": "reopened the case: {reason}",
        "PersonalDataErased": "erased the citizen's personal data in this case: {reason}",
    },
    "da": {
        "CaseOpened": 'oprettede forløbet "{title}" for {subject_ref} og {holds}',
        "ParticipantJoined": "tilføjede {who} ({participant_kind}) til forløbet",
        "ParticipantLeft": "tog {ref} ud af forløbet",
        "BatonHanded": "tilbød stafetten til {to}",
        "BatonGrabbed": "overtog stafetten",
        "BatonReleased": "slap stafetten; overdragelsen er færdig",
        "BatonDeclined": "sagde nej til at overtage stafetten",
        "HandoverWithdrawn": "trak tilbuddet om stafetten tilbage",
        "PhaseChanged": "flyttede forløbet til fase {phase}",
        "PlanAccepted": "noterede, at {givers} sagde ja til planen",
        "ConsentGiven": "noterede samtykke {consent_id} fra {givers}: {purpose}, til {recipients_text}",
        "ConsentRevoked": "noterede, at samtykke {consent_id} blev trukket tilbage",
        "InformationShared": "delte oplysninger om {categories_text} med {recipient} ({purpose})",
        "SituationSummarized": "skrev sammenfatningen af situationen",
        "GoalSet": "satte {level_text} {goal_id}: {text}",
        "PlanGoalRevised": "ændrede mål {goal_id} til: {text}",
        "GoalStatusChanged": "markerede mål {goal_id} som {status_text}",
        "EffortPlanned": "planlagde {effort_id}: {title} ({law} {paragraph}), ved {provider}",
        "EffortStatusChanged": "markerede indsats {effort_id} som {status_text}",
        "AgreementMade": "aftalte ({agreement_id}), at {responsible} skal {text} senest {due_text}",
        "AgreementCompleted": "markerede aftale {agreement_id} som udført",
        "AgreementCancelled": "aflyste aftale {agreement_id}: {reason}",
        "CitizenViewRecorded": "skrev {given_by_text}s eget syn ned: {text}",
        "SectorPlanLinked": "linkede sektorplanen {sector_plan_id}, {kind}, som ligger i {system}",
        "MeetingConvened": "indkaldte til møde {meeting_id} den {starts_text} i/på {place}",
        "MeetingAgendaChanged": "ændrede dagsordenen for møde {meeting_id}{late_text}",
        "MeetingHeld": "holdt møde {meeting_id}",
        "MeetingCancelled": "aflyste møde {meeting_id}: {reason}",
        "MinutesSent": "sendte referatet af møde {meeting_id}",
        "NoteLogged": "skrev: {text}",
        "EntryCorrected": "rettede indførsel {corrects_position}: {correction}",
        "CaseClosed": "afsluttede forløbet; {follow_up_by} følger op",
        "CaseReopened": "genåbnede forløbet: {reason}",
        "PersonalDataErased": "slettede borgerens personoplysninger i forløbet: {reason}",
    },
}

WORDS: dict[Lang, dict[str, str]] = {
    "en": {
        "citizen": "the citizen", "custody_holder": "the custody holder", "guardian": "the guardian",
        "lasting_power_of_attorney": "the lasting power of attorney", "youth": "the young person",
        "authority": "authority", "provider": "provider", "volunteer": "volunteer",
        "relative": "relative", "advocate": "advocate", "interpreter": "interpreter",
        "overall": "overall goal", "sub": "sub-goal", "progression": "progression goal",
        "open": "open", "in_progress": "in progress", "achieved": "achieved",
        "partly_achieved": "partly achieved", "not_achieved": "not achieved", "dropped": "dropped",
        "planned": "planned", "started": "started", "paused": "paused", "completed": "completed",
        "stopped": "stopped",
        "holds_temporary": "holds the baton for now", "holds": "holds the baton",
        "late": " (late: changed shortly before the meeting)", "and": "and",
    },
    "da": {
        "citizen": "borgeren", "custody_holder": "forældremyndighedsindehaveren",
        "guardian": "værgen", "lasting_power_of_attorney": "fremtidsfuldmægtigen",
        "youth": "den unge",
        "authority": "myndighed", "provider": "leverandør", "volunteer": "frivillig",
        "relative": "pårørende", "advocate": "bisidder", "interpreter": "tolk",
        "overall": "overordnet mål", "sub": "delmål", "progression": "progressionsmål",
        "open": "åbent", "in_progress": "i gang", "achieved": "nået", "partly_achieved":
        "delvist nået", "not_achieved": "ikke nået", "dropped": "opgivet",
        "planned": "planlagt", "started": "startet", "paused": "sat på pause",
        "completed": "gennemført", "stopped": "stoppet",
        "holds_temporary": "holder stafetten midlertidigt", "holds": "holder stafetten",
        "late": " (sent: ændret kort før mødet)", "and": "og",
    },
}


def describe(e: CaseEvent, width: int | None = 110, lang: Lang = "en") -> str:
    """What happened, in plain words (cut to ``width`` characters unless it is None)."""
    d = e.data()
    words = WORDS[lang]

    def word(value: Any) -> str:
        return words.get(str(value), str(value).replace("_", " "))

    givers = [word(g["role"]) for g in d.get("accepted_by") or d.get("given_by") or []
              if isinstance(g, dict)]
    extra = {
        "who": (d.get("participant") or {}).get("ref", ""),
        "participant_kind": word((d.get("participant") or {}).get("kind", "")),
        "givers": f" {words['and']} ".join(dict.fromkeys(givers)),
        "recipients_text": ", ".join(d.get("recipients", [])),
        "given_by_text": word(d.get("given_by", "")),
        "categories_text": ", ".join(d.get("categories", [])),
        "level_text": word(d.get("level", "")),
        "status_text": word(d.get("status", "")),
        "holds": words["holds_temporary" if d.get("temporary") else "holds"],
        "late_text": words["late"] if d.get("late") else "",
        "due_text": day(getattr(e, "due_on", None), lang),
        "starts_text": when(getattr(e, "starts_at", None), lang),
    }
    template = SENTENCES[lang].get(type(e).__name__, type(e).__name__)
    return _one_line(template.format(**{**d, **extra}), width)


def _one_line(text: str, width: int | None) -> str:
    flat = " ".join(text.split())
    return flat if width is None or len(flat) <= width else flat[: width - 1] + "…"
