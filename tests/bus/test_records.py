"""Prepaid meters' own logs (Eastron SDM320Y/SDM530Y recharge and relay records): the BCD
time decoder, record decoding, and the rare read against the add-on's simulator over TCP."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given, strategies as st
import pytest

from custom_components.prepaid_power.bus.client import BusSettings, ModbusBus, TcpEndpoint
from custom_components.prepaid_power.bus.decode import encode_value
from custom_components.prepaid_power.bus.planner import MeterRequest
from custom_components.prepaid_power.bus.poll import Poller
from custom_components.prepaid_power.bus.records import (
    RECORDS_READ,
    MeterRecord,
    decode_bcd_time,
    decode_log,
    encode_bcd_time,
    read_records,
)
from custom_components.prepaid_power.profiles import (
    DataType,
    RecordKind,
    RecordLog,
    WordOrder,
    load_profiles,
)

from .test_scan_quirks import PROFILES, _gateway

times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31, 23, 59, 59))


@given(times)
def test_bcd_time_round_trips(at: datetime) -> None:
    at = at.replace(microsecond=0)
    assert decode_bcd_time(encode_bcd_time(at)) == at


@given(st.lists(st.integers(0, 0xFFFF), min_size=3, max_size=3))
def test_any_words_decode_to_a_time_or_to_nothing(words: list[int]) -> None:
    """Garbage never raises; a time decoded re-encodes to the same words."""
    at = decode_bcd_time(words)
    if at is not None:
        assert encode_bcd_time(at) == words


@pytest.mark.parametrize(
    "words",
    [
        [0x0000, 0x0000, 0x0000],  # no record yet (month 0)
        [0x2613, 0x0100, 0x0000],  # month 13
        [0x2602, 0x3000, 0x0000],  # 30 February
        [0x260A, 0x0100, 0x0000],  # a nibble above 9
        [0x2603, 0x0124, 0x0000],  # hour 24
        [0x2603, 0x0100],  # too short
    ],
)
def test_impossible_times_are_no_record(words: list[int]) -> None:
    assert decode_bcd_time(words) is None


def test_a_log_decodes_newest_first_and_skips_empty_records() -> None:
    recharges = RecordLog(RecordKind.RECHARGE, 3, 0x050A, 10, 49)
    first = encode_value(12.5, DataType.FLOAT32, WordOrder.BIG) + encode_bcd_time(
        datetime(2026, 3, 4, 5, 6, 7)
    )
    empty = [0] * 5
    nan = [0x7FC0, 0, *encode_bcd_time(datetime(2026, 3, 1))]
    words = [*first, *[0] * 5, *empty, *[0] * 5, *nan, *[0] * 5, *first]
    records = decode_log(recharges, words)
    assert [r.amount for r in records] == [Decimal("12.50"), Decimal("12.50")]
    assert records[0].at == datetime(2026, 3, 4, 5, 6, 7)

    relays = RecordLog(RecordKind.RELAY, 3, 0x0700, 8, 50)
    at = encode_bcd_time(datetime(2026, 3, 4, 5, 6, 8))
    words = [0xFF00, *at, 0, 0, 0, 0, 0x0000, *at, 0, 0, 0, 0, 0x1234, *at]
    assert [(r.action, r.raw) for r in decode_log(relays, words)] == [
        ("relay_off", 0xFF00),
        ("relay_open", 0x0000),
        ("other", 0x1234),
    ]


def test_the_profiles_declare_the_manuals_logs() -> None:
    """Eastron's manuals: 49 recharges from 0x050A every 10 registers (to 0x06EA), 50 relay
    records from 0x0700 every 8 (to 0x0888); the rare read stays within one request."""
    for profile_id in ("eastron_sdm320y", "eastron_sdm530y"):
        logs = {log.kind: log for log in PROFILES[profile_id].records}
        recharge, relay = logs[RecordKind.RECHARGE], logs[RecordKind.RELAY]
        assert recharge.first + (recharge.count - 1) * recharge.step == 0x06EA
        assert relay.first + (relay.count - 1) * relay.step == 0x0888
        for log in (recharge, relay):
            assert log.span(RECORDS_READ)[1] <= 125
    # No other built-in profile claims a log.
    assert {p.id for p in load_profiles().profiles.values() if p.records} == {
        "eastron_sdm320y",
        "eastron_sdm530y",
    }


async def test_the_rare_read_over_tcp_and_not_in_the_poll() -> None:
    """The simulated SDM320Y's logs read over Modbus TCP: its records at start, then a new
    recharge and relay action in front; the poll plan never touches the logs."""
    meters = [{"model": "SDM320Y", "slave": 4, "serial": 32000004}]
    profile = PROFILES["eastron_sdm320y"]
    async with (
        _gateway(meters) as gw,
        ModbusBus(TcpEndpoint("127.0.0.1", gw.port), BusSettings(timeout_s=0.5)) as bus,
    ):
        found = await read_records(bus, 4, profile)
        assert [(r.amount, r.at.isoformat()) for r in found[RecordKind.RECHARGE]] == [
            (Decimal("50.00"), "2026-03-02T18:30:05"),
            (Decimal("20.00"), "2026-02-14T09:00:00"),
        ]
        assert [r.action for r in found[RecordKind.RELAY]] == ["relay_open", "relay_off"]

        meter = gw.simulator.meter(4)
        meter.log_recharge(33.3, datetime(2026, 3, 5, 7, 0, 0))
        meter.log_relay_action(0xFF00, datetime(2026, 3, 5, 7, 0, 1))
        found = await read_records(bus, 4, profile)
        newest = found[RecordKind.RECHARGE][0]
        assert newest == MeterRecord(
            RecordKind.RECHARGE,
            datetime(2026, 3, 5, 7, 0, 0),
            amount=Decimal("33.30"),
        )
        assert [r.amount for r in found[RecordKind.RECHARGE]] == [
            Decimal("33.30"),
            Decimal("50.00"),
            Decimal("20.00"),
        ]
        assert found[RecordKind.RELAY][0].as_dict() == {
            "kind": "relay",
            "at": "2026-03-05T07:00:01",
            "amount": None,
            "action": "relay_off",
            "raw": "0xFF00",
        }

        poller = Poller(bus, [MeterRequest(4, profile, frozenset(profile.keys))])
        logs = [(log.first, log.last) for log in profile.records]
        for transaction in poller.plan.transactions:
            last = transaction.address + transaction.count - 1
            assert all(last < first or transaction.address > end for first, end in logs)
