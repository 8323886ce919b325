"""Profile tests are pure Python: no Home Assistant instance needed."""

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the HA fixture of the top-level conftest: these tests need no hass."""
