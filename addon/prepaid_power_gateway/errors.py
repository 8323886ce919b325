"""Errors shared across the gateway."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import voluptuous as vol


def format_path(where: str, path: Sequence[Any]) -> str:
    """`building` + ['meters', 3, 'model'] -> `building.meters[3].model`."""
    text = where
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text = f"{text}.{part}" if text else str(part)
    return text


class ConfigError(Exception):
    """Invalid configuration; `field` names the offending option."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    @classmethod
    def from_invalid(cls, err: vol.Invalid, where: str = "") -> ConfigError:
        """From a voluptuous error, keeping the path of the first problem."""
        first = err.errors[0] if isinstance(err, vol.MultipleInvalid) else err
        message = first.msg
        if message == "extra keys not allowed":
            message = "unknown option"
        elif message == "required key not provided":
            message = "required option missing"
        return cls(
            format_path(where, [str(p) if not isinstance(p, int) else p for p in first.path]),
            message,
        )


class BusError(Exception):
    """The upstream bus could not carry a transaction."""


class BusTimeoutError(BusError):
    """No (complete) answer within the request timeout."""


class BusCrcError(BusError):
    """An answer arrived with a bad CRC or a malformed frame."""


class BusUnavailableError(BusError):
    """The upstream connection is down."""
