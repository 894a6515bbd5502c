"""A case document as PDF: the HTML page, printed by WeasyPrint (A4, fonts embedded).

WeasyPrint is imported only here, and only when a PDF is asked for: it is heavy, and
``stafet --help`` stays quick. It lays text out with the system's Pango and fontconfig; the
stylesheet asks for DejaVu (Debian's fonts-dejavu-core), which has every Danish letter, and
WeasyPrint embeds the glyphs it uses, so the PDF reads the same anywhere."""

from __future__ import annotations

from stafet.domain.errors import InvalidCommand


def from_html(html: str) -> bytes:
    """The PDF of an HTML page made by ``stafet.documents.html``."""
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
