"""Every blueprint validates against HA's blueprint schema and follows the project's rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.util import yaml as yaml_util
import pytest

from .conftest import BLUEPRINT_FILES, BLUEPRINT_SOURCE, SetupBlueprint

SOURCE_URL = (
    "https://github.com/prepaid-power/prepaid_power/blob/main/"
    "blueprints/automation/prepaid_power/{file}"
)
EXPECTED = {
    "ask_landlord_before_cut.yaml",
    "cut_off_when_due.yaml",
    "fault_alert.yaml",
    "low_balance_warning.yaml",
    "statement_delivery.yaml",
    "supply_notice.yaml",
    "top_up_receipt.yaml",
}


def _load(file: str) -> Blueprint:
    data = yaml_util.load_yaml(str(BLUEPRINT_SOURCE / file))
    assert isinstance(data, dict)
    return Blueprint(
        data,
        path=f"prepaid_power/{file}",
        expected_domain="automation",
        schema=AUTOMATION_BLUEPRINT_SCHEMA,
    )


def _inputs(blueprint: Blueprint) -> dict[str, dict[str, Any]]:
    """All inputs, flattened out of their sections."""
    flat: dict[str, dict[str, Any]] = {}
    for key, value in blueprint.data["blueprint"]["input"].items():
        if value and "input" in value:
            flat.update(value["input"])
        else:
            flat[key] = value
    return flat


def test_the_seven_blueprints_are_there() -> None:
    """No blueprint missing, none unexpected (each needs its tests)."""
    assert set(BLUEPRINT_FILES) == EXPECTED


@pytest.mark.parametrize("file", BLUEPRINT_FILES)
def test_blueprint_schema_and_metadata(file: str) -> None:
    """HA's blueprint schema accepts it; source_url, min_version, sections, descriptions."""
    blueprint = _load(file)
    meta = blueprint.data["blueprint"]
    assert blueprint.domain == "automation"
    assert meta["source_url"] == SOURCE_URL.format(file=file)
    assert meta["homeassistant"]["min_version"] == "2025.4.0"
    assert meta["name"].startswith("Prepaid Power: ")
    assert len(meta["description"]) > 100
    assert all("input" in section for section in meta["input"].values()), "inputs in sections"
    for key, spec in _inputs(blueprint).items():
        assert spec.get("name"), f"{file}: input {key} has no name"
        assert "selector" in spec, f"{file}: input {key} has no selector"


@pytest.mark.parametrize("file", BLUEPRINT_FILES)
def test_room_selectors_are_filtered_to_room_devices(file: str) -> None:
    """Room inputs only offer this integration's room devices; phones only mobile_app."""
    inputs = _inputs(_load(file))
    rooms = [spec for key, spec in inputs.items() if key in {"room", "rooms"}]
    assert len(rooms) == 1
    assert rooms[0]["selector"]["device"]["filter"] == [
        {"integration": "prepaid_power", "model": "Room"}
    ]
    for key, spec in inputs.items():
        if key.endswith(("_devices", "_device")):
            assert spec["selector"]["device"]["filter"] == [{"integration": "mobile_app"}]
        if key.endswith("_notify_entities"):
            assert spec["selector"]["entity"]["filter"] == [{"domain": ["notify"]}]


MINIMAL_INPUTS: dict[str, dict[str, str]] = {
    "low_balance_warning.yaml": {"room": "{room}"},
    "supply_notice.yaml": {"room": "{room}"},
    "top_up_receipt.yaml": {"room": "{room}"},
    "statement_delivery.yaml": {"room": "{room}"},
    "cut_off_when_due.yaml": {},
    "ask_landlord_before_cut.yaml": {"landlord_device": "{phone}"},
    "fault_alert.yaml": {},
}


@pytest.mark.parametrize("file", BLUEPRINT_FILES)
async def test_instantiates_with_only_required_inputs(
    hass: HomeAssistant,
    setup_blueprint: SetupBlueprint,
    room: dr.DeviceEntry,
    tenant_phone: dr.DeviceEntry,
    file: str,
) -> None:
    """Defaults fill every optional input, and the result is a valid automation."""
    inputs = {
        key: value.format(room=room.id, phone=tenant_phone.id)
        for key, value in MINIMAL_INPUTS[file].items()
    }
    await setup_blueprint(file, inputs)


def test_blueprint_files_are_plain_yaml_without_tabs() -> None:
    """Files import cleanly through the 'Import blueprint' dialog (raw GitHub text)."""
    for path in Path(BLUEPRINT_SOURCE).glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert "\t" not in text
        assert text.startswith("blueprint:\n")
