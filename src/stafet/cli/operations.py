"""Running stafet for years: backup, restore, upgrade and doctor (docs/operations.md).

The modules doing the work are imported inside the verbs, so ``stafet --help`` stays quick.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from stafet.cli.app import Ctx, cli, pass_ctx
from stafet.cli.trust import checkpoint_key_option

CHECKPOINTS = click.option(
    "--checkpoints", "folder", envvar="STAFET_CHECKPOINTS", metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder of published checkpoints, where the erasure register is kept too. "
    "Env: STAFET_CHECKPOINTS.")


@cli.command("backup")
@click.argument("dest", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def backup_cmd(ctx: Ctx, dest: Path) -> None:
    """Copy the store to DEST, consistent while writers go on.

    SQLite: the online backup API (one consistent moment of the log). PostgreSQL: pg_dump of
    the store's schema (custom format). DEST is a new file, readable by you alone: it holds
    personal data. Keep the checkpoint key and the erasure register apart from it.

    \b
    Example:
      stafet --db sqlite:///stafet.db backup /backup/stafet-2026-11-30.db
    """
    from stafet.storage.backup import backup
    from stafet.storage.url import parse_db_url

    made = backup(parse_db_url(ctx.db), dest)
    if ctx.as_json:
        ctx.emit_json({"path": str(made.path), "events": made.events, "bytes": made.bytes,
                       "tool": made.tool})
    else:
        click.echo(f"Backed up {made.events:,} events to {made.path} ({made.bytes:,} bytes, "
                   f"{made.tool}).")


@cli.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", "replace_store", is_flag=True,
              help="Put the backup in place of an existing store (stop every stafet process "
              "on it first).")
@CHECKPOINTS
@checkpoint_key_option
@pass_ctx
def restore_cmd(ctx: Ctx, source: Path, replace_store: bool, folder: Path | None,
                key_file: str | None) -> None:
    """Restore the store from a backup, re-applying every erasure made since.

    Before the restored store is used, each erasure in the erasure register newer than the
    backup is made again (the citizen's key deleted, the erasure recorded, the file scrubbed).
    With a folder of checkpoints, a signed restore note is kept there, so `stafet verify
    --checkpoints DIR` names the events lost since the backup. Re-applied erasures are recorded
    in the name of --as, who must be the data protection officer.

    \b
    Example:
      stafet --db sqlite:///stafet.db --as dpo@kommunen restore /backup/stafet-2026-11-30.db \\
          --replace --checkpoints /mnt/worm/stafet
    """
    from stafet.storage.backup import restore
    from stafet.storage.url import parse_db_url

    done = restore(parse_db_url(ctx.db), source, actor=ctx.require_actor(),
                   replace_store=replace_store, checkpoints=folder, key_file=key_file)
    if ctx.as_json:
        ctx.emit_json({"events": done.events, "head": done.head,
                       "erasures_reapplied": len(done.reapplied),
                       "cases_erased": done.cases_erased,
                       "restore_note": str(done.note) if done.note else None,
                       "lost_through": done.lost_through,
                       "registers": [str(p) for p in done.registers]})
        return
    click.echo(f"Restored {done.events:,} events from {source}; re-applied "
               f"{len(done.reapplied)} erasure(s) made since the backup "
               f"({done.cases_erased} case(s)).")
    if done.note is not None:
        lost = (f"; events after {done.events:,} up to {done.lost_through:,} were lost"
                if done.lost_through else "")
        click.echo(f"Kept the restore note {done.note}{lost}. Run stafet verify "
                   "--checkpoints to check the restored log.")
    else:
        click.echo("No folder of checkpoints given: nothing records what was lost since the "
                   "backup (see docs/operations.md).", err=True)


@cli.command("upgrade")
@pass_ctx
def upgrade_cmd(ctx: Ctx) -> None:
    """Bring the store's schema up to this release (numbered steps; docs/operations.md).

    \b
    Example:
      stafet --db sqlite:///stafet.db upgrade
    """
    from stafet.storage.engine import sql_engine
    from stafet.storage.migrations import CURRENT, state, upgrade
    from stafet.storage.store import CaseStore
    from stafet.storage.url import parse_db_url

    storage = parse_db_url(ctx.db)
    CaseStore(storage).close()  # the event store's own tables, made by its library if missing
    engine = sql_engine(storage)
    try:
        before = state(engine).stored
        ran = upgrade(engine, storage.pg_schema)
        after = state(engine).stored
    finally:
        engine.dispose()
    if ctx.as_json:
        ctx.emit_json({"before": before, "after": after, "current": CURRENT,
                       "steps": [{"version": s.version, "description": s.description}
                                 for s in ran]})
        return
    for step in ran:
        click.echo(f"  step {step.version}: {step.description}")
    if before == after:
        click.echo(f"The store's schema is at version {after}, this release's; nothing to do.")
    else:
        click.echo(f"Upgraded the store's schema from version {before} to {after}.")


@cli.command("doctor")
@CHECKPOINTS
@click.option("--max-lag", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Events the read models may be behind before a warning.")
@click.option("--max-checkpoint-age", "max_age", type=click.FloatRange(min=0), default=26.0,
              show_default=True, metavar="HOURS",
              help="How old the newest checkpoint may be before a warning.")
@pass_ctx
def doctor_cmd(ctx: Ctx, folder: Path | None, max_lag: int, max_age: float) -> None:
    """Check the store's health: one line a check, ok / warn / fail; exit 1 on a failure.

    Store reachable, schema version, projection lag, the newest checkpoint's age, access-log
    retention due, the key tables consistent, registered erasures in force. Quick and
    read-only: no personal data is read (stafet verify walks the whole log).

    \b
    Example:
      stafet doctor --checkpoints /mnt/worm/stafet
      stafet --json doctor      # for monitoring
    """
    from stafet.ledger import Ledger
    from stafet.storage.health import FAIL, Limits, run_all
    from stafet.storage.url import parse_db_url

    def open_ledger() -> Ledger:
        return Ledger(ctx.db, policy=ctx.policy(), read_models=False, read_models_url=ctx.read_db)

    checks = run_all(parse_db_url(ctx.db), open_ledger, folder,
                     Limits(max_lag=max_lag, max_checkpoint_age_hours=max_age))
    failed = any(c.status == FAIL for c in checks)
    if ctx.as_json:
        ctx.emit_json({"ok": not failed, "checks": [c.as_json() for c in checks]})
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            click.echo(f"{c.status.upper():<4}  {c.name:<{width}}  {c.message}")
    if failed:
        sys.exit(1)
