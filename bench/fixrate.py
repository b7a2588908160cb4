#!/usr/bin/env python3
"""Fix-rate benchmark: run `ferrofix fix --write --json` on corpus cases and count verified fixes.

    python bench/fixrate.py ../shared/bench/explain ../shared/bench/mutants [--no-llm] [--jobs N]
        [--limit N] [--every K] [--no-kb] [--kb DIR [--kb-leave-one-out] | --kb-shared DIR] [--case-timeout S] [--model NAME] [--report FILE] [--filter REGEX] [--codes E0425,...]
        [--split tune|held-out] [--tests [--run-tests]] [--via cli|mcp]

A corpus is a directory of explain-style cases (`<id>/Cargo.toml`, `<id>/expected/`, `<id>/case.json`)
or of mutant JSON files (built with the corpus's `materialize.py`; needs the Debian packages in its
`apt-packages.txt`). The tool under test sees only the scratch copy, never the case metadata or the
reference. A case counts as fixed when the case's check passes afterwards, only `.rs` files changed,
and the change is not deletion-only where the reference adds code. Prints figures and writes a JSON
report; it is not a pass/fail test.

Per rule (the registry's rule names, and the stages for rustc's batch and the model) it also prints
the fixed cases each had an accepted candidate in, per source, and the checks its candidates cost.
`--tests` adds the intent figures: `cargo test` (time-limited) on the reference and on each fixed
crate; the fixed cases whose tests pass, over those whose reference passes. `--run-tests` makes
`ferrofix fix` itself require the tests (`repair.runTests`).
"""

from __future__ import annotations

import argparse
import itertools
import math
import concurrent.futures as cf
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "shared"))
from ferrofix.edits import is_deletion_only  # noqa: E402
from corpus.split import SPLITS, split_of  # noqa: E402  (bench/corpus/split.py)


def discover(corpus: Path) -> list[dict]:
    cases = []
    for p in sorted(corpus.iterdir()):
        if p.is_dir() and (p / "case.json").is_file():
            meta = json.loads((p / "case.json").read_text())
            cases.append({"id": meta["id"], "kind": "explain", "dir": str(p), "codes": meta.get("error_codes", []),
                          "check": meta.get("check", "cargo check"), "source": meta.get("source", "explain")})
        elif p.suffix == ".json" and p.name != "case.json":
            meta = json.loads(p.read_text())
            if "patch" in meta:
                cases.append({"id": meta["id"], "kind": "mutant", "json": str(p), "codes": meta.get("error_codes", []),
                              "check": meta.get("check", "cargo check"), "source": meta.get("source", "mutant"),
                              "materialize": str(corpus / "materialize.py")})
    return cases


def snapshot(root: Path) -> dict[str, bytes]:
    out = {}
    for dp, dn, fn in os.walk(root):
        dn[:] = [d for d in dn if d not in ("target", ".git")]
        for n in fn:
            p = Path(dp) / n
            out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def prepare(case: dict, work: Path) -> tuple[Path, Path]:
    """Build the broken crate in work/case and the reference in work/ref; returns both."""
    dest, ref = work / "case", work / "ref"
    if case["kind"] == "explain":
        src = Path(case["dir"])
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("expected", "case.json", "target"),
                        copy_function=shutil.copy)
        shutil.copytree(dest, ref, copy_function=shutil.copy)
        for p in (src / "expected").rglob("*"):
            if p.is_file():
                t = ref / p.relative_to(src / "expected")
                t.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(p, t)
    else:
        for d, extra in ((dest, []), (ref, ["--fixed"])):
            subprocess.run([sys.executable, case["materialize"], case["json"], str(d), *extra],
                           check=True, capture_output=True)
    return dest, ref


def run_case(case: dict, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"ffbench-{case['id'][:40]}-"))
    res = {"id": case["id"], "kind": case["kind"], "source": case["source"], "codes": case["codes"], "fixed": False}
    try:
        dest, ref = prepare(case, work)
        before = snapshot(dest)
        # every case gets its own knowledge base: a copy of --kb (or an empty one), so fixes learned from
        # one case (`fix --write` records them) never leak into another
        kb_dir = work / "kb"
        if args.kb_shared:
            kb_dir = args.kb_shared  # one knowledge base for the whole run: what a case teaches, later ones see
        elif args.kb:
            shutil.copytree(args.kb, kb_dir, ignore=shutil.ignore_patterns("index", "*.lock*"))
            if args.kb_leave_one_out and case["kind"] == "explain":
                import sqlite3
                with sqlite3.connect(kb_dir / "kb.sqlite3") as db:
                    db.executemany("DELETE FROM records WHERE code = ?", [(c,) for c in case["codes"]])
        # the model's prompt-prefix state is shared between cases, as between a user's runs (it holds the
        # fixed start of every repair prompt; what differs is re-read)
        env = dict(os.environ, FERROFIX_CACHE_DIR=str(work / "cache"), FERROFIX_KB_DIR=str(kb_dir),
                   FERROFIX_LLM_STATE_DIR=str(args.state_dir))
        if args.via == "mcp":  # the MCP server's compile_and_fix, called by the SDK's client (bench/mcp_fix.py)
            cmd = [sys.executable, str(HERE / "mcp_fix.py"), str(dest), "--timeout", str(args.case_timeout)]
        else:
            cmd = [sys.executable, "-m", "ferrofix", "fix", str(dest), "--write", "--json",
                   "--timeout", str(args.case_timeout)]
        if args.no_llm:
            cmd.append("--no-llm")
        if args.model:
            cmd += ["--model", args.model]
        if args.no_kb:
            cmd.append("--no-kb")
        if args.run_tests:
            cmd.append("--run-tests")
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.case_timeout + 120)
        except subprocess.TimeoutExpired:
            res.update(error="timeout", seconds=time.monotonic() - t0)
            return res
        res["seconds"] = round(time.monotonic() - t0, 2)
        res["exit"] = p.returncode
        try:
            out = json.loads(p.stdout)
        except json.JSONDecodeError:
            res["error"] = (p.stderr.strip().splitlines() or ["no output"])[-1][:300]
            return res
        res["claimed"] = out["fixed"]
        res["tokens"] = out.get("tokens", 0)
        accepted = [s for s in out["stages"] if s["outcome"] == "accepted"]
        res["stages"] = sorted({s["stage"] for s in accepted})
        res["attempts"] = len(out["stages"])
        # per rule (the registered rule's name, else the stage): accepted candidates and checks spent
        res["rules"] = sorted({s.get("rule") or s["stage"] for s in accepted})
        res["checks_by_rule"] = dict(Counter(s.get("rule") or s["stage"] for s in out["stages"] if s["check_ms"]))
        # for failure analysis: what was left, and why the last candidates were rejected
        res["remaining"] = [f"{d.get('code') or d['level']} {d['message'][:100]} ({d.get('file')}:{d.get('line')})"
                            for d in out.get("remaining_errors", [])[:6]]
        res["rejections"] = dict(Counter(s["reason"].split(":")[0][:60] for s in out["stages"]
                                         if s["outcome"] == "rejected"))
        after = snapshot(dest)
        changed = [f for f in after if after[f] != before.get(f)] + [f for f in before if f not in after]
        res["changed"] = changed
        non_rs = [f for f in changed if not f.endswith(".rs") and not f.endswith(".ferrofix.bak")]
        # verify independently: fresh target dir
        chk = subprocess.run(case["check"].split(), cwd=dest, capture_output=True, text=True,
                             env=dict(os.environ, CARGO_TARGET_DIR=str(work / "verify-target")))
        res["check_passes"] = chk.returncode == 0
        ref_files = snapshot(ref)
        deletion_only = False
        for f in changed:
            if f.endswith(".rs") and f in before:
                old, new = before[f].decode(), after[f].decode()
                if is_deletion_only(old, new) and not is_deletion_only(old, ref_files.get(f, b"").decode()):
                    deletion_only = True
        res["deletion_only"] = deletion_only
        res["exact"] = all(after.get(f) == ref_files.get(f) for f in changed if f.endswith(".rs"))
        res["fixed"] = res["check_passes"] and not non_rs and not deletion_only
        if out["fixed"] and not res["check_passes"]:
            res["false_claim"] = True
        if args.tests:
            # intent (issue 18, item 4): does the reference pass its tests, and does the fixed crate?
            res["tests_ref_pass"] = cargo_test(ref, work / "test-target", args.test_timeout)
            if res["tests_ref_pass"] and res["fixed"]:
                res["tests_pass"] = cargo_test(dest, work / "test-target", args.test_timeout)
        return res
    except Exception as e:  # a bench bug must not stop the run
        res["error"] = f"{type(e).__name__}: {e}"
        return res
    finally:
        shutil.rmtree(work, ignore_errors=True)


def cargo_test(root: Path, target: Path, timeout_s: float) -> bool:
    """`cargo test` passes in `root` within `timeout_s` seconds (its process group killed after that)."""
    p = subprocess.Popen(["cargo", "test", "--quiet", "--offline"], cwd=root, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=dict(os.environ, CARGO_TARGET_DIR=str(target)),
                         start_new_session=True)
    try:
        return p.wait(timeout=timeout_s) == 0
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, 9)
        p.wait()
        return False


def pct(n, d):
    return f"{100 * n / d:5.1f}%" if d else "  n/a"


def _stage(r: dict) -> str:
    st = r.get("stages", [])
    if any(s.startswith("model-kb") for s in st):
        return "kb-guided model"
    if any(s.startswith("model") for s in st):
        return "model alone"
    return "rustc suggestion" if st else "none"


def _times(rs: list[dict]) -> tuple[float | None, float | None]:
    times = sorted(r["seconds"] for r in rs if "seconds" in r)
    if not times:
        return None, None
    return round(statistics.median(times), 2), round(times[max(0, math.ceil(0.9 * len(times)) - 1)], 2)


def rule_table(results: list[dict]) -> dict:
    """Per rule (or stage, for rustc's batch and the model): the fixed cases it had an accepted
    candidate in, per source, and the checks its candidates cost in all cases (issue 18, item 3)."""
    table: dict[str, dict] = defaultdict(lambda: {"fixed_cases": Counter(), "checks": 0})
    for r in results:
        for name, n in r.get("checks_by_rule", {}).items():
            table[name]["checks"] += n
        if r["fixed"]:
            for name in r.get("rules", []):
                table[name]["fixed_cases"][r.get("source", r["kind"])] += 1
    out = {k: {"fixed_cases": dict(v["fixed_cases"]), "checks": v["checks"]} for k, v in table.items()}
    if out:
        print(f"by rule: {'rule':32} {'fixed cases (per source)':48} checks")
        for k, v in sorted(out.items(), key=lambda kv: (-sum(kv[1]["fixed_cases"].values()), kv[0])):
            per = ", ".join(f"{s} {n}" for s, n in sorted(v["fixed_cases"].items()))
            print(f"         {k:32} {sum(v['fixed_cases'].values()):4} ({per:40.40}) {v['checks']:6}")
    return out


def report(results: list[dict]) -> dict:
    """Print per source (`case.json`'s `source`: rustc-explain, rustc-ui, debian-mutant) and per error
    code: fixed %, exact %, median and p90 s to a verified fix, model tokens, and the stage that fixed
    each case; returns the same figures as a dict."""
    by_kind = defaultdict(list)
    for r in results:
        by_kind[r.get("source", r["kind"])].append(r)
    summary = {}
    for kind, rs in sorted(by_kind.items()):
        fixed = [r for r in rs if r["fixed"]]
        median, p90 = _times(fixed)
        stages = defaultdict(int)
        for r in fixed:
            stages[_stage(r)] += 1
        codes: dict[str, list[dict]] = defaultdict(list)
        for r in rs:
            codes[(r["codes"] or ["(none)"])[0]].append(r)
        per_code = {}
        for c, crs in sorted(codes.items()):
            cf_ = [r for r in crs if r["fixed"]]
            m, p = _times(cf_)
            per_code[c] = {"cases": len(crs), "fixed": len(cf_), "exact": sum(1 for r in cf_ if r.get("exact")),
                           "median_s": m, "p90_s": p, "tokens": sum(r.get("tokens", 0) for r in crs)}
        summary[kind] = {
            "cases": len(rs), "fixed": len(fixed), "fixed_pct": round(100 * len(fixed) / len(rs), 1),
            "exact": sum(1 for r in fixed if r.get("exact")),
            "exact_pct": round(100 * sum(1 for r in fixed if r.get("exact")) / len(rs), 1),
            "false_claims": sum(1 for r in rs if r.get("false_claim")),
            "errors": sum(1 for r in rs if r.get("error")),
            "median_s": median, "p90_s": p90,
            "tokens": sum(r.get("tokens", 0) for r in rs),
            "by_stage": dict(stages), "per_code": per_code,
        }
        tested = [r for r in rs if r.get("tests_ref_pass")]
        if tested:
            summary[kind]["with_tests"] = {"cases": len(tested), "fixed": sum(1 for r in tested if r["fixed"]),
                                           "fixed_tests_pass": sum(1 for r in tested if r.get("tests_pass"))}
        s = summary[kind]
        print(f"{kind:14} {s['fixed']:3}/{s['cases']:3} fixed {pct(s['fixed'], s['cases'])}  "
              f"exact {pct(s['exact'], s['cases'])}  median {s['median_s']} s  p90 {s['p90_s']} s  "
              f"false claims {s['false_claims']}  errors {s['errors']}  tokens {s['tokens']}")
        print(f"         by stage: {dict(stages)}")
        if "with_tests" in s:
            t = s["with_tests"]
            print(f"         cases whose reference passes cargo test: {t['cases']}; fixed {t['fixed']}, "
                  f"fixed and the tests pass {t['fixed_tests_pass']}")
        print(f"         {'code':8} {'fixed':>9} {'exact':>6} {'median':>7} {'p90':>7} {'tokens':>8}")
        for c, pc in per_code.items():
            print(f"         {c:8} {pc['fixed']:3}/{pc['cases']:<3} {pct(pc['fixed'], pc['cases'])} "
                  f"{pct(pc['exact'], pc['cases'])} {pc['median_s'] or '-':>7} {pc['p90_s'] or '-':>7} {pc['tokens']:>8}")
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--no-llm", action="store_true")
    ap.add_argument("--model")
    ap.add_argument("--via", choices=("cli", "mcp"), default="cli",
                    help="fix through `ferrofix fix` or through the MCP server's compile_and_fix tool")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--every", type=int, default=1, help="take every K-th case of each corpus (a fixed sample)")
    ap.add_argument("--no-kb", action="store_true")
    ap.add_argument("--kb", type=Path, help="a seeded knowledge-base dir each case gets a copy of")
    ap.add_argument("--kb-shared", type=Path,
                    help="a knowledge-base dir all cases use in place (no copy): the fixes `fix --write` "
                         "records from one case are there for the next (the learning replay; run --jobs 1)")
    ap.add_argument("--kb-leave-one-out", action="store_true",
                    help="explain cases: delete the records of the case's own error codes from its copy")
    ap.add_argument("--filter", help="only cases whose id matches this regex")
    ap.add_argument("--codes", help="only cases whose first error code is one of these (comma-separated)")
    ap.add_argument("--split", choices=SPLITS,
                    help="only the cases on this side of the development corpus's hash split (bench/corpus/split.py)")
    ap.add_argument("--case-timeout", type=float, default=180)
    ap.add_argument("--run-tests", action="store_true", help="pass --run-tests to `ferrofix fix`")
    ap.add_argument("--tests", action="store_true",
                    help="also run cargo test on the reference and the fixed crate (intent figures)")
    ap.add_argument("--test-timeout", type=float, default=300)
    ap.add_argument("--report", type=Path, default=HERE / "reports" / "fixrate-latest.json")
    args = ap.parse_args()
    if args.via == "mcp" and (args.model or args.no_kb or args.run_tests):
        ap.error("--via mcp takes the model, knowledge base and tests from the settings: "
                 "--model, --no-kb and --run-tests are for the CLI")
    args.state_dir = Path(tempfile.mkdtemp(prefix="ffbench-llm-states-"))
    per_corpus = [[c for c in discover(corpus) if not args.split or split_of(c["id"]) == args.split][:: args.every]
                  for corpus in args.corpora]
    # interleave the corpora, so that a run cut short still measures each of them
    cases = [c for group in itertools.zip_longest(*per_corpus) for c in group if c is not None]
    if args.filter:
        cases = [c for c in cases if re.search(args.filter, c["id"])]
    if args.codes:
        wanted = set(args.codes.split(","))
        cases = [c for c in cases if c["codes"][:1] and c["codes"][0] in wanted]
    if args.limit:
        cases = cases[: args.limit]
    print(f"{len(cases)} cases{', split ' + args.split if args.split else ''}, jobs {args.jobs}, "
          f"{'no model' if args.no_llm else 'model ' + (args.model or 'default')}, via {args.via}", flush=True)
    results = []
    t0 = time.monotonic()
    with cf.ThreadPoolExecutor(args.jobs) as ex:
        for r in ex.map(lambda c: run_case(c, args), cases):
            results.append(r)
            flag = "FIXED" if r["fixed"] else ("ERROR " + r["error"] if r.get("error") else "no")
            print(f"[{len(results):3}/{len(cases)}] {r['id'][:60]:60} {flag} {r.get('seconds', '')}", flush=True)
    summary = report(results)
    rules = rule_table(results)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"summary": summary, "rules": rules, "wall_s": round(time.monotonic() - t0, 1),
                                       "no_llm": args.no_llm, "model": args.model, "split": args.split, "via": args.via,
                                       "results": results}, indent=1))
    print(f"report: {args.report}")


if __name__ == "__main__":
    main()
