"""`python -m _demo` (run by `scripts/demo`): the demo on a simulated building, until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import datetime, timedelta
from pathlib import Path
import secrets
import signal
import sys
import time
from zoneinfo import ZoneInfo

import aiohttp

from .client import HassClient, SimulatorClient
from .faketime import FaketimeError, ensure_libfaketime, month_end_offset, next_month_end
from .scenario import Login, bring_up, wait_ready, wait_running
from .stack import ROOT, TIME_ZONE, Stack, StackConfig, frontend_installed, port_free

DEFAULT_WORKDIR = ROOT / "demo-config"
DEFAULT_TIME_SCALE = 10.0
DEFAULT_MONTH_END_MINUTES = 5.0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/demo",
        description="Prepaid Power on a simulated building in a real Home Assistant.",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=DEFAULT_TIME_SCALE,
        help=f"simulated seconds per real second (default {DEFAULT_TIME_SCALE:g}); billing "
        "holds readings as suspect when a room seems to draw more than its meter could "
        "(~18 kW x 1.5 in real time), so keep a room's load x scale below ~27 kW",
    )
    parser.add_argument(
        "--port", type=int, default=8123, help="Home Assistant's port (default 8123)"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help=f"throw-away folder (default {DEFAULT_WORKDIR.relative_to(ROOT)}/)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="continue with the existing config folder"
    )
    parser.add_argument(
        "--month-end",
        type=float,
        nargs="?",
        const=DEFAULT_MONTH_END_MINUTES,
        default=None,
        metavar="MINUTES",
        help="start Home Assistant with its clock MINUTES (default "
        f"{DEFAULT_MONTH_END_MINUTES:g}) before the end of the month ({TIME_ZONE}), ticking "
        "at normal speed, to watch the month end: statements and new allowances "
        "(libfaketime; installs Debian's faketime when missing, as root); set-up takes "
        "about a minute, so leave more than that",
    )
    parser.add_argument(
        "--setup-only",
        action="store_true",
        help="stop once the demo is set up (prints the timings; for checks)",
    )
    return parser.parse_args(argv)


def _say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


async def _serve(args: argparse.Namespace, stop: asyncio.Event) -> int:
    config = StackConfig(workdir=args.workdir.resolve(), time_scale=args.time_scale)
    config.frontend = frontend_installed(config.python)
    if not config.frontend:
        _say("home-assistant-frontend is not installed: no web UI (the APIs still work)")
    previous = Stack.load_state(config) if args.keep else None
    keep = previous is not None and (config.config_dir / ".storage").is_dir()
    if args.keep and not keep:
        _say(f"nothing to keep in {config.workdir}: starting fresh")
    if keep and previous is not None:
        config.ha_port = previous["ha_port"]
        config.modbus_port = previous["modbus_port"]  # the config entry stores it
        config.status_port = previous["status_port"]
    else:
        config.ha_port = args.port if port_free(args.port) else 0
        if not config.ha_port:
            _say(f"port {args.port} is taken: Home Assistant gets a free one")
    month_end: datetime | None = None  # when the month ends, in real time
    if keep and previous is not None and previous.get("clock_offset"):
        # HA's stored data is in its shifted time: keep the clock it had.
        config.clock_offset = int(previous["clock_offset"])
        if args.month_end is not None:
            _say("--month-end is ignored with --keep: Home Assistant keeps its clock")
    elif args.month_end is not None and not keep:
        config.clock_offset = month_end_offset(timedelta(minutes=args.month_end), TIME_ZONE)
    if config.clock_offset:
        try:
            config.faketime_library = ensure_libfaketime()
        except FaketimeError as err:
            _say(str(err))
            return 1
        real_now = datetime.now().astimezone()
        ha_now = real_now + timedelta(seconds=config.clock_offset)
        month_end = next_month_end(ha_now, TIME_ZONE) - timedelta(seconds=config.clock_offset)
        _say(
            f"Home Assistant's clock: {ha_now.astimezone(month_end.tzinfo):%Y-%m-%d %H:%M:%S} "
            f"({TIME_ZONE}); the month ends {_when(month_end)}"
        )
    stack = Stack(config)
    stack.prepare(fresh=not keep)
    started = time.monotonic()
    stack.start()
    _say(
        f"gateway (pid {stack.gateway.pid if stack.gateway else '?'}) and Home Assistant "
        f"(pid {stack.hass.pid if stack.hass else '?'}) starting; logs in {config.workdir}"
    )
    try:
        async with aiohttp.ClientSession() as session:
            if keep and previous is not None:
                await wait_ready(session, stack, onboarded=True)
                landlord = Login(**previous["landlord"])
                tenant = Login(**previous["tenant"])
                client = HassClient(session, stack.ha_url)
                await client.login(landlord.username, landlord.password)
                async with await client.websocket() as ws:
                    await wait_running(ws)
                timings = {"demo_ready_s": time.monotonic() - started}
                notes: list[str] = []
                tenant_path = previous.get("tenant_path", "/prepaid-tenant")
            else:
                landlord = Login("Landlord", "landlord", secrets.token_urlsafe(9))
                tenant = Login("Tenant", "tenant", secrets.token_urlsafe(9))
                setup = asyncio.create_task(bring_up(session, stack, landlord, tenant, log=_say))
                waiter = asyncio.create_task(stop.wait())
                await asyncio.wait({setup, waiter}, return_when=asyncio.FIRST_COMPLETED)
                if not setup.done():
                    setup.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await setup
                    return 130
                waiter.cancel()
                demo = setup.result()
                timings, notes = demo.timings, demo.notes
                tenant_path = demo.tenant_path
                stack.save_state(
                    {
                        "landlord": landlord.__dict__,
                        "tenant": tenant.__dict__,
                        "tenant_path": tenant_path,
                        "clock_offset": config.clock_offset,
                    }
                )
        for note in notes:
            _say(f"not yet: {note}")
        print(
            "\n"
            f"  Prepaid Power demo: {stack.ha_url}\n"
            f"    landlord (admin): {landlord.username} / {landlord.password}\n"
            f"    tenant:           {tenant.username} / {tenant.password}\n"
            f"    landlord's view:  {stack.ha_url}/prepaid-landlord\n"
            f"    tenant's view:    {stack.ha_url}{tenant_path}\n"
            f"  Simulated building: {stack.status_url}/ (time x{config.time_scale:g})\n"
            f"{_month_end_banner(config, month_end)}"
            f"  Ready in {timings.get('demo_ready_s', 0):.1f} s. Ctrl-C stops everything; "
            "`scripts/demo --keep` continues.\n",
            flush=True,
        )
        if args.setup_only:
            for key, value in timings.items():
                print(f"  {key}: {value:.1f}")
            return 0
        while not stop.is_set():
            stack.check_running()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
        return 0
    except Exception as err:
        _say(f"demo failed: {err}")
        for child in (stack.gateway, stack.hass):
            if child is not None:
                print(f"--- {child.name} ({child.log_path}):\n{child.tail(30)}", file=sys.stderr)
        return 1
    finally:
        _say("stopping Home Assistant and the gateway")
        stopping = time.monotonic()
        await _save_simulation(stack)
        await asyncio.get_running_loop().run_in_executor(None, stack.stop)
        _say(f"stopped in {time.monotonic() - stopping:.1f} s")


def _when(moment: datetime) -> str:
    """'at 14:48:53 UTC real time (in 4.3 min)', with the date when it is not within the hour."""
    left = (moment - datetime.now().astimezone()).total_seconds()
    if left < 3600:
        return f"at {moment.astimezone():%H:%M:%S %Z} real time (in {left / 60:.1f} min)"
    return f"at {moment.astimezone():%Y-%m-%d %H:%M %Z} real time (in {left / 86400:.1f} days)"


def _month_end_banner(config: StackConfig, month_end: datetime | None) -> str:
    """The banner's lines about Home Assistant's shifted clock, if it has one."""
    if not config.clock_offset:
        return ""
    ha_now = datetime.now().astimezone() + timedelta(seconds=config.clock_offset)
    line = f"  Home Assistant's clock: {ha_now.astimezone(ZoneInfo(TIME_ZONE)):%Y-%m-%d %H:%M} "
    now = datetime.now().astimezone()
    if month_end is None or not now < month_end < now + timedelta(hours=1):
        return line + f"({TIME_ZONE}, shifted by libfaketime)\n"
    return (
        line + f"({TIME_ZONE}, libfaketime)\n"
        f"  MONTH END {_when(month_end)}; 30 s later every tenancy's\n"
        "    statement (event prepaid_power_statement_ready: Developer tools > Events) and\n"
        "    the new cycle (Room 1: its 5 kWh allowance again).\n"
    )


async def _save_simulation(stack: Stack) -> None:
    """Keep the simulated counters and clock for `--keep` (best effort)."""
    if stack.gateway is None or not stack.gateway.running():
        return
    try:
        async with aiohttp.ClientSession() as session:
            snapshot = await SimulatorClient(session, stack).snapshot()
        stack.save_simulation(snapshot)
    except (aiohttp.ClientError, TimeoutError, OSError, KeyError) as err:
        _say(f"could not save the simulated building: {err!r}")


async def _main(argv: list[str] | None) -> int:
    args = _parse(argv)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    return await _serve(args, stop)


if __name__ == "__main__":
    sys.exit(asyncio.run(_main(sys.argv[1:])))
