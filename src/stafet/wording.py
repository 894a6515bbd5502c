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
        "ParticipantLeftSelf": "left the case",
        "BatonHanded": "offered the baton to {to}",
        "BatonGrabbed": "took over the baton",
        "BatonReleased": "let go of the baton; the hand-over is complete",
        "BatonDeclined": "said no to taking over the baton",
        "HandoverWithdrawn": "took back the offer of the baton",
        "PhaseChanged": "moved the case to phase {phase}",
        "PlanAccepted": "wrote down that {givers} said yes to the plan",
        "ConsentGiven": "wrote down consent {consent_id} from {givers}: {purpose}, to {recipients_text}",
        "ConsentRevoked": "wrote down that consent {consent_id} was withdrawn{revoked_by_text}",
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
        "ParticipantLeftSelf": "gik ud af forløbet",
        "BatonHanded": "tilbød stafetten til {to}",
        "BatonGrabbed": "overtog stafetten",
        "BatonReleased": "slap stafetten; overdragelsen er færdig",
        "BatonDeclined": "sagde nej til at overtage stafetten",
        "HandoverWithdrawn": "trak tilbuddet om stafetten tilbage",
        "PhaseChanged": "flyttede forløbet til fase {phase}",
        "PlanAccepted": "noterede, at {givers} sagde ja til planen",
        "ConsentGiven": "noterede samtykke {consent_id} fra {givers}: {purpose}, til {recipients_text}",
        "ConsentRevoked": "noterede, at samtykke {consent_id} blev trukket tilbage{revoked_by_text}",
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
        "SectorPlanLinked": "knyttede sektorplanen {sector_plan_id}, {kind}, til forløbet; den "
                            "ligger i {system}",
        "MeetingConvened": "indkaldte til møde {meeting_id} den {starts_text}; sted: {place}",
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

# Issue 17 (undo as events, the baton confirmed): kept together so branches merge cleanly.
SENTENCES["en"].update({
    "BatonConfirmed": "stays on as the permanent holder of the baton",
    "AgreementReopened": "reopened agreement {agreement_id}: {reason}",
    "MeetingRescheduled": "moved meeting {meeting_id} to {starts_text}{place_text}{reason_text}",
    "MeetingHoldWithdrawn": "marked meeting {meeting_id} as not held after all: {reason}",
    "BirthMonthRecorded": "wrote down the birth month of the person the case is about: {birth_month}",
})
SENTENCES["da"].update({
    "BatonConfirmed": "fortsætter som fast stafetholder",
    "AgreementReopened": "genåbnede aftale {agreement_id}: {reason}",
    "MeetingRescheduled": "flyttede møde {meeting_id} til den {starts_text}{place_text}{reason_text}",
    "MeetingHoldWithdrawn": "noterede, at møde {meeting_id} alligevel ikke blev holdt: {reason}",
    "BirthMonthRecorded": "noterede fødselsmåneden for den, forløbet handler om: {birth_month}",
})

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

    givers = [g for g in d.get("accepted_by") or d.get("given_by") or [] if isinstance(g, dict)]
    revoked_by = d.get("revoked_by")
    extra = {
        "who": (d.get("participant") or {}).get("ref", ""),
        # Their title says who they are ("Mor, forældremyndighedsindehaver"); a parent who
        # takes part on the citizen's side is not "the citizen".
        "participant_kind": (d.get("participant") or {}).get("title")
        or word((d.get("participant") or {}).get("kind", "")),
        "givers": who_gave(givers, lang),
        "revoked_by_text": (f" {'af' if lang == 'da' else 'by'} {who_gave([revoked_by], lang)}"
                            if isinstance(revoked_by, dict) else ""),
        "recipients_text": ", ".join(d.get("recipients", [])),
        "given_by_text": word(d.get("given_by", "")),
        "categories_text": ", ".join(d.get("categories", [])),
        "level_text": word(d.get("level", "")),
        "status_text": word(d.get("status", "")),
        "holds": words["holds_temporary" if d.get("temporary") else "holds"],
        "late_text": words["late"] if d.get("late") else "",
        "due_text": day(getattr(e, "due_on", None), lang),
        "starts_text": when(getattr(e, "starts_at", None), lang),
        "place_text": (f", {'sted' if lang == 'da' else 'place'}: {d['place']}"
                       if d.get("place") else ""),
        "reason_text": f" ({d['reason']})" if d.get("reason") else "",
    }
    name = type(e).__name__
    if name == "ParticipantLeft" and d.get("ref") == e.actor:
        name = "ParticipantLeftSelf"  # she left herself: nobody "took her off"
    template = SENTENCES[lang].get(name, name)
    return _one_line(template.format(**{**d, **extra}), width)


def _one_line(text: str, width: int | None) -> str:
    flat = " ".join(text.split())
    return flat if width is None or len(flat) <= width else flat[: width - 1] + "…"


# -- words for documents (reports, meeting documents): headings and phrases -----------------
# Added for issue 15; the values of fields come from WORDS above, then from TERMS below.

TERMS: dict[Lang, dict[str, str]] = {
    "en": {
        "adult": "adult", "child": "child", "family": "family",
        "cancelled": "cancelled", "reassigned": "reassigned", "convened": "convened",
        "held": "held", "coordinating": "coordinating meeting", "follow_up": "follow-up meeting",
        "active": "active", "expired": "expired", "revoked": "withdrawn", "closed": "closed",
        "offered": "offered", "exchange": "exchange",
    },
    "da": {
        "adult": "voksen", "child": "barn", "family": "familie",
        "cancelled": "aflyst", "reassigned": "overdraget", "convened": "indkaldt",
        "held": "afholdt", "coordinating": "koordinerende møde", "follow_up": "opfølgningsmøde",
        "active": "gældende", "expired": "udløbet", "revoked": "trukket tilbage",
        "closed": "afsluttet", "offered": "tilbudt", "exchange": "overdragelse",
    },
}

LABELS: dict[Lang, dict[str, str]] = {
    "en": {
        "report": "Case report", "meeting_document": "Meeting document",
        "case": "Case", "citizen": "Citizen", "kind": "Kind", "status": "Status",
        "phase": "Phase", "opened": "Opened", "holder": "Stafetholder", "since": "since",
        "temporary": "temporary", "as_of": "As the log stood at",
        "phase_1": "local efforts", "phase_2": "cross-disciplinary discussion",
        "phase_3": "holistic solutions",
        "plan": "The coordinating plan", "plan_not_accepted":
            "The plan is an offer: the citizen has not yet said yes to it.",
        "plan_accepted": "Accepted by {givers} on {when}.",
        "s1": "1. The citizen's overall situation", "s2": "2. Goals",
        "s3": "3. Planned efforts", "s4": "4. Agreements",
        "s5": "5. The citizen's own views and wishes",
        "none": "None recorded.", "goal": "Goal", "level": "Level", "target": "Target date",
        "revised": "revised", "earlier_text": "Earlier wording", "reason": "Reason",
        "effort": "Effort", "law": "Law", "provider": "Provider", "period": "Period",
        "for_goals": "Goals", "agreement": "Agreement", "responsible": "Responsible",
        "due": "Due", "overdue": "overdue", "made_at_meeting": "made at meeting {meeting}",
        "replaced_by": "replaced by {agreement}", "given_by": "Given by",
        "sector_plans": "Sector plans (kept in each authority's own system)",
        "sector_plan": "Sector plan", "owner": "Owner", "system": "System",
        "reference": "Reference",
        "holders": "Baton holders over time", "from": "From", "until": "Until",
        "ended": "How it ended", "now": "holds now", "timeline": "The baton over time",
        "meetings": "Meetings", "meeting": "Meeting", "when": "When", "place": "Place",
        "place_agreed": "agreed with the citizen", "invited": "Invited", "agenda": "Agenda",
        "agenda_changed": "Agenda changed {when}", "late_change": "late change",
        "interpreter": "Interpreter needed", "advocate": "The citizen wants an advocate",
        "attendees": "Present", "absent": "Invited, not present", "minutes": "Minutes",
        "decisions": "Decisions", "agreements_made": "Agreements made",
        "minutes_sent": "Minutes sent {when}", "minutes_not_sent": "Minutes not yet sent",
        "cancelled_because": "Cancelled: {reason}", "yes": "yes", "no": "no",
        "consents": "Consents", "consent": "Consent", "purpose": "Purpose",
        "recipients": "Shared with", "categories": "Information about", "given": "Given",
        "expires": "Expires", "no_expiry": "no expiry date",
        "participants": "Participants", "who": "Who", "role": "Role", "joined": "Joined",
        "left": "Left",
        "log": "Notes and corrections", "entry": "Entry", "note": "Note",
        "correction": "Correction", "corrects": "Corrects entry {position} of {when} by {who}",
        "shared": "Information shared",
        "closure": "Case closed {when}", "further_course": "Further course",
        "follow_up_by": "Follow-up by", "continuing": "Sector plans that continue",
        "concerns": "Concerns {org}", "concerns_heading": "What concerns {org}",
        "concerns_none": "Nothing in this case names {org}.",
        "concerns_marked": "Marked {mark} in the margin below.",
        "corrected_see": "corrected, see entry {positions}",
        "provenance": "Provenance",
        "provenance_text": "Made by {who} on {when} from the stafet log {store}, "
                           "for the purpose: {purpose}.",
        "case_entry": "The case up to and including its entry {position}, with case hash",
        "log_head": "The log at position {position} ({count} events), with chain hash",
        "check": "To check this document against the log, save the digest below as "
                 "digest.json and run `stafet verify --digest digest.json` (an auditor, the "
                 "data protection officer or an administrator): it recomputes every hash and "
                 "says whether the log still holds, unchanged, every event this document was "
                 "made from. `stafet case history {case} --metadata` lists the case's entries.",
        "digest": "Digest",
        "page": "Page", "of": "of", "made": "Made",
        "erased_notice": "The citizen's personal data in this case has been erased; it "
                         "reads [erased].",
        "not_held_yet": "Not yet held: the invitation and agenda.",
        "invitation": "Invitation", "after_meeting": "After the meeting",
        "for_case": "For the case", "kind_of_meeting": "Kind of meeting",
        "unknown_meeting": "the case has no meeting {meeting}",
        "see_section_4": "see section 4 of the plan",
        "exchange_offered": "Hand-over under way: offered to {to}, not yet taken.",
        "exchange_exchange": "Exchange: {to} has taken the baton; {from_} has yet to let go.",
    },
    "da": {
        "report": "Rapport over forløbet", "meeting_document": "Mødedokument",
        "case": "Forløb", "citizen": "Borger", "kind": "Type", "status": "Status",
        "phase": "Fase", "opened": "Oprettet", "holder": "Stafetholder", "since": "siden",
        "temporary": "midlertidig", "as_of": "Som loggen så ud",
        "phase_1": "lokale indsatser", "phase_2": "tværfaglig drøftelse",
        "phase_3": "helhedsorienterede løsninger",
        "plan": "Den koordinerende plan", "plan_not_accepted":
            "Planen er et tilbud: borgeren har endnu ikke sagt ja til den.",
        "plan_accepted": "Godkendt af {givers} den {when}.",
        "s1": "1. Borgerens samlede situation", "s2": "2. Mål",
        "s3": "3. Planlagte indsatser", "s4": "4. Aftaler",
        "s5": "5. Borgerens egne synspunkter og ønsker",
        "none": "Intet noteret.", "goal": "Mål", "level": "Niveau", "target": "Måldato",
        "revised": "revideret", "earlier_text": "Tidligere formulering", "reason": "Begrundelse",
        "effort": "Indsats", "law": "Lov", "provider": "Udfører", "period": "Periode",
        "for_goals": "Mål", "agreement": "Aftale", "responsible": "Ansvarlig",
        "due": "Frist", "overdue": "overskredet", "made_at_meeting": "aftalt på møde {meeting}",
        "replaced_by": "erstattet af {agreement}", "given_by": "Givet af",
        "sector_plans": "Sektorplaner (ligger i hver myndigheds eget system)",
        "sector_plan": "Sektorplan", "owner": "Ejer", "system": "System",
        "reference": "Reference",
        "holders": "Stafetholdere over tid", "from": "Fra", "until": "Til",
        "ended": "Hvordan det sluttede", "now": "holder nu", "timeline": "Stafetten over tid",
        "meetings": "Møder", "meeting": "Møde", "when": "Hvornår", "place": "Sted",
        "place_agreed": "aftalt med borgeren", "invited": "Inviterede", "agenda": "Dagsorden",
        "agenda_changed": "Dagsorden ændret {when}", "late_change": "sen ændring",
        "interpreter": "Tolk", "advocate": "Borgeren ønsker en bisidder",
        "attendees": "Til stede", "absent": "Inviteret, ikke til stede", "minutes": "Referat",
        "decisions": "Beslutninger", "agreements_made": "Aftaler",
        "minutes_sent": "Referat sendt {when}", "minutes_not_sent": "Referatet er ikke sendt",
        "cancelled_because": "Aflyst: {reason}", "yes": "ja", "no": "nej",
        "consents": "Samtykker", "consent": "Samtykke", "purpose": "Formål",
        "recipients": "Deles med", "categories": "Oplysninger om", "given": "Givet",
        "expires": "Udløber", "no_expiry": "ingen udløbsdato",
        "participants": "Deltagere", "who": "Hvem", "role": "Rolle", "joined": "Med fra",
        "left": "Gik ud",
        "log": "Notater og rettelser", "entry": "Indførsel", "note": "Notat",
        "correction": "Rettelse", "corrects": "Retter indførsel {position} af {when} ved {who}",
        "shared": "Delte oplysninger",
        "closure": "Forløbet afsluttet {when}", "further_course": "Videre forløb",
        "follow_up_by": "Opfølgning ved", "continuing": "Sektorplaner, der fortsætter",
        "concerns": "Vedrører {org}", "concerns_heading": "Det, der vedrører {org}",
        "concerns_none": "Intet i forløbet nævner {org}.",
        "concerns_marked": "Markeret med {mark} i margenen nedenfor.",
        "corrected_see": "rettet, se indførsel {positions}",
        "provenance": "Oprindelse",
        "provenance_text": "Udskrevet af {who} den {when} fra stafet-loggen {store}, "
                           "med formålet: {purpose}.",
        "case_entry": "Forløbet til og med indførsel {position}, med forløbets hash",
        "log_head": "Loggen ved position {position} ({count} hændelser), med kædens hash",
        "check": "Sådan kontrolleres dokumentet mod loggen: gem kontrolsummen nedenfor som "
                 "digest.json og kør `stafet verify --digest digest.json` (som revisor, "
                 "databeskyttelsesrådgiver eller administrator). Kommandoen genberegner hver "
                 "hash og siger, om loggen stadig rummer alle de hændelser, dokumentet er lavet "
                 "af, uændrede. `stafet case history {case} --metadata` viser forløbets "
                 "indførsler.",
        "digest": "Kontrolsum",
        "page": "Side", "of": "af", "made": "Udskrevet",
        "erased_notice": "Borgerens personoplysninger i dette forløb er slettet; de vises "
                         "som [erased].",
        "not_held_yet": "Mødet er ikke holdt endnu: indkaldelse og dagsorden.",
        "invitation": "Indkaldelse", "after_meeting": "Efter mødet",
        "for_case": "Forløb", "kind_of_meeting": "Mødetype",
        "unknown_meeting": "forløbet har intet møde {meeting}",
        "see_section_4": "se planens afsnit 4",
        "exchange_offered": "Overdragelse i gang: tilbudt {to}, endnu ikke overtaget.",
        "exchange_exchange": "Overdragelseszone: {to} har overtaget stafetten; {from_} har "
                             "endnu ikke sluppet den.",
    },
}


PLURAL: dict[Lang, dict[str, str]] = {
    "en": {"citizen": "the citizens", "custody_holder": "the custody holders",
           "guardian": "the guardians", "lasting_power_of_attorney": "the lasting powers of attorney",
           "youth": "the young people"},
    "da": {"citizen": "borgerne", "custody_holder": "forældremyndighedsindehaverne",
           "guardian": "værgerne", "lasting_power_of_attorney": "fremtidsfuldmægtigene",
           "youth": "de unge"},
}


def who_gave(givers: list[dict[str, Any]], lang: Lang = "en") -> str:
    """Those who gave (or accepted, or withdrew) a consent, by role, in the plural when several
    share a role, with their names: 'forældremyndighedsindehaverne Anna og Bo og den unge'."""
    words, joiner = WORDS[lang], f" {WORDS[lang]['and']} "
    by_role: dict[str, list[str | None]] = {}
    for giver in givers:
        by_role.setdefault(str(giver.get("role")), []).append(giver.get("name"))
    parts = []
    for role, names in by_role.items():
        several = len(names) > 1
        label = (PLURAL[lang] if several else words).get(role, role.replace("_", " "))
        named = [n for n in names if n]
        parts.append(label + (" " + joiner.join(named) if named else ""))
    return joiner.join(parts)


def details(e: CaseEvent, lang: Lang = "en") -> list[str]:
    """What a history line's sentence leaves out of a meeting: the agenda, minutes and
    decisions, each labelled (issue 17: readable without --json)."""
    d, label = e.data(), LABELS[lang]
    out = []
    if d.get("agenda"):
        out.append(f"{label['agenda']}: " + "; ".join(
            f"{n}. {item}" for n, item in enumerate(d["agenda"], start=1)))
    if d.get("minutes"):
        out.append(f"{label['minutes']}: {d['minutes']}")
    if d.get("decisions"):
        out.append(f"{label['decisions']}: " + "; ".join(d["decisions"]))
    return out


def corrected_marker(positions: list[int], lang: Lang = "en") -> str:
    """Beside an entry that later entries correct: [corrected, see entry 9]."""
    return "[" + LABELS[lang]["corrected_see"].format(
        positions=", ".join(str(p) for p in positions)) + "]"


def withdrawn_marker(position: int, lang: Lang = "en") -> str:
    """Beside a meeting recorded as held that a later entry says was not: [not held after all,
    see entry 10]."""
    text = "alligevel ikke holdt, se indførsel" if lang == "da" else "not held after all, see entry"
    return f"[{text} {position}]"


def term(value: object, lang: Lang) -> str:
    """A field's value (a status, a kind, a level) as a word people read."""
    key = str(value)
    return WORDS[lang].get(key) or TERMS[lang].get(key) or key.replace("_", " ")
