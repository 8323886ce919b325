"""Scan and poll against the add-on's simulator with real meters' quirks (issue #17)."""

from __future__ import annotations

from collections.abc import Mapping
import dataclasses
from typing import Any

import pytest

from custom_components.prepaid_power.bus.client import (
    BusSettings,
    Framing,
    ModbusBus,
    TcpEndpoint,
)
from custom_components.prepaid_power.bus.planner import MeterRequest
from custom_components.prepaid_power.bus.poll import Poller
from custom_components.prepaid_power.bus.scan import ScanResult, scan_bus
from custom_components.prepaid_power.profiles import load_profiles

gateway_module = pytest.importorskip("prepaid_power_gateway")
RtuOverTcpServer = pytest.importorskip("prepaid_power_gateway.simulator.rtu").RtuOverTcpServer

PROFILES = load_profiles().profiles
ZN_SR = "hiking_dds238_2_zn_sr"
# The ZN/SR's undocumented registers between frequency and relay, refused by some units.
REFUSED_GAP = {"function": 3, "start": 0x0016, "end": 0x0019}


def _gateway(meters: list[Mapping[str, Any]]) -> Any:
    building = {"name": "quirks", "meters": meters}
    config = gateway_module.gateway_config(
        building, time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, request_timeout=0.05
    )
    return gateway_module.Gateway(config)


async def _scan(gw: Any, ids: list[int]) -> ScanResult:
    async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port), BusSettings(timeout_s=0.5)) as bus:
        return await scan_bus(bus, PROFILES.values(), ids, timeout_s=0.2)


async def test_zero_answering_stranger_is_not_an_sdm630() -> None:
    """Model code 0 alone is no proof: an early SDM630 also has a serial and a voltage."""
    meters = [
        {"model": "zero stranger", "slave": 3, "serial": 0},
        {"model": "SDM630 early", "slave": 4, "serial": 63000004},
    ]
    async with _gateway(meters) as gw:
        result = await _scan(gw, [3, 4])
    assert [(m.slave_id, m.profile_id, m.serial) for m in result.meters] == [
        (4, "eastron_sdm630", 63000004)
    ]
    assert result.unidentified == (3,)


async def test_illegal_function_to_another_models_probe_hides_nothing() -> None:
    """A DDS238 answering 0x01 to the Eastron registers is still probed at its own 0x0015."""
    faults = {"outside_exception": 0x01}
    meters = [
        {"model": "DDS238-2 ZN/S", "slave": 1, "faults": faults},
        {"model": "DDS238-2 ZN/SR", "slave": 2, "faults": faults},
        {"model": "OR-WE-514", "slave": 5, "faults": faults},
    ]
    async with _gateway(meters) as gw:
        result = await _scan(gw, [1, 2, 5])
    assert [(m.slave_id, m.profile_id) for m in result.meters] == [
        (1, "hiking_dds238_2_zn_s"),
        (2, ZN_SR),
        (5, "orno_or_we_514"),
    ]


async def test_refused_block_read_is_split_at_scan_and_poll() -> None:
    """A ZN/SR refusing reads across 0x0016-0x0019 is identified and polled in smaller reads."""
    meters = [{"model": "DDS238-2 ZN/SR", "slave": 1, "faults": {"refused_reads": [REFUSED_GAP]}}]
    async with _gateway(meters) as gw:
        result = await _scan(gw, [1])
        [found] = result.meters
        assert found.profile_id == ZN_SR
        assert found.refused == ((3, 0x0015, 6),)
        meter = gw.simulator.meter(1)
        async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port), BusSettings(timeout_s=0.5)) as bus:
            # Learnt while polling: the first cycle splits the refused block read and retries.
            poller = Poller(bus, [MeterRequest(1, PROFILES[ZN_SR])])
            assert [(t.address, t.count) for t in poller.plan.transactions] == [(0x000A, 17)]
            reading = (await poller.poll())[1]
            assert reading.complete
            assert reading.relays["relay"] is True
            assert reading.values["energy_import"] == pytest.approx(meter.energy_kwh, abs=0.01)
            assert poller.refused(1) == {(3, 0x000A, 17)}
            split = [(t.address, t.count) for t in poller.plan.transactions]
            assert all(not (a <= 0x0019 and a + n > 0x0016) for a, n in split)
            # The split plan is kept: the next cycle makes exactly its reads, none refused.
            before = meter.requests
            assert (await poller.poll())[1].complete
            assert meter.requests - before == len(split)
            # Learnt at the scan: the first poll already avoids the refused read.
            learnt = MeterRequest(1, PROFILES[ZN_SR], refused=frozenset(found.refused))
            poller = Poller(bus, [learnt])
            assert all(t.count < 17 for t in poller.plan.transactions)
            before = meter.requests
            assert (await poller.poll())[1].complete
            assert meter.requests - before == len(poller.plan.transactions)
            diagnostics: Any = poller.as_dict()
            assert diagnostics["meters"][1]["refused_reads"] == [(3, 0x0015, 6)]


def _simulated_profile(model: str) -> str | None:
    """The profile whose id names a simulated model ("<manufacturer>_<model>"), if any.

    Of profiles for one simulated model (OR-WE-514 and its alias OR-WE-515), the first: the
    scan names the others as alternatives.
    """
    spec = gateway_module.models.find_model(model)
    for profile_id in PROFILES:
        if gateway_module.models.find_model(profile_id.replace("_", " ")) is spec:
            return profile_id
    return None


async def test_scan_tells_every_pair_of_simulated_models_apart() -> None:
    """Every simulated model on one bus: each is found as its own profile, a model without a
    profile stays unidentified, and the one pair that answers alike says so."""
    names = gateway_module.models.known_models()
    meters: list[dict[str, Any]] = [
        {"model": name, "slave": index, "serial": 1000 + index}
        for index, name in enumerate(names, start=1)
    ]
    # A ZN/SR whose relay is open answers like a ZN/S: the scan cannot tell, and says so.
    open_relay = len(names) + 1
    meters.append({"model": "DDS238-2 ZN/SR", "slave": open_relay, "relay_on": False})
    async with _gateway(meters) as gw:
        result = await _scan(gw, [m["slave"] for m in meters])
    found = {m.slave_id: m for m in result.meters}
    expected = {index: _simulated_profile(name) for index, name in enumerate(names, start=1)}
    expected[names.index("SDM630 early") + 1] = "eastron_sdm630"  # one profile, both firmwares
    expected[names.index("SDM72D-2") + 1] = "eastron_sdm72_v2"  # one profile, MID and not
    # No model code documented for Eastron's prepaid meters: an SDM530Y answers like an
    # SDM320Y, is found as one and offered as the alternative.
    prepaid_3p = names.index("SDM530Y") + 1
    expected[prepaid_3p] = "eastron_sdm320y"
    for slave, profile_id in expected.items():
        name = names[slave - 1]
        if profile_id is None:
            assert slave not in found, (name, found.get(slave))
            assert slave in result.unidentified, name
        else:
            assert found[slave].profile_id == profile_id, name
            # The models it cannot be told from are named (ZN/S and ZN/SR), no others.
            assert found[slave].alternatives == PROFILES[profile_id].alternatives, name
    # Every ordered pair of models with different profiles: A is never taken for B.
    for a, profile_a in expected.items():
        for b, profile_b in expected.items():
            if profile_b is not None and profile_a != profile_b:
                assert found.get(a) is None or found[a].profile_id != profile_b, (a, b)
    assert found[prepaid_3p].alternatives == ("eastron_sdm530y",)
    cannot = found[open_relay]
    assert cannot.profile_id == "hiking_dds238_2_zn_s"
    assert cannot.alternatives == (ZN_SR,)
    assert {"peacefair_pzem_004t", "chint_dtsu666"} <= {m.profile_id for m in result.meters}


@pytest.mark.parametrize(
    ("model", "profile_id", "reads", "keys"),
    [
        ("PZEM-004T", "peacefair_pzem_004t", 1, {"voltage": "voltage", "power": "power"}),
        ("DTSU666", "chint_dtsu666", 3, {"voltage_l1": "voltage_l1", "power": "power"}),
        ("SDM72D-M", "eastron_sdm72d_m", 3, {"power": "power", "energy_export": "export_kwh"}),
        (
            "SDM72D-M-2",
            "eastron_sdm72_v2",
            5,
            {"voltage_l3": "voltage_l3", "power_l2": "power_l2", "frequency": "frequency"},
        ),
        ("SDM72D-2", "eastron_sdm72_v2", 5, {"current_l1": "current_l1", "power": "power"}),
        ("OR-WE-504", "orno_or_we_504", 1, {"voltage": "voltage", "power_factor": "pf"}),
        (
            "OR-WE-516",
            "orno_or_we_516",
            2,
            {"voltage_l2": "voltage_l2", "power": "power", "power_l3": "power_l3"},
        ),
        ("OR-WE-525", "orno_or_we_525", 4, {"voltage": "voltage", "frequency": "frequency"}),
        ("7M.38", "finder_7m_24", 4, {"voltage": "voltage", "current": "current"}),
        # Low word first: 1234.5 W high word first would be 809,041,510 W.
        ("EM111", "carlo_gavazzi_em111", 2, {"voltage": "voltage", "frequency": "frequency"}),
        ("DDSY1352", "acrel_ddsy1352", 1, {"voltage": "voltage", "current": "current"}),
    ],
)
async def test_new_models_poll_the_simulators_values(
    model: str, profile_id: str, reads: int, keys: dict[str, str]
) -> None:
    """Word order and the meters' own scaling decode to the simulated quantities."""
    meters = [{"model": model, "slave": 9, "load_w": 1234.5, "energy_kwh": 4321.25}]
    async with _gateway(meters) as gw:
        profile = PROFILES[profile_id]
        async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port), BusSettings(timeout_s=0.5)) as bus:
            poller = Poller(bus, [MeterRequest(9, profile, frozenset(profile.keys))])
            assert len(poller.plan.transactions) == reads
            reading = (await poller.poll())[9]
        truth = gw.simulator.meter(9).quantities()
    assert reading.complete
    energy = reading.values.get("energy_import", reading.values.get("energy_total"))
    assert energy == pytest.approx(4321.25, abs=profile.register(profile.energy_key).scale)
    assert reading.values["power"] == pytest.approx(1234.5, abs=0.5)
    for key, quantity in keys.items():
        resolution = max(profile.register(key).scale, 1e-3)
        assert reading.values[key] == pytest.approx(truth[quantity], rel=1e-5, abs=resolution)


async def test_scan_the_dormitory_building() -> None:
    """The second shipped building (addon/buildings/dormitory.yaml) is found as configured."""
    config = gateway_module.gateway_config(
        "dormitory", time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, request_timeout=0.05
    )
    async with gateway_module.Gateway(config) as gw:
        result = await _scan(gw, [*range(1, 15), 100, 101])
    pzem, zn_sr = "peacefair_pzem_004t", ZN_SR
    assert {m.slave_id: m.profile_id for m in result.meters} == {
        **dict.fromkeys((1, 2, 3, 4, 5, 9), pzem),
        6: "eastron_sdm120",
        7: zn_sr,
        8: zn_sr,
        10: "chint_dtsu666",
        11: "orno_or_we_525",
        12: "finder_7m_24",
        13: "carlo_gavazzi_em111",
        14: "acrel_ddsy1352",
        100: "generic_relay_board",
        101: "generic_relay_board",
    }
    assert result.unidentified == ()


async def test_scan_the_apartments_building() -> None:
    """The third shipped building (addon/buildings/apartments.yaml, an 8E1 bus) is found as
    configured; the OR-WE-515 is found as the OR-WE-514 it cannot be told from, and says so."""
    config = gateway_module.gateway_config(
        "apartments", time_scale=0, min_gap_ms=0, id_switch_gap_ms=0, request_timeout=0.05
    )
    async with gateway_module.Gateway(config) as gw:
        result = await _scan(gw, [*range(1, 12), 100, 101])
    found = {m.slave_id: m for m in result.meters}
    assert {slave: m.profile_id for slave, m in found.items()} == {
        **dict.fromkeys((1, 2, 3), "eastron_sdm72_v2"),
        4: "eastron_sdm72d_m",
        5: "orno_or_we_516",
        6: "orno_or_we_516",
        7: "orno_or_we_514",
        8: "orno_or_we_514",
        9: "orno_or_we_504",
        10: "orno_or_we_504",
        100: "generic_relay_board",
        101: "generic_relay_board",
    }
    assert found[8].alternatives == ("orno_or_we_515",)
    assert found[1].serial == 72200001
    assert result.unidentified == ()


async def _scan_rtu_over_tcp(meters: list[Mapping[str, Any]], parity: str) -> ScanResult:
    """Scan a simulated bus with this serial framing behind an RS485-Ethernet converter in
    RTU-over-TCP mode (raw RTU frames, CRC and all)."""
    building = gateway_module.make_building(meters)
    building = dataclasses.replace(building, parity=parity)
    server = RtuOverTcpServer(gateway_module.Simulator(building, time_scale=0))
    await server.start()
    try:
        endpoint = TcpEndpoint("127.0.0.1", server.port, Framing.RTU_OVER_TCP)
        async with ModbusBus(endpoint, BusSettings(timeout_s=0.5)) as bus:
            return await scan_bus(bus, PROFILES.values(), [m["slave"] for m in meters], 0.2)
    finally:
        await server.close()


async def test_serial_framing_decides_who_answers() -> None:
    """An 8E1 meter (OR-WE-516) is silent on an 8N1 bus and found on an 8E1 one; a meter set
    to even parity in its menu (SDM72D-M) is found there; an 8N1 meter is not."""
    meters: list[Mapping[str, Any]] = [
        {"model": "OR-WE-516", "slave": 1},
        {"model": "SDM72D-M", "slave": 2, "parity": "E"},
        {"model": "SDM120", "slave": 3},
    ]
    even = await _scan_rtu_over_tcp(meters, "E")
    assert {m.slave_id: m.profile_id for m in even.meters} == {
        1: "orno_or_we_516",
        2: "eastron_sdm72d_m",
    }
    assert even.unidentified == ()  # slave 3 hears garbage: nobody there, not a stranger
    none = await _scan_rtu_over_tcp(meters, "N")
    assert {m.slave_id: m.profile_id for m in none.meters} == {3: "eastron_sdm120"}
    assert none.unidentified == ()


@pytest.mark.parametrize(
    ("model", "profile_id", "most"),
    [("PZEM-004T", "peacefair_pzem_004t", 9), ("SDM630", "eastron_sdm630", 2)],
)
async def test_scan_judges_each_check_as_soon_as_it_is_read(
    model: str, profile_id: str, most: int
) -> None:
    """A check that fails excludes its model without reading the model's other registers
    (a PZEM took 15 transactions before), and a model whose checks read so far all pass is
    confirmed next (an SDM630: its model code, then its voltage)."""
    async with _gateway([{"model": model, "slave": 7}]) as gw:
        result = await _scan(gw, [7])
    assert [m.profile_id for m in result.meters] == [profile_id]
    assert result.transactions <= most


async def test_prepaid_meter_reports_its_relay_fault_and_prices() -> None:
    """An SDM320Y's fault code (0xFBFE) is read every cycle into the reading's `fault`, its
    published prepaid values (unit price, alarm levels, emergency amount) decode."""
    meters = [{"model": "SDM320Y", "slave": 4, "serial": 32000004, "energy_kwh": 812.5}]
    async with _gateway(meters) as gw:
        profile = PROFILES["eastron_sdm320y"]
        meter = gw.simulator.meter(4)
        async with ModbusBus(TcpEndpoint("127.0.0.1", gw.port), BusSettings(timeout_s=0.5)) as bus:
            [found] = (await scan_bus(bus, PROFILES.values(), [4], 0.2)).meters
            assert (found.profile_id, found.serial) == ("eastron_sdm320y", 32000004)
            assert found.alternatives == ("eastron_sdm530y",)
            poller = Poller(bus, [MeterRequest(4, profile, frozenset(profile.keys))])
            reading = (await poller.poll())[4]
            assert reading.complete
            assert reading.fault is None
            assert reading.values["energy_total"] == pytest.approx(812.5)
            assert reading.values["unit_price"] == pytest.approx(0.6)
            assert reading.values["alarm_level_1"] == pytest.approx(10.0)
            assert reading.values["alarm_level_2"] == pytest.approx(5.0)
            assert reading.values["emergency_amount"] == pytest.approx(20.0)
            meter.set_faults(relay_cannot_open=True)
            assert (await poller.poll())[4].fault == "relay_cannot_open"
            # By default only the energy counter and the fault code are read.
            poller = Poller(bus, [MeterRequest(4, profile)])
            assert {i.key for t in poller.plan.transactions for i in t.items} == {
                "energy_total",
                "fault",
            }
            assert (await poller.poll())[4].fault == "relay_cannot_open"
            meter.set_faults(relay_cannot_open=False)
            assert (await poller.poll())[4].fault is None


async def test_ddsy1352_and_the_dds238_it_cannot_be_told_from() -> None:
    """An Acrel DDSY1352 publishes no slave-id or model register: found as one, it offers the
    DDS238 and OR-WE-504 answering the same block. A DDS238 whose import counter's low word
    (0x000B) looks like a DDSY1352 voltage is still found as the DDS238 its own 0x0015 proves."""
    meters = [
        {"model": "DDSY1352", "slave": 5, "energy_kwh": 640.25},
        {"model": "DDS238-2 ZN/S", "slave": 6, "energy_kwh": 23.0},  # 0x000B = 2300
        {"model": "OR-WE-504", "slave": 7},
    ]
    async with _gateway(meters) as gw:
        result = await _scan(gw, [5, 6, 7])
    found = {m.slave_id: m for m in result.meters}
    assert {slave: m.profile_id for slave, m in found.items()} == {
        5: "acrel_ddsy1352",
        6: "hiking_dds238_2_zn_s",
        7: "orno_or_we_504",
    }
    assert found[5].alternatives == ("hiking_dds238_2_zn_s", "orno_or_we_504")
    assert found[6].alternatives == (ZN_SR,)


async def test_em111_word_order_decides_identification() -> None:
    """The EM111 is identified by its low-word-first voltage and frequency; a meter giving
    the same registers high word first is no EM111 (its voltage would be 150,732,800 V)."""
    meters = [
        {"model": "EM111", "slave": 2, "load_w": 0.0},
        {"model": "EM112", "slave": 3},
    ]
    async with _gateway(meters) as gw:
        result = await _scan(gw, [2, 3])
    assert [(m.slave_id, m.profile_id) for m in result.meters] == [
        (2, "carlo_gavazzi_em111"),
        (3, "carlo_gavazzi_em111"),
    ]
    profile = PROFILES["carlo_gavazzi_em111"]
    voltage = next(c for c in profile.identify if c.address == 0x0000)
    assert voltage.passes(2300, 2, 0)
    assert not voltage.passes(2300 << 16, 2, 0)
