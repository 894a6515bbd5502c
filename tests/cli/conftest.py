"""Fixtures of the command-line tests: ``other_user`` (tests/cli/_users.py), an unprivileged
user to run stafet as, for the permission cases root cannot show, and ``shared_tmp``, a folder
that user may reach."""

from __future__ import annotations

from tests.cli._users import other_user, shared_tmp  # noqa: F401  (fixtures)
