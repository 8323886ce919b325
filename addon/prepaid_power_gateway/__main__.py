"""`python -m prepaid_power_gateway [--config FILE]`: run the gateway until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from pathlib import Path
import signal
import sys
import time

from .config import GatewayConfig, config_from_environment
from .discovery import SupervisorSettings
from .errors import ConfigError
from .gateway import VERSION, Gateway

_LOGGER = logging.getLogger("prepaid_power_gateway")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="prepaid_power_gateway",
        description="RS485 Modbus gateway with a building simulator (Home Assistant add-on).",
    )
    parser.add_argument(
        "--config",
        help="YAML options file, or a building file (default: /data/options.json under the Supervisor)",
    )
    parser.add_argument("--log-level", help="override the configured log level")
    return parser.parse_args(argv)


async def run(config: GatewayConfig, started: float) -> int:
    """Run until a signal asks to stop."""
    supervisor = SupervisorSettings.from_env()
    gateway = Gateway(config, supervisor=supervisor)
    try:
        await gateway.start()
    except OSError as err:
        _LOGGER.error("cannot listen: %s", err)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    where = (
        f"simulator '{config.building.name}'" if config.building else gateway.upstream.description
    )
    _LOGGER.info(
        "prepaid_power gateway %s ready in %.2f s: Modbus TCP on %s:%d, bus %s, status page on port %s%s",
        VERSION,
        time.monotonic() - started,
        config.listen_host,
        gateway.port,
        where,
        gateway.status_port,
        "" if supervisor else " (standalone: no Supervisor discovery)",
    )
    await stop.wait()
    _LOGGER.info("stopping")
    await gateway.stop()
    return 0


def _process_started() -> float:
    """Monotonic time the process started (Linux), so "ready in" includes the imports."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        age = uptime - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.monotonic()
    return time.monotonic() - max(age, 0.0)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (2 for a configuration error)."""
    started = _process_started()
    args = _parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        config = config_from_environment(args.config)
    except ConfigError as err:
        _LOGGER.error("config error: %s", " ".join(str(err).split()))
        return 2
    level = (args.log_level or config.log_level).upper()
    logging.getLogger().setLevel(level)
    return asyncio.run(run(config, started))


if __name__ == "__main__":
    sys.exit(main())
