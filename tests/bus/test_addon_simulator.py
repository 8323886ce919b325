"""The bus layer against the add-on's building simulator (real TCP, the add-on's maps)."""

from __future__ import annotations

import logging

import pytest

from custom_components.prepaid_power.bus.client import BusSettings, ModbusBus, TcpEndpoint
from custom_components.prepaid_power.bus.planner import MeterRequest
from custom_components.prepaid_power.bus.poll import Poller
from custom_components.prepaid_power.bus.relay import switch_relay
from custom_components.prepaid_power.bus.scan import scan_bus
from custom_components.prepaid_power.profiles import load_profiles

gateway_module = pytest.importorskip("prepaid_power_gateway")

PROFILES = load_profiles().profiles
# The sample building (addon/buildings/sample.yaml): slave id -> profile id.
SAMPLE = {
    1: "hiking_dds238_2_zn_sr",
    2: "hiking_dds238_2_zn_sr",
    3: "hiking_dds238_2_zn_sr",
    4: "fineco_em115",
    5: "fineco_em115",
    6: "eastron_sdm120",
    7: "eastron_sdm120",
    8: "eastron_sdm230",
    9: "chint_ddsu666",
    10: "chint_ddsu666",
    11: "hiking_dds238_2_zn_s",
    12: "eastron_sdm630",
    100: "generic_relay_board",
}
SIM_KEYS = {"energy_import": "import_kwh", "power_factor": "pf"}


def _gateway() -> object:
    config = gateway_module.gateway_config(
        "sample", time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, request_timeout=0.05
    )
    return gateway_module.Gateway(config)


async def test_scan_sample_building_with_faulty_meter() -> None:
    async with _gateway() as gw:  # type: ignore[attr-defined]
        gw.simulator.meter(5).set_faults(timeout_rate=0.0)
        gw.simulator.meter(7).set_faults(crc_rate=1.0)  # faulty: every answer corrupt
        settings = BusSettings(timeout_s=0.5)
        async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port), settings) as bus:
            result = await scan_bus(bus, PROFILES.values(), [*range(1, 21), 100], timeout_s=0.5)
    found = {meter.slave_id: meter.profile_id for meter in result.meters}
    # 8 empty ids at one transaction each, at most seven per present device: a device is probed
    # at every model's own registers until one matches (another model's exception rules out
    # nothing, issue 17), so the cost grows with the number of model families (84 with 20
    # built-in profiles; 94 with 24, the EM111 and DDSY1352 added, and a match's named
    # look-alikes read too; a model whose checks read so far pass is confirmed first).
    assert result.transactions <= 8 + 7 * len(SAMPLE)
    expected = {sid: pid for sid, pid in SAMPLE.items() if sid != 7}
    assert found == expected
    serials = {meter.slave_id: meter.serial for meter in result.meters}
    assert serials[6] == 12000006
    assert serials[4] == 11500404


async def test_poll_sample_building_equals_simulator() -> None:
    async with _gateway() as gw:  # type: ignore[attr-defined]
        for sid in range(1, 13):
            gw.simulator.meter(sid).set_faults(timeout_rate=0.0)
        async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port), BusSettings(timeout_s=0.5)) as bus:
            meters = [
                MeterRequest(sid, PROFILES[pid], frozenset(PROFILES[pid].keys))
                for sid, pid in SAMPLE.items()
            ]
            poller = Poller(bus, meters)
            readings = await poller.poll()
            for sid in range(1, 13):
                truth = gw.simulator.meter(sid).quantities()
                reading = readings[sid]
                assert reading.complete, (sid, poller.health[sid].last_error)
                for key in ("voltage", "power", "energy_import", "power_factor", "frequency"):
                    if key not in reading.values:
                        continue
                    expected = truth[SIM_KEYS.get(key, key)]
                    # Integer registers are exact to their resolution (DDS238: 1 W).
                    resolution = max(PROFILES[SAMPLE[sid]].register(key).scale, 1e-3)
                    assert reading.values[key] == pytest.approx(
                        expected, rel=1e-6, abs=resolution
                    ), (
                        sid,
                        key,
                    )
            assert readings[100].complete
            # Cut room 1 through its own relay, and room 6 through the board's channel 0.
            assert (await switch_relay(bus, 1, PROFILES[SAMPLE[1]], on=False)).confirmed
            assert (
                await switch_relay(bus, 100, PROFILES[SAMPLE[100]], on=False, channel=0)
            ).confirmed
            assert (await switch_relay(bus, 4, PROFILES[SAMPLE[4]], on=False)).confirmed
            assert gw.simulator.meter(1).relay_on is False
            assert gw.simulator.meter(4).relay_on is False
            assert gw.simulator.meter(6).supply_on is False


async def test_scan_through_gateway_slower_than_our_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The add-on answers 0x0B after its own timeout (0.3 s), later than ours (0.1 s).

    On every supported pymodbus the late answers neither break the connection nor log.
    """
    caplog.set_level(logging.WARNING)
    config = gateway_module.gateway_config(
        "sample", time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, request_timeout=0.3
    )
    async with gateway_module.Gateway(config) as gw:
        gw.simulator.meter(5).set_faults(timeout_rate=0.0)
        async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port)) as bus:
            result = await scan_bus(bus, PROFILES.values(), [20, 6, 21, 22, 5, 100], timeout_s=0.1)
    assert [(m.slave_id, m.profile_id) for m in result.meters] == [
        (6, "eastron_sdm120"),
        (5, "fineco_em115"),
        (100, "generic_relay_board"),
    ]
    assert result.unidentified == ()
    assert bus.stats.connects == 1
    # asyncio's own slow-callback warnings (debug mode, a loaded machine) are not the bus's.
    assert [r.getMessage() for r in caplog.records if r.name != "asyncio"] == []


async def test_meter_offline_and_back_on_the_simulator() -> None:
    config = gateway_module.gateway_config(
        "sample", time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, request_timeout=0.1
    )
    async with gateway_module.Gateway(config) as gw:
        for sid in (6, 9):
            gw.simulator.meter(sid).set_faults(timeout_rate=0.0)
        async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port), BusSettings(timeout_s=0.5)) as bus:
            poller = Poller(
                bus,
                [MeterRequest(6, PROFILES[SAMPLE[6]]), MeterRequest(9, PROFILES[SAMPLE[9]])],
                unavailable_after=2,
                dead_probe_every=1,
            )
            assert all(r.available for r in (await poller.poll()).values())
            gw.simulator.meter(6).set_faults(offline=True)
            await poller.poll()
            readings = await poller.poll()
            assert not readings[6].available
            assert readings[9].available
            gw.simulator.meter(6).set_faults(offline=False)
            readings = await poller.poll()
            assert readings[6].available
            assert readings[6].values["power"] == pytest.approx(
                gw.simulator.meter(6).power_w, abs=0.01
            )
            diagnostics = poller.as_dict()
    assert diagnostics["meters"][6]["available"] is True  # type: ignore[index]
    assert bus.stats.slaves[6].timeouts == 2
