"""The repository as HACS and Home Assistant install it: every check that runs offline.

HACS's validation (hacs/action) also checks things only GitHub knows — the repository's
description, topics, issues being enabled, not archived, a published release — see the
README's "Releases" section for those.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import tomllib
from typing import Any

import pytest
import voluptuous as vol

from .images import png_size

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / "prepaid_power"
MANIFEST: dict[str, Any] = json.loads((INTEGRATION / "manifest.json").read_text())

# hacs.json as HACS reads it (hacs/utils/validate.py): unknown keys are refused.
HACS_JSON = vol.Schema(
    {
        vol.Required("name"): vol.All(str, vol.Length(min=1)),
        vol.Optional("content_in_root"): bool,
        vol.Optional("country"): vol.Any(str, [str]),
        vol.Optional("filename"): str,
        vol.Optional("hacs"): str,
        vol.Optional("hide_default_branch"): bool,
        vol.Optional("homeassistant"): str,
        vol.Optional("persistent_directory"): str,
        vol.Optional("render_readme"): bool,
        vol.Optional("zip_release"): bool,
    }
)
# A custom integration's manifest as HACS and HA's loader require it.
MANIFEST_SCHEMA = vol.Schema(
    {
        vol.Required("domain"): "prepaid_power",
        vol.Required("name"): str,
        vol.Required("codeowners"): [vol.Match(r"^@[\w-]+$")],
        vol.Required("documentation"): vol.Url(),
        vol.Required("issue_tracker"): vol.Url(),
        vol.Required("version"): vol.Match(r"^\d+\.\d+\.\d+$"),
        vol.Required("config_flow"): True,
        vol.Required("iot_class"): vol.In(["local_polling", "local_push"]),
        vol.Required("integration_type"): "hub",
        vol.Required("requirements"): [str],
        vol.Optional("dependencies"): [str],
        vol.Optional("after_dependencies"): [str],
        vol.Optional("loggers"): [str],
    }
)


def test_hacs_json() -> None:
    hacs = HACS_JSON(json.loads((ROOT / "hacs.json").read_text()))
    assert hacs["homeassistant"] == "2025.4.0"  # the oldest line the tests run on
    assert hacs["render_readme"] is True


def test_one_integration_with_a_valid_manifest() -> None:
    assert [p.name for p in (ROOT / "custom_components").iterdir() if p.is_dir()] == [
        "prepaid_power"
    ]
    manifest = MANIFEST_SCHEMA(MANIFEST)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert manifest["version"] == version


def test_licence_matches_the_project() -> None:
    licence = (ROOT / "LICENSE").read_text()
    assert "Apache License" in licence
    assert "Version 2.0, January 2004" in licence
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == {"text": "Apache-2.0"}


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("icon.png", lambda w, h: (w, h) == (256, 256)),
        ("icon@2x.png", lambda w, h: (w, h) == (512, 512)),
        ("logo.png", lambda w, h: 128 <= min(w, h) <= 256 and w >= h),
        ("logo@2x.png", lambda w, h: 256 <= min(w, h) <= 512 and w >= h),
        ("dark_logo.png", lambda w, h: 128 <= min(w, h) <= 256 and w >= h),
        ("dark_logo@2x.png", lambda w, h: 256 <= min(w, h) <= 512 and w >= h),
    ],
)
def test_brand_images_follow_the_brands_rules(name: str, check: Any) -> None:
    """HA >= 2026.3 serves these from the integration folder; sizes as home-assistant/brands
    requires (icons square 256/512, logos landscape with the shortest side 128-256/256-512)."""
    assert check(*png_size(INTEGRATION / "brand" / name)), png_size(INTEGRATION / "brand" / name)


def test_every_release_has_a_changelog_entry() -> None:
    """A release is a version bump plus its CHANGELOG entry (README: Releases)."""
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## {re.escape(MANIFEST['version'])}\b", changelog, re.MULTILINE)
