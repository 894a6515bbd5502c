"""docs/http.md cannot rot: its bash blocks run, in order, as one script, against the server
the script itself starts (on a free port), from an empty folder, as a newcomer would."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.http.server import free_port

pytestmark = [pytest.mark.process]
DOC = Path(__file__).resolve().parents[2] / "docs" / "http.md"


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M)


def test_the_quick_start_runs() -> None:
    blocks = bash_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) >= 6
    port = free_port()
    script = "set -euo pipefail\n" + "\n".join(blocks).replace("8000", str(port))
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAFET_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    with tempfile.TemporaryDirectory(prefix="stafet-docs-") as folder:
        process = subprocess.Popen(["bash", "-c", script], cwd=folder, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
        try:
            out, err = process.communicate(timeout=120)
        finally:
            with contextlib.suppress(ProcessLookupError):  # a server the script left
                os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"
    assert '"actor": "anne@jobcenter"' in out
    assert '"code": "baton.release_before_grab"' in out
    assert "no other authority has taken the baton yet" in out
    assert out.count('"status": 409') == 1
    for kind in ("BatonHanded", "BatonGrabbed", "BatonReleased"):
        assert f'"type": "{kind}"' in out
    assert re.search(r'(?i)etag: "5"', out)
    assert out.rstrip().endswith("bo@socialcenter")
