"""Relay commands: write, read back, retry with backoff until confirmed or given up."""

from __future__ import annotations

import asyncio
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
    state: bool | None = None
    error: str | None = None
    for attempt in range(1, attempts + 1):
        try:
            if relay.needs_serial and serial is None:
                serial = await read_serial(bus, slave_id, profile)
            await bus.write(
                slave_id,
                relay.write.function,
                relay.write.address + channel,
                relay.write_values(on, serial),
                priority=Priority.COMMAND,
                pause_ms=profile.quirks.id_switch_pause_ms,
            )
            # Most meters show the new state at once; one whose read-back lags the
            # contacts gets its settle time and a second look before the attempt counts.
            state = await read_relay(bus, slave_id, profile, channel)
            if state is not on and relay.settle_ms:
                await asyncio.sleep(relay.settle_ms / 1000.0)
                state = await read_relay(bus, slave_id, profile, channel)
        except BusError as err:
            error = f"{type(err).__name__}: {err}"
        else:
            if state is on:
                return RelayResult(True, state, attempt)
            error = f"read back {state}, wanted {on}"
        if attempt < attempts:
            await asyncio.sleep(backoff_s * 2 ** (attempt - 1))
    return RelayResult(False, state, attempts, error)
