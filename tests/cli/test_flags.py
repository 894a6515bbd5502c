"""One meaning per flag name across every verb; the old spellings still work for one release.

A flag name shown in ``--help`` always fills the same field, whichever verb it is on (``--to``
is the person a baton is offered to, never a list of recipients or an end date). The names
renamed for that keep working, hidden from ``--help``, and store exactly what the new name does.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from stafet.cli import cli
from tests.cli._support import HOLDER, SOCIAL, apply, history, soon, sqlite_url, stafet
from tests.cli.test_help import COMMANDS, _resolve
from tests.cli.test_write_verbs import ACCEPT, BASE, CONVENE

# Flags whose one meaning is filled into differently named fields of different commands.
SAME_MEANING = {
    "--by": {"given_by", "accepted_by", "revoked_by"},  # who gives, accepts or withdraws
    "--goal": {"goal_id", "goal_ids"},  # the goal it serves (an effort may serve several)
    "--recipient": {"recipient", "recipients"},  # who receives (some verbs take several)
}


def _visible_flags() -> dict[str, dict[str, set[str]]]:
    """flag name -> field it fills -> the verbs where it does."""
    found: dict[str, dict[str, set[str]]] = {}
    for path in COMMANDS:
        command = _resolve(path)
        if isinstance(command, click.Group) and path:
            continue
        for param in command.params:
            if not isinstance(param, click.Option) or param.hidden:
                continue
            shown = param.opts[:1] if type(param).__name__ == "Renamed" else param.opts
            for name in shown:
                found.setdefault(name, {}).setdefault(str(param.name), set()).add(" ".join(path))
    return found


def test_every_flag_name_means_one_thing_on_every_verb() -> None:
    drift = {name: fields for name, fields in _visible_flags().items()
             if len(fields) > 1 and set(fields) != SAME_MEANING.get(name)}
    assert not drift, f"flags that fill different fields on different verbs: {drift}"


# (verb, the old spelling, the new one): the old is hidden, the new is shown.
RENAMED = [
    ("case open", "--kind", "--subject-kind"),
    ("consent give", "--to", "--recipient"),
    ("share", "--with", "--recipient"),
    ("meeting minutes-sent", "--to", "--recipient"),
    ("meeting convene", "--agenda", "--item"),
    ("meeting convene", "--kind", "--follow-up"),
    ("effort plan", "--from", "--starts-on"),
    ("effort plan", "--to", "--ends-on"),
    ("sectorplan link", "--kind", "--plan"),
    ("attention", "--at", "--as-of"),
    ("dev generate", "--events", "--total-events"),
    ("dev token", "--key", "--signing-key"),
]


@pytest.mark.parametrize(("verb", "old", "new"), RENAMED, ids=[f"{v} {o}" for v, o, _ in RENAMED])
def test_a_renamed_flag_is_shown_by_its_new_name_only(verb: str, old: str, new: str) -> None:
    result = CliRunner().invoke(cli, [*verb.split(), "--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    options = result.output.split("Options:", 1)[1]
    shown = {word.rstrip(",") for word in options.split() if word.startswith("--")}
    assert new in shown
    assert old not in shown, f"{old} is still shown in `stafet {verb} --help`"


def _stored(db: str, case: str) -> list[dict]:
    return [e["data"] for e in history(db, case)[len(BASE) + 1:]]


OLD_AND_NEW = [
    pytest.param(["case", "open", "--subject", "borger-9", "--{kind}", "adult", "--title", "T"],
                 {"kind": ("kind", "subject-kind")}, id="case open"),
    pytest.param(["consent", "give", "{case}", "--by", "citizen", "--purpose", "koordinering",
                  "--{to}", "@ppr", "--category", "skole"], {"to": ("to", "recipient")},
                 id="consent give"),
    pytest.param(["share", "{case}", "Udtalelse", "--{with}", SOCIAL, "--purpose", "koordinering",
                  "--category", "helbred"], {"with": ("with", "recipient")}, id="share"),
    pytest.param(["effort", "plan", "{case}", "Bostøtte", "--law", "SEL", "--paragraph", "§ 85",
                  "--provider", SOCIAL, "--{from}", "2026-03-01", "--{to}", "2026-12-31"],
                 {"from": ("from", "starts-on"), "to": ("to", "ends-on")}, id="effort plan"),
    pytest.param(["sectorplan", "link", "{case}", "--{kind}", "Min Plan (LAB § 27)", "--owner", HOLDER,
                  "--system", "Jobnet", "--reference", "MP-1"], {"kind": ("kind", "plan")},
                 id="sectorplan link"),
    pytest.param(["meeting", "convene", "{case}", "--at", f"{soon(10)}T10:00", "--place", "Jobcentret",
                  "--invite", SOCIAL, "--{agenda}", "Status"], {"agenda": ("agenda", "item")},
                 id="meeting convene"),
]


@pytest.mark.parametrize(("args", "names"), OLD_AND_NEW)
def test_the_old_spelling_stores_what_the_new_one_does(
    tmp_path: Path, args: list[str], names: dict[str, tuple[str, str]]
) -> None:
    stored = []
    for which in (0, 1):
        db = sqlite_url(tmp_path / f"{which}.db")
        case = apply(db, *BASE, ACCEPT).json["cases"][0]
        spelled = [a.format(case=case, **{k: v[which] for k, v in names.items()}) for a in args]
        result = stafet(db, "--json", *spelled)
        assert result.code == 0, result.err
        if args[:2] == ["case", "open"]:
            case = result.json["case_id"]
            stored.append([{k: v for k, v in e["data"].items() if k != "title"}
                           for e in history(db, case)])
        else:
            stored.append(_stored(db, case))
    assert stored[0] == stored[1]


def test_a_follow_up_meeting_is_convened_with_follow_up_or_the_old_kind(tmp_path: Path) -> None:
    kinds = []
    for spelled in (["--follow-up"], ["--kind", "follow_up"], []):
        db = sqlite_url(tmp_path / f"{len(kinds)}.db")
        case = apply(db, *BASE).json["cases"][0]
        result = stafet(db, "meeting", "convene", case, "--at", CONVENE["starts_at"], "--place", "Her",
                        "--invite", SOCIAL, "--item", "Status", *spelled)
        assert result.code == 0, result.err
        kinds.append(history(db, case)[-1]["data"]["kind"])
    assert kinds == ["follow_up", "follow_up", "coordinating"]
