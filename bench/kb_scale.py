#!/usr/bin/env python3
"""Knowledge-base scale: hybrid query latency at 1k, 10k and 100k records, and index rebuild time.

    python bench/kb_scale.py [--sizes 1000 10000 100000] [--queries N] [--embeddings GGUF] [--seed-kb DIR]

Records are the seeded KB's (`ferrofix kb seed`, or `--seed-kb DIR`) repeated with renamed identifiers
until each size is reached, in a fresh KB per size (SQLite + Qdrant Edge). With `--embeddings` (the
MiniLM GGUF, e.g. ../shared/models/all-minilm-l6-v2-q8_0.gguf) the search is hybrid: the seed records'
vectors are computed once and copied to their variants with a small perturbation (computing 100k
embeddings on a laptop CPU would measure the embedder, not the index); queries are embedded for real.
Without it, BM25 + error code. Queries: the first line of each seed record's message with the
identifiers renamed. Prints p50/p95 ms per size and the rebuild time; writes bench/reports/kb-scale.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "shared"))
from ferrofix.kb import KnowledgeBase  # noqa: E402
from ferrofix.kb.embed import to_bytes  # noqa: E402
from ferrofix.kb.records import Record  # noqa: E402

_IDENT = re.compile(r"\b([a-z_][a-z0-9_]{2,})\b")


def variant(rec: Record, i: int) -> Record:
    """`rec` with its lowercase identifiers suffixed by `i` (a different record, same shape)."""
    def ren(s: str) -> str:
        return _IDENT.sub(lambda m: f"{m.group(1)}_{i}" if m.group(1) not in ("let", "mut", "for", "fn", "pub", "impl")
                          else m.group(1), s)
    return dataclasses.replace(rec, id=0, message=ren(rec.message), message_norm="", diff="", content_hash="",
                               before=ren(rec.before), after=ren(rec.after),
                               status="approved" if i % 3 else "pending")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--embeddings", type=Path)
    ap.add_argument("--seed-kb", type=Path, help="a seeded KB dir (default: seed a fresh one)")
    ap.add_argument("--report", type=Path, default=HERE / "reports" / "kb-scale.json")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ffbench-kbscale-"))
    seed_dir = args.seed_kb
    if seed_dir is None:
        seed_dir = work / "seed"
        t = time.monotonic()
        KnowledgeBase(seed_dir, use_embeddings=False).seed()
        print(f"seeded {seed_dir} in {time.monotonic() - t:.1f} s")
    seeds = list(KnowledgeBase(seed_dir, use_embeddings=False).store.iter_all())
    print(f"{len(seeds)} seed records")
    seed_vecs: dict[int, list[float]] = {}
    model_name = ""
    if args.embeddings:
        kb0 = KnowledgeBase(work / "probe", embedding_model=args.embeddings)
        model_name = kb0.embedder.name
        t = time.monotonic()
        vecs = kb0.embedder.embed([r.search_text() for r in seeds])
        print(f"embedded {len(seeds)} seed records in {time.monotonic() - t:.1f} s")
        seed_vecs = {i: v for i, v in enumerate(vecs)}
    rng = random.Random(0)
    results = []
    for size in args.sizes:
        d = work / f"kb-{size}"
        kb = KnowledgeBase(d, embedding_model=args.embeddings, use_embeddings=bool(args.embeddings))
        t = time.monotonic()
        recs = [variant(seeds[i % len(seeds)], i // len(seeds)) for i in range(size)]
        kb.store.import_records([(n, r) for n, r in enumerate(recs, 1)])
        insert_s = time.monotonic() - t
        if seed_vecs:
            ids = [r.id for r in kb.store.iter_all()]
            rows = kb.store.get_many(ids)
            items = []
            for n, rid in enumerate(sorted(ids)):
                base = seed_vecs[n % len(seeds)]
                v = [x + rng.gauss(0, 0.01) for x in base]
                items.append((rid, rows[rid].content_hash, to_bytes(v)))
            kb.store.put_vectors(items, model_name)
        t = time.monotonic()
        kb.rebuild_index()
        rebuild_s = time.monotonic() - t
        queries = [variant(seeds[rng.randrange(len(seeds))], rng.randrange(max(1, size // len(seeds))))
                   for _ in range(args.queries)]
        lat = []
        hits_code = 0
        for q in queries:
            text = f"error[{q.code}]: {q.message}" if q.code else q.message
            t = time.monotonic()
            hits = kb.search(text, limit=3, count=False)
            lat.append((time.monotonic() - t) * 1000)
            hits_code += bool(hits and hits[0].record.code == q.code)
        row = {"records": size, "insert_s": round(insert_s, 1), "rebuild_s": round(rebuild_s, 1),
               "query_ms_p50": round(statistics.median(lat), 2), "query_ms_p95": round(pct(lat, 0.95), 2),
               "top1_same_code": round(hits_code / len(queries), 3), "hybrid": bool(seed_vecs)}
        results.append(row)
        print(f"{size:7} records: insert {row['insert_s']} s, rebuild index {row['rebuild_s']} s, query p50 "
              f"{row['query_ms_p50']} ms p95 {row['query_ms_p95']} ms, top-1 same code {row['top1_same_code']:.0%}")
        kb.close()
        shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps({"hybrid": bool(seed_vecs), "results": results}, indent=1))
    print(f"report: {args.report}")


if __name__ == "__main__":
    main()
