"""Config flow: gateways by add-on discovery, Modbus TCP or serial port; then a bus scan."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
import re
import socket
from typing import TYPE_CHECKING, Any, Final

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentry,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import AbortFlow, section
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from .billing.common import METHODS
from .billing.errors import BillingError
from .billing.meters import check_link
from .billing.money import Currency
from .billing.tax import TAX_MODES
from .bus.client import ModbusBus
from .bus.scan import ConnectionStatus, FoundMeter, ScanResult, check_connection, scan_bus
from .compat import vol
from .const import (
    ACTUATOR_BOARD,
    ACTUATOR_KINDS,
    ACTUATOR_METER_RELAY,
    ACTUATOR_SWITCH,
    BAUDRATES,
    CONF_ACCESS,
    CONF_ACTUATOR_KIND,
    CONF_ADDON_SLUG,
    CONF_ALL_METER_VALUES,
    CONF_ALLOWANCE_KWH,
    CONF_ALLOWANCE_PRO_RATA,
    CONF_AUTO_RESTORE_MINIMUM,
    CONF_BAUDRATE,
    CONF_BILLS_TO,
    CONF_BOARD,
    CONF_BYTESIZE,
    CONF_CHANNEL,
    CONF_CONNECTION,
    CONF_CREDIT_LIMIT,
    CONF_CUT_OFF_MODE,
    CONF_CYCLE_START_DAY,
    CONF_EMERGENCY_CREDIT,
    CONF_FIRST_ID,
    CONF_FRAMING,
    CONF_FRIENDLY_HOURS_ENTITY,
    CONF_GAP_MS,
    CONF_GRACE_MINUTES,
    CONF_LAST_ID,
    CONF_LOW_LEVEL,
    CONF_MAX_RECLOSE_ATTEMPTS,
    CONF_METER,
    CONF_METERS,
    CONF_MOVE_IN,
    CONF_OCCUPIED,
    CONF_OPENING_BALANCE,
    CONF_OPENING_READING,
    CONF_OVERLOAD_SECONDS,
    CONF_PARITY,
    CONF_PAUSE_STANDING_WHEN_CUT,
    CONF_PAYEE_BIC,
    CONF_PAYEE_IBAN,
    CONF_PAYEE_NAME,
    CONF_PAYMENT_REFERENCE,
    CONF_POLL_INTERVAL,
    CONF_PORTAL_SHOWS_TENANT,
    CONF_POWER_LIMIT_W,
    CONF_PRICE,
    CONF_PROFILE,
    CONF_RECLOSE_MINUTES,
    CONF_REFUSED_READS,
    CONF_SCHEDULES,
    CONF_SERIAL_NUMBER,
    CONF_SERIAL_PORT,
    CONF_SHARE_METHOD,
    CONF_SHARED_BY,
    CONF_SLAVE_ID,
    CONF_STANDING_CHARGE,
    CONF_STOPBITS,
    CONF_SUPPLY,
    CONF_SUPPLY_SCHEDULE_ENTITY,
    CONF_SWITCH_ENTITY,
    CONF_TAX_MODE,
    CONF_TAX_ON_FEES,
    CONF_TAX_RATE,
    CONF_TENANT,
    CONF_TENANT_USERS,
    CONF_THRESHOLD_KWH,
    CONF_THRESHOLD_PERCENT,
    CONF_TIMEOUT_MS,
    CONF_WARNING_CUT_LEVEL,
    CONNECTION_SERIAL,
    CONNECTION_TCP,
    CUT_OFF_MODES,
    DEFAULT_BAUDRATE,
    DEFAULT_FIRST_ID,
    DEFAULT_LAST_ID,
    DEFAULT_POLL_INTERVAL,
    DEFAULT_PORT,
    DEFAULT_TIMEOUT_MS,
    DOMAIN,
    FRAMING_TCP,
    FRAMINGS,
    ISSUE_MODEL_CHANGE,
    MAX_SLAVE_ID,
    PARITIES,
    SCAN_TIMEOUT_S,
    SUBENTRY_COMMON_METER,
    SUBENTRY_HOUSE_METER,
    SUBENTRY_ROOM,
    USER_PROFILES_DIR,
)
from .gateway import bus_settings, endpoint_from_data, endpoint_title
from .payee import Payee, PayeeError
from .portal_links import (
    async_end_kiosk_link,
    async_end_room_link,
    async_new_kiosk_link,
    async_new_room_link,
    portal_links,
)
from .profiles import ProfileSet, load_profiles
from .rooms import current_reading
from .settings import (
    DEFAULT_TAX_MODE,
    DEFAULTS,
    currency_of,
    decimal_error,
    field_errors,
    supply_settings,
)

if TYPE_CHECKING:
    from .coordinator import PrepaidPowerConfigEntry

# Fields of the portal and kiosk link steps.
CONF_ROOM = "room"
CONF_ROOMS = "rooms"
CONF_LINK_ACTION = "link_action"
PAYEE_FIELDS: Final = (CONF_PAYEE_NAME, CONF_PAYEE_IBAN, CONF_PAYEE_BIC)
LINK_ROTATE = "rotate"
LINK_REVOKE = "revoke"
CONF_KIOSKS_REVOKED = "revoke_kiosks"


def _number(minimum: int, maximum: int, unit: str | None = None) -> Callable[[Any], Any]:
    config = NumberSelectorConfig(min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX)
    if unit is not None:
        config["unit_of_measurement"] = unit
    return vol.All(NumberSelector(config), vol.Coerce(int), vol.Range(min=minimum, max=maximum))


def _choice(labels: Mapping[str, str], *, multiple: bool = False) -> SelectSelector:
    """A drop-down of things by id, shown by their labels."""
    return SelectSelector(
        SelectSelectorConfig(
            options=[SelectOptionDict(value=key, label=label) for key, label in labels.items()],
            multiple=multiple,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def _select(options: list[str], key: str) -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(options=options, translation_key=key, mode=SelectSelectorMode.DROPDOWN)
    )


TCP_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_HOST): TextSelector(),
        vol.Required(CONF_PORT, default=DEFAULT_PORT): _number(1, 65535),
        vol.Required(CONF_FRAMING, default=FRAMING_TCP): _select(list(FRAMINGS), CONF_FRAMING),
    }
)

SCAN_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_FIRST_ID, default=DEFAULT_FIRST_ID): _number(1, MAX_SLAVE_ID),
        vol.Required(CONF_LAST_ID, default=DEFAULT_LAST_ID): _number(1, MAX_SLAVE_ID),
    }
)

CONNECTION_ERRORS = {
    ConnectionStatus.REFUSED: "connection_refused",
    ConnectionStatus.UNREACHABLE: "cannot_connect",
    ConnectionStatus.TIMEOUT: "timeout",
    ConnectionStatus.WRONG_FRAMING: "wrong_framing",
}


def _serial_schema(ports: list[str]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Required(CONF_SERIAL_PORT): SelectSelector(
                SelectSelectorConfig(
                    options=ports, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                )
            ),
            vol.Required(CONF_BAUDRATE, default=str(DEFAULT_BAUDRATE)): vol.All(
                _select([str(rate) for rate in BAUDRATES], CONF_BAUDRATE), vol.Coerce(int)
            ),
            vol.Required(CONF_PARITY, default="none"): vol.All(
                _select(list(PARITIES), CONF_PARITY), PARITIES.__getitem__
            ),
            vol.Required(CONF_STOPBITS, default="1"): vol.All(
                _select(["1", "2"], CONF_STOPBITS), vol.Coerce(int)
            ),
            vol.Required(CONF_BYTESIZE, default="8"): vol.All(
                _select(["7", "8"], CONF_BYTESIZE), vol.Coerce(int)
            ),
        }
    )


def _list_serial_ports() -> list[str]:
    """Serial ports, stable /dev/serial/by-id paths first (blocking)."""
    from serial.tools import list_ports

    by_id = Path("/dev/serial/by-id")
    stable = sorted(str(path) for path in by_id.iterdir()) if by_id.is_dir() else []
    return stable + sorted(port.device for port in list_ports.comports())


def meter_data(meter: FoundMeter) -> dict[str, Any]:
    """Entry data of a found meter (with the reads it refused, if any)."""
    data: dict[str, Any] = {
        CONF_SLAVE_ID: meter.slave_id,
        CONF_PROFILE: meter.profile_id,
        CONF_SERIAL_NUMBER: meter.serial,
    }
    if meter.refused:
        data[CONF_REFUSED_READS] = [list(read) for read in meter.refused]
    return data


def meters_data(meters: tuple[FoundMeter, ...]) -> list[dict[str, Any]]:
    """Entry data of found meters."""
    return [meter_data(m) for m in meters]


def describe_meters(meters: tuple[FoundMeter, ...]) -> str:
    """One line per found meter for the result form."""
    return "\n".join(
        f"- {m.slave_id}: {m.manufacturer} {m.model}"
        + ("" if m.serial is None else f" (serial {m.serial})")
        for m in meters
    )


async def async_scan(
    hass: HomeAssistant, data: Mapping[str, Any], options: Mapping[str, Any], first: int, last: int
) -> ScanResult:
    """Scan a gateway's bus for meters with the built-in and the user's profiles."""
    profile_set = await hass.async_add_executor_job(
        load_profiles, Path(hass.config.path(USER_PROFILES_DIR))
    )
    async with ModbusBus(endpoint_from_data(data), bus_settings(data, options)) as bus:
        return await scan_bus(
            bus, profile_set.profiles.values(), range(first, last + 1), SCAN_TIMEOUT_S
        )


class PrepaidPowerConfigFlow(ConfigFlow, domain=DOMAIN):
    """Set up a gateway and find the meters on its bus."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        self._data: dict[str, Any] = {}
        self._addon_name = ""
        self._scan_task: asyncio.Task[ScanResult] | None = None
        self._scan_range = (DEFAULT_FIRST_ID, DEFAULT_LAST_ID)
        self._result: ScanResult | None = None

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: PrepaidPowerConfigEntry) -> GatewayOptionsFlow:
        """Poll interval and bus timing."""
        return GatewayOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Rooms are subentries of the gateway their meter hangs on; so is its house meter."""
        return {
            SUBENTRY_ROOM: RoomSubentryFlow,
            SUBENTRY_HOUSE_METER: HouseMeterSubentryFlow,
            SUBENTRY_COMMON_METER: CommonMeterSubentryFlow,
        }

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose how the RS485 bus is reached."""
        return self.async_show_menu(step_id="user", menu_options=["tcp", "serial"])

    async def async_step_tcp(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A Modbus TCP (or RTU over TCP) gateway."""
        errors: dict[str, str] = {}
        reconfiguring = self.source == SOURCE_RECONFIGURE
        if user_input is not None:
            data = {
                CONF_CONNECTION: CONNECTION_TCP,
                CONF_HOST: user_input[CONF_HOST].strip(),
                CONF_PORT: user_input[CONF_PORT],
                CONF_FRAMING: user_input[CONF_FRAMING],
            }
            self._abort_if_other_entry_matches(data)
            if not (error := await self._async_check(data)):
                if reconfiguring:
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(),
                        unique_id=endpoint_title(data),
                        title=endpoint_title(data),
                        data_updates=data,
                    )
                await self.async_set_unique_id(endpoint_title(data))
                self._abort_if_unique_id_configured()
                self._data = data
                return await self.async_step_scan()
            errors["base"] = error
        suggested = user_input or (self._get_reconfigure_entry().data if reconfiguring else None)
        return self.async_show_form(
            step_id="tcp",
            data_schema=self.add_suggested_values_to_schema(TCP_SCHEMA, suggested),
            errors=errors,
        )

    async def async_step_serial(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """A serial port of this machine with the RS485 bus on it."""
        errors: dict[str, str] = {}
        reconfiguring = self.source == SOURCE_RECONFIGURE
        if user_input is not None:
            data = {CONF_CONNECTION: CONNECTION_SERIAL, **user_input}
            self._abort_if_other_entry_matches(data)
            if not (error := await self._async_check(data)):
                if reconfiguring:
                    return self.async_update_reload_and_abort(
                        self._get_reconfigure_entry(),
                        unique_id=data[CONF_SERIAL_PORT],
                        title=endpoint_title(data),
                        data_updates=data,
                    )
                await self.async_set_unique_id(data[CONF_SERIAL_PORT])
                self._abort_if_unique_id_configured()
                self._data = data
                return await self.async_step_scan()
            errors["base"] = error
        ports = await self.hass.async_add_executor_job(_list_serial_ports)
        suggested = dict(
            user_input or (self._get_reconfigure_entry().data if reconfiguring else {})
        )
        for key in (CONF_BAUDRATE, CONF_STOPBITS, CONF_BYTESIZE):
            if key in suggested:
                suggested[key] = str(suggested[key])
        if CONF_PARITY in suggested:
            letters = {letter: option for option, letter in PARITIES.items()}
            suggested[CONF_PARITY] = letters.get(suggested[CONF_PARITY], suggested[CONF_PARITY])
        return self.async_show_form(
            step_id="serial",
            data_schema=self.add_suggested_values_to_schema(_serial_schema(ports), suggested),
            errors=errors,
        )

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """The Prepaid Power add-on announced itself."""
        data = {
            CONF_CONNECTION: CONNECTION_TCP,
            CONF_HOST: discovery_info.config[CONF_HOST],
            CONF_PORT: int(discovery_info.config[CONF_PORT]),
            CONF_FRAMING: FRAMING_TCP,
            CONF_ADDON_SLUG: discovery_info.slug,
        }
        await self.async_set_unique_id(f"addon-{discovery_info.slug}")
        # The add-on moved (new host name or port): follow it.
        self._abort_if_unique_id_configured(
            updates={CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]}
        )
        # A gateway added by hand at the add-on's address already polls this bus.
        await self._async_abort_if_same_endpoint(data)
        self._data = data
        self._addon_name = discovery_info.name
        self.context["title_placeholders"] = {"name": discovery_info.name}
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask before connecting to the add-on."""
        errors: dict[str, str] = {}
        if user_input is not None:
            if not (error := await self._async_check(self._data)):
                return await self.async_step_scan()
            errors["base"] = error
        return self.async_show_form(
            step_id="hassio_confirm",
            description_placeholders={"addon": self._addon_name},
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change how an existing gateway is reached."""
        if self._get_reconfigure_entry().data[CONF_CONNECTION] == CONNECTION_SERIAL:
            return await self.async_step_serial()
        return await self.async_step_tcp()

    async def async_step_scan(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose the slave ids to probe, then probe them while the user watches."""
        if self._scan_task is None:
            errors: dict[str, str] = {}
            if user_input is not None:
                first, last = user_input[CONF_FIRST_ID], user_input[CONF_LAST_ID]
                if first <= last:
                    self._scan_range = (first, last)
                    self._scan_task = self.hass.async_create_task(
                        async_scan(self.hass, self._data, {}, first, last), eager_start=False
                    )
                else:
                    errors["base"] = "invalid_range"
            if self._scan_task is None:
                return self.async_show_form(
                    step_id="scan",
                    data_schema=self.add_suggested_values_to_schema(SCAN_SCHEMA, user_input),
                    errors=errors,
                )
        if not self._scan_task.done():
            return self.async_show_progress(
                progress_action="scan",
                progress_task=self._scan_task,
                description_placeholders={
                    "first": str(self._scan_range[0]),
                    "last": str(self._scan_range[1]),
                },
            )
        task, self._scan_task = self._scan_task, None
        try:
            self._result = task.result()
        except Exception:
            return self.async_show_progress_done(next_step_id="scan_failed")
        return self.async_show_progress_done(next_step_id="scan_result")

    async def async_step_scan_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The gateway stopped answering during the scan."""
        return self.async_abort(reason="scan_failed")

    async def async_step_scan_result(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show what was found; saving creates the gateway with those meters."""
        assert self._result is not None
        meters = self._result.meters
        if user_input is not None:
            first, last = self._scan_range
            return self.async_create_entry(
                title=self._addon_name or f"Gateway {endpoint_title(self._data)}",
                data={
                    **self._data,
                    CONF_METERS: meters_data(meters),
                    CONF_FIRST_ID: first,
                    CONF_LAST_ID: last,
                },
            )
        return self.async_show_form(
            step_id="scan_result",
            description_placeholders={
                "count": str(len(meters)),
                "meters": describe_meters(meters) or "-",
                "unidentified": ", ".join(str(i) for i in self._result.unidentified) or "-",
            },
        )

    def _abort_if_other_entry_matches(self, data: Mapping[str, Any]) -> None:
        """Abort when another gateway entry already reaches the same host:port or port."""
        own = self._get_reconfigure_entry().entry_id if self.source == SOURCE_RECONFIGURE else None
        title = endpoint_title(data)
        for entry in self._async_current_entries(include_ignore=False):
            if entry.entry_id != own and endpoint_title(entry.data) == title:
                raise AbortFlow("already_configured")

    async def _async_abort_if_same_endpoint(self, data: Mapping[str, Any]) -> None:
        """Abort when a TCP gateway entry reaches the same port of the same host, by any name."""
        addresses = await _async_addresses(self.hass, data[CONF_HOST])
        for entry in self._async_current_entries(include_ignore=False):
            if entry.data.get(CONF_CONNECTION) != CONNECTION_TCP or entry.data.get(
                CONF_PORT
            ) != data.get(CONF_PORT):
                continue
            if entry.data[CONF_HOST] == data[CONF_HOST] or addresses & await _async_addresses(
                self.hass, entry.data[CONF_HOST]
            ):
                raise AbortFlow("already_configured")

    async def _async_check(self, data: Mapping[str, Any]) -> str | None:
        """The form error for a gateway that does not answer properly, or None."""
        status = await check_connection(endpoint_from_data(data))
        return CONNECTION_ERRORS.get(status)


async def _async_addresses(hass: HomeAssistant, host: str) -> set[str]:
    """The IP addresses a host name stands for (none when it does not resolve)."""
    try:
        infos = await hass.loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return set()
    return {str(info[4][0]) for info in infos}


async def async_profile_set(hass: HomeAssistant, entry: ConfigEntry) -> ProfileSet:
    """The profiles a gateway uses: its loaded set, or the built-in and the user's files."""
    runtime = getattr(entry, "runtime_data", None)
    if runtime is not None:
        profile_set: ProfileSet = runtime.profile_set
        return profile_set
    return await hass.async_add_executor_job(
        load_profiles, Path(hass.config.path(USER_PROFILES_DIR))
    )


def model_issue_id(entry: ConfigEntry, slave_id: int) -> str:
    """The repair issue offering a scanned model for a known meter."""
    return f"{ISSUE_MODEL_CHANGE}_{entry.entry_id}_{slave_id}"


@callback
def async_change_meter_model(
    hass: HomeAssistant, entry: ConfigEntry, slave_id: int, profile_id: str
) -> bool:
    """Store another model for a known meter (the gateway reloads); False if it is gone."""
    meters = [dict(meter) for meter in entry.data[CONF_METERS]]
    for meter in meters:
        if meter[CONF_SLAVE_ID] == slave_id:
            meter[CONF_PROFILE] = profile_id
            ir.async_delete_issue(hass, DOMAIN, model_issue_id(entry, slave_id))
            hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_METERS: meters})
            return True
    return False


class GatewayOptionsFlow(OptionsFlow):
    """Poll interval, bus timing and which meter values a gateway offers; a meter's model."""

    def __init__(self) -> None:
        """Nothing chosen yet."""
        self._slave_id: int | None = None
        self._profile_set: ProfileSet | None = None

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The gateway's settings, or correcting a meter's model."""
        return self.async_show_menu(
            step_id="init",
            menu_options=["settings", "change_model", "portal_link", "kiosk_link", "payee"],
        )

    def _rooms(self) -> dict[str, str]:
        return {
            sub.subentry_id: sub.title
            for sub in self.config_entry.subentries.values()
            if sub.subentry_type == SUBENTRY_ROOM
        }

    async def async_step_portal_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A room's private tenant link: make a new one (shown once; the old one ends) or
        end it. The flow itself is for administrators only (HA's own rule): it does what
        `operations.rotate_portal_link` / `revoke_portal_link` do, without their check."""

        rooms = self._rooms()
        if not rooms:
            return self.async_abort(reason="no_rooms")
        if user_input is not None:
            room_id = user_input[CONF_ROOM]
            if user_input[CONF_LINK_ACTION] == LINK_REVOKE:
                await async_end_room_link(self.hass, room_id)
                return self.async_abort(
                    reason="portal_link_revoked", description_placeholders={"room": rooms[room_id]}
                )
            link = await async_new_room_link(self.hass, room_id)
            return self.async_abort(
                reason="portal_link_made",
                description_placeholders={"room": rooms[room_id], "url": link.url or link.path},
            )
        links = portal_links(self.hass)
        with_link = [name for room_id, name in rooms.items() if links.room_link(room_id)]
        schema = vol.Schema(
            {
                vol.Required(CONF_ROOM): _choice(rooms),
                vol.Required(CONF_LINK_ACTION, default=LINK_ROTATE): _select(
                    [LINK_ROTATE, LINK_REVOKE], CONF_LINK_ACTION
                ),
            }
        )
        return self.async_show_form(
            step_id="portal_link",
            data_schema=schema,
            description_placeholders={"rooms": ", ".join(with_link) or "-"},
        )

    async def async_step_kiosk_link(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A kiosk link showing chosen rooms' balances and supply states; or end kiosks."""

        rooms = self._rooms()
        if not rooms:
            return self.async_abort(reason="no_rooms")
        links = portal_links(self.hass)
        kiosks = {
            link.kiosk_id: f"{link.name or link.kiosk_id} ({len(link.room_ids)})"
            for link in links.kiosks()
            if link.kiosk_id is not None and set(link.room_ids) <= set(rooms)
        }
        errors: dict[str, str] = {}
        if user_input is not None:
            if ended := user_input.get(CONF_KIOSKS_REVOKED):
                for kiosk_id in ended:
                    await async_end_kiosk_link(self.hass, kiosk_id)
                return self.async_abort(reason="kiosk_links_revoked")
            if chosen := user_input.get(CONF_ROOMS):
                link = await async_new_kiosk_link(self.hass, chosen, user_input.get(CONF_NAME, ""))
                return self.async_abort(
                    reason="kiosk_link_made",
                    description_placeholders={"url": link.url or link.path},
                )
            errors["base"] = "no_rooms_chosen"
        fields: dict[Any, Any] = {
            vol.Optional(CONF_NAME): TextSelector(),
            vol.Optional(CONF_ROOMS): _choice(rooms, multiple=True),
        }
        if kiosks:
            fields[vol.Optional(CONF_KIOSKS_REVOKED)] = _choice(kiosks, multiple=True)
        return self.async_show_form(
            step_id="kiosk_link", data_schema=vol.Schema(fields), errors=errors
        )

    async def async_step_payee(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The landlord's bank payee: with it the portal and the console show each room's EPC
        QR code for a bank transfer (its payment reference filled in). Empty: no payee."""
        errors: dict[str, str] = {}
        if user_input is not None:
            typed = {key: str(user_input.get(key) or "").strip() for key in PAYEE_FIELDS}
            options = {k: v for k, v in self.config_entry.options.items() if k not in PAYEE_FIELDS}
            if not any(typed.values()):
                return self.async_create_entry(data=options)
            try:
                payee = Payee.parse(
                    typed[CONF_PAYEE_NAME], typed[CONF_PAYEE_IBAN], typed[CONF_PAYEE_BIC]
                )
            except PayeeError as err:
                field = {"payee_name_invalid": CONF_PAYEE_NAME, "payee_bic_invalid": CONF_PAYEE_BIC}
                errors[field.get(err.key, CONF_PAYEE_IBAN)] = err.key
            else:
                return self.async_create_entry(
                    data={
                        **options,
                        CONF_PAYEE_NAME: payee.name,
                        CONF_PAYEE_IBAN: payee.iban,
                        CONF_PAYEE_BIC: payee.bic,
                    }
                )
        schema = vol.Schema({vol.Optional(key): TextSelector() for key in PAYEE_FIELDS})
        return self.async_show_form(
            step_id="payee",
            data_schema=self.add_suggested_values_to_schema(
                schema, user_input if user_input is not None else self.config_entry.options
            ),
            errors=errors,
        )

    async def async_step_change_model(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose a meter whose model has compatible alternatives (same bus answers)."""
        profile_set = self._profile_set = await async_profile_set(self.hass, self.config_entry)
        choices = {
            meter[CONF_SLAVE_ID]: f"{meter[CONF_SLAVE_ID]}: {_model_label(profile_set, meter)}"
            for meter in self.config_entry.data.get(CONF_METERS, [])
            if profile_set.compatible(meter[CONF_PROFILE])
        }
        if not choices:
            return self.async_abort(reason="no_compatible_models")
        if user_input is not None:
            self._slave_id = int(user_input[CONF_METER])
            return await self.async_step_change_model_to()
        schema = vol.Schema({vol.Required(CONF_METER): _meter_select(choices)})
        return self.async_show_form(step_id="change_model", data_schema=schema)

    async def async_step_change_model_to(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Choose the meter's model among its current one and the compatible ones."""
        assert self._slave_id is not None
        assert self._profile_set is not None
        profile_set, entry = self._profile_set, self.config_entry
        current = next(m for m in entry.data[CONF_METERS] if m[CONF_SLAVE_ID] == self._slave_id)
        allowed = [current[CONF_PROFILE], *profile_set.compatible(current[CONF_PROFILE])]
        if user_input is not None:
            chosen = user_input[CONF_PROFILE]
            if chosen in allowed and chosen != current[CONF_PROFILE]:
                async_change_meter_model(self.hass, entry, self._slave_id, chosen)
            return self.async_create_entry(data=dict(entry.options))
        schema = vol.Schema(
            {
                vol.Required(CONF_PROFILE, default=current[CONF_PROFILE]): SelectSelector(
                    SelectSelectorConfig(
                        options=[
                            SelectOptionDict(
                                value=pid, label=_model_label(profile_set, {CONF_PROFILE: pid})
                            )
                            for pid in allowed
                        ],
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                )
            }
        )
        return self.async_show_form(
            step_id="change_model_to",
            data_schema=schema,
            description_placeholders={"slave_id": str(self._slave_id)},
        )

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """One form for the gateway's options."""
        if user_input is not None:
            return self.async_create_entry(data={**self.config_entry.options, **user_input})
        schema = vol.Schema(
            {
                vol.Required(CONF_POLL_INTERVAL, default=DEFAULT_POLL_INTERVAL): _number(
                    2, 3600, "s"
                ),
                vol.Required(CONF_TIMEOUT_MS, default=DEFAULT_TIMEOUT_MS): _number(50, 10000, "ms"),
                vol.Required(
                    CONF_GAP_MS,
                    default=bus_settings(self.config_entry.data, {}).inter_frame_gap_ms,
                ): _number(0, 2000, "ms"),
                vol.Required(CONF_ALL_METER_VALUES, default=False): BooleanSelector(),
            }
        )
        return self.async_show_form(
            step_id="settings",
            data_schema=self.add_suggested_values_to_schema(schema, self.config_entry.options),
        )


def _model_label(profile_set: ProfileSet, meter: Mapping[str, Any]) -> str:
    profile = profile_set.profiles.get(meter[CONF_PROFILE])
    return meter[CONF_PROFILE] if profile is None else f"{profile.manufacturer} {profile.model}"


def _text(value: Decimal) -> str:
    """A default amount as the form shows it: 10, 0 (not 0.00)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def room_currency(hass: HomeAssistant, entry: ConfigEntry) -> Currency:
    """The currency a gateway's rooms keep money in: its ledger's, else HA's."""
    runtime = getattr(entry, "runtime_data", None)
    return runtime.rooms.currency if runtime is not None else currency_of(hass.config.currency)


PAYMENT_REFERENCE_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,31}")


ROOM_SUPPLY_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_LOW_LEVEL, default=_text(DEFAULTS.low_level or Decimal(0))): (
            TextSelector()
        ),
        vol.Optional(CONF_WARNING_CUT_LEVEL): TextSelector(),
        vol.Required(CONF_CREDIT_LIMIT, default=_text(DEFAULTS.credit_limit)): TextSelector(),
        vol.Required(
            CONF_GRACE_MINUTES, default=int(DEFAULTS.grace_period.total_seconds() // 60)
        ): _number(0, 10080, "min"),
        vol.Required(
            CONF_AUTO_RESTORE_MINIMUM, default=_text(DEFAULTS.auto_restore_minimum)
        ): TextSelector(),
        vol.Required(
            CONF_EMERGENCY_CREDIT, default=_text(DEFAULTS.emergency_credit_amount)
        ): TextSelector(),
        vol.Optional(CONF_POWER_LIMIT_W): _number(1, 100000, "W"),
        vol.Required(
            CONF_OVERLOAD_SECONDS, default=int(DEFAULTS.overload_duration.total_seconds())
        ): _number(1, 3600, "s"),
        vol.Required(
            CONF_RECLOSE_MINUTES, default=int(DEFAULTS.reclose_delay.total_seconds() // 60)
        ): _number(0, 1440, "min"),
        vol.Required(CONF_MAX_RECLOSE_ATTEMPTS, default=DEFAULTS.max_reclose_attempts): _number(
            0, 20
        ),
        vol.Required(CONF_CUT_OFF_MODE, default=DEFAULTS.cut_off_mode.value): _select(
            list(CUT_OFF_MODES), CONF_CUT_OFF_MODE
        ),
    }
)

ROOM_SCHEDULES_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_FRIENDLY_HOURS_ENTITY): EntitySelector(
            EntitySelectorConfig(domain=["schedule", "binary_sensor", "input_boolean"])
        ),
        vol.Optional(CONF_SUPPLY_SCHEDULE_ENTITY): EntitySelector(
            EntitySelectorConfig(domain=["schedule", "input_boolean"])
        ),
    }
)


class RoomSubentryFlow(ConfigSubentryFlow):
    """Add or change a room: its meter, price, billing cycle, allowance and supply rules."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A new room."""
        return await self._async_room_form(user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a room; its entities and history stay."""
        return await self._async_room_form(user_input, self._get_reconfigure_subentry())

    async def _async_room_form(
        self, user_input: dict[str, Any] | None, current: ConfigSubentry | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        meters = _meter_labels(self.hass, entry)
        own = None if current is None else current.subentry_id
        free = _free_meters(entry, meters, own)
        if not free:
            return self.async_abort(reason="no_free_meter")
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**user_input, CONF_METER: int(user_input[CONF_METER])}
            occupied = data.pop(CONF_OCCUPIED, False)
            tenant, opening_balance = data.pop(CONF_TENANT, ""), data.pop(CONF_OPENING_BALANCE, "")
            money = room_currency(self.hass, entry)
            errors = _room_errors(entry, data, own, money)
            if not errors and (error := _bills_to_error(entry, own, data, occupied=occupied)):
                errors[CONF_BILLS_TO] = error
            if not errors and occupied:
                move_in, errors = _move_in_data(entry, data, tenant, opening_balance, money)
                data[CONF_MOVE_IN] = move_in
            if not errors:
                title = data.pop(CONF_NAME)
                if current is None:
                    return self.async_create_entry(title=title, data=data)
                return self.async_update_and_abort(entry, current, title=title, data=data)
        users = {
            user.id: user.name or user.id
            for user in await self.hass.auth.async_get_users()
            if user.is_active and not user.system_generated
        }
        others = {
            sub.subentry_id: sub.title
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_ROOM and sub.subentry_id != own
        }
        schema = _room_schema(free, entry, users, others, new=current is None)
        suggested: dict[str, Any] | None = user_input
        if suggested is None and current is not None:
            suggested = {
                **current.data,
                CONF_NAME: current.title,
                CONF_METER: str(current.data[CONF_METER]),
            }
        return self.async_show_form(
            step_id="reconfigure" if current is not None else "user",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )


def _free_meters(entry: ConfigEntry, meters: Mapping[int, str], own: str | None) -> dict[int, str]:
    """The meters no room, house meter or common meter uses but the subentry `own` (being
    changed)."""
    used = {
        int(sub.data[CONF_METER]): sub.subentry_id
        for sub in entry.subentries.values()
        if sub.subentry_type in {SUBENTRY_ROOM, SUBENTRY_HOUSE_METER, SUBENTRY_COMMON_METER}
    }
    return {slave: label for slave, label in meters.items() if used.get(slave) in (None, own)}


class HouseMeterSubentryFlow(ConfigSubentryFlow):
    """Name the gateway's house (main) meter and the daily difference worth a repair."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """The house meter (one per gateway)."""
        if any(
            sub.subentry_type == SUBENTRY_HOUSE_METER
            for sub in self._get_entry().subentries.values()
        ):
            return self.async_abort(reason="house_meter_exists")
        return await self._async_form(user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Another meter or threshold."""
        return await self._async_form(user_input, self._get_reconfigure_subentry())

    async def _async_form(
        self, user_input: dict[str, Any] | None, current: ConfigSubentry | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        free = _free_meters(
            entry, _meter_labels(self.hass, entry), None if current is None else current.subentry_id
        )
        if not free:
            return self.async_abort(reason="no_free_meter")
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**user_input, CONF_METER: int(user_input[CONF_METER])}
            for key in (CONF_THRESHOLD_KWH, CONF_THRESHOLD_PERCENT):
                text = str(data.get(key) or "").strip()
                data[key] = text
                if text and (error := decimal_error(text, 3, "zero")):
                    errors[key] = error
            if not errors:
                title = free[data[CONF_METER]]
                if current is None:
                    return self.async_create_entry(title=title, data=data)
                return self.async_update_and_abort(entry, current, title=title, data=data)
        schema = vol.Schema(
            {
                vol.Required(CONF_METER): _meter_select(free),
                vol.Optional(CONF_THRESHOLD_KWH): TextSelector(),
                vol.Optional(CONF_THRESHOLD_PERCENT): TextSelector(),
            }
        )
        suggested: dict[str, Any] | None = user_input
        if suggested is None and current is not None:
            suggested = {**current.data, CONF_METER: str(current.data[CONF_METER])}
        return self.async_show_form(
            step_id="reconfigure" if current is not None else "user",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )


class CommonMeterSubentryFlow(ConfigSubentryFlow):
    """A common-area meter whose daily cost the chosen rooms share (see common_area.py)."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """A new common meter."""
        return await self._async_form(user_input, None)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Another name, meter, price, rooms or method (from the next day booked)."""
        return await self._async_form(user_input, self._get_reconfigure_subentry())

    async def _async_form(
        self, user_input: dict[str, Any] | None, current: ConfigSubentry | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        free = _free_meters(
            entry, _meter_labels(self.hass, entry), None if current is None else current.subentry_id
        )
        rooms = {
            sub.subentry_id: sub.title
            for sub in entry.subentries.values()
            if sub.subentry_type == SUBENTRY_ROOM
        }
        if not free:
            return self.async_abort(reason="no_free_meter")
        if not rooms:
            return self.async_abort(reason="no_rooms")
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**user_input, CONF_METER: int(user_input[CONF_METER])}
            data[CONF_NAME] = str(data.get(CONF_NAME) or "").strip()
            data[CONF_PRICE] = str(data.get(CONF_PRICE) or "").strip()
            if not data[CONF_NAME]:
                errors[CONF_NAME] = "name_required"
            if error := decimal_error(data[CONF_PRICE], 4, "zero"):
                errors[CONF_PRICE] = error
            shared_by = [room for room in data.get(CONF_SHARED_BY, []) if room in rooms]
            if not shared_by:
                errors[CONF_SHARED_BY] = "no_rooms_chosen"
            data[CONF_SHARED_BY] = shared_by
            if not errors:
                if current is None:
                    return self.async_create_entry(title=data[CONF_NAME], data=data)
                return self.async_update_and_abort(entry, current, title=data[CONF_NAME], data=data)
        schema = vol.Schema(
            {
                vol.Required(CONF_NAME): TextSelector(),
                vol.Required(CONF_METER): _meter_select(free),
                vol.Required(CONF_PRICE): TextSelector(),
                vol.Required(CONF_SHARED_BY): _choice(rooms, multiple=True),
                vol.Required(CONF_SHARE_METHOD, default=METHODS[0]): _select(
                    list(METHODS), CONF_SHARE_METHOD
                ),
            }
        )
        suggested: dict[str, Any] | None = user_input
        if suggested is None and current is not None:
            suggested = {
                **current.data,
                CONF_NAME: current.title,
                CONF_METER: str(current.data[CONF_METER]),
            }
        return self.async_show_form(
            step_id="reconfigure" if current is not None else "user",
            data_schema=self.add_suggested_values_to_schema(schema, suggested),
            errors=errors,
        )


def _meter_labels(hass: HomeAssistant, entry: ConfigEntry) -> dict[int, str]:
    """Meters of a gateway that can be billed (not relay boards), by slave id."""
    profiles = getattr(entry, "runtime_data", None)
    labels: dict[int, str] = {}
    for meter in entry.data.get(CONF_METERS, []):
        profile = None
        if profiles is not None:
            profile = profiles.profile_set.profiles.get(meter[CONF_PROFILE])
        if profile is not None and profile.energy_key is None:
            continue
        model = profile.model if profile is not None else meter[CONF_PROFILE]
        labels[meter[CONF_SLAVE_ID]] = f"{meter[CONF_SLAVE_ID]}: {model}"
    return labels


def _meter_select(labels: Mapping[int, str]) -> SelectSelector:
    """A drop-down of meters by slave id."""
    return _choice({str(slave): label for slave, label in sorted(labels.items())})


def _room_schema(
    free: dict[int, str],
    entry: ConfigEntry,
    users: Mapping[str, str],
    others: Mapping[str, str],
    *,
    new: bool,
) -> vol.Schema:
    # Adopting an occupied building: a new room may start with its tenant already moved in.
    tenancy: dict[Any, Any] = (
        {
            vol.Required(CONF_OCCUPIED, default=False): BooleanSelector(),
            vol.Optional(CONF_TENANT): TextSelector(),
            vol.Optional(CONF_OPENING_BALANCE): TextSelector(),
        }
        if new
        else {}
    )
    return vol.Schema(
        {
            vol.Required(CONF_NAME): TextSelector(),
            vol.Required(CONF_METER): _meter_select(free),
            vol.Required(CONF_PRICE): TextSelector(),
            vol.Required(CONF_CYCLE_START_DAY, default=1): _number(1, 28),
            vol.Required(CONF_ALLOWANCE_KWH, default="0"): TextSelector(),
            vol.Required(CONF_ALLOWANCE_PRO_RATA, default=False): BooleanSelector(),
            vol.Required(CONF_STANDING_CHARGE, default="0"): TextSelector(),
            vol.Required(CONF_PAUSE_STANDING_WHEN_CUT, default=False): BooleanSelector(),
            vol.Optional(CONF_TAX_RATE): TextSelector(),
            vol.Required(CONF_TAX_MODE, default=DEFAULT_TAX_MODE): _select(
                list(TAX_MODES), CONF_TAX_MODE
            ),
            vol.Required(CONF_TAX_ON_FEES, default=False): BooleanSelector(),
            vol.Optional(CONF_PAYMENT_REFERENCE): TextSelector(),
            # A shared account: this room's meter bills to another room's account.
            **({vol.Optional(CONF_BILLS_TO): _choice(others)} if others else {}),
            vol.Required(CONF_ACTUATOR_KIND, default=ACTUATOR_METER_RELAY): _select(
                list(ACTUATOR_KINDS), CONF_ACTUATOR_KIND
            ),
            vol.Optional(CONF_BOARD): _number(1, MAX_SLAVE_ID),
            vol.Optional(CONF_CHANNEL): _number(1, 64),
            vol.Optional(CONF_SWITCH_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=["switch", "input_boolean"])
            ),
            **tenancy,
            vol.Required(CONF_SUPPLY): section(ROOM_SUPPLY_SCHEMA, {"collapsed": True}),
            vol.Required(CONF_SCHEDULES): section(ROOM_SCHEDULES_SCHEMA, {"collapsed": True}),
            vol.Optional(CONF_ACCESS): section(
                vol.Schema(
                    {
                        vol.Optional(CONF_TENANT_USERS, default=[]): _choice(users, multiple=True),
                        vol.Required(CONF_PORTAL_SHOWS_TENANT, default=False): BooleanSelector(),
                    }
                ),
                {"collapsed": True},
            ),
        }
    )


def _move_in_data(
    entry: ConfigEntry,
    data: Mapping[str, Any],
    tenant: str,
    opening_balance: str,
    money: Currency,
) -> tuple[dict[str, str], dict[str, str]]:
    """The move-in a new room starts with, and the form errors that prevent it.

    The tenant is billed from the meter's reading now; the opening balance must keep the
    supply on (above the cut-off level), since adopting a building must cut nobody off.
    """
    if not str(tenant).strip():
        return {}, {CONF_TENANT: "tenant_required"}
    balance = str(opening_balance).strip() or "0"
    if error := decimal_error(balance, money.exponent, "zero"):
        return {}, {CONF_OPENING_BALANCE: error}
    if Decimal(balance) <= supply_settings(data).cut_off_level:
        return {}, {CONF_OPENING_BALANCE: "opening_balance_at_cut_off"}
    runtime = getattr(entry, "runtime_data", None)
    reading = None
    if runtime is not None and (meter := runtime.meters.get(data[CONF_METER])) is not None:
        reading = current_reading(
            runtime.coordinator.data.readings, data[CONF_METER], meter.profile.energy_key
        )
    if reading is None:
        return {}, {CONF_METER: "meter_unavailable"}
    return {
        CONF_TENANT: str(tenant).strip(),
        CONF_OPENING_READING: str(reading),
        CONF_OPENING_BALANCE: balance,
    }, {}


def _bills_to_error(
    entry: ConfigEntry, own: str | None, data: dict[str, Any], *, occupied: bool
) -> str | None:
    """The room the meter bills to, as the billing core's rules allow it (one payer and its
    meters, no chains, no tenant of the room's own); an empty choice is dropped."""
    payer = data.pop(CONF_BILLS_TO, None) or None
    if payer is None:
        return None
    rooms = {
        sub.subentry_id: sub
        for sub in entry.subentries.values()
        if sub.subentry_type == SUBENTRY_ROOM
    }
    me = own or ""
    names = {room_id: sub.title for room_id, sub in rooms.items()}
    names[me] = data[CONF_NAME]
    links = {
        room_id: sub.data.get(CONF_BILLS_TO) or None
        for room_id, sub in rooms.items()
        if room_id != me
    }
    runtime = getattr(entry, "runtime_data", None)
    if own is not None and runtime is not None:
        state = runtime.coordinator.data.rooms.get(own)
        occupied = occupied or (
            state is not None and state.tenant is not None and state.summary.payer is None
        )
    try:
        check_link(me, payer, links, names, occupied=occupied)
    except BillingError as err:
        return err.key
    data[CONF_BILLS_TO] = payer
    return None


def _payment_reference_error(
    entry: ConfigEntry, own: str | None, data: dict[str, Any]
) -> str | None:
    """A room's payment reference: a word a bank line can be matched by (3 to 32 letters,
    digits or dashes), not another room's."""
    reference = str(data.get(CONF_PAYMENT_REFERENCE) or "").strip()
    if not reference:
        return None
    if not PAYMENT_REFERENCE_PATTERN.fullmatch(reference):
        return "payment_reference_invalid"
    for sub in entry.subentries.values():
        theirs = str(sub.data.get(CONF_PAYMENT_REFERENCE) or "").strip().casefold()
        if sub.subentry_id != own and theirs == reference.casefold():
            return "payment_reference_taken"
    return None


def _room_errors(
    entry: ConfigEntry, data: dict[str, Any], own: str | None, money: Currency
) -> dict[str, str]:
    """Form errors for a room that cannot work as entered: its values (`settings`), then
    what they must fit (its name, the gateway's meters and relays)."""
    if errors := field_errors(data, money):
        return errors
    for sub in entry.subentries.values():
        if (
            sub.subentry_id != own
            and sub.subentry_type == SUBENTRY_ROOM
            and sub.title.strip().casefold() == data[CONF_NAME].strip().casefold()
        ):
            errors[CONF_NAME] = "name_taken"
    if error := _payment_reference_error(entry, own, data):
        errors[CONF_PAYMENT_REFERENCE] = error
    meters = {m[CONF_SLAVE_ID]: m for m in entry.data.get(CONF_METERS, [])}
    kind = data[CONF_ACTUATOR_KIND]
    runtime = getattr(entry, "runtime_data", None)
    if kind == ACTUATOR_METER_RELAY and runtime is not None:
        meter = runtime.meters.get(data[CONF_METER])
        if meter is not None and meter.profile.relay is None:
            errors[CONF_ACTUATOR_KIND] = "meter_has_no_relay"
    if kind == ACTUATOR_BOARD:
        board = meters.get(data.get(CONF_BOARD))
        if board is None or CONF_CHANNEL not in data:
            errors[CONF_BOARD] = "board_required"
        elif runtime is not None and (meter := runtime.meters.get(board[CONF_SLAVE_ID])):
            relay = meter.profile.relay
            if relay is None or meter.profile.energy_key is not None:
                errors[CONF_BOARD] = "not_a_relay_board"
            elif data[CONF_CHANNEL] > relay.channels:
                errors[CONF_CHANNEL] = "no_such_channel"
    if kind == ACTUATOR_SWITCH and not data.get(CONF_SWITCH_ENTITY):
        errors[CONF_SWITCH_ENTITY] = "switch_required"
    return errors
