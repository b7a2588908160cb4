#!/usr/bin/env python3
"""Development mutants: Debian crates with one injected developer mistake each.

    .venv/bin/python bench/corpus/mutate.py OUT [--crates N] [--ops-per-crate M] [--per-op K] [--tries T] [--jobs J]

For every crate source under /usr/share/cargo/registry (newest version of each name; the public
corpus's crates, Windows/std-internal shims and crates over --max-kb of Rust are left out) whose
`cargo check` passes offline as materialize.py builds it: parse its `src/**/*.rs` with tree-sitter-rust,
collect the sites of each operator in operators.py (outside `#[cfg(...)]`/`#[test]` items), shuffle them
with a seed made of the crate's and the operator's names, and try them one at a time until K mutants
of that operator fail `cargo check` with at least one error code (at most T tries). The operators are
taken in a seeded order per crate until M of them have given mutants, so each crate adds about M*K
cases and every operator is spread over many crates. Each mutant is
written as `OUT/dev-deb-<crate>-<operator>-<hash8>.json` in the format of ../shared/bench/mutants (the
`patch` is the diff original → broken), and OUT gets `materialize.py` and `apt-packages.txt`. Needs
tree-sitter-rust (the project venv) and the crates' Debian packages installed.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import difflib
import hashlib
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tree_sitter
import tree_sitter_rust

sys.path.insert(0, str(Path(__file__).resolve().parent))
from operators import OPERATORS, WEIGHTS, Ctx  # noqa: E402

HERE = Path(__file__).resolve().parent
WRAPPER = HERE / "data" / "mutants" / "materialize.py"
REGISTRY = Path("/usr/share/cargo/registry")
# shims and std internals that do not build on their own, or are Windows-only
SKIP = {"winapi", "winapi-i686-pc-windows-gnu", "winapi-x86_64-pc-windows-gnu", "winapi-util", "compiler_builtins",
        "rustc-std-workspace-core", "linux-raw-sys", "libc", "proc-macro2", "syn", "quote", "unicode-ident", "tokio",
        "serde_derive", "gimli", "object", "rustix", "io-lifetimes", "errno", "backtrace", "addr2line",
        "regex-automata", "cpp_demangle", "winapi-build"}
_LANG = tree_sitter.Language(tree_sitter_rust.language())
_VERSION = re.compile(r"^(.+)-(\d+\.\d+\.\d+[^/]*)$")


def load_materialize():
    spec = importlib.util.spec_from_file_location("ff_materialize", WRAPPER)
    wrapper = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(wrapper)
    spec = importlib.util.spec_from_file_location("ff_public_materialize", wrapper.public_script())
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


MAT = load_materialize()


def public_crates() -> set[str]:
    pkgs = Path(MAT.__file__).with_name("apt-packages.txt")
    names = pkgs.read_text().split() if pkgs.is_file() else []
    return {re.sub(r"^librust-|-dev$", "", n).replace("_", "-") for n in names}


def _vkey(v: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in re.split(r"[.+-]", v))


def registry_crates(max_kb: int) -> list[tuple[str, str, Path]]:
    """(name, version, dir) of the newest version of each crate worth mutating."""
    newest: dict[str, tuple[str, Path]] = {}
    for d in REGISTRY.iterdir():
        m = _VERSION.match(d.name)
        if not m or not (d / "Cargo.toml").is_file() or not (d / "src").is_dir():
            continue
        name, ver = m.groups()
        if name not in newest or _vkey(ver) > _vkey(newest[name][0]):
            newest[name] = (ver, d)
    skip = {s.replace("_", "-") for s in SKIP | public_crates()}
    out = []
    for name, (ver, d) in sorted(newest.items()):
        size = sum(p.stat().st_size for p in (d / "src").rglob("*.rs"))
        if name.replace("_", "-") not in skip and 2_000 < size < max_kb * 1024:
            out.append((name, ver, d))
    return out


def apt_package(d: Path) -> tuple[str, str]:
    p = subprocess.run(["dpkg", "-S", str(d)], capture_output=True, text=True)
    pkg = p.stdout.split(":")[0].strip() if p.returncode == 0 else ""
    ver = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True, text=True).stdout.strip() \
        if pkg else ""
    return pkg, ver


def _machine_applicable(msg: dict) -> bool:
    if any(s.get("suggestion_applicability") == "MachineApplicable" for s in msg.get("spans", [])):
        return True
    return any(_machine_applicable(ch) for ch in msg.get("children", []))


def cargo_check(work: Path, target: Path, timeout: float) -> dict:
    """Run `cargo check` in work: passes, error codes in order, number of errors, any MachineApplicable fix."""
    t0 = time.monotonic()
    try:
        p = subprocess.run(["cargo", "check", "--offline", "--message-format=json"], cwd=work, capture_output=True,
                           text=True, timeout=timeout, env={**os.environ, "CARGO_TARGET_DIR": str(target)})
    except subprocess.TimeoutExpired:
        return {"ok": False, "codes": [], "n_errors": 0, "ma": False, "timeout": True, "s": timeout}
    codes, n, ma = [], 0, False
    for line in p.stdout.splitlines():
        try:
            d = json.loads(line)
        except json.JSONDecodeError:
            continue
        msg = d.get("message") if d.get("reason") == "compiler-message" else None
        if not msg or msg.get("level") != "error" or not msg.get("spans"):
            continue
        n += 1
        ma = ma or _machine_applicable(msg)
        c = (msg.get("code") or {}).get("code") or ""
        if re.fullmatch(r"E\d{4}", c) and c not in codes:
            codes.append(c)
    return {"ok": p.returncode == 0, "codes": codes, "n_errors": n, "ma": ma, "s": time.monotonic() - t0,
            "stderr": p.stderr[-400:]}


def _excluded(root, src: bytes) -> list[tuple[int, int]]:
    """Byte ranges of items under `#[cfg(...)]` or `#[test]`: code `cargo check` may not compile."""
    out = []
    stack = [root]
    while stack:
        n = stack.pop()
        if n.type == "attribute_item" and re.match(rb"#\[\s*(cfg\s*\(|test\b)", n.text):
            nxt = n.next_named_sibling
            while nxt is not None and nxt.type in ("attribute_item", "line_comment", "block_comment"):
                nxt = nxt.next_named_sibling
            if nxt is not None:
                out.append((n.start_byte, nxt.end_byte))
        stack.extend(n.children)
    return out


def sites(files: dict[str, bytes], crate: str, ops: list[str] | None = None) -> dict[str, list[tuple[str, list, int]]]:
    """Per operator: (file, edits, line) for every site in the crate's sources."""
    parser = tree_sitter.Parser(_LANG)
    use = {op: fn for op, fn in OPERATORS.items() if not ops or op in ops}
    ctxs = {op: Ctx(b"", random.Random(f"{crate}/{op}/typo")) for op in use}
    found: dict[str, list] = {op: [] for op in use}
    for rel, src in sorted(files.items()):
        tree = parser.parse(src)
        excl = _excluded(tree.root_node, src)
        for c in ctxs.values():
            c.src = src
        stack = [tree.root_node]
        while stack:
            n = stack.pop()
            if any(a <= n.start_byte < b for a, b in excl):
                continue
            stack.extend(reversed(n.children))
            if not n.is_named or n.has_error:
                continue
            for op, fn in use.items():
                edits = fn(n, ctxs[op])
                if edits:
                    found[op].append((rel, edits, src.count(b"\n", 0, edits[0][0]) + 1))
    return found


def apply_edits(src: bytes, edits: list) -> bytes:
    for a, b, rep in sorted(edits, key=lambda e: e[0], reverse=True):
        src = src[:a] + rep + src[b:]
    return src


def make_patch(rel: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{rel}", f"b/{rel}"))


def patch_round_trips(rel: str, old: bytes, new: bytes, patch: str) -> bool:
    """materialize.py's patch turns old into new, byte for byte (CRLF files, odd line breaks)."""
    with tempfile.TemporaryDirectory(prefix="ffcorpus-patch-") as t:
        p = Path(t) / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(old)
        try:
            MAT.apply_patch(t, patch)
        except (SystemExit, IndexError):
            return False
        return p.read_bytes() == new


def mutate_crate(name: str, ver: str, d: Path, args) -> tuple[list[dict], dict]:
    """The mutants of one crate, and a log entry (baseline time, tries, why it was skipped)."""
    log = {"crate": name, "version": ver, "tries": 0, "mutants": 0}
    tmp = Path(tempfile.mkdtemp(prefix=f"ffcorpus-{name}-"))
    cases = []
    try:
        work, target = tmp / "crate", tmp / "target"
        MAT.prepare(str(d), str(work), force=True)
        base = cargo_check(work, target, args.baseline_timeout)
        log["baseline_s"] = round(base["s"], 1)
        if not base["ok"]:
            log["skipped"] = "timeout" if base.get("timeout") else "original does not pass cargo check: " + \
                (base["codes"] or [base.get("stderr", "")[-160:]])[0]
            return cases, log
        files = {p.relative_to(work).as_posix(): p.read_bytes() for p in sorted((work / "src").rglob("*.rs"))}
        pkg, pkg_ver = apt_package(d)
        found = sites(files, name, args.operators)
        # operators in a seeded, weighted order per crate (Efraimidis-Spirakis), so that a crate's
        # --ops-per-crate mutants spread over them
        order = sorted(found, key=lambda op: -random.Random(f"{name}/{op}/order").random() ** (1 / WEIGHTS.get(op, 1)))
        ops_done = 0
        for op in order:
            if ops_done >= args.ops_per_crate:
                break
            cands = found[op]
            rng = random.Random(f"{name}/{op}")
            rng.shuffle(cands)
            got, seen = 0, set()
            for rel, edits, line in cands[: args.tries]:
                old = files[rel]
                new = apply_edits(old, edits)
                if new == old or new in seen:
                    continue
                seen.add(new)
                f = work / rel
                f.write_bytes(new)
                log["tries"] += 1
                res = cargo_check(work, target, args.timeout)
                f.write_bytes(old)
                if res["ok"] or not res["codes"]:
                    continue
                patch = make_patch(rel, old.decode(), new.decode())
                if not patch_round_trips(rel, old, new, patch):
                    continue
                cid = f"dev-deb-{name}-{op}-{hashlib.sha256(patch.encode()).hexdigest()[:8]}"
                cases.append({"id": cid, "source": "debian-mutant", "crate": name, "crate_version": ver,
                              "apt_package": pkg, "apt_version": pkg_ver, "registry_dir": str(d), "file": rel,
                              "line": line, "mutation_kind": op.replace("-", "_"), "patch": patch,
                              "error_codes": res["codes"], "primary_code": res["codes"][0],
                              "n_errors": res["n_errors"], "has_machine_applicable": res["ma"],
                              "check": "cargo check"})
                got += 1
                if got >= args.per_op:
                    break
            ops_done += got > 0
        log["mutants"] = len(cases)
        return cases, log
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--crates", type=int, help="use the first N eligible crates (by name)")
    ap.add_argument("--only", help="comma-separated crate names")
    ap.add_argument("--per-op", type=int, default=1, help="mutants per (crate, operator), 1 or 2")
    ap.add_argument("--operators", type=lambda s: s.split(","), help="comma-separated operators (default: all)")
    ap.add_argument("--ops-per-crate", type=int, default=6, help="operators with mutants per crate, at most")
    ap.add_argument("--tries", type=int, default=4, help="sites tried per (crate, operator)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--max-kb", type=int, default=800, help="leave out crates with more Rust source than this")
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--baseline-timeout", type=float, default=300)
    a = ap.parse_args()
    crates = registry_crates(a.max_kb)
    if a.only:
        keep = set(a.only.split(","))
        crates = [c for c in crates if c[0] in keep]
    if a.crates:
        crates = crates[: a.crates]
    a.out.mkdir(parents=True, exist_ok=True)
    for old in a.out.glob("dev-deb-*.json"):
        old.unlink()
    if a.out.resolve() != WRAPPER.parent:
        shutil.copy(WRAPPER, a.out / "materialize.py")
    t0 = time.monotonic()
    print(f"{len(crates)} crates, {len(OPERATORS)} operators", flush=True)
    logs, pkgs, total = [], set(), 0
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for cases, log in ex.map(lambda c: mutate_crate(*c, a), crates):
            logs.append(log)
            for case in cases:
                (a.out / f"{case['id']}.json").write_text(json.dumps(case, indent=1) + "\n")
                pkgs.add(case["apt_package"])
            total += len(cases)
            print(f"{log['crate']:28} {log['mutants']:3} mutants, {log['tries']:3} tries, baseline "
                  f"{log.get('baseline_s')} s {log.get('skipped', '')} [{total} total, "
                  f"{time.monotonic() - t0:.0f} s]", flush=True)
    (a.out / "apt-packages.txt").write_text("".join(f"{p}\n" for p in sorted(pkgs) if p))
    (a.out / "build-log.json").write_text(json.dumps(logs, indent=1) + "\n")
    print(f"{total} mutants of {sum(1 for l in logs if l['mutants'])} crates in {time.monotonic() - t0:.0f} s")


if __name__ == "__main__":
    main()
