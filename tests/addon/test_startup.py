"""`python -m prepaid_power_gateway --config FILE` starts quickly, serves, and stops on SIGTERM."""

from __future__ import annotations

import os
from pathlib import Path
import re
import signal
import socket
import struct
import subprocess
import sys
import time

import yaml

ADDON = Path(__file__).resolve().parents[2] / "addon"
# Not a performance figure (timed unit tests fail on a loaded machine, the 2 s target is not
# measured here): only a
# guard that start-up does not hang, wide enough for a loaded 2-core CI machine.
STARTUP_BOUND_S = 30.0


def start(config: Path) -> tuple[subprocess.Popen[str], float, int, str]:
    """Spawn the gateway; return it, the seconds until it answered over TCP, its port, log line."""
    env = {k: v for k, v in os.environ.items() if k != "SUPERVISOR_TOKEN"}
    env["PYTHONPATH"] = str(ADDON)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "prepaid_power_gateway", "--config", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    line = process.stderr.readline()
    match = re.search(r"Modbus TCP on 127\.0\.0\.1:(\d+)", line)
    assert match, line
    port = int(match.group(1))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(struct.pack(">HHHB", 1, 0, 6, 6) + struct.pack(">BHH", 3, 0xFC02, 1))
        answer = sock.recv(64)
    elapsed = time.monotonic() - started
    assert answer == struct.pack(">HHHB", 1, 0, 5, 6) + bytes([3, 2, 0, 0x20])
    return process, elapsed, port, line


def test_starts_serving_the_sample_building_quickly(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "simulate": True,
                "building": str(ADDON / "buildings" / "sample.yaml"),
                "listen_host": "127.0.0.1",
                "listen_port": 0,
                "status_host": "127.0.0.1",
                "status_port": 0,
            }
        )
    )
    process, elapsed, _port, line = start(config)
    try:
        assert elapsed < STARTUP_BOUND_S
        assert "simulator 'Sample house'" in line
        assert "standalone: no Supervisor discovery" in line
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stderr is not None
        process.stderr.close()


def test_simulator_cli_serves_a_pty_to_another_process(tmp_path: Path) -> None:
    """`python -m prepaid_power_gateway.simulator` on a pty, the gateway on the other end."""
    env = {k: v for k, v in os.environ.items() if k != "SUPERVISOR_TOKEN"}
    env["PYTHONPATH"] = str(ADDON)
    simulator = subprocess.Popen(
        [sys.executable, "-m", "prepaid_power_gateway.simulator", "--building", "sample"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert simulator.stdout is not None
    try:
        pty = simulator.stdout.readline().strip()
        assert pty.startswith("/dev/")
        config = tmp_path / "gateway.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "simulate": False,
                    "upstream": {"serial": {"port": pty}},
                    "listen_host": "127.0.0.1",
                    "listen_port": 0,
                    "status_port": None,
                }
            )
        )
        gateway, _elapsed, _port, line = start(config)
        assert f"bus serial {pty} 9600 8N1" in line
        gateway.send_signal(signal.SIGTERM)
        assert gateway.wait(timeout=10) == 0
        assert gateway.stderr is not None
        gateway.stderr.close()
    finally:
        simulator.send_signal(signal.SIGTERM)
        assert simulator.wait(timeout=10) == 0
        simulator.stdout.close()
