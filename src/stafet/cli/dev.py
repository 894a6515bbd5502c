"""``stafet dev``: tools for developers and benchmarks, not for case work."""

from __future__ import annotations

import json
import sys
import time
from typing import IO

import click

from stafet.cli.app import Ctx, Renamed, cli, pass_ctx
from stafet.dev.synthetic.parameters import EVENTS_PER_CASE
from stafet.domain.errors import InvalidCommand
from stafet.ledger import Ledger


@cli.group("dev")
def dev() -> None:
    """Developer tools: synthetic data for demos and benchmarks.

    \b
    Example:
      stafet --db sqlite:///kommune.db dev generate --cases 1000 --seed 7
    """


@dev.command("generate")
@click.option("--cases", type=click.IntRange(min=1), required=True,
              help="How many cases (forløb) the municipality has.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="The same seed gives the same commands.")
@click.option("--total-events", "--events", "events", cls=Renamed, type=click.IntRange(min=2),
              default=None, help=f"Events in all (default {EVENTS_PER_CASE} a case).")
@click.option("--batch", type=click.IntRange(min=1), default=500, show_default=True,
              help="Commands stored together in one transaction.")
@click.option("--jsonl", "jsonl", type=click.File("w", encoding="utf-8"), default=None,
              help="Write the commands as a `stafet apply` batch (- for stdout) instead of "
              "storing them.")
@click.option("--skip-catch-up", is_flag=True,
              help="Leave the read models behind (bring them up with `projections run`).")
@pass_ctx
def generate_cmd(ctx: Ctx, cases: int, seed: int, events: int | None, batch: int,
                 jsonl: IO[str] | None, skip_catch_up: bool) -> None:
    """Fill the ledger with a synthetic municipality: a year of realistic cases.

    Many small cases and a few hot ones; adults, children and families, each with its
    network of authorities, providers and volunteers; consents, meetings with agreements,
    plans with goals and efforts, hand-overs of the baton, shares and notes; many cases
    close, a few reopen. Citizens are pseudonymous handles (borger@k7q2m9), never CPR
    numbers. Every command is decided by the ledger's own rules; none is refused.

    The commands are stored in batches (one transaction each) with the read models off,
    then the read models catch up once.

    \b
    Example:
      stafet --db sqlite:////tmp/kommune.db dev generate --cases 10000 --seed 1
      stafet --db sqlite:////tmp/small.db --json dev generate --cases 100 --events 5000
      stafet dev generate --cases 3 --jsonl - | head
    """
    # Imported here, not at the top: `stafet --help` and every other verb never load the generator.
    from stafet.dev.synthetic.loading import load
    from stafet.dev.synthetic.stream import generate

    total = EVENTS_PER_CASE * cases if events is None else events
    if total < 2 * cases:
        raise InvalidCommand(f"--events {total} is too few for {cases} cases (2 a case at least).")
    stream = generate(cases, seed, total)
    if jsonl is not None:
        written = 0
        for item in stream:
            jsonl.write(json.dumps(item.line(), ensure_ascii=False) + "\n")
            written += 1
        # The batch may be piped into `stafet apply -`: nothing else goes to stdout then.
        to_stdout = jsonl is sys.stdout or getattr(jsonl, "name", "") in ("<stdout>", "-")
        if ctx.as_json and not to_stdout:
            ctx.emit_json({"cases": cases, "events": total, "commands": written, "seed": seed})
        else:
            click.echo(f"Wrote {written:,} commands ({total:,} events, {cases:,} cases) to "
                       f"{jsonl.name}.", err=True)
        return

    ledger = Ledger(ctx.db, read_models=False)
    ctx._ledger = ledger  # closed with the command
    before = ledger.store.head()
    with click.progressbar(length=total, label="Generating", file=sys.stderr, show_pos=True,
                           show_percent=True) as bar:
        report = load(ledger, stream, batch=batch, progress=bar.update)
    catch_up_seconds: float | None = None
    caught_up = 0
    if not skip_catch_up:
        runner = ledger.read_models
        head = ledger.store.head()
        started = time.perf_counter()
        with click.progressbar(length=max(head, 1), label="Read models", file=sys.stderr,
                               show_pos=True) as bar:
            done = [0]

            def progress(applied: int, _head: int) -> None:
                bar.update(applied - done[0])
                done[0] = applied

            caught_up = runner.catch_up(progress=progress)
        catch_up_seconds = time.perf_counter() - started
    rate = report.events / report.seconds if report.seconds else 0.0
    if ctx.as_json:
        ctx.emit_json({
            "db": ledger.storage.display_url, "seed": seed, "cases": report.cases,
            "commands": report.commands, "events": report.events, "events_before": before,
            "seconds": round(report.seconds, 3), "events_per_second": round(rate),
            "read_models": "skipped" if skip_catch_up else "off during the load, then caught up",
            "catch_up_events": caught_up,
            "catch_up_seconds": None if catch_up_seconds is None else round(catch_up_seconds, 3),
            "by_command": dict(sorted(report.by_command.items())),
        })
        return
    click.echo(f"Generated {report.cases:,} cases: {report.commands:,} commands, "
               f"{report.events:,} events in {report.seconds:.1f} s ({rate:,.0f} events/s), "
               f"seed {seed}.")
    if before:
        click.echo(f"The store already held {before:,} events; it now holds {before + report.events:,}.")
    if skip_catch_up:
        click.echo("Read models were off during the load and are behind; run "
                   "`stafet projections run` (or any read) to bring them up to date.")
    else:
        click.echo(f"Read models were off during the load; one catch-up applied {caught_up:,} "
                   f"events in {catch_up_seconds:.1f} s.")


@dev.command("token")
@click.option("--as", "actor", metavar="PERSON@ORG",
              help="Whom the token names (default: the global --as / STAFET_ACTOR).")
@click.option("--role", "actor_role", metavar="TEXT",
              help="The professional role the holder acts in (claim stafet_role; recorded as "
              "actor_role on their commands). Rights such as auditor or feed are granted in "
              "the ledger (`stafet roles grant`), never by a token.")
@click.option("--ttl", default="1h", show_default=True, metavar="DURATION",
              help="How long the token is valid: seconds, or 30m, 8h, 1d.")
@click.option("--signing-key", "--key", "key_file", cls=Renamed, metavar="FILE",
              envvar="STAFET_HTTP_DEV_KEY_FILE",
              help="The dev signing key (default: beside the store, <file>.dev-jwt.key; made "
              "on first use, readable by you only).")
@pass_ctx
def token_cmd(ctx: Ctx, actor: str | None, actor_role: str | None, ttl: str,
              key_file: str | None) -> None:
    """Print a bearer token for the HTTP API, signed with the store's local dev key.

    For demos and tests only: `stafet serve --dev-identity` trusts this key. A real
    deployment verifies its identity provider's tokens (docs/http.md).

    \b
    Example:
      stafet dev token --as anne@jobcenter --ttl 8h
      TOKEN=$(stafet dev token --as anne@jobcenter)
      curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8000/whoami
    """
    from stafet.domain.commands import valid_actor
    from stafet.http.identity import dev_key_path, ensure_dev_key, mint_dev_token
    from stafet.storage.url import parse_db_url

    person = valid_actor(actor or ctx.actor)
    seconds = _duration(ttl)
    key = ensure_dev_key(dev_key_path(parse_db_url(ctx.db), key_file))
    click.echo(mint_dev_token(key, person, ttl_seconds=seconds, role=actor_role))


def _duration(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value = text.strip().lower()
    try:
        seconds = int(value[:-1]) * units[value[-1]] if value[-1:] in units else int(value)
    except (ValueError, KeyError):
        seconds = 0
    if seconds <= 0 or seconds > 30 * 86400:
        raise InvalidCommand(f"--ttl '{text}' is not a duration of up to 30 days; write it "
                             "like 3600, 30m, 8h or 1d.")
    return seconds
