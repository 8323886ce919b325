"""Run one of the suite's tests with more work, as the bench scripts that print figures do:
the test reads its size from the environment and writes its figures to a JSON file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
import json
import os
from pathlib import Path
import subprocess
import sys
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class SuiteRun:
    """A finished run: pytest's output, the figures (None: the test stopped before it could
    write them) and the wall time."""

    result: subprocess.CompletedProcess[str]
    report: dict[str, Any] | None
    elapsed: float


def run_suite_test(test: str, env: Mapping[str, str], report_variable: str) -> SuiteRun:
    """Run `test` (a path from the repository root) with `env` added and no time limit; the
    test writes its figures to the file named by the environment variable `report_variable`."""
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "report.json"
        started = time.monotonic()
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                test,
                "-q",
                "-p",
                "no:cacheprovider",
                "-o",
                "timeout=0",
            ],
            cwd=ROOT,
            env={**os.environ, **env, report_variable: str(report)},
            check=False,
            capture_output=True,
            text=True,
        )
        elapsed = time.monotonic() - started
        figures = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    return SuiteRun(result, figures, elapsed)
