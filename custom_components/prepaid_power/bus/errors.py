"""The few errors the bus layer raises; every pymodbus error is mapped to one of them."""

from __future__ import annotations

# Gateway exception codes: the gateway answered, the meter behind it did not.
GATEWAY_PATH_UNAVAILABLE = 0x0A
GATEWAY_TARGET_FAILED = 0x0B
# Exception codes by which a meter refuses a read's extent (illegal data address / value):
# a merged read that gets one is split into smaller reads, which are tried on their own.
REFUSED_READ_CODES = frozenset({0x02, 0x03})


class BusError(Exception):
    """Base class of bus errors."""

    def __init__(self, message: str, slave_id: int | None = None) -> None:
        super().__init__(message)
        self.slave_id = slave_id


class BusConnectionError(BusError):
    """The gateway or serial port cannot be reached (refused, unreachable, missing port)."""


class BusTimeoutError(BusError):
    """No answer in time (also a gateway's 0x0A/0x0B: the meter behind it is silent)."""


class GatewayNoResponseError(BusTimeoutError):
    """A gateway answered 0x0A/0x0B: the link to the gateway works, the meter is silent."""


class BusFramingError(BusError):
    """Bytes came back but not a valid frame: wrong framing, CRC errors, garbage."""


class DeviceExceptionError(BusError):
    """The device answered with a Modbus exception: it is there but refused the request."""

    def __init__(self, code: int, slave_id: int | None = None) -> None:
        super().__init__(f"Modbus exception 0x{code:02X}", slave_id)
        self.code = code

    @property
    def refuses_extent(self) -> bool:
        """Whether the device refused the addresses read rather than the function."""
        return self.code in REFUSED_READ_CODES


class BusClosedError(BusError):
    """The bus client was closed while the request waited."""
