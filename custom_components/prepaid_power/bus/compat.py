"""The one place that knows pymodbus internals (supported: 3.8.3 through 3.16).

The range holds the pymodbus each supported HA line pins for its own `modbus` integration
(3.8.3 in HA 2025.4, 3.13.1 in 2026.10): HA installs one pymodbus for both integrations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
import inspect
import logging

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.client.base import ModbusBaseClient
from pymodbus.client.mixin import ModbusClientMixin
from pymodbus.exceptions import ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

type Client = AsyncModbusTcpClient | AsyncModbusSerialClient
type Trace = Callable[[bool, bytes], bytes]

# pymodbus closes a TCP connection after a few unanswered requests in a row; on a
# shared RS485 bus silent slaves are normal (scans, dead meters), so never do that.
_NEVER_DISCONNECT = 1_000_000
_PYMODBUS_TIMEOUT_MARGIN_S = 5.0
# pymodbus 3.10 renamed every request's `slave=` keyword to `device_id=`.
_DEVICE_KEYWORD = (
    "device_id"
    if "device_id" in inspect.signature(ModbusClientMixin.read_coils).parameters
    else "slave"
)


class _RoutineExceptionAnswers(logging.Filter):
    """pymodbus 3.8 logs an ERROR for every exception answer it decodes. Behind a gateway
    they are routine (0x0B: no meter at that id) and the bus reports them itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Exception response ")


logging.getLogger("pymodbus.logging").addFilter(_RoutineExceptionAnswers())


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
    _ignore_unasked_answers(client)
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
    _ignore_unasked_answers(client)
    return client


def _ignore_unasked_answers(client: ModbusBaseClient) -> None:
    """A frame nobody waits for (a late answer arriving in the same read as the awaited one,
    or after a cancelled request) goes to a future nobody awaits.

    pymodbus 3.8 sets every frame's answer on the one response future, so the second frame of
    one read raised InvalidStateError inside the transport's callback (into the event loop,
    closing the connection); 3.13 checks first. `_await_no_answer` covers the frames that come
    between requests; this covers those that come together with an answer.
    """
    ctx = client.ctx
    receive = ctx.callback_data

    def callback_data(data: bytes, addr: tuple[str, int] | None = None) -> int:
        if ctx.response_future.done():
            ctx.response_future = asyncio.get_running_loop().create_future()
        return receive(data, addr)

    ctx.callback_data = callback_data  # type: ignore[method-assign]


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
    finally:
        # Also after a cancellation (an unload while a request is on the wire) or an answer
        # already taken: any frame that still comes must find a future nobody awaits.
        _await_no_answer(client)


def _await_no_answer(client: ModbusBaseClient) -> None:
    """Give a late answer to the request we gave up on a future nobody awaits.

    pymodbus 3.8 sets the given-up request's cancelled (or already answered) future, and the
    InvalidStateError that raises closes the connection, or escapes into the event loop;
    3.13 logs a warning instead. Each request makes its own future, so this is safe.
    """
    if client.ctx.response_future.done():
        client.ctx.response_future = asyncio.get_running_loop().create_future()


async def _send(
    client: Client, function: int, slave_id: int, address: int, payload: int | Sequence[int]
) -> ModbusPDU:
    match function, payload:
        case 1, int(count):
            return await _call(client.read_coils, address, slave_id, count=count)
        case 2, int(count):
            return await _call(client.read_discrete_inputs, address, slave_id, count=count)
        case 3, int(count):
            return await _call(client.read_holding_registers, address, slave_id, count=count)
        case 4, int(count):
            return await _call(client.read_input_registers, address, slave_id, count=count)
        case 5, [value]:
            return await _call(client.write_coil, address, slave_id, value=bool(value))
        case 6, [value]:
            return await _call(client.write_register, address, slave_id, value=value)
        case 16, [*values]:
            return await _call(client.write_registers, address, slave_id, values=list(values))
    raise ValueError(f"unsupported request: function {function} with {payload!r}")


async def _call(
    method: Callable[..., Awaitable[ModbusPDU]], address: int, slave_id: int, **arguments: object
) -> ModbusPDU:
    return await method(address, **arguments, **{_DEVICE_KEYWORD: slave_id})
