"""``stafet serve``: the HTTP API (FastAPI under uvicorn) on the same ledger as the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from stafet.cli.app import Ctx, cli, pass_ctx


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (behind a TLS-terminating proxy in production).")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Worker processes (several on PostgreSQL; SQLite serialises writes anyway).")
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="A JSON file of settings (docs/http.md); flags override it.")
@click.option("--jwks-url", metavar="URL", help="Your identity provider's JWKS URL.")
@click.option("--jwks-file", metavar="FILE", help="A JWKS file (re-read when it changes).")
@click.option("--issuer", metavar="ISS", help="The iss every token must carry.")
@click.option("--audience", metavar="AUD", help="The aud every token must carry.")
@click.option("--actor-claim", metavar="CLAIM", help="The claim holding person@org "
              "(default: sub).")
@click.option("--trusted-header", metavar="NAME",
              help="Accept the caller's person@org from this header (an identity gateway).")
@click.option("--trusted-proxy", "trusted_proxies", metavar="ADDRESS", multiple=True,
              help="The gateway's address or network (repeatable); the header is refused "
              "from anywhere else.")
@click.option("--dev-identity", is_flag=True, default=None,
              help="Trust tokens from `stafet dev token` (demos and tests; never production).")
@click.option("--dev-key", "dev_key_file", metavar="FILE", help="The dev key's file.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info",
                                                "debug"]), default="info", show_default=True)
@pass_ctx
def serve(ctx: Ctx, host: str, port: int, workers: int, config_file: str | None,
          jwks_url: str | None, jwks_file: str | None, issuer: str | None,
          audience: str | None, actor_claim: str | None, trusted_header: str | None,
          trusted_proxies: tuple[str, ...], dev_identity: bool | None,
          dev_key_file: str | None, log_level: str) -> None:
    """Serve the HTTP API, the live feed, the web view (/) and the OpenAPI description (/docs).

    Needs an identity configuration: an OIDC issuer's keys (--jwks-url or --jwks-file with
    --issuer and --audience), an identity gateway (--trusted-header with --trusted-proxy),
    or --dev-identity for a demo. See docs/http.md.

    \b
    Example:
      stafet serve --dev-identity
      stafet --db postgresql+psycopg://stafet@db/stafet serve --host 0.0.0.0 --workers 4 \\
        --jwks-url https://login.kommune.dk/jwks --issuer https://login.kommune.dk \\
        --audience stafet
    """
    from pydantic import ValidationError

    from stafet.domain.commands import describe_validation_error
    from stafet.http.app import SETTINGS_ENV
    from stafet.http.settings import HttpSettings

    values: dict[str, Any] = {}
    if config_file:
        try:
            values.update(json.loads(Path(config_file).read_text(encoding="utf-8")))
        except ValueError as error:
            raise click.UsageError(f"the settings file {config_file} is not JSON ({error}).") \
                from None
    flags = {"db_url": ctx.db, "read_db_url": ctx.read_db, "policy_file": ctx.policy_file,
             "jwks_url": jwks_url, "jwks_file": jwks_file, "issuer": issuer,
             "audience": audience, "actor_claim": actor_claim, "trusted_header": trusted_header,
             "trusted_proxies": list(trusted_proxies) or None, "dev_identity": dev_identity,
             "dev_key_file": dev_key_file}
    values.update({k: v for k, v in flags.items() if v is not None})
    try:
        settings = HttpSettings(**values)
    except ValidationError as error:
        raise click.UsageError(f"the server's settings: {describe_validation_error(error)}") \
            from None
    problems = settings.problems()
    if problems:
        raise click.UsageError("the server cannot start: " + "; ".join(problems) + ".")
    _prepare(settings)
    os.environ[SETTINGS_ENV] = settings.model_dump_json()

    import uvicorn

    click.echo(f"Serving {_display(settings)} on http://{host}:{port} "
               f"({workers} worker{'s' if workers > 1 else ''}; identity: "
               f"{', '.join(settings.identity_modes())}). The web view: /, OpenAPI: "
               f"/openapi.json, docs: /docs.",
               err=True)
    uvicorn.run("stafet.http.app:create_app_from_env", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, proxy_headers=False,
                server_header=False, timeout_graceful_shutdown=3)


def _prepare(settings: Any) -> None:
    """Before the workers start: make the dev key (once, not racing), and the store's tables."""
    from stafet.http.identity import Authenticator
    from stafet.ledger import Ledger
    from stafet.storage.errors import database_unavailable
    from stafet.storage.url import parse_db_url

    Authenticator(settings, parse_db_url(settings.db_url))
    from stafet.web.session import ensure_session_key, session_key_path

    ensure_session_key(session_key_path(parse_db_url(settings.db_url),
                                        settings.web_session_key_file))
    try:
        Ledger(settings.db_url, read_models=False).close()
    except Exception as error:
        if not database_unavailable(error):
            raise
        click.echo("Warning: the database cannot be reached now; the server answers 503 until "
                   "it can.", err=True)


def _display(settings: Any) -> str:
    from stafet.storage.url import parse_db_url

    return parse_db_url(settings.db_url).display_url
