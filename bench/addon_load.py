"""The add-on under load (issue 19): 8 Modbus TCP clients hammer one simulated bus of 20
meters for 10 minutes with faults injected (10 % timeouts, 1 % CRC errors, one meter
offline), while saboteurs connect, send garbage or hang up mid-frame; print the figures.

Run from the repository root:
    .venv/ha-2025.4/bin/python bench/addon_load.py [--minutes 10]
The load is tests/addon/load.py, whose short variant runs in the suite (tests/addon/test_load.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
import sys

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "addon"))

from tests.addon.load import CLIENTS, run_load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    args = parser.parse_args()
    # The saboteurs' garbage is logged once per connection: thousands of lines.
    logging.getLogger("prepaid_power_gateway").setLevel(logging.ERROR)
    figures, gw = asyncio.run(run_load(args.minutes * 60))
    rss = figures.rss_kib
    print(
        f"clients / saboteur connections     {CLIENTS} / {figures.garbage_clients} garbage, "
        f"{figures.cut_clients} cut mid-frame"
    )
    print(f"answers checked correct            {figures.answers}")
    print(f"injected faults answered 0x0B      {figures.faults}")
    print(f"wrong or interleaved answers       {figures.wrong}")
    print(f"wedged clients                     {figures.wedged}")
    print(
        f"connections left / queue left      {gw.stats.clients_connected} / {gw.server.queue.depth}"
    )
    print(
        f"RSS after warm-up -> end (MiB)     {rss[1] / 1024:.1f} -> {rss[-1] / 1024:.1f}"
        f" (samples {', '.join(f'{r / 1024:.1f}' for r in rss)})"
    )


if __name__ == "__main__":
    main()
