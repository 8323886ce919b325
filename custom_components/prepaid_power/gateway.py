"""Translate a gateway entry's data and options into bus objects."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.const import CONF_HOST, CONF_PORT

from .bus.client import BusSettings, Endpoint, Framing, SerialEndpoint, TcpEndpoint
from .const import (
    CONF_BAUDRATE,
    CONF_BYTESIZE,
    CONF_CONNECTION,
    CONF_FRAMING,
    CONF_GAP_MS,
    CONF_PARITY,
    CONF_SERIAL_PORT,
    CONF_STOPBITS,
    CONF_TIMEOUT_MS,
    CONNECT_TIMEOUT,
    CONNECTION_SERIAL,
    DEFAULT_GAP_MS,
    DEFAULT_SERIAL_GAP_MS,
    DEFAULT_TIMEOUT_MS,
)


def endpoint_from_data(data: Mapping[str, Any]) -> Endpoint:
    """The Modbus endpoint an entry's data describes."""
    if data[CONF_CONNECTION] == CONNECTION_SERIAL:
        return SerialEndpoint(
            port=data[CONF_SERIAL_PORT],
            baudrate=data[CONF_BAUDRATE],
            bytesize=data[CONF_BYTESIZE],
            parity=data[CONF_PARITY],
            stopbits=data[CONF_STOPBITS],
        )
    return TcpEndpoint(
        host=data[CONF_HOST], port=data[CONF_PORT], framing=Framing(data[CONF_FRAMING])
    )


def bus_settings(data: Mapping[str, Any], options: Mapping[str, Any]) -> BusSettings:
    """Bus timing from an entry's options (serial buses default to a gap between frames)."""
    default_gap = (
        DEFAULT_SERIAL_GAP_MS if data[CONF_CONNECTION] == CONNECTION_SERIAL else DEFAULT_GAP_MS
    )
    return BusSettings(
        timeout_s=options.get(CONF_TIMEOUT_MS, DEFAULT_TIMEOUT_MS) / 1000,
        connect_timeout_s=CONNECT_TIMEOUT,
        inter_frame_gap_ms=options.get(CONF_GAP_MS, default_gap),
    )


def endpoint_title(data: Mapping[str, Any]) -> str:
    """A short name for the gateway: host:port or the serial port."""
    if data[CONF_CONNECTION] == CONNECTION_SERIAL:
        return str(data[CONF_SERIAL_PORT])
    return f"{data[CONF_HOST]}:{data[CONF_PORT]}"
