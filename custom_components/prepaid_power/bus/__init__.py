"""Bus layer: read planner, decoding, the prioritised transaction queue, polling, scan.

Pure Python (no Home Assistant). Imports of the sibling `profiles` package are relative on
purpose (``# noqa: TID252``): the core must not name the integration's top-level package.
"""

from .client import (
    BusSettings,
    BusStats,
    Endpoint,
    Framing,
    ModbusBus,
    Priority,
    SerialEndpoint,
    SlaveStats,
    TcpEndpoint,
)
from .decode import decode_register, decode_words, encode_register, encode_value, plausible
from .errors import (
    BusClosedError,
    BusConnectionError,
    BusError,
    BusFramingError,
    BusTimeoutError,
    DeviceExceptionError,
    GatewayNoResponseError,
)
from .planner import MeterRequest, Plan, ReadItem, Transaction, one_read_per_value, plan_reads
from .poll import MeterHealth, MeterReading, Poller
from .relay import RelayResult, read_relay, read_serial, switch_relay
from .scan import (
    ConnectionStatus,
    FoundMeter,
    ScanResult,
    check_connection,
    model_corrections,
    scan_bus,
)
from .timing import BusTiming

__all__ = [
    "BusClosedError",
    "BusConnectionError",
    "BusError",
    "BusFramingError",
    "BusSettings",
    "BusStats",
    "BusTimeoutError",
    "BusTiming",
    "ConnectionStatus",
    "DeviceExceptionError",
    "Endpoint",
    "FoundMeter",
    "Framing",
    "GatewayNoResponseError",
    "MeterHealth",
    "MeterReading",
    "MeterRequest",
    "ModbusBus",
    "Plan",
    "Poller",
    "Priority",
    "ReadItem",
    "RelayResult",
    "ScanResult",
    "SerialEndpoint",
    "SlaveStats",
    "TcpEndpoint",
    "Transaction",
    "check_connection",
    "decode_register",
    "decode_words",
    "encode_register",
    "encode_value",
    "model_corrections",
    "one_read_per_value",
    "plan_reads",
    "plausible",
    "read_relay",
    "read_serial",
    "scan_bus",
    "switch_relay",
]
