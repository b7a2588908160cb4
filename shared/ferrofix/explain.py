"""Error-code explanations from the installed toolchain (`rustc --explain EXXXX`)."""

from __future__ import annotations

import shutil
import subprocess

from .diagnostics import ERROR_CODE
from .errors import FerrofixError


def normalize_code(code: str) -> str:
    """`382`, `e0382`, `E0382` → `E0382`. Raises FerrofixError for anything else."""
    c = code.strip().upper()
    if c.isdigit():
        c = f"E{int(c):04d}"
    if not ERROR_CODE.match(c):
        raise FerrofixError(f"not an error code: {code!r} (expected like E0382)")
    return c


def explain(code: str) -> str:
    """The markdown explanation rustc ships for `code`. Raises FerrofixError when rustc is missing or
    does not know the code."""
    c = normalize_code(code)
    rustc = shutil.which("rustc")
    if not rustc:
        raise FerrofixError("rustc not found on PATH: install a Rust toolchain")
    p = subprocess.run([rustc, "--explain", c], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        msg = (p.stderr.strip().splitlines() or ["unknown error code"])[0]
        raise FerrofixError(f"{c}: {msg}")
    return p.stdout
