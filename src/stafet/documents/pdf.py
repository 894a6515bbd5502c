"""A case document as PDF: the HTML page printed on A4 with its fonts embedded.

Two printers, chosen by ``engine``:

- **chromium** — Chromium's own print (``--headless --print-to-pdf``), when a Chromium is
  installed (Debian's ``chromium``; or the program named by ``STAFET_CHROMIUM``). It lays out a
  3,000-event case's 120 pages in a few seconds (``bench/documents.py``).
- **weasyprint** — pure Python on the system's Pango, needing nothing but stafet's own
  dependencies. About ten times slower on long cases, identical on short ones.

``auto`` (the default) takes Chromium when it is there, else WeasyPrint. Both print the same
page: the stylesheet asks for DejaVu (Debian's fonts-dejavu-core), which has every Danish
letter, and both embed the glyphs they use, so the PDF reads the same anywhere.

The page carries a Content-Security-Policy that forbids scripts and every fetch, so the
printing browser runs nothing and reaches nothing, whatever text a note holds (the templates
escape it too). The browser gets a profile of its own in a private temporary folder that is
removed afterwards. Neither printer is imported or started unless a PDF is asked for."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from stafet.domain.errors import InvalidCommand

Engine = Literal["auto", "chromium", "weasyprint"]
ENGINES: tuple[Engine, ...] = ("auto", "chromium", "weasyprint")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_TIMEOUT_SECONDS = 600


def chromium_program() -> str | None:
    """The Chromium to print with: ``STAFET_CHROMIUM``, else the first one on the PATH."""
    configured = os.environ.get("STAFET_CHROMIUM")
    if configured:
        return shutil.which(configured)
    return next((found for name in CHROMIUM_NAMES if (found := shutil.which(name))), None)


def chosen(engine: str | None = None) -> Engine:
    """The printer ``auto`` (or ``STAFET_PDF_ENGINE``) comes to on this machine."""
    engine = engine or os.environ.get("STAFET_PDF_ENGINE") or "auto"
    if engine not in ENGINES:
        raise InvalidCommand(f"--pdf-engine must be one of {', '.join(ENGINES)}, not {engine!r}.")
    if engine == "auto":
        return "chromium" if chromium_program() else "weasyprint"
    return engine  # type: ignore[return-value]  # checked against ENGINES above


def from_html(html: str, engine: str | None = None) -> bytes:
    """The PDF of an HTML page made by ``stafet.documents.html``."""
    if chosen(engine) == "chromium":
        return _chromium(html)
    return _weasyprint(html)


def _weasyprint(html: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: Pango or its libraries are missing
        raise InvalidCommand(
            f"PDF needs WeasyPrint and the Pango library ({error}); install stafet's "
            "dependencies (pip install stafet) and Pango (apt-get install libpango-1.0-0), or "
            "choose --format html or md.") from None
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None  # without a target, write_pdf returns the bytes
    return bytes(pdf)


def _chromium(html: str) -> bytes:
    program = chromium_program()
    if program is None:
        raise InvalidCommand("--pdf-engine chromium needs Chromium (apt-get install chromium, "
                             "or STAFET_CHROMIUM=/path/to/chrome); or use --pdf-engine weasyprint.")
    with tempfile.TemporaryDirectory(prefix="stafet-pdf-") as folder:  # 0700, removed after
        work = Path(folder)
        page, out = work / "document.html", work / "document.pdf"
        page.write_text(html, "utf-8")
        command = [
            program, "--headless", "--disable-gpu", "--no-pdf-header-footer",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--mute-audio",
            f"--user-data-dir={work / 'profile'}", f"--print-to-pdf={out}", page.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        try:
            done = subprocess.run(command, capture_output=True, timeout=PRINT_TIMEOUT_SECONDS,
                                  check=False, cwd=work)
        except subprocess.TimeoutExpired:
            raise InvalidCommand(f"Chromium did not print the PDF within "
                                 f"{PRINT_TIMEOUT_SECONDS} s; try --pdf-engine weasyprint.") from None
        if done.returncode != 0 or not out.exists() or out.stat().st_size == 0:
            last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
            raise InvalidCommand(f"Chromium could not print the PDF (exit {done.returncode}: "
                                 f"{last[:200]}); try --pdf-engine weasyprint.")
        return out.read_bytes()
