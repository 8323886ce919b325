"""Add-on packaging: config.yaml is consistent with its schema, the code, the docs and the image."""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
import sys
from typing import Any

import pytest
import voluptuous as vol
import yaml

from prepaid_power_gateway import VERSION
from prepaid_power_gateway.config import load_addon_options
from tests.images import png_size

from .supervisor_rules import (
    ADDON_CONFIG,
    ADDON_TRANSLATIONS,
    REPOSITORY_CONFIG,
    validate_options,
)

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addon"
CONFIG: dict[str, Any] = yaml.safe_load((ADDON / "config.yaml").read_text())
SCHEMA: dict[str, Any] = CONFIG["schema"]


def test_config_passes_the_supervisor_rules() -> None:
    config = ADDON_CONFIG(CONFIG)
    validate_options(SCHEMA, CONFIG["options"])
    assert config["map"] == ["app_config:ro"]


def test_repository_passes_the_supervisor_rules() -> None:
    repository = REPOSITORY_CONFIG(yaml.safe_load((ROOT / "repository.yaml").read_text()))
    assert repository["url"] == CONFIG["url"]
    # The Supervisor finds add-ons as <folder>/config.yaml one level below repository.yaml.
    assert (ROOT / "addon" / "config.yaml").is_file()


def test_translations_pass_the_supervisor_rules() -> None:
    names = sorted(path.name for path in (ADDON / "translations").iterdir())
    assert names == ["en.yaml", "zh-Hans.yaml"]
    english = ADDON_TRANSLATIONS(yaml.safe_load((ADDON / "translations" / "en.yaml").read_text()))
    for name in names:
        translation = ADDON_TRANSLATIONS(
            yaml.safe_load((ADDON / "translations" / name).read_text())
        )
        assert set(translation["configuration"]) == set(SCHEMA), name
        assert set(translation["network"]) == set(english["network"]), name


BROKEN_CONFIGS = [
    pytest.param({"slug": "prepaid power"}, id="slug-with-space"),
    pytest.param({"arch": ["armv7"]}, id="deprecated-arch"),
    pytest.param({"map": ["addon_config:ro"]}, id="legacy-map"),
    pytest.param({"watchdog": "http://localhost:502"}, id="watchdog-without-host"),
    pytest.param({"ports": {"502": 70000}}, id="port-out-of-range"),
    pytest.param({"startup": "before"}, id="unknown-startup"),
    pytest.param({"schema": {**SCHEMA, "tcp_port": "port(1,2)"}}, id="unknown-schema-type"),
    pytest.param({"build_from": {"amd64": "x"}}, id="key-the-supervisor-drops"),
    pytest.param({"version": None}, id="no-version"),
]


@pytest.mark.parametrize("change", BROKEN_CONFIGS)
def test_a_broken_config_fails_the_rules(change: dict[str, Any]) -> None:
    with pytest.raises(vol.Invalid):
        ADDON_CONFIG({**CONFIG, **change})


@pytest.mark.parametrize(
    ("options", "schema"),
    [
        pytest.param({**CONFIG["options"], "parity": "X"}, SCHEMA, id="value-not-in-list"),
        pytest.param({**CONFIG["options"], "min_gap_ms": 10001}, SCHEMA, id="above-range"),
        pytest.param({**CONFIG["options"], "typo": 1}, SCHEMA, id="unknown-option"),
        pytest.param(
            {k: v for k, v in CONFIG["options"].items() if k != "log_level"},
            SCHEMA,
            id="required-option-missing",
        ),
        pytest.param({**CONFIG["options"], "allowed_clients": "10.0.0.9"}, SCHEMA, id="not-a-list"),
    ],
)
def test_broken_options_fail_the_rules(options: dict[str, Any], schema: dict[str, Any]) -> None:
    with pytest.raises(vol.Invalid):
        validate_options(schema, options)


@pytest.mark.parametrize(
    "repository",
    [{}, {"name": ""}, {"name": "Prepaid Power", "url": "not a url"}],
    ids=["no-name", "empty-name", "bad-url"],
)
def test_a_broken_repository_file_fails_the_rules(repository: dict[str, Any]) -> None:
    with pytest.raises(vol.Invalid):
        REPOSITORY_CONFIG(repository)


def test_default_options_wait_for_a_serial_port(tmp_path: Path) -> None:
    """A fresh install is not a simulated building: it waits for the landlord's bus."""
    path = tmp_path / "options.json"
    path.write_text(json.dumps(CONFIG["options"]))
    config = load_addon_options(path)
    assert (config.simulate, config.building, config.upstream) == (False, None, None)
    assert config.bus_missing is not None
    assert config.bus_missing.startswith("no serial port chosen: choose the RS485 adapter")
    assert "turn on simulate to try the simulator" in config.bus_missing
    path.write_text(json.dumps({**CONFIG["options"], "upstream": "tcp"}))
    missing = load_addon_options(path).bus_missing
    assert missing is not None
    assert missing.startswith("no TCP gateway chosen")
    path.write_text(json.dumps({**CONFIG["options"], "serial_port": "/dev/null"}))
    assert load_addon_options(path).bus_missing is None


def test_the_simulator_is_one_option_away(tmp_path: Path) -> None:
    path = tmp_path / "options.json"
    path.write_text(json.dumps({**CONFIG["options"], "simulate": True}))
    config = load_addon_options(path)
    assert config.simulate
    assert config.building is not None
    assert config.building.name == "Sample house"
    assert config.listen_port == 502
    assert config.status_port == CONFIG["ingress_port"]
    assert config.baudrate == 9600
    assert config.allowed_clients == ()
    assert config.bus_missing is None
    path.write_text(
        json.dumps({**CONFIG["options"], "simulate": True, "allowed_clients": ["10.0.0.9"]})
    )
    assert load_addon_options(path).allowed_clients == ("10.0.0.9/32",)


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
    # No build.yaml: the base image is a build argument of the Dockerfile, one multi-arch
    # image of a tag Home Assistant publishes (Python 3.14 on Alpine 3.22).
    assert not (ADDON / "build.yaml").exists()
    assert re.search(
        r"^ARG BUILD_FROM=ghcr\.io/home-assistant/base-python:3\.14-alpine3\.22$",
        dockerfile,
        re.MULTILINE,
    )
    assert 'org.opencontainers.image.licenses="Apache-2.0"' in dockerfile
    assert "pip3 install --no-cache-dir -r requirements.txt" in dockerfile
    assert "COPY prepaid_power_gateway/" in dockerfile
    assert "COPY buildings/" in dockerfile
    assert 'CMD ["python3", "-m", "prepaid_power_gateway"]' in dockerfile
    for image, size in (("icon.png", (128, 128)), ("logo.png", (250, 100))):
        assert png_size(ADDON / image) == size, image
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
