"""`python -m prepaid_power_gateway.simulator`: serve a simulated building as RTU slaves.

On a real serial port (an RS485 adapter wired to the gateway's bus), on a new pty pair
(prints the port to open), or as an RS485-Ethernet gateway in RTU-over-TCP mode.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

import serial

from prepaid_power_gateway.building import resolve_building
from prepaid_power_gateway.errors import ConfigError
from prepaid_power_gateway.modbus import char_time
from prepaid_power_gateway.simulator import Simulator, WireTiming
from prepaid_power_gateway.simulator.rtu import PtySimulator, RtuOverTcpServer, RtuSlaveServer

_LOGGER = logging.getLogger("prepaid_power_gateway.simulator")


async def _serve(args: argparse.Namespace, simulator: Simulator, seconds: float) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if args.tcp_port is not None:
        tcp = RtuOverTcpServer(simulator, seconds)
        await tcp.start(args.host, args.tcp_port)
        _LOGGER.info("RTU over TCP on %s:%d", args.host, tcp.port)
        await stop.wait()
        await tcp.close()
    elif args.port:
        port = serial.Serial(args.port, args.baudrate, parity=args.parity, timeout=0)
        server = RtuSlaveServer(simulator, port.fileno(), seconds)
        await server.start()
        _LOGGER.info("answering RTU on %s", args.port)
        await stop.wait()
        await server.close()
        port.close()
    else:
        async with PtySimulator(simulator, seconds) as pty:
            _LOGGER.info("answering RTU on pty %s", pty.port)
            print(pty.port, flush=True)  # noqa: T201 - scripts read the port from stdout
            await stop.wait()


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="prepaid_power_gateway.simulator")
    parser.add_argument("--building", default="sample", help="shipped name or path")
    parser.add_argument("--port", help="serial port to answer on (default: a new pty)")
    parser.add_argument("--tcp-port", type=int, help="serve RTU over TCP on this port instead")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--baudrate", type=int, default=9600)
    parser.add_argument("--parity", default="N", choices=["N", "E", "O"])
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--wire-time", action="store_true", help="delay answers by wire time")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        building = resolve_building(args.building)
    except ConfigError as err:
        _LOGGER.error("config error: %s", " ".join(str(err).split()))
        return 2
    seconds = char_time(args.baudrate, 8, args.parity, 1)
    wire = WireTiming(seconds) if args.wire_time else None
    simulator = Simulator(building, args.time_scale, wire)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args, simulator, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
