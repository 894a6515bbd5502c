"""Debian packages the tests need beyond Python (Chromium, poppler-utils, DejaVu fonts),
installed with apt-get when missing. Test workers (pytest-xdist) take turns on one lock:
apt-get allows one install at a time, and the web and document tests may ask at once."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

LOCK = Path(tempfile.gettempdir()) / "stafet-apt-install.lock"


def ensure(packages: list[str], present: Callable[[], bool]) -> str | None:
    """Why the packages could not be had, or None when ``present()`` holds (before or after
    installing them: first without, then with an ``apt-get update``)."""
    if present():
        return None
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if present():  # another worker installed them meanwhile
            return None
        if shutil.which("apt-get") is None:
            return f"{', '.join(packages)} missing and no apt-get to install them"
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]
        problem = ""
        for commands in ([install], [["apt-get", "update", "-qq"], install]):
            for command in commands:
                done = subprocess.run(command, capture_output=True, text=True, env=env,
                                      timeout=900, check=False)
                if done.returncode != 0:
                    problem = f"{' '.join(command)} failed: {done.stderr[-500:]}"
                    break
            if present():
                return None
        return problem or f"apt-get installed {', '.join(packages)} but they are still missing"
