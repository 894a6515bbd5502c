"""The web view's own words, Danish (the default) and English. The words for the case itself
(plan sections, statuses, events) come from ``stafet.wording``; dates from
``stafet.domain.calendar``."""

from __future__ import annotations

from stafet.domain.calendar import Lang

WEB: dict[Lang, dict[str, str]] = {
    "da": {
        "app": "stafet", "tagline": "den fælles stafetlog",
        "skip": "Spring til indholdet", "main_nav": "Hovedmenu",
        "my_cases": "Mine forløb", "board": "Overblik", "sign_in": "Log ind",
        "sign_out": "Log ud", "signed_in_as": "Logget ind som", "purpose": "Formål",
        "change_purpose": "Skift formål", "other_lang": "English", "other_lang_code": "en",
        "purpose_note": "Alt, du læser her, bliver skrevet i adgangsloggen med dit navn og "
                        "dette formål.",
        # sign-in
        "sign_in_title": "Log ind i stafetloggen",
        "sign_in_dev": "Demo-login (udviklingsnøgle)",
        "sign_in_dev_help": "Kun til demonstration og test: serveren er startet med "
                            "--dev-identity. Skriv hvem du er som person@organisation.",
        "who_are_you": "Hvem er du? (person@organisation)",
        "why_read": "Hvorfor læser du? (formål)",
        "purpose_help": "Formålet skrives i adgangsloggen ved alt, du læser.",
        "purpose_other": "Andet formål (skriv selv)",
        "sign_in_oidc": "Log ind med kommunens login",
        "sign_in_gateway": "Log ind via kommunens login-portal",
        "no_sign_in": "Denne server har ingen login til webvisningen. Se docs/web.md.",
        "dev_off": "Demo-login er slået fra på denne server.",
        "signed_out": "Du er logget ud.",
        "session_ended": "Din session er udløbet. Log ind igen.",
        "choose_purpose": "Vælg formål", "save": "Gem", "continue": "Fortsæt",
        # my cases
        "my_cases_intro": "De forløb, du deltager i. Dem, du holder stafetten i, står "
                          "først.",
        "no_cases": "Du deltager ikke i nogen forløb.",
        "title": "Forløb", "citizen": "Borger", "holder": "Stafetholder", "flags": "Opmærksomhed",
        "you_hold": "du holder stafetten", "agreements_open": "Åbne aftaler",
        "last_change": "Sidst ændret", "status": "Status", "exchange": "Overdragelse",
        # the board
        "board_title": "Overblik: hvad kræver opmærksomhed",
        "board_intro": "Forløb, hvor du eller din organisation deltager. Forløb, du ikke "
                       "selv deltager i, vises uden personoplysninger.",
        "per_flag": "Pr. type", "per_holder": "Pr. stafetholder", "count": "Antal",
        "filter": "Filtrer", "all": "alle", "org": "Organisation", "flag": "Type",
        "detail": "Detaljer", "since": "Siden", "case": "Forløb", "no_flags": "Intet kræver "
        "opmærksomhed lige nu.", "caseload": "Sagsstamme", "active_cases": "Aktive forløb",
        "temporary_cases": "Midlertidige", "over_limit": "over grænsen",
        "withheld": "(deltager ikke — uden personoplysninger)",
        "clear_filter": "Nulstil",
        # the case page
        "the_baton": "Stafetten", "holds_since": "holder stafetten siden",
        "temporary_holder": "midlertidig stafetholder",
        "offered": "Stafetten er tilbudt {to}, som endnu ikke har taget den.",
        "in_exchange": "Overdragelseszone: {to} har taget stafetten; {from_} har endnu "
                       "ikke sluppet den.",
        "hand_to": "Giv stafetten videre til", "hand_note": "Besked med overdragelsen "
        "(valgfri)", "hand_button": "Giv stafetten til {who}",
        "grab": "Tag stafetten", "decline": "Sig nej tak", "decline_reason": "Begrundelse "
        "(valgfri)", "release": "Slip stafetten", "withdraw": "Træk tilbuddet tilbage",
        "release_help": "Du kan først slippe stafetten, når en anden har taget den.",
        "sections": "Indhold", "timeline": "Stafetten over tid", "meetings": "Møder",
        "consents": "Samtykker", "participants": "Deltagere", "history": "Historik",
        "write": "Skriv i loggen", "note": "Notat", "note_text": "Notat",
        "log_note": "Gem notat",
        "make_agreement": "Ny aftale", "agreement_text": "Hvad er aftalt",
        "responsible": "Ansvarlig", "due_on": "Frist", "goal_optional": "Mål (valgfrit)",
        "save_agreement": "Gem aftale", "complete": "Markér som udført",
        "complete_note": "Note (valgfri)",
        "convene": "Indkald til møde", "starts_at": "Tidspunkt", "place": "Sted",
        "place_agreed": "Stedet er aftalt med borgeren", "invited": "Inviterede",
        "agenda": "Dagsorden (et punkt pr. linje)", "kind": "Mødetype",
        "interpreter": "Tolk (sprog, valgfrit)", "advocate": "Borgeren ønsker en bisidder",
        "convene_button": "Indkald", "hold": "Hold mødet: referat",
        "attendees": "Til stede", "minutes": "Referat", "decisions": "Beslutninger (én pr. "
        "linje)", "meeting_agreements": "Aftaler på mødet (valgfrit)",
        "hold_button": "Gem referat", "give_consent": "Registrér samtykke",
        "given_by": "Givet af", "consent_purpose": "Formål", "recipients": "Deles med "
        "(person@org eller @org, adskilt af komma)", "categories": "Oplysninger om "
        "(adskilt af komma)", "expires_on": "Udløber (valgfrit)",
        "consent_button": "Registrér samtykke",
        "refused": "Ikke gemt", "saved": "Gemt.", "live_on": "Siden opdateres af sig selv, "
        "når andre skriver i forløbet.", "live_updated": "Opdateret {when}: {what}",
        "live_stopped": "Siden opdateres ikke længere af sig selv. Genindlæs siden.",
        "go_to_form": "Gå til formularen", "none": "Intet endnu.",
        "history_intro": "Alt, der er sket i forløbet, ældste først.",
        "entry": "Nr.", "when": "Hvornår", "who": "Hvem", "what": "Hvad",
        "left_case": "Du er ikke længere med i forløbet og ser det, som det var, da du gik ud.",
        "open_case": "Åbn", "plan_link": "Planen",
        # the citizen's view
        "your_plan": "Planen for dit forløb", "your_holder": "Din tovholder",
        "holder_is": "Din tovholder er {who}. Tovholderen holder stafetten og sørger for, at "
                     "alle arbejder sammen om din plan.",
        "reach": "Sådan får du fat i din tovholder: kontakt {org} og spørg efter {name}.",
        "changing_holder": "Du får snart en ny tovholder: {to} overtager fra {from_}.",
        "coming_meetings": "Kommende møder", "no_meetings": "Der er ingen møder i kalenderen.",
        "your_views": "Det, du selv mener og ønsker", "write_view": "Skriv, hvad du mener",
        "view_text": "Dine ord", "view_button": "Gem mine ord",
        "view_help": "Det, du skriver her, bliver en del af planen, og alle i forløbet kan "
                     "læse det.",
        "what_happens": "Det sker der",
        "who_does_what": "Hvem gør hvad",
        "access_log": "Hvem har kigget i dine oplysninger",
        "access_intro": "Hver gang nogen læser dit forløb, bliver det skrevet ned: hvem, "
                        "hvornår og hvorfor. Her er de seneste {n}.",
        "why": "Hvorfor", "refused_access": "afvist", "you": "dig selv",
        "not_accepted": "Du har endnu ikke sagt ja til planen. Planen er et tilbud.",
        "situation": "Din situation", "goals": "Mål", "efforts": "Hjælp og indsatser",
        "agreements": "Aftaler", "done": "udført", "overdue": "forsinket",
        "by": "senest", "from_to": "periode",
        # errors
        "not_found": "Forløbet findes ikke, eller du har ikke adgang til det.",
        "forbidden": "Ingen adgang", "error": "Noget gik galt",
        "csrf": "Formularen er udløbet eller kom ikke fra denne side. Genindlæs siden og "
                "prøv igen.",
        "back": "Tilbage til mine forløb",
    },
    "en": {
        "app": "stafet", "tagline": "the shared baton log",
        "skip": "Skip to content", "main_nav": "Main menu",
        "my_cases": "My cases", "board": "Overview", "sign_in": "Sign in",
        "sign_out": "Sign out", "signed_in_as": "Signed in as", "purpose": "Purpose",
        "change_purpose": "Change purpose", "other_lang": "Dansk", "other_lang_code": "da",
        "purpose_note": "Everything you read here is written to the access log with your name "
                        "and this purpose.",
        "sign_in_title": "Sign in to the baton log",
        "sign_in_dev": "Demo sign-in (development key)",
        "sign_in_dev_help": "For demonstrations and tests only: the server runs with "
                            "--dev-identity. Say who you are as person@organisation.",
        "who_are_you": "Who are you? (person@organisation)",
        "why_read": "Why do you read? (purpose)",
        "purpose_help": "The purpose is written to the access log with everything you read.",
        "purpose_other": "Another purpose (write it)",
        "sign_in_oidc": "Sign in with the municipality's login",
        "sign_in_gateway": "Sign in through the municipality's login portal",
        "no_sign_in": "This server offers no sign-in for the web view. See docs/web.md.",
        "dev_off": "Demo sign-in is off on this server.",
        "signed_out": "You are signed out.",
        "session_ended": "Your session has ended. Sign in again.",
        "choose_purpose": "Choose a purpose", "save": "Save", "continue": "Continue",
        "my_cases_intro": "The cases you take part in. Those where you hold the baton come "
                          "first.",
        "no_cases": "You take part in no case.",
        "title": "Case", "citizen": "Citizen", "holder": "Stafetholder", "flags": "Attention",
        "you_hold": "you hold the baton", "agreements_open": "Open agreements",
        "last_change": "Last change", "status": "Status", "exchange": "Hand-over",
        "board_title": "Overview: what needs attention",
        "board_intro": "Cases where you or your organisation take part. Cases you do not "
                       "take part in yourself are shown without personal data.",
        "per_flag": "By kind", "per_holder": "By stafetholder", "count": "Count",
        "filter": "Filter", "all": "all", "org": "Organisation", "flag": "Kind",
        "detail": "Details", "since": "Since", "case": "Case", "no_flags": "Nothing needs "
        "attention just now.", "caseload": "Caseload", "active_cases": "Active cases",
        "temporary_cases": "Temporary", "over_limit": "over the limit",
        "withheld": "(not taking part — no personal data)",
        "clear_filter": "Clear",
        "the_baton": "The baton", "holds_since": "holds the baton since",
        "temporary_holder": "temporary stafetholder",
        "offered": "The baton is offered to {to}, who has not taken it yet.",
        "in_exchange": "Exchange: {to} has taken the baton; {from_} has yet to let go.",
        "hand_to": "Hand the baton to", "hand_note": "A message with the hand-over "
        "(optional)", "hand_button": "Hand the baton to {who}",
        "grab": "Take the baton", "decline": "Say no thanks", "decline_reason": "Reason "
        "(optional)", "release": "Let go of the baton", "withdraw": "Withdraw the offer",
        "release_help": "You can let go only after someone else has taken the baton.",
        "sections": "Contents", "timeline": "The baton over time", "meetings": "Meetings",
        "consents": "Consents", "participants": "Participants", "history": "History",
        "write": "Write in the log", "note": "Note", "note_text": "Note",
        "log_note": "Save note",
        "make_agreement": "New agreement", "agreement_text": "What is agreed",
        "responsible": "Responsible", "due_on": "Due", "goal_optional": "Goal (optional)",
        "save_agreement": "Save agreement", "complete": "Mark as done",
        "complete_note": "Note (optional)",
        "convene": "Call a meeting", "starts_at": "Time", "place": "Place",
        "place_agreed": "The place is agreed with the citizen", "invited": "Invited",
        "agenda": "Agenda (one item a line)", "kind": "Kind of meeting",
        "interpreter": "Interpreter (language, optional)",
        "advocate": "The citizen wants an advocate",
        "convene_button": "Call the meeting", "hold": "Hold the meeting: minutes",
        "attendees": "Present", "minutes": "Minutes", "decisions": "Decisions (one a line)",
        "meeting_agreements": "Agreements made at the meeting (optional)",
        "hold_button": "Save the minutes", "give_consent": "Record a consent",
        "given_by": "Given by", "consent_purpose": "Purpose", "recipients": "Shared with "
        "(person@org or @org, comma-separated)", "categories": "Information about "
        "(comma-separated)", "expires_on": "Expires (optional)",
        "consent_button": "Record the consent",
        "refused": "Not saved", "saved": "Saved.", "live_on": "This page updates by itself "
        "when others write in the case.", "live_updated": "Updated {when}: {what}",
        "live_stopped": "This page no longer updates by itself. Reload the page.",
        "go_to_form": "Go to the form", "none": "Nothing yet.",
        "history_intro": "Everything that happened in the case, oldest first.",
        "entry": "No.", "when": "When", "who": "Who", "what": "What",
        "left_case": "You no longer take part in this case and see it as it was when you left.",
        "open_case": "Open", "plan_link": "The plan",
        "your_plan": "The plan for your course", "your_holder": "Your coordinator",
        "holder_is": "Your coordinator is {who}. The coordinator holds the baton and makes sure "
                     "everyone works together on your plan.",
        "reach": "How to reach your coordinator: contact {org} and ask for {name}.",
        "changing_holder": "You will soon have a new coordinator: {to} takes over from {from_}.",
        "coming_meetings": "Coming meetings", "no_meetings": "No meetings are planned.",
        "your_views": "What you think and wish for", "write_view": "Write what you think",
        "view_text": "Your words", "view_button": "Save my words",
        "view_help": "What you write here becomes part of the plan; everyone in the case can "
                     "read it.",
        "what_happens": "What happens",
        "who_does_what": "Who does what",
        "access_log": "Who has looked at your data",
        "access_intro": "Each time someone reads your case, it is written down: who, when and "
                        "why. Here are the latest {n}.",
        "why": "Why", "refused_access": "refused", "you": "you",
        "not_accepted": "You have not yet said yes to the plan. The plan is an offer.",
        "situation": "Your situation", "goals": "Goals", "efforts": "Help and efforts",
        "agreements": "Agreements", "done": "done", "overdue": "late",
        "by": "by", "from_to": "period",
        "not_found": "The case does not exist, or you have no access to it.",
        "forbidden": "No access", "error": "Something went wrong",
        "csrf": "The form has expired or did not come from this page. Reload the page and "
                "try again.",
        "back": "Back to my cases",
    },
}

# The attention flags (SPEC §9), as the board names them.
FLAGS: dict[Lang, dict[str, str]] = {
    "da": {
        "temporary_holder": "Midlertidig stafetholder for længe",
        "no_coordinating_meeting": "Intet koordinerende møde endnu",
        "no_follow_up": "Intet opfølgningsmøde for længe",
        "agreement_overdue": "Aftale overskredet",
        "exchange_open": "Overdragelse står åben",
        "consent_expiring": "Samtykke udløber snart",
        "short_notice": "Møde indkaldt med kort varsel",
        "meeting_unrecorded": "Møde hverken afholdt eller aflyst",
        "minutes_not_sent": "Referat ikke sendt",
        "caseload": "Sagsstamme over grænsen",
        "consent_one_custody_holder": "Samtykke fra kun én forældremyndighedsindehaver",
    },
    "en": {
        "temporary_holder": "Temporary holder for too long",
        "no_coordinating_meeting": "No coordinating meeting yet",
        "no_follow_up": "No follow-up meeting for too long",
        "agreement_overdue": "Agreement overdue",
        "exchange_open": "Hand-over left open",
        "consent_expiring": "Consent expiring soon",
        "short_notice": "Meeting convened at short notice",
        "meeting_unrecorded": "Meeting neither held nor cancelled",
        "minutes_not_sent": "Minutes not sent",
        "caseload": "Caseload over the limit",
        "consent_one_custody_holder": "Consent from only one custody holder",
    },
}

# What a reader did, as the access log shows it to the citizen.
ACTIONS: dict[Lang, dict[str, str]] = {
    "da": {
        "show": "så forløbet", "show-as-of": "så forløbet, som det så ud tidligere",
        "history": "læste forløbets historik", "history-metadata":
        "kontrollerede loggen (uden personoplysninger)", "timeline": "så stafetforløbet",
        "consents": "så samtykkerne", "search": "søgte", "search-hit":
        "fandt forløbet i en liste", "report": "lavede en rapport om forløbet",
        "meeting-doc": "lavede et mødedokument", "export": "eksporterede data",
        "export-hit": "eksporterede data om forløbet", "feed-hit":
        "fik besked om nyt i forløbet", "access-log": "læste adgangsloggen",
        "write": "forsøgte at skrive i forløbet",
    },
    "en": {
        "show": "looked at the case", "show-as-of": "looked at the case as it was earlier",
        "history": "read the case's history", "history-metadata":
        "checked the log (no personal data)", "timeline": "looked at the baton over time",
        "consents": "looked at the consents", "search": "searched", "search-hit":
        "found the case in a list", "report": "made a report of the case",
        "meeting-doc": "made a meeting document", "export": "exported data",
        "export-hit": "exported data about the case", "feed-hit":
        "was told of news in the case", "access-log": "read the access log",
        "write": "tried to write in the case",
    },
}

# Purposes offered at sign-in (the policy's own list replaces them when it has one).
PURPOSES: dict[Lang, list[str]] = {
    "da": ["koordinere forløbet i det daglige arbejde", "forberede koordinerende møde",
           "følge op på aftaler", "overblik over teamets forløb som leder",
           "læse mit eget forløb"],
    "en": ["coordinate the case in daily work", "prepare a coordinating meeting",
           "follow up on agreements", "overview of the team's cases as a leader",
           "read my own case"],
}
