"""Landlord money actions of the debt recovery plan (admin only).

Each action is a thin wrapper over one typed operation (`set_debt_plan`), which holds the
permission rule and maps the billing core's refusals to translated errors, so any front
end can call the operation itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import (
    Context,
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)

from .access import async_require_landlord, who
from .billing.core import DebtPlanStatus
from .billing.recovery import RECOVERY_EVERY
from .compat import vol
from .const import DOMAIN, EVENT_LANDLORD_ACTION
from .services import ROOM, Target, _run, _short_text, _target, _text

SERVICE_SET_DEBT_PLAN = "set_debt_plan"

SET_DEBT_PLAN_SCHEMA = vol.Schema(
    {
        **ROOM,
        vol.Optional("debt", default="0"): _text,
        vol.Optional("reason", default=""): _short_text(),
        vol.Optional("percent", default="0"): _text,
        vol.Optional("fixed_amount", default="0"): _text,
        vol.Optional("every", default="day"): vol.In(RECOVERY_EVERY),
        vol.Optional("floor", default="0"): _text,
    }
)


@dataclass(frozen=True, slots=True)
class DebtPlanTerms:
    """What the landlord asks: debt to record on the plan (0: none) and the new terms."""

    debt: str = "0"
    reason: str = ""
    percent: str = "0"
    fixed_amount: str = "0"
    every: str = "day"
    floor: str = "0"


async def _async_after(
    hass: HomeAssistant, target: Target, context: Context, action: str, **details: object
) -> None:
    """Refresh the room from the last readings and log the landlord's action."""
    target.rooms.invalidate_totals()
    await target.entry.runtime_data.coordinator.async_refresh_rooms(context)
    state = target.rooms.states.get(target.room.subentry_id)
    hass.bus.async_fire(
        EVENT_LANDLORD_ACTION,
        target.rooms.event_data(
            target.room,
            None if state is None else state.summary.live_balance,
            action=action,
            **details,
        ),
        context=context,
    )


async def set_debt_plan(
    hass: HomeAssistant, context: Context, device_id: str, terms: DebtPlanTerms
) -> DebtPlanStatus:
    """Record debt on the room's current tenancy's recovery plan and/or set its terms."""
    await async_require_landlord(hass, context)
    target = _target(hass, device_id)
    status = await _run(
        target,
        lambda core: core.set_debt_plan(
            target.room.subentry_id,
            debt=terms.debt,
            percent=terms.percent,
            fixed=terms.fixed_amount,
            every=terms.every,
            floor=terms.floor,
            reason=terms.reason,
            who=who(context),
        ),
    )
    await _async_after(
        hass,
        target,
        context,
        SERVICE_SET_DEBT_PLAN,
        debt=status.plan.debt,
        remaining=status.remaining,
    )
    return status


def debt_plan_data(status: DebtPlanStatus) -> dict[str, Any]:
    plan = status.plan
    return {
        "tenancy_id": plan.tenancy_id,
        "debt": str(plan.debt),
        "recovered": str(status.recovered),
        "remaining": str(status.remaining),
        "percent": str(plan.percent),
        "fixed_amount": str(plan.fixed),
        "every": plan.every,
        "floor": str(plan.floor),
        "since": plan.since.isoformat(),
    }


async def _async_set_debt_plan(call: ServiceCall) -> ServiceResponse:
    data = call.data
    terms = DebtPlanTerms(
        **{
            key: data[key]
            for key in ("debt", "reason", "percent", "fixed_amount", "every", "floor")
        }
    )
    status = await set_debt_plan(call.hass, call.context, data[ATTR_DEVICE_ID], terms)
    return debt_plan_data(status) if call.return_response else None


@callback
def async_setup_money_services(hass: HomeAssistant) -> None:
    """Register the money actions (from `async_setup`, once for all gateways)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SET_DEBT_PLAN,
        _async_set_debt_plan,
        schema=SET_DEBT_PLAN_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
