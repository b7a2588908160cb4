"""The VS Code extension's settings mirror the server's settings class one to one: same keys, types
and defaults (package.json `contributes.configuration` vs `ferrofix.settings.Settings`)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ferrofix.settings import Settings

PACKAGE = Path(__file__).resolve().parents[1] / "vscode-extension" / "package.json"
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array"}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def server_settings() -> dict[str, tuple[str, object]]:
    s = Settings()
    out = {}
    for section in dataclasses.fields(s):
        if section.name == "warnings":
            continue
        for f in dataclasses.fields(getattr(s, section.name)):
            value = getattr(getattr(s, section.name), f.name)
            out[f"ferrofix.{section.name}.{_camel(f.name)}"] = (JSON_TYPES[type(value)], value)
    return out


def test_package_json_mirrors_the_server_settings():
    props = json.loads(PACKAGE.read_text())["contributes"]["configuration"]["properties"]
    ext = {k: (v["type"], v["default"]) for k, v in props.items() if not k.startswith("ferrofix.server.")}
    assert ext == server_settings()


def test_every_extension_setting_is_documented_and_scoped():
    props = json.loads(PACKAGE.read_text())["contributes"]["configuration"]["properties"]
    for key, v in props.items():
        assert v.get("description") and v.get("scope"), key
