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
from stafet.domain.policy import DEFAULT_POLICY
from stafet.storage.verify import Digest


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
    actor = ctx.require_actor()
    total = ctx.ledger.store.head()
    started = time.perf_counter()
    with click.progressbar(length=max(total, 1), label="Verifying", file=sys.stderr,
                           hidden=ctx.as_json or total < 5000) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        found = ctx.ledger.verify(actor=actor, expected=expected, progress=progress)
    report = found.events
    seconds = time.perf_counter() - started
    rate = report.count / seconds if seconds else 0
    access_ok, access_entries, access_problem = (
        found.access_ok, found.access_entries, found.access_problem)
    if ctx.as_json:
        ctx.emit_json({**found.as_json(), "seconds": round(seconds, 3),
                       "events_per_second": round(rate)})
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
    report, digest = ctx.ledger.digest(actor=ctx.require_actor())
    if digest is None:
        click.echo(f"BROKEN at position {report.seq}: {report.problem}; no digest taken.",
                   err=True)
        sys.exit(1)
    click.echo(digest.dumps())


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
              help="Keep this many days (default: the policy's access_log_retention_days, "
              f"{DEFAULT_POLICY.access_log_retention_days}).")
@click.option("--reason", metavar="TEXT", help="Why (default: the retention period ended).")
@pass_ctx
def access_log_prune(ctx: Ctx, keep_days: int | None, reason: str | None) -> None:
    """Remove access-log entries older than the retention period, and say what went.

    The rest still verifies: an anchor records the chain's head at the cut.

    \b
    Example:
      stafet access-log prune
    """
    days = ctx.ledger.policy.access_log_retention_days if keep_days is None else keep_days
    pruned = ctx.ledger.prune_access_log(
        actor=ctx.require_actor(), keep_days=days,
        reason=reason or f"the retention period of {days} days ended")
    if ctx.as_json:
        ctx.emit_json({"removed": pruned.removed if pruned else 0,
                       "before": pruned.cutoff.isoformat() if pruned else None,
                       "through": pruned.through_seq if pruned else None})
    elif pruned:
        click.echo(f"Removed {pruned.removed} access-log entries from before "
                   f"{when(pruned.cutoff)} (retention {days} days); the prune is recorded in "
                   "the log.")
    else:
        click.echo(f"Nothing to remove: no entries older than {days} days.")


@cli.command("erase")
@click.option("--subject", "subject_ref", required=True, metavar="REF",
              help="The citizen's reference (as given when their case was opened).")
@click.option("--confirm", metavar="REF",
              help="The same reference again (asked for at the terminal when left out).")
@click.option("--reason", required=True, metavar="TEXT",
              help="Why, e.g. 'retention period ended'. Keep personal data out of it.")
@pass_ctx
def erase(ctx: Ctx, subject_ref: str, confirm: str | None, reason: str) -> None:
    """Erase a citizen's personal data everywhere, keeping the proof that the log is intact.

    Deletes the citizen's key (crypto-shredding): their personal fields then read "[erased]"
    in case show, history, exports and read models; an erasure event is recorded on each of
    their cases; `stafet verify` still passes.

    \b
    Irreversible, so the data protection officer alone may do it, and the citizen's reference
    is given twice (--confirm, or typed again when asked).

    \b
    Example:
      stafet --as dpo@kommunen erase --subject borger-3c9e41 --confirm borger-3c9e41 \\
          --reason "Slettefrist udløbet"
    """
    actor = ctx.require_actor()
    if confirm is None:
        if not sys.stdin.isatty():
            raise InvalidCommand("confirm the citizen's reference: give it again with --confirm "
                                 "(nothing was erased).")
        confirm = click.prompt("Type the citizen's reference again to confirm", err=True)
    cases = ctx.ledger.erase_subject(actor=actor, subject_ref=subject_ref, reason=reason,
                                     confirm=str(confirm))
    if ctx.as_json:
        ctx.emit_json({"erased_cases": [str(c) for c in cases]})
    else:
        click.echo(f"Erased the citizen's personal data in {len(cases)} case(s): "
                   f"{', '.join(str(c)[:8] for c in cases)}. The log still verifies.")
