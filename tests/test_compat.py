"""Tests for the shim between the supported Home Assistant lines."""

from __future__ import annotations

import importlib.util

from homeassistant.helpers import config_validation as cv
import pytest

from custom_components.prepaid_power.compat import vol


def test_schema_library_is_the_one_home_assistant_uses() -> None:
    """Schemas we build are of the same library as HA's own validators."""
    expected = "probatio" if importlib.util.find_spec("probatio") else "voluptuous"
    assert vol.__name__ == expected
    schema = vol.Schema({vol.Required("room"): cv.string})
    assert schema({"room": "R1"}) == {"room": "R1"}
    with pytest.raises(vol.Invalid, match="room"):
        schema({})
