"""Packages the demo's Home Assistant needs beyond the test pins, per HA line.

HA's web UI is its own package (`home-assistant-frontend`). On HA 2026.10 the frontend's
`get_services` call imports every base entity component (ai_task → conversation → hassil,
camera → PyTurboJPEG, assist_satellite → tts → mutagen, ha-ffmpeg, assist_pipeline → VAD ...),
so those must be importable too. The versions are the ones the HA release pins (its
package_constraints.txt). When they are in scripts/requirements/<line>.txt this installs
nothing.

`python -m _demo.requirements` (PYTHONPATH=scripts) installs what is missing.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import homeassistant.const

BY_LINE: dict[str, tuple[str, ...]] = {
    "2025.4": ("home-assistant-frontend==20250411.0",),
    "2026.10": (
        "home-assistant-frontend==20260930.5",
        "hassil==3.12.1",
        "gazetteer-matcher==1.1.0",
        "PyTurboJPEG==1.8.3",
        "mutagen==1.48.1",
        "ha-ffmpeg==3.2.2",
        "pymicro-vad==1.0.1",
        "pyspeex-noise==1.0.2",
    ),
}


def wanted() -> tuple[str, ...]:
    """The pins for the installed HA line (none for an unknown line)."""
    line = f"{homeassistant.const.MAJOR_VERSION}.{homeassistant.const.MINOR_VERSION}"
    return BY_LINE.get(line, ())


def missing() -> list[str]:
    """The pins not installed at exactly that version."""
    result = []
    for pin in wanted():
        name, version = pin.split("==")
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            result.append(pin)
    return result


def ensure(quiet: bool = True) -> list[str]:
    """Install the missing pins into this interpreter's environment; returns them."""
    todo = missing()
    if todo:
        print(f"==> Installing {' '.join(todo)} (Home Assistant's web UI)", file=sys.stderr)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", *(["--quiet"] if quiet else []), *todo],
            check=True,
            timeout=900,
        )
    return todo


if __name__ == "__main__":
    ensure()
