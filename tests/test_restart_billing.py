"""Stopping and starting Home Assistant never moves money between time-of-use periods.

Usage read before a stop is posted at the stop, in the period it was read in; only what the
meter counted while HA was down is spread over the downtime (BILLING.md). Time is HA's own
clock shifted to chosen local times: the bus still needs real timeouts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from unittest.mock import patch
from zoneinfo import ZoneInfo

from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.prepaid_power.billing.core import BillingCore
from prepaid_power_gateway import Gateway

from .test_init import setup_gateway
from .test_rooms import act, entry_with_room, room_device_id, use_energy

BERLIN = ZoneInfo("Europe/Berlin")
SPIKE = Decimal("1.0000")
VALLEY = Decimal("0.1000")
# Spike 17:00-19:00, valley otherwise, every day.
TOU = {
    "kind": "tou",
    "prices": {"spike": str(SPIKE), "valley": str(VALLEY)},
    "weekday": [
        {"start": "00:00", "end": "17:00", "period": "valley"},
        {"start": "17:00", "end": "19:00", "period": "spike"},
        {"start": "19:00", "end": "00:00", "period": "valley"},
    ],
}


class ShiftedClock:
    """HA's clock moved to a chosen instant, still ticking in real time."""

    def __init__(self) -> None:
        self._real = dt_util.utcnow
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._real() + self.offset

    def move_to(self, local: datetime) -> None:
        self.offset = local.astimezone(dt_util.UTC) - self._real()


@pytest.fixture
def clock() -> Iterator[ShiftedClock]:
    """HA's `utcnow` (and so every reading's, posting's and payment's time) shifted."""
    shifted = ShiftedClock()
    with patch("homeassistant.util.dt.utcnow", shifted):
        yield shifted


async def _stop_and_start(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    # HA stops without unloading entries; the next start sets the entry up afresh.
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)


async def _unload_and_set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await hass.config_entries.async_setup(entry.entry_id)


async def _reload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)


@pytest.mark.parametrize(
    "restart",
    [_stop_and_start, _unload_and_set_up, _reload],
    ids=["ha-stop", "unload", "reload"],
)
async def test_restart_keeps_usage_in_its_period(
    hass: HomeAssistant,
    simulated_gateway: Gateway,
    clock: ShiftedClock,
    restart: Callable[[HomeAssistant, MockConfigEntry], Awaitable[None]],
) -> None:
    """2 kWh read in the spike period, a restart in the valley, 0.5 kWh more: the 2 kWh are
    charged at the spike price; only the 0.5 kWh counted over the downtime is spread."""
    await hass.config.async_update(time_zone="Europe/Berlin", currency="EUR")
    day = datetime(2026, 3, 10, tzinfo=BERLIN)
    clock.move_to(day.replace(hour=17, minute=10))
    entry = entry_with_room(simulated_gateway.port)
    await setup_gateway(hass, entry)
    device_id = room_device_id(hass, entry)
    await act(hass, "set_tariff", {"device_id": device_id, "tariff": TOU})
    await act(hass, "move_in", {"device_id": device_id, "tenant": "Alice", "first_top_up": "50"})

    clock.move_to(day.replace(hour=17, minute=20))
    await use_energy(hass, simulated_gateway, Decimal(1))
    clock.move_to(day.replace(hour=17, minute=40))
    await use_energy(hass, simulated_gateway, Decimal(1))
    # Not posted yet: the next posting would be at 18:10 or at 19:00.
    assert await tenant_charges(entry) == []

    await restart(hass, entry)
    # The stop posted what was read, in its own period and at its own price.
    assert await tenant_charges(entry) == [("spike", Decimal(2), SPIKE, Decimal("-2.00"))]

    stopped_at = day.replace(hour=17, minute=40)
    clock.move_to(day.replace(hour=23, minute=45))
    await use_energy(hass, simulated_gateway, Decimal("0.5"))
    await act(hass, "top_up", {"device_id": device_id, "amount": "1"})  # posts the accrual
    charges = await tenant_charges(entry)
    downtime = Decimal((day.replace(hour=23, minute=45) - stopped_at).seconds)
    spike_share = Decimal("0.5") * Decimal((day.replace(hour=19) - stopped_at).seconds) / downtime
    spike_kwh = sum((kwh for period, kwh, _, _ in charges if period == "spike"), Decimal(0))
    valley_kwh = sum((kwh for period, kwh, _, _ in charges if period == "valley"), Decimal(0))
    # The clock ticks in real time between the steps: a second moves 0.02 Wh.
    assert abs(spike_kwh - (2 + spike_share)) < Decimal("0.0001")
    assert abs(valley_kwh - (Decimal("0.5") - spike_share)) < Decimal("0.0001")
    charged = -sum((amount for _, _, _, amount in charges), Decimal(0))
    expected = (2 + spike_share) * SPIKE + (Decimal("0.5") - spike_share) * VALLEY
    assert abs(charged - expected) < Decimal("0.01")


async def tenant_charges(
    entry: MockConfigEntry,
) -> list[tuple[str | None, Decimal, Decimal, Decimal]]:
    """The tenant's charges: (period, kWh, price, amount), in ledger order."""

    def read(core: BillingCore) -> list[tuple[str | None, Decimal, Decimal, Decimal]]:
        tenancy = core.ledger.tenancies()[-1]
        return [
            (e.period, e.kwh or Decimal(0), e.price or Decimal(0), e.amount)
            for e in core.ledger.entries(account_id=tenancy.account_id, kinds=["charge"])
        ]

    return await entry.runtime_data.rooms.billing.run(read)
