"""Prepaid power gateway: an RS485 Modbus gateway with a building simulator (HA add-on).

Run it: `python -m prepaid_power_gateway --config FILE` (see `config` for the file), or under
the Supervisor with no argument (reads /data/options.json).

In-process API (tests and benchmarks; several gateways may run in one process)::

    from prepaid_power_gateway import Gateway, gateway_config, make_building, uniform_building

    config = gateway_config("sample", time_scale=0, min_gap_ms=0, id_switch_gap_ms=0)
    async with Gateway(config) as gw:
        gw.port                    # bound Modbus TCP port on 127.0.0.1
        gw.status_port             # bound web port (/, /api/stats, /api/simulator)
        meter = gw.simulator.meter(3)
        meter.power_w, meter.energy_kwh, meter.relay_on, meter.supply_on
        meter.set_load(1000.0)     # fixed load in W (None: follow the profile)
        meter.set_faults(timeout_rate=0.2, crc_rate=0.1, offline=False)
        meter.reset_counter()      # counter reset (reset_counter(2000.0): a used replacement)
        meter.presented("import_kwh")  # as the model's register presents it (resolution)
        gw.simulator.relay_log = []  # from now on: relay commands and reads as the bus saw them
        gw.simulator.board(100).set_channel(0, False)
        gw.simulator.clock.advance(3600)  # time_scale=0 freezes time between advances
        gw.stats.slave(3).timeouts, gw.stats.as_dict()

    # a bus of 40 SDM120 on slave ids 1-40, each with a constant 500 W load
    gateway_config(uniform_building(40, "SDM120", load_w=500), time_scale=0)

`gateway_config` defaults to loopback and ephemeral ports; any `GatewayConfig` field may be
given (`wire_time=True`, `request_timeout=0.2`, `upstream=SerialSettings(...)`,
`simulate=False`, ...). `make_building(meters, relay_boards)` takes the building-file schema as
Python data. `simulator.rtu.PtySimulator` serves a simulator on a pty as real RTU slaves and
`simulator.rtu.RtuOverTcpServer` as an RTU-over-TCP gateway.
"""

from .building import BuildingConfig, make_building, resolve_building, uniform_building
from .config import GatewayConfig, SerialSettings, TcpSettings, gateway_config, load_config
from .errors import ConfigError
from .gateway import VERSION, Gateway
from .simulator import SimClock, Simulator, VirtualMeter

__all__ = [
    "VERSION",
    "BuildingConfig",
    "ConfigError",
    "Gateway",
    "GatewayConfig",
    "SerialSettings",
    "SimClock",
    "Simulator",
    "TcpSettings",
    "VirtualMeter",
    "gateway_config",
    "load_config",
    "make_building",
    "resolve_building",
    "uniform_building",
]
