"""The README quotes what the benchmarks print now."""

from __future__ import annotations

import importlib.util
from pathlib import Path
import sys
from types import ModuleType

ROOT = Path(__file__).parents[1]


def _bench(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# Loaded when the tests are collected, as the test modules import the integration: the
# test harness later puts its own `custom_components` package first.
BUS_EFFICIENCY = _bench("bus_efficiency")


def test_polling_table_is_what_the_bus_benchmark_prints() -> None:
    """Regenerate with `python bench/bus_efficiency.py --readme`."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert BUS_EFFICIENCY.readme_table(BUS_EFFICIENCY.figures()) in readme
