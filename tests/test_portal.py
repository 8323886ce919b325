"""The tenant portal and the kiosk over HA's real HTTP server, against the simulator.

Two rooms share a gateway: Room 3 (the tenant's, with its own relay) and Room 1 (another
tenant's). Every body the portal answers is scanned for anything of Room 1 and for ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
import json
from typing import Any
from unittest.mock import patch

from aiohttp import ClientResponse
from homeassistant import const as ha_const
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.prepaid_power import operations as op
from custom_components.prepaid_power.access import LandlordOnly
from custom_components.prepaid_power.dashboard import qr_svg
from custom_components.prepaid_power.payee import Payee, epc_payload
from custom_components.prepaid_power.portal import FAILED_BURST, REFILL_SECONDS, FailedTokens
from custom_components.prepaid_power.portal_links import (
    portal_links,
    token_digest,
)
from prepaid_power_gateway import Gateway

from .test_init import ROOM_DATA as OTHER_ROOM, gateway_entry, setup_gateway
from .test_restart_billing import ShiftedClock
from .test_sensor import poll
from .test_supply import ROOM_DATA as ROOM_3, act, use_energy

pytestmark = pytest.mark.usefixtures("entity_registry_enabled_by_default")

OTHER_BALANCE = "77.77"
OTHER_TENANT = "Bobby Othername"
OTHER_REFERENCE = "BOB-PAYS-101"
TENANT = "Alice Tenantname"
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@pytest.fixture
def clock() -> Iterator[ShiftedClock]:
    """HA's `utcnow` shifted to a chosen instant, still ticking."""
    shifted = ShiftedClock()
    with patch("homeassistant.util.dt.utcnow", shifted):
        yield shifted


class Portal:
    """Two rooms loaded, a link for Room 3; every body the portal sent is kept."""

    def __init__(self, hass: HomeAssistant, entry: MockConfigEntry, client: Any) -> None:
        self.hass = hass
        self.entry = entry
        self.client = client
        self.bodies: list[str] = []
        rooms = entry.runtime_data.rooms
        self.room = next(r for r in rooms.rooms.values() if r.name == "Room 3")
        self.other = next(r for r in rooms.rooms.values() if r.name == "Room 1")
        self.path = ""

    async def fetch(self, method: str, path: str, **kwargs: Any) -> ClientResponse:
        response: ClientResponse = await self.client.request(method, path, **kwargs)
        self.bodies.append(await response.text())
        self.bodies.append(str(dict(response.headers)))
        return response

    async def data(self, path: str | None = None) -> dict[str, Any]:
        response = await self.fetch("GET", f"{path or self.path}/data")
        assert response.status == 200
        data: dict[str, Any] = await response.json()
        return data

    def assert_nothing_of_others(self) -> None:
        """No body names the other room, its tenant, its balance, or any id."""
        other_device = self.other.device_id
        forbidden = [
            "Room 1",
            OTHER_TENANT,
            OTHER_REFERENCE,
            OTHER_BALANCE,
            self.other.subentry_id,
            other_device,
            self.room.subentry_id,
            self.room.device_id,
            self.entry.entry_id,
            "sensor.",
            "button.",
            "switch.",
            ha_const.__version__,
        ]
        for body in self.bodies:
            for text in forbidden:
                assert text not in body, (text, body[:300])


async def portal(
    hass: HomeAssistant,
    gateway: Gateway,
    client_factory: ClientSessionGenerator,
    supply: dict[str, str] | None = None,
    top_up: str = "0.05",
    **room: Any,
) -> Portal:
    hass.config.currency = "CNY"
    assert await async_setup_component(hass, "http", {})
    entry = gateway_entry(
        gateway.port,
        rooms={
            "Room 3": {**ROOM_3, **room, "supply": {**ROOM_3["supply"], **(supply or {})}},
            "Room 1": {**OTHER_ROOM, "payment_reference": OTHER_REFERENCE},
        },
    )
    await setup_gateway(hass, entry)
    setup = Portal(hass, entry, await client_factory())
    for found, tenant, amount in (
        (setup.room, TENANT, top_up),
        (setup.other, OTHER_TENANT, OTHER_BALANCE),
    ):
        await act(
            hass,
            "move_in",
            {"device_id": found.device_id, "tenant": tenant, "first_top_up": amount},
        )
    await poll(hass)
    link = await op.rotate_portal_link(hass, op.Caller.of(None), setup.room.subentry_id)
    setup.path = link.path
    return setup


async def ledger_balance(setup: Portal) -> Decimal:
    room_id = setup.room.subentry_id
    balance: Decimal = await setup.entry.runtime_data.rooms.billing.run(
        lambda core: core.ledger.balance(core.tenancy_of(room_id).account_id)  # type: ignore[union-attr]
    )
    return balance


async def test_the_page_shows_its_room_only(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The page is a static shell with strict headers; its JSON holds the exact ledger
    balance and this room's figures, and nothing of the other room or of HA."""
    setup = await portal(hass, simulated_gateway, hass_client_no_auth, top_up="12.34")
    page = await setup.fetch("GET", setup.path)
    assert page.status == 200
    assert page.content_type == "text/html"
    html = setup.bodies[-2]
    assert '<script type="module" src="/prepaid_power/portal.js?v=' in html
    assert "<prepaid-power-portal>" in html
    # No inline script, no style attribute, no token written into the page.
    assert html.count("<script") == 1
    assert "style=" not in html
    assert setup.path.rsplit("/", 1)[1] not in html
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    for header, value in SECURITY.items():
        assert page.headers[header] == value

    data = await setup.data()
    assert data["room"] == "Room 3"
    assert data["tenant"] is None  # not unless the landlord opts in
    assert Decimal(data["balance"]) == await ledger_balance(setup) == Decimal("12.34")
    assert data["currency"] == "CNY"
    assert data["price"] == "1.0000"
    assert data["supply"] == {"state": "on", "reason": "balance_ok", "on": True}
    assert [t["amount"] for t in data["top_ups"]] == ["12.34"]
    assert len(data["daily_usage"]) == 30
    assert data["buttons"] == []  # Room 3 has neither a warning cut nor emergency credit
    script = await setup.fetch("GET", "/prepaid_power/portal.js")
    assert script.status == 200
    assert script.content_type == "text/javascript"
    assert script.headers["X-Content-Type-Options"] == "nosniff"
    setup.bodies.pop(-2)  # the bundle's own source (its words, not any room's data)
    setup.assert_nothing_of_others()


async def test_the_tenant_name_only_when_the_landlord_opts_in(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client_no_auth: ClientSessionGenerator
) -> None:
    setup = await portal(
        hass, simulated_gateway, hass_client_no_auth, access={"portal_shows_tenant": True}
    )
    assert (await setup.data())["tenant"] == TENANT


async def test_emergency_credit_from_the_portal(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A cut room's tenant takes emergency credit on the page: the relay closes on the
    simulator. The press needs the page's CSRF value, JSON and a same-host Origin."""
    setup = await portal(
        hass,
        simulated_gateway,
        hass_client_no_auth,
        supply={"emergency_credit": "0.05"},
    )
    meter = simulated_gateway.simulator.meter(3)
    await use_energy(hass, simulated_gateway, 0.06)
    data = await setup.data()
    assert data["supply"]["state"] == "cut_off"
    assert data["supply"]["reason"] == "balance_exhausted"
    assert data["buttons"] == ["use_emergency_credit"]
    assert meter.relay_on is False
    press = f"{setup.path}/press"
    good = {"X-Portal-CSRF": data["csrf"]}
    body = {"button": "use_emergency_credit"}
    refused = [
        await setup.fetch("POST", press, json=body),
        await setup.fetch("POST", press, json=body, headers={"X-Portal-CSRF": "0" * 64}),
        await setup.fetch(
            "POST", press, json=body, headers={**good, "Origin": "https://evil.example"}
        ),
        await setup.fetch("POST", press, data="button=use_emergency_credit", headers=good),
        await setup.fetch("POST", press, json={"button": "restore_after_warning"}, headers=good),
        await setup.fetch("GET", press),
    ]
    assert [r.status for r in refused] == [403, 403, 403, 415, 400, 405]
    assert meter.relay_on is False

    done = await setup.fetch("POST", press, json=body, headers=good)
    assert done.status == 200
    await hass.async_block_till_done()
    assert meter.relay_on is True
    data = await setup.data()
    assert data["supply"]["state"] == "low"
    assert data["emergency_credit_outstanding"] == "0.05"
    room_id = setup.room.subentry_id
    latest = await setup.entry.runtime_data.rooms.billing.run(
        lambda core: core.ledger.entries(account_id=core.tenancy_of(room_id).account_id)[-1]  # type: ignore[union-attr]
    )
    assert latest.who == "tenant portal (Room 3)"  # the room whose link pressed
    # Taken once: the refusal is the integration's own translated message.
    again = await setup.fetch("POST", f"{press}?lang=zh-Hans", json=body, headers=good)
    assert again.status == 409
    answer = await again.json()
    assert answer["error"] == "emergency_credit_outstanding"
    assert "Room 3" in answer["message"]
    assert "应急" in answer["message"]
    setup.assert_nothing_of_others()


async def test_rotate_and_revoke_end_the_old_link(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
) -> None:
    """After a rotation the old link is HA's own 404, the same as an unknown path; only the
    hash is stored; revoking leaves the room without a link."""
    setup = await portal(hass, simulated_gateway, hass_client_no_auth)
    old = setup.path
    token = old.rsplit("/", 1)[1]
    assert len(token) >= 43  # 32 random bytes
    stored = json.dumps(hass_storage["prepaid_power.portal"])
    assert token not in stored
    assert token_digest(token) in stored

    link = await op.rotate_portal_link(hass, op.Caller.of(None), setup.room.subentry_id)
    unknown = await setup.fetch("GET", "/prepaid_power/no-such-page")
    unknown_body = setup.bodies[-2]
    for path in (old, f"{old}/data", f"{old}/statement/2026-01-01"):
        gone = await setup.fetch("GET", path)
        assert (gone.status, gone.content_type) == (unknown.status, unknown.content_type)
        assert setup.bodies[-2] == unknown_body
        assert "Content-Security-Policy" not in gone.headers
    assert (await setup.fetch("POST", f"{old}/press", json={})).status == 404
    setup.path = link.path
    assert (await setup.data())["room"] == "Room 3"

    assert await op.revoke_portal_link(hass, op.Caller.of(None), setup.room.subentry_id)
    assert (await setup.fetch("GET", link.path)).status == 404
    assert portal_links(hass).room_link(setup.room.subentry_id) is None
    assert not await op.revoke_portal_link(hass, op.Caller.of(None), setup.room.subentry_id)


async def test_a_reloading_gateway_is_not_a_wrong_token(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """While the room's gateway is not loaded its link answers 503 (the page retries) and
    costs the address nothing of its wrong-token budget; then the page works again."""
    setup = await portal(hass, simulated_gateway, hass_client_no_auth)
    assert await hass.config_entries.async_unload(setup.entry.entry_id)
    for _ in range(FAILED_BURST + 2):
        waiting = await setup.fetch("GET", f"{setup.path}/data")
        assert waiting.status == 503
        assert waiting.headers["Cache-Control"] == "no-store"
    assert await hass.config_entries.async_setup(setup.entry.entry_id)
    await hass.async_block_till_done()
    assert (await setup.data())["room"] == "Room 3"
    setup.assert_nothing_of_others()


@pytest.mark.parametrize(
    "path",
    [
        "/prepaid_power/t/..%2F..%2Fapi%2Fconfig",
        "/prepaid_power/t/%2e%2e/%2e%2e/api/config/data",
        "/prepaid_power/t/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/prepaid_power/t/x%0d%0aSet-Cookie:%20pp=1",
        "/prepaid_power/t/x%0d%0aLocation:%20https://evil.example/data",
        "/prepaid_power/t/" + "A" * 8000,
        "/prepaid_power/t/%00",
        "/prepaid_power/t/%F0%9F%94%91/data",
        "/prepaid_power/k/..%2Ft%2F",
    ],
)
async def test_traversal_and_header_injection_reach_nothing(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_client_no_auth: ClientSessionGenerator,
    path: str,
) -> None:
    setup = await portal(hass, simulated_gateway, hass_client_no_auth)
    response = await setup.fetch("GET", path)
    # HA's own security filter answers an encoded traversal or line break 400 before any view.
    assert response.status in (400, 404)
    assert "Content-Security-Policy" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert "Location" not in response.headers
    assert "pp=1" not in str(response.headers)
    setup.assert_nothing_of_others()


async def test_wrong_tokens_are_rate_limited_per_address(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """A burst of wrong tokens is 404; after it every portal request from that address is 429
    (the right token too, so guessing stops), with Retry-After."""
    setup = await portal(hass, simulated_gateway, hass_client_no_auth)
    statuses = [
        (await setup.fetch("GET", f"/prepaid_power/t/{token}/data")).status
        for token in (f"wrong-token-{n:031d}" for n in range(FAILED_BURST + 15))
    ]
    assert statuses == [404] * FAILED_BURST + [429] * 15
    limited = await setup.fetch("GET", f"{setup.path}/data")
    assert limited.status == 429
    assert int(limited.headers["Retry-After"]) >= 1
    setup.assert_nothing_of_others()


def test_failed_tokens_refill_over_time() -> None:
    now = [0.0]
    failed = FailedTokens(clock=lambda: now[0])
    for _ in range(FAILED_BURST):
        assert not failed.limited("192.0.2.1")
        failed.failed("192.0.2.1")
    assert failed.limited("192.0.2.1")
    assert not failed.limited("192.0.2.2")  # per address
    now[0] += REFILL_SECONDS
    assert not failed.limited("192.0.2.1")  # one more try after a refill
    failed.failed("192.0.2.1")
    assert failed.limited("192.0.2.1")


async def test_statements_of_past_cycles(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_client_no_auth: ClientSessionGenerator,
    clock: ShiftedClock,
) -> None:
    """When a cycle ends its statement is listed; view and download give the room's text
    statement (no tenant name), only for the tenancy's own ended cycles."""
    zone = dt_util.get_time_zone(hass.config.time_zone)
    clock.move_to(datetime(2026, 11, 10, 12, tzinfo=zone))
    setup = await portal(hass, simulated_gateway, hass_client_no_auth, top_up="5")
    await use_energy(hass, simulated_gateway, 0.05)
    assert (await setup.data())["statements"] == []
    clock.move_to(datetime(2026, 12, 5, 12, tzinfo=zone))
    await poll(hass)
    data = await setup.data()
    assert len(data["statements"]) == 1
    cycle = data["statements"][0]["cycle"]
    used = sum(Decimal(day["kwh"]) for day in data["daily_usage"])
    assert used == Decimal("0.050")
    view = await setup.fetch("GET", f"{setup.path}/statement/{cycle}")
    assert view.status == 200
    assert view.content_type == "text/plain"
    text = setup.bodies[-2]
    assert "Room 3" in text
    assert "4.95" in text  # the closing balance (a landlord's own template may say less)
    assert TENANT not in text
    download = await setup.fetch("GET", f"{setup.path}/statement/{cycle}?download=1&lang=zh-Hans")
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="statement-{cycle}.txt"'
    )
    for wrong in ("2000-01-01", data["statements"][0]["last_day"], "x", "..%2F.."):
        # (HA's security filter answers the encoded traversal 400 before the view.)
        assert (await setup.fetch("GET", f"{setup.path}/statement/{wrong}")).status in (400, 404)
    setup.assert_nothing_of_others()


async def test_kiosk_shows_chosen_rooms_balances_only(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client_no_auth: ClientSessionGenerator
) -> None:
    setup = await portal(hass, simulated_gateway, hass_client_no_auth, top_up="3")
    kiosk = await op.create_kiosk_link(
        hass, op.Caller.of(None), [setup.room.subentry_id, setup.other.subentry_id], "Corridor"
    )
    page = await setup.fetch("GET", kiosk.path)
    assert page.status == 200
    assert "<prepaid-power-kiosk>" in setup.bodies[-2]
    data = await setup.data(kiosk.path)
    assert data["name"] == "Corridor"
    assert [(r["room"], r["live_balance"]) for r in data["rooms"]] == [
        ("Room 3", "3.00"),
        ("Room 1", OTHER_BALANCE),
    ]
    assert set(data["rooms"][0]) == {
        "room",
        "currency",
        "live_balance",
        "days_of_credit_left",
        "supply",
    }
    # A kiosk token opens no room page, and a room token no kiosk.
    kiosk_token = kiosk.path.rsplit("/", 1)[1]
    assert (await setup.fetch("GET", f"/prepaid_power/t/{kiosk_token}/data")).status == 404
    room_token = setup.path.rsplit("/", 1)[1]
    assert (await setup.fetch("GET", f"/prepaid_power/k/{room_token}/data")).status == 404
    assert kiosk.kiosk_id is not None
    assert await op.revoke_kiosk_link(hass, op.Caller.of(None), kiosk.kiosk_id)
    assert (await setup.fetch("GET", kiosk.path)).status == 404


async def test_links_go_with_their_room(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
) -> None:
    """A removed room's link is HA's 404 (not the 503 of a reloading gateway) and its hash is
    gone; kiosks stop showing it; removing the gateway ends the rest."""
    setup = await portal(hass, simulated_gateway, hass_client_no_auth)
    room_id, other_id = setup.room.subentry_id, setup.other.subentry_id
    kiosk = await op.create_kiosk_link(hass, op.Caller.of(None), [room_id, other_id], "Hall")
    lone = await op.create_kiosk_link(hass, op.Caller.of(None), [room_id], "Door")
    other = await op.rotate_portal_link(hass, op.Caller.of(None), other_id)
    digest = token_digest(setup.path.rsplit("/", 1)[1])

    assert hass.config_entries.async_remove_subentry(setup.entry, room_id)
    await hass.async_block_till_done()
    for path in (setup.path, f"{setup.path}/data", lone.path):
        assert (await setup.fetch("GET", path)).status == 404
    assert digest not in json.dumps(hass_storage["prepaid_power.portal"])
    assert [r["room"] for r in (await setup.data(kiosk.path))["rooms"]] == ["Room 1"]
    assert (await setup.data(other.path))["room"] == "Room 1"

    await hass.config_entries.async_remove(setup.entry.entry_id)
    await hass.async_block_till_done()
    for path in (other.path, kiosk.path):
        assert (await setup.fetch("GET", path)).status == 404
    assert hass_storage["prepaid_power.portal"]["data"] == {"links": {}}


async def test_link_operations_are_landlord_only(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_client_no_auth: ClientSessionGenerator,
    tenant_user: Any,
) -> None:
    setup = await portal(hass, simulated_gateway, hass_client_no_auth)
    tenant = Context(user_id=tenant_user.id)
    room_id = setup.room.subentry_id
    before = portal_links(hass).room_link(room_id)
    for call in (
        op.rotate_portal_link(hass, op.Caller.of(tenant), room_id),
        op.revoke_portal_link(hass, op.Caller.of(tenant), room_id),
        op.create_kiosk_link(hass, op.Caller.of(tenant), [room_id], "x"),
        op.revoke_kiosk_link(hass, op.Caller.of(tenant), "x"),
    ):
        with pytest.raises(LandlordOnly):
            await call
    assert portal_links(hass).room_link(room_id) == before
    assert portal_links(hass).kiosks() == []


async def test_links_from_the_gateway_options(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """From a phone: gateway options → a room's link (shown once) → it opens the page;
    a kiosk link likewise; ending them."""
    setup = await portal(hass, simulated_gateway, hass_client_no_auth)
    flows = hass.config_entries.options

    async def step(menu: str, user_input: dict[str, Any]) -> dict[str, Any]:
        result = await flows.async_init(setup.entry.entry_id)
        assert result["type"] is FlowResultType.MENU
        result = await flows.async_configure(result["flow_id"], {"next_step_id": menu})
        assert result["type"] is FlowResultType.FORM
        done: dict[str, Any] = dict(
            await flows.async_configure(result["flow_id"], user_input)  # type: ignore[arg-type]
        )
        assert done["type"] is FlowResultType.ABORT
        return done

    room_id = setup.room.subentry_id
    made = await step("portal_link", {"room": room_id, "link_action": "rotate"})
    assert made["reason"] == "portal_link_made"
    url = made["description_placeholders"]["url"]
    path = url[url.index("/prepaid_power/t/") :]
    assert (await setup.fetch("GET", setup.path)).status == 404  # the old link ended
    assert (await setup.data(path))["room"] == "Room 3"
    revoked = await step("portal_link", {"room": room_id, "link_action": "revoke"})
    assert revoked["reason"] == "portal_link_revoked"
    assert (await setup.fetch("GET", path)).status == 404

    kiosk = await step("kiosk_link", {"name": "Hall", "rooms": [room_id]})
    assert kiosk["reason"] == "kiosk_link_made"
    url = kiosk["description_placeholders"]["url"]
    kiosk_path = url[url.index("/prepaid_power/k/") :]
    assert [r["room"] for r in (await setup.data(kiosk_path))["rooms"]] == ["Room 3"]
    (made_kiosk,) = portal_links(hass).kiosks()
    ended = await step("kiosk_link", {"revoke_kiosks": [made_kiosk.kiosk_id]})
    assert ended["reason"] == "kiosk_links_revoked"
    assert (await setup.fetch("GET", kiosk_path)).status == 404


async def test_the_payment_reference_and_the_payment_qr_code(
    hass: HomeAssistant, simulated_gateway: Gateway, hass_client_no_auth: ClientSessionGenerator
) -> None:
    """The page shows the room's own payment reference; with the landlord's payee (gateway
    options: a wrong IBAN is refused and changes nothing) also the EPC QR code of a transfer
    carrying that reference; never the other room's reference."""
    setup = await portal(hass, simulated_gateway, hass_client_no_auth, payment_reference="PP-303")
    assert (await setup.data())["payment"] == {
        "reference": "PP-303",
        "payee": None,
        "iban": None,
        "bic": None,
        "qr_svg": None,
    }
    flows = hass.config_entries.options

    async def payee(user_input: dict[str, str]) -> dict[str, Any]:
        result = await flows.async_init(setup.entry.entry_id)
        result = await flows.async_configure(result["flow_id"], {"next_step_id": "payee"})
        assert result["type"] is FlowResultType.FORM
        done = dict(await flows.async_configure(result["flow_id"], user_input))
        await hass.async_block_till_done()
        return done

    before = dict(setup.entry.options)
    wrong = await payee({"payee_name": "Landlord", "payee_iban": "BE68 5390 0754 7035"})
    assert wrong["errors"] == {"payee_iban": "payee_iban_invalid"}
    bad_bic = await payee(
        {"payee_name": "Landlord", "payee_iban": "BE68539007547034", "payee_bic": "GKCC"}
    )
    assert bad_bic["errors"] == {"payee_bic": "payee_bic_invalid"}
    assert dict(setup.entry.options) == before

    done = await payee({"payee_name": "Landlord", "payee_iban": "be68 5390 0754 7034"})
    assert done["type"] is FlowResultType.CREATE_ENTRY
    assert setup.entry.options["payee_iban"] == "BE68539007547034"
    payment = (await setup.data())["payment"]
    assert payment["reference"] == "PP-303"
    assert (payment["payee"], payment["iban"], payment["bic"]) == (
        "Landlord",
        "BE68539007547034",
        None,
    )
    expected = epc_payload(Payee("Landlord", "BE68539007547034"), "PP-303")
    assert expected.endswith("\nPP-303")
    assert payment["qr_svg"] == qr_svg(expected, boost_error=False)
    assert payment["qr_svg"].startswith("<svg")
    # The other room's page shows its own reference in its own code.
    other = await op.rotate_portal_link(hass, op.Caller.of(None), setup.other.subentry_id)
    response = await setup.client.get(f"{other.path}/data")
    assert (await response.json())["payment"]["reference"] == OTHER_REFERENCE
    setup.assert_nothing_of_others()

    assert (await payee({}))["type"] is FlowResultType.CREATE_ENTRY
    assert "payee_iban" not in setup.entry.options
    assert (await setup.data())["payment"]["qr_svg"] is None


async def test_room_settings_name_tenants_and_the_portal_name(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    hass_client_no_auth: ClientSessionGenerator,
    tenant_user: Any,
) -> None:
    """The room form's *Tenants and privacy* section offers HA's users; what is saved names
    the room's tenants and shows the tenant's name on the portal."""
    setup = await portal(hass, simulated_gateway, hass_client_no_auth)
    subentry = setup.entry.subentries[setup.room.subentry_id]
    result = await hass.config_entries.subentries.async_init(
        (setup.entry.entry_id, "room"),
        context={"source": "reconfigure", "subentry_id": subentry.subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    access = result["data_schema"].schema["access"].schema.schema
    users = next(v for k, v in access.items() if k == "tenant_users")
    offered = {option["value"] for option in users.config["options"]}
    assert tenant_user.id in offered
    form = {
        **subentry.data,
        "name": subentry.title,
        "meter": str(subentry.data["meter"]),
        "access": {"tenant_users": [tenant_user.id], "portal_shows_tenant": True},
    }
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    room = setup.entry.runtime_data.rooms.rooms[subentry.subentry_id]
    assert room.tenant_users == frozenset({tenant_user.id})
    assert (await setup.data())["tenant"] == TENANT
