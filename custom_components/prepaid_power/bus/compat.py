"""The one place that knows pymodbus internals (supported: 3.11 through 3.16)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.client.base import ModbusBaseClient
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

type Client = AsyncModbusTcpClient | AsyncModbusSerialClient
type Trace = Callable[[bool, bytes], bytes]

# pymodbus closes a TCP connection after a few unanswered requests in a row; on a
# shared RS485 bus silent slaves are normal (scans, dead meters), so never do that.
_NEVER_DISCONNECT = 1_000_000


def tcp_client(
    host: str, port: int, *, rtu_framing: bool, timeout_s: float, trace: Trace
) -> Client:
    """A TCP client without pymodbus retries or automatic reconnects (we own both)."""
    client = AsyncModbusTcpClient(
        host,
        port=port,
        framer=FramerType.RTU if rtu_framing else FramerType.SOCKET,
        timeout=timeout_s,
        retries=0,
        reconnect_delay=0,
        trace_packet=trace,
    )
    client.set_max_no_responses(_NEVER_DISCONNECT)
    return client


def serial_client(
    port: str,
    *,
    baudrate: int,
    bytesize: int,
    parity: str,
    stopbits: int,
    timeout_s: float,
    trace: Trace,
) -> Client:
    """An RTU serial client (a device path or any pyserial URL such as socket://)."""
    client = AsyncModbusSerialClient(
        port,
        framer=FramerType.RTU,
        baudrate=baudrate,
        bytesize=bytesize,
        parity=parity,
        stopbits=stopbits,
        timeout=timeout_s,
        retries=0,
        reconnect_delay=0,
        trace_packet=trace,
    )
    client.set_max_no_responses(_NEVER_DISCONNECT)
    return client


def set_timeout(client: ModbusBaseClient, timeout_s: float) -> None:
    """Per-request timeout: pymodbus only takes one at construction."""
    client.ctx.comm_params.timeout_connect = timeout_s


async def request(
    client: Client, function: int, slave_id: int, address: int, payload: int | Sequence[int]
) -> ModbusPDU:
    """Send one request: payload is a count for reads, values for writes."""
    match function, payload:
        case 1, int(count):
            return await client.read_coils(address, count=count, device_id=slave_id)
        case 2, int(count):
            return await client.read_discrete_inputs(address, count=count, device_id=slave_id)
        case 3, int(count):
            return await client.read_holding_registers(address, count=count, device_id=slave_id)
        case 4, int(count):
            return await client.read_input_registers(address, count=count, device_id=slave_id)
        case 5, [value]:
            return await client.write_coil(address, bool(value), device_id=slave_id)
        case 6, [value]:
            return await client.write_register(address, value, device_id=slave_id)
        case 16, [*values]:
            return await client.write_registers(address, list(values), device_id=slave_id)
    raise ValueError(f"unsupported request: function {function} with {payload!r}")
