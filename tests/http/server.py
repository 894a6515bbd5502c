"""A real `stafet serve` process for the HTTP tests: started on a free port, waited for, and
stopped (or killed) by the test. Tokens are minted with the dev key the server trusts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from stafet.http.identity import ensure_dev_key, mint_dev_token

STAFET = str(Path(sys.executable).with_name("stafet"))
# Header values travel as bytes: the purpose is UTF-8 (Danish letters are data).
PURPOSE = {"X-Stafet-Purpose": "opfølgning på forløbet".encode()}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One `stafet serve` process (restartable on the same port)."""

    db_url: str
    workdir: Path
    args: Sequence[str] = ()
    env: dict[str, str] = field(default_factory=dict)
    dev: bool = True  # trust the dev key (--dev-identity)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def key_file(self) -> Path:
        return self.workdir / "dev-jwt.key"

    def start(self, timeout: float = 60) -> Server:
        self.starts += 1
        log = open(self.workdir / f"server-{self.port}-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [STAFET, "--db", self.db_url, "serve", "--port", str(self.port),
             *(["--dev-identity", "--dev-key", str(self.key_file)] if self.dev else []),
             "--log-level", "warning", *self.args],
            stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
            env={**os.environ, "STAFET_HTTP_HEARTBEAT_SECONDS": "1", **self.env},
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"stafet serve exited with {self.process.returncode}:\n"
                                     + self.log())
            try:
                if httpx.get(self.url + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("stafet serve did not answer in time:\n" + self.log())

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in
                         sorted(self.workdir.glob(f"server-{self.port}-*.log")))

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(15)

    def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(15)

    def token(self, actor: str, **kwargs: Any) -> str:
        return mint_dev_token(ensure_dev_key(self.key_file), actor, **kwargs)

    def client(self, actor: str | None = None, purpose: bool = True,
               **kwargs: Any) -> httpx.Client:
        headers: dict[str, str | bytes] = {**PURPOSE} if purpose else {}
        if actor:
            headers["Authorization"] = f"Bearer {self.token(actor)}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kwargs)
