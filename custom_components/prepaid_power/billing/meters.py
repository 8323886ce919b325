"""Shared accounts: a room whose meter bills to another room's account (see README.md,
"Shared accounts"). Pure rules of the link; `core.BillingCore` applies them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from .errors import (
    BILLS_TO_CHAIN,
    BILLS_TO_ITSELF,
    BILLS_TO_OCCUPIED,
    BILLS_TO_UNKNOWN_ROOM,
    BillingError,
)

# A charge of a meter posted to another room's account names the metered room here.
METER_PREFIX: Final = "meter:"


def meter_reference(room_id: str) -> str:
    """The `reference` of a charge a linked room's meter posts to its payer's account."""
    return f"{METER_PREFIX}{room_id}"


def metered_room(reference: str | None, account_room: str) -> str:
    """The room whose meter a charge measured: the one its reference names, else the
    account's own room."""
    if reference is not None and reference.startswith(METER_PREFIX):
        return reference[len(METER_PREFIX) :]
    return account_room


def check_link(
    room_id: str,
    bills_to: str | None,
    links: Mapping[str, str | None],
    names: Mapping[str, str],
    *,
    occupied: bool,
) -> None:
    """Refuse a link that is not one payer and its meters: a room billing to itself, to a
    room this ledger does not know, to a room that bills to another one itself, a room
    others bill to becoming linked (no chains, so no cycles), or a room with a tenancy of
    its own (its tenant would have two accounts). `links`: every other room's `bills_to`."""
    if bills_to is None:
        return
    if bills_to == room_id:
        raise BillingError(BILLS_TO_ITSELF, {"room": names.get(room_id, room_id)})
    if bills_to not in names:
        raise BillingError(BILLS_TO_UNKNOWN_ROOM, {"room": bills_to})
    payer = names[bills_to]
    if links.get(bills_to) is not None:
        raise BillingError(BILLS_TO_CHAIN, {"room": names.get(room_id, room_id), "payer": payer})
    if any(other == room_id for room, other in links.items() if room != room_id):
        raise BillingError(BILLS_TO_CHAIN, {"room": names.get(room_id, room_id), "payer": payer})
    if occupied:
        raise BillingError(BILLS_TO_OCCUPIED, {"room": names.get(room_id, room_id)})
