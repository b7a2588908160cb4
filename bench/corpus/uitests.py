#!/usr/bin/env python3
"""Development cases from rustc's own UI tests (Python 3 stdlib only).

    python bench/corpus/uitests.py OUT [--src DIR] [--jobs 2] [--max-errors 3]

Source: the `src/test/ui` tree of rustc 1.63.0, taken from Debian's source package
(`rustc_1.63.0+dfsg1.orig.tar.xz`, sha256 pinned below; the only rust-lang/rust source tree this
machine can reach — GitHub is not, and newer Debian tarballs are not in the pool the mirror serves).
Without `--src` it is downloaded into `~/.cache/ferrofix/rustc-src/` and unpacked there.

Taken: the `.rs` files of the directories that hold realistic user errors (`DIRS`: borrowck, moves,
lifetimes, suggestions, typeck, mismatched types, resolve, privacy, traits, structs, closures,
iterators, nll, did_you_mean) whose `.stderr` reports an `error[E....]`. Skipped, with counts printed:
tests that are meant to pass (`run-pass`, `check-pass`, `build-pass`), that need auxiliary crates or
files (`aux-build`, `extern crate` other than std's, `mod x;`, `#[path]`, `include!`), compiler flags
other than the edition, revisions, platform conditions (`ignore-*`, `only-*`, `needs-*`), nightly
features (`#![feature`), `no_std`/`no_core`; tests that do not fail with an error code under this
machine's rustc (as a cargo crate of the test's edition, default 2015 as in compiletest); and tests
with more than `--max-errors` errors (a test that lists a dozen variants of one mistake is not one
user's compile).

Each case: `OUT/ui-<dir>-<name>/{Cargo.toml, src/main.rs|lib.rs, case.json}` plus `expected/src/...`
when the test has a `.fixed` file (a `run-rustfix` test) that compiles — the reference. Without a
reference the case counts as fixed when the crate compiles after a change that is not deletion-only
(bench/fixrate.py). The harness's own text is removed from both: directive lines (`// run-rustfix`,
`// edition:2018`, ...) and `//~ ERROR ...` annotations, which state the expected error and are not
in a user's code. Every written case is verified with `cargo check`: broken fails, reference passes.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from collections import Counter
from pathlib import Path

from errindex import cargo_check  # bench/corpus/errindex.py

TARBALL = "rustc_1.63.0+dfsg1.orig.tar.xz"
TARBALL_URL = f"http://deb.debian.org/debian/pool/main/r/rustc/{TARBALL}"
TARBALL_SHA256 = "ad79e62b57ab06516595da2513369b0285b6e2bde1331c00a4197f492f7fad3d"
UI_PREFIX = "rustc-1.63.0-src/src/test/ui/"
DIRS = ("borrowck", "moves", "lifetimes", "suggestions", "typeck", "mismatched_types", "resolve", "privacy",
        "traits", "structs", "closures", "iterators", "nll", "did_you_mean")

# compiletest directives (`// name` or `// name: value`) that rule a test out
SKIP_DIRECTIVES = {"run-pass", "check-pass", "build-pass", "aux-build", "aux-crate", "revisions", "incremental",
                   "rustc-env", "exec-env", "should-ice", "known-bug", "no-prefer-dynamic", "force-host",
                   "dont-check-compiler-stderr", "build-aux-docs", "proc-macro", "pretty-expanded", "run-fail",
                   "build-fail", "check-fail"}
SKIP_DIRECTIVE_PREFIXES = ("ignore-", "only-", "needs-", "min-", "pp-", "aux-")
DIRECTIVE = re.compile(r"^\s*//\s*([a-z][a-z0-9-]*)(?:\s*:\s*(.*?))?\s*$")
KNOWN_DIRECTIVES = SKIP_DIRECTIVES | {"edition", "compile-flags", "run-rustfix", "error-pattern", "check-run-results",
                                     "normalize-stderr-test", "normalize-stdout-test", "rustfix-only-machine-applicable",
                                     "stderr-per-bitwidth", "failure-status", "dont-check-failure-status",
                                     "check-stdout", "run-flags", "build-fail", "compile-fail"}
ANNOTATION = re.compile(r"\s*//~.*$")
FOREIGN_SOURCE = re.compile(r"^\s*(?:extern\s+crate\s+(?!std\b|core\b|alloc\b)\w+|mod\s+\w+\s*;|#\s*\[\s*path\b)"
                            r"|\binclude(?:_str|_bytes)?!\s*\(|#!\s*\[\s*(?:feature|no_std|no_core)\b", re.M)


def cargo_toml(edition: str) -> str:
    return f'[package]\nname = "case"\nversion = "0.1.0"\nedition = "{edition}"\n\n[dependencies]\n'


def ui_root(src: Path | None) -> Path:
    """The unpacked `src/test/ui` directory: `src` itself, or the Debian tarball fetched and unpacked once."""
    if src is not None:
        return src
    cache = Path.home() / ".cache" / "ferrofix" / "rustc-src"
    root = cache / UI_PREFIX
    if root.is_dir():
        return root
    cache.mkdir(parents=True, exist_ok=True)
    tar = cache / TARBALL
    if not tar.is_file():
        print(f"downloading {TARBALL_URL} (32 MB)", file=sys.stderr)
        with urllib.request.urlopen(TARBALL_URL, timeout=600) as r, open(tar.with_suffix(".part"), "wb") as f:
            shutil.copyfileobj(r, f)
        tar.with_suffix(".part").rename(tar)
    h = hashlib.sha256(tar.read_bytes()).hexdigest()
    if h != TARBALL_SHA256:
        sys.exit(f"{tar}: sha256 {h} is not the pinned {TARBALL_SHA256}")
    with tarfile.open(tar) as t:
        members = [m for m in t.getmembers() if m.name.startswith(UI_PREFIX) and m.isfile()]
        t.extractall(cache, members=members, filter="data")
    return root


def clean(text: str) -> str:
    """The test's source without the harness's directive lines and `//~` annotations."""
    out = []
    for line in text.splitlines(keepends=True):
        m = DIRECTIVE.match(line)
        if m and m.group(1) in KNOWN_DIRECTIVES:
            continue
        stripped = ANNOTATION.sub("", line.rstrip("\n"))
        if stripped != line.rstrip("\n"):
            if not stripped.strip():
                continue
            line = stripped + "\n"
        out.append(line)
    return "".join(out)


def screen(path: Path, text: str) -> tuple[str | None, str]:
    """(reason to skip or None, edition) for one UI test file (`text`), from its directives and text alone."""
    edition = "2015"
    for line in text.splitlines()[:40]:
        m = DIRECTIVE.match(line)
        if not m:
            continue
        name, value = m.group(1), (m.group(2) or "")
        if name in SKIP_DIRECTIVES or name.startswith(SKIP_DIRECTIVE_PREFIXES):
            return f"directive {name}", edition
        if name == "edition":
            edition = value.strip()
        elif name == "compile-flags":
            flags = value.split()
            if not all(re.fullmatch(r"--edition[= ]?\d{4}|\d{4}|--edition", f) for f in flags):
                return "compile-flags", edition
            m2 = re.search(r"\d{4}", value)
            edition = m2.group(0) if m2 else edition
    if edition not in ("2015", "2018", "2021"):
        return "edition", edition
    if FOREIGN_SOURCE.search(text):
        return "needs other files, crates or nightly", edition
    stderr = path.with_suffix(".stderr")
    if not stderr.is_file() or not re.search(r"^error\[E\d{4}\]", stderr.read_text(errors="replace"), re.M):
        return "no error code in .stderr", edition
    return None, edition


def crate_file(src: str) -> str:
    lib = re.search(r"#!\s*\[\s*crate_type\s*=\s*\"(?:r?lib|dylib)\"", src) or not re.search(r"\bfn\s+main\s*\(", src)
    return "lib.rs" if lib else "main.rs"


def rustc_errors(src: str, edition: str, name: str, tmp: Path) -> tuple[bool, list[str], int]:
    """(compiles, error codes in order of first appearance, number of errors) under this machine's rustc."""
    f = tmp / "x.rs"
    f.write_text(src)
    kind = "lib" if name == "lib.rs" else "bin"
    p = subprocess.run(["rustc", "--edition", edition, "--error-format=json", "--emit=metadata", "--crate-type", kind,
                        "--crate-name", "case", "-o", str(tmp / "x.rmeta"), str(f)], capture_output=True, text=True,
                       timeout=120)
    codes, n = [], 0
    for line in p.stderr.splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        if d.get("level") != "error" or d.get("message", "").startswith("aborting due to"):
            continue
        n += 1
        c = (d.get("code") or {}).get("code") or ""
        if re.fullmatch(r"E\d{4}", c) and c not in codes:
            codes.append(c)
    return p.returncode == 0, codes, n


def case_id(rel: Path) -> str:
    return "ui-" + re.sub(r"[^A-Za-z0-9_-]+", "-", rel.with_suffix("").as_posix())


def build_case(root: Path, path: Path, max_errors: int) -> tuple[dict | None, str]:
    """(case or None, outcome) for one test file."""
    text = path.read_text(encoding="utf-8", errors="replace")
    reason, edition = screen(path, text)
    if reason:
        return None, reason
    broken = clean(text)
    name = crate_file(broken)
    with tempfile.TemporaryDirectory(prefix="ffcorpus-ui-") as tmp:
        ok, codes, n = rustc_errors(broken, edition, name, Path(tmp))
        if ok or not codes:
            return None, "no error code under this rustc"
        if n > max_errors:
            return None, f"more than {max_errors} errors"
        fixed = None
        fx = path.with_suffix(".fixed")
        if fx.is_file():
            fixed = clean(fx.read_text(encoding="utf-8", errors="replace"))
            if not rustc_errors(fixed, edition, name, Path(tmp))[0]:
                fixed = None
    rel = path.relative_to(root)
    return {"id": case_id(rel), "broken": broken, "fixed": fixed, "codes": codes, "edition": edition,
            "name": name, "errors": n, "family": rel.parts[0],
            "ref": f"rust-lang/rust 1.63.0 src/test/ui/{rel.as_posix()} (Debian {TARBALL})"}, "kept"


def write_case(out: Path, c: dict) -> None:
    d = out / c["id"]
    (d / "src").mkdir(parents=True, exist_ok=True)
    (d / "Cargo.toml").write_text(cargo_toml(c["edition"]))
    (d / "src" / c["name"]).write_text(c["broken"])
    if c["fixed"] is not None:
        (d / "expected" / "src").mkdir(parents=True, exist_ok=True)
        (d / "expected" / "src" / c["name"]).write_text(c["fixed"])
    meta = {"id": c["id"], "source": "rustc-ui", "source_ref": c["ref"], "family": c["family"],
            "error_codes": c["codes"], "errors": c["errors"], "has_reference": c["fixed"] is not None,
            "check": "cargo check", "has_tests": False}
    (d / "case.json").write_text(json.dumps(meta, indent=2) + "\n")


def verify(case_dir: Path) -> bool:
    """cargo check fails on the broken crate and, when there is a reference, passes on it."""
    with tempfile.TemporaryDirectory(prefix="ffcorpus-") as t:
        t = Path(t)
        shutil.copytree(case_dir, t / "b", ignore=shutil.ignore_patterns("expected", "case.json"))
        if cargo_check(t / "b", t / "tb").returncode == 0:
            return False
        if not (case_dir / "expected").is_dir():
            return True
        shutil.copytree(t / "b", t / "f")
        shutil.copytree(case_dir / "expected", t / "f", dirs_exist_ok=True)
        return cargo_check(t / "f", t / "tf").returncode == 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--src", type=Path, help="an unpacked src/test/ui directory (default: Debian's tarball)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-errors", type=int, default=3)
    ap.add_argument("--limit", type=int, help="only the first N test files (to try the script)")
    a = ap.parse_args()
    root = ui_root(a.src)
    files = sorted(p for d in DIRS for p in (root / d).rglob("*.rs") if "auxiliary" not in p.parts)
    files = files[:a.limit] if a.limit else files
    outcomes: Counter = Counter()
    cases = []
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for c, outcome in ex.map(lambda p: build_case(root, p, a.max_errors), files):
            outcomes[outcome] += 1
            if c:
                cases.append(c)
    if a.out.exists():
        shutil.rmtree(a.out)
    a.out.mkdir(parents=True)
    for c in cases:
        write_case(a.out, c)
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        bad = [c["id"] for c, ok in zip(cases, ex.map(lambda c: verify(a.out / c["id"]), cases)) if not ok]
    for cid in bad:
        shutil.rmtree(a.out / cid)
    outcomes["kept"] -= len(bad)
    if bad:
        outcomes["cargo check disagrees with rustc"] = len(bad)
    refs = sum(1 for c in cases if c["fixed"] is not None and c["id"] not in bad)
    print(f"{len(files)} test files, {outcomes['kept']} cases ({refs} with a .fixed reference) written to {a.out}")
    for k, v in outcomes.most_common():
        if k != "kept":
            print(f"  skipped {v:5}  {k}")


if __name__ == "__main__":
    main()
