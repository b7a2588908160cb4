#!/usr/bin/env python3
"""Sampled model answers in one llama.cpp batch (`LlamaCppEngine.chat_n`) vs one after the other.

    python bench/batch_sampling.py [--model NAME|PATH] [--n 4] [--cases DIR] [--limit 6] [--threads 2]

Part 1, the engine: a real repair prompt (tests/fixtures/match_arm's E0004, written by
`modelfix.build_prompt`), `n` answers at temperature 0.8 with `max_tokens` each: `n` calls of `chat`
vs one `chat_n(n)`; answers per minute and completion tokens per second.

Part 2, the repair loop: `repair(samples=n, max_rounds=1)` on the first `--limit` tune-side cases of
an explain-style corpus (`bench/corpus/data/uitests` by default; `bench/corpus/split.py`) whose
first error no rule fixes (the `--nollm-report` per-case results say which), once with the samples
batched and once with an engine whose `chat_n` calls `chat` `n` times; the same prompts, seeds and
greedy answers. Reports model candidates verified per minute (candidates that reached `cargo check`,
over the run's wall time), fixes, and wall time. Tune cases only: this measures speed, not fix rate.
Writes bench/reports/batch-sampling.json. Prints figures; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "shared"))
sys.path.insert(0, str(HERE / "corpus"))
from ferrofix import modelfix, models  # noqa: E402
from ferrofix.cargo import run_check  # noqa: E402
from ferrofix.context import enclosing_item  # noqa: E402
from ferrofix.llm import LlamaCppEngine  # noqa: E402
from ferrofix.repair import RepairOptions, repair  # noqa: E402
from split import split_of  # noqa: E402


class Sequential:
    """The engine with `chat_n` as `n` calls of `chat` (the behaviour before batching)."""

    def __init__(self, engine: LlamaCppEngine):
        self.engine = engine
        self.name = engine.name

    def load(self):
        return self.engine.load()

    def chat(self, *a, **kw):
        return self.engine.chat(*a, **kw)

    def chat_n(self, messages, n, *, seed=0, **kw):
        return [self.engine.chat(messages, seed=seed + i, **kw) for i in range(n)]


def engine_part(eng: LlamaCppEngine, n: int, max_tokens: int, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:  # cargo writes a Cargo.lock: not into the repository
        root = Path(tmp) / "match_arm"
        shutil.copytree(HERE.parent / "tests" / "fixtures" / "match_arm", root)
        data = (root / "src" / "lib.rs").read_bytes()
        e = next(d for d in run_check(root).errors if d.primary_span is not None)
    span = e.primary_span
    item = enclosing_item(data, span.byte_start, span.byte_end)
    msgs = modelfix.build_prompt("search_replace", "src/lib.rs", item, e, {span.line_start})
    eng.chat(msgs, max_tokens=8)  # the prompt in the cache for both
    rows: dict[str, list[tuple[int, float]]] = {"sequential": [], "batched": []}
    for r in range(runs):
        for mode in rows:
            t = time.monotonic()
            if mode == "batched":
                outs = eng.chat_n(msgs, n, max_tokens=max_tokens, temperature=0.8, seed=100 * r)
            else:
                outs = [eng.chat(msgs, max_tokens=max_tokens, temperature=0.8, seed=100 * r + i) for i in range(n)]
            wall = time.monotonic() - t
            toks = sum(c.completion_tokens for c in outs)
            rows[mode].append((toks, wall))
            print(f"engine run {r + 1} {mode:10}: {n} answers, {toks} completion tokens in {wall:.1f} s")
    out = {}
    for mode, rs in rows.items():
        out[mode] = {"answers_per_min": round(statistics.median(n * 60 / w for _, w in rs), 2),
                     "completion_tokens_per_s": round(statistics.median(t / w for t, w in rs), 2),
                     "wall_s": round(statistics.median(w for _, w in rs), 2)}
    out["speedup_answers_per_min"] = round(out["batched"]["answers_per_min"] / out["sequential"]["answers_per_min"], 2)
    return out


def loop_part(eng: LlamaCppEngine, n: int, cases: list[Path], timeout: float) -> dict:
    out: dict[str, dict] = {}
    for mode, engine in (("batched", eng), ("sequential", Sequential(eng))):
        verified = fixed = 0
        walls = []
        for case in cases:
            with tempfile.TemporaryDirectory() as tmp:
                dest = Path(tmp) / case.name
                shutil.copytree(case, dest, ignore=shutil.ignore_patterns("expected", "case.json", "target"))
                t = time.monotonic()
                res = repair(dest, RepairOptions(samples=n, max_rounds=1, timeout_s=timeout), engine=engine)
                wall = time.monotonic() - t
            checked = sum(1 for a in res.trace if a.stage.startswith("model") and a.check_ms > 0)
            verified += checked
            fixed += res.fixed
            walls.append(wall)
            print(f"{mode:10} {case.name:60} {'FIXED' if res.fixed else 'no':5} {checked} model candidates "
                  f"checked in {wall:.1f} s")
        out[mode] = {"cases": len(cases), "fixed": fixed, "model_candidates_checked": verified,
                     "wall_s": round(sum(walls), 1),
                     "candidates_per_min": round(verified * 60 / max(sum(walls), 1e-9), 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="")
    ap.add_argument("--n", type=int, default=4, help="sampled answers per prompt")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cases", type=Path, default=HERE / "corpus" / "data" / "uitests")
    ap.add_argument("--nollm-report", type=Path, default=HERE / "corpus" / "reports" / "ui-tune-nollm.json")
    ap.add_argument("--limit", type=int, default=6)
    ap.add_argument("--case-timeout", type=float, default=180)
    ap.add_argument("--skip-engine", action="store_true")
    ap.add_argument("--report", type=Path, default=HERE / "reports" / "batch-sampling.json")
    args = ap.parse_args()
    path = models.resolve(args.model)
    eng = LlamaCppEngine(path, n_ctx=8192, n_threads=args.threads, n_seq_max=max(args.n, 1))
    eng.load()
    report: dict = {"model": path.name, "threads": args.threads, "n": args.n, "max_tokens": args.max_tokens}
    if not args.skip_engine:
        report["engine"] = engine_part(eng, args.n, args.max_tokens, args.runs)
        print(json.dumps(report["engine"], indent=1))
    unfixed = set()
    if args.nollm_report.is_file():
        unfixed = {r["id"] for r in json.loads(args.nollm_report.read_text()).get("results", []) if not r.get("fixed")}
    cases = sorted(p for p in args.cases.iterdir() if (p / "Cargo.toml").is_file()
                   and split_of(p.name) == "tune" and (not unfixed or p.name in unfixed))[: args.limit]
    if cases:
        report["loop"] = loop_part(eng, args.n, cases, args.case_timeout)
        print(json.dumps(report["loop"], indent=1))
    import resource
    report["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
