"""Profile loader: built-ins, user overrides, broken files reported and skipped."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from custom_components.prepaid_power.profiles import (
    BUILTIN_DIR,
    DataType,
    ProfileError,
    ProfileProblem,
    WordOrder,
    load_profile_file,
    load_profiles,
)

BUILTIN_IDS = {
    "eastron_sdm120",
    "eastron_sdm230",
    "eastron_sdm630",
    "eastron_sdm72d_m",
    "eastron_sdm72_v2",
    "eastron_sdm320y",
    "eastron_sdm530y",
    "chint_ddsu666",
    "chint_dtsu666",
    "peacefair_pzem_004t",
    "hiking_dds238_2_zn_s",
    "hiking_dds238_2_zn_sr",
    "fineco_em115",
    "finder_7m_24",
    "orno_or_we_504",
    "orno_or_we_514",
    "orno_or_we_515",
    "orno_or_we_516",
    "orno_or_we_525",
    "carlo_gavazzi_em111",
    "acrel_ddsy1352",
    "generic_relay_board",
}

MINIMAL = """\
id: {id}
manufacturer: Test
model: {model}
registers:
  - {{key: voltage, function: 4, address: 0, data_type: float32, unit: V}}
  - {{key: current, function: 4, address: 6, data_type: float32, unit: A}}
  - {{key: power, function: 4, address: 12, data_type: {data_type}, unit: W}}
"""


def test_every_builtin_loads() -> None:
    result = load_profiles()
    assert result.problems == ()
    assert set(result.profiles) == BUILTIN_IDS
    assert len(list(BUILTIN_DIR.glob("*.yaml"))) == len(BUILTIN_IDS)
    for profile in result.profiles.values():
        assert profile.builtin
        assert profile.identify, profile.id
        if profile.energy_key is not None:
            assert profile.register(profile.energy_key).device_class == "energy"


def test_builtin_maps_follow_meters_md() -> None:
    profiles = load_profiles().profiles
    sdm120 = profiles["eastron_sdm120"]
    energy = sdm120.register("energy_import")
    assert (energy.function, energy.address, energy.data_type) == (4, 0x0048, DataType.FLOAT32)
    assert sdm120.register("energy_total").address == 0x0156
    assert sdm120.serial is not None
    assert sdm120.serial.address == 0xFC00
    assert sdm120.identify[0].passes(0x20, 1)
    assert not profiles["eastron_sdm230"].identify[0].passes(0x20, 1)
    sdm630 = profiles["eastron_sdm630"].identify[0]
    assert sdm630.passes(0, 1, serial=630)
    assert not sdm630.passes(0, 1)  # model code 0 and serial 0: not proof of an SDM630
    assert profiles["eastron_sdm630"].register("power").address == 0x0034

    dds = profiles["hiking_dds238_2_zn_sr"]
    voltage = dds.register("voltage")
    assert (voltage.function, voltage.address, voltage.data_type, voltage.scale) == (
        3,
        0x000C,
        DataType.UINT16,
        0.1,
    )
    assert dds.register("power").data_type is DataType.INT16
    assert dds.quirks.write_function == 16
    assert dds.identify[0].passes((7 << 8) | 1, 7)
    assert not dds.identify[0].passes((7 << 8) | 1, 8)
    assert dds.relay is not None
    assert (dds.relay.write.function, dds.relay.write.address) == (16, 0x001A)
    assert dds.is_readable(3, 0x0000, 0x001A)
    assert profiles["hiking_dds238_2_zn_s"].relay is None
    assert profiles["hiking_dds238_2_zn_s"].alternatives == ("hiking_dds238_2_zn_sr",)

    ddsu = profiles["chint_ddsu666"]
    assert ddsu.register("power").scale == 1000
    assert ddsu.register("energy_import").address == 0x4000
    assert ddsu.identify[0].passes(230.0, 1)
    assert not ddsu.identify[0].passes(float("nan"), 1)

    fineco = profiles["fineco_em115"]
    assert fineco.relay is not None
    serial = 0x12345678
    key = ((serial >> 24) + (serial >> 8)) & 0x1234
    assert fineco.relay.write_values(True, serial) == [key, 0x5555]
    assert fineco.relay.write_values(False, serial) == [key, 0xAAAA]
    assert fineco.relay.read.on == 0x5555
    with pytest.raises(ValueError, match="serial"):
        fineco.relay.write_values(True, None)

    orno = profiles["orno_or_we_514"]
    assert orno.register("current").data_type is DataType.UINT32
    assert orno.register("energy_total").address == 0xA000

    board = profiles["generic_relay_board"]
    assert board.relay is not None
    assert board.relay.channels == 8
    assert board.keys == tuple(f"relay_{n}" for n in range(1, 9))
    assert board.relay.write_values(True, None) == [0xFF00]


def test_user_profile_overrides_builtin(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(
        MINIMAL.format(id="eastron_sdm120", model="SDM120 (my wiring)", data_type="float32")
    )
    (tmp_path / "new.yml").write_text(MINIMAL.format(id="acme_x1", model="X1", data_type="int32"))
    result = load_profiles(tmp_path)
    assert result.problems == ()
    assert result.profiles["eastron_sdm120"].model == "SDM120 (my wiring)"
    assert not result.profiles["eastron_sdm120"].builtin
    assert result.profiles["acme_x1"].register("power").data_type is DataType.INT32
    assert result.profiles["acme_x1"].register("power").word_order is WordOrder.BIG


def test_broken_file_reported_and_skipped(tmp_path: Path) -> None:
    (tmp_path / "sdm120.yaml").write_text(
        MINIMAL.format(id="eastron_sdm120", model="broken", data_type="float64")
    )
    (tmp_path / "syntax.yaml").write_text("id: [unclosed\n")
    (tmp_path / "badcheck.yaml").write_text(
        MINIMAL.format(id="acme_y", model="Y", data_type="uint16")
        + "identify:\n  - {function: 3, address: 1, check: \"__import__('os')\"}\n"
    )
    (tmp_path / "dupe.yaml").write_text(
        MINIMAL.format(id="acme_z", model="Z", data_type="uint16").replace(
            "key: current", "key: voltage"
        )
    )
    (tmp_path / "notes.txt").write_text("not a profile")
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "list.yaml").write_text("- just\n- a list\n")
    result = load_profiles(tmp_path)
    problems = {p.file: p for p in result.problems}
    assert set(problems) == {
        "sdm120.yaml",
        "syntax.yaml",
        "badcheck.yaml",
        "dupe.yaml",
        "binary.yaml",
        "list.yaml",
    }
    assert problems["binary.yaml"].message == "not UTF-8 text"
    assert problems["list.yaml"].message == "expected a mapping at the top level"
    bad_type = problems["sdm120.yaml"]
    assert bad_type.field == "registers[2].data_type"
    assert bad_type.message.startswith("not a valid value")
    assert str(bad_type).startswith("sdm120.yaml: registers[2].data_type: not a valid value")
    assert problems["syntax.yaml"].message.startswith("not valid YAML")
    assert problems["badcheck.yaml"].field == "identify[0].check"
    assert problems["dupe.yaml"].field == "registers[1].key"
    # The broken override is skipped: the built-in stays.
    assert result.profiles["eastron_sdm120"].builtin
    assert "acme_y" not in result.profiles
    assert set(result.profiles) >= BUILTIN_IDS


@pytest.mark.parametrize(
    ("snippet", "field", "message"),
    [
        ("manufacturer: X\nmodel: Y\nregisters: []\n", "id", "required key not provided"),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nregisters:\n  - {key: v, function: 7, address: 0, data_type: uint16}\n",
            "registers[0].function",
            "not a valid value",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nregisters:\n  - {key: v, function: 3, address: 70000, data_type: uint16}\n",
            "registers[0].address",
            "value must be at most",
        ),
        ("id: a\nmanufacturer: X\nmodel: Y\n", "registers", "a profile needs registers or a relay"),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nreadable:\n  - {function: 3, start: 0, end: 4}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "registers[0].address",
            "outside every readable block",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nrelay:\n  read: {function: 3, address: 1, on: 1, off: 0}\n"
            "  write: {function: 16, address: 1, on: [key, 1], off: [key, 0]}\n",
            "relay.key",
            "write values use 'key'",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nfault: {function: 1, address: 0, codes: {1: stuck}}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "fault.function",
            "a fault code is a register",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nfault: {function: 3, address: 0, codes: {0: none}}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "fault.codes[0]",
            "",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\n"
            "registers:\n  - {key: fault, function: 3, address: 9, data_type: uint16}\n",
            "registers[0].key",
            "reserved key",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nrecords:\n  - {kind: relay, function: 3, first: 0, step: 3, count: 2}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "records[0].step",
            "a relay record takes 4 words",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nrecords:\n  - {kind: recharge, function: 1, first: 0, step: 10, count: 2}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "records[0].function",
            "a record log is registers",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nrecords:\n  - {kind: recharge, function: 3, first: 0xFFF8, step: 10, count: 2}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "records[0].count",
            "past address 0xFFFF",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nrecords:\n  - {kind: relay, function: 3, first: 0, step: 8, count: 2}\n"
            "  - {kind: relay, function: 3, first: 100, step: 8, count: 2}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "records[1].kind",
            "a second relay log",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nrecords:\n  - {kind: balance, function: 3, first: 0, step: 8, count: 2}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "records[0].kind",
            "",
        ),
        (
            "id: a\nmanufacturer: X\nmodel: Y\nreadable:\n  - {function: 3, start: 0, end: 9}\n"
            "records:\n  - {kind: relay, function: 3, first: 0, step: 8, count: 2}\n"
            "registers:\n  - {key: v, function: 3, address: 9, data_type: uint16}\n",
            "records[0].first",
            "outside every readable block",
        ),
    ],
)
def test_errors_name_the_field(tmp_path: Path, snippet: str, field: str, message: str) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(snippet)
    with pytest.raises(ProfileError) as err:
        load_profile_file(path)
    assert err.value.problem.file == "x.yaml"
    assert err.value.problem.field == field
    assert message in err.value.problem.message


def test_unquoted_on_off_keys_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "id: r\nmanufacturer: X\nmodel: R\nidentify:\n  - {function: 1, address: 0, data_type: bit, check: 'value in (0, 1)'}\n"
        "relay:\n  read: {function: 1, address: 0, on: 1, off: 0}\n"
        "  write: {function: 5, address: 0, on: 0xFF00, off: 0}\n"
    )
    profile = load_profile_file(path)
    assert profile.relay is not None
    assert profile.relay.write.on == (0xFF00,)


def test_missing_user_folder_is_fine(tmp_path: Path) -> None:
    result = load_profiles(tmp_path / "absent")
    assert result.problems == ()
    assert set(result.profiles) == BUILTIN_IDS


def test_duplicate_user_ids_reported(tmp_path: Path) -> None:
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(MINIMAL.format(id="acme", model=name, data_type="uint16"))
    result = load_profiles(tmp_path)
    assert result.profiles["acme"].model == "a.yaml"
    assert result.problems == (ProfileProblem("b.yaml", "id", "duplicate of a.yaml; skipped"),)


def test_identify_check_using_serial_needs_a_serial_register(tmp_path: Path) -> None:
    """`serial` in a check is only meaningful when the profile says where the serial is."""
    path = tmp_path / "acme.yaml"
    path.write_text(
        "id: acme\nmanufacturer: Acme\nmodel: X\n"
        "identify:\n  - {function: 3, address: 0, data_type: uint16, check: 'serial != 0'}\n"
        "registers:\n  - {key: power, function: 4, address: 0, data_type: float32}\n"
    )
    with pytest.raises(ProfileError) as err:
        load_profile_file(path)
    assert err.value.problem.field == "identify[0].check"


def test_compatible_models_are_the_alternatives_either_way_round() -> None:
    profile_set = load_profiles()
    # A DDSY1352 names the ZN/S and OR-WE-504 it cannot rule out: offered either way round.
    assert profile_set.compatible("hiking_dds238_2_zn_s") == (
        "acrel_ddsy1352",
        "hiking_dds238_2_zn_sr",
    )
    assert profile_set.compatible("acrel_ddsy1352") == (
        "hiking_dds238_2_zn_s",
        "orno_or_we_504",
    )
    assert profile_set.compatible("hiking_dds238_2_zn_sr") == ("hiking_dds238_2_zn_s",)
    assert profile_set.compatible("eastron_sdm120") == ()


def test_an_integer_energy_counters_wrap_modulus_is_its_range() -> None:
    """energy_max_kwh is the counter's largest value: for an integer register the modulus the
    billing uses (largest + one count) is exactly the register's range times its scale."""
    checked = 0
    for profile in load_profiles().profiles.values():
        if profile.energy_max_kwh is None or profile.energy_key is None:
            continue
        (energy,) = [r for r in profile.registers if r.key == profile.energy_key]
        bits = {"uint16": 16, "uint32": 32, "int16": 15, "int32": 31}.get(energy.data_type)
        if bits is None:
            continue
        expected = Decimal(2**bits) * Decimal(str(energy.scale))
        assert profile.energy_modulus_kwh == expected, profile.id
        checked += 1
    assert checked >= 10
