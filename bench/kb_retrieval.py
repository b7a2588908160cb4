#!/usr/bin/env python3
"""Knowledge-base retrieval benchmark: BM25 + error code alone against dense + BM25 + error code.

    python bench/kb_retrieval.py ../shared/bench/explain ../shared/bench/mutants [--kb DIR] [--embeddings GGUF]

Each case's query is the first rendered error of the case's own `cargo check` (checked once and kept in
`--cache`, so later runs and the second mode do not rebuild the crates). Two measures:

- **code** — on the seeded knowledge base (`ferrofix kb seed`; `--kb` points at another one): is a
  record with the case's error code in the top 3? (The error-code filter makes this easy for BM25.)
- **pattern** — the debian mutants only: a knowledge base of the seeded records plus one learnt fix per
  mutant case (code, the error's message, the changed lines before → after from the case's patch,
  tagged with the mutation kind, as the language server records an accepted fix), and each case
  searched with its own record left out. A hit is a record of the **same code and the same fix
  pattern** (mutation kind) among the top 1 / top 3. Only cases with at least one other case of the
  same code and kind count (the others have nothing to find).

Without `--embeddings` only BM25 + code is measured; with it (the MiniLM GGUF), both, on the same cases,
side by side. Query latency here includes the query embedding (no cache hits: every query differs).
Writes bench/reports/kb-retrieval.json. Prints figures; not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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
from ferrofix.edits import changed_region  # noqa: E402
from ferrofix.kb import KnowledgeBase, Record  # noqa: E402


def first_error(case: dict, work: Path) -> dict | None:
    """The case's first error as {"rendered", "message", "code"} (None when the check has no error)."""
    dest, _ = prepare(case, work)
    res = run_check(dest, CheckOptions(all_targets=False))  # the case's own check: `cargo check`
    if not res.errors:
        return None
    e = res.errors[0]
    return {"rendered": e.rendered or e.message, "message": e.message, "code": e.code or ""}


def collect(cases: list[dict], cache: Path) -> dict[str, dict | None]:
    """First errors of `cases` by case id, from `cache` (a JSON file) or by checking the missing ones."""
    known: dict[str, dict | None] = json.loads(cache.read_text()) if cache.is_file() else {}
    todo = [c for c in cases if c["id"] not in known]
    if todo:
        print(f"checking {len(todo)} cases (cached in {cache}) …", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["FERROFIX_CACHE_DIR"] = str(Path(tmp) / "cache")
            for i, case in enumerate(todo):
                work = Path(tmp) / f"c{i}"
                work.mkdir()
                known[case["id"]] = first_error(case, work)
                shutil.rmtree(work, ignore_errors=True)
                if i % 10 == 9:
                    cache.write_text(json.dumps(known))
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps(known))
    return known


def patch_fix(patch: str) -> tuple[str, str]:
    """(broken lines, fixed lines) of a mutant's patch (original → mutant, so the fix is its reverse),
    reduced to the lines that differ."""
    broken, fixed = [], []
    for line in patch.splitlines():
        if line.startswith(("---", "+++", "@@")):
            continue
        tag, text = line[:1], line[1:]
        if tag in (" ", "+"):
            broken.append(text)
        if tag in (" ", "-"):
            fixed.append(text)
    return changed_region("\n".join(broken) + "\n", "\n".join(fixed) + "\n")


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else 0.0


def run_code(kb: KnowledgeBase, cases: list[dict], errs: dict) -> dict:
    """Top-3 contains a record of the case's code, on the knowledge base as it is."""
    hits = total = 0
    lat, misses = [], []
    for case in cases:
        e = errs.get(case["id"])
        if not e or not case["codes"]:
            continue
        total += 1
        t0 = time.perf_counter()
        res = kb.search(e["rendered"], limit=3, count=False)
        lat.append((time.perf_counter() - t0) * 1000)
        codes = [h.record.code for h in res]
        ok = bool(set(codes) & set(case["codes"]))
        hits += ok
        if not ok:
            misses.append((case["id"], case["codes"], codes))
    return {"hits": hits, "cases": total, "p50_ms": round(statistics.median(lat), 2) if lat else None,
            "p95_ms": round(pct(lat, 0.95), 2), "misses": misses[:20]}


def build_pattern_kb(directory: Path, seed_kb: Path, mutants: list[dict], errs: dict,
                     embeddings: Path | None) -> tuple[KnowledgeBase, dict[str, int]]:
    """A knowledge base of the seeded records plus one approved learnt fix per mutant case; returns it
    and {case id: its record id}."""
    kb = KnowledgeBase(directory, embedding_model=embeddings, use_embeddings=embeddings is not None)
    src = KnowledgeBase(seed_kb, use_embeddings=False)
    kb.store.import_records([(n, r) for n, r in enumerate(src.store.iter_all(), 1)])
    src.close()
    own: dict[str, int] = {}
    for case in mutants:
        e = errs.get(case["id"])
        meta = json.loads(Path(case["json"]).read_text())
        if not e:
            continue
        before, after = patch_fix(meta["patch"])
        rec = Record(code=e["code"], message=e["message"], before=before, after=after,
                     tags=[f"pattern:{meta['mutation_kind']}", f"case:{case['id']}"],
                     source="accepted-fix", status="approved", accepted=1)
        own[case["id"]], _ = kb.store.add(rec)
    kb.rebuild_index()
    return kb, own


def run_pattern(kb: KnowledgeBase, own: dict[str, int], mutants: list[dict], errs: dict) -> dict:
    """Leave-one-out: top-1 / top-3 (own record left out) holds a record of the same code and kind."""
    kinds = {c["id"]: json.loads(Path(c["json"]).read_text())["mutation_kind"] for c in mutants}
    pairs: dict[tuple[str, str], int] = {}
    for cid in own:
        pairs[(errs[cid]["code"], kinds[cid])] = pairs.get((errs[cid]["code"], kinds[cid]), 0) + 1
    top1 = top3 = total = 0
    lat, rows = [], []
    for cid, rid in own.items():
        e = errs[cid]
        if not e["code"] or pairs[(e["code"], kinds[cid])] < 2:
            continue
        total += 1
        t0 = time.perf_counter()
        res = [h.record for h in kb.search(e["rendered"], limit=4, count=False) if h.record.id != rid][:3]
        lat.append((time.perf_counter() - t0) * 1000)
        good = [r.code == e["code"] and f"pattern:{kinds[cid]}" in r.tags for r in res]
        top1 += bool(good[:1] and good[0])
        top3 += any(good)
        rows.append({"case": cid, "code": e["code"], "kind": kinds[cid], "top1": bool(good[:1] and good[0]),
                     "top3": any(good), "got": [f"{r.code}:{next((t[8:] for t in r.tags if t.startswith('pattern:')), r.source)}"
                                                for r in res]})
    return {"top1": top1, "top3": top3, "cases": total, "p50_ms": round(statistics.median(lat), 2) if lat else None,
            "p95_ms": round(pct(lat, 0.95), 2), "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpora", nargs="+", type=Path)
    ap.add_argument("--kb", type=Path, help="a seeded knowledge base (default: the user's)")
    ap.add_argument("--embeddings", type=Path, help="an embedding GGUF: measure hybrid as well as BM25")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ferrofix-kb-retrieval-errors.json")
    ap.add_argument("--report", type=Path, default=HERE / "reports" / "kb-retrieval.json")
    a = ap.parse_args()
    cases = [c for corpus in a.corpora for c in discover(corpus)][: a.limit]
    errs = collect(cases, a.cache)
    mutants = [c for c in cases if c["kind"] == "mutant"]
    seed_kb = a.kb or KnowledgeBase(use_embeddings=False).dir
    modes = [("bm25", None)] + ([("hybrid", a.embeddings)] if a.embeddings else [])
    report: dict = {}
    for name, emb in modes:
        with tempfile.TemporaryDirectory() as tmp:
            # the seeded KB copied, so that its index (and vectors) are not touched
            kb = KnowledgeBase(Path(tmp) / "code", embedding_model=emb, use_embeddings=emb is not None)
            src = KnowledgeBase(seed_kb, use_embeddings=False)
            kb.store.import_records([(n, r) for n, r in enumerate(src.store.iter_all(), 1)])
            src.close()
            kb.rebuild_index()
            code = run_code(kb, cases, errs)
            kb.close()
            pattern = None
            if mutants:
                pkb, own = build_pattern_kb(Path(tmp) / "pattern", seed_kb, mutants, errs, emb)
                pattern = run_pattern(pkb, own, mutants, errs)
                pkb.close()
        report[name] = {"code": code, "pattern": pattern}
        print(f"[{name}] top-3 contains the case's code: {code['hits']}/{code['cases']} = "
              f"{100 * code['hits'] / max(code['cases'], 1):.1f}%, query p50 {code['p50_ms']} ms p95 {code['p95_ms']} ms")
        for m in code["misses"][:10]:
            print("  miss:", *m)
        if pattern:
            n = max(pattern["cases"], 1)
            print(f"[{name}] same code and fix pattern: top-1 {pattern['top1']}/{pattern['cases']} = "
                  f"{100 * pattern['top1'] / n:.1f}%, top-3 {pattern['top3']}/{pattern['cases']} = "
                  f"{100 * pattern['top3'] / n:.1f}%, query p50 {pattern['p50_ms']} ms p95 {pattern['p95_ms']} ms")
    if len(report) == 2 and report["bm25"]["pattern"]:
        a_rows = {r["case"]: r for r in report["bm25"]["pattern"]["rows"]}
        for r in report["hybrid"]["pattern"]["rows"]:
            b = a_rows[r["case"]]
            if b["top3"] != r["top3"] or b["top1"] != r["top1"]:
                print(f"  differs: {r['case']} {r['code']} {r['kind']}: bm25 {b['got']} / hybrid {r['got']}")
    a.report.parent.mkdir(parents=True, exist_ok=True)
    a.report.write_text(json.dumps(report, indent=1))
    print(f"report: {a.report}")


if __name__ == "__main__":
    main()
