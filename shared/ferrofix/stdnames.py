"""The names the standard library defines, read offline from the Rust documentation on this machine.

Source: the HTML tree of the `rust-docs` component that rustup installs by default
(`<sysroot>/share/doc/rust/html`; Debian's `rust-doc` package puts the same tree under
`/usr/share/doc/rust-doc/html`). rustdoc writes one directory per module (`std/sync/atomic/index.html`)
and one file per item named `<kind>.<Name>.html` (`struct.Mutex.html`, `fn.swap.html`,
`macro.vec.html`), so the listing alone gives every module's children without parsing a page.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

#: the crates of the standard library whose docs are read
STD_CRATES = ("std", "core", "alloc")
_ITEM_FILE = re.compile(r"^(?:struct|enum|trait|fn|macro|type|constant|static|union|primitive|derive|attr|"
                        r"traitalias)\.(\w+)\.html$")
_DEBIAN_DOCS = Path("/usr/share/doc/rust-doc/html")


@lru_cache(maxsize=1)
def rust_docs_html() -> Path | None:
    """The Rust documentation's HTML root (`.../html`, holding `std/`, `error_codes/`, `book/`), or None
    when neither rustup's `rust-docs` component nor Debian's `rust-doc` is installed. Runs
    `rustc --print sysroot` once (30 s limit)."""
    rustc = shutil.which("rustc")
    if rustc:
        try:
            sysroot = subprocess.run([rustc, "--print", "sysroot"], capture_output=True, text=True,
                                     timeout=30).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            sysroot = ""
        d = Path(sysroot) / "share" / "doc" / "rust" / "html" if sysroot else None
        if d is not None and (d / "std").is_dir():
            return d
    return _DEBIAN_DOCS if (_DEBIAN_DOCS / "std").is_dir() else None


@lru_cache(maxsize=1)
def module_children() -> dict[str, frozenset[str]]:
    """Module name (its last path segment: `sync`, `atomic`, `std`) → the names of the modules and
    items directly inside any standard-library module of that name (`sync` → {`atomic`, `Mutex`, `Arc`,
    `mpsc`, ...}). Empty when no documentation is installed. Reads the directory tree once (about 0.1 s
    for std, core and alloc)."""
    root = rust_docs_html()
    out: dict[str, set[str]] = {}
    if root is None:
        return {}
    for crate in STD_CRATES:
        top = root / crate
        if not (top / "index.html").is_file():
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            if "index.html" not in filenames:
                dirnames[:] = []
                continue
            names = out.setdefault(os.path.basename(dirpath), set())
            names.update(d for d in dirnames if os.path.isfile(os.path.join(dirpath, d, "index.html")))
            names.update(m.group(1) for f in filenames if (m := _ITEM_FILE.match(f)))
    return {k: frozenset(v) for k, v in out.items()}
