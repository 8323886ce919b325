"""Ready-to-paste Lovelace dashboards: a tenant view per room, a landlord overview, QR codes.

The operation `operations.dashboard_yaml` (the action `prepaid_power.dashboard_yaml`)
returns the dashboard as YAML (for the raw configuration editor) and as a dict, with a QR
code per room that opens the room's tenant view; `operations.create_dashboards` saves the
same dashboards into HA's dashboard storage (`dashboard_storage`), where a room's QR code
may open its tenant-portal link instead (the landlord's opt-in). This module builds them
(pure). Only core cards are used (heading, entity, tile, button, conditional, grid,
vertical-stack, statistics-graph, markdown): no custom frontend code.

Entities are found through the entity registry by the room's device and each entity's
unique id (``<subentry id>-<key>``), never by entity id: landlords rename entities.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
import io
from typing import Any, Final

from homeassistant.helpers import entity_registry as er
from homeassistant.util import slugify
import segno
import yaml

from .const import DOMAIN
from .control import SupplyState

KIND_TENANT: Final = "tenant"
KIND_LANDLORD: Final = "landlord"
KIND_BOTH: Final = "both"
KINDS: Final = (KIND_TENANT, KIND_LANDLORD, KIND_BOTH)
DEFAULT_DASHBOARD_PATH: Final = "prepaid-power"
LANDLORD_VIEW_PATH: Final = "landlord"
# Where *Create dashboards* puts the landlord's overview (the tenants' views: the default).
LANDLORD_DASHBOARD_PATH: Final = "prepaid-power-landlord"
# A dashboard's url_path: what HA's dashboard dialog makes (storage dashboards need a hyphen).
DASHBOARD_PATH_PATTERN: Final = r"^[a-z0-9][a-z0-9_-]*$"
# HA's own dashboard dialog makes short paths; a long one only makes the QR codes unreadable.
DASHBOARD_PATH_MAX: Final = 64
QR_SCALE: Final = 4
QR_BORDER: Final = 4

# Supply state → tile colour (the tile card has no per-state colours of its own: one
# conditional tile per colour, exactly one of which shows).
SUPPLY_COLORS: Final[tuple[tuple[str, tuple[str, ...]], ...]] = (
    ("green", (SupplyState.ON.value,)),
    ("amber", (SupplyState.LOW.value, SupplyState.FRIENDLY_HOLD.value)),
    ("blue", (SupplyState.PROTECTED.value,)),
    ("grey", (SupplyState.SCHEDULED_OFF.value,)),
    (
        "red",
        (
            SupplyState.WARNING_CUT.value,
            SupplyState.CUT_OFF.value,
            SupplyState.FORCED_OFF.value,
            SupplyState.OVERLOAD.value,
            SupplyState.FAULT.value,
        ),
    ),
)
UNKNOWN_SUPPLY_COLOR: Final = "disabled"

# The few words the cards carry themselves, in HA's language when it is one of ours; entity
# names come from the entities (translated by HA, and renamed by the landlord where they chose
# to). Chinese punctuation is full-width on purpose.
TEXTS: Final[Mapping[str, Mapping[str, str]]] = {
    "en": {
        "title": "Prepaid power",
        "overview": "Overview",
        "rooms": "Rooms",
        "totals": "Totals",
        "supply": "Supply",
        "this_cycle": "This billing cycle",
        "usage": "Usage, last 30 days",
        "scan": "Scan to open this page on a phone.",
        "scan_portal": "Scan to see this room on your phone (no login needed).",
        "landlord_dashboard": "Prepaid power: landlord",
        "qr_alt": "QR code of this page",
        "restore_after_warning": "Restore the supply now?",
        "use_emergency_credit": "Use emergency credit now? It is paid back from the next top-up.",
    },
    "zh-Hans": {
        "title": "预付费电",
        "overview": "总览",
        "rooms": "房间",
        "totals": "合计",
        "supply": "供电",
        "this_cycle": "本计费周期",
        "usage": "近 30 天用电",
        "scan": "用手机扫码打开本页。",
        "scan_portal": "用手机扫码查看本房间（无需登录）。",  # noqa: RUF001
        "landlord_dashboard": "预付费电：房东",  # noqa: RUF001
        "qr_alt": "本页二维码",
        "restore_after_warning": "现在恢复供电吗？",  # noqa: RUF001
        "use_emergency_credit": "现在使用应急额度吗？下次充值时扣回。",  # noqa: RUF001
    },
}


def texts_for(language: str) -> Mapping[str, str]:
    """The card words in HA's language (English where there is no translation)."""
    if language in TEXTS:
        return TEXTS[language]
    if language.startswith("zh"):
        return TEXTS["zh-Hans"]
    return TEXTS["en"]


@dataclass(frozen=True, slots=True)
class RoomPlan:
    """One room's entities (by platform and key) and where its tenant view lives."""

    name: str
    device_id: str
    view_path: str
    url: str
    entities: Mapping[tuple[str, str], str]
    # The room's tenant-portal link, when the landlord chose to put it in the QR code.
    portal_url: str | None = None

    @property
    def qr_url(self) -> str:
        """What the room's QR code opens: its portal link, else its tenant view."""
        return self.portal_url or self.url

    def entity(self, domain: str, key: str) -> str | None:
        """The room's entity of that platform and key, if it exists and is enabled."""
        return self.entities.get((domain, key))


@dataclass(frozen=True, slots=True)
class GatewayPlan:
    """One gateway's landlord totals."""

    title: str
    entities: Mapping[tuple[str, str], str]


@dataclass(slots=True)
class Dashboard:
    """The generated dashboard and each room's QR code."""

    config: dict[str, Any]
    yaml: str
    qr_svg: dict[str, str] = field(default_factory=dict)


def entities_by_key(
    registry: er.EntityRegistry, device_id: str, unique_id_prefix: str
) -> dict[tuple[str, str], str]:
    """(platform, key) → entity id of this integration's enabled entities on a device."""
    found: dict[tuple[str, str], str] = {}
    for entry in er.async_entries_for_device(registry, device_id):
        if entry.platform != DOMAIN or not entry.unique_id.startswith(unique_id_prefix):
            continue
        found[(entry.domain, entry.unique_id.removeprefix(unique_id_prefix))] = entry.entity_id
    return found


def view_paths(names: Iterable[str]) -> list[str]:
    """A distinct view path per room: the slug of its name (numbered when names clash)."""
    used = {LANDLORD_VIEW_PATH}
    paths: list[str] = []
    for name in names:
        base = slugify(name)
        if base == "unknown" and name.strip().casefold() != "unknown":
            base = "room"  # HA's slug of a name with nothing to keep
        path, number = base, 2
        while path in used:
            path, number = f"{base}_{number}", number + 1
        used.add(path)
        paths.append(path)
    return paths


def room_url(base_url: str, dashboard_path: str, view_path: str) -> str:
    """Where a room's tenant view opens."""
    return f"{base_url.rstrip('/')}/{dashboard_path}/{view_path}"


def room_qr(url: str, *, boost_error: bool = True) -> segno.QRCode:
    """A regular QR code of the URL (never a Micro QR code: few phones read those); an EPC
    payment code keeps error level M (`boost_error=False`), as EPC069-12 asks."""
    return segno.make_qr(url, error="m", boost_error=boost_error)


def qr_svg(url: str, *, boost_error: bool = True) -> str:
    """The QR code as SVG: black on white, so it also scans on a dark theme."""
    buffer = io.BytesIO()
    room_qr(url, boost_error=boost_error).save(
        buffer,
        kind="svg",
        scale=QR_SCALE,
        border=QR_BORDER,
        dark="#000",
        light="#fff",
        xmldecl=False,
        svgclass=None,
        lineclass=None,
    )
    return buffer.getvalue().decode()


def svg_data_uri(svg: str) -> str:
    """An SVG as a base64 data URI (the markdown card keeps ``data:image/`` sources)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def tile(entity_id: str, **options: Any) -> dict[str, Any]:
    """A tile card."""
    return {"type": "tile", "entity": entity_id, **options}


def supply_cards(entity_id: str, **options: Any) -> list[dict[str, Any]]:
    """The supply-state tile, coloured by state: one conditional tile per colour."""
    cards: list[dict[str, Any]] = [
        {
            "type": "conditional",
            "conditions": [{"condition": "state", "entity": entity_id, "state": list(states)}],
            "card": tile(entity_id, color=color, **options),
        }
        for color, states in SUPPLY_COLORS
    ]
    known = [state for _color, states in SUPPLY_COLORS for state in states]
    cards.append(
        {
            "type": "conditional",
            "conditions": [{"condition": "state", "entity": entity_id, "state_not": known}],
            "card": tile(entity_id, color=UNKNOWN_SUPPLY_COLOR, **options),
        }
    )
    return cards


def press_button(entity_id: str, confirmation: str) -> dict[str, Any]:
    """A button card that presses a tenant-safe button entity, after a confirmation."""
    return {
        "type": "button",
        "entity": entity_id,
        "show_state": False,
        "tap_action": {
            "action": "perform-action",
            "perform_action": "button.press",
            "target": {"entity_id": entity_id},
            "confirmation": {"text": confirmation},
        },
        "hold_action": {"action": "more-info"},
    }


def tenant_view(
    room: RoomPlan,
    qr_data_uri: str,
    texts: Mapping[str, str],
    *,
    back_path: str | None = None,
) -> dict[str, Any]:
    """A room's view for its tenant: money, supply, this cycle, buttons, usage, QR code."""
    main: list[dict[str, Any]] = [{"type": "heading", "heading": room.name}]
    if balance := room.entity("sensor", "balance"):
        main.append({"type": "entity", "entity": balance, "icon": "mdi:cash"})
    if days := room.entity("sensor", "days_of_credit_left"):
        main.append({"type": "entity", "entity": days, "icon": "mdi:calendar-clock"})
    if supply := room.entity("sensor", "supply_state"):
        main.extend(
            supply_cards(
                supply,
                name=texts["supply"],
                icon="mdi:transmission-tower",
                state_content=["state", "last_changed"],
                grid_options={"columns": "full"},
            )
        )
    buttons = [
        press_button(entity_id, texts[key])
        for key in ("restore_after_warning", "use_emergency_credit")
        if (entity_id := room.entity("button", key))
    ]
    main.extend(buttons)

    cycle: list[dict[str, Any]] = [
        {"type": "heading", "heading": texts["this_cycle"], "heading_style": "subtitle"}
    ]
    cycle.extend(
        tile(entity_id)
        for key in ("energy_this_cycle", "cost_this_cycle", "allowance_left", "current_price")
        if (entity_id := room.entity("sensor", key))
    )
    if energy := room.entity("sensor", "energy_this_cycle"):
        cycle.extend(
            [
                {"type": "heading", "heading": texts["usage"], "heading_style": "subtitle"},
                {
                    "type": "statistics-graph",
                    "entities": [energy],
                    "period": "day",
                    "stat_types": ["change"],
                    "days_to_show": 30,
                    "chart_type": "bar",
                    "hide_legend": True,
                    "grid_options": {"columns": "full"},
                },
            ]
        )
    cycle.append(
        {
            "type": "markdown",
            "content": (
                f'<center><img src="{qr_data_uri}" alt="{texts["qr_alt"]}" width="180">'
                f"</center>\n\n{texts['scan_portal' if room.portal_url else 'scan']}"
                f"\n\n<{room.qr_url}>"
            ),
            "grid_options": {"columns": "full"},
        }
    )
    view: dict[str, Any] = {
        "title": room.name,
        "path": room.view_path,
        "icon": "mdi:home-lightning-bolt",
        "type": "sections",
        "max_columns": 2,
        "sections": [{"type": "grid", "cards": main}, {"type": "grid", "cards": cycle}],
    }
    if back_path is not None:
        # Beside the landlord overview, rooms are subviews: no tab bar of every room.
        view["subview"] = True
        view["back_path"] = back_path
    return view


def landlord_view(
    rooms: Sequence[RoomPlan],
    gateways: Sequence[GatewayPlan],
    texts: Mapping[str, str],
    *,
    rooms_path: str | None,
) -> dict[str, Any]:
    """All rooms as a table (a row per room: balance, supply, days left) and the totals;
    a room's row opens its tenant view in the dashboard at `rooms_path`, if there is one."""
    stack: list[dict[str, Any]] = []
    totals = [
        tile(entity_id)
        for gateway in gateways
        for key in ("income_this_cycle", "outstanding_debt")
        if (entity_id := gateway.entities.get(("sensor", key)))
    ]
    if totals:
        stack.append({"type": "heading", "heading": texts["totals"]})
        stack.append({"type": "grid", "columns": 2, "square": False, "cards": totals})
    stack.append({"type": "heading", "heading": texts["rooms"]})
    for room in rooms:
        row: list[dict[str, Any]] = []
        if balance := room.entity("sensor", "balance"):
            options: dict[str, Any] = {"name": room.name, "icon": "mdi:door"}
            if rooms_path is not None:
                options["tap_action"] = {
                    "action": "navigate",
                    "navigation_path": f"/{rooms_path}/{room.view_path}",
                }
            row.append(tile(balance, **options))
        if supply := room.entity("sensor", "supply_state"):
            row.extend(supply_cards(supply, name=texts["supply"], icon="mdi:transmission-tower"))
        if days := room.entity("sensor", "days_of_credit_left"):
            row.append(tile(days, icon="mdi:calendar-clock"))
        if row:
            stack.append({"type": "grid", "columns": 3, "square": False, "cards": row})
    return {
        "title": texts["overview"],
        "path": LANDLORD_VIEW_PATH,
        "icon": "mdi:home-city",
        "type": "panel",
        "cards": [{"type": "vertical-stack", "cards": stack}],
    }


class _Dumper(yaml.SafeDumper):
    """Multi-line text (markdown cards) as literal blocks, readable in the raw editor."""

    def ignore_aliases(self, data: Any) -> bool:
        """Repeat shared options in full: no anchors for landlords to untangle."""
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump_yaml(config: Mapping[str, Any]) -> str:
    """The dashboard as YAML for the raw configuration editor."""
    return yaml.dump(
        config,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=4096,
    )


def build_dashboard(
    rooms: Sequence[RoomPlan],
    gateways: Sequence[GatewayPlan],
    *,
    kind: str,
    dashboard_path: str,
    language: str,
    rooms_path: str | None = None,
) -> Dashboard:
    """The dashboard of the rooms (pure: runs in the executor, QR codes take a moment).

    The landlord overview's rows open the rooms' views: in this dashboard (`both`), or in
    the tenants' dashboard at `rooms_path`."""
    texts = texts_for(language)
    svgs = {room.device_id: qr_svg(room.qr_url) for room in rooms}
    views: list[dict[str, Any]] = []
    if kind in (KIND_LANDLORD, KIND_BOTH):
        views.append(
            landlord_view(
                rooms,
                gateways,
                texts,
                rooms_path=dashboard_path if kind == KIND_BOTH else rooms_path,
            )
        )
    if kind in (KIND_TENANT, KIND_BOTH):
        back = f"/{dashboard_path}/{LANDLORD_VIEW_PATH}" if kind == KIND_BOTH else None
        views.extend(
            tenant_view(room, svg_data_uri(svgs[room.device_id]), texts, back_path=back)
            for room in rooms
        )
    config: dict[str, Any] = {"title": texts["title"], "views": views}
    return Dashboard(config=config, yaml=dump_yaml(config), qr_svg=svgs)


def room_keys(names: Sequence[str], gateways: Sequence[str]) -> list[str]:
    """Response keys: the room's name, with its gateway where names clash."""
    counts = {name: names.count(name) for name in names}
    return [
        name if counts[name] == 1 else f"{name} ({gateway})"
        for name, gateway in zip(names, gateways, strict=True)
    ]
