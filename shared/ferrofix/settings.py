"""Settings: one TOML file under the user config dir, read by every front end.

Location: `platformdirs.user_config_dir("ferrofix")/settings.toml`, or `FERROFIX_CONFIG`. Every field
has a default; unknown keys are ignored; a value of the wrong type is reported and the default kept
(the front ends show `Settings.warnings`). Example:

    [check]
    command = ["clippy"]
    timeout_s = 120
    [llm]
    model = "qwen2.5-coder-1.5b-instruct-q4_k_m"   # a name in the models dir, or a path
    n_ctx = 8192
    [repair]
    max_rounds = 8
"""

from __future__ import annotations

import copy
import math
import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from .errors import SettingsError


@dataclass(kw_only=True)
class CheckSettings:
    """`command`: cargo subcommand (["check"] or ["clippy"]); `extra_args`; `features`; `all_targets`;
    `timeout_s`: seconds before a check is killed; `on_save`: the language server checks on save and on
    external changes (off when rust-analyzer runs the checks); `debounce_ms`: saves within this many
    milliseconds make one check; `on_type`: the language server also checks the open buffers' unsaved
    text (in its scratch mirror, never the user's files) once typing pauses for `type_debounce_ms`
    milliseconds; `scope`: "workspace" checks the whole cargo workspace, "package" only the package of
    the file that changed (`cargo check -p`)."""

    command: list[str] = field(default_factory=lambda: ["check"])
    extra_args: list[str] = field(default_factory=list)
    features: list[str] = field(default_factory=list)
    all_targets: bool = True
    timeout_s: float = 300.0
    on_save: bool = True
    debounce_ms: int = 50
    on_type: bool = True
    type_debounce_ms: int = 400
    scope: str = "workspace"


@dataclass(kw_only=True)
class LlmSettings:
    """`backend`: "llama-cpp" (in process) or "openai" (an OpenAI-compatible server at `url`);
    `model`: models-dir name or path of a GGUF file ("" = the default model); `n_ctx` in tokens;
    `n_threads` (0 = automatic); `gpu_layers`: model layers llama.cpp offloads to the GPU (-1 =
    automatic: all of them when the llama.cpp build has a usable GPU backend — CUDA, Metal, Vulkan… —
    else 0; 0 = CPU only; ignored by a CPU-only build); `url`, `api_key` for the openai backend."""

    backend: str = "llama-cpp"
    model: str = ""
    n_ctx: int = 8192
    n_threads: int = 0
    gpu_layers: int = field(default=-1, metadata={"minimum": -1})
    url: str = ""
    api_key: str = ""


@dataclass(kw_only=True)
class RepairSettings:
    """Budget of the compile-and-fix loop: rounds, seconds, sampled answers per error, tokens per answer;
    `resample`: when no model answer for an error is accepted, ask again (without the knowledge-base
    examples, then with new seeds: up to 3 more rounds) while the time budget lasts;
    `allow_build_scripts`: let candidates (the model's, the rules') edit code cargo runs at build time
    (a build script or a proc-macro crate), which `cargo check` executes unsandboxed — off by default;
    `run_tests`: a fix must also pass the crate's `cargo test` (run in the scratch mirror for at most
    `test_timeout_s` seconds; tests execute the crate's code — off by default)."""

    max_rounds: int = 8
    timeout_s: float = 300.0
    samples: int = 4
    resample: bool = True
    max_tokens: int = 512
    allow_build_scripts: bool = False
    run_tests: bool = False
    test_timeout_s: float = 60.0


@dataclass(kw_only=True)
class KbSettings:
    """Knowledge base: `dir` ("" = the user data dir), `qdrant_url` ("" = in-process Qdrant Edge),
    `embedding_model` (models-dir name or path; "" = the default embedding model), `examples`: records
    shown to the model per error (0 turns retrieval off)."""

    dir: str = ""
    qdrant_url: str = ""
    embedding_model: str = ""
    examples: int = 1


@dataclass(kw_only=True)
class Settings:
    """All settings; `warnings` lists values that were invalid and replaced by defaults."""

    check: CheckSettings = field(default_factory=CheckSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    repair: RepairSettings = field(default_factory=RepairSettings)
    kb: KbSettings = field(default_factory=KbSettings)
    warnings: list[str] = field(default_factory=list)


def config_path() -> Path:
    """Path of the settings file (`FERROFIX_CONFIG` overrides the platformdirs location)."""
    return Path(os.environ.get("FERROFIX_CONFIG") or Path(platformdirs.user_config_dir("ferrofix")) / "settings.toml")


def _snake(key: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in key).replace("-", "_")


def _minimum(section: Any, fname: str) -> int:
    """The least value a numeric field takes: its `minimum` field metadata, else 0."""
    return section.__dataclass_fields__[fname].metadata.get("minimum", 0)


def _fits(value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, int):
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, type(default))


#: Settings that take one of a few strings ("section.field" → the values).
CHOICES: dict[str, tuple[str, ...]] = {"check.scope": ("workspace", "package"),
                                       "llm.backend": ("llama-cpp", "openai")}


def from_dict(data: dict[str, Any], base: Settings | None = None) -> Settings:
    """Settings from a nested dict (TOML tables or LSP initializationOptions; camelCase accepted),
    applied over `base` (a copy; defaults when None). Unknown keys are ignored; invalid values keep
    the previous value and add a line to `warnings`."""
    s = copy.deepcopy(base) if base is not None else Settings()
    s.warnings = []
    if not isinstance(data, dict):
        if data is not None:
            s.warnings.append(f"settings are not a table: {data!r:.60}; using the defaults")
        data = {}
    for section_key, table in data.items():
        name = _snake(section_key)
        section = getattr(s, name, None)
        if name.startswith("_") or not dataclasses.is_dataclass(section) or not isinstance(table, dict):
            continue
        for k, v in table.items():
            fname = _snake(k)
            if not any(f.name == fname for f in dataclasses.fields(section)):
                continue
            default = getattr(section, fname)
            lo = _minimum(section, fname)
            if isinstance(default, (int, float)) and not isinstance(default, bool) and isinstance(v, (int, float)) \
                    and not isinstance(v, bool) and not (math.isfinite(v) and v >= lo):
                s.warnings.append(f"{name}.{fname}: invalid value {v!r} (not a finite number ≥ {lo}), "
                                  f"using {default!r}")
            elif (choices := CHOICES.get(f"{name}.{fname}")) is not None and v not in choices:
                s.warnings.append(f"{name}.{fname}: invalid value {v!r} (one of {', '.join(map(repr, choices))}), "
                                  f"using {default!r}")
            elif _fits(v, default):
                setattr(section, fname, float(v) if isinstance(default, float) else v)
            else:
                s.warnings.append(f"{name}.{fname}: invalid value {v!r}, using {default!r}")
    return s


def load(path: Path | None = None) -> Settings:
    """Read the settings file (defaults when it does not exist).

    Raises SettingsError when the file exists but cannot be read or is not valid TOML."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SettingsError(f"{path}: not valid TOML ({e})") from e
    except OSError as e:
        raise SettingsError(f"{path}: cannot read the settings file ({e.strerror or e})") from e
    return from_dict(data)
