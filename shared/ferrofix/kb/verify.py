"""Does a knowledge-base snippet compile on its own? `verify_snippet` checks it with `cargo check` in a
scratch crate, for curators (the desktop's Verify) and any front end."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..cargo import CheckOptions, run_check
from ..diagnostics import Diagnostic

_MANIFEST = '[package]\nname = "verify"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\npath = "src/lib.rs"\n'


@dataclass(frozen=True, slots=True)
class SnippetCheck:
    """The outcome: `errors` (rustc's, empty when it compiles) and the check's wall time in ms."""

    errors: list[Diagnostic]
    elapsed_ms: int

    @property
    def compiles(self) -> bool:
        return not self.errors


def verify_snippet(code: str, *, timeout_s: float = 120.0) -> SnippetCheck:
    """`cargo check` `code` as the `src/lib.rs` of a throwaway crate (std only, unused-code lints
    allowed), in a temporary directory with its own target dir, removed afterwards. Raises what
    `run_check` raises (CargoNotFoundError, CheckTimeoutError after `timeout_s` seconds, ...)."""
    with tempfile.TemporaryDirectory(prefix="ferrofix-verify-") as d:
        root = Path(d)
        (root / "src").mkdir()
        (root / "Cargo.toml").write_text(_MANIFEST)
        (root / "src" / "lib.rs").write_text("#![allow(unused, dead_code)]\n" + code, encoding="utf-8")
        res = run_check(root, CheckOptions(timeout_s=timeout_s, target_dir=root / "target"))
        return SnippetCheck(res.errors, res.elapsed_ms)
