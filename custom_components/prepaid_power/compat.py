"""The one place where the supported Home Assistant lines differ.

HA 2026 validates with ``probatio`` (API-compatible with voluptuous); HA 2025.4 with
``voluptuous``. Schemas handed to HA (flows, actions) must be built with the library HA uses.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Each supported HA line has its own Python: type-check against the library it ships.
    if sys.version_info >= (3, 14):
        import probatio as vol
    else:
        import voluptuous as vol
else:
    try:
        import probatio as vol
    except ImportError:
        import voluptuous as vol

__all__ = ["vol"]
