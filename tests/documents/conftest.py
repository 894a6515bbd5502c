"""What the document tests need beyond Python: poppler's pdftoppm / pdftotext / pdffonts (to
look at a PDF as pictures and as text) and the DejaVu fonts (every Danish letter). Installed
with apt-get when missing; when they cannot be had the tests skip loudly, and under CI=true
that is a failure."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.system_packages import ensure

TOOLS = ("pdftoppm", "pdftotext", "pdffonts")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def _missing() -> list[str]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not FONT.exists():
        missing.append("fonts-dejavu-core")
    return missing


def _fail_or_skip(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (under CI a missing tool is a failure)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pdf_tools() -> None:
    """poppler-utils and fonts-dejavu-core, installed if missing (skip, or fail under CI)."""
    problem = ensure(["poppler-utils", "fonts-dejavu-core"], lambda: not _missing())
    if problem:
        _fail_or_skip(f"NO PDF TOOLS: {', '.join(_missing())} ({problem})")
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as error:
        _fail_or_skip(f"NO WEASYPRINT: {error}")


@pytest.fixture(scope="session", params=["chromium", "weasyprint"])
def pdf_engine(request: pytest.FixtureRequest, pdf_tools: None) -> str:
    """Each of the two printers of ``stafet report``; Chromium installed if missing."""
    if request.param == "chromium":
        problem = ensure(["chromium", "fonts-dejavu-core"], lambda: shutil.which("chromium") is not None)
        if problem:
            _fail_or_skip(f"NO CHROMIUM for --pdf-engine chromium: {problem}")
    return str(request.param)


def pdf_text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, check=True, timeout=120)
    return done.stdout.decode("utf-8")


def pdf_pages(pdf: Path, out: Path, dpi: int = 50) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(out / "page")],
                   capture_output=True, check=True, timeout=300)
    return sorted(out.glob("page-*.png"))


def pdf_fonts(pdf: Path) -> str:
    return subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True,
                          timeout=60).stdout.decode("utf-8")


def flat(text: str) -> str:
    """Text with every run of whitespace as one space (lines wrap anywhere in a PDF)."""
    return " ".join(text.split())
