"""Real processes on real files: the installed `stafet` console script, run as an IT
department would, each call a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

STAFET = str(Path(sys.executable).with_name("stafet"))
ADMIN, DPO, AUDITOR = "it@kommunen", "dpo@kommunen", "revisor@kommunen"
CASEWORKER = "louise.holm@jobcenter-odense"


def run(db: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
        check: bool = True, input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``stafet --db DB ARGS`` in a process of its own (no STAFET_ settings of the caller's)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STAFET_")}
    done = subprocess.run([STAFET, "--db", db, *args], env={**clean, **(env or {})},
                          capture_output=True, text=True, cwd=cwd, input=input, timeout=180)
    if check and done.returncode != 0:
        raise AssertionError(f"stafet {' '.join(args)} exited {done.returncode}:\n"
                             f"{done.stdout}\n{done.stderr}")
    return done


def run_json(db: str, *args: str, **kwargs: Any) -> Any:
    return json.loads(run(db, "--json", *args, **kwargs).stdout)


def new_store(folder: Path, name: str = "stafet.db") -> str:
    """A store with its administrator, a data protection officer and an auditor."""
    db = f"sqlite:///{folder / name}"
    run(db, "init", "--admin", ADMIN)
    run(db, "--as", ADMIN, "roles", "grant", "dpo", DPO)
    run(db, "--as", ADMIN, "roles", "grant", "auditor", AUDITOR)
    return db


def open_case_line(subject_ref: str, title: str, alias: str = "c") -> dict[str, Any]:
    return {"command": "case.open", "as": alias, "actor": CASEWORKER,
            "subject_ref": subject_ref, "subject_kind": "adult", "title": title,
            "holder_kind": "authority", "holder_title": "Koordinerende sagsbehandler"}


def note_line(text: str, alias: str = "c") -> dict[str, Any]:
    return {"command": "note", "case": f"${alias}", "actor": CASEWORKER, "text": text}


def apply_lines(db: str, folder: Path, lines: list[dict[str, Any]], **kwargs: Any) -> str:
    path = folder / f"batch-{uuid.uuid4().hex[:8]}.jsonl"
    path.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines) + "\n",
                    encoding="utf-8")
    return run(db, "apply", str(path), **kwargs).stdout


def open_case(db: str, folder: Path, subject_ref: str, title: str, notes: int = 0,
              **kwargs: Any) -> str:
    """Opens a case (with notes); returns the first 8 digits of its id."""
    out = apply_lines(db, folder, [open_case_line(subject_ref, title),
                                   *[note_line(f"notat {i}") for i in range(notes)]], **kwargs)
    return out.strip().rsplit(": ", 1)[-1][:8]


def store_files(path: Path) -> list[Path]:
    """The SQLite file and whatever it keeps beside it (WAL, shared memory, journal)."""
    return [p for p in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal")))
            if p.exists()]


def raw_contains(path: Path, marker: str) -> bool:
    return any(marker.encode("utf-8") in p.read_bytes() for p in store_files(path))
