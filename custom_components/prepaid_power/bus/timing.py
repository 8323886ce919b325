"""Wire-time model of a Modbus RTU bus, used to plan reads and to report their cost."""

from __future__ import annotations

from dataclasses import dataclass
import math

from ..profiles.model import BIT_READ_FUNCTIONS  # noqa: TID252

REQUEST_BYTES = 8  # id, function, address (2), count (2), CRC (2)
RESPONSE_OVERHEAD_BYTES = 5  # id, function, byte count, CRC (2)
FRAME_GAP_CHARS = 3.5


@dataclass(frozen=True, slots=True)
class BusTiming:
    """Serial line parameters plus fixed per-request costs."""

    baud: int = 9600
    data_bits: int = 8
    parity: bool = False
    stop_bits: int = 1
    request_overhead_ms: float = 0.0

    @classmethod
    def for_serial(
        cls, baud: int, bytesize: int = 8, parity: str = "N", stopbits: int = 1
    ) -> BusTiming:
        """Timing of a serial line given as in the connection settings (parity N/E/O)."""
        return cls(baud=baud, data_bits=bytesize, parity=parity.upper() != "N", stop_bits=stopbits)

    @property
    def char_ms(self) -> float:
        """Milliseconds per character on the wire (start bit included)."""
        bits = 1 + self.data_bits + (1 if self.parity else 0) + self.stop_bits
        return bits * 1000.0 / self.baud

    def response_bytes(self, function: int, count: int) -> int:
        """Bytes of a read response carrying `count` registers or bits."""
        payload = math.ceil(count / 8) if function in BIT_READ_FUNCTIONS else 2 * count
        return RESPONSE_OVERHEAD_BYTES + payload

    def read_ms(self, function: int, count: int, turnaround_ms: float) -> float:
        """Wire time of one read: both frames, their 3.5-character gaps, the meter's turnaround."""
        chars = REQUEST_BYTES + self.response_bytes(function, count) + 2 * FRAME_GAP_CHARS
        return chars * self.char_ms + turnaround_ms + self.request_overhead_ms
