"""Portal token attack benchmark: 10,000 random tokens, and wrong-token timing.

A script that prints figures, not a test. Run from the repository root:

    .venv/ha-2025.4/bin/python bench/portal_tokens.py [--tokens 10000] [--samples 3000]

Setup: the test instance of Home Assistant (pytest-homeassistant-custom-component) with HA's
real `http` component and the integration as shipped, served by aiohttp on loopback; one room
link is stored (its token known to the script, as an attacker's target).

1. `--tokens` random tokens (`secrets.token_urlsafe(32)`, the real tokens' form) against
   `/prepaid_power/t/<token>/data` from one address: every answer must be 404 (the first
   failures) or 429 (the address over its budget), never 200.
2. Timing, with the per-address limit lifted: requests with (a) random tokens of the right
   length, (b) the real token with its last character changed (right length, 42 characters
   in common), (c) 8-character tokens, (d) 200-character tokens, interleaved in random
   order; the median and quartiles of each class over HTTP, and of the look-up alone
   (`PortalLinks.resolve`) in process.
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from collections.abc import Callable
import logging
from pathlib import Path
import random
import secrets
import statistics
import string
import sys
import tempfile
import time

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ALPHABET = string.ascii_letters + string.digits + "-_"


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4)
    return q1, median, q3


def changed_last(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


async def run(tokens: int, samples: int) -> None:
    from aiohttp.test_utils import TestClient, TestServer
    from homeassistant import loader
    from homeassistant.setup import async_setup_component
    from pytest_homeassistant_custom_component.common import async_test_home_assistant

    from custom_components.prepaid_power.portal import PORTAL, FailedTokens
    from custom_components.prepaid_power.portal_links import KIND_ROOM, portal_links

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)
            assert await async_setup_component(hass, "http", {})
            assert await async_setup_component(hass, "prepaid_power", {})
            links = portal_links(hass)
            real, _link = await links.async_add(KIND_ROOM, ["a-room"])
            async with TestClient(TestServer(hass.http.app)) as client:
                # 1. Random tokens from one address.
                statuses: Counter[int] = Counter()
                started = time.perf_counter()
                for _ in range(tokens):
                    async with client.get(
                        f"/prepaid_power/t/{secrets.token_urlsafe(32)}/data"
                    ) as response:
                        await response.read()
                        statuses[response.status] += 1
                took = time.perf_counter() - started
                print(f"{tokens} random tokens in {took:.1f} s: {dict(sorted(statuses.items()))}")
                assert statuses[200] == 0

                # 2. Timing without the limit.
                class Unlimited(FailedTokens):
                    def limited(self, address: str) -> bool:
                        return False

                hass.data[PORTAL].failed = Unlimited()
                kinds: dict[str, Callable[[], str]] = {
                    "random, right length": lambda: secrets.token_urlsafe(32),
                    "real token, last char changed": lambda: changed_last(real),
                    "8 characters": lambda: "".join(random.choices(ALPHABET, k=8)),
                    "200 characters": lambda: "".join(random.choices(ALPHABET, k=200)),
                }
                order = [name for name in kinds for _ in range(samples)]
                random.shuffle(order)
                http: dict[str, list[float]] = {name: [] for name in kinds}
                for name in order[: min(len(order), 200)]:  # warm-up
                    async with client.get(f"/prepaid_power/t/{kinds[name]()}/data") as response:
                        await response.read()
                for name in order:
                    token = kinds[name]()
                    begin = time.perf_counter_ns()
                    async with client.get(f"/prepaid_power/t/{token}/data") as response:
                        await response.read()
                    http[name].append((time.perf_counter_ns() - begin) / 1000)
                    assert response.status == 404
                lookup: dict[str, list[float]] = {name: [] for name in kinds}
                for name in order * 5:
                    token = kinds[name]()
                    begin = time.perf_counter_ns()
                    links.resolve(token, KIND_ROOM)
                    lookup[name].append(time.perf_counter_ns() - begin)
    print(f"\nHTTP round trip per wrong token, µs ({samples} each, interleaved):")
    for name, values in http.items():
        q1, median, q3 = quartiles(values)
        print(f"  {name:32} median {median:8.1f}  quartiles {q1:8.1f} .. {q3:8.1f}")
    print(f"\nLook-up alone (hash + dict + compare_digest), ns ({samples * 5} each):")
    for name, values in lookup.items():
        q1, median, q3 = quartiles(values)
        print(f"  {name:32} median {median:8.0f}  quartiles {q1:8.0f} .. {q3:8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=3000)
    args = parser.parse_args()
    asyncio.run(run(args.tokens, args.samples))


if __name__ == "__main__":
    main()
