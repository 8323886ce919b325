"""Configuration: bad settings stop the process with one clear line naming the field."""

from __future__ import annotations

import json
import os
from pathlib import Path
import subprocess
import sys

import pytest
import yaml

from prepaid_power_gateway import ConfigError, load_config
from prepaid_power_gateway.config import load_addon_options, parse_config

ADDON = Path(__file__).resolve().parents[2] / "addon"


def run_gateway(config: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "SUPERVISOR_TOKEN"}
    environment.update(env, PYTHONPATH=str(ADDON))
    return subprocess.run(
        [sys.executable, "-m", "prepaid_power_gateway", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
        env=environment,
        check=False,
    )


SAMPLE_METERS = [
    {"model": "SDM120", "slave": 1},
    {"model": "DDS238-2 ZN/SR", "slave": 2},
    {"model": "EM115", "slave": 3},
    {"model": "SDM999", "slave": 4},
]

BAD_CONFIGS = [
    pytest.param(
        {"simulate": True, "building": {"meters": SAMPLE_METERS}},
        "building.meters[3].model: unknown model 'SDM999' (known: 7M.24, DDS238-2 ZN/S",
        id="unknown-model",
    ),
    pytest.param(
        {
            "simulate": True,
            "building": {
                "meters": [{"model": "SDM120", "slave": 5}, {"model": "EM115", "slave": 5}]
            },
        },
        "building.meters[1].slave: duplicate slave id 5 (also building.meters[0])",
        id="duplicate-slave-id",
    ),
    pytest.param(
        {
            "simulate": True,
            "building": {
                "meters": [{"model": "SDM120", "slave": 100}],
                "relay_boards": [{"slave": 100}],
            },
        },
        "building.meters[0].slave: duplicate slave id 100 (also building.relay_boards[0])",
        id="meter-and-board-share-an-id",
    ),
    pytest.param(
        {"simulate": False, "upstream": {"serial": {"port": "/dev/ttyPREPAID9"}}},
        "upstream.serial.port: serial port '/dev/ttyPREPAID9' does not exist",
        id="missing-serial-port",
    ),
    pytest.param(
        {"simulate": False, "upstream": {"serial": {"port": "/dev/null", "baudrate": 9601}}},
        "upstream.serial.baudrate: bad baud rate 9601 (allowed: 1200, 2400",
        id="bad-baud",
    ),
    pytest.param(
        {"simulate": False, "upstream": {"serial": {"port": "/dev/null", "parity": "X"}}},
        "upstream.serial.parity: must be N, E or O",
        id="bad-parity",
    ),
    pytest.param({"simulate": False}, "upstream: simulate is false", id="no-upstream"),
    pytest.param(
        {"simulate": False, "upstream": {"tcp": {"host": "gw", "framing": "ascii"}}},
        "upstream.tcp.framing: must be tcp or rtu_over_tcp",
        id="bad-framing",
    ),
    pytest.param({"listen_port": 70000}, "listen_port: must be a TCP port 0-65535", id="bad-port"),
    pytest.param({"buildin": "sample"}, "buildin: unknown option", id="typo"),
    pytest.param(
        {"simulate": True, "building": "castle"},
        "building: no building file 'castle' (shipped: apartments, dormitory, sample",
        id="no-building",
    ),
    pytest.param(
        {
            "simulate": True,
            "building": {
                "meters": [{"model": "SDM120", "slave": 1, "supply": {"board": 7, "channel": 0}}]
            },
        },
        "building.meters[0].supply.board: no relay board with slave id 7",
        id="unknown-board",
    ),
    pytest.param(
        {
            "simulate": True,
            "building": {
                "meters": [{"model": "SDM120", "slave": 1, "supply": {"board": 7, "channel": 8}}],
                "relay_boards": [{"slave": 7, "channels": 8}],
            },
        },
        "building.meters[0].supply.channel: board 7 has channels 0-7",
        id="bad-channel",
    ),
    pytest.param(
        {"simulate": True, "building": {"meters": [{"model": "SDM120", "slave": 0}]}},
        "building.meters[0].slave: must be a slave id 1-247",
        id="bad-slave-id",
    ),
]


@pytest.mark.parametrize(("config", "message"), BAD_CONFIGS)
def test_bad_configuration_exits_with_one_line(
    tmp_path: Path, config: dict[str, object], message: str
) -> None:
    path = tmp_path / "gateway.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_gateway(path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "ERROR" in lines[0]
    assert f"config error: {message}" in lines[0]


def test_bad_addon_options_name_the_option(tmp_path: Path) -> None:
    options = tmp_path / "options.json"
    options.write_text(
        json.dumps(
            {
                "simulate": False,
                "upstream": "serial",
                "serial_port": "/dev/ttyNOPE1",
                "baudrate": 9600,
            }
        )
    )
    result = subprocess.run(
        [sys.executable, "-m", "prepaid_power_gateway"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": str(ADDON), "PREPAID_POWER_OPTIONS": str(options)},
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip().splitlines()[0]]
    assert "config error: serial_port: serial port '/dev/ttyNOPE1' does not exist" in result.stderr


def test_addon_options_map_to_the_gateway_config(tmp_path: Path) -> None:
    options = tmp_path / "options.json"
    options.write_text(
        json.dumps(
            {
                "simulate": False,
                "upstream": "tcp",
                "serial_port": "",
                "baudrate": 9600,
                "parity": "E",
                "tcp_host": "10.0.0.7",
                "tcp_port": 8899,
                "tcp_framing": "rtu_over_tcp",
                "request_timeout": 0.5,
                "log_level": "debug",
            }
        )
    )
    config = load_addon_options(options)
    assert config.upstream is not None
    assert (config.upstream.host, config.upstream.port, config.upstream.framing) == (  # type: ignore[union-attr]
        "10.0.0.7",
        8899,
        "rtu_over_tcp",
    )
    assert config.request_timeout == 0.5
    assert config.log_level == "debug"
    options.write_text(
        json.dumps(
            {
                "simulate": False,
                "upstream": "serial",
                "serial_port": "/dev/null",
                "baudrate": 4800,
                "parity": "e",
            }
        )
    )
    serial = load_addon_options(options).upstream
    assert serial is not None
    assert (serial.port, serial.baudrate, serial.parity) == (
        "/dev/null",
        4800,
        "E",
    )
    options.write_text(
        json.dumps(
            {"simulate": False, "upstream": "serial", "serial_port": "/dev/null", "baudrate": 123}
        )
    )
    with pytest.raises(ConfigError) as err:
        load_addon_options(options)
    assert err.value.field == "baudrate"


def test_building_file_as_config_and_relative_building_path(tmp_path: Path) -> None:
    config = load_config(ADDON / "buildings" / "sample.yaml")
    assert config.simulate
    assert config.building is not None
    assert len(config.building.meters) == 12
    assert config.listen_port == 502
    (tmp_path / "house.yaml").write_text(
        yaml.safe_dump({"meters": [{"model": "sdm120", "slave": 3}]})
    )
    (tmp_path / "gw.yaml").write_text(
        yaml.safe_dump({"simulate": True, "building": "house.yaml", "wire_time": True})
    )
    config = load_config(tmp_path / "gw.yaml")
    assert config.building is not None
    assert config.building.meters[0].model.name == "SDM120"
    assert config.wire_time
    assert config.baudrate == 9600


def test_sample_building_mixes_the_required_models() -> None:
    config = parse_config({"simulate": True, "building": "sample"})
    assert config.building is not None
    models = {m.model.name for m in config.building.meters}
    assert {"SDM120", "DDSU666", "DDS238-2 ZN/SR", "EM115"} <= models
    assert len({m.room for m in config.building.meters}) == 12
    assert len(config.building.relay_boards) == 1
    for meter in config.building.meters:
        assert meter.model.has_relay != (meter.supply is not None), meter.room


def test_invalid_yaml_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("simulate: [unclosed\n")
    result = run_gateway(path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "config error: config: invalid YAML" in result.stderr
