"""Correcting a known meter's model: from a rescan (with confirmation) and in the options."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.prepaid_power.const import CONF_METERS, DOMAIN
from prepaid_power_gateway import Gateway

from .test_init import gateway_entry, setup_gateway

ZN_S = "hiking_dds238_2_zn_s"
ZN_SR = "hiking_dds238_2_zn_sr"
SCAN = "button.test_gateway_scan_for_new_meters"


def _meters(zn_profile: str) -> list[dict[str, object]]:
    return [
        {"slave_id": 1, "profile": "eastron_sdm120", "serial_number": 12000001},
        {"slave_id": 3, "profile": zn_profile, "serial_number": None},
    ]


def _profile_of(entry: object, slave_id: int) -> str:
    meters = entry.data[CONF_METERS]  # type: ignore[attr-defined]
    return str(next(m["profile"] for m in meters if m["slave_id"] == slave_id))


async def _scan(hass: HomeAssistant, entry: object) -> None:
    hass.config_entries.async_update_entry(entry, data={**entry.data, "last_id": 3})  # type: ignore[arg-type, attr-defined]
    await hass.async_block_till_done()
    await hass.services.async_call("button", "press", {"entity_id": SCAN}, blocking=True)
    await hass.async_block_till_done()


def _model_issues(issue_registry: ir.IssueRegistry) -> list[ir.IssueEntry]:
    return [i for i in issue_registry.issues.values() if i.translation_key == "meter_model_change"]


async def test_rescan_corrects_a_zn_s_that_is_a_zn_sr_after_confirmation(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_client: ClientSessionGenerator,
    issue_registry: ir.IssueRegistry,
) -> None:
    """Stored as ZN/S (scanned with its relay open); scanned again with it closed: the scan
    offers ZN/SR as a repair, and only the landlord's confirmation stores it."""
    assert await async_setup_component(hass, "repairs", {})
    entry = gateway_entry(simulated_gateway.port, _meters(ZN_S))
    await setup_gateway(hass, entry)
    await _scan(hass, entry)
    assert _profile_of(entry, 3) == ZN_S  # nothing changes without confirmation
    [issue] = _model_issues(issue_registry)
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "slave_id": "3",
        "gateway": "Test gateway",
        "stored": "DDS238-2 ZN/S",
        "found": "DDS238-2 ZN/SR",
    }
    client = await hass_client()
    response = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue.issue_id}
    )
    flow = await response.json()
    assert flow["type"] == "form"
    response = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert (await response.json())["type"] == "create_entry"
    await hass.async_block_till_done()
    assert _profile_of(entry, 3) == ZN_SR
    # The reloaded gateway has the ZN/SR's relay.
    assert hass.states.get("binary_sensor.meter_3_dds238_2_zn_sr_relay") is not None


async def test_rescan_with_the_relay_open_does_not_contradict_a_zn_sr(
    hass: HomeAssistant, simulated_gateway: Gateway, issue_registry: ir.IssueRegistry
) -> None:
    """An open relay reads like a ZN/S: that cannot disprove a stored ZN/SR."""
    entry = gateway_entry(simulated_gateway.port, _meters(ZN_SR))
    await setup_gateway(hass, entry)
    simulated_gateway.simulator.meter(3).set_relay(False)
    await _scan(hass, entry)
    assert _model_issues(issue_registry) == []
    assert _profile_of(entry, 3) == ZN_SR


async def test_a_model_offer_goes_when_resolved_elsewhere(
    hass: HomeAssistant, simulated_gateway: Gateway, issue_registry: ir.IssueRegistry
) -> None:
    """An offer made by a scan disappears when the options change the model, and when a
    later scan agrees with the stored model."""
    entry = gateway_entry(simulated_gateway.port, _meters(ZN_S))
    await setup_gateway(hass, entry)
    await _scan(hass, entry)
    assert len(_model_issues(issue_registry)) == 1
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "change_model"}
    )
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"meter": "3"})
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"profile": ZN_SR}
    )
    await hass.async_block_till_done()
    assert _profile_of(entry, 3) == ZN_SR
    assert _model_issues(issue_registry) == []
    # Back to ZN/S by hand, scan (offer again), then the scan agrees after the change.
    simulated_gateway.simulator.meter(3).set_relay(True)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_METERS: _meters(ZN_S)})
    await hass.async_block_till_done()
    await _scan(hass, entry)
    assert len(_model_issues(issue_registry)) == 1
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_METERS: _meters(ZN_SR)})
    await hass.async_block_till_done()
    await _scan(hass, entry)
    assert _model_issues(issue_registry) == []


async def test_options_change_a_meters_model_among_compatible_ones(
    hass: HomeAssistant, simulated_gateway: Gateway, device_registry: dr.DeviceRegistry
) -> None:
    """The options offer only meters with compatible models, and only those models."""
    entry = gateway_entry(simulated_gateway.port, _meters(ZN_SR))
    await setup_gateway(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == [
        "settings",
        "change_model",
        "portal_link",
        "kiosk_link",
        "payee",
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "change_model"}
    )
    assert result["type"] is FlowResultType.FORM
    [meter_field] = result["data_schema"].schema.values()
    assert [o["value"] for o in meter_field.config["options"]] == ["3"]  # not the SDM120
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"meter": "3"})
    assert result["step_id"] == "change_model_to"
    [model_field] = result["data_schema"].schema.values()
    assert [o["value"] for o in model_field.config["options"]] == [ZN_SR, ZN_S]
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"profile": ZN_S})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert _profile_of(entry, 3) == ZN_S
    # The reloaded gateway shows the meter's device as the new model.
    models = {d.model for d in dr.async_entries_for_config_entry(device_registry, entry.entry_id)}
    assert "DDS238-2 ZN/S" in models
    assert "DDS238-2 ZN/SR" not in models


async def test_options_change_model_without_compatible_meters(
    hass: HomeAssistant, simulated_gateway: Gateway
) -> None:
    """A gateway whose meters have no alternative model says so."""
    entry = gateway_entry(simulated_gateway.port, _meters(ZN_SR)[:1])
    await setup_gateway(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "change_model"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_compatible_models"
