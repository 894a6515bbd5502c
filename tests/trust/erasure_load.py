"""The writer processes of the erasure-under-load tests: each a long-lived ``Ledger`` (its
read models brought up to date after every write, so a projection runner runs in it too)
writing notes to the citizen's case until it is refused as erased, then to another citizen's
case until told to stop. Every outcome is reported, one JSON line each."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from stafet import Ledger
from stafet.domain.errors import ConcurrencyConflict, RuleViolation

HOLDER = "anne@jobcenter-odense"


def write_notes(url: str, case_id: str, other_id: str, marker: str, writer: int,
                report_path: str, stop_path: str) -> None:
    fd = os.open(report_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def report(**item: object) -> None:
        os.write(fd, (json.dumps(item) + "\n").encode("utf-8"))

    target = case_id
    deadline = time.monotonic() + 120
    with Ledger(url, read_models=True) as ledger:
        n = 0
        while not Path(stop_path).exists() and time.monotonic() < deadline:
            n += 1
            text = f"{marker} w{writer} n{n}" if target == case_id else f"andet notat {n}"
            try:
                done = ledger.log_note(actor=HOLDER, case_id=target, text=text)
            except RuleViolation as refused:
                report(case=target, refused=refused.code)
                target = other_id
                continue
            except ConcurrencyConflict:
                continue
            report(case=target, stored=done.version)
            time.sleep(0.005 if target == case_id else 0.02)  # no writer starves the others
