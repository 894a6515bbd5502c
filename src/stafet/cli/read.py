"""Read-side verbs: projections, attention, caseload, export — all from the rm_ tables."""

from __future__ import annotations

import contextlib
import csv
import gc
import json
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import IO, Any

import click

from stafet.cli.app import Ctx, Renamed, cli, flag_option, pass_ctx
from stafet.cli.case import parse_moment
from stafet.cli.render import event_json, json_default, table
from stafet.domain.calendar import when
from stafet.domain.errors import InvalidCommand
from stafet.projections.queries import (
    CASELOAD,
    AttentionFilter,
    AttentionSummary,
    summarise,
)

# The columns of `export --events` (each event as `case history --json` writes it, with its
# place in the whole log and its case).
EVENT_COLUMNS = ["notification_id", "case_id", "position", "type", "actor", "actor_role",
                 "recorded_at", "occurred_at", "command_id", "data"]


@cli.group()
def projections() -> None:
    """The read models (rm_ tables): their position, rebuilding, following the log.

    \b
    Example:
      stafet projections status
      stafet projections rebuild
    """


@projections.command("status")
@pass_ctx
def projections_status(ctx: Ctx) -> None:
    """Each projection's position in the log and how far behind it is.

    \b
    Example:
      stafet projections status
    """
    rows = ctx.ledger.read_models.status()
    if ctx.as_json:
        ctx.emit_json([{"name": s.name, "tables": s.tables, "position": s.position,
                        "head": s.head, "lag": s.lag, "version": s.version,
                        "stored_version": s.stored_version} for s in rows])
        return
    click.echo(table(
        ["PROJECTION", "POSITION", "HEAD", "LAG", "TABLES"],
        [[s.name, str(s.position), str(s.head),
          str(s.lag) + ("" if s.stored_version in (None, s.version) else " (rebuild due)"),
          ", ".join(s.tables)] for s in rows],
    ))


@projections.command("rebuild")
@click.argument("names", nargs=-1, metavar="[PROJECTION]...")
@pass_ctx
def projections_rebuild(ctx: Ctx, names: tuple[str, ...]) -> None:
    """Empty one or all read models and replay the whole log into them.

    \b
    Example:
      stafet projections rebuild            # all of them
      stafet projections rebuild attention  # one
    """
    runner = ctx.ledger.read_models
    runner.select(list(names))  # an unknown name is refused before any progress is shown
    head = runner.head()
    started = time.perf_counter()
    with click.progressbar(length=max(head, 1), label="Rebuilding", file=sys.stderr,
                           show_pos=True, hidden=ctx.as_json) as bar:
        done = [0]

        def progress(applied: int, _head: int) -> None:
            bar.update(applied - done[0])
            done[0] = applied

        applied = runner.rebuild(list(names) or None, progress=progress)
    seconds = time.perf_counter() - started
    rate = applied / seconds if seconds else 0.0
    if ctx.as_json:
        ctx.emit_json({"rebuilt": list(names) or runner.names(), "events": applied,
                       "seconds": round(seconds, 3), "events_per_second": round(rate)})
    else:
        click.echo(f"Rebuilt {', '.join(names) or 'all read models'}: {applied:,} events in "
                   f"{seconds:.1f} s ({rate:,.0f} events/s).")


@projections.command("run")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--once", is_flag=True, help="Catch up once and stop.")
@pass_ctx
def projections_run(ctx: Ctx, poll: float, once: bool) -> None:
    """Follow the log and keep the read models current until stopped (Ctrl-C).

    Polls, and on PostgreSQL wakes at once on each write (LISTEN/NOTIFY). Safe to run in
    several processes at once.

    \b
    Example:
      stafet --db postgresql+psycopg://stafet@db/stafet projections run
    """
    runner = ctx.ledger.read_models
    if once:
        applied = runner.catch_up()
        if ctx.as_json:
            ctx.emit_json({"applied": applied, "position": runner.head()})
        else:
            click.echo(f"Applied {applied:,} events.")
        return
    # A long-lived process: what start-up made (modules, classes, pydantic's schemas, the
    # engines) lives as long as it does. Frozen, the collector stops walking it on every full
    # collection, a large share of a follower's pauses (issue 18). Made later, nothing is frozen.
    gc.freeze()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    click.echo(f"Following the log of {ctx.ledger.storage.display_url} (Ctrl-C stops).",
               err=True)
    with contextlib.suppress(KeyboardInterrupt):
        runner.run(stop, poll_seconds=poll, on_batch=lambda n: click.echo(
            f"{ctx.ledger.clock():%H:%M:%S} applied {n} events", err=True))


@cli.command("attention")
@click.option("--holder", metavar="PERSON@ORG", help="Only cases this coordinator holds.")
@click.option("--org", metavar="ORG", help="Only cases held at this organisation.")
@flag_option("Only this flag.")
@click.option("--summary", is_flag=True,
              help="Counts per holder and per flag instead of the list of flags.")
@click.option("--as-of", "--at", "as_of", cls=Renamed, metavar="TIME",
              help="The flags due at this time instead of now, e.g. 2026-05-01T12:00 (each "
              "flag is due from a business time: when what it is about happened).")
@pass_ctx
def attention(ctx: Ctx, holder: str | None, org: str | None, flag: str | None,
              summary: bool, as_of: str | None) -> None:
    """What needs attention across all cases now (SPEC §9), plus coordinators over caseload.

    \b
    Example:
      stafet attention
      stafet attention --holder anne@jobcenter --flag agreement_overdue
      stafet attention --org jobcenter-odense --summary
    """
    answer = ctx.reader.attention(AttentionFilter(holder=holder, org=org, flag=flag),
                                  at=parse_moment(as_of, "--as-of") if as_of else None)
    rows, over = answer.flags, answer.caseload_over_limit
    if summary:
        _summary(ctx, summarise(answer))
        return
    if ctx.as_json:
        ctx.emit_json(answer.model_dump())
        return
    if not rows and not over:
        click.echo("Nothing needs attention.")
    if rows:
        click.echo(table(["CASE", "FLAG", "SINCE", "HOLDER", "DETAIL"], [
            [r.case_id[:8], r.flag, when(r.since), r.holder, r.detail] for r in rows]))
    for c in over:
        click.echo(f"Caseload: {c.holder} holds {c.active_cases} active cases "
                   f"(limit {ctx.ledger.policy.caseload_limit}).")


def _summary(ctx: Ctx, counts: AttentionSummary) -> None:
    if ctx.as_json:
        ctx.emit_json(counts.model_dump())
        return
    if not counts.flags and not counts.caseload_over_limit:
        click.echo("Nothing needs attention.")
        return
    click.echo(table(["HOLDER", "FLAGS", "CASES"], [
        [c.name, str(c.flags), str(c.cases)] for c in counts.per_holder]))
    click.echo("")
    click.echo(table(["FLAG", "COUNT", "CASES"], [
        [c.name, str(c.flags), str(c.cases) if c.name != CASELOAD else "-"]
        for c in counts.per_flag]))
    click.echo("")
    click.echo(f"{counts.flags} flags on {counts.cases} cases"
               + (f"; {counts.caseload_over_limit} coordinators over the caseload limit"
                  if counts.caseload_over_limit else "") + ".")


@cli.command("caseload")
@click.option("--org", metavar="ORG", help="Only the coordinators of this organisation.")
@click.option("--sort", type=click.Choice(["load", "name"]), default="load", show_default=True,
              help="The most active cases first, or by name.")
@pass_ctx
def caseload(ctx: Ctx, org: str | None, sort: str) -> None:
    """Active cases per coordinator, flagged above the limit (DS: about 30).

    \b
    Example:
      stafet caseload
      stafet caseload --org jobcenter-odense --sort name
    """
    rows = ctx.reader.caseload(org, "name" if sort == "name" else "load")
    if ctx.as_json:
        ctx.emit_json([r.model_dump() for r in rows])
        return
    click.echo(table(["HOLDER", "ACTIVE", "TEMPORARY", "OVER LIMIT"], [
        [r.holder, str(r.active_cases), str(r.temporary_cases), "yes" if r.over_limit else ""]
        for r in rows]))


@cli.command("export")
@click.argument("case_ref", metavar="[CASE]", required=False)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "fhir"]), default="jsonl",
              show_default=True, help="jsonl or csv (with --table/--events); fhir: one CASE as "
              "a FHIR R4 Bundle (docs/fhir.md).")
@click.option("--as-of", metavar="TIME",
              help="With --format fhir: the case as the log stood at this recorded time.")
@click.option("--table", "table_name", metavar="RM_TABLE", help="A read model, e.g. rm_cases.")
@click.option("--events", "raw_events", is_flag=True, help="The raw event stream instead.")
@click.option("--excel", is_flag=True,
              help="With --format csv: as Excel in Denmark opens it (semicolons, a UTF-8 "
              "byte-order mark, so æøå and the columns come out right).")
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Where to write (default: stdout).")
@pass_ctx
def export(ctx: Ctx, case_ref: str | None, fmt: str, as_of: str | None, table_name: str | None,
           raw_events: bool, excel: bool, output: IO[str]) -> None:
    """Write a read model, or the raw event stream, for other tools; or one case as a FHIR
    R4 Bundle (CarePlan, Goals, CareTeam, Consents, Encounters, Tasks, Provenance) for
    another authority's system.

    \b
    Example:
      stafet export --table rm_agreements --format csv -o agreements.csv
      stafet export --table rm_cases --format csv --excel -o sager.csv

    Timestamps are ISO 8601 in UTC with a Z (2026-03-02T08:15:00Z) in CSV and JSON alike;
    days are ISO dates (2026-03-02).
      stafet export --events > events.jsonl
      stafet export 3fa85f --format fhir -o bundle.json
    """
    if fmt == "fhir" or case_ref is not None:
        if fmt != "fhir" or case_ref is None or table_name or raw_events:
            raise InvalidCommand("give CASE with --format fhir (and neither --table nor "
                                 "--events): one case is exported as a FHIR bundle.")
        from stafet.documents.fhir import bundle_of

        moment = parse_moment(as_of, "--as-of") if as_of else None
        bundle = bundle_of(ctx.reader.export_case(case_ref, "FHIR bundle", as_of=moment))
        output.write(json.dumps(bundle, ensure_ascii=False, indent=2) + "\n")
        return
    if as_of:
        raise InvalidCommand("--as-of goes with --format fhir.")
    if excel and fmt != "csv":
        raise InvalidCommand("--excel goes with --format csv.")
    if raw_events == bool(table_name):
        raise InvalidCommand("give either --table RM_TABLE or --events.")
    if raw_events:
        columns = EVENT_COLUMNS
        rows: Iterator[dict[str, Any]] = (
            {"notification_id": e.notification_id, "case_id": str(e.event.originator_id),
             **event_json(e.event)} for e in ctx.reader.export_events())
    else:
        table_export = ctx.reader.export_table(str(table_name))
        columns, rows = table_export.columns, table_export.rows
    if fmt == "jsonl":
        for row in rows:
            output.write(json.dumps(row, ensure_ascii=False, default=json_default) + "\n")
        return
    if excel:
        output.write("\ufeff")  # the byte-order mark tells Excel the file is UTF-8
    writer = csv.DictWriter(output, fieldnames=columns, delimiter=";" if excel else ",")
    writer.writeheader()  # also when there are no rows: a CSV reader still learns the columns
    for row in rows:
        writer.writerow({k: csv_value(v) for k, v in row.items()})


def csv_value(value: Any) -> Any:
    """A cell: lists and objects as JSON, timestamps and days as in JSON (``json_default``:
    2026-03-02T08:15:00Z, 2026-03-02), anything else as it is."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=json_default)
    if isinstance(value, date):  # a datetime is a date too
        return json_default(value)
    return value
