"""How long a case's PDF report takes: a 3,000-event synthetic case, end to end (the Reader's
read, the view model, the HTML, WeasyPrint's PDF), against a baseline measured in the same run:
WeasyPrint printing a fixed HTML page of the same text as plain paragraphs (the floor for that
much text with this library on this machine). Also the example adult case. Writes
``bench/RESULTS-documents.md`` and ``bench/results-documents.json``.

    .venv/bin/python -m bench.documents              # 5 runs each
    .venv/bin/python -m bench.documents --runs 9 --events 3000
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


def _report_pdf(ledger: Ledger, case_id: Any, actor: str) -> bytes:
    data = ledger.reader(actor, PURPOSE).report(case_id)
    return pdf.from_html(html.report(model.build(data, "da")))


@click.command()
@click.option("--runs", default=5, show_default=True, help="Timed runs of each measurement.")
@click.option("--events", default=3000, show_default=True, help="Events in the synthetic case.")
@click.option("--seed", default=3, show_default=True)
def main(runs: int, events: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Ledger(f"sqlite:///{Path(tmp) / 'bench.db'}")
        report = load(ledger, single_case(events, seed=seed))
        (case_id,) = report.case_ids.values()
        actor = ledger.get_case(case_id).baton.holder
        ledger.apply_batch((ROOT / "examples" / "adult-case" / "case.jsonl")
                           .read_text("utf-8").splitlines())
        example = ledger.case_ids()[-1]
        example_actor = ledger.get_case(example).baton.holder

        first = _report_pdf(ledger, case_id, actor)  # warm: fonts, templates, imports
        page = html.report(model.build(ledger.reader(actor, PURPOSE).report(case_id), "da"))
        plain = _plain_page(page)
        pdf.from_html(plain)
        click.echo(f"{events}-event case: {len(page):,} bytes of HTML, {len(first):,} bytes "
                   "of PDF", err=True)

        # Interleaved, so that a change in the machine's load falls on both alike.
        stafet_times: list[float] = []
        baseline_times: list[float] = []
        example_times: list[float] = []
        for _ in range(runs):
            stafet_times += _times(1, lambda: _report_pdf(ledger, case_id, actor))
            baseline_times += _times(1, lambda: pdf.from_html(plain))
            example_times += _times(1, lambda: _report_pdf(ledger, example, example_actor))
        stafet_times.sort()
        baseline_times.sort()
        example_times.sort()
        pages = _pages(first, Path(tmp))
        ledger.close()

    big, base, small = _summary(stafet_times), _summary(baseline_times), _summary(example_times)
    result = {
        "machine": _machine(), "events": events, "seed": seed, "runs": runs, "pages": pages,
        "html_bytes": len(page), "report_pdf_seconds": big, "baseline_pdf_seconds": base,
        "example_pdf_seconds": small, "ratio_p50": big["p50"] / base["p50"],
        "target_seconds": TARGET_SECONDS, "meets_target": big["p50"] < TARGET_SECONDS,
    }
    (HERE / "results-documents.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    lines = [
        "# Documents: how long a case's PDF report takes",
        "",
        "Made by `.venv/bin/python -m bench.documents"
        + (f" --runs {runs}" if runs != 5 else "") + "` (numbers in seconds, "
        f"{runs} runs each, after one warm-up run).",
        "",
        f"Machine: {result['machine']}",
        "",
        "| what | p50 | p99 | min | max |",
        "|---|---|---|---|---|",
        *(f"| {name} | {s['p50']:.2f} | {s['p99']:.2f} | {s['min']:.2f} | {s['max']:.2f} |"
          for name, s in [
              (f"stafet report, {events}-event synthetic case → PDF ({pages} pages)", big),
              ("baseline: WeasyPrint, the same text as plain paragraphs", base),
              ("stafet report, the example adult case → PDF", small)]),
        "",
        f"Ratio (stafet / baseline, p50): **{result['ratio_p50']:.2f}**. Target: under "
        f"{TARGET_SECONDS:.0f} s for the {events}-event case — "
        + ("met." if result["meets_target"] else "**not met** on this machine (see below)."),
        "",
        "The stafet figure is the whole read: the Reader (authorised, access-logged, with "
        "provenance), the view model, the HTML from the templates and WeasyPrint's PDF. The "
        "baseline is WeasyPrint alone printing the same amount of text with no tables, no "
        "page furniture and no styling beyond one font: the floor for that much text with "
        "this library, measured in the same run (interleaved, run by run) so that the machine's "
        "load falls on both alike.",
        "",
        "Why the target is not met: the report holds every note, agreement, citizen view and "
        "goal revision of the case in full (the issue asks for that), and WeasyPrint lays out "
        "and draws every line and box in Python. Even the baseline — the same text with no "
        "structure at all — takes most of the budget on this shared 2-core machine; the report's "
        "tables, headings and page furniture cost the ratio above on top. Flattening the many "
        "small blocks (notes, views, agreement details) into lines, splitting tables, simpler "
        "fonts and dropping page breaks/overflow rules were each measured and changed little "
        "(within the machine's noise). What might meet it (not measured): a different engine "
        "(Chromium's print, which the library notes say works on these machines), or a shorter "
        "report for very large cases (the log's notes by reference).",
        "",
    ]
    (HERE / "RESULTS-documents.md").write_text("\n".join(lines), "utf-8")
    click.echo("\n".join(lines))


if __name__ == "__main__":
    main()
