"""The control core is pure Python: no Home Assistant instance per test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the HA-wide autouse fixture: these tests never start Home Assistant."""


@pytest.fixture(autouse=True)
def loopback_sockets() -> None:
    """Override the HA-wide autouse fixture: these tests open no sockets."""
