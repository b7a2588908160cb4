#!/usr/bin/env python3
"""Knowledge-base soak: processes sharing one SQLite file under load, and kill -9 in a bulk import.

    python bench/kb_soak.py [--seconds 20] [--readers 2] [--curators 1] [--kill-lines 20000]
                            [--kill-at 1 10000 19999] [--report FILE]

Soak: each "reader" process loops: learn an accepted fix (a write), search, read the record another
process logged last and now and then search for it; each "curator" approves, rejects and edits pending
records and imports a one-record JSONL file. Every record a process committed is logged; afterwards each
must still be there. Prints, per process, operations per second (writes, reads, searches), "locked"
errors (a write that waited past the store's busy timeout) and other errors, then records lost and
PRAGMA integrity_check.

Kill: a child process imports a JSONL file of --kill-lines new records with a small page cache, so the
import's uncommitted pages spill into the WAL. A temporary trigger calls back into the child when the
import's transaction has inserted the --kill-at'th record; the child then writes "in-transaction" on
its stdout and waits, and the parent SIGKILLs it: the kill always lands inside the transaction, never
before or after it. Prints, per kill point: WAL bytes at the kill, records committed before the import
that were lost, records of the killed import present afterwards (all or nothing: both must be 0), and
PRAGMA integrity_check.

Prints figures and, with --report, writes them as JSON; never passes or fails on time.
tests/test_kb.py runs both with fixed sizes (`run_soak` by iterations, `kill_mid_import`).
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent / "shared"
sys.path.insert(0, str(SHARED))
from ferrofix.kb import KnowledgeBase  # noqa: E402
from ferrofix.kb.records import Record, dump_jsonl_line  # noqa: E402
from ferrofix.kb.store import Store  # noqa: E402

WORKER = r"""
import json, random, sys, time
from collections import Counter
from pathlib import Path
from ferrofix.kb import KnowledgeBase, Record
kb_dir, role, logdir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
seconds, iterations = float(sys.argv[4]), int(sys.argv[5])
kb = KnowledgeBase(kb_dir, use_embeddings=False)
mine = logdir / f"{role}.log"
ops, errors, n = Counter(), [], 0

def op(kind, fn, *args, **kwargs):
    ops[kind] += 1
    return fn(*args, **kwargs)

def log(rid, tok):  # after the commit: a logged record must exist from now on
    with open(mine, "a") as f:
        f.write(f"{rid} {tok}\n")

t0 = time.monotonic()
while time.monotonic() - t0 < seconds and n < iterations:
    n += 1
    try:
        if role.startswith("reader"):
            tok = f"tok{role}x{n}"
            rid, _ = op("write", kb.record_accepted, code="E0308", message=f"mismatched types {tok}",
                        before=f"let {tok} = 1;", after=f"let {tok}: u8 = 1;")
            log(rid, tok)
            op("search", kb.search, "E0308 mismatched types", limit=3)
            for other in logdir.glob("*.log"):
                lines = other.read_text().splitlines()
                if lines and other != mine:
                    rid2, tok2 = lines[-1].split()[:2]
                    rec = op("read", kb.store.get, int(rid2))
                    if rec is None:
                        errors.append(f"consistency: record {rid2} of {other.stem} not visible")
                    elif other.stem.startswith("reader") and rec.status != "rejected" and random.random() < 0.2:
                        ids = [h.record.id for h in op("search", kb.search, tok2, limit=5)]
                        if int(rid2) not in ids and op("read", kb.store.get, int(rid2)).status != "rejected":
                            errors.append(f"consistency: {rid2} not found by search")
        else:
            pend = op("read", kb.store.list, status="pending", limit=5)
            if pend:
                op("write", kb.store.set_status, [pend[0].id], "approved")
                if len(pend) > 1:
                    op("write", kb.store.set_status, [pend[1].id], "rejected")
                if len(pend) > 2:
                    op("write", kb.store.edit, pend[2].id, explanation=f"edited {n}")
            name = f"c{role}x{n}"
            imp = logdir / f"{name}.jsonl"
            imp.write_text(json.dumps(Record(code="E0425", message=f"cannot find value `{name}`", before=name,
                                             after=f"d{n}", source="community:test").to_json()) + "\n")
            op("write", kb.import_jsonl, imp)
            log(op("read", kb.store.list, text=f"{name}`", limit=1)[0].id, name)
    except Exception as e:
        errors.append(f"{type(e).__name__}: {e}")
elapsed = time.monotonic() - t0
kb.close()
print(json.dumps({"role": role, "iterations": n, "seconds": round(elapsed, 2), "ops": dict(ops),
                  "locked": sum("locked" in e for e in errors), "n_errors": len(errors), "errors": errors[:20]}))
"""

KILL_CHILD = r"""
import sys
from ferrofix.kb import KnowledgeBase
kb_dir, path, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
kb = KnowledgeBase(kb_dir, use_embeddings=False)
conn = kb.store.conn
conn.execute("PRAGMA cache_size = 16")  # 16 pages: the import's uncommitted pages spill into the WAL
inserted = 0

def mid_import(record_id):
    global inserted
    inserted += 1
    if inserted == kill_at:
        print("in-transaction" if conn.in_transaction else "not in a transaction", flush=True)
        sys.stdin.readline()  # the parent kills this process here

conn.create_function("mid_import", 1, mid_import)
conn.execute("CREATE TEMP TRIGGER mid_import AFTER INSERT ON main.records BEGIN SELECT mid_import(new.id); END")
kb.import_jsonl(path)
print("done", flush=True)
"""


def _env() -> dict[str, str]:
    """The environment for child processes: this tree's `ferrofix` first on the path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SHARED), os.environ.get("PYTHONPATH")]))}


def run_soak(work: Path, roles: list[str], *, seconds: float, iterations: int = 10**9) -> dict:
    """Run one WORKER process per role ("reader…" or "curator…") on a fresh KB under `work` until
    `seconds` pass or each has done `iterations`. Returns {"processes": [per-process JSON: role,
    iterations, seconds, ops {write, read, search}, locked, n_errors, errors], "committed": records the
    processes logged, "lost": logged records missing afterwards, "integrity": PRAGMA integrity_check}."""
    kb_dir, logs = work / "kb", work / "logs"
    logs.mkdir(parents=True)
    KnowledgeBase(kb_dir, use_embeddings=False).close()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(kb_dir), role, str(logs), str(seconds),
                               str(iterations)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=_env()) for role in roles]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=seconds + 300)
        if p.returncode != 0:
            raise RuntimeError(f"a soak process failed (exit {p.returncode}): {err[-2000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    logged = {int(line.split()[0]) for log in logs.glob("*.log") for line in log.read_text().splitlines()}
    store = Store(kb_dir / "kb.sqlite3")
    present = {r.id for r in store.iter_all()}
    integrity = store.conn.execute("PRAGMA integrity_check").fetchone()[0]
    store.close()
    return {"processes": results, "committed": len(logged), "lost": len(logged - present), "integrity": integrity}


def kill_mid_import(kb_dir: Path, *, lines: int, kill_at: int, timeout_s: float = 120) -> dict:
    """SIGKILL a process importing `lines` new records into the KB at `kb_dir` once its import
    transaction has inserted `kill_at` of them (1 ≤ kill_at ≤ lines). Returns {"lines", "kill_at",
    "wal_bytes_at_kill", "committed_before": records before the import, "lost": of those, missing after,
    "partial": records of the killed import present after, "integrity": PRAGMA integrity_check,
    "seconds": from start to kill}. Raises RuntimeError when the child never reaches that point."""
    store = Store(kb_dir / "kb.sqlite3")
    before = {r.id for r in store.iter_all()}
    store.close()
    tag = uuid.uuid4().hex[:8]
    bulk = kb_dir.parent / f"bulk-{tag}.jsonl"
    with open(bulk, "w", encoding="utf-8") as f:
        for i in range(lines):
            f.write(dump_jsonl_line(Record(code="E0308", message=f"bulk {tag} {i}", before=f"x{i}", after=f"y{i}")) + "\n")
    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(kb_dir), str(bulk), str(kill_at)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env())
    try:
        ready, _, _ = select.select([p.stdout], [], [], timeout_s)
        said = p.stdout.readline().strip() if ready else ""
        if said != "in-transaction":
            raise RuntimeError(f"the importing process said {said!r} instead of being in its transaction")
        wal = kb_dir / "kb.sqlite3-wal"
        wal_bytes = wal.stat().st_size if wal.exists() else 0
        seconds = time.monotonic() - t0
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    except BaseException:
        p.kill()
        p.wait()
        if p.stderr.readable():
            sys.stderr.write(p.stderr.read()[-2000:])
        raise
    finally:
        bulk.unlink(missing_ok=True)
    store = Store(kb_dir / "kb.sqlite3")
    after = {r.id for r in store.iter_all()}
    integrity = store.conn.execute("PRAGMA integrity_check").fetchone()[0]
    store.close()
    return {"lines": lines, "kill_at": kill_at, "wal_bytes_at_kill": wal_bytes, "committed_before": len(before),
            "lost": len(before - after), "partial": len(after - before), "integrity": integrity,
            "seconds": round(seconds, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0, help="soak duration")
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--curators", type=int, default=1)
    ap.add_argument("--kill-lines", type=int, default=20000, help="records in the killed import")
    ap.add_argument("--kill-at", type=int, nargs="*", help="kill after this many inserts (default: first, middle, last)")
    ap.add_argument("--report", type=Path, help="write the figures as JSON here")
    a = ap.parse_args()
    roles = [f"reader{i + 1}" for i in range(a.readers)] + [f"curator{i + 1}" for i in range(a.curators)]
    kill_points = a.kill_at or [1, a.kill_lines // 2, a.kill_lines - 1]
    with tempfile.TemporaryDirectory(prefix="ffbench-kbsoak-") as tmp:
        work = Path(tmp)
        print(f"soak: {len(roles)} processes on one knowledge base for {a.seconds:.0f} s")
        soak = run_soak(work / "soak", roles, seconds=a.seconds)
        for r in soak["processes"]:
            ops = r["ops"]
            total = sum(ops.values())
            print(f"  {r['role']:9} {total:6} operations in {r['seconds']:5.1f} s = {total / r['seconds']:7.1f}/s "
                  f"({ops.get('write', 0)} writes, {ops.get('read', 0)} reads, {ops.get('search', 0)} searches); "
                  f"{r['locked']} locked, {r['n_errors'] - r['locked']} other errors")
            for e in r["errors"][:5]:
                print(f"      {e}")
        print(f"  records committed {soak['committed']}, lost {soak['lost']}; integrity_check {soak['integrity']}")
        kb_dir = work / "kill" / "kb"
        kb = KnowledgeBase(kb_dir, use_embeddings=False)
        kb.store.add(Record(code="E0382", message="committed before the import", before="a", after="b"))
        kb.close()
        print(f"kill -9 inside a bulk import of {a.kill_lines} records (all or nothing):")
        kills = []
        for at in kill_points:
            k = kill_mid_import(kb_dir, lines=a.kill_lines, kill_at=at)
            kills.append(k)
            print(f"  after insert {at:6}: WAL {k['wal_bytes_at_kill'] / 2**20:6.2f} MiB at the kill "
                  f"({k['seconds']:.1f} s in); committed before {k['committed_before']}, lost {k['lost']}; "
                  f"records of the killed import present {k['partial']}; integrity_check {k['integrity']}")
    if a.report:
        a.report.parent.mkdir(parents=True, exist_ok=True)
        a.report.write_text(json.dumps({"seconds": a.seconds, "soak": soak, "kill": kills}, indent=1))
        print(f"report: {a.report}")


if __name__ == "__main__":
    main()
