#!/usr/bin/env python3
"""Knowledge-base scale: hybrid query latency at 1k, 10k and 100k records, and index rebuild time.

    python bench/kb_scale.py [--sizes 1000 10000 100000] [--queries N] [--embeddings GGUF] [--seed-kb DIR]

Records are the seeded KB's (`ferrofix kb seed`, or `--seed-kb DIR`) repeated with renamed identifiers
until each size is reached, in a fresh KB per size (SQLite + Qdrant Edge). With `--embeddings` (the
MiniLM GGUF, e.g. ../shared/models/all-minilm-l6-v2-q8_0.gguf) the search is hybrid: the seed records'
vectors are computed once and copied to their variants with a small perturbation (computing 100k
embeddings on a laptop CPU would measure the embedder, not the index); queries are embedded for real.
Without it, BM25 + error code. Queries: each seed record's message with the identifiers renamed.

Reported per size (p50/p95 ms): the **query embedding** (the MiniLM forward pass of a new message, timed
on its own), the **index part** (`KnowledgeBase.search` with the query's vector already in the
embedder's cache: change-log sync, the code-filtered and unfiltered hybrid queries with fusion, reading
the hits from SQLite — with its breakdown from `last_timings`), and a **repeated** search of the same
message end to end (the cache hit a re-check of the same error gets). Rebuild: writing the points, then
building the HNSW graph (`optimize`). With `--embeddings`, also the dense search's recall@20 against
exact search (100 queries), by point id and by seed record. Writes bench/reports/kb-scale.json.
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


def summary(xs: list[float]) -> dict:
    """{"p50", "p95"} of millisecond figures, rounded to 0.01 ms."""
    return {"p50": round(statistics.median(xs), 2), "p95": round(pct(xs, 0.95), 2)} if xs else {}


def perturbed(base: list[list[float]], n: int, rng: random.Random) -> list[bytes]:
    """float32 bytes of `n` vectors: base[i % len(base)] plus N(0, 0.01) noise per component."""
    try:
        import numpy as np
    except ImportError:  # numpy comes with llama-cpp-python; without it, slowly
        return [to_bytes([x + rng.gauss(0, 0.01) for x in base[i % len(base)]]) for i in range(n)]
    g = np.random.default_rng(rng.randrange(2**32))
    b = np.asarray(base, dtype=np.float32)
    return [(b[i % len(b)] + g.normal(0, 0.01, b.shape[1]).astype(np.float32)).tobytes() for i in range(n)]


def dense_recall(kb: KnowledgeBase, texts: list[str], seed_of, k: int = 20) -> dict | None:
    """The index's dense search (its HNSW graph, searched with the KB's `hnsw_ef`) against exact search
    over the query vectors of `texts`: {"ids": mean recall@k of the exact top-k's point ids, "seeds":
    mean share of the approximate top-k that are variants of a seed record in the exact top-k}
    (`seed_of(point id)`). The variants of one seed record are near-duplicates (noise 0.01 per
    component), so the exact top-k of a query is a near-tie among them and id recall undercounts;
    seed recall says whether the graph finds the right neighbourhood. None without a graph."""
    from ferrofix.kb import index as kb_index
    shard = getattr(kb._index, "shard", None)
    if shard is None or kb.embedder is None:
        return None
    qe = kb._index.qe
    ef = getattr(kb_index, "HNSW_EF_SEARCH", None)
    ids, seeds = [], []
    for v in kb.embedder.embed(texts):
        def top(params):
            req = qe.QueryRequest(limit=k, query=qe.Query.Nearest(v, using=kb_index.DENSE), params=params,
                                  with_payload=False)
            return [int(p.id) for p in shard.query(req)]
        exact, approx = top(qe.SearchParams(exact=True)), top(qe.SearchParams(hnsw_ef=ef) if ef else None)
        ids.append(len(set(exact) & set(approx)) / max(1, len(exact)))
        near = {seed_of(i) for i in exact}
        seeds.append(sum(seed_of(i) in near for i in approx) / max(1, len(approx)))
    return {"ids": round(statistics.mean(ids), 3), "seeds": round(statistics.mean(seeds), 3)}


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
        t = time.perf_counter()
        recs = [variant(seeds[i % len(seeds)], i // len(seeds)) for i in range(size)]
        kb.store.import_records([(n, r) for n, r in enumerate(recs, 1)])
        insert_s = time.perf_counter() - t
        if seed_vecs:
            ids = sorted(r.id for r in kb.store.iter_all())
            hashes = kb.store.get_many(ids)
            vecs = perturbed([seed_vecs[i] for i in range(len(seeds))], len(ids), rng)
            kb.store.put_vectors([(rid, hashes[rid].content_hash, v) for rid, v in zip(ids, vecs)], model_name)
        written = []
        t = time.perf_counter()
        kb.rebuild_index(progress=lambda n, total: written.append(time.perf_counter()))
        rebuild_s = time.perf_counter() - t
        points_s = (written[-1] - t) if written else rebuild_s
        queries = [variant(seeds[rng.randrange(len(seeds))], rng.randrange(max(1, size // len(seeds))))
                   for _ in range(args.queries)]
        texts = [f"error[{q.code}]: {q.message}" if q.code else q.message for q in queries]
        kb.search(texts[0], limit=3, count=False)  # opens the index (and loads the model) outside the timings
        emb, index, repeat, hits_code = [], [], [], 0
        parts: dict[str, list[float]] = {}
        cached = getattr(kb.embedder, "cache_size", None) is not None if kb.embedder else True
        if kb.embedder is not None and not cached:  # a version without the cache: memoise here
            memo: dict[str, list[float]] = {}
            raw = kb.embedder.embed
            kb.embedder.embed = lambda xs: [memo.get(x) or memo.setdefault(x, raw([x])[0]) for x in xs]
        for text, q in zip(texts, queries):
            if kb.embedder is not None:
                t = time.perf_counter()
                kb.embedder.embed([text])  # a new message: the forward pass; now cached
                emb.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            hits = kb.search(text, limit=3, count=False)
            index.append((time.perf_counter() - t) * 1000)
            for k, v in getattr(kb, "last_timings", {}).items():
                parts.setdefault(k, []).append(v)
            hits_code += bool(hits and hits[0].record.code == q.code)
        for text in texts[: min(50, len(texts))]:
            t = time.perf_counter()
            kb.search(text, limit=3, count=False)
            repeat.append((time.perf_counter() - t) * 1000)
        # record n (1-based, in insertion order) is a variant of seed (n - 1) % len(seeds) while ids are 1..size
        contiguous = kb.store.count() == size and max(r[0] for r in kb.store.iter_index_rows(None)) == size
        recall = dense_recall(kb, texts[:100], lambda rid: (rid - 1) % len(seeds) if contiguous else rid) \
            if seed_vecs else None
        row = {"records": size, "insert_s": round(insert_s, 1), "rebuild_s": round(rebuild_s, 1),
               "rebuild_points_s": round(points_s, 1), "rebuild_optimize_s": round(rebuild_s - points_s, 1),
               "index_ms": summary(index), "embed_ms": summary(emb), "repeat_ms": summary(repeat),
               "index_parts_ms": {k: summary(v) for k, v in parts.items() if k != "embed_ms"},
               "top1_same_code": round(hits_code / len(queries), 3), "hybrid": bool(seed_vecs),
               "dense_recall_at_20": recall}
        if hasattr(kb._index, "info"):
            row["index_info"] = kb._index.info()
        results.append(row)
        parts_txt = ", ".join(f"{k[:-3]} {v['p50']}" for k, v in row["index_parts_ms"].items())
        print(f"{size:7} records: insert {row['insert_s']} s, rebuild {row['rebuild_s']} s (points "
              f"{row['rebuild_points_s']} s + HNSW {row['rebuild_optimize_s']} s); index part p50 "
              f"{row['index_ms']['p50']} ms p95 {row['index_ms']['p95']} ms ({parts_txt} ms p50)"
              + (f"; query embedding p50 {row['embed_ms']['p50']} ms p95 {row['embed_ms']['p95']} ms" if emb else "")
              + f"; repeated search p50 {row['repeat_ms']['p50']} ms; top-1 same code {row['top1_same_code']:.0%}"
              + (f"; dense recall@20 {recall['ids']} (ids), {recall['seeds']} (seed records)" if recall else ""),
              flush=True)
        kb.close()
        shutil.rmtree(d, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").is_file() else []
    args.report.write_text(json.dumps({"hybrid": bool(seed_vecs), "loadavg_after": load, "results": results}, indent=1))
    print(f"report: {args.report}")


if __name__ == "__main__":
    main()
