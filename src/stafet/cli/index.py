"""Which module defines each verb of ``stafet``, and the help line ``stafet --help`` shows
for it (``stafet.cli.lazy``): the verbs are imported when used. ``tests/cli/test_lazy.py``
checks this index against the verbs themselves."""

from __future__ import annotations

# verb: (module in stafet.cli, the first paragraph of its help)
VERBS: dict[str, tuple[str, str]] = {
    "access-log": ("trust", "Who read which case's personal data, when, and why."),
    "agreement": ("plan", "Section 4: agreements — who does what, by when."),
    "apply": ("apply", "Apply a batch of commands from FILE (JSON Lines; '-' reads stdin), in order."),
    "attention": ("read",
        "What needs attention across all cases now (SPEC §9), plus coordinators over caseload."),
    "baton": ("write",
        "Hand, grab, release, decline or withdraw the baton, or confirm a temporary holding."),
    "case": ("case", "Open, close and read cases."),
    "caseload": ("read", "Active cases per coordinator, flagged above the limit (DS: about 30)."),
    "checkpoint": ("trust",
        "Sign a checkpoint of the log, and keep a series of them outside the database."),
    "consent": ("consent", "The citizen's consent to share information: give and revoke."),
    "correct": ("log", "Correct an earlier entry by its position; the entry itself is never changed."),
    "dev": ("dev", "Developer tools: synthetic data for demos and benchmarks."),
    "digest": ("trust",
        "Print a signed checkpoint of the log (its size and head) to keep outside the store."),
    "effort": ("plan", "Section 3: planned efforts under each law."),
    "erase": ("trust",
        "Erase a citizen's personal data everywhere, keeping the proof that the log is intact."),
    "export": ("read",
        "Write a read model, or the raw event stream, for other tools; or one case as a FHIR R4 "
        "Bundle (CarePlan, Goals, CareTeam, Consents, Encounters, Tasks, Provenance) for another "
        "authority's system."),
    "goal": ("plan", "Section 2: overall goals, sub-goals and progression goals."),
    "init": ("admin",
        "Create the store (tables) at --db / STAFET_DB, appoint its first administrator, and make"
        " its checkpoint key."),
    "meeting": ("meeting",
        "Coordinating meetings: convene, agenda, reschedule, hold, not-held, cancel, minutes-sent,"
        " show."),
    "note": ("log", "Write a note in the case's log."),
    "phase": ("write", "Move the case to phase 1, 2 or 3 (holder only)."),
    "plan": ("plan", "The coordinating plan: acceptance and the summary of the situation."),
    "projections": ("read",
        "The read models (rm_ tables): their position, rebuilding, following the log."),
    "report": ("report", "A report of the case to read, print or file in a journal."),
    "roles": ("admin", "Who holds which role; an administrator grants and revokes them."),
    "sectorplan": ("plan", "Sector plans in the authorities' own systems: linked, not copied."),
    "serve": ("serve",
        "Serve the HTTP API, the live feed, the web view (/) and the OpenAPI description (/docs)."),
    "share": ("consent", "Log that information was shared; refused unless an active consent covers it."),
    "verify": ("trust",
        "Check that nobody changed the store behind the ledger's back, and say where if they did."),
    "view": ("plan", "Section 5: write down the citizen's own views and wishes, in their words."),
    "backup": ("operations", "Copy the store to DEST, consistent while writers go on."),
    "restore": ("operations",
        "Restore the store from a backup, re-applying every erasure made since."),
    "upgrade": ("operations",
        "Bring the store's schema up to this release (numbered steps; docs/operations.md)."),
    "doctor": ("operations",
        "Check the store's health: one line a check, ok / warn / fail; exit 1 on a failure."),
}

# Verbs added to a group by a module other than the group's own: group: {verb: module}.
ADDED: dict[str, dict[str, str]] = {
    "case": {verb: "write" for verb in ("open", "join", "leave", "close", "reopen", "birth-month")},
    "meeting": {"doc": "report"},
}


def added_to(group: str) -> dict[str, str]:
    """The verbs other modules add to ``group``, for its LazyGroup: verb: full module name."""
    return {verb: f"stafet.cli.{module}" for verb, module in ADDED.get(group, {}).items()}
