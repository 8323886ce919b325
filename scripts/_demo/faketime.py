"""A shifted wall clock for the demo's Home Assistant (Debian's `faketime`, libfaketime).

Billing cycles end at local midnight of a room's cycle start day, by HA's own clock. So the
landlord sees a month end within minutes, `scripts/demo --month-end` starts `hass` with its
wall clock set a few minutes before the next 1st of the month (in HA's time zone), ticking
at normal speed. Only `hass` gets the shifted clock; the gateway and its simulator keep
their own.

The clock is a constant offset (`FAKETIME="+<seconds>"`), not an absolute start time
(`FAKETIME="@…"`): an absolute time restarts in every process `hass` spawns and depends on
when the process started, while an offset gives every process the same clock and lets the
demo say exactly when (in real time) the month ends. The monotonic clock (asyncio's loop
clock) and file timestamps (`stat`: Python checks `.pyc` files against them) stay real.

`python -m _demo.faketime --install` (PYTHONPATH=scripts) installs faketime when missing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
import sys
from zoneinfo import ZoneInfo

from .apt import apt_install

LIBRARIES = (
    # The pthread-safe build: HA runs executor threads.
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    "/usr/lib/faketime/libfaketimeMT.so.1",
    "/usr/local/lib/faketime/libfaketimeMT.so.1",
)


class FaketimeError(RuntimeError):
    """libfaketime is missing and cannot be installed."""


def find_libfaketime() -> str | None:
    """Path of libfaketimeMT.so.1, if installed."""
    for path in LIBRARIES:
        if Path(path).is_file():
            return path
    return None


def ensure_libfaketime(within: float = 300) -> str:
    """libfaketime's path; installs Debian's `faketime` when missing and we are root."""
    if path := find_libfaketime():
        return path
    apt_install("faketime", "libfaketime", FaketimeError, within)
    if path := find_libfaketime():
        return path
    raise FaketimeError("faketime was installed but libfaketimeMT.so.1 is not where expected")


def next_month_end(now: datetime, time_zone: str) -> datetime:
    """The next local midnight of a 1st of the month after `now` (aware, in `time_zone`)."""
    local = now.astimezone(ZoneInfo(time_zone))
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 1, tzinfo=ZoneInfo(time_zone))


def month_end_offset(lead: timedelta, time_zone: str, now: datetime | None = None) -> int:
    """Seconds to add to the real clock so the month ends `lead` from now (whole seconds)."""
    now = now or datetime.now().astimezone()
    month_end = next_month_end(now, time_zone)
    return round((month_end - lead - now).total_seconds())


def faketime_env(library: str, offset: int) -> dict[str, str]:
    """Environment for a process whose wall clock runs `offset` seconds ahead."""
    return {
        "LD_PRELOAD": library,
        "FAKETIME": f"{offset:+d}",
        # asyncio's loop clock and thread timeouts use the monotonic clock: leave it real.
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        # File times stay real, or Python would find every .pyc stale and rewrite it.
        "NO_FAKE_STAT": "1",
    }


if __name__ == "__main__":
    if sys.argv[1:] == ["--install"]:
        try:
            print(ensure_libfaketime())
        except FaketimeError as err:
            print(err, file=sys.stderr)
            sys.exit(1)
    else:
        print(find_libfaketime() or "libfaketime is not installed")
