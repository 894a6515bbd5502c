"""Which decision answers which command."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stafet.domain.commands import Command

DECIDERS: dict[type[Command], Callable[..., Any]] = {}


def handles(command_type: type[Command]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        DECIDERS[command_type] = func
        return func

    return register
