"""Constants for Prepaid Power."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "prepaid_power"
LOGGER = logging.getLogger(__package__)

CONF_FRAMING: Final = "framing"
FRAMING_TCP: Final = "tcp"
FRAMING_RTU_OVER_TCP: Final = "rtu_over_tcp"
FRAMINGS: Final = (FRAMING_TCP, FRAMING_RTU_OVER_TCP)

DEFAULT_PORT: Final = 502
CONNECT_TIMEOUT: Final = 3.0
