"""The demo's imported blueprints load in the real Home Assistant."""

from __future__ import annotations

from scripts._demo.client import HassClient
from scripts._demo.stack import BLUEPRINTS

from .conftest import E2E


async def test_blueprints_are_imported_and_valid(e2e: E2E, landlord: HassClient) -> None:
    """Every blueprint of the repository is listed by HA, none with an error."""
    async with await landlord.websocket() as ws:
        listed = await ws.command("blueprint/list", domain="automation")
    ours = {path: item for path, item in listed.items() if path.startswith("prepaid_power/")}
    expected = {f"prepaid_power/{path.name}" for path in BLUEPRINTS.glob("*.yaml")}
    assert expected
    assert set(ours) == expected
    errors = {path: item["error"] for path, item in ours.items() if "error" in item}
    assert not errors
    for item in ours.values():
        assert item["metadata"]["domain"] == "automation"
