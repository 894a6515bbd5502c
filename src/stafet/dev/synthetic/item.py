"""One generated command, as the stream carries it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from stafet.domain.commands import Command, build_command


@dataclass(frozen=True)
class Item:
    """One command of the stream, for the case numbered ``case`` (0, 1, ...)."""

    case: int
    name: str
    fields: dict[str, Any]  # every field but case_id; JSON-ready (times and dates as text)
    events: int  # how many events the ledger stores for it
    at: datetime  # the business time (naive, Copenhagen), also in fields["occurred_at"]
    order: int = field(default=0, repr=False)  # working second of the year: the stream's order
    # The command as the generator had it decided (with the generator's own case id), kept so
    # that storing the stream validates each command once, not twice.
    decided: Command | None = field(default=None, repr=False, compare=False)

    @property
    def label(self) -> str:
        return f"c{self.case}"

    def command(self, case_id: UUID | str | None = None) -> Command:
        """The validated command; ``case_id`` is the ledger's id of this item's case."""
        if self.decided is not None:
            if self.name == "case.open":
                return self.decided
            if case_id is not None:
                return self.decided.model_copy(update={"case_id": UUID(str(case_id))})
        fields = self.fields if self.name == "case.open" else {**self.fields, "case_id": case_id}
        return build_command(self.name, fields)

    def line(self) -> dict[str, Any]:
        """The command as a line of a ``stafet apply`` batch (cases bound by label)."""
        if self.name == "case.open":
            return {"command": self.name, "as": self.label, **self.fields}
        return {"command": self.name, "case": f"${self.label}", **self.fields}
