#!/usr/bin/env python3
"""Tokens per second through ferrofix's engine (`LlamaCppEngine.chat`) vs raw llama-cpp-python on the
same prompt, same model, same threads.

    python bench/engine_speed.py [--model NAME|PATH] [--runs N] [--max-tokens N] [--threads N]

The prompt is a real repair prompt (tests/fixtures/match_arm's E0004 as `modelfix.build_prompt` writes
it). Each run alternates raw and engine; both decode greedily with a fixed seed. Reports prompt plus
completion tokens over wall time (median, tokens/s) and the engine/raw ratio; writes bench/reports/engine-speed.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "shared"))
from ferrofix import models  # noqa: E402
from ferrofix.llm import LlamaCppEngine  # noqa: E402

SOURCE = (HERE.parent / "tests" / "fixtures" / "match_arm" / "src" / "lib.rs").read_text()
MESSAGES = [
    {"role": "system", "content": "You are an expert Rust programmer fixing a compile error. Answer with "
                                  "SEARCH/REPLACE blocks only."},
    {"role": "user", "content": "error[E0004]: non-exhaustive patterns: `Shape::Triangle(_, _)` not covered\n"
                                "- at src/lib.rs:9 `match shape {`: pattern `Shape::Triangle(_, _)` not covered\n\n"
                                f"src/lib.rs:\n```rust\n{SOURCE}```\nFix the error."},
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n-ctx", type=int, default=8192)
    ap.add_argument("--report", type=Path, default=HERE / "reports" / "engine-speed.json")
    args = ap.parse_args()
    from llama_cpp import Llama
    path = models.resolve(args.model)
    raw = Llama(model_path=str(path), n_ctx=args.n_ctx, n_threads=args.threads, n_threads_batch=args.threads,
                verbose=False)
    eng = LlamaCppEngine(path, n_ctx=args.n_ctx, n_threads=args.threads)
    eng.load()
    rows: dict[str, list[tuple[float, float]]] = {"raw": [], "engine": []}
    for i in range(args.runs):
        for name in ("raw", "engine"):
            # a different first user line per run defeats llama.cpp's prompt cache, as in real use
            msgs = [MESSAGES[0], {"role": "user", "content": f"(run {i}, {name})\n" + MESSAGES[1]["content"]}]
            t = time.monotonic()
            if name == "raw":
                out = raw.create_chat_completion(messages=msgs, max_tokens=args.max_tokens, temperature=0.0,
                                                 top_k=1, seed=0)
                u = out["usage"]
                p_tok, c_tok = u["prompt_tokens"], u["completion_tokens"]
            else:
                c = eng.chat(msgs, max_tokens=args.max_tokens, temperature=0.0, seed=0)
                p_tok, c_tok = c.prompt_tokens, c.completion_tokens
            wall = time.monotonic() - t
            rows[name].append((p_tok, c_tok, wall))
            print(f"run {i + 1} {name:6}: {p_tok} prompt + {c_tok} completion tokens in {wall:.1f} s "
                  f"({(p_tok + c_tok) / wall:.1f} tokens/s overall)")
    summary = {}
    for name, rs in rows.items():
        summary[name] = {"tokens_per_s": round(statistics.median((p + c) / w for p, c, w in rs), 2),
                         "completion_tokens": statistics.median(c for _, c, _ in rs),
                         "wall_s": round(statistics.median(w for _, _, w in rs), 2)}
    summary["ratio_engine_over_raw"] = round(summary["engine"]["tokens_per_s"] / summary["raw"]["tokens_per_s"], 3)
    summary["model"] = path.name
    summary["threads"] = args.threads
    print(json.dumps(summary, indent=1))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
