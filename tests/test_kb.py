"""The knowledge base: seed, search, learning, exchange, concurrency, crash safety, bad input."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ferrofix.kb import KnowledgeBase
from ferrofix.kb.records import Record, RecordError, normalize_message, parse_jsonl_line
from ferrofix.kb.store import KBImportError, KBError, Store

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def seeded_db(tmp_path_factory):
    """A knowledge base seeded once from the installed toolchain (copied per test that writes)."""
    d = tmp_path_factory.mktemp("seeded")
    kb = KnowledgeBase(d, use_embeddings=False)
    t0 = time.monotonic()
    counts = kb.seed()
    seconds = time.monotonic() - t0
    kb.close()
    return d, counts, seconds


def test_seed_from_toolchain(seeded_db):
    d, (inserted, updated, same), seconds = seeded_db
    kb = KnowledgeBase(d, use_embeddings=False)
    st = kb.store.stats()
    print(f"seed: {st['records']} records, {st['codes']} codes in {seconds:.1f} s")
    assert st["records"] >= 400 and st["codes"] >= 250
    assert inserted == st["records"] and updated == 0
    # idempotent
    assert kb.seed()[0:2] == (0, 0)
    e0382 = kb.store.list(code="E0382")
    assert e0382 and e0382[0].before and e0382[0].source == "rustc-error-index"
    kb.close()


def test_reseed_updates_uncurated_and_keeps_curated(tmp_path):
    store = Store(tmp_path / "kb.sqlite3")
    a = Record(code="E0001", message="old a", before="fn a() {}", source="rustc-error-index", status="approved")
    b = Record(code="E0002", message="old b", before="fn b() {}", source="rustc-error-index", status="approved")
    assert store.upsert_seed([("E0001#0", a), ("E0002#0", b)]) == (2, 0, 0)
    rid_b = store.list(code="E0002")[0].id
    store.set_status([rid_b], "rejected")  # curated by a user
    a2 = Record(code="E0001", message="new a", before="fn a() { 1 }", source="rustc-error-index", status="approved")
    b2 = Record(code="E0002", message="new b", before="fn b() { 2 }", source="rustc-error-index", status="approved")
    assert store.upsert_seed([("E0001#0", a2), ("E0002#0", b2)]) == (0, 1, 1)
    assert store.list(code="E0001")[0].message == "new a"
    kept = store.get(rid_b)
    assert kept.message == "old b" and kept.status == "rejected"


def test_search_ranks_code_and_never_rejected(seeded_db, tmp_path):
    d, _, _ = seeded_db
    kb = KnowledgeBase(d, use_embeddings=False)
    hits = kb.search("error[E0382]: borrow of moved value: `names`", limit=3)
    assert hits[0].record.code == "E0382"
    rid = hits[0].record.id
    kb.store.set_status([rid], "rejected")
    again = kb.search("error[E0382]: borrow of moved value: `names`", limit=10)
    assert rid not in [h.record.id for h in again]
    kb.store.set_status([rid], "approved")
    loo = kb.search("error[E0382]: borrow of moved value", limit=5, exclude_codes={"E0382"})
    assert all(h.record.code != "E0382" for h in loo)
    kb.close()


def test_approved_rank_above_pending(tmp_path):
    kb = KnowledgeBase(tmp_path, use_embeddings=False)
    p, _ = kb.store.add(Record(code="E0308", message="mismatched types expected u32 found i64",
                               before="let x: u32 = 5i64;", after="let x: u32 = 5u32;", status="pending"))
    a, _ = kb.store.add(Record(code="E0308", message="mismatched types", before="fn f() -> u8 { 1u16 }",
                               after="fn f() -> u8 { 1u8 }", status="approved"))
    hits = kb.search("E0308 mismatched types expected u32 found i64", limit=2)
    assert [h.record.id for h in hits] == [a, p]
    kb.close()


def test_dense_retrieval_with_minilm(tmp_path, minilm):
    kb = KnowledgeBase(tmp_path, embedding_model=minilm)
    kb.store.add(Record(code="E0599", message="no method named `lenght` found for struct `Vec<u8>`",
                        before="v.lenght()", after="v.len()"))
    kb.store.add(Record(code="E0425", message="cannot find value `countr` in this scope",
                        before="countr", after="counter"))
    hits = kb.search("method not found on a vector: misspelled length", limit=2)
    assert kb.dim == 384
    assert hits[0].record.code == "E0599"
    assert kb.store.vectors([h.record.id for h in hits], kb.embedder.name)  # vectors stored in SQLite
    kb.close()


def test_missing_embedding_model_falls_back_with_notice(tmp_path):
    kb = KnowledgeBase(tmp_path)
    assert kb.embedder is None and "BM25" in kb.notice
    kb.close()


def test_record_accepted_dedupes(tmp_path):
    kb = KnowledgeBase(tmp_path, use_embeddings=False)
    rid, new = kb.record_accepted(code="E0382", message="borrow of moved value: `a`", before="let b = a;",
                                  after="let b = a.clone();")
    rid2, new2 = kb.record_accepted(code="E0382", message="borrow of moved value: `a`", before="let b = a;",
                                    after="let b = a.clone();")
    assert new and not new2 and rid == rid2
    r = kb.store.get(rid)
    assert r.status == "pending" and r.source == "accepted-fix" and r.accepted == 2
    assert "+let b = a.clone();" in r.diff
    kb.close()


def test_export_import_round_trip_exact(tmp_path, seeded_db):
    src = KnowledgeBase(seeded_db[0], use_embeddings=False)
    f1, f2 = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    n = src.export_jsonl(f1)
    src.close()
    dst = KnowledgeBase(tmp_path / "dst", use_embeddings=False)
    ins, dup, errors = dst.import_jsonl(f1)
    assert (ins, dup, errors) == (n, 0, [])
    dst.export_jsonl(f2)
    assert f1.read_bytes() == f2.read_bytes()
    dst.close()


def test_import_malformed_is_atomic_with_line_numbers(tmp_path):
    good = json.dumps(Record(code="E0308", message="m", before="a", after="b").to_json())
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join([good, "{not json", json.dumps({"schema_version": 99, "message": "x"}),
                            json.dumps({"message": "x", "status": "maybe"})]) + "\n")
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    with pytest.raises(KBImportError) as e:
        kb.import_jsonl(f)
    assert [n for n, _ in e.value.errors] == [2, 3, 4]
    assert "schema_version 99" in e.value.errors[1][1]
    assert kb.store.count() == 0
    ins, _, errors = kb.import_jsonl(f, skip_invalid=True)
    assert ins == 1 and len(errors) == 3
    kb.close()


def test_cli_import_reports_lines(tmp_path):
    f = tmp_path / "in.jsonl"
    f.write_text('{"message": "x", "code": "bad"}\n')
    p = subprocess.run([sys.executable, "-m", "ferrofix", "kb", "import", str(f)], capture_output=True, text=True)
    assert p.returncode == 2 and "line 1" in p.stderr and "Traceback" not in p.stderr


def test_record_validation():
    with pytest.raises(RecordError, match="unknown field"):
        Record.from_json({"message": "x", "colour": "red"})
    with pytest.raises(RecordError, match="not JSON"):
        parse_jsonl_line("[")
    assert normalize_message("borrow of moved value: `names`") == "borrow of moved value: `_`"
    assert normalize_message("expected 2 arguments, found 3") == "expected N arguments, found N"


def test_corrupt_sqlite_is_a_clear_error(tmp_path):
    (tmp_path / "kb.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(KBError, match="corrupt"):
        KnowledgeBase(tmp_path, use_embeddings=False)
    assert (tmp_path / "kb.sqlite3").read_bytes().startswith(b"this is not")  # nothing overwritten


def test_locked_sqlite_is_a_clear_error(tmp_path):
    Store(tmp_path / "kb.sqlite3").close()
    blocker = sqlite3.connect(tmp_path / "kb.sqlite3", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(KBError, match="locked"):
            Store(tmp_path / "kb.sqlite3", timeout_s=0.5).add(Record(message="x", before="y"))
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_index_follows_writes_of_another_process(tmp_path):
    a = KnowledgeBase(tmp_path, use_embeddings=False)
    a.store.add(Record(code="E0433", message="failed to resolve: use of undeclared type `HashMap`", before="HashMap::new()"))
    assert a.search("undeclared type HashMap", limit=1)[0].record.code == "E0433"
    code = textwrap.dedent(f"""
        from ferrofix.kb import KnowledgeBase, Record
        kb = KnowledgeBase({str(tmp_path)!r}, use_embeddings=False)
        kb.store.add(Record(code="E0599", message="no method named `zebra_unique` found", before="x.zebra_unique()"))
        print(kb.search("zebra_unique", limit=1)[0].record.code)
        kb.close()
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.stdout.strip() == "E0599", p.stderr  # the second process used a private index: no lock error
    assert a.search("zebra_unique", limit=1)[0].record.code == "E0599"  # our index caught up
    a.close()


WORKER = textwrap.dedent("""
    import json, random, sys, time
    from pathlib import Path
    from ferrofix.kb import KnowledgeBase, Record
    kb_dir, role, logdir, seconds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
    kb = KnowledgeBase(kb_dir, use_embeddings=False)
    mine = logdir / f"{role}.log"
    errors, n = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        n += 1
        try:
            if role.startswith("reader"):
                tok = f"tok{role}x{n}"
                rid, _ = kb.record_accepted(code="E0308", message=f"mismatched types {tok}", before=f"let {tok} = 1;",
                                            after=f"let {tok}: u8 = 1;")
                with open(mine, "a") as f:
                    f.write(f"{rid} {tok}\\n")
                kb.search("E0308 mismatched types", limit=3)
                for other in logdir.glob("*.log"):
                    lines = other.read_text().splitlines()
                    if lines and other != mine:
                        rid2, tok2 = lines[-1].split()[:2]
                        rec = kb.store.get(int(rid2))
                        if rec is None:
                            errors.append(f"{role}: record {rid2} of {other.stem} not visible")
                        elif other.stem.startswith("reader") and rec.status != "rejected" and random.random() < 0.2:
                            ids = [h.record.id for h in kb.search(tok2, limit=5)]
                            if int(rid2) not in ids and kb.store.get(int(rid2)).status != "rejected":
                                errors.append(f"{role}: {rid2} not found by search")
            else:
                pend = kb.store.list(status="pending", limit=5)
                if pend:
                    kb.store.set_status([pend[0].id], "approved")
                    if len(pend) > 1:
                        kb.store.set_status([pend[1].id], "rejected")
                    if len(pend) > 2:
                        kb.store.edit(pend[2].id, explanation=f"edited {n}")
                imp = logdir / f"imp{n}.jsonl"
                imp.write_text(json.dumps(Record(code="E0425", message=f"cannot find value `c{n}`",
                                                 before=f"c{n}", after=f"d{n}", source="community:test").to_json()) + "\\n")
                ins, dup, errs = kb.import_jsonl(imp)
                with open(mine, "a") as f:
                    f.write(f"{kb.store.list(text=f'c{n}`', limit=1)[0].id} c{n}\\n")
        except Exception as e:
            errors.append(f"{role}: {type(e).__name__}: {e}")
    kb.close()
    print(json.dumps({"role": role, "iterations": n, "errors": errors[:20], "n_errors": len(errors)}))
""")


def test_three_processes_for_20_seconds(tmp_path):
    kb_dir, logs = tmp_path / "kb", tmp_path / "logs"
    logs.mkdir()
    KnowledgeBase(kb_dir, use_embeddings=False).close()
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    procs = [subprocess.Popen([sys.executable, str(script), str(kb_dir), role, str(logs), "20"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for role in ("reader1", "reader2", "curator")]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=180)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    print(results)
    assert all(r["n_errors"] == 0 for r in results), results
    assert all(r["iterations"] > 5 for r in results)
    # every committed write is visible afterwards
    store = Store(kb_dir / "kb.sqlite3")
    for log in logs.glob("*.log"):
        for line in log.read_text().splitlines():
            assert store.get(int(line.split()[0])) is not None


BULK = textwrap.dedent("""
    import sys
    from ferrofix.kb import KnowledgeBase
    kb = KnowledgeBase(sys.argv[1], use_embeddings=False)
    print("start", flush=True)
    kb.import_jsonl(sys.argv[2])
    print("done", flush=True)
""")


def test_kill_9_during_bulk_import_loses_nothing(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    committed, _ = kb.store.add(Record(code="E0382", message="kept", before="a", after="b"))
    kb.close()
    big = tmp_path / "big.jsonl"
    with open(big, "w") as f:
        for i in range(30000):
            f.write(json.dumps(Record(code="E0308", message=f"m{i}", before=f"x{i}", after=f"y{i}").to_json()) + "\n")
    script = tmp_path / "bulk.py"
    script.write_text(BULK)
    p = subprocess.Popen([sys.executable, str(script), str(tmp_path / "kb"), str(big)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "start"
    time.sleep(1.5)  # let the import get well into its transaction
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    assert kb.store.get(committed).message == "kept"
    assert kb.store.count() in (1, 30001)  # all or nothing
    assert kb.store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    kb.close()


def test_qdrant_client_backend(tmp_path):
    pytest.importorskip("qdrant_client", reason="the `kb` extra (qdrant-client) is not installed")
    kb = KnowledgeBase(tmp_path, use_embeddings=False, qdrant_url=":memory:")
    kb.store.add(Record(code="E0599", message="no method named `lenght` found", before="v.lenght()", after="v.len()"))
    kb.store.add(Record(code="E0425", message="cannot find value `countr`", before="countr", after="counter"))
    rid, _ = kb.store.add(Record(code="E0425", message="cannot find value `totl`", before="totl", after="total"))
    hits = kb.search("error[E0425]: cannot find value `countr` in this scope", limit=2)
    assert [h.record.code for h in hits] == ["E0425", "E0425"]
    kb.store.set_status([rid], "rejected")
    assert rid not in [h.record.id for h in kb.search("cannot find value", limit=5)]
    kb.close()
