"""Bus layer over real TCP against virtual meters: poll, availability, relay, scan, framing."""

from __future__ import annotations

import asyncio
import logging

import pytest

from custom_components.prepaid_power.bus.client import (
    BusSettings,
    Framing,
    ModbusBus,
    SerialEndpoint,
    TcpEndpoint,
)
from custom_components.prepaid_power.bus.errors import (
    BusConnectionError,
    BusFramingError,
    BusTimeoutError,
    DeviceExceptionError,
)
from custom_components.prepaid_power.bus.planner import MeterRequest
from custom_components.prepaid_power.bus.poll import Poller
from custom_components.prepaid_power.bus.relay import read_relay, switch_relay
from custom_components.prepaid_power.bus.scan import (
    ConnectionStatus,
    FoundMeter,
    check_connection,
    scan_bus,
)
from custom_components.prepaid_power.profiles import Profile, load_profiles

from .fake_bus import FakeBus, FakeDevice, device_for, fineco_write_hook, float_words

PROFILES = load_profiles().profiles
FAST = BusSettings(timeout_s=0.3, connect_timeout_s=1.0, late_answer_wait_s=0.2)

SDM120_VALUES = {
    "voltage": 231.5,
    "current": 4.25,
    "power": 980.0,
    "power_factor": 0.97,
    "frequency": 50.02,
    "energy_import": 1234.5,
    "energy_export": 0.5,
    "energy_total": 1235.0,
}
DDS238_VALUES = {
    "energy_total": 321.45,
    "energy_export": 0.0,
    "energy_import": 321.45,
    "voltage": 229.8,
    "current": 1.23,
    "power": 270.0,
    "power_factor": 0.95,
    "frequency": 49.98,
}
DDSU666_VALUES = {
    "voltage": 228.0,
    "current": 2.0,
    "power": 450.0,
    "power_factor": 0.99,
    "frequency": 50.0,
    "energy_import": 77.25,
    "energy_export": 0.0,
}
FINECO_VALUES = {
    "voltage": 232.0,
    "frequency": 50.0,
    "current": 0.5,
    "power": 110.0,
    "power_factor": 0.9,
    "energy_import": 10.5,
    "energy_total": 10.5,
}
FINECO_SERIAL = 0x12345678


def building() -> dict[int, FakeDevice]:
    """A small bus: SDM120 @1, DDS238 ZN/SR @2, DDSU666 @4, Fineco @5, relay board @7."""
    fineco = device_for(PROFILES["fineco_em115"], 5, FINECO_VALUES, serial=FINECO_SERIAL)
    fineco.write_hook = fineco_write_hook(FINECO_SERIAL)
    return {
        1: device_for(PROFILES["eastron_sdm120"], 1, SDM120_VALUES, serial=120120),
        2: device_for(PROFILES["hiking_dds238_2_zn_sr"], 2, DDS238_VALUES),
        4: device_for(PROFILES["chint_ddsu666"], 4, DDSU666_VALUES),
        5: fineco,
        7: device_for(PROFILES["generic_relay_board"], 7, {}, relay=0),
    }


def all_keys(profile: Profile) -> MeterRequest:
    return MeterRequest(0, profile)


def request(slave_id: int, profile_id: str, *, every_key: bool = True) -> MeterRequest:
    profile = PROFILES[profile_id]
    return MeterRequest(slave_id, profile, frozenset(profile.keys) if every_key else None)


async def test_poll_values_equal_server_values() -> None:
    async with (
        FakeBus(building()) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        poller = Poller(
            bus,
            [
                request(1, "eastron_sdm120"),
                request(2, "hiking_dds238_2_zn_sr"),
                request(4, "chint_ddsu666"),
                request(5, "fineco_em115"),
                request(7, "generic_relay_board"),
            ],
        )
        readings = await poller.poll()
        assert len(fake.requests) == len(poller.plan.transactions)
    for slave_id, expected in (
        (1, SDM120_VALUES),
        (2, DDS238_VALUES),
        (4, DDSU666_VALUES),
        (5, FINECO_VALUES),
    ):
        reading = readings[slave_id]
        assert reading.available
        assert reading.complete
        assert reading.values.keys() == expected.keys()
        for key, value in expected.items():
            assert reading.values[key] == pytest.approx(value, rel=1e-6, abs=1e-6), (slave_id, key)
    assert readings[2].relays == {"relay": True}
    assert readings[5].relays == {"relay": True}
    assert readings[7].relays == {f"relay_{n}": False for n in range(1, 9)}
    # SDM120: 0x00-0x1F, 0x46-0x4B (skipping 38 registers is cheaper than reading
    # them), 0x156. DDSU666 and Fineco: one read per readable block.
    assert {sid: len(poller.plan.for_slave(sid)) for sid in (1, 2, 4, 5, 7)} == {
        1: 3,
        2: 1,
        4: 2,
        5: 3,
        7: 1,
    }


async def test_implausible_values_are_rejected() -> None:
    devices = building()
    devices[1].set(4, 0x0000, float_words(float("nan")))
    devices[1].set(4, 0x0046, float_words(3000.0))
    async with (
        FakeBus(devices) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        readings = await Poller(bus, [request(1, "eastron_sdm120")]).poll()
    assert readings[1].values["voltage"] is None
    assert readings[1].values["frequency"] is None
    assert readings[1].values["power"] == pytest.approx(980.0)


async def test_meter_offline_and_back(caplog: pytest.LogCaptureFixture) -> None:
    devices = building()
    async with (
        FakeBus(devices) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        poller = Poller(
            bus,
            [request(1, "eastron_sdm120"), request(2, "hiking_dds238_2_zn_sr")],
            unavailable_after=2,
            dead_probe_every=2,
        )
        assert (await poller.poll())[1].available
        devices[1].online = False
        caplog.set_level(logging.INFO)
        fake.requests.clear()
        first = await poller.poll()
        # Still available after one failure; the second read of the dead meter is skipped.
        assert first[1].available
        assert not first[1].complete
        assert [r for r in fake.requests if r[0] == 1] == [(1, 4, 0x0000)]
        assert first[2].complete
        second = await poller.poll()
        assert not second[1].available
        assert second[2].available
        fake.requests.clear()
        third = await poller.poll()
        # Unavailable meters are probed only every other cycle here.
        assert [r for r in fake.requests if r[0] == 1] == []
        assert not third[1].available
        devices[1].online = True
        fourth = await poller.poll()
        assert fourth[1].available
        assert fourth[1].values["voltage"] == pytest.approx(231.5)
    lost = [r for r in caplog.records if "unavailable" in r.getMessage()]
    back = [r for r in caplog.records if "is back" in r.getMessage()]
    assert len(lost) == 1
    assert len(back) == 1
    assert bus.stats.slaves[1].timeouts == 2
    assert bus.stats.slaves[1].last_success is not None


async def test_relay_commands_confirmed() -> None:
    devices = building()
    async with (
        FakeBus(devices) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        dds = PROFILES["hiking_dds238_2_zn_sr"]
        result = await switch_relay(bus, 2, dds, on=False)
        assert result.confirmed
        assert result.attempts == 1
        assert await read_relay(bus, 2, dds) is False
        # The DDS238 is written with function 16 (it ignores 06).
        assert (2, 16, 0x001A) in fake.requests

        fineco = PROFILES["fineco_em115"]
        result = await switch_relay(bus, 5, fineco, on=False)
        assert result.confirmed
        assert devices[5].tables[4][0x0566] == 0xAAAA
        result = await switch_relay(bus, 5, fineco, on=True, serial=FINECO_SERIAL)
        assert result.confirmed

        board = PROFILES["generic_relay_board"]
        result = await switch_relay(bus, 7, board, on=True, channel=3)
        assert result.confirmed
        assert devices[7].tables[1][3] == 1
        assert devices[7].tables[1][2] == 0


async def test_relay_not_confirmed_when_meter_ignores_it() -> None:
    devices = building()
    devices[5].write_hook = fineco_write_hook(0x01020304)  # key never matches
    async with (
        FakeBus(devices) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        result = await switch_relay(
            bus, 5, PROFILES["fineco_em115"], on=False, attempts=2, backoff_s=0.01
        )
    assert not result.confirmed
    assert result.attempts == 2
    assert result.error is not None
    assert "DeviceExceptionError" in result.error


async def test_scan_finds_exactly_the_present_meters() -> None:
    devices = building()
    devices[9] = FakeDevice(garbage=True)  # faulty meter: answers noise
    devices[11] = device_for(PROFILES["eastron_sdm630"], 11, {"voltage_l1": 231.0}, serial=630630)
    devices[12] = device_for(PROFILES["hiking_dds238_2_zn_s"], 12, DDS238_VALUES)
    devices[13] = device_for(PROFILES["orno_or_we_514"], 13, {"voltage": 230.0})
    async with (
        FakeBus(devices) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        result = await scan_bus(bus, PROFILES.values(), range(1, 17), timeout_s=0.1)
    assert result.meters == (
        FoundMeter(1, "eastron_sdm120", "Eastron", "SDM120", 120120),
        FoundMeter(
            2, "hiking_dds238_2_zn_sr", "Hiking", "DDS238-2 ZN/SR", None, ("hiking_dds238_2_zn_s",)
        ),
        FoundMeter(4, "chint_ddsu666", "Chint", "DDSU666", None),
        FoundMeter(5, "fineco_em115", "Fineco", "EM115", FINECO_SERIAL),
        FoundMeter(7, "generic_relay_board", "Generic", "Modbus relay board (8 channels)", None),
        FoundMeter(11, "eastron_sdm630", "Eastron", "SDM630", 630630),
        FoundMeter(
            12, "hiking_dds238_2_zn_s", "Hiking", "DDS238-2 ZN/S", None, ("hiking_dds238_2_zn_sr",)
        ),
        FoundMeter(13, "orno_or_we_514", "Orno", "OR-WE-514", None, ("orno_or_we_515",)),
    )
    assert result.unidentified == (9,)
    # Empty ids cost exactly one transaction each.
    empty = [sid for sid in range(1, 17) if sid not in devices]
    for sid in empty:
        assert [r for r in fake.requests if r[0] == sid] == [(sid, 3, 0xFC00)]
    assert [r for r in fake.requests if r[0] == 1] == [(1, 3, 0xFC00)]


async def test_queue_priority_relay_command_goes_next() -> None:
    devices = building()
    devices[1].delay_s = 0.005
    async with (
        FakeBus(devices) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        polls = [asyncio.create_task(bus.read(1, 4, 0, 2)) for _ in range(50)]
        await asyncio.sleep(0)  # the worker takes the first poll
        command = asyncio.create_task(
            switch_relay(bus, 2, PROFILES["hiking_dds238_2_zn_sr"], on=False)
        )
        await asyncio.gather(*polls, command)
        order = [r[0] for r in fake.requests]
        # At most one poll was already on the wire, then the write and at once its
        # read-back: no poll slips in between.
        write_at = order.index(2)
        assert write_at <= 1
        assert order[write_at + 1] == 2
        assert command.result().confirmed
        assert command.result().attempts == 1
        assert bus.pending == 0


async def test_relay_read_back_that_lags_is_read_again_after_settling() -> None:
    """A meter whose relay register shows the new state only after the contacts moved:
    the first read-back shows the old state, the one after the settle time confirms."""
    devices = building()
    dds = PROFILES["hiking_dds238_2_zn_sr"]
    assert dds.relay is not None
    address = dds.relay.write.address
    loop = asyncio.get_running_loop()

    def lagging(device: FakeDevice, function: int, at: int, values: list[int]) -> None:
        loop.call_later(0.05, device.set, 3, at, values)

    devices[2].write_hook = lagging
    async with (
        FakeBus(devices) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        result = await switch_relay(bus, 2, dds, on=False)
    assert result.confirmed
    assert result.attempts == 1
    assert fake.requests.count((2, 16, address)) == 1
    assert fake.requests.count((2, 3, address)) == 2


async def test_error_mapping() -> None:
    devices = building()
    async with (
        FakeBus(devices) as fake,
        ModbusBus(TcpEndpoint("127.0.0.1", fake.port), FAST) as bus,
    ):
        with pytest.raises(DeviceExceptionError) as exc:
            await bus.read(1, 3, 0x0015, 1)
        assert exc.value.code == 2
        with pytest.raises(BusTimeoutError):
            await bus.read(30, 3, 0, 1, timeout_s=0.05)
        devices[9] = FakeDevice(garbage=True)
        with pytest.raises(BusFramingError):
            await bus.read(9, 3, 0, 1, timeout_s=0.1)
        # The bus keeps working after a timeout and garbage.
        assert len(await bus.read(1, 4, 0, 2)) == 2
    assert bus.stats.timeouts == 1
    assert bus.stats.slaves[9].errors == 1
    assert bus.stats.as_dict()["transactions"] == 4


async def test_cannot_connect() -> None:
    async with FakeBus({}) as fake:
        port = fake.port
    async with ModbusBus(TcpEndpoint("127.0.0.1", port), FAST) as bus:
        with pytest.raises(BusConnectionError):
            await bus.read(1, 3, 0, 1)
    assert await check_connection(TcpEndpoint("127.0.0.1", port)) is ConnectionStatus.REFUSED


@pytest.mark.parametrize(
    ("server_rtu", "client_framing", "expected"),
    [
        (False, Framing.TCP, ConnectionStatus.OK),
        (True, Framing.RTU_OVER_TCP, ConnectionStatus.OK),
        (True, Framing.TCP, ConnectionStatus.WRONG_FRAMING),
        (False, Framing.RTU_OVER_TCP, ConnectionStatus.WRONG_FRAMING),
    ],
)
async def test_connection_check_detects_framing(
    server_rtu: bool, client_framing: Framing, expected: ConnectionStatus
) -> None:
    async with FakeBus(building(), rtu=server_rtu) as fake:
        status = await check_connection(
            TcpEndpoint("127.0.0.1", fake.port, client_framing), timeout_s=0.3
        )
    assert status is expected


async def test_connection_check_timeout_when_nobody_answers() -> None:
    async with FakeBus({}) as fake:
        status = await check_connection(TcpEndpoint("127.0.0.1", fake.port), timeout_s=0.2)
    assert status is ConnectionStatus.TIMEOUT


async def test_rtu_over_tcp_poll() -> None:
    async with FakeBus(building(), rtu=True) as fake:
        endpoint = TcpEndpoint("127.0.0.1", fake.port, Framing.RTU_OVER_TCP)
        async with ModbusBus(endpoint, FAST) as bus:
            readings = await Poller(bus, [request(4, "chint_ddsu666")]).poll()
    assert readings[4].values["power"] == pytest.approx(450.0)


async def test_serial_client_over_pyserial_url() -> None:
    async with FakeBus(building(), rtu=True) as fake:
        endpoint = SerialEndpoint(f"socket://127.0.0.1:{fake.port}")
        async with ModbusBus(endpoint, FAST) as bus:
            readings = await Poller(bus, [request(2, "hiking_dds238_2_zn_sr")]).poll()
    assert readings[2].values["voltage"] == pytest.approx(229.8)
