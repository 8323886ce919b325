"""Relay commands: write, read back, retry with backoff until confirmed or given up.

`confirm_switch` is the one retry loop of every actuator: a meter's relay or a board channel
(`switch_relay`) and an HA switch entity (the integration's `SwitchActuator`) each give it
one attempt (command, then read back) and it retries with backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..profiles.model import Profile, Relay  # noqa: TID252
from .client import ModbusBus, Priority
from .decode import decode_words
from .errors import BusError


@dataclass(frozen=True, slots=True)
class RelayResult:
    """Outcome of a relay command: confirmed means the read-back shows the wanted state."""

    confirmed: bool
    state: bool | None
    attempts: int
    error: str | None = None


def _relay(profile: Profile) -> Relay:
    if profile.relay is None:
        raise ValueError(f"{profile.id} has no relay")
    return profile.relay


def relay_state(relay: Relay, raw: int) -> bool | None:
    """On/off from the raw read-back word; None when it is neither."""
    if raw == relay.read.on:
        return True
    if raw == relay.read.off:
        return False
    return None


async def read_serial(bus: ModbusBus, slave_id: int, profile: Profile) -> int | None:
    """The meter's serial number, when the model has one."""
    spec = profile.serial
    if spec is None:
        return None
    words = await bus.read(
        slave_id, spec.function, spec.address, spec.count, priority=Priority.COMMAND
    )
    return int(decode_words(words, spec.data_type, spec.word_order))


async def read_relay(
    bus: ModbusBus, slave_id: int, profile: Profile, channel: int = 0
) -> bool | None:
    """Current relay state of a channel, read ahead of polling."""
    relay = _relay(profile)
    words = await bus.read(
        slave_id,
        relay.read.function,
        relay.read.address + channel,
        1,
        priority=Priority.COMMAND,
        pause_ms=profile.quirks.id_switch_pause_ms,
    )
    return relay_state(relay, words[0])


type Attempt = Callable[[], Awaitable[tuple[bool | None, str | None]]]
"""One try: send the command and read back; returns the state read (None: unknown) and
the error that stopped the try, if any."""


async def confirm_switch(
    attempt: Attempt, on: bool, *, attempts: int = 3, backoff_s: float = 0.5
) -> RelayResult:
    """Try until the read-back shows `on`, waiting `backoff_s`, then twice that, between
    tries; never raises for a device that does not answer (the try reports the error)."""
    state: bool | None = None
    error: str | None = None
    for number in range(1, attempts + 1):
        state, failure = await attempt()
        if state is on:
            return RelayResult(True, state, number)
        error = failure or f"read back {state}, wanted {on}"
        if number < attempts:
            await asyncio.sleep(backoff_s * 2 ** (number - 1))
    return RelayResult(False, state, attempts, error)


async def switch_relay(  # noqa: PLR0917
    bus: ModbusBus,
    slave_id: int,
    profile: Profile,
    on: bool,
    channel: int = 0,
    serial: int | None = None,
    *,
    attempts: int = 3,
    backoff_s: float = 0.5,
) -> RelayResult:
    """Switch a relay channel and confirm by reading it back; never raises for bus errors."""
    relay = _relay(profile)
    if not 0 <= channel < relay.channels:
        raise ValueError(f"{profile.id} has no relay channel {channel}")
    last: bool | None = None
    known_serial = serial

    async def attempt() -> tuple[bool | None, str | None]:
        nonlocal last, known_serial
        try:
            if relay.needs_serial and known_serial is None:
                known_serial = await read_serial(bus, slave_id, profile)
            await bus.write(
                slave_id,
                relay.write.function,
                relay.write.address + channel,
                relay.write_values(on, known_serial),
                priority=Priority.COMMAND,
                pause_ms=profile.quirks.id_switch_pause_ms,
            )
            # Most meters show the new state at once; one whose read-back lags the
            # contacts gets its settle time and a second look before the attempt counts.
            last = await read_relay(bus, slave_id, profile, channel)
            if last is not on and relay.settle_ms:
                await asyncio.sleep(relay.settle_ms / 1000.0)
                last = await read_relay(bus, slave_id, profile, channel)
        except BusError as err:
            # A failed try keeps the state read before it (None until one was read).
            return last, f"{type(err).__name__}: {err}"
        return last, None

    return await confirm_switch(attempt, on, attempts=attempts, backoff_s=backoff_s)
