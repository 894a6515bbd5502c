"""Trust verbs: verify the log, sign and publish checkpoints, the access log, erasure."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from stafet.application.erasure import Erasure
from stafet.application.integrity import Published, Verification, key_path
from stafet.cli.app import Ctx, cli, pass_ctx
from stafet.cli.render import table
from stafet.domain.calendar import when
from stafet.domain.errors import InvalidCommand
from stafet.domain.policy import DEFAULT_POLICY
from stafet.storage.checkpoint import (
    MAX_NOTE_BYTES,
    PUBLIC_KEY_FILE,
    Checkpoint,
    CheckpointKey,
    CheckpointRefused,
    Verifier,
    open_note,
    read_series,
    read_small,
    read_verifiers,
)
from stafet.storage.engine import SCRUB_WAIT_SECONDS
from stafet.storage.snapshots import FAILING
from stafet.storage.verify import Digest


def checkpoint_key_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--checkpoint-key FILE`` (env STAFET_CHECKPOINT_KEY), shared by the verbs that sign."""
    return click.option(
        "--checkpoint-key", "key_file", envvar="STAFET_CHECKPOINT_KEY", metavar="FILE",
        help="The ledger's checkpoint signing key (Ed25519, PEM, readable by its owner alone); "
        "default for an SQLite store: beside it, DB.checkpoint-key. Env: STAFET_CHECKPOINT_KEY.",
    )(command)


def _read_digest(given: str, keys: list[Verifier] | None, ctx: Ctx, key_file: str | None,
                 ) -> Digest | Checkpoint:
    """``--digest FILE``: a signed checkpoint (or, for one release, an unsigned JSON digest
    of earlier releases), refused in one sentence if it is anything else."""
    try:
        if given == "-":
            data = sys.stdin.buffer.read(MAX_NOTE_BYTES + 1)
            if len(data) > MAX_NOTE_BYTES:
                raise CheckpointRefused("the standard input is larger than any checkpoint")
            text, path = data.decode("utf-8", errors="replace"), None
        else:
            path = Path(given)
            text = read_small(path)
        if text.lstrip().startswith("{"):
            try:
                return Digest.loads(text)
            except ValueError as error:
                raise InvalidCommand(f"the digest file cannot be read: {error}.") from None
        if keys is None:
            keys = _keys_for_digest(path, ctx, key_file)
        return open_note(text, keys, given)
    except CheckpointRefused as refused:
        raise InvalidCommand(f"{refused}.") from None


def _keys_for_digest(path: Path | None, ctx: Ctx, key_file: str | None) -> list[Verifier]:
    """Whom to trust for a checkpoint given alone: the public key beside it, else this
    ledger's checkpoint key file (outside the database, never read from it)."""
    beside = path.parent / PUBLIC_KEY_FILE if path is not None else None
    if beside is not None and beside.exists():
        return read_verifiers(beside)
    configured = key_path(ctx.ledger.storage, key_file)
    if configured is None or not configured.exists():
        raise CheckpointRefused("no public key to check the checkpoint against: give it with "
                                "--key FILE (the checkpoint-key.pub published with checkpoints)")
    return [CheckpointKey.load(configured).verifier]


@cli.command("verify")
@click.option("--checkpoints", "folder", envvar="STAFET_CHECKPOINTS", metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Also check the log against every checkpoint kept in DIR (published with "
              "`stafet checkpoint --publish DIR`). Env: STAFET_CHECKPOINTS.")
@click.option("--digest", "digest_file", metavar="FILE",
              help="Also check against one checkpoint taken earlier with `stafet digest`.")
@click.option("--key", "public_key", metavar="FILE", type=click.Path(path_type=Path),
              help="The ledger's public checkpoint key to trust (default: checkpoint-key.pub "
              "beside the checkpoints).")
@checkpoint_key_option
@pass_ctx
def verify_cmd(ctx: Ctx, folder: Path | None, digest_file: str | None, public_key: Path | None,
               key_file: str | None) -> None:
    """Check that nobody changed the store behind the ledger's back, and say where if they did.

    Recomputes the hash chain over every event and names the first broken position and what is
    wrong there (changed, missing, reordered, inserted); recomputes the access log's chain,
    every snapshot from its events, and checks the tables beside the log (command records,
    citizens' keys, the subject pepper). With checkpoints kept elsewhere it also finds a log
    that was shortened or rewritten consistently since. Exit code 1 when anything is broken.

    \b
    Example:
      stafet checkpoint --publish /mnt/worm/stafet      # nightly, e.g. from cron
      stafet verify --checkpoints /mnt/worm/stafet
      stafet digest > checkpoint-2026-11-24.txt         # or one checkpoint, kept elsewhere
      stafet verify --digest checkpoint-2026-11-24.txt
    """
    kept: list[Checkpoint] = []
    expected: Digest | None = None
    gaps: list[Any] = []  # events lost by a restore, named (stafet.storage.backup)
    try:
        keys = read_verifiers(public_key) if public_key is not None else None
        if folder is not None:
            keys, series = read_series(folder, keys)
            kept.extend(series)
            from stafet.storage.backup import restore_gaps

            gaps = restore_gaps(folder, keys)
    except CheckpointRefused as refused:
        raise InvalidCommand(f"{refused}; nothing was verified.") from None
    if digest_file is not None:
        found = _read_digest(digest_file, keys, ctx, key_file)
        if isinstance(found, Digest):
            expected = found
        else:
            kept.append(found)
    actor = ctx.require_actor()
    total = ctx.ledger.store.head()
    started = time.perf_counter()
    with click.progressbar(length=max(total, 1), label="Verifying", file=sys.stderr,
                           hidden=ctx.as_json or total < 5000) as bar:
        done = [0]

        def progress(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        checked: list[Checkpoint] = [*kept, *([expected.as_checkpoint()] if expected else [])]
        found_all = ctx.ledger.verify(actor=actor, expected=checked, progress=progress)
    report = found_all.events
    seconds = time.perf_counter() - started
    rate = report.count / seconds if seconds else 0
    if ctx.as_json:
        ctx.emit_json({**found_all.as_json(), "seconds": round(seconds, 3),
                       "events_per_second": round(rate),
                       "restores": [gap.as_json() for gap in gaps]})
    else:
        _say_verified(found_all, seconds, rate, digest_file is not None, folder)
        for gap in gaps:
            click.echo(f"Gap: {gap.sentence()}.")
    if not found_all.ok:
        sys.exit(1)


def _say_verified(found: Verification, seconds: float, rate: float, digest_given: bool,
                  folder: Path | None) -> None:
    report = found.events
    if report.ok:
        against = ""
        if digest_given:
            given = found.checkpoints[-1] if not folder else None
            against = (f"; matches the digest of {_when(given)}" if given else
                       f"; matches the digest and "
                       f"{_count(len(found.checkpoints) - 1, 'checkpoint')} in {folder}")
        elif folder is not None:
            newest = found.checkpoints[-1] if found.checkpoints else None
            against = (f"; agrees with {_count(len(found.checkpoints), 'checkpoint')} in "
                       f"{folder} (the newest at {newest.size:,} events, {_when(newest)})"
                       if newest else f"; {folder} holds no checkpoints yet")
        click.echo(f"Intact: {report.count:,} events, head {report.head} "
                   f"({seconds:.1f} s, {rate:,.0f} events/s){against}")
    else:
        click.echo(f"BROKEN at position {report.seq}: {report.problem}.", err=True)
    if found.access_ok:
        click.echo(f"Access log intact: {found.access_entries:,} entries.")
    else:
        click.echo(f"ACCESS LOG BROKEN: {found.access_problem}.", err=True)
    snapshots = found.snapshots
    for finding in snapshots.findings:
        if finding.kind in FAILING:
            click.echo(f"BROKEN SNAPSHOT: {finding.problem}.", err=True)
        else:
            click.echo(f"Note: {finding.problem}.")
    if snapshots.ok and snapshots.checked:
        click.echo(f"Snapshots: {_count(snapshots.checked, 'snapshot')} checked, each agrees "
                   "with the events.")
    side = found.side
    for problem in side.problems:
        click.echo(f"BROKEN BESIDE THE LOG: {problem}.", err=True)
    for note in side.notes:
        click.echo(f"Note: {note}.")
    if side.ok:
        click.echo(f"Beside the log: {_count(side.command_records, 'command record')} and the "
                   f"keys of {_count(side.cases, 'case')} agree with it; the subject pepper is "
                   "unchanged.")
    if not found.checkpoints:
        click.echo("Without checkpoints kept elsewhere, a shortened or consistently rewritten "
                   "log looks intact: see `stafet checkpoint --help`.")


def _count(n: int, thing: str) -> str:
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def _when(checkpoint: Checkpoint | None) -> str:
    if checkpoint is None:
        return "?"
    if checkpoint.named:
        return checkpoint.named.removeprefix("the digest taken at ")
    return f"{checkpoint.taken_at:%Y-%m-%d %H:%M:%S} UTC" if checkpoint.taken_at else "?"


def _signed(ctx: Ctx, key_file: str | None, publish: Path | None) -> Published:
    published = ctx.ledger.checkpoint(actor=ctx.require_actor(), publish=publish,
                                      key_file=key_file)
    if published.key_created is not None:
        click.echo(f"Made the ledger's checkpoint key {published.key_created}; keep it safe, and "
                   "its public key (in every folder of checkpoints) where the auditor can find "
                   "it.", err=True)
    if published.checkpoint is None:
        report = published.report
        click.echo(f"BROKEN at position {report.seq}: {report.problem}; no checkpoint taken.",
                   err=True)
        sys.exit(1)
    return published


@cli.command("digest")
@checkpoint_key_option
@pass_ctx
def digest_cmd(ctx: Ctx, key_file: str | None) -> None:
    """Print a signed checkpoint of the log (its size and head) to keep outside the store.

    The same as `stafet checkpoint` without --publish: a C2SP tlog-checkpoint signed with the
    ledger's checkpoint key (docs/trust.md). No checkpoint is taken of a broken log.

    \b
    Example:
      stafet digest > checkpoint-2026-11-24.txt
      stafet verify --digest checkpoint-2026-11-24.txt
    """
    _print_checkpoint(ctx, _signed(ctx, key_file, None))


@cli.command("checkpoint")
@click.option("--publish", metavar="DIR", type=click.Path(file_okay=False, path_type=Path),
              help="Keep it in DIR (DIR/<size>.checkpoint, beside DIR/checkpoint-key.pub), after "
              "checking the log against every checkpoint kept there.")
@checkpoint_key_option
@pass_ctx
def checkpoint_cmd(ctx: Ctx, publish: Path | None, key_file: str | None) -> None:
    """Sign a checkpoint of the log, and keep a series of them outside the database.

    A checkpoint states how many events the log holds and the chain's head after them, signed
    with the ledger's checkpoint key (Ed25519). Keep the folder where the database's
    administrators cannot write (another machine, write-once storage): `stafet verify
    --checkpoints DIR` then finds a log that was shortened, or rewritten consistently, since.

    \b
    Example:
      stafet --as revisor@kommunen checkpoint --publish /mnt/worm/stafet   # e.g. nightly
      stafet --as revisor@kommunen verify --checkpoints /mnt/worm/stafet
    """
    published = _signed(ctx, key_file, publish)
    if publish is None:
        _print_checkpoint(ctx, published)
        return
    checkpoint = published.checkpoint
    assert checkpoint is not None and published.path is not None
    if ctx.as_json:
        ctx.emit_json({"path": str(published.path), "new": published.new,
                       "kept": published.kept, "size": checkpoint.size, "head": checkpoint.head})
    elif published.new:
        click.echo(f"Published {published.path}: {checkpoint.size:,} events, head "
                   f"{checkpoint.head}; {_count(published.kept, 'checkpoint')} kept in {publish}.")
    else:
        click.echo(f"Nothing new since {published.path} ({checkpoint.size:,} events); "
                   f"{_count(published.kept, 'checkpoint')} kept in {publish}.")


def _print_checkpoint(ctx: Ctx, published: Published) -> None:
    checkpoint = published.checkpoint
    assert checkpoint is not None and checkpoint.note is not None
    if ctx.as_json:
        ctx.emit_json({"size": checkpoint.size, "head": checkpoint.head,
                       "taken_at": checkpoint.taken_at, "origin": checkpoint.origin,
                       "checkpoint": checkpoint.note})
    else:
        click.echo(checkpoint.note, nl=False)


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
@click.option("--subject", "subject_ref", metavar="REF",
              help="The citizen's reference (as given when their case was opened).")
@click.option("--confirm", metavar="REF",
              help="The same reference again (asked for at the terminal when left out).")
@click.option("--reason", metavar="TEXT",
              help="Why, e.g. 'retention period ended'. Keep personal data out of it.")
@click.option("--scrub-only", is_flag=True,
              help="Erase nobody: scrub the store's files again (after an erasure that found "
                   "an open reader).")
@click.option("--wait", "wait_seconds", type=click.FloatRange(0, 3600),
              default=SCRUB_WAIT_SECONDS, show_default=True, metavar="SECONDS",
              help="How long the scrub waits for other programs' open transactions before it "
                   "reports them instead.")
@pass_ctx
def erase(ctx: Ctx, subject_ref: str | None, confirm: str | None, reason: str | None,
          scrub_only: bool, wait_seconds: float) -> None:
    """Erase a citizen's personal data everywhere, keeping the proof that the log is intact.

    Deletes the citizen's key (crypto-shredding): their personal fields then read "[erased]"
    in case show, history, exports and read models; an erasure event is recorded on each of
    their cases; `stafet verify` still passes. Then the database files are scrubbed of the
    deleted plaintext, and what could not be scrubbed is said.

    \b
    Irreversible, so the data protection officer alone may do it, and the citizen's reference
    is given twice (--confirm, or typed again when asked).

    \b
    Exit code 0: erased and scrubbed (what lies outside the store, such as backups, is
    listed); 3: erased, but deleted plaintext remains in the store's own files (an open
    reader kept the old pages): run `stafet erase --scrub-only` when it has closed.

    \b
    Example:
      stafet --as dpo@kommunen erase --subject borger-3c9e41 --confirm borger-3c9e41 \\
          --reason "Slettefrist udløbet"
    """
    actor = ctx.require_actor()
    if scrub_only:
        if subject_ref or confirm or reason:
            raise InvalidCommand("--scrub-only erases nobody: leave out --subject, --confirm "
                                 "and --reason (nothing was scrubbed).")
        _report_erasure(ctx, ctx.ledger.scrub_erased(actor=actor, wait_seconds=wait_seconds))
        return
    if not subject_ref:
        raise InvalidCommand("name the citizen with --subject REF (nothing was erased).")
    if not reason:
        raise InvalidCommand("say why with --reason TEXT (nothing was erased).")
    if confirm is None:
        if not sys.stdin.isatty():
            raise InvalidCommand("confirm the citizen's reference: give it again with --confirm "
                                 "(nothing was erased).")
        confirm = click.prompt("Type the citizen's reference again to confirm", err=True)
    _report_erasure(ctx, ctx.ledger.erase_subject(
        actor=actor, subject_ref=subject_ref, reason=reason, confirm=str(confirm),
        wait_seconds=wait_seconds))


EX_NOT_SCRUBBED = 3  # erased, but deleted plaintext remains in the store's own files


def _report_erasure(ctx: Ctx, erasure: Erasure) -> None:
    """What was erased, then plainly what is not yet scrubbed; exit 3 if plaintext remains in
    the store's own files."""
    residues = [{"where": r.where, "what": r.what, "in_store": r.in_store}
                for r in erasure.residues]
    if ctx.as_json:
        ctx.emit_json({"erased_cases": [str(c) for c in erasure.cases],
                       "recorded": {str(c): v for c, v in erasure.recorded.items()},
                       "scrubbed": erasure.scrubbed, "residues": residues})
    else:
        if erasure.cases:
            click.echo(f"Erased the citizen's personal data in {len(erasure.cases)} case(s): "
                       f"{', '.join(str(c)[:8] for c in erasure.cases)}. The log still verifies.")
        inside = [r for r in erasure.residues if r.in_store]
        if inside:
            click.echo("NOT SCRUBBED: deleted plaintext remains in the store's files:")
            for r in inside:
                click.echo(f"  - {r.where}: {r.what}.")
        else:
            click.echo("Scrubbed: no deleted plaintext remains in the store's files.")
        click.echo("Outside the store (see to these yourself):")
        for r in erasure.residues:
            if not r.in_store:
                click.echo(f"  - {r.where}: {r.what}.")
    if not erasure.scrubbed:
        sys.exit(EX_NOT_SCRUBBED)
