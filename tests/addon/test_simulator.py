"""Simulated physics: energy from load profiles, relays that cut it, faults, time."""

from __future__ import annotations

import math
import time

import pytest

from prepaid_power_gateway import Gateway, Simulator, gateway_config, make_building
from prepaid_power_gateway.building import PROFILES
from prepaid_power_gateway.simulator import ReplyKind, profile_power

from .modbus_client import ModbusClient, ModbusError, u32

START = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def simulator(*meters: dict[str, object], boards: tuple[dict[str, object], ...] = ()) -> Simulator:
    return Simulator(make_building(list(meters), list(boards), start=START), time_scale=0)


def test_energy_integrates_power_and_stops_when_own_relay_opens() -> None:
    sim = simulator({"model": "DDS238-2 ZN/SR", "slave": 1, "load_w": 2000})
    meter = sim.meter(1)
    sim.clock.advance(1800)
    assert meter.energy_kwh == pytest.approx(1.0)
    meter.set_relay(False)
    assert meter.power_w == 0.0
    sim.clock.advance(3600)
    assert meter.energy_kwh == pytest.approx(1.0)
    meter.set_relay(True)
    sim.clock.advance(900)
    assert meter.energy_kwh == pytest.approx(1.5)


def test_relay_board_channel_cuts_its_room_only() -> None:
    sim = simulator(
        {"model": "SDM120", "slave": 1, "load_w": 1000, "supply": {"board": 9, "channel": 0}},
        {"model": "SDM120", "slave": 2, "load_w": 1000, "supply": {"board": 9, "channel": 1}},
        boards=({"slave": 9, "channels": 4},),
    )
    sim.clock.advance(3600)
    sim.board(9).set_channel(0, False)
    sim.clock.advance(3600)
    assert sim.meter(1).energy_kwh == pytest.approx(1.0)
    assert sim.meter(2).energy_kwh == pytest.approx(2.0)
    assert sim.meter(1).supply_on is False
    assert sim.meter(1).relay_on is None


def test_load_profile_is_reproducible_and_has_a_daily_rhythm() -> None:
    meters = [{"model": "SDM120", "slave": s, "profile": "studio", "seed": 7} for s in (1, 2)]
    sim = simulator(*meters, {"model": "SDM120", "slave": 3, "profile": "studio", "seed": 8})
    sim.clock.advance(86_400)
    day = [m.energy_kwh for m in sim.meters.values()]
    assert day[0] == day[1] != day[2]
    assert 1.0 < day[0] < 20.0  # a plausible studio day
    studio = PROFILES["studio"]
    night = [profile_power(studio, 7, slot) for slot in range(3 * 60, 5 * 60)]  # 03-05 h
    noon = [profile_power(studio, 7, slot) for slot in range(12 * 60, 14 * 60)]
    evening = [profile_power(studio, 7, slot) for slot in range(19 * 60, 21 * 60)]
    assert sum(evening) > sum(noon)
    assert len(set(night)) > 10  # appliances switch


def test_time_scale_runs_faster_than_real_time() -> None:
    sim = Simulator(
        make_building([{"model": "SDM120", "slave": 1, "load_w": 3600}]), time_scale=3600
    )
    before = sim.meter(1).energy_kwh
    time.sleep(0.05)
    after = sim.meter(1).energy_kwh
    assert after - before == pytest.approx(0.05 * 3600 * 3600 / 3_600_000, rel=0.5)


def test_counter_reset_fault_and_offline_windows() -> None:
    sim = simulator(
        {
            "model": "EM115",
            "slave": 1,
            "load_w": 1000,
            "energy_kwh": 500,
            "faults": {
                "counter_reset_at": [3600],
                "offline_windows": [{"start": 100, "duration": 50}],
            },
        }
    )
    meter = sim.meter(1)
    read = bytes([4, 0x01, 0x60, 0, 2])
    assert sim.handle(1, read).kind is ReplyKind.ANSWER
    sim.clock.advance(120)
    assert sim.handle(1, read).kind is ReplyKind.SILENT
    sim.clock.advance(60)
    assert sim.handle(1, read).kind is ReplyKind.ANSWER
    sim.clock.advance(7200 - 180)
    assert meter.energy_kwh == pytest.approx(1.0)  # replaced at 1 h, counted 1 h since
    meter.reset_counter()
    assert meter.energy_kwh == 0.0


def test_timeout_and_crc_rates() -> None:
    sim = simulator(
        {"model": "SDM120", "slave": 1, "seed": 3, "faults": {"timeout_rate": 0.3, "crc_rate": 0.2}}
    )
    kinds = [sim.handle(1, bytes([4, 0, 0, 0, 2])).kind for _ in range(2000)]
    silent = kinds.count(ReplyKind.SILENT) / 2000
    corrupt = kinds.count(ReplyKind.CORRUPT) / 2000
    assert 0.25 < silent < 0.35
    assert 0.11 < corrupt < 0.17  # 0.2 of the 0.7 that were not silent


def test_relay_that_ignores_commands() -> None:
    sim = simulator(
        {"model": "DDS238-2 ZN/SR", "slave": 1, "faults": {"relay_ignores_commands": True}}
    )
    reply = sim.handle(1, bytes([0x10, 0, 0x1A, 0, 1, 2, 0, 0]))
    assert reply.kind is ReplyKind.ANSWER
    assert sim.meter(1).relay_on is True
    assert sim.meter(1).relay_commands == 1


def test_wire_time_emulation_delay() -> None:
    from prepaid_power_gateway.simulator import WireTiming

    building = make_building([{"model": "SDM120", "slave": 1}])
    sim = Simulator(building, time_scale=0, wire=WireTiming(10 / 9600))
    reply = sim.handle(1, bytes([4, 0, 0, 0, 10]))  # 10 registers
    expected = (8 + 5 + 20 + 7) * 10 / 9600 + 0.020  # frames + 3.5-char gaps + SDM turnaround
    assert reply.delay == pytest.approx(expected)


async def test_energy_over_modbus_rises_then_stops_after_a_relay_command() -> None:
    building = make_building(
        [
            {"model": "DDS238-2 ZN/SR", "slave": 1, "load_w": 1200},
            {"model": "SDM120", "slave": 2, "load_w": 600, "supply": {"board": 20, "channel": 0}},
        ],
        [{"slave": 20, "channels": 2}],
    )
    config = gateway_config(building, time_scale=0, min_gap_ms=0, id_switch_gap_ms=0)
    async with Gateway(config) as gw, ModbusClient(gw.port) as client:
        assert gw.simulator is not None
        clock = gw.simulator.clock

        async def dds_kwh() -> float:
            return u32(await client.read(1, 3, 0x0000, 2)) / 100

        async def sdm_kwh() -> float:
            from .modbus_client import f32

            return f32(await client.read(2, 4, 0x0048, 2))

        first_dds, first_sdm = await dds_kwh(), await sdm_kwh()
        clock.advance(3600)
        second_dds, second_sdm = await dds_kwh(), await sdm_kwh()
        assert second_dds - first_dds == pytest.approx(1.2, abs=0.01)
        assert second_sdm - first_sdm == pytest.approx(0.6, abs=1e-3)
        await client.write_registers(1, 0x001A, [0])
        await client.write_coil(20, 0, False)
        clock.advance(3600)
        assert await dds_kwh() == second_dds
        assert await sdm_kwh() == second_sdm
        assert math.isclose(gw.simulator.meter(2).power_w, 0.0)
        with pytest.raises(ModbusError):
            await client.write_register(1, 0x001A, 1)  # function 06: silent


def test_meter_with_own_relay_on_a_board_channel_needs_both() -> None:
    sim = simulator(
        {"model": "EM115", "slave": 1, "load_w": 1000, "supply": {"board": 9, "channel": 0}},
        boards=({"slave": 9, "channels": 1},),
    )
    meter = sim.meter(1)
    assert meter.supply_on
    sim.board(9).set_channel(0, False)
    assert not meter.supply_on
    assert meter.relay_on is True
    sim.board(9).set_channel(0, True)
    meter.set_relay(False)
    assert not meter.supply_on
    assert meter.power_w == 0.0


def test_convenience_readings_and_model_aliases() -> None:
    sim = simulator({"model": "hiking_dds238_2_zn_sr", "slave": 1, "load_w": 460})
    meter = sim.meter(1)
    assert meter.model.name == "DDS238-2 ZN/SR"
    assert 228 <= meter.voltage_v <= 234
    assert meter.current_a == pytest.approx(460 / (meter.voltage_v * meter.power_factor))
    assert 49.9 < meter.frequency_hz < 50.1
