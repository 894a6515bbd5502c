"""Start-up: what a person waits for before an interactive command does anything.

Times N fresh processes of each command, in rounds (one of each per round, so a burst of load
elsewhere on the machine falls on all alike), against the libraries stafet stands on:

    baseline   python -c "import eventsourcing, pydantic, sqlalchemy, click"
    python     python -c pass            (the interpreter alone)
    --help     stafet --help
    case show  stafet case show ID       (a 41-event case on SQLite, read models on)
    case list  stafet case list
    verify     stafet verify             (the same store)

and with ``python -X importtime`` lists which heavy packages each command imports (psycopg on
SQLite, FastAPI, uvicorn, WeasyPrint, Jinja2, fhir.resources, the synthetic generator) and the
stafet modules that cost the most. Targets (issue 18): ``--help`` ≤ 0.5× and ``case show``
≤ 1.3× the baseline's wall time.

    .venv/bin/python -m bench.startup                 # 20 rounds, a table on stdout
    .venv/bin/python -m bench.startup -n 50 --json    # every figure
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EXAMPLE = ROOT / "examples" / "adult-case" / "case.jsonl"
READER = "peter.lund@socialafdelingen-odense"  # the example case's coordinator
AUDITOR = "it@kommunen"

# Packages a read verb on SQLite has no use for; the test tests/cli/test_startup.py holds
# ``--help`` to the same.
HEAVY = ("psycopg", "fastapi", "uvicorn", "weasyprint", "jinja2", "fhir", "stafet.dev",
         "stafet.http", "stafet.web", "stafet.documents")


def _stafet() -> str:
    return str(Path(sys.executable).with_name("stafet"))


def _prepare(workdir: Path) -> tuple[dict[str, str], str]:
    """A SQLite store with the example case (read models on, as the CLI keeps them)."""
    db = f"sqlite:///{workdir / 'startup.db'}"
    env = {**os.environ, "STAFET_DB": db, "STAFET_PURPOSE": "opfølgning"}
    subprocess.run([_stafet(), "init", "--admin", AUDITOR], env=env, check=True,
                   capture_output=True)
    subprocess.run([_stafet(), "apply", str(EXAMPLE)], env=env, check=True, capture_output=True)
    listed = subprocess.run([_stafet(), "--as", READER, "--json", "case", "list"], env=env,
                            check=True, capture_output=True, text=True)
    return env, json.loads(listed.stdout)[0]["case_id"]


def _commands(case_id: str) -> dict[str, list[str]]:
    py = sys.executable
    return {
        "python": [py, "-c", "pass"],
        "baseline": [py, "-c", "import eventsourcing, pydantic, sqlalchemy, click"],
        "--help": [_stafet(), "--help"],
        "case show": [_stafet(), "--as", READER, "case", "show", case_id],
        "case list": [_stafet(), "--as", READER, "case", "list"],
        "verify": [_stafet(), "--as", AUDITOR, "verify"],
    }


def _time(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def _imports(argv: list[str], env: dict[str, str]) -> dict[str, Any]:
    """``-X importtime`` of one run: the heavy packages it imported, and its costliest stafet
    modules (self time, µs)."""
    if argv[0] == sys.executable:
        argv = [sys.executable, "-X", "importtime", *argv[1:]]
    else:  # the console script: run its entry point under -X importtime
        code = f"import sys; sys.argv = {['stafet', *argv[1:]]!r}; from stafet.cli import main; main()"
        argv = [sys.executable, "-X", "importtime", "-c", code]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    modules: dict[str, tuple[int, int]] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, total, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if own.isdigit():
            modules[name] = (int(own), int(total))
    heavy = sorted({h for h in HEAVY for m in modules if m == h or m.startswith(h + ".")})
    own_stafet = sorted(((own, m) for m, (own, _) in modules.items()
                         if m.startswith("stafet")), reverse=True)
    return {"modules": len(modules), "heavy": heavy,
            "stafet_ms": round(sum(own for own, _ in own_stafet) / 1000, 1),
            "costliest": [(m, round(own / 1000, 1)) for own, m in own_stafet[:5]]}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-int(q * len(ordered)) // 100))
    return ordered[min(rank, len(ordered)) - 1]


def measure(rounds: int, workdir: Path) -> dict[str, Any]:
    env, case_id = _prepare(workdir)
    commands = _commands(case_id)
    for argv in commands.values():  # warm the file cache and the .pyc files
        _time(argv, env)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, argv in commands.items():
            times[name].append(_time(argv, env))
    base = _pct(times["baseline"], 50)
    rows = {}
    for name, values in times.items():
        rows[name] = {"p50_ms": _pct(values, 50) * 1000, "p99_ms": _pct(values, 99) * 1000,
                      "vs_baseline_p50": _pct(values, 50) / base,
                      "vs_baseline_p99": _pct(values, 99) / _pct(times["baseline"], 99),
                      "imports": _imports(commands[name], env)}
    return {"rounds": rounds, "load_average": os.getloadavg(), "commands": rows,
            "targets": {"--help": 0.5, "case show": 1.3}}


def render(result: dict[str, Any]) -> str:
    targets = result["targets"]
    lines = [
        f"{result['rounds']} fresh processes of each, in rounds; load average at the end "
        f"{' / '.join(f'{x:.2f}' for x in result['load_average'])}.",
        "",
        "| command | p50 ms | p99 ms | p50 vs baseline | p99 vs baseline | target | stafet's own "
        "import ms | heavy packages imported |",
        "|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for name, row in result["commands"].items():
        target = targets.get(name)
        verdict = "" if target is None else (
            f"≤ {target}× {'met' if row['vs_baseline_p50'] <= target else 'missed'}")
        imports = row["imports"]
        lines.append(
            f"| {name} | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} | {row['vs_baseline_p50']:.2f}× "
            f"| {row['vs_baseline_p99']:.2f}× | {verdict} | {imports['stafet_ms']:.0f} | "
            f"{', '.join(imports['heavy']) or 'none'} |")
    lines += ["", "Costliest stafet modules (own import time, ms, one run):", ""]
    for name, row in result["commands"].items():
        if row["imports"]["costliest"]:
            costly = ", ".join(f"{m} {ms}" for m, ms in row["imports"]["costliest"])
            lines.append(f"- {name}: {costly}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--rounds", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="every figure, as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="stafet-startup-") as workdir:
        result = measure(args.rounds, Path(workdir))
    print(json.dumps(result, indent=2) if args.json else render(result))


if __name__ == "__main__":
    main()
