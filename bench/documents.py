"""How long a case's PDF report takes: a 3,000-event synthetic case, end to end (the Reader's
read, the view model, the HTML, the PDF), with each of the two printers (Chromium, the default
where it is installed, and WeasyPrint), each against a baseline measured in the same run: the
same printer printing a fixed HTML page of the same text as plain paragraphs (the floor for that
much text with that printer on this machine). Also the example adult case. Writes
``bench/RESULTS-documents.md`` and ``bench/results-documents.json``.

    .venv/bin/python -m bench.documents              # 5 runs each, both printers
    .venv/bin/python -m bench.documents --runs 3 --engine chromium
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bench.common import percentile
from stafet import Ledger
from stafet.dev.synthetic.loading import load
from stafet.dev.synthetic.stream import single_case
from stafet.documents import html, model, pdf

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_SECONDS = 5.0
PURPOSE = "måling af rapporter"


def _machine() -> str:
    import os
    import platform
    from importlib import metadata

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{os.cpu_count()} cores, load {load:.1f} at the start, Python "
            f"{platform.python_version()}, WeasyPrint {metadata.version('weasyprint')}, "
            f"{time.strftime('%Y-%m-%d')}")


def _times(runs: int, work: Callable[[], Any]) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        out.append(time.perf_counter() - started)
    return sorted(out)


def _summary(seconds: list[float]) -> dict[str, float]:
    return {"p50": statistics.median(seconds), "p99": percentile(seconds, 99),
            "min": seconds[0], "max": seconds[-1], "n": len(seconds)}


def _plain_page(page: str) -> str:
    """The same text as the report, as plain paragraphs with one font and no layout."""
    text = " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", page,
                                                     flags=re.S)).split())
    paragraphs = "".join(f"<p>{text[i:i + 600]}</p>" for i in range(0, len(text), 600))
    return ("<html><head><style>@page { size: A4; margin: 20mm } body { font: 8.8pt "
            f"'DejaVu Sans' }}</style></head><body>{paragraphs}</body></html>")


def _pages(content: bytes, tmp: Path) -> int:
    """The number of pages (pdfinfo, from poppler-utils; 0 without it)."""
    import shutil
    import subprocess

    if shutil.which("pdfinfo") is None:
        return 0
    path = tmp / "count.pdf"
    path.write_bytes(content)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=False)
    found = re.search(r"^Pages:\s+(\d+)", info.stdout, flags=re.M)
    return int(found.group(1)) if found else 0


def _report_pdf(ledger: Ledger, case_id: Any, actor: str, engine: str) -> bytes:
    data = ledger.reader(actor, PURPOSE).report(case_id)
    return pdf.from_html(html.report(model.build(data, "da")), engine)


@click.command()
@click.option("--runs", default=5, show_default=True, help="Timed runs of each measurement.")
@click.option("--events", default=3000, show_default=True, help="Events in the synthetic case.")
@click.option("--seed", default=3, show_default=True)
@click.option("--engine", "engines", multiple=True, type=click.Choice(["chromium", "weasyprint"]),
              help="The printers to measure (default: both; Chromium only where installed).")
def main(runs: int, events: int, seed: int, engines: tuple[str, ...]) -> None:
    engines = engines or tuple(e for e in ("chromium", "weasyprint")
                               if e != "chromium" or pdf.chromium_program())
    measured: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'bench.db'}")
        report = load(ledger, single_case(events, seed=seed))
        (case_id,) = report.case_ids.values()
        actor = ledger.get_case(case_id).baton.holder
        ledger.apply_batch((ROOT / "examples" / "adult-case" / "case.jsonl")
                           .read_text("utf-8").splitlines())
        example = ledger.case_ids()[-1]
        example_actor = ledger.get_case(example).baton.holder
        page = html.report(model.build(ledger.reader(actor, PURPOSE).report(case_id), "da"))
        plain = _plain_page(page)
        html_times = _times(runs, lambda: html.report(
            model.build(ledger.reader(actor, PURPOSE).report(case_id), "da")))

        for engine in engines:
            first = _report_pdf(ledger, case_id, actor, engine)  # warm: fonts, imports
            pdf.from_html(plain, engine)
            click.echo(f"{engine}: {events}-event case, {len(page):,} bytes of HTML, "
                       f"{len(first):,} bytes of PDF", err=True)
            # Interleaved, so that a change in the machine's load falls on both alike.
            times: dict[str, list[float]] = {"report": [], "baseline": [], "example": []}
            for _ in range(runs):
                times["report"] += _times(1, lambda e=engine: _report_pdf(ledger, case_id, actor, e))
                times["baseline"] += _times(1, lambda e=engine: pdf.from_html(plain, e))
                times["example"] += _times(
                    1, lambda e=engine: _report_pdf(ledger, example, example_actor, e))
            summary = {name: _summary(sorted(values)) for name, values in times.items()}
            measured[engine] = {
                **summary, "pages": _pages(first, Path(tmp)),
                "ratio_p50": summary["report"]["p50"] / summary["baseline"]["p50"],
                "meets_target": summary["report"]["p50"] < TARGET_SECONDS}
        ledger.close()

    read_and_html = _summary(sorted(html_times))
    result = {"machine": _machine(), "events": events, "seed": seed, "runs": runs,
              "html_bytes": len(page), "read_and_html_seconds": read_and_html,
              "engines": measured, "target_seconds": TARGET_SECONDS,
              "default_engine": pdf.chosen("auto")}
    (HERE / "results-documents.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    rows = [(f"the Reader's read, the view model and the HTML ({len(page):,} bytes)",
             read_and_html)]
    for engine, m in measured.items():
        rows += [(f"**{engine}**: stafet report, {events}-event case → PDF ({m['pages']} pages)",
                  m["report"]),
                 (f"{engine}: baseline, the same text as plain paragraphs", m["baseline"]),
                 (f"{engine}: stafet report, the example adult case → PDF", m["example"])]
    verdicts = [f"- {engine}: report / baseline (p50) **{m['ratio_p50']:.2f}**; the "
                f"{events}-event case in {m['report']['p50']:.2f} s at the median, "
                f"{m['report']['p99']:.2f} s at p99 — target under {TARGET_SECONDS:.0f} s "
                + ("**met**." if m["meets_target"] else "**not met**.")
                for engine, m in measured.items()]
    lines = [
        "# Documents: how long a case's PDF report takes",
        "",
        "Made by `.venv/bin/python -m bench.documents"
        + (f" --runs {runs}" if runs != 5 else "") + "` (numbers in seconds, "
        f"{runs} runs each, after one warm-up run).",
        "",
        f"Machine: {result['machine']}. `stafet report`'s default printer here: "
        f"{result['default_engine']}.",
        "",
        "| what | p50 | p99 | min | max |",
        "|---|---|---|---|---|",
        *(f"| {name} | {s['p50']:.2f} | {s['p99']:.2f} | {s['min']:.2f} | {s['max']:.2f} |"
          for name, s in rows),
        "",
        *verdicts,
        "",
        "Each report figure is the whole read: the Reader (authorised, access-logged, with "
        "provenance), the view model, the HTML from the templates and the printer's PDF. Each "
        "baseline is the same printer printing the same amount of text with no tables, no page "
        "furniture and no styling beyond one font: the floor for that much text with that "
        "printer, measured in the same run (interleaved, run by run) so that the machine's "
        "load falls on both alike.",
        "",
        "Chromium (Debian's `chromium`, printing with `--headless --print-to-pdf`) lays the "
        "pages out in native code; WeasyPrint lays out and draws every line and box in Python, "
        "which is why `stafet report` takes Chromium when it is installed (`--pdf-engine`, "
        "`STAFET_PDF_ENGINE`) and WeasyPrint where no browser may be installed.",
        "",
    ]
    (HERE / "RESULTS-documents.md").write_text("\n".join(lines), "utf-8")
    click.echo("\n".join(lines))


if __name__ == "__main__":
    main()
