"""Add-on packaging: config.yaml is consistent with its schema, the code, the docs and the image."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
import sys
from typing import Any

import pytest
import yaml

from prepaid_power_gateway import VERSION
from prepaid_power_gateway.config import load_addon_options

ADDON = Path(__file__).resolve().parents[2] / "addon"
CONFIG: dict[str, Any] = yaml.safe_load((ADDON / "config.yaml").read_text())
SCHEMA: dict[str, str] = CONFIG["schema"]


def check_value(schema: str, value: Any) -> None:
    """The Supervisor's option types (the subset this add-on uses)."""
    if match := re.fullmatch(r"(int|float)(?:\(([\d.]*),([\d.]*)\))?", schema):
        kind, low, high = match.groups()
        assert isinstance(value, (int, float))
        assert not isinstance(value, bool)
        if kind == "int":
            assert isinstance(value, int)
        if low:
            assert value >= float(low)
        if high:
            assert value <= float(high)
    elif schema == "bool":
        assert isinstance(value, bool)
    elif schema == "str":
        assert isinstance(value, str)
    elif schema == "port":
        assert isinstance(value, int)
        assert 1 <= value <= 65535
    elif match := re.fullmatch(r"list\(([^)]*)\)", schema):
        assert str(value) in match.group(1).split("|")
    elif schema.startswith("device("):
        assert isinstance(value, str)
        assert value.startswith("/dev/")
    else:
        pytest.fail(f"unknown schema type {schema}")


def test_metadata() -> None:
    assert CONFIG["slug"] == "prepaid_power_gateway"
    assert CONFIG["version"] == VERSION
    assert set(CONFIG["arch"]) == {"aarch64", "amd64"}
    assert CONFIG["uart"] is True
    assert CONFIG["ingress"] is True
    assert CONFIG["ingress_port"] == 8099
    assert CONFIG["discovery"] == ["prepaid_power"]
    assert CONFIG["hassio_api"] is True
    assert CONFIG["init"] is False
    assert CONFIG["ports"] == {"502/tcp": None}  # no host mapping unless the user sets one
    for key in ("name", "description", "url"):
        assert CONFIG[key]


def test_default_options_validate_against_the_schema() -> None:
    options = CONFIG["options"]
    assert set(options) <= set(SCHEMA)
    for key, schema in SCHEMA.items():
        if key not in options:
            assert schema.endswith("?"), f"{key} needs a default or must be optional"
            continue
        check_value(schema.rstrip("?"), options[key])


def test_default_options_run_the_simulator(tmp_path: Path) -> None:
    path = tmp_path / "options.json"
    path.write_text(json.dumps(CONFIG["options"]))
    config = load_addon_options(path)
    assert config.simulate
    assert config.building is not None
    assert config.building.name == "Sample house"
    assert config.listen_port == 502
    assert config.status_port == CONFIG["ingress_port"]
    assert config.baudrate == 9600


def test_every_option_is_documented() -> None:
    translations = yaml.safe_load((ADDON / "translations" / "en.yaml").read_text())
    docs = (ADDON / "DOCS.md").read_text()
    for key in SCHEMA:
        assert translations["configuration"][key]["name"], key
        assert translations["configuration"][key]["description"], key
        assert f"`{key}`" in docs, key
    assert set(translations["configuration"]) == set(SCHEMA)
    assert set(translations["network"]) == set(CONFIG["ports"])


def test_image_recipe() -> None:
    dockerfile = (ADDON / "Dockerfile").read_text()
    assert re.search(r"^ARG BUILD_FROM", dockerfile, re.MULTILINE)
    assert "FROM $BUILD_FROM" in dockerfile
    assert "pip3 install --no-cache-dir -r requirements.txt" in dockerfile
    assert "COPY prepaid_power_gateway/" in dockerfile
    assert "COPY buildings/" in dockerfile
    assert 'CMD ["python3", "-m", "prepaid_power_gateway"]' in dockerfile
    build = yaml.safe_load((ADDON / "build.yaml").read_text())
    assert set(build["build_from"]) == set(CONFIG["arch"])
    assert (ADDON / "apparmor.txt").read_text().count("profile prepaid_power_gateway") == 1
    for name in ("README.md", "CHANGELOG.md"):
        assert (ADDON / name).read_text().strip()
    assert f"## {VERSION}" in (ADDON / "CHANGELOG.md").read_text()


def test_requirements_are_pinned_and_cover_the_imports() -> None:
    pins = {}
    for line in (ADDON / "requirements.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        assert version, f"unpinned: {line}"
        pins[name.lower()] = version
    distributions = {
        "aiohttp": "aiohttp",
        "jinja2": "jinja2",
        "yaml": "pyyaml",
        "serial": "pyserial",
        "voluptuous": "voluptuous",
    }
    imported: set[str] = set()
    for path in (ADDON / "prepaid_power_gateway").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"prepaid_power_gateway"}
    assert third_party == set(distributions), (
        "the gateway must not import anything else (e.g. custom_components)"
    )
    assert {distributions[module] for module in third_party} == set(pins)
