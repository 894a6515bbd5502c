"""Trust verbs: verify the hash chain, export a digest."""

from __future__ import annotations

import sys
import time
from typing import IO

import click

from stafet.cli.app import Ctx, cli, pass_ctx
from stafet.cli.render import table
from stafet.domain.calendar import when
from stafet.domain.errors import InvalidCommand
from stafet.storage.verify import Digest, verify


@cli.command("verify")
@click.option("--digest", "digest_file", type=click.File("r", encoding="utf-8"),
              help="Also check against a digest exported earlier with `stafet digest`.")
@pass_ctx
def verify_cmd(ctx: Ctx, digest_file: IO[str] | None) -> None:
    """Recompute the hash chain over the whole store and say whether it is intact.

    Prints the head digest and the number of events, or the first broken position and what
    is wrong there (changed, missing, reordered, inserted). Exit code 1 when broken.

    \b
    Example:
      stafet verify
      stafet digest > digest-2026-11-24.json      # keep it somewhere else
      stafet verify --digest digest-2026-11-24.json
    """
    expected = None
    if digest_file is not None:
        try:
            expected = Digest.loads(digest_file.read())
        except (ValueError, KeyError) as error:
            raise InvalidCommand(f"the digest file cannot be read: {error}.") from None
    recorder = ctx.ledger.recorder
    total = recorder.max_notification_id() or 0
    started = time.perf_counter()
    with click.progressbar(length=max(total, 1), label="Verifying", file=sys.stderr,
                           hidden=ctx.as_json or total < 5000) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        report = verify(recorder, expected, progress)
    seconds = time.perf_counter() - started
    rate = report.count / seconds if seconds else 0
    access_ok, access_entries, access_problem = ctx.ledger.access_log.verify()
    if ctx.as_json:
        ctx.emit_json({**report.as_json(), "seconds": round(seconds, 3),
                       "events_per_second": round(rate),
                       "access_log": {"ok": access_ok, "entries": access_entries,
                                      "problem": access_problem}})
    elif report.ok:
        click.echo(f"Intact: {report.count:,} events, head {report.head} "
                   f"({seconds:.1f} s, {rate:,.0f} events/s)"
                   + (f"; matches the digest of {expected.taken_at}" if expected else ""))
    else:
        click.echo(f"BROKEN at position {report.seq}: {report.problem}.", err=True)
    if not ctx.as_json:
        if access_ok:
            click.echo(f"Access log intact: {access_entries:,} entries.")
        else:
            click.echo(f"ACCESS LOG BROKEN: {access_problem}.", err=True)
    if not report.ok or not access_ok:
        sys.exit(1)


@cli.command("digest")
@pass_ctx
def digest_cmd(ctx: Ctx) -> None:
    """Print the chain's current head and count as a digest to keep outside the store.

    \b
    Example:
      stafet digest > digest-2026-11-24.json
    """
    report = verify(ctx.ledger.recorder)
    if not report.ok:
        click.echo(f"BROKEN at position {report.seq}: {report.problem}; no digest taken.",
                   err=True)
        sys.exit(1)
    click.echo(Digest(count=report.count, head=report.head).dumps())


@cli.group("access-log", invoke_without_command=True)
@click.option("--subject", "subject_ref", metavar="REF",
              help="Only the lookups of this citizen's data.")
@click.pass_context
def access_log(click_ctx: click.Context, subject_ref: str | None) -> None:
    """Who read which case's personal data, when, and why.

    \b
    Example:
      stafet access-log --subject borger-3c9e41
      stafet access-log prune
    """
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Ctx = click_ctx.obj
    entries = ctx.reader.access_log(subject_ref)
    if ctx.as_json:
        ctx.emit_json([e.as_json() for e in entries])
        return
    if not entries:
        click.echo("No lookups recorded" + (" of this citizen's data." if subject_ref else "."))
        return
    click.echo(table(["WHEN", "WHO", "WHAT", "CASE", "WHY"], [
        [when(e.at), e.actor, e.action + (f" ({e.criterion})" if e.criterion else ""),
         (e.case_id or "-")[:8], e.purpose or "-"] for e in entries]))


@access_log.command("prune")
@click.option("--keep-days", type=click.IntRange(min=0, max=36_500),
              help="Keep this many days (default: the policy's, 183).")
@pass_ctx
def access_log_prune(ctx: Ctx, keep_days: int | None) -> None:
    """Remove access-log entries older than the retention period, and say what went.

    The rest still verifies: an anchor records the chain's head at the cut.

    \b
    Example:
      stafet access-log prune
    """
    days = ctx.ledger.policy.access_log_retention_days if keep_days is None else keep_days
    removed, cutoff = ctx.ledger.access_log.prune(ctx.ledger.clock(), days)
    if ctx.as_json:
        ctx.emit_json({"removed": removed, "before": cutoff.isoformat() if cutoff else None})
    elif removed:
        click.echo(f"Removed {removed} access-log entries from before {when(cutoff)} "
                   f"(retention {days} days).")
    else:
        click.echo(f"Nothing to remove: no entries older than {days} days.")


@cli.command("erase")
@click.option("--subject", "subject_ref", required=True, metavar="REF",
              help="The citizen's reference (as given when their case was opened).")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why, e.g. 'retention period ended'. Keep personal data out of it.")
@pass_ctx
def erase(ctx: Ctx, subject_ref: str, reason: str) -> None:
    """Erase a citizen's personal data everywhere, keeping the proof that the log is intact.

    Deletes the citizen's key (crypto-shredding): their personal fields then read "[erased]"
    in case show, history, exports and read models; an erasure event is recorded on each of
    their cases; `stafet verify` still passes.

    \b
    Example:
      stafet --as dpo@kommunen erase --subject borger-3c9e41 --reason "Slettefrist udløbet"
    """
    actor = ctx.require_actor()
    cases = ctx.ledger.erase_subject(actor, subject_ref, reason)
    if ctx.as_json:
        ctx.emit_json({"erased_cases": [str(c) for c in cases]})
    else:
        click.echo(f"Erased the citizen's personal data in {len(cases)} case(s): "
                   f"{', '.join(str(c)[:8] for c in cases)}. The log still verifies.")
