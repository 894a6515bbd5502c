"""Which decision answers which command."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from stafet.domain.commands import Command
from stafet.domain.events import CaseEvent

Decision = Callable[..., list[CaseEvent]]  # (state, the command, context) -> events
F = TypeVar("F", bound=Decision)

DECIDERS: dict[type[Command], Decision] = {}


def handles(command_type: type[Command]) -> Callable[[F], F]:
    def register(func: F) -> F:
        DECIDERS[command_type] = func
        return func

    return register
