#!/usr/bin/env python3
"""Knowledge-base retrieval benchmark: for every corpus case, search with the case's first rendered
error message and check whether a record with the case's error code is in the top 3.

    python bench/kb_retrieval.py ../shared/bench/explain ../shared/bench/mutants [--kb DIR] [--embeddings GGUF]

Needs a seeded knowledge base (`ferrofix kb seed`; `--kb` points at another one). Explain cases are
also measured leave-one-out (their own code's records excluded: then the figure is whether a *related*
code's record ranks; reported separately, not counted in the top-3 figure). Prints figures and query
latency; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "shared"))
sys.path.insert(0, str(HERE))
from fixrate import discover, prepare  # noqa: E402
from ferrofix.cargo import CheckOptions, run_check  # noqa: E402
from ferrofix.kb import KnowledgeBase  # noqa: E402


def first_rendered(case: dict, work: Path) -> str | None:
    dest, _ = prepare(case, work)
    res = run_check(dest, CheckOptions(all_targets=False))  # the case's own check: `cargo check`
    errs = res.errors
    return (errs[0].rendered or errs[0].message) if errs else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--kb", type=Path)
    ap.add_argument("--embeddings", type=Path)
    ap.add_argument("--limit", type=int)
    a = ap.parse_args()
    kb = KnowledgeBase(a.kb, embedding_model=a.embeddings, use_embeddings=a.embeddings is not None)
    cases = [c for corpus in a.corpora for c in discover(corpus)][: a.limit]
    hits = total = 0
    lat = []
    misses = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FERROFIX_CACHE_DIR"] = str(Path(tmp) / "cache")
        for i, case in enumerate(cases):
            work = Path(tmp) / f"c{i}"
            work.mkdir()
            q = first_rendered(case, work)
            if not q or not case["codes"]:
                continue
            total += 1
            t0 = time.perf_counter()
            res = kb.search(q, limit=3, count=False)
            lat.append((time.perf_counter() - t0) * 1000)
            codes = [h.record.code for h in res]
            ok = bool(set(codes) & set(case["codes"]))
            hits += ok
            if not ok:
                misses.append((case["id"], case["codes"], codes))
    print(f"top-3 contains the case's code: {hits}/{total} = {100 * hits / max(total, 1):.1f}%")
    print(f"query latency p50 {statistics.median(lat):.1f} ms, p95 {sorted(lat)[int(0.95 * (len(lat) - 1))]:.1f} ms")
    for m in misses[:20]:
        print("  miss:", *m)
    kb.close()


if __name__ == "__main__":
    main()
