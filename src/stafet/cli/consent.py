"""Consent and information sharing."""

from __future__ import annotations

from typing import Any

import click

from stafet.cli.app import Ctx, Renamed, cli, pass_ctx
from stafet.cli.dates import DAY
from stafet.cli.write import GIVER_ROLES, common_of, givers, run, write_options


@cli.group()
def consent() -> None:
    """The citizen's consent to share information: give and revoke.

    \b
    Example:
      stafet consent give 3fa85f --by citizen --purpose koordinering --recipient @ppr --category helbred
      stafet consent revoke 3fa85f C1 --reason "Trukket tilbage af borgeren"
    """


@consent.command("give")
@click.argument("case_ref", metavar="CASE")
@click.option("--by", "given_by", multiple=True, required=True, metavar="ROLE",
              help=f"Who consents ({GIVER_ROLES}), optionally ROLE:NAME. Repeatable.")
@click.option("--purpose", required=True, help="What the information may be used for.")
@click.option("--recipient", "--to", "recipients", cls=Renamed, multiple=True, required=True,
              metavar="RECIPIENT", help="person@org, or @org for a whole organisation. Repeatable.")
@click.option("--category", "categories", multiple=True, required=True,
              help="An information category, e.g. helbred. Repeatable.")
@click.option("--expires", "expires_on", metavar="DATE", type=DAY,
              help="Last day the consent holds, e.g. 2027-01-12 or 12.1.2027.")
@click.option("--subject-age", type=int, help="The child's age (youth rules); by default "
              "worked out from the birth month on the case (stafet case birth-month).")
@write_options
@pass_ctx
def consent_give(ctx: Ctx, case_ref: str, given_by: tuple[str, ...],
                 recipients: tuple[str, ...], categories: tuple[str, ...], **kw: Any) -> None:
    """Record a consent: who gave it, for what, to whom, which information, until when.

    \b
    Example:
      stafet --as mette@solsikken consent give 3fa85f --by custody_holder --by custody_holder \\
          --purpose "tværfagligt samarbejde" --recipient @ppr --recipient @sundhedsplejen \\
          --category trivsel --category sprog --expires 2027-01-12
    """
    common = common_of(kw)
    who = givers(given_by)
    run(ctx, "consent.give", case_ref, {
        **kw, "given_by": who, "recipients": list(recipients),
        "categories": list(categories),
    }, common)
    roles = [g["role"] for g in who]
    expected = ctx.policy().custody_holders_expected
    if 0 < roles.count("custody_holder") < expected and "guardian" not in roles:
        click.echo(f"Note: the consent is given by {roles.count('custody_holder')} of {expected} "
                   "custody holders; it is flagged (consent_one_custody_holder) until the other's "
                   "consent is recorded too.", err=True)


@consent.command("revoke")
@click.argument("case_ref", metavar="CASE")
@click.argument("consent_id", metavar="CONSENT")
@click.option("--reason", metavar="TEXT")
@click.option("--by", "revoked_by", metavar="ROLE[:NAME]",
              help=f"Who withdrew it ({GIVER_ROLES}), optionally with their name, e.g. "
              "custody_holder:Far.")
@write_options
@pass_ctx
def consent_revoke(ctx: Ctx, case_ref: str, revoked_by: str | None, **kw: Any) -> None:
    """Record that a consent was revoked: sharing stops, the history stays.

    \b
    Example:
      stafet --as anne@jobcenter consent revoke 3fa85f C1 --reason "Trukket tilbage af borgeren"
      stafet --as anne@jobcenter consent revoke 3fa85f C2 --by custody_holder:Far
    """
    common = common_of(kw)
    by = givers((revoked_by,))[0] if revoked_by else None
    run(ctx, "consent.revoke", case_ref, {**kw, "revoked_by": by}, common)


@cli.command("share")
@click.argument("case_ref", metavar="CASE")
@click.argument("description")
@click.option("--recipient", "--with", "recipient", cls=Renamed, required=True,
              metavar="PERSON@ORG", help="Who receives the information.")
@click.option("--purpose", required=True)
@click.option("--category", "categories", multiple=True, required=True)
@write_options
@pass_ctx
def share(ctx: Ctx, case_ref: str, categories: tuple[str, ...], **kw: Any) -> None:
    """Log that information was shared; refused unless an active consent covers it.

    \b
    Example:
      stafet --as birgit@solsikken share 3fa85f "TRAS-observationer" --recipient ole@ppr \\
          --purpose "tværfagligt samarbejde" --category sprog
    """
    common = common_of(kw)
    run(ctx, "share", case_ref, {**kw, "categories": list(categories)}, common)
