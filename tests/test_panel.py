"""The landlord console's sidebar panel: admin only, once per HA, gone with the last gateway,
its bundle served at a URL that changes with every build."""

from __future__ import annotations

import csv
from datetime import timedelta
import io
from typing import Any

from homeassistant.auth.models import User
from homeassistant.components.frontend import DATA_PANELS
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import CLIENT_ID
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.prepaid_power.const import DOMAIN
from custom_components.prepaid_power.panel import (
    BUNDLES,
    PANEL_URL_PATH,
    PAYMENTS_CSV_URL,
    bundle_version,
)
from prepaid_power_gateway import Gateway

from .test_init import gateway_entry, setup_gateway
from .test_supply import ROOM_DATA, device_id


async def panels(client: Any) -> dict[str, Any]:
    await client.send_json_auto_id({"type": "get_panels"})
    reply = await client.receive_json()
    assert reply["success"], reply
    found: dict[str, Any] = reply["result"]
    return found


@pytest.fixture
async def frontend(hass: HomeAssistant) -> None:
    """HA's frontend, as every installation runs it."""
    assert await async_setup_component(hass, "frontend", {})


@pytest.mark.usefixtures("frontend")
async def test_panel_for_admins_only_once_and_gone_with_the_last_gateway(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    tenant_user: User,
    hass_ws_client: WebSocketGenerator,
    hass_client: ClientSessionGenerator,
) -> None:
    """Two gateways, one panel; the tenant's sidebar lacks it; it goes with the last entry."""
    assert PANEL_URL_PATH not in hass.data.get(DATA_PANELS, {})
    first = gateway_entry(simulated_gateway.port, rooms={"Room 3": ROOM_DATA})
    second = gateway_entry(simulated_gateway.port)
    second.add_to_hass(hass)
    hass.config_entries.async_update_entry(second, unique_id="second")
    # Setting up the integration sets up both gateways at once.
    await setup_gateway(hass, first)
    assert second.state is ConfigEntryState.LOADED
    # Clients start HA's web server (its routes freeze in the test harness, not in HA).
    landlord = await hass_ws_client(hass)
    refresh_token = await hass.auth.async_create_refresh_token(tenant_user, CLIENT_ID)
    tenant = await hass_ws_client(hass, hass.auth.async_create_access_token(refresh_token))

    panel = (await panels(landlord))[PANEL_URL_PATH]
    assert panel["require_admin"] is True
    assert panel["title"] == "Prepaid Power"
    custom = panel["config"]["_panel_custom"]
    assert custom["name"] == "prepaid-power-panel"
    version = bundle_version(BUNDLES / "panel.js")
    assert custom["module_url"] == f"/prepaid_power_static/panel.js?v={version}"
    assert PANEL_URL_PATH not in await panels(tenant)

    http = await hass_client()
    response = await http.get(custom["module_url"])
    assert response.status == 200
    assert "prepaid-power-panel" in await response.text()

    assert await hass.config_entries.async_unload(first.entry_id)
    assert PANEL_URL_PATH in await panels(landlord)
    assert await hass.config_entries.async_unload(second.entry_id)
    assert PANEL_URL_PATH not in await panels(landlord)
    # Loaded again: back, on the static path registered the first time.
    assert await hass.config_entries.async_setup(first.entry_id)
    await hass.async_block_till_done()
    assert PANEL_URL_PATH in await panels(landlord)


@pytest.mark.usefixtures("frontend")
async def test_payments_csv_for_the_landlord_only(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    tenant_user: User,
    hass_client: ClientSessionGenerator,
) -> None:
    """An authenticated download: the landlord gets the CSV, a tenant 401, bad dates 400."""
    hass.config.currency = "CNY"
    entry = gateway_entry(simulated_gateway.port, rooms={"Room 3": ROOM_DATA})
    await setup_gateway(hass, entry)
    await hass.services.async_call(
        DOMAIN,
        "move_in",
        {"device_id": device_id(hass, entry), "tenant": "Alice", "first_top_up": "12.50"},
        blocking=True,
    )
    today = dt_util.now().date()
    query = {"start": today.isoformat(), "end": (today + timedelta(days=1)).isoformat()}

    landlord = await hass_client()
    response = await landlord.get(PAYMENTS_CSV_URL, params=query)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0][:7] == ["entry_id", "at", "room", "tenant", "method", "reference", "amount"]
    # room, method, amount
    assert [row[2:7:2] for row in rows[1:]] == [["Room 3", "cash", "12.50"]]
    bad = await landlord.get(PAYMENTS_CSV_URL, params={**query, "end": query["start"]})
    assert bad.status == 400
    assert (await landlord.get(PAYMENTS_CSV_URL, params={"start": "x"})).status == 400

    refresh_token = await hass.auth.async_create_refresh_token(tenant_user, CLIENT_ID)
    tenant = await hass_client(hass.auth.async_create_access_token(refresh_token))
    assert (await tenant.get(PAYMENTS_CSV_URL, params=query)).status == 401
    anonymous = await hass_client(None)
    assert (await anonymous.get(PAYMENTS_CSV_URL, params=query)).status == 401
