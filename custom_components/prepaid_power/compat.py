"""The one place where the supported Home Assistant lines differ.

HA 2026 validates with ``probatio`` (API-compatible with voluptuous); HA 2025.4 with
``voluptuous``. Schemas handed to HA (flows, actions) must be built with the library HA uses.
Parent devices are linked by device id on HA 2026, by identifier on 2025.4. HA 2026 moved
``BinarySensorDeviceClass`` to the platform's ``const`` module and ``StaticPathConfig`` to
``http.server``. Before HA 2026.9 the REST API
answered a ``ServiceValidationError`` with HTTP 500 and a logged traceback (see
`InputRefused`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, cast

from homeassistant.const import MAJOR_VERSION, MINOR_VERSION
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.device_registry import DeviceInfo

if TYPE_CHECKING:
    # Each supported HA line has its own Python: type-check against what that line ships.
    if sys.version_info >= (3, 14):
        from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
        from homeassistant.components.http.server import StaticPathConfig
        from homeassistant.components.repairs.models import RepairsFlowResult
        import probatio as vol
    else:
        from homeassistant.components.binary_sensor import BinarySensorDeviceClass
        from homeassistant.components.http import StaticPathConfig
        from homeassistant.data_entry_flow import FlowResult as RepairsFlowResult
        import voluptuous as vol
else:
    # Only an annotation: HA 2026 narrowed the repair flows' result type.
    # HA 2026 moved the class to .const and still re-exports it from the package.
    from homeassistant.components.binary_sensor import BinarySensorDeviceClass

    # HA 2026 moved it to .server and still re-exports it from the package.
    from homeassistant.components.http import StaticPathConfig
    from homeassistant.data_entry_flow import FlowResult as RepairsFlowResult

    try:
        import probatio as vol
    except ImportError:
        import voluptuous as vol

# HA 2026 links a device to its parent by device id (``via_device`` is deprecated there);
# HA 2025.4 only knows the parent's identifier.
VIA_DEVICE_ID = "via_device_id" in DeviceInfo.__annotations__


def with_parent(info: DeviceInfo, parent_id: str, parent_identifier: tuple[str, str]) -> DeviceInfo:
    """Device info linked to its parent device, in the way this HA line expects."""
    linked: dict[str, Any] = dict(info)
    if VIA_DEVICE_ID:
        linked["via_device_id"] = parent_id
    else:
        linked["via_device"] = parent_identifier
    return cast(DeviceInfo, linked)


# HA 2026.9 answers a ServiceValidationError over REST with 400 and its message; earlier lines
# only knew invalid data (schema errors) and let every other error become a 500 with a
# logged traceback.
REST_KNOWS_VALIDATION_ERRORS = (MAJOR_VERSION, MINOR_VERSION) >= (2026, 9)


class _RestValidationError(ServiceValidationError, vol.Invalid):  # type: ignore[misc,unused-ignore]
    """A translated refusal that is also invalid data, so REST answers 400 (HA < 2026.9)."""

    def __str__(self) -> str:
        """The translated message (not voluptuous' path)."""
        return ServiceValidationError.__str__(self)


# Bad input: a translated refusal (HTTP 400 over REST on every supported line).
InputRefused: type[ServiceValidationError] = (
    ServiceValidationError if REST_KNOWS_VALIDATION_ERRORS else _RestValidationError
)

__all__ = [
    "VIA_DEVICE_ID",
    "BinarySensorDeviceClass",
    "InputRefused",
    "RepairsFlowResult",
    "StaticPathConfig",
    "vol",
    "with_parent",
]
