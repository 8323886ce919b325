"""A meter's own logs (prepaid meters' recharge and relay records): decoding and the rare
read that fetches the newest records. Never part of the poll plan: one read per log, at
start and then every `RECORDS_INTERVAL`, queued behind the polls.

A record's time is BCD, one byte each of YY MM DD hh mm ss, in the meter's own clock (its
local time, no zone): kept as a naive datetime, never compared with HA's clock. An
impossible record (a nibble above 9, month 13, all zeros: no record yet) is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
import math
from typing import Final

from ..profiles.model import DataType, Profile, RecordKind, RecordLog  # noqa: TID252
from .client import ModbusBus, Priority
from .decode import decode_words

# How many of the newest records of each log are read (one read each: 4 x 10 words).
RECORDS_READ: Final = 4
RECORDS_INTERVAL: Final = timedelta(hours=1)
# The relay action words the manuals document, by the manuals' own words.
RELAY_ACTIONS: Final = {0xFF00: "relay_off", 0x0000: "relay_open"}
RELAY_ACTION_OTHER: Final = "other"
# A recharge amount is money in the meter's currency: kept to 2 decimals (a float32's
# digits beyond that are its own noise).
AMOUNT_QUANTUM: Final = Decimal("0.01")


def _bcd_byte(byte: int) -> int | None:
    high, low = byte >> 4, byte & 0x0F
    return None if high > 9 or low > 9 else high * 10 + low


def decode_bcd_time(words: Sequence[int]) -> datetime | None:
    """Three words of BCD YY MM DD hh mm ss as a (naive, meter-local) datetime; None for
    an impossible or empty one."""
    if len(words) != 3:
        return None
    digits = []
    for word in words:
        for byte in ((word >> 8) & 0xFF, word & 0xFF):
            value = _bcd_byte(byte)
            if value is None:
                return None
            digits.append(value)
    year, month, day, hour, minute, second = digits
    try:
        return datetime(2000 + year, month, day, hour, minute, second)  # noqa: DTZ001
    except ValueError:
        return None


def encode_bcd_time(at: datetime) -> list[int]:
    """The three words a meter holds for a time of 2000-2099 (the inverse of the decoder)."""
    if not 2000 <= at.year <= 2099:
        raise ValueError("a BCD year has two digits (2000-2099)")

    def bcd(value: int) -> int:
        return (value // 10) << 4 | value % 10

    pairs = (
        (at.year - 2000, at.month),
        (at.day, at.hour),
        (at.minute, at.second),
    )
    return [bcd(high) << 8 | bcd(low) for high, low in pairs]


@dataclass(frozen=True, slots=True)
class MeterRecord:
    """One record of a meter's log: when (the meter's clock), and what."""

    kind: RecordKind
    at: datetime
    # A recharge's amount (the meter's currency); a relay record's action and raw word.
    amount: Decimal | None = None
    action: str | None = None
    raw: int | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        """For diagnostics and entity attributes."""
        return {
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "amount": None if self.amount is None else str(self.amount),
            "action": self.action,
            "raw": None if self.raw is None else f"0x{self.raw:04X}",
        }


def decode_record(log: RecordLog, words: Sequence[int]) -> MeterRecord | None:
    """One record from its words (`log.kind.words` of them); None when there is none."""
    if len(words) != log.kind.words:
        return None
    if log.kind is RecordKind.RECHARGE:
        at = decode_bcd_time(words[2:5])
        amount = float(decode_words(words[0:2], DataType.FLOAT32, log.word_order))
        if at is None or not math.isfinite(amount) or amount < 0:
            return None
        return MeterRecord(log.kind, at, amount=Decimal(amount).quantize(AMOUNT_QUANTUM))
    at = decode_bcd_time(words[1:4])
    if at is None:
        return None
    raw = words[0] & 0xFFFF
    return MeterRecord(log.kind, at, action=RELAY_ACTIONS.get(raw, RELAY_ACTION_OTHER), raw=raw)


def decode_log(log: RecordLog, words: Sequence[int]) -> tuple[MeterRecord, ...]:
    """Every record found in one read from `log.first` (newest first, the empty left out)."""
    width = log.kind.words
    records = (
        decode_record(log, words[start : start + width])
        for start in range(0, len(words) - width + 1, log.step)
    )
    return tuple(record for record in records if record is not None)


async def read_records(
    bus: ModbusBus, slave_id: int, profile: Profile, records: int = RECORDS_READ
) -> dict[RecordKind, tuple[MeterRecord, ...]]:
    """The newest records of each of the meter's logs, one read per log, queued as a scan
    is (behind relay commands and polls). A log that fails to read raises (BusError)."""
    found: dict[RecordKind, tuple[MeterRecord, ...]] = {}
    for log in profile.records:
        address, count = log.span(records)
        words = await bus.read(slave_id, log.function, address, count, priority=Priority.SCAN)
        found[log.kind] = decode_log(log, words)
    return found
