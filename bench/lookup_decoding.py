#!/usr/bin/env python3
"""Greedy answers with and without prompt-lookup drafts (`LlamaCppEngine.draft_tokens`) on the repair
prompts of real corpus cases: completion tokens per second, and how often the two answers are the same.

    python bench/lookup_decoding.py CORPUS... [--split tune] [--every K] [--prompts N] [--model NAME|PATH]
        [--threads N] [--draft N] [--max-tokens N] [--report FILE]

The prompts are the first `--prompts` requests `repair` sends for each case (`bench/prompts.py`: a
scripted engine, so the rules run and the model stage asks its greedy search/replace, then its item
rewrite). Each prompt is read once (an answer of 1 token), then answered greedily twice from the cached
prompt — one token per `llama_decode` (`draft_tokens` 0: llama-cpp-python's own loop) and with drafts —
so the times are the decoding alone; then `--samples` answers at T=0.8 to the first request in one
batch (`chat_n`) without drafts and with them. Prints per prompt and in total; writes
bench/reports/lookup-decoding.json unless `--report` says otherwise. Speed is measured here, not asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import fixrate  # noqa: E402  (bench/fixrate.py; puts this checkout's shared/ on sys.path)
import prompts  # noqa: E402
from ferrofix import models  # noqa: E402
from ferrofix.llm import LlamaCppEngine  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--split", choices=fixrate.SPLITS, default="tune")
    ap.add_argument("--every", type=int, default=1, help="every K-th case of the split")
    ap.add_argument("--prompts", type=int, default=2, help="requests per case (default 2)")
    ap.add_argument("--model", default="")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--draft", type=int, default=8, help="draft tokens per step (default 8)")
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--samples", type=int, default=4,
                    help="sampled answers (T=0.8) to each case's first request: one batch vs one after the "
                         "other with drafts (0: none)")
    ap.add_argument("--report", type=Path, default=HERE / "reports" / "lookup-decoding.json")
    args = ap.parse_args()
    cases = [c for corpus in args.corpora for c in fixrate.discover(corpus)
             if fixrate.split_of(c["id"]) == args.split][:: args.every]
    eng = LlamaCppEngine(models.resolve(args.model), n_ctx=8192, n_threads=args.threads, draft_tokens=args.draft)
    eng.load()
    rows = []
    for case in cases:
        for k, msgs in enumerate(prompts.requests(case, 60.0)[: args.prompts]):
            eng.chat(msgs, max_tokens=1)  # the prompt read and cached
            row: dict = {"id": case["id"], "request": k}
            for name, draft in (("plain", 0), ("lookup", args.draft)):
                eng.draft_tokens = draft
                t = time.monotonic()
                c = eng.chat(msgs, max_tokens=args.max_tokens)
                row[name] = {"tokens": c.completion_tokens, "seconds": round(time.monotonic() - t, 3), "text": c.text}
            row["same"] = row["plain"]["text"] == row["lookup"]["text"]
            if k == 0 and args.samples:
                for name, draft in (("batch", 0), ("batch_drafts", args.draft)):
                    eng.draft_tokens = draft
                    t = time.monotonic()
                    cs = eng.chat_n(msgs, args.samples, max_tokens=args.max_tokens, temperature=0.8, seed=1)
                    row[name] = {"tokens": sum(c.completion_tokens for c in cs),
                                 "seconds": round(time.monotonic() - t, 3), "distinct": len({c.text for c in cs})}
                print(f"  {args.samples} samples: batch {row['batch']['tokens']} tok {row['batch']['seconds']:.2f} s, "
                      f"with drafts {row['batch_drafts']['tokens']} tok {row['batch_drafts']['seconds']:.2f} s",
                      flush=True)
            rows.append(row)
            p, q = row["plain"], row["lookup"]
            print(f"{case['id'][:50]:50} #{k} plain {p['tokens']:4} tok {p['seconds']:6.2f} s | lookup "
                  f"{q['tokens']:4} tok {q['seconds']:6.2f} s | {'same' if row['same'] else 'differs'}", flush=True)
    eng.close()
    total = {name: (sum(r[name]["tokens"] for r in rows), sum(r[name]["seconds"] for r in rows))
             for name in ("plain", "lookup")}
    summary = {
        "answers": len(rows),
        "same": sum(r["same"] for r in rows),
        "tokens_per_s": {name: round(tok / s, 2) for name, (tok, s) in total.items() if s},
        "samples_tokens_per_s": {name: round(sum(r[name]["tokens"] for r in rows if name in r)
                                             / max(1e-9, sum(r[name]["seconds"] for r in rows if name in r)), 2)
                                 for name in ("batch", "batch_drafts")} if args.samples else None,
        "median_speedup": round(statistics.median(r["plain"]["seconds"] / r["lookup"]["seconds"] for r in rows), 2)
        if rows else None,
        "draft": args.draft, "threads": args.threads, "model": eng.name,
    }
    print(json.dumps(summary, indent=1))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"summary": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
