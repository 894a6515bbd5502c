"""``--help`` on every command and group exits 0 and shows an example of that very command.

The commands are found by walking the click tree, so a new verb without an example fails here;
and every verb SPEC §11 fixes must exist in that tree."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from stafet.cli import cli
from tests.cli._support import installed
from tests.cli.test_write_verbs import WRITE_VERBS


def _walk(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _walk(command, (*path, name))
        else:
            found.append((*path, name))
    return found


COMMANDS = _walk(cli)

SPEC_VERBS = {
    # write
    "init", "case open", "case join", "case leave", "case close", "case reopen",
    "baton hand", "baton grab", "baton release", "baton decline", "baton withdraw", "phase",
    "plan accept", "plan summary", "goal set", "goal revise", "goal status", "effort plan",
    "effort status", "agreement make", "agreement complete", "agreement cancel", "view",
    "sectorplan link", "consent give", "consent revoke", "share", "meeting convene", "meeting agenda",
    "meeting hold", "meeting cancel", "meeting minutes-sent", "note", "correct", "apply",
    # read
    "case show", "case history", "case list", "baton timeline", "attention", "caseload", "export",
    "verify", "projections status", "projections rebuild", "projections run",
    "report",
}

# The verbs tests/cli runs against a real store, beyond the write verbs' table (test_read_verbs,
# test_apply, test_dev, test_write_verbs' own tests).
READ_AND_OTHER_VERBS = {
    "init", "apply", "erase", "case show", "case history", "case list", "baton timeline", "attention",
    "caseload", "export", "verify", "digest", "checkpoint", "access-log", "access-log prune",
    "projections status", "projections rebuild", "projections run", "dev generate", "roles grant",
    "roles revoke", "roles list",
    # tests/documents runs these against real stores
    "report", "meeting doc",
    # tests/cli/test_trial_findings.py
    "meeting show",
}


# Run against real stores in tests/http (a server process, its tokens).
HTTP_VERBS = {"serve", "dev token"}
# tests/operations runs these against real stores (backup, restore, upgrade, doctor)
OPERATIONS_VERBS = {"backup", "restore", "upgrade", "doctor"}


def _resolve(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def _is_group(path: tuple[str, ...]) -> bool:
    return isinstance(_resolve(path), click.Group)


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="stafet")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: {' '.join(('stafet', *path))} "), result.output
    return result.output


def _assert_example_of(path: tuple[str, ...], text: str) -> None:
    assert "Example:" in text, f"`stafet {' '.join(path)} --help` has no example"
    lines = []
    for line in text.split("Example:", 1)[1].splitlines()[1:]:
        if line.strip() and not line.startswith(" "):
            break  # the next heading (Options:)
        lines.append(line.replace("\\", " "))
    example = " ".join(" ".join(lines).split())
    verb = " ".join(path)
    pattern = rf"(^|\s)stafet\s(.*\s)?{re.escape(verb)}(\s|$)" if verb else r"(^|\s)stafet\s"
    assert re.search(pattern, example), (
        f"the example under `stafet {verb} --help` does not show that command: {example}")


VERB_PATHS = [path for path in COMMANDS if (path and not _is_group(path)) or path == ("access-log",)]
GROUP_PATHS = [path for path in COMMANDS if (not path or _is_group(path)) and path != ("access-log",)]


@pytest.mark.parametrize("path", VERB_PATHS, ids=lambda p: "-".join(p))
def test_help_of_every_verb_exits_0_and_shows_an_example_of_it(path: tuple[str, ...]) -> None:
    _assert_example_of(path, _help(path))


@pytest.mark.parametrize("path", GROUP_PATHS, ids=lambda p: "-".join(p) or "stafet")
def test_help_of_every_group_exits_0_lists_its_verbs_and_shows_an_example(path: tuple[str, ...]) -> None:
    text = _help(path)
    assert "Commands:" in text
    _assert_example_of(path, text)


def test_short_help_option_works_too() -> None:
    result = CliRunner().invoke(cli, ["baton", "hand", "-h"])
    assert result.exit_code == 0 and "Example:" in result.output


def test_every_verb_of_spec_11_exists() -> None:
    verbs = {" ".join(path) for path in COMMANDS if path and not _is_group(path)}
    assert SPEC_VERBS - verbs == set()


def test_every_verb_has_a_test_against_a_real_store() -> None:
    """A new verb fails this until a test in tests/cli runs it (see WRITE_VERBS and the read tests)."""
    verbs = {" ".join(path) for path in VERB_PATHS}
    untested = verbs - WRITE_VERBS - READ_AND_OTHER_VERBS - HTTP_VERBS - OPERATIONS_VERBS
    assert untested == set()


@pytest.mark.process
def test_help_through_the_installed_script() -> None:
    result = installed("baton", "release", "--help")
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("Usage: stafet baton release ") and "Example:" in result.out
