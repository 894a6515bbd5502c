#!/usr/bin/env python3
"""Follow stafet's live feed and keep your place: a case system's client, standard library only.

It reads ``GET /feed`` (Server-Sent Events), hands each event to ``handle`` (here: appends it
to a JSON Lines file), then writes the event's log position to a state file. When the
connection drops — the server restarts, a proxy times out — it connects again with
``Last-Event-ID: <position>`` and goes on after the last event it handled: none lost, none
twice. (A real client writes the event and its position in one transaction of its own
database; here a crash of the client itself between the two writes could hand one event out
twice, which ``notification_id`` lets the reader of the file spot.)

    export STAFET_TOKEN=$(stafet dev token --as journal@jobcenter)
    python examples/feed_client.py --url http://127.0.0.1:8000 --state feed.pos --out events.jsonl

Stop it with Ctrl-C (or SIGTERM); start it again and it resumes from ``--state``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any, TextIO


def read_position(state: Path) -> int:
    try:
        return int(state.read_text().strip() or 0)
    except FileNotFoundError:
        return 0


def write_position(state: Path, position: int) -> None:
    """Atomically: the file always holds a whole position, the old or the new."""
    tmp = state.with_name(state.name + ".tmp")
    tmp.write_text(f"{position}\n")
    os.replace(tmp, state)


def handle(event: dict[str, Any], out: TextIO) -> None:
    """What the client does with an event: here, append it to a file."""
    out.write(json.dumps(event, ensure_ascii=False) + "\n")
    out.flush()
    os.fsync(out.fileno())


class Stop(Exception):
    pass


def follow(url: str, token: str, purpose: str, state: Path, out: TextIO) -> None:
    parts = urllib.parse.urlsplit(url)
    retry = 2.0
    while True:
        position = read_position(state)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80,
                                          timeout=60)  # heartbeats come every few seconds
        try:
            conn.request("GET", "/feed?" + urllib.parse.urlencode({"purpose": purpose}),
                         headers={"Authorization": f"Bearer {token}",
                                  "Accept": "text/event-stream",
                                  "Last-Event-ID": str(position)})
            response = conn.getresponse()
            if response.status != 200:
                problem = response.read().decode("utf-8", "replace")
                if response.status in (502, 503, 504):
                    raise ConnectionError(f"{response.status}: {problem}")
                sys.exit(f"The feed refused: {response.status} {problem}")
            print(f"Following from position {position}.", file=sys.stderr)
            event_id, data = None, []
            for raw in response:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    continue  # a heartbeat
                if line:
                    field, _, value = line.partition(":")
                    value = value.removeprefix(" ")
                    if field == "id":
                        event_id = value
                    elif field == "data":
                        data.append(value)
                    elif field == "retry" and value.isdigit():
                        retry = int(value) / 1000
                    continue
                # a blank line ends an event
                if data:
                    event = json.loads("\n".join(data))
                    handle(event, out)
                    write_position(state, event["notification_id"])
                elif event_id and int(event_id) > read_position(state):
                    write_position(state, int(event_id))  # the log moved past unseen events
                event_id, data = None, []
        except (OSError, http.client.HTTPException) as error:
            print(f"Connection lost ({error}); trying again in {retry:.1f} s.", file=sys.stderr)
        finally:
            conn.close()
        time.sleep(retry)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("STAFET_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--token", default=os.environ.get("STAFET_TOKEN"),
                        help="A bearer token (default: $STAFET_TOKEN).")
    parser.add_argument("--purpose", default="journalisering i fagsystemet",
                        help="Why you read (the access log keeps it).")
    parser.add_argument("--state", default="feed.pos", help="Where the position is kept.")
    parser.add_argument("--out", default="-", help="A JSON Lines file to append events to.")
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or set STAFET_TOKEN")

    def stop(*_: object) -> None:
        raise Stop

    signal.signal(signal.SIGTERM, stop)
    out = sys.stdout if args.out == "-" else open(args.out, "a", encoding="utf-8")  # noqa: SIM115
    try:
        follow(args.url, args.token, args.purpose, Path(args.state), out)
    except (KeyboardInterrupt, Stop):
        pass
    finally:
        if out is not sys.stdout:
            out.close()


if __name__ == "__main__":
    main()
