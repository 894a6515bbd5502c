"""Documents about one case: ``stafet report`` and ``stafet meeting doc`` (issue 15).

Reads like ``case show`` (the Reader authorises and access-logs them); the layout lives in
``stafet.documents``. Markdown goes to the terminal; HTML and PDF to a file (``-o``)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from stafet.cli.app import Ctx, cli, pass_ctx
from stafet.cli.case import parse_moment
from stafet.cli.meeting import meeting
from stafet.documents.model import CaseDocument, build
from stafet.domain.calendar import Lang
from stafet.domain.errors import InvalidCommand
from stafet.reader import ReportData

FORMATS = ["md", "html", "pdf"]
SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf"}


def _format(fmt: str | None, output: str | None) -> str:
    """The format asked for, else the one the output file's name says, else Markdown."""
    if fmt:
        return fmt
    if output and output != "-":
        return SUFFIXES.get(Path(output).suffix.lower(), "md")
    return "md"


def _render(doc: CaseDocument, fmt: str, meeting_id: str | None, engine: str | None) -> bytes:
    if fmt == "md":
        from stafet.documents import markdown

        text = markdown.meeting_document(doc, meeting_id) if meeting_id else markdown.report(doc)
        return text.encode("utf-8")
    from stafet.documents import html

    page = html.meeting_document(doc, meeting_id) if meeting_id else html.report(doc)
    if fmt == "html":
        return page.encode("utf-8")
    from stafet.documents import pdf

    return pdf.from_html(page, engine)


def _deliver(ctx: Ctx, data: ReportData, doc: CaseDocument, fmt: str, output: str | None,
             meeting_id: str | None, engine: str | None) -> None:
    if ctx.as_json and not output:
        ctx.emit_json(asdict(doc))
        return
    if fmt == "pdf" and (not output or output == "-") and sys.stdout.isatty():
        raise InvalidCommand("a PDF is not for the terminal; give -o FILE.pdf (or --format md).")
    content = _render(doc, fmt, meeting_id, engine)
    if output and output != "-":
        try:
            Path(output).write_bytes(content)
        except OSError as error:
            raise InvalidCommand(f"cannot write {output} ({error.strerror}).") from None
        summary: dict[str, Any] = {
            "written": output, "format": fmt, "bytes": len(content), "case_id": doc.case_id,
            "provenance": data.provenance.model_dump(mode="json")}
        if ctx.as_json:
            ctx.emit_json(summary)
        else:
            click.echo(f"Wrote {output} ({fmt}, {len(content):,} bytes).", err=True)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(content)
    sys.stdout.buffer.flush()


def _language(lang: str) -> Lang:
    return "en" if lang == "en" else "da"


format_option = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default=None,
    help="md, html or pdf (default: from -o's suffix, else md).")
lang_option = click.option("--lang", type=click.Choice(["da", "en"]), default="da",
                           show_default=True, help="Danish or English.")
engine_option = click.option(
    "--pdf-engine", "engine", type=click.Choice(["auto", "chromium", "weasyprint"]),
    default=None, envvar="STAFET_PDF_ENGINE", show_envvar=True,
    help="Who prints the PDF: Chromium (fast on long cases; Debian's chromium) or WeasyPrint "
         "(no browser needed). auto, the default, takes Chromium when it is installed.")
output_option = click.option("-o", "--output", metavar="FILE",
                             help="Write to FILE (default: stdout; a PDF needs a file).")


@cli.command("report")
@click.argument("case_ref", metavar="CASE")
@format_option
@lang_option
@click.option("--as-of", metavar="TIME",
              help="The case as the log stood at this recorded time, e.g. 2026-05-01T12:00.")
@click.option("--for-org", metavar="ORG",
              help="Mark what concerns this organisation (for its own journal), e.g. uu-odense.")
@output_option
@engine_option
@pass_ctx
def report(ctx: Ctx, case_ref: str, fmt: str | None, lang: str, as_of: str | None,
           for_org: str | None, output: str | None, engine: str | None) -> None:
    """A report of the case to read, print or file in a journal.

    Title, citizen, phase, status and holder; the plan in its five sections with full texts
    and revisions; the baton holders over time; meetings with agenda, minutes, decisions and
    agreements; consents; sector plans; every note and correction in full; and where it
    comes from (the log's head and hashes) with how to check it. A read like `case show`:
    needs --as and --purpose, and is access-logged.

    \b
    Example:
      stafet report 3fa85f -o forloeb.pdf
      stafet report 3fa85f --for-org uu-odense --lang en -o report.html
      stafet report 3fa85f --as-of 2026-05-01T12:00 > report.md
    """
    moment = parse_moment(as_of, "--as-of") if as_of else None
    data = ctx.reader.report(case_ref, as_of=moment)
    doc = build(data, _language(lang), for_org=for_org)
    _deliver(ctx, data, doc, _format(fmt, output), output, None, engine)


@meeting.command("doc")
@click.argument("case_ref", metavar="CASE")
@click.argument("meeting_id", metavar="MEETING")
@format_option
@lang_option
@click.option("--for-org", metavar="ORG",
              help="Mark what concerns this organisation (for its own journal), e.g. uu-odense.")
@output_option
@engine_option
@pass_ctx
def meeting_doc(ctx: Ctx, case_ref: str, meeting_id: str, fmt: str | None, lang: str,
                for_org: str | None, output: str | None, engine: str | None) -> None:
    """One meeting's document: the invitation and agenda before, the minutes, decisions and
    agreements after, as the log holds them now. A read: needs --as and --purpose.

    \b
    Example:
      stafet meeting doc 3fa85f M1 -o m1.pdf
      stafet meeting doc 3fa85f M2 --lang en
    """
    data = ctx.reader.meeting_document(case_ref, meeting_id)
    doc = build(data, _language(lang), for_org=for_org)
    if doc.meeting(meeting_id) is None:
        raise InvalidCommand(f"the case has no meeting {meeting_id.upper()}; "
                             f"it has {', '.join(m.meeting_id for m in doc.meetings) or 'none'}.")
    _deliver(ctx, data, doc, _format(fmt, output), output, meeting_id.upper(), engine)
