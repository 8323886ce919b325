"""Translations: zh-Hans says everything en says, with the same placeholders."""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

TRANSLATIONS = Path(__file__).parent.parent / "custom_components/prepaid_power/translations"
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Dotted key → text."""
    flat: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def load(language: str) -> dict[str, str]:
    """One language's strings, flattened."""
    return flatten(json.loads((TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")))


def test_zh_hans_has_every_english_string_and_no_other() -> None:
    """Both languages cover the same keys."""
    assert set(load("zh-Hans")) == set(load("en"))


def test_placeholders_match() -> None:
    """A translation uses exactly the placeholders the English text uses."""
    english, chinese = load("en"), load("zh-Hans")
    for key, text in english.items():
        assert set(PLACEHOLDER.findall(chinese[key])) == set(PLACEHOLDER.findall(text)), key


def test_no_empty_strings() -> None:
    """Every string says something."""
    for language in ("en", "zh-Hans"):
        for key, text in load(language).items():
            assert text.strip(), f"{language}: {key}"


# hassfest's rule (script/hassfest/translations.py) for every translation key: lower-case
# letters, digits, "-" and "_", not at either end and never two in a row.
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
SERVICES = TRANSLATIONS.parent / "services.yaml"


def test_every_key_matches_hassfests_pattern() -> None:
    """Selector options, states, errors ... all keys are valid translation keys."""
    for language in ("en", "zh-Hans"):
        for dotted in load(language):
            for key in dotted.split("."):
                assert TRANSLATION_KEY.match(key), f"{language}: {dotted}"


def test_a_key_hassfest_refuses_fails_the_check() -> None:
    """The check itself: the keys this repository once had are refused."""
    for key in ("N", "zh-Hans", "double__underscore", "_leading", "trailing-"):
        assert not TRANSLATION_KEY.match(key), key


def test_services_yaml_passes_hassfest() -> None:
    """What hassfest checks of a custom integration's services.yaml, with HA's own validators:
    every top-level key is an action (a slug), every selector is valid, and every select
    option with a translation key has its translation."""
    from homeassistant.helpers import config_validation as cv, selector
    from homeassistant.util.yaml import load_yaml_dict

    english = json.loads((TRANSLATIONS / "en.json").read_text(encoding="utf-8"))
    services = load_yaml_dict(str(SERVICES))
    for action, schema in services.items():
        assert cv.slug(action) == action
        assert action in english["services"], action
        for field, spec in schema.get("fields", {}).items():
            assert field in english["services"][action]["fields"], (action, field)
            selector.validate_selector(spec["selector"])
            select = spec["selector"].get("select") or {}
            if key := select.get("translation_key"):
                options = english["selector"][key]["options"]
                assert set(select["options"]) == set(options), (action, field)
