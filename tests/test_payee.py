"""The EPC069-12 payment QR payload and the payee's checks, against the guidelines' examples."""

from __future__ import annotations

from decimal import Decimal

import pytest
from segno.helpers import _make_epc_qr_data

from custom_components.prepaid_power.dashboard import room_qr
from custom_components.prepaid_power.payee import (
    Payee,
    PayeeError,
    creditor_reference,
    epc_payload,
    iban_valid,
    stored_payee,
)

RED_CROSS = Payee("Red Cross of Belgium", "BE72000000001616", "BPOTBEB1")


def test_the_guidelines_example() -> None:
    """EPC069-12 v2.1, section 3.3 (version 001, BIC given, amount EUR 1, purpose CHAR)."""
    assert epc_payload(
        RED_CROSS,
        "Urgency fund",
        amount=Decimal("1.00"),
        purpose="CHAR",
        information="Sample EPC QR code",
        version="001",
    ) == (
        "BCD\n001\n1\nSCT\nBPOTBEB1\nRed Cross of Belgium\nBE72000000001616\nEUR1\nCHAR\n\n"
        "Urgency fund\nSample EPC QR code"
    )


def test_a_room_transfer_leaves_the_amount_empty() -> None:
    """Version 002: no BIC needed; a plain reference goes into the unstructured remittance,
    an RF creditor reference into the structured one; trailing empty fields are left off."""
    payee = Payee.parse(" Franz Mustermann ", "de71 1102 2033 0123 4567 89")
    assert payee == Payee("Franz Mustermann", "DE71110220330123456789", "")
    assert epc_payload(payee, "ROOM-3") == (
        "BCD\n002\n1\nSCT\n\nFranz Mustermann\nDE71110220330123456789\n\n\n\nROOM-3"
    )
    assert epc_payload(payee, "rf18 5390 0754 7034") == (
        "BCD\n002\n1\nSCT\n\nFranz Mustermann\nDE71110220330123456789\n\n\nRF18539007547034"
    )
    assert epc_payload(payee) == "BCD\n002\n1\nSCT\n\nFranz Mustermann\nDE71110220330123456789"


@pytest.mark.parametrize(
    ("reference", "structured"),
    [("Invoice 1234", False), ("RF18539007547034", True), ("RF712348231", True)],
)
def test_the_same_as_segno_with_an_amount(reference: str, structured: bool) -> None:
    """segno's own EPC builder (which needs an amount) writes the same fields."""
    payee = Payee.parse("Wikimedia Foerdergesellschaft", "DE33100205000001194700", "BFSWDE33BER")
    ours = epc_payload(payee, reference, amount=Decimal("123.45"))
    theirs = _make_epc_qr_data(
        payee.name,
        payee.iban,
        Decimal("123.45"),
        text=None if structured else reference,
        reference=reference if structured else None,
        bic=payee.bic,
        encoding="utf-8",
    )
    assert ours.encode() == theirs


def test_the_code_keeps_error_level_m() -> None:
    payload = epc_payload(RED_CROSS, "ROOM-3")
    code = room_qr(payload, boost_error=False)
    assert code.error == "M"
    assert code.version <= 13


@pytest.mark.parametrize(
    "iban",
    [
        "BE68539007547034",
        "DE89370400440532013000",
        "GB82WEST12345698765432",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
    ],
)
def test_valid_ibans(iban: str) -> None:
    assert iban_valid(iban)


@pytest.mark.parametrize(
    "iban",
    [
        "BE68539007547035",  # a digit changed
        "DE89370400440532031000",  # two digits swapped
        "GB82WEST1234569876543",  # one short: the check fails
        "1234567890123456",  # no country
        "DE8937040044053201300X!",
        "DE89",
        "",
    ],
)
def test_wrong_ibans_are_refused(iban: str) -> None:
    assert not iban_valid(iban)
    with pytest.raises(PayeeError) as err:
        Payee.parse("Landlord", iban)
    assert err.value.key == "payee_iban_invalid"


@pytest.mark.parametrize(
    ("name", "iban", "bic", "key"),
    [
        ("", "BE68539007547034", "", "payee_name_invalid"),
        ("x" * 71, "BE68539007547034", "", "payee_name_invalid"),
        ("Two\nlines", "BE68539007547034", "", "payee_name_invalid"),
        ("Landlord", "BE68539007547034", "GKCCBE", "payee_bic_invalid"),
        ("Landlord", "BE68539007547034", "GKCC-BEBB", "payee_bic_invalid"),
    ],
)
def test_bad_payees_are_refused(name: str, iban: str, bic: str, key: str) -> None:
    with pytest.raises(PayeeError) as err:
        Payee.parse(name, iban, bic)
    assert err.value.key == key


def test_bad_payment_fields_are_refused() -> None:
    no_bic = Payee("Landlord", "BE68539007547034")
    cases = [
        (lambda: epc_payload(no_bic, version="001"), "payee_bic_invalid"),
        (lambda: epc_payload(no_bic, amount=Decimal(0)), "payment_amount_invalid"),
        (lambda: epc_payload(no_bic, amount=Decimal("0.001")), "payment_amount_invalid"),
        (lambda: epc_payload(no_bic, amount=Decimal(1000000000)), "payment_amount_invalid"),
        (lambda: epc_payload(no_bic, purpose="charity"), "payment_purpose_invalid"),
        (lambda: epc_payload(no_bic, "x" * 141), "payment_reference_invalid"),
        (lambda: epc_payload(no_bic, "a\nb"), "payment_reference_invalid"),
        (lambda: epc_payload(no_bic, information="i" * 71), "payment_information_invalid"),
    ]
    for build, key in cases:
        with pytest.raises(PayeeError) as err:
            build()
        assert err.value.key == key


def test_creditor_references() -> None:
    assert creditor_reference("RF18539007547034")
    assert not creditor_reference("RF19539007547034")
    assert not creditor_reference("ROOM-3")


def test_the_stored_payee() -> None:
    assert stored_payee({}) is None
    assert stored_payee(
        {"payee_name": "L", "payee_iban": "BE68539007547034", "payee_bic": ""}
    ) == Payee("L", "BE68539007547034")
