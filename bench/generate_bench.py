#!/usr/bin/env python3
"""`generate` benchmark: write a crate for each task with `ferrofix generate`, then run the task's hidden
tests against it.

    python bench/generate_bench.py [bench/generate_tasks] [--test] [--kb DIR] [--timeout S]
        [--split tune|held-out] [--filter REGEX] [--limit N] [--report FILE]

A task (`bench/generate_tasks/*.toml`, written for this benchmark from classic exercises) holds a
description, requirements naming the public items with their signatures, hidden tests (a
`#[cfg(test)] mod hidden_tests` block) and a reference implementation that passes them (never shown to
the generator). The generator sees only the description and the requirements. After it writes the
crate, the hidden tests are appended to its root file and `cargo test` runs on them (time-limited, its
process group killed on timeout), in the benchmark's temporary directory.

Figures per split (bench/corpus/split.py: tune ≈ ⅓, held-out ≈ ⅔): pass@1 (every hidden test passes),
compiles (`cargo check` passes), repaired (the repair loop had to fix the first draft), median time and
tokens. It prints figures and writes a JSON report; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpus.split import SPLITS, split_of  # noqa: E402

_RESULT = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed", re.M)


def cargo_test(root: Path, target: Path, timeout_s: float) -> tuple[int, int, str]:
    """(passed, failed, last lines) of `cargo test hidden_tests` on the crate at `root`; a build failure
    or timeout counts every test as failed (passed 0, failed -1)."""
    lib = (root / "src" / "lib.rs").is_file()
    cmd = ["cargo", "test", "--offline", "--lib" if lib else "--bins", "hidden_tests"]
    p = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                         env=dict(os.environ, CARGO_TARGET_DIR=str(target), CARGO_TERM_COLOR="never"))
    try:
        out, _ = p.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        p.communicate()
        return 0, -1, "timeout"
    text = out.decode("utf-8", "replace")
    m = [(int(a), int(b)) for a, b in _RESULT.findall(text)]
    if not m:
        return 0, -1, "\n".join(text.strip().splitlines()[-8:])
    return sum(a for a, _ in m), sum(b for _, b in m), "\n".join(text.strip().splitlines()[-3:])


def run_task(task: dict, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"ffgen-{task['id']}-"))
    res = {"id": task["id"], "topic": task["topic"], "split": split_of(task["id"]), "compiled": False,
           "passed": False}
    try:
        env = dict(os.environ, FERROFIX_CACHE_DIR=str(work / "cache"))
        if args.kb:
            env["FERROFIX_KB_DIR"] = str(args.kb)  # generate only reads it (templates, examples)
        out = work / "crate"
        cmd = [sys.executable, "-m", "ferrofix", "generate", task["description"], "--requirements",
               task["requirements"], "--out", str(out), "--json", "--name", "task", "--timeout", str(args.timeout)]
        if args.test:
            cmd.append("--test")
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout + 120)
        except subprocess.TimeoutExpired:
            res.update(error="timeout", seconds=round(time.monotonic() - t0, 1))
            return res
        res["seconds"] = round(time.monotonic() - t0, 1)
        try:
            g = json.loads(p.stdout)
        except json.JSONDecodeError:
            res["error"] = (p.stderr.strip().splitlines() or ["no output"])[-1][:300]
            return res
        res.update(compiled=g["compiled"], repaired=g["repaired"], tokens=g["tokens"], own_tests=g["tests_passed"],
                   notes=g["notes"], remaining=g["remaining_errors"][:4], attempts=len(g["trace"]),
                   rejections=sorted({a["reason"].split(":")[0][:60] for a in g["trace"] if a["outcome"] == "rejected"}),
                   source=next((t for p, t in g["files"].items() if p.endswith(".rs")), "")[:4000])
        root = out / ("src/lib.rs" if (out / "src/lib.rs").is_file() else "src/main.rs")
        if not root.is_file():
            res["error"] = "no crate root"
            return res
        root.write_text(root.read_text() + "\n" + task["hidden_tests"])
        passed, failed, tail = cargo_test(out, work / "target", args.test_timeout)
        res.update(hidden_passed=passed, hidden_failed=failed, passed=failed == 0 and passed > 0, test_tail=tail)
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


def summarize(results: list[dict]) -> dict:
    out = {}
    for split in (*SPLITS, "all"):
        rs = [r for r in results if split == "all" or r["split"] == split]
        if not rs:
            continue
        secs = [r["seconds"] for r in rs if "seconds" in r]
        out[split] = {
            "tasks": len(rs),
            "pass@1": sum(r["passed"] for r in rs),
            "pass@1_pct": round(100 * sum(r["passed"] for r in rs) / len(rs), 1),
            "compiled": sum(r["compiled"] for r in rs),
            "compiled_pct": round(100 * sum(r["compiled"] for r in rs) / len(rs), 1),
            "repaired": sum(bool(r.get("repaired")) for r in rs),
            "own_tests_passed": sum(r.get("own_tests") is True for r in rs),
            "errors": sum(bool(r.get("error")) for r in rs),
            "median_s": round(statistics.median(secs), 1) if secs else None,
            "median_tokens": statistics.median([r.get("tokens", 0) for r in rs]),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tasks", nargs="?", type=Path, default=HERE / "generate_tasks")
    ap.add_argument("--test", action="store_true", help="pass --test to generate (it writes and passes its own tests)")
    ap.add_argument("--kb", type=Path, help="a seeded knowledge-base dir (records and templates)")
    ap.add_argument("--timeout", type=float, default=300, help="generate's budget per task, seconds")
    ap.add_argument("--test-timeout", type=float, default=120)
    ap.add_argument("--split", choices=SPLITS)
    ap.add_argument("--filter")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--report", type=Path, default=HERE / "reports" / "generate-latest.json")
    args = ap.parse_args()
    tasks = [tomllib.loads(p.read_text()) for p in sorted(args.tasks.glob("*.toml"))]
    tasks = [t for t in tasks if (not args.split or split_of(t["id"]) == args.split)
             and (not args.filter or re.search(args.filter, t["id"]))][: args.limit]
    print(f"{len(tasks)} tasks{', split ' + args.split if args.split else ''}{', --test' if args.test else ''}",
          flush=True)
    results = []
    t0 = time.monotonic()
    args.report.parent.mkdir(parents=True, exist_ok=True)
    for t in tasks:
        r = run_task(t, args)
        results.append(r)
        # written after every task, so that a run cut short still has its figures
        args.report.write_text(json.dumps({"summary": summarize(results), "test": args.test, "partial": True,
                                           "results": results}, indent=1))
        flag = "PASS" if r["passed"] else ("ERROR " + r["error"] if r.get("error") else
                                           "compiles" if r["compiled"] else "no")
        print(f"[{len(results):2}/{len(tasks)}] {r['id']:28} {r['split']:8} {flag:10} {r.get('seconds', '')} s "
              f"{r.get('hidden_passed', 0)}/{r.get('hidden_passed', 0) + max(0, r.get('hidden_failed', 0))} hidden"
              + (" repaired" if r.get("repaired") else ""), flush=True)
    summary = summarize(results)
    for split, s in summary.items():
        print(f"{split:8} pass@1 {s['pass@1']}/{s['tasks']} ({s['pass@1_pct']}%), compiles {s['compiled']} "
              f"({s['compiled_pct']}%), repaired {s['repaired']}, median {s['median_s']} s, "
              f"{s['median_tokens']} tokens")
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"summary": summary, "test": args.test, "wall_s": round(time.monotonic() - t0, 1),
                                       "results": results}, indent=1))
    print(f"report: {args.report}")


if __name__ == "__main__":
    main()
