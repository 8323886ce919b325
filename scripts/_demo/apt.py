"""Install a Debian package the demo or the tests need, when missing and running as root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time


def apt_install(package: str, what: str, error: type[Exception], within: float) -> None:
    """`apt-get update` and install `package`; raise `error` saying why when it cannot."""
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise error(
            f"{what} is not installed and cannot be installed here "
            f"(needs root and apt-get): run `apt-get install -y {package}`"
        )
    print(f"==> Installing {package} (apt-get)", file=sys.stderr, flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    deadline = time.monotonic() + within
    for args in ([apt, "update"], [apt, "install", "-y", "--no-install-recommends", package]):
        result = subprocess.run(
            args,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=max(1.0, deadline - time.monotonic()),
        )
        # A failed update (one unreachable mirror) may still leave the package installable.
        if result.returncode != 0 and args[1] != "update":
            raise error(f"apt-get install {package} failed:\n{result.stderr[-2000:]}")
