"""The landlord's bank payee and the EPC QR code ("GiroCode") of a tenant's transfer to it.

A payee is a name, an IBAN (checked by its ISO 13616 check digits) and optionally a BIC
(since EPC069-12 version 002 only needed outside the EEA). `epc_payload` is the text of an
EPC069-12 v2.1 QR code for a SEPA credit transfer: the room's payment reference in the
remittance field (the structured one when it is an ISO 11649 `RF` creditor reference, else
the unstructured one), the amount left empty so the tenant chooses it. Pure: no HA import.
The payee is a gateway's option (`stored_payee`), set in the gateway's options flow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
import re
from typing import Any, Final

from .const import CONF_PAYEE_BIC, CONF_PAYEE_IBAN, CONF_PAYEE_NAME

NAME_MAX: Final = 70
INFORMATION_MAX: Final = 70
UNSTRUCTURED_MAX: Final = 140
STRUCTURED_MAX: Final = 25
PAYLOAD_MAX_BYTES: Final = 331
AMOUNT_MIN: Final = Decimal("0.01")
AMOUNT_MAX: Final = Decimal("999999999.99")
IBAN_PATTERN: Final = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
BIC_PATTERN: Final = re.compile(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?")
RF_PATTERN: Final = re.compile(r"RF[0-9]{2}[A-Z0-9]{1,21}")
PURPOSE_PATTERN: Final = re.compile(r"[A-Z0-9]{4}")


class PayeeError(ValueError):
    """Bad payee or payment data; `key` is the translation key of the error."""

    def __init__(self, key: str) -> None:
        """An error named by its translation key."""
        super().__init__(key)
        self.key = key


def _compact(text: str) -> str:
    """An IBAN, BIC or reference as typed (spaces, lower case) in its electronic form."""
    return "".join(text.split()).upper()


def _mod97(text: str) -> int:
    """ISO 7064 MOD 97-10 of a text whose letters count as 10..35 (IBAN and RF check)."""
    return int("".join(str(int(char, 36)) for char in text)) % 97


def iban_valid(iban: str) -> bool:
    """An IBAN in electronic form with correct check digits."""
    return bool(IBAN_PATTERN.fullmatch(iban)) and _mod97(iban[4:] + iban[:4]) == 1


def creditor_reference(reference: str) -> bool:
    """An ISO 11649 creditor reference (`RF` + check digits + up to 21 characters)."""
    return bool(RF_PATTERN.fullmatch(reference)) and _mod97(reference[4:] + reference[:4]) == 1


def _one_line(text: str) -> bool:
    return "\n" not in text and "\r" not in text


@dataclass(frozen=True, slots=True)
class Payee:
    """Whom a tenant's bank transfer goes to."""

    name: str
    iban: str
    bic: str = ""

    @classmethod
    def parse(cls, name: str, iban: str, bic: str = "") -> Payee:
        """A payee from what the landlord typed (spaces and case of IBAN and BIC ignored)."""
        name = name.strip()
        if not name or len(name) > NAME_MAX or not _one_line(name):
            raise PayeeError("payee_name_invalid")
        iban = _compact(iban)
        if not iban_valid(iban):
            raise PayeeError("payee_iban_invalid")
        bic = _compact(bic)
        if bic and not BIC_PATTERN.fullmatch(bic):
            raise PayeeError("payee_bic_invalid")
        return cls(name, iban, bic)


def stored_payee(options: Mapping[str, Any]) -> Payee | None:
    """The payee of a gateway's options (checked when it was set), if the landlord set one."""
    if not options.get(CONF_PAYEE_IBAN):
        return None
    return Payee(
        str(options.get(CONF_PAYEE_NAME, "")),
        str(options[CONF_PAYEE_IBAN]),
        str(options.get(CONF_PAYEE_BIC) or ""),
    )


def epc_payload(
    payee: Payee,
    reference: str = "",
    *,
    amount: Decimal | None = None,
    purpose: str = "",
    information: str = "",
    version: str = "002",
) -> str:
    """The EPC069-12 QR payload (UTF-8, character set 1) of a transfer to the payee."""
    if version not in {"001", "002"} or (version == "001" and not payee.bic):
        raise PayeeError("payee_bic_invalid")
    amount_text = ""
    if amount is not None:
        if not AMOUNT_MIN <= amount <= AMOUNT_MAX or amount != amount.quantize(AMOUNT_MIN):
            raise PayeeError("payment_amount_invalid")
        amount_text = "EUR" + format(amount.normalize(), "f")
    if purpose and not PURPOSE_PATTERN.fullmatch(purpose):
        raise PayeeError("payment_purpose_invalid")
    reference = reference.strip()
    structured = _compact(reference) if creditor_reference(_compact(reference)) else ""
    unstructured = "" if structured else reference
    if (
        len(structured) > STRUCTURED_MAX
        or len(unstructured) > UNSTRUCTURED_MAX
        or not _one_line(unstructured)
    ):
        raise PayeeError("payment_reference_invalid")
    if len(information) > INFORMATION_MAX or not _one_line(information):
        raise PayeeError("payment_information_invalid")
    lines = [
        "BCD",
        version,
        "1",
        "SCT",
        payee.bic,
        payee.name,
        payee.iban,
        amount_text,
        purpose,
        structured,
        unstructured,
        information,
    ]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    if len(payload.encode()) > PAYLOAD_MAX_BYTES:
        raise PayeeError("payment_reference_invalid")
    return payload
