"""The committed front-end bundles are built from the committed sources (frontend/build.mjs)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRONTEND = ROOT / "frontend"
BUNDLES = ROOT / "custom_components" / "prepaid_power" / "frontend"


def sources_hash() -> str:
    """The stamp build.mjs writes: every input by its relative path, sorted."""
    inputs = ["build.mjs", "tsconfig.json", "package-lock.json"]
    inputs += [
        path.relative_to(FRONTEND).as_posix()
        for path in (FRONTEND / "src").rglob("*")
        if path.is_file()
    ]
    digest = hashlib.sha256()
    for name in sorted(inputs):
        digest.update(name.encode() + b"\0")
        digest.update((FRONTEND / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def entries() -> list[str]:
    return sorted(
        path.parent.name for path in (FRONTEND / "src").glob("*/index.ts") if path.is_file()
    )


def test_every_bundle_is_built_from_the_committed_sources() -> None:
    stamp = f"/* prepaid_power frontend sources sha256:{sources_hash()} */"
    for name in entries():
        bundle = BUNDLES / f"{name}.js"
        assert bundle.is_file(), f"{name}.js missing: run npm ci && npm run build in frontend/"
        first_line = bundle.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first_line == stamp, f"{name}.js is stale: run npm ci && npm run build in frontend/"


def test_no_bundle_without_its_sources() -> None:
    built = sorted(path.stem for path in BUNDLES.glob("*.js")) if BUNDLES.is_dir() else []
    assert built == entries()


def test_dependencies_come_from_the_lock_file() -> None:
    package = json.loads((FRONTEND / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((FRONTEND / "package-lock.json").read_text(encoding="utf-8"))
    locked = lock["packages"]
    for group in ("dependencies", "devDependencies"):
        for name, version in package.get(group, {}).items():
            assert version[0].isdigit(), f"{name}: pin an exact version, not {version}"
            assert locked[f"node_modules/{name}"]["version"] == version
