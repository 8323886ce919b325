"""The one place that knows pymodbus internals (supported: 3.11 through 3.16)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.client.base import ModbusBaseClient
from pymodbus.exceptions import ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

type Client = AsyncModbusTcpClient | AsyncModbusSerialClient
type Trace = Callable[[bool, bytes], bytes]

# pymodbus closes a TCP connection after a few unanswered requests in a row; on a
# shared RS485 bus silent slaves are normal (scans, dead meters), so never do that.
_NEVER_DISCONNECT = 1_000_000
_PYMODBUS_TIMEOUT_MARGIN_S = 5.0


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


def _set_pymodbus_timeout(client: ModbusBaseClient, timeout_s: float) -> None:
    # pymodbus only takes a timeout at construction; it lives in the comm params.
    client.ctx.comm_params.timeout_connect = timeout_s


async def request(
    client: Client,
    function: int,
    slave_id: int,
    address: int,
    payload: int | Sequence[int],
    *,
    timeout_s: float,
) -> ModbusPDU:
    """Send one request (payload: a count for reads, values for writes).

    The timeout is ours, not pymodbus': pymodbus logs an ERROR for every request it times
    out, which on an RS485 bus (scans, a dead meter) would flood the log. Raises
    TimeoutError when no answer came in time.
    """
    _set_pymodbus_timeout(client, timeout_s + _PYMODBUS_TIMEOUT_MARGIN_S)
    deadline = asyncio.timeout(timeout_s)
    try:
        async with deadline:
            return await _send(client, function, slave_id, address, payload)
    except ModbusIOException:
        # pymodbus < 3.12 turns the cancellation into "Request cancelled outside pymodbus".
        if deadline.expired():
            raise TimeoutError from None
        raise


async def _send(
    client: Client, function: int, slave_id: int, address: int, payload: int | Sequence[int]
) -> ModbusPDU:
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
