"""The rules the Home Assistant Supervisor applies to an add-on repository, as schemas.

Written from the Supervisor's own validators (`supervisor/apps/validate.py`, `apps/options.py`,
`store/validate.py`, `validate.py`, 2026.07+: the `app_config` / `all_app_configs` /
`local_apps` map types); only what these files use is modelled strictly, and a key the
Supervisor does not know is dropped by it, so it is refused here (it would be a typo).
"""

from __future__ import annotations

import re
from typing import Any

import voluptuous as vol

ARCHITECTURES = ("aarch64", "amd64")  # armhf, armv7 and i386 are deprecated
RE_SLUG = re.compile(r"^[-_.A-Za-z0-9]+$")
RE_VOLUME = re.compile(
    r"^(data|homeassistant_config|ssl|backup|share|media|app_config|all_app_configs"
    r"|local_apps)(?::(rw|ro))?$"
)
LEGACY_VOLUMES = {"config", "addons", "addon_config", "all_addon_configs"}
RE_SCHEMA_ELEMENT = re.compile(
    r"^(?:"
    r"|bool"
    r"|email"
    r"|url"
    r"|port"
    r"|device(?:\((?P<filter>subsystem=[a-z]+)\))?"
    r"|str(?:\((?P<s_min>\d+)?,(?P<s_max>\d+)?\))?"
    r"|password(?:\((?P<p_min>\d+)?,(?P<p_max>\d+)?\))?"
    r"|int(?:\((?P<i_min>-?\d+)?,(?P<i_max>-?\d+)?\))?"
    r"|float(?:\((?P<f_min>-?\d*\.?\d+)?,(?P<f_max>-?\d*\.?\d+)?\))?"
    r"|match\((?P<match>.*)\)"
    r"|list\((?P<list>.+)\)"
    r")\??$"
)
RE_WATCHDOG = r"^(?:https?|\[PROTO:\w+\]|tcp):\/\/\[HOST\]:(\[PORT:\d+\]|\d+).*$"
RE_VERSION = r"^\d+(\.\d+)*([ab.-]\w*)?$"
RE_PORT_KEY = r"^\d+(?:/(?:tcp|udp))?$"

network_port = vol.All(int, vol.Range(min=1, max=65535))


def _volume(entry: Any) -> Any:
    if isinstance(entry, dict):
        return vol.Schema(
            {
                vol.Required("type"): vol.Match(RE_VOLUME),
                vol.Optional("read_only"): bool,
                vol.Optional("path"): str,
            }
        )(entry)
    if not isinstance(entry, str) or not RE_VOLUME.match(entry):
        kind = str(entry).split(":")[0]
        legacy = " (legacy name)" if kind in LEGACY_VOLUMES else ""
        raise vol.Invalid(f"map entry {entry!r} is not a current map type{legacy}")
    return entry


SCHEMA_ELEMENT = vol.Schema(
    vol.Any(
        vol.Match(RE_SCHEMA_ELEMENT),
        [vol.Any(vol.Match(RE_SCHEMA_ELEMENT), {str: vol.Self})],
        {str: vol.Self},
    )
)

ADDON_CONFIG = vol.Schema(
    {
        vol.Required("name"): vol.All(str, vol.Length(min=1)),
        vol.Required("version"): vol.All(str, vol.Match(RE_VERSION)),
        vol.Required("slug"): vol.Match(RE_SLUG),
        vol.Required("description"): str,
        vol.Required("arch"): vol.All([vol.In(ARCHITECTURES)], vol.Length(min=1)),
        vol.Optional("url"): vol.Url(),
        vol.Optional("startup"): vol.In(
            ["initialize", "system", "services", "application", "once"]
        ),
        vol.Optional("boot"): vol.In(["auto", "manual", "manual_only"]),
        vol.Optional("init"): bool,
        vol.Optional("stage"): vol.In(["stable", "experimental", "deprecated"]),
        vol.Optional("ports"): {vol.Match(RE_PORT_KEY): vol.Maybe(network_port)},
        vol.Optional("ports_description"): {vol.Match(RE_PORT_KEY): str},
        vol.Optional("watchdog"): vol.Match(RE_WATCHDOG),
        vol.Optional("ingress"): bool,
        vol.Optional("ingress_port"): vol.Any(network_port, 0),
        vol.Optional("panel_icon"): vol.Match(r"^mdi:[a-z0-9-]+$"),
        vol.Optional("panel_title"): str,
        vol.Optional("homeassistant"): vol.All(str, vol.Match(RE_VERSION)),
        vol.Optional("uart"): bool,
        vol.Optional("hassio_api"): bool,
        vol.Optional("hassio_role"): vol.In(["default", "homeassistant", "backup", "manager"]),
        vol.Optional("homeassistant_api"): bool,
        vol.Optional("discovery"): [str],
        vol.Optional("map"): [_volume],
        vol.Optional("options"): dict,
        vol.Optional("schema"): vol.Any(vol.Schema({str: SCHEMA_ELEMENT}), False),
        vol.Optional("image"): vol.Match(r"^([a-zA-Z\-\.:\d{}]+/)*?([\-\w{}]+)/([\-\w{}]+)$"),
        vol.Optional("timeout"): vol.All(int, vol.Range(min=10, max=300)),
    }
)

REPOSITORY_CONFIG = vol.Schema(
    {
        vol.Required("name"): vol.All(str, vol.Length(min=1)),
        vol.Optional("url"): vol.Url(),
        vol.Optional("maintainer"): str,
    }
)

ADDON_TRANSLATIONS = vol.Schema(
    {
        vol.Optional("configuration"): {
            str: {
                vol.Required("name"): str,
                vol.Optional("description"): vol.Maybe(str),
                vol.Optional("fields"): {str: dict},
            }
        },
        vol.Optional("network"): {vol.Match(RE_PORT_KEY): str},
    }
)


def validate_option(schema: Any, value: Any, key: str) -> Any:
    """One option value against its schema element, as `apps/options.py` checks it."""
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise vol.Invalid(f"invalid list for option {key!r}")
        return [validate_option(schema[0], item, key) for item in value]
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise vol.Invalid(f"invalid dict for option {key!r}")
        return validate_options(schema, value)
    if value is None:
        raise vol.Invalid(f"missing required option {key!r}")
    match = RE_SCHEMA_ELEMENT.match(schema)
    if match is None:
        raise vol.Invalid(f"unknown type {schema!r} of option {key!r}")
    bounds = {
        name[2:]: float(found)
        for name in ("i_min", "i_max", "f_min", "f_max")
        if (found := match.group(name))
    }
    if schema.startswith(("str", "password")):
        return str(value)
    if schema.startswith("int"):
        return vol.All(vol.Coerce(int), vol.Range(**bounds))(value)
    if schema.startswith("float"):
        return vol.All(vol.Coerce(float), vol.Range(**bounds))(value)
    if schema.startswith("bool"):
        return vol.Boolean()(value)
    if schema.startswith("port"):
        return network_port(value)
    if schema.startswith("list"):
        return vol.In(match.group("list").split("|"))(str(value))
    if schema.startswith("match"):
        return vol.Match(match.group("match"))(str(value))
    if schema.startswith("device"):
        if not isinstance(value, str) or not value.startswith("/dev/"):
            raise vol.Invalid(f"device {value!r} of option {key!r} does not exist")
        return value
    raise vol.Invalid(f"type {schema!r} of option {key!r} is not checked here")


def validate_options(schema: dict[str, Any], options: dict[str, Any]) -> dict[str, Any]:
    """A whole options mapping: unknown keys refused, missing ones only if optional (`?`)."""
    valid = {}
    for key, value in options.items():
        if key not in schema:
            raise vol.Invalid(f"option {key!r} is not in the schema")
        valid[key] = validate_option(schema[key], value, key)
    for key in set(schema) - set(valid):
        element = schema[key][0] if isinstance(schema[key], list) and schema[key] else schema[key]
        if not (isinstance(element, str) and element.endswith("?")):
            raise vol.Invalid(f"missing option {key!r}")
    return valid
