"""Fuzzed calls of every action and entity service (issue 19), shared by the suite's short run
(tests/test_fuzz_actions.py) and bench/fuzz_actions.py's long one.

Hypothesis generates the calls; it runs in an executor thread and hands each call to Home
Assistant's loop, so its shrinking works on real calls. A call either succeeds or is refused
with HA's Unauthorized, a schema error, or a translated error; a refusal changes nothing in
the ledger nor in the rooms' supply memory.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
import json
from pathlib import Path
import statistics
import time
from typing import Any

from homeassistant.auth.models import User
from homeassistant.core import Context, HomeAssistant, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, Unauthorized
from hypothesis import HealthCheck, given, settings, strategies as st
import voluptuous as vol

from custom_components.prepaid_power.bank_import import BANK_COLUMNS
from custom_components.prepaid_power.const import DOMAIN

TRANSLATIONS = Path(__file__).parent.parent / "custom_components/prepaid_power/translations"
EXCEPTION_KEYS = frozenset(
    json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))["exceptions"]
)

# Anything JSON (and a little beyond: HA's service calls take Python values).
junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
amounts = st.one_of(
    st.decimals(min_value=-1000, max_value=1000, places=2).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", " ", "1e9999", "0x10", "1,5", "١٢", "½", "-0", "0.001"]),
)
texts = st.one_of(st.text(max_size=120), st.text(min_size=1000, max_size=12000))
dates = st.one_of(
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        datetime.isoformat
    ),
    st.sampled_from(["0000-00-00", "2026-02-30", "yesterday", "9999-12-31T23:59:59"]),
)
durations = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "days": st.integers(min_value=-(10**12), max_value=10**12),
            "hours": st.integers(min_value=-(10**9), max_value=10**9),
            "minutes": st.floats(allow_nan=True, allow_infinity=True),
        },
    ),
    st.sampled_from(["24:00:00", "-1:00:00", "99999999:00:00", "P1D"]),
)
interval = st.fixed_dictionaries(
    {"start": st.sampled_from(["00:00", "08:00", "22:00", "24:00", "7am", ""])},
    optional={
        "end": st.sampled_from(["00:00", "08:00", "22:00", "25:61"]),
        "period": st.sampled_from(["peak", "valley", "nope", ""]),
    },
)
tariffs = st.one_of(
    st.fixed_dictionaries({"kind": st.just("flat"), "price": amounts}, optional={"surprise": junk}),
    st.fixed_dictionaries(
        {
            "kind": st.just("tou"),
            "prices": st.dictionaries(st.sampled_from(["peak", "valley"]), amounts, max_size=2),
            "weekday": st.lists(interval, max_size=16) | junk,
        },
        optional={"weekend": st.lists(interval, max_size=3), "weekends": junk},
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("tiered"),
            "blocks": st.lists(
                st.fixed_dictionaries({"up_to_kwh": amounts | st.none(), "price": amounts}),
                max_size=4,
            )
            | junk,
        }
    ),
    st.fixed_dictionaries(
        {
            "kind": st.just("entity"),
            "entity_id": st.sampled_from(["sensor.spot_price", "light.x", "sensor.", ""]) | junk,
            "min_price": amounts,
            "max_price": amounts,
        },
        optional={"price": junk},
    ),
    junk,
)


@dataclass
class Doors:
    """What the calls may name: the loaded gateway's devices and entities."""

    room_devices: list[str]
    other_devices: list[str]
    entities: dict[str, list[str]]  # platform → entity ids


def devices(doors: Doors) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(doors.room_devices),
        st.sampled_from(doors.room_devices),
        st.sampled_from(doors.other_devices),
        st.text(max_size=40),
    )


def field_strategies(doors: Doors) -> dict[str, st.SearchStrategy[Any]]:
    """Each field name of every action → how to fill it (valid values among the junk)."""
    choice = st.sampled_from
    values: dict[str, st.SearchStrategy[Any]] = {
        "device_id": devices(doors),
        "tenant": texts,
        "opening_reading": amounts,
        "final_reading": amounts,
        "first_top_up": amounts,
        "amount": amounts,
        "debt": amounts,
        "percent": amounts,
        "fixed_amount": amounts,
        "floor": amounts,
        "every": choice(["day", "week", "month"]),
        "file": choice(["x.csv", "../secrets.yaml", "/etc/passwd", ".hidden", ""]) | texts,
        "csv": choice(
            [
                "date,amount,memo\n2026-01-10,5,PP-101\n",
                "date;amount;memo\n10.01.2026;1.234,50;pp-101\n",
                "",
                "\x00\n,,,\n",
            ]
        )
        | texts,
        "bank": choice(["Sparkasse", "ICBC"]) | texts,
        "date_column": choice(["date", "1", "0", "99"]) | texts,
        "amount_column": choice(["amount", "2"]) | texts,
        "reference_column": choice(["memo", "3"]) | texts,
        "id_column": choice(["", "id", "4"]),
        "delimiter": choice([",", ";", "", ";;", "\t"]),
        "decimal": choice(["point", "comma", "dot"]),
        "date_format": choice(["%Y-%m-%d", "%d.%m.%Y", "%Q", ""]),
        "encoding": choice(["utf-8", "gbk", "ebcdic"]),
        "kwh": amounts,
        "method": choice(["cash", "transfer", "card", "app", "other", "bitcoin"]),
        "reference": texts,
        "reason": texts,
        "note": texts | choice(["Paid by her mother", "x" * 201, "two\nlines", "\x07"]),
        "allowance_pro_rata": st.booleans(),
        "record_debt": st.booleans(),
        "save": st.booleans(),
        "entry_id": st.integers(min_value=-(2**70), max_value=2**70),
        "tenancy_id": st.integers(min_value=-(2**70), max_value=2**70),
        "tariff": tariffs,
        "effective_from": dates,
        "cycle": dates,
        "start": dates,
        "end": dates,
        "language": choice(["en", "zh-hans", "zh-Hans", "xx"]),
        "state": choice(["on", "off", "auto", "maybe"]),
        "duration": durations,
        "kind": choice(["tenant", "landlord", "both", "neither"]),
        "dashboard_path": texts | choice(["prepaid-power", "ok_path", "Bad Path"]),
        "base_url": choice(["http://192.168.1.20:8123", "ftp://x", "not a url"]) | texts,
        "dashboards": st.lists(
            st.fixed_dictionaries(
                {
                    "kind": choice(["tenant", "landlord", "both", "neither"]),
                    "url_path": choice(["prepaid-power", "flats", "Bad Path", "a-b"]) | texts,
                },
                optional={
                    "title": texts,
                    "icon": choice(["mdi:home", "nope"]),
                    "require_admin": st.booleans(),
                },
            ),
            max_size=3,
        ),
        "portal_links_in_qr": st.booleans(),
        "overwrite": st.booleans(),
    }
    # One value in ten of any type at all: most calls get past the schema to the rules.
    return {name: st.one_of(*[value] * 9, junk) for name, value in values.items()}


# Each action's fields, the required ones first (how many: REQUIRED).
ACTION_FIELDS: Mapping[str, tuple[str, ...]] = {
    "move_in": (
        "device_id",
        "tenant",
        "opening_reading",
        "first_top_up",
        "method",
        "reference",
        "allowance_pro_rata",
    ),
    "move_out": ("device_id", "final_reading"),
    "top_up": ("device_id", "amount", "method", "reference", "note"),
    "reverse_top_up": ("device_id", "entry_id", "reason"),
    "refund": ("device_id", "amount", "reason"),
    "adjust": ("device_id", "amount", "reason", "record_debt"),
    "set_tariff": ("device_id", "tariff", "effective_from"),
    "statement": ("device_id", "cycle", "language", "save"),
    "export_ledger": ("device_id", "start", "end"),
    "preset_vacant_energy": ("device_id", "kwh"),
    "pay_debt": ("device_id", "amount", "method", "reference", "tenancy_id"),
    "set_debt_plan": ("device_id", "debt", "reason", "percent", "fixed_amount", "every", "floor"),
    "import_bank_statement": ("file", "csv", "bank", *BANK_COLUMNS),
    "set_supply": ("device_id", "state", "reason"),
    "grant_grace": ("device_id", "duration"),
    "dashboard_yaml": ("device_id", "kind", "dashboard_path", "base_url"),
    "create_dashboards": ("device_id", "dashboards", "portal_links_in_qr", "overwrite", "base_url"),
}
REQUIRED: Mapping[str, int] = {
    "move_in": 2,
    "move_out": 1,
    "top_up": 2,
    "reverse_top_up": 2,
    "refund": 2,
    "adjust": 3,
    "set_tariff": 2,
    "statement": 1,
    "export_ledger": 0,
    "preset_vacant_energy": 2,
    "pay_debt": 2,
    "set_debt_plan": 1,
    "import_bank_statement": 0,
    "set_supply": 2,
    "grant_grace": 2,
    "dashboard_yaml": 0,
    "create_dashboards": 0,
}
ENTITY_SERVICES: Mapping[str, tuple[str, ...]] = {
    "switch": ("turn_on", "turn_off", "toggle"),
    "number": ("set_value",),
    "button": ("press",),
}


def calls(doors: Doors) -> st.SearchStrategy[tuple[str, str, dict[str, Any], bool]]:
    """(domain, service, data, as the tenant)."""
    fields = field_strategies(doors)

    def action_data(action: str) -> st.SearchStrategy[dict[str, Any]]:
        names, required = ACTION_FIELDS[action], REQUIRED[action]

        def fill(chosen: tuple[str, ...]) -> dict[str, st.SearchStrategy[Any]]:
            return {name: fields[name] for name in chosen}

        complete = st.fixed_dictionaries(fill(names[:required]), optional=fill(names[required:]))
        # Now and then any subset, required fields missing included.
        return st.one_of(*[complete] * 5, st.fixed_dictionaries({}, optional=fill(names)))

    actions = st.sampled_from(sorted(ACTION_FIELDS)).flatmap(
        lambda action: st.tuples(st.just(DOMAIN), st.just(action), action_data(action))
    )
    # Malformed entity ids are HA core's to refuse; one that names nothing is tried too.
    entity_ids = {
        platform: st.sampled_from([*ids, f"{platform}.no_such_entity"])
        for platform, ids in doors.entities.items()
    }
    entity_calls = st.sampled_from(
        [
            (platform, service)
            for platform, services in ENTITY_SERVICES.items()
            for service in services
        ]
    ).flatmap(
        lambda door: st.tuples(
            st.just(door[0]),
            st.just(door[1]),
            st.fixed_dictionaries(
                {"entity_id": entity_ids[door[0]]}
                | ({"value": fields["amount"]} if door[1] == "set_value" else {})
            ),
        )
    )
    # Now and then a key no action knows, and a call by the tenant.
    extra = st.dictionaries(st.text(min_size=1, max_size=12), junk, max_size=1)
    rarely = st.sampled_from([True] + [False] * 5)
    return st.tuples(actions | entity_calls, rarely, extra, rarely).map(
        lambda t: (t[0][0], t[0][1], {**t[0][2], **(t[2] if t[1] else {})}, t[3])
    )


@dataclass
class Tally:
    """What the calls came to."""

    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    unhandled: list[str] = field(default_factory=list)
    seconds: dict[str, list[float]] = field(default_factory=dict)
    schema_paths: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "outcomes": dict(self.outcomes),
            "unhandled": self.unhandled,
            "schema_refusals": dict(self.schema_paths.most_common(12)),
            "median_ms": {
                service: round(statistics.median(times) * 1000, 1)
                for service, times in sorted(self.seconds.items())
            },
        }


type Fingerprint = Callable[[], Awaitable[object]]


async def one_call(
    hass: HomeAssistant,
    fingerprint: Fingerprint,
    call: tuple[str, str, dict[str, Any], bool],
    users: tuple[User, User],
    tally: Tally,
) -> None:
    """Make one call and check what it did; AssertionError names the call."""
    domain, service, data, as_tenant = call
    context = Context(user_id=users[1 if as_tenant else 0].id)
    before = await fingerprint()
    outcome = "done"
    problem: str | None = None
    started = time.perf_counter()
    try:
        await hass.services.async_call(
            domain,
            service,
            data,
            blocking=True,
            context=context,
            return_response=domain == DOMAIN
            and hass.services.supports_response(domain, service) is not SupportsResponse.NONE,
        )
    except Unauthorized:
        outcome = "unauthorized"
    except HomeAssistantError as err:
        # Before vol.Invalid: on HA < 2026.9 this integration's refusals are both.
        outcome = f"refused:{err.translation_key}"
        translated = err.translation_domain == DOMAIN and err.translation_key in EXCEPTION_KEYS
        # HA's own platforms (number ranges, unknown entities) translate their own refusals.
        if not translated and not (err.translation_domain and err.translation_key):
            problem = f"untranslated {type(err).__name__}: {err} for {call!r}"
    except vol.Invalid as err:
        outcome = "schema"
        tally.schema_paths[f"{service} {err.path}"] += 1
    except Exception as err:  # what the fuzz is looking for
        problem = f"{type(err).__name__}: {err} for {call!r}"
        outcome = "unhandled"
    tally.seconds.setdefault(f"{domain}.{service}", []).append(time.perf_counter() - started)
    tally.calls += 1
    tally.outcomes[outcome.split(":")[0]] += 1
    if as_tenant and domain == DOMAIN and outcome == "done":
        problem = f"a tenant did landlord work: {call!r}"
    if problem is not None:
        tally.unhandled.append(problem)
    await hass.async_block_till_done()
    assert problem is None, problem
    if outcome != "done":
        assert await fingerprint() == before, f"refused ({outcome}) but changed: {call!r}"


async def fuzz(
    hass: HomeAssistant,
    doors: Doors,
    fingerprint: Fingerprint,
    users: tuple[User, User],
    examples: int,
) -> Tally:
    """Run `examples` generated calls (more while hypothesis shrinks a failure)."""
    tally = Tally()
    loop = hass.loop

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(call=calls(doors))
    def run(call: tuple[str, str, dict[str, Any], bool]) -> None:
        future = asyncio.run_coroutine_threadsafe(
            one_call(hass, fingerprint, call, users, tally), loop
        )
        future.result(timeout=60)

    await hass.async_add_executor_job(run)
    return tally
