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
