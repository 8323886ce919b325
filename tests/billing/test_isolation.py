"""The billing core stays pure: no Home Assistant, nothing from its parent package."""

from __future__ import annotations

import ast
from pathlib import Path
import subprocess
import sys

BILLING = Path(__file__).resolve().parents[2] / "custom_components" / "prepaid_power" / "billing"


def test_no_homeassistant_or_parent_imports() -> None:
    for source in BILLING.glob("*.py"):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                assert node.level <= 1, f"{source.name} imports from its parent package"
                assert not (node.module or "").startswith("homeassistant"), source.name
                assert not (node.module or "").startswith("custom_components"), source.name
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("homeassistant", "custom_components"))


def test_loads_alone_without_homeassistant() -> None:
    script = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import crash_child; crash_child.load_billing();"
        " import billing_alone.statement, billing_alone.aio;"
        " assert not [m for m in sys.modules if m.startswith('homeassistant')]"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
