"""A case document as HTML: Jinja2 templates (autoescaped: a note holding ``<script>`` is
shown as text) with a print stylesheet, the same page WeasyPrint turns into the PDF.

The templates and the CSS are package data (``stafet/documents/templates``)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from stafet.documents.model import MARK, CaseDocument
from stafet.documents.timeline_svg import draw


def paragraphs(text: str | None) -> Markup:
    """Text as it was written: blank lines part paragraphs, a line break stays one."""
    if not text:
        return Markup("")
    blocks = [b for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    return Markup("").join(
        Markup("<p>") + Markup("<br>").join(escape(line) for line in b.split("\n"))
        + Markup("</p>") for b in blocks)


def lines(text: str | None) -> Markup:
    """Text as it was written, inside one block: each line break kept as <br>."""
    return Markup("<br>").join(escape(line) for line in (text or "").replace("\r\n", "\n")
                               .split("\n"))


def breakable(text: str | None) -> Markup:
    """A handle (person@org) that may break after its @ rather than inside a word."""
    return Markup("@<wbr>").join(escape(part) for part in (text or "").split("@"))


def css_string(text: str | None) -> Markup:
    """Text as a quoted CSS string for the page's running header and footer: every character
    that is not a letter, a digit or a space written as a CSS escape, so nothing a title holds
    can end the string or the <style> element."""
    if isinstance(text, Markup):  # a block set in the template: already HTML-escaped
        text = text.unescape()
    body = "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in (text or ""))
    return Markup(f'"{body}"')


def inline_code(text: str) -> Markup:
    """Text with `commands` in backticks shown as code."""
    parts = text.split("`")
    return Markup("").join(escape(p) if n % 2 == 0 else Markup("<code>") + escape(p)
                           + Markup("</code>") for n, p in enumerate(parts))


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("stafet.documents", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["paragraphs"] = paragraphs
    env.filters["who"] = breakable
    env.filters["lines"] = lines
    env.filters["code"] = inline_code
    env.filters["css_string"] = css_string
    env.globals["MARK"] = MARK
    return env


@cache
def stylesheet() -> str:
    return (files("stafet.documents") / "templates" / "document.css").read_text("utf-8")


def _render(template: str, doc: CaseDocument, **extra: object) -> str:
    timeline = Markup(draw(doc.holds, doc.now or doc.holds[-1].start, doc.lang)) \
        if doc.holds else Markup("")
    return environment().get_template(template).render(
        doc=doc, t=doc.t, css=Markup(stylesheet()), timeline=timeline, **extra)


def report(doc: CaseDocument) -> str:
    """The whole case as one HTML page (print CSS: A4, running header, page numbers)."""
    return _render("report.html.j2", doc)


def meeting_document(doc: CaseDocument, meeting_id: str) -> str:
    """One meeting's document: the invitation and agenda, then minutes and agreements."""
    meeting = doc.meeting(meeting_id)
    if meeting is None:
        raise KeyError(meeting_id)
    return _render("meeting.html.j2", doc, m=meeting)
