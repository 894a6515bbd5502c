"""Setting up a ledger and its roles: init, roles grant|revoke|list."""

from __future__ import annotations

from typing import cast

import click

from stafet.cli.app import Ctx, choice_of, cli, pass_ctx
from stafet.cli.render import table
from stafet.cli.trust import checkpoint_key_option
from stafet.domain.administration import ROLE_WORDS, RoleName
from stafet.domain.calendar import when


@cli.command("init")
@click.option("--admin", metavar="PERSON@ORG",
              help="Appoint the ledger's first administrator (possible once per ledger).")
@checkpoint_key_option
@pass_ctx
def init(ctx: Ctx, admin: str | None, key_file: str | None) -> None:
    """Create the store (tables) at --db / STAFET_DB, appoint its first administrator, and make
    its checkpoint key.

    The administrator grants the other roles (stafet roles grant). A ledger gets its first
    administrator once; after that, only an administrator changes roles. The checkpoint key
    signs checkpoints (stafet checkpoint); an SQLite store keeps it beside its file, a
    PostgreSQL store where --checkpoint-key says (made if missing).

    \b
    Example:
      stafet --db sqlite:///stafet.db init --admin it@kommunen
      stafet --db postgresql+psycopg://stafet@db.kommune.local/stafet init --admin it@kommunen \\
          --checkpoint-key /etc/stafet/checkpoint-key
    """
    ledger = ctx.ledger  # constructing the ledger creates the tables
    key = None
    if key_file or ledger.storage.sqlite_path:
        key, _made = ledger.checkpoint_key(key_file, create=True)
    if admin is not None:
        ledger.appoint_first_admin(admin)
    if ctx.as_json:
        ctx.emit_json({"db": ledger.storage.display_url, "backend": ledger.storage.backend,
                       "admin": admin, "checkpoint_key": str(key.path) if key else None,
                       "checkpoint_public_key": key.verifier.vkey() if key else None})
        return
    click.echo(f"Ready: {ledger.storage.display_url} ({ledger.storage.backend})"
               + (f"; {admin} is its administrator." if admin else ""))
    if key is not None:
        click.echo(f"Checkpoint key: {key.path} (public key {key.verifier.vkey()})")
    else:
        click.echo("No checkpoint key yet: give --checkpoint-key FILE to make one (stafet "
                   "checkpoint signs with it).")


@cli.group()
def roles() -> None:
    """Who holds which role; an administrator grants and revokes them."""


roles.help = "\n".join([
    "Who holds which role; an administrator grants and revokes them.", "", "\b", "Roles:",
    *(f"  {name:<12} {words}" for name, words in ROLE_WORDS.items()), "", "\b", "Example:",
    "  stafet --as it@kommunen roles grant dpo dpo@kommunen",
    "  stafet --as it@kommunen roles grant team_leader lis@jobcenter --org jobcenter",
    "  stafet --as it@kommunen roles list",
])


@roles.command("grant")
@click.argument("role", type=choice_of(RoleName))
@click.argument("person", metavar="PERSON@ORG")
@click.option("--org", metavar="ORG", help="The organisation a team leader leads.")
@pass_ctx
def roles_grant(ctx: Ctx, role: str, person: str, org: str | None) -> None:
    """Grant a role (administrators only); recorded in the log with who and when.

    \b
    Example:
      stafet --as it@kommunen roles grant auditor revisor@kommunen
      stafet --as it@kommunen roles grant team_leader lis@jobcenter --org jobcenter
    """
    result = ctx.ledger.grant_role(actor=ctx.require_actor(), role=cast(RoleName, role),
                                   to=person, org=org)
    _report(ctx, result.model_dump(mode="json"), f"{person} is now {role}"
            + (f" for {org}" if org else "") + ".")


@roles.command("revoke")
@click.argument("role", type=choice_of(RoleName))
@click.argument("person", metavar="PERSON@ORG")
@click.option("--org", metavar="ORG", help="The organisation, for a team leader.")
@click.option("--reason", metavar="TEXT")
@pass_ctx
def roles_revoke(ctx: Ctx, role: str, person: str, org: str | None, reason: str | None) -> None:
    """Revoke a role (administrators only); the last administrator stays.

    \b
    Example:
      stafet --as it@kommunen roles revoke team_leader lis@jobcenter --org jobcenter
    """
    result = ctx.ledger.revoke_role(actor=ctx.require_actor(), role=cast(RoleName, role),
                                    to=person, org=org, reason=reason)
    _report(ctx, result.model_dump(mode="json"), f"{person} is no longer {role}"
            + (f" for {org}" if org else "") + ".")


@roles.command("list")
@pass_ctx
def roles_list(ctx: Ctx) -> None:
    """Who holds which role, since when and granted by whom.

    \b
    Example:
      stafet --as revisor@kommunen roles list
    """
    held = ctx.ledger.list_roles(actor=ctx.require_actor())
    grants = [(who, g) for who, held_by in sorted(held.grants.items()) for g in held_by]
    if ctx.as_json:
        ctx.emit_json([{"person": who, **g.model_dump(mode="json")} for who, g in grants])
        return
    if not grants:
        click.echo("No roles: appoint the first administrator with `stafet init --admin`.")
        return
    click.echo(table(["PERSON", "ROLE", "ORG", "SINCE", "GRANTED BY"], [
        [who, g.role, g.org or "", when(g.granted_at), g.granted_by] for who, g in grants]))


def _report(ctx: Ctx, data: dict[str, object], sentence: str) -> None:
    if ctx.as_json:
        ctx.emit_json(data)
    else:
        click.echo(sentence)
