"""The forms of the daily verbs: what each form sends, turned into a command's fields.

A form is HTML (``application/x-www-form-urlencoded``); its fields are text. Here they
become the fields of the command of that name, exactly as a `stafet apply` line or an HTTP
body would give them; the domain validates them (``build_command``) and decides. Nothing
here checks a rule: an empty field is left out, so the domain names what is missing.

    >>> fields("agreement.make", {"text": ["Ringe til Mads"], "responsible": ["bo@sc"],
    ...                            "due_on": ["2026-05-01"], "goal_id": [""]})
    {'text': 'Ringe til Mads', 'responsible': 'bo@sc', 'due_on': '2026-05-01'}
    >>> fields("consent.give", {"given_by": ["citizen"], "recipients": ["@ppr, bo@sc"],
    ...                         "purpose": ["koordinering"], "categories": ["skole"]})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'given_by': [{'role': 'citizen'}], 'purpose': 'koordinering',
     'recipients': ['@ppr', 'bo@sc'], 'categories': ['skole']}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

Form = dict[str, list[str]]

# The verbs the web view offers, by command name (the same names as `stafet apply`).
VERBS = ("baton.hand", "baton.grab", "baton.release", "baton.decline", "baton.withdraw",
         "note", "agreement.make", "agreement.complete", "meeting.convene", "meeting.hold",
         "consent.give", "view")
MAX_BODY = 1_000_000  # bytes of one form (a long minutes text fits many times over)
AGREEMENT_ROWS = 3  # agreement rows in the meeting's minutes form


def parse(body: bytes) -> Form:
    """A urlencoded form body (UTF-8) as lists of values by field name."""
    return parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True,
                    max_num_fields=500)


def one(form: Form, name: str) -> str | None:
    """A field's text, or None when absent or blank."""
    values = form.get(name) or []
    text = values[0].strip() if values else ""
    return text or None


def many(form: Form, name: str) -> list[str]:
    """Every non-blank value of a repeated field (checkboxes)."""
    return [v.strip() for v in form.get(name, []) if v.strip()]


def lines(form: Form, name: str) -> list[str]:
    """A textarea, one item a line (blank lines left out)."""
    return [line.strip() for line in (one(form, name) or "").splitlines() if line.strip()]


def listed(form: Form, name: str) -> list[str]:
    """A text of items separated by commas, semicolons or line breaks."""
    return [part.strip() for part in re.split(r"[,;\n]", one(form, name) or "") if part.strip()]


def _some(**values: Any) -> dict[str, Any]:
    """The given fields without the blank ones (the domain names what is missing)."""
    return {k: v for k, v in values.items() if v not in (None, [], "")}


def _hand(f: Form) -> dict[str, Any]:
    return _some(to=one(f, "to"), note=one(f, "note"))


def _nothing(_f: Form) -> dict[str, Any]:
    return {}


def _reason(f: Form) -> dict[str, Any]:
    return _some(reason=one(f, "reason"))


def _note(f: Form) -> dict[str, Any]:
    return _some(text=one(f, "text"))


def _agreement(f: Form) -> dict[str, Any]:
    return _some(text=one(f, "text"), responsible=one(f, "responsible"),
                 due_on=one(f, "due_on"), goal_id=one(f, "goal_id"))


def _complete(f: Form) -> dict[str, Any]:
    return _some(agreement_id=one(f, "agreement_id"), note=one(f, "note"))


def _convene(f: Form) -> dict[str, Any]:
    return _some(starts_at=one(f, "starts_at"), place=one(f, "place"),
                 place_agreed_with_citizen=bool(one(f, "place_agreed_with_citizen")),
                 invited=many(f, "invited"), agenda=lines(f, "agenda"), kind=one(f, "kind"),
                 interpreter_language=one(f, "interpreter_language"),
                 advocate_needed=bool(one(f, "advocate_needed")))


def _hold(f: Form) -> dict[str, Any]:
    agreements = []
    for n in range(AGREEMENT_ROWS):
        row = _some(text=one(f, f"a{n}_text"), responsible=one(f, f"a{n}_responsible"),
                    due_on=one(f, f"a{n}_due_on"))
        if row.get("text"):  # a row left empty is no agreement; a half-filled one is refused
            agreements.append(row)
    return _some(meeting_id=one(f, "meeting_id"), attendees=many(f, "attendees"),
                 minutes=one(f, "minutes"), decisions=lines(f, "decisions"),
                 agreements=agreements)


def _consent(f: Form) -> dict[str, Any]:
    return _some(given_by=[{"role": role} for role in many(f, "given_by")],
                 purpose=one(f, "purpose"), recipients=listed(f, "recipients"),
                 categories=listed(f, "categories"), expires_on=one(f, "expires_on"))


def _view(f: Form) -> dict[str, Any]:
    return _some(text=one(f, "text"), given_by=one(f, "given_by"), goal_id=one(f, "goal_id"))


_FIELDS: dict[str, Callable[[Form], dict[str, Any]]] = {
    "baton.hand": _hand, "baton.grab": _nothing, "baton.release": _nothing,
    "baton.decline": _reason, "baton.withdraw": _reason, "note": _note,
    "agreement.make": _agreement, "agreement.complete": _complete,
    "meeting.convene": _convene, "meeting.hold": _hold, "consent.give": _consent,
    "view": _view,
}


def fields(verb: str, form: Form) -> dict[str, Any]:
    """The command fields a form of ``verb`` gives (``verb`` is one of ``VERBS``)."""
    return _FIELDS[verb](form)
