#!/usr/bin/env python3
"""Development cases from the installed toolchain's error index (Python 3 stdlib only).

    python bench/corpus/errindex.py OUT [--public ../shared/bench/explain] [--jobs 2]

Source: `<sysroot>/share/doc/rust/html/error_codes/EXXXX.html` (the rust-docs component), whose code
blocks keep rustdoc's classes (`compile_fail E0XXX`, `edition2018`, `ignore`) and mdbook's hidden
`fn main() {` wrapper. Each erroneous example (`compile_fail` with a stated code) is paired with the
first later non-failing `rust` block of the same page that compiles. Skipped: `#![feature` examples,
edition-specific blocks other than 2021, `ignore` blocks, examples that do not fail with the stated
code under this rustc (as a 2021 crate), examples with no compiling correction, and examples whose
source equals one of the public explain cases (compared with whitespace removed).

Each case is written like ../shared/bench/explain: `OUT/dev-explain-EXXXX-N/{Cargo.toml, src/main.rs,
expected/src/main.rs, case.json}` (N counts the page's erroneous examples from 1; `src/lib.rs` when the
example has no `fn main`). Every written case is verified with `cargo check`: broken fails, fixed passes.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CARGO_TOML = '[package]\nname = "case"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'


class _Blocks(html.parser.HTMLParser):
    """The `<code class="language-...">` blocks of an error-code page, as (class, text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._cls: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class") or ""
        if tag == "code" and cls.startswith("language-"):
            self._cls, self._buf = cls, []

    def handle_endtag(self, tag):
        if tag == "code" and self._cls is not None:
            self.blocks.append((self._cls, "".join(self._buf)))
            self._cls = None

    def handle_data(self, data):
        if self._cls is not None:
            self._buf.append(data)


def docs_dir() -> Path:
    sysroot = subprocess.run(["rustc", "--print", "sysroot"], capture_output=True, text=True, check=True).stdout.strip()
    d = Path(sysroot) / "share" / "doc" / "rust" / "html" / "error_codes"
    if not d.is_dir():
        sys.exit(f"{d} missing: install the rust-docs component")
    return d


def norm(src: str) -> str:
    return re.sub(r"\s+", "", src)


def usable(cls: str) -> bool:
    """A Rust block this corpus can use as a 2021 crate."""
    words = cls.split()
    if words[0] != "language-rust" or "ignore" in cls or "should_panic" in words:
        return False
    return not any(w.startswith("edition") and w != "edition2021" for w in words)


def rustc_codes(src: str, tmp: Path) -> tuple[bool, list[str]]:
    """(compiles, error codes in order) for `src` as a 2021 crate, metadata only (fast pre-screen)."""
    f = tmp / "x.rs"
    f.write_text(src)
    kind = "bin" if re.search(r"\bfn\s+main\s*\(", src) else "lib"
    p = subprocess.run(["rustc", "--edition", "2021", "--error-format=json", "--emit=metadata", "--crate-type", kind,
                        "--crate-name", "case", "-o", str(tmp / "x.rmeta"), str(f)], capture_output=True, text=True,
                       timeout=60)
    codes = []
    for line in p.stderr.splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        c = (d.get("code") or {}).get("code")
        if d.get("level") == "error" and c and c not in codes:
            codes.append(c)
    return p.returncode == 0, codes


def write_case(out: Path, cid: str, broken: str, fixed: str, codes: list[str], ref: str) -> None:
    name = "main.rs" if re.search(r"\bfn\s+main\s*\(", broken) else "lib.rs"
    d = out / cid
    (d / "src").mkdir(parents=True, exist_ok=True)
    (d / "expected" / "src").mkdir(parents=True, exist_ok=True)
    (d / "Cargo.toml").write_text(CARGO_TOML)
    (d / "src" / name).write_text(broken)
    (d / "expected" / "src" / name).write_text(fixed)
    meta = {"id": cid, "source": "rustc-explain", "source_ref": ref, "error_codes": codes,
            "check": "cargo check", "has_tests": False}
    (d / "case.json").write_text(json.dumps(meta, indent=2) + "\n")


def cargo_check(d: Path, target: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["cargo", "check", "--quiet", "--offline"], cwd=d, capture_output=True, text=True,
                          env={**os.environ, "CARGO_TARGET_DIR": str(target)}, timeout=300)


def verify(case_dir: Path) -> bool:
    """cargo check fails on the broken crate and passes on expected/ copied over it."""
    with tempfile.TemporaryDirectory(prefix="ffcorpus-") as t:
        t = Path(t)
        shutil.copytree(case_dir, t / "b", ignore=shutil.ignore_patterns("expected", "case.json"))
        shutil.copytree(t / "b", t / "f")
        shutil.copytree(case_dir / "expected", t / "f", dirs_exist_ok=True)
        return cargo_check(t / "b", t / "tb").returncode != 0 and cargo_check(t / "f", t / "tf").returncode == 0


def page_cases(page: Path, public: set[str], rustc_version: str) -> tuple[list[dict], dict]:
    p = _Blocks()
    p.feed(page.read_text(encoding="utf-8", errors="replace"))
    code = page.stem
    blocks = [(i, cls, text) for i, (cls, text) in enumerate(p.blocks)]
    cases, skipped = [], {}
    n = 0
    with tempfile.TemporaryDirectory(prefix="ffcorpus-rustc-") as tmp:
        tmp = Path(tmp)
        compiles: dict[int, bool] = {}
        for k, (i, cls, text) in enumerate(blocks):
            words = cls.split()
            if "compile_fail" not in words:
                continue
            n += 1
            stated = [w for w in words if re.fullmatch(r"E\d{4}", w)]
            reason = None
            if not stated:
                reason = "no stated code"
            elif not usable(cls):
                reason = "ignored or edition-specific"
            elif "#![feature" in text:
                reason = "feature-gated"
            elif norm(text) in public:
                reason = "in the public corpus"
            if reason is None:
                ok, codes = rustc_codes(text, tmp)
                if ok or stated[0] not in codes:
                    reason = "does not fail with the stated code"
            fix = None
            if reason is None:
                for j, fcls, ftext in blocks[k + 1:]:
                    if "compile_fail" in fcls.split() or not usable(fcls) or "#![feature" in ftext:
                        continue
                    if j not in compiles:
                        compiles[j] = rustc_codes(ftext, tmp)[0]
                    if compiles[j]:
                        fix = (j, ftext)
                        break
                if fix is None:
                    reason = "no compiling correction"
            if reason:
                skipped[reason] = skipped.get(reason, 0) + 1
                continue
            codes = [stated[0]] + [c for c in codes if c != stated[0]]
            cases.append({"id": f"dev-explain-{code}-{n}", "broken": text, "fixed": fix[1], "codes": codes,
                          "ref": f"rustc --explain {code} (example blocks {i}->{fix[0]}; {rustc_version})"})
    return cases, skipped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--public", type=Path, default=Path(__file__).resolve().parents[3] / "shared" / "bench" / "explain",
                    help="the public explain corpus, whose examples are left out")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    public = {norm(f.read_text()) for f in a.public.glob("*/src/*.rs")}
    if not public:
        sys.exit(f"no public cases under {a.public}: they could not be left out")
    version = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    pages = sorted(docs_dir().glob("E[0-9][0-9][0-9][0-9].html"))
    cases, skipped = [], {}
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for cs, sk in ex.map(lambda pg: page_cases(pg, public, version), pages):
            cases += cs
            for k, v in sk.items():
                skipped[k] = skipped.get(k, 0) + v
    if a.out.exists():
        shutil.rmtree(a.out)
    a.out.mkdir(parents=True)
    for c in cases:
        write_case(a.out, c["id"], c["broken"], c["fixed"], c["codes"], c["ref"])
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        bad = [c["id"] for c, ok in zip(cases, ex.map(lambda c: verify(a.out / c["id"]), cases)) if not ok]
    for cid in bad:
        shutil.rmtree(a.out / cid)
    if bad:
        skipped["cargo check disagrees with rustc"] = len(bad)
    print(f"{len(pages)} pages, {len(cases) - len(bad)} cases written to {a.out}; skipped: {skipped}")


if __name__ == "__main__":
    main()
