"""The knowledge base: seed, search, learning, exchange, concurrency, crash safety, bad input."""

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from ferrofix.kb import KnowledgeBase
from ferrofix.kb import records
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


def test_examples_prefer_fixes_accepted_here(seeded_db, tmp_path):
    """The repair prompt's examples: a fix verified and accepted in the user's code (`fix --write`,
    "Apply and remember") comes before the error index's page for the same code; search order is
    unchanged (approved records first, for curation)."""
    import shutil
    d = tmp_path / "kb"
    shutil.copytree(seeded_db[0], d, ignore=shutil.ignore_patterns("index", "*.lock*"))
    kb = KnowledgeBase(d, use_embeddings=False)
    msg = "this function takes 2 arguments but 1 argument was supplied"
    seed = kb.examples_for("E0061", msg, limit=1)[0]
    assert seed.source == "rustc-error-index"
    rid, _ = kb.record_accepted(code="E0061", message="this function takes 3 arguments but 2 arguments were supplied",
                                before="    let n = read(buf, 8);", after="    let n = read(buf, 8, true);")
    assert [r.id for r in kb.examples_for("E0061", msg, limit=1)] == [rid]
    assert kb.search(f"E0061 {msg}", code="E0061", limit=1)[0].record.status == "approved"
    # another code's accepted fix does not jump the queue
    assert kb.examples_for("E0308", "mismatched types", limit=1)[0].id != rid
    kb.store.set_status([rid], "rejected")
    assert kb.examples_for("E0061", msg, limit=1)[0].id == seed.id
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


#: The characters besides "\n" and "\r" that `str.splitlines` ends a line at.
LINE_BREAKS = ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e"]


@pytest.mark.parametrize("ch", LINE_BREAKS, ids=lambda c: f"U+{ord(c):04X}")
def test_export_import_round_trip_line_breaks(tmp_path, ch):
    """A record holding a character `str.splitlines` splits on survives export → import exactly, and the
    export escapes it, so that any line-by-line reader sees one record per line."""
    src = KnowledgeBase(tmp_path / "src", use_embeddings=False)
    src.store.add(Record(code="E0308", message=f"mismatched{ch}types", before=f"let x{ch}= 1;",
                         after="let x = 1u8;", explanation=f"a{ch}b", tags=[f"t{ch}"]))
    f1, f2 = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert src.export_jsonl(f1) == 1
    text = f1.read_text(encoding="utf-8")
    assert ch not in text and len(text.splitlines()) == 1
    dst = KnowledgeBase(tmp_path / "dst", use_embeddings=False)
    assert dst.import_jsonl(f1) == (1, 0, [])
    assert [r.to_json() for r in dst.store.iter_all()] == [r.to_json() for r in src.store.iter_all()]
    dst.export_jsonl(f2)
    assert f2.read_bytes() == f1.read_bytes()
    src.close()
    dst.close()


def test_import_splits_lines_on_newline_only(tmp_path):
    """JSONL is newline-delimited: raw U+2028, U+0085, … inside JSON strings (valid JSON, written by other
    tools) do not end a line; CRLF line ends are accepted."""
    recs = [Record(code="E0308", message=f"m{ch}x", before=f"a{i}", after="b") for i, ch in enumerate(LINE_BREAKS)]
    f = tmp_path / "raw.jsonl"
    f.write_bytes("".join(json.dumps(r.to_json(), ensure_ascii=False) + "\r\n" for r in recs).encode("utf-8"))
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    assert kb.import_jsonl(f) == (len(recs), 0, [])
    assert sorted(r.message for r in kb.store.iter_all()) == sorted(r.message for r in recs)
    kb.close()


def _line(**changes) -> str:
    """A valid record's JSONL line with `changes` applied (the derived fields left out, so they are
    recomputed)."""
    d = Record(code="E0308", message="mismatched types", before="let x: u8 = 1i64;", after="let x: u8 = 1;").to_json()
    for k in ("content_hash", "message_norm", "diff"):
        d.pop(k)
    d.update(changes)
    return json.dumps(d)


#: Lines json.loads accepts whose values SQLite cannot hold or Python cannot encode, and a word the
#: reason must contain.
UNSTORABLE = {
    "counter-10**30": (_line(retrieved=10**30), "retrieved"),
    "counter-negative": (_line(offered=-1), "offered"),
    "counter-NaN": (_line(accepted=float("nan")), "accepted"),
    "created-NaN": (_line(created=float("nan")), "created"),
    "updated-Infinity": (_line(updated=float("inf")), "updated"),
    "created--Infinity": (_line(created=float("-inf")), "created"),
    "created-10**400": (_line(created=10**400), "created"),
    "surrogate-message": (_line(message="\ud800 x"), "message"),
    "surrogate-after": (_line(after="let y = \udfff;"), "after"),
    "surrogate-tag": (_line(tags=["ok", "\udbff"]), "tags"),
    "surrogate-key": (_line(**{"\ud800": 1}), "unknown field"),
    "nested-list-100k": ("[" * 100_000 + "]" * 100_000, "nested"),
    "nested-object-100k": ('{"tags": ' * 100_000 + "[]" + "}" * 100_000, "nested"),
    "int-5000-digits": (_line()[:-1] + ', "accepted": ' + "9" * 5000 + "}", "digits"),
}


@pytest.mark.parametrize("case", UNSTORABLE)
def test_import_unstorable_value_is_an_invalid_line(tmp_path, case):
    """Such a line is an invalid line (number and a one-line reason), found before the database is
    touched: nothing is imported, and --skip-invalid skips exactly that line."""
    line, word = UNSTORABLE[case]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join([_line(before="a"), line, _line(before="b")]) + "\n", encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    with pytest.raises(KBImportError) as e:
        kb.import_jsonl(f)
    [(n, reason)] = e.value.errors
    assert n == 2 and word in reason and "\n" not in reason and len(reason) < 200, reason
    reason.encode("utf-8")  # printable
    assert kb.store.count() == 0
    assert kb.import_jsonl(f, skip_invalid=True) == (2, 0, [(2, reason)])
    assert sorted(r.before for r in kb.store.iter_all()) == ["a", "b"]
    kb.close()


def test_store_import_validates_records_before_writing(tmp_path):
    """Records handed to Store.import_records directly (not parsed from a line) are validated too."""
    store = Store(tmp_path / "kb.sqlite3")
    items = [(1, Record(message="ok", before="a")), (2, Record(message="big", before="b", retrieved=2**64)),
             (3, Record(message="nan", before="c", created=float("nan")))]
    with pytest.raises(KBImportError) as e:
        store.import_records(items)
    assert [(n, m.split(":")[0]) for n, m in e.value.errors] == [(2, "retrieved"), (3, "created")]
    assert store.count() == 0
    assert store.import_records(items, skip_invalid=True)[:2] == (1, 0) and store.count() == 1

def test_cli_import_unstorable_lines_without_traceback(tmp_path):
    f = tmp_path / "in.jsonl"
    bad = [line for line, _ in UNSTORABLE.values()]
    f.write_text("\n".join([_line(before="a"), *bad, _line(before="b")]) + "\n", encoding="utf-8")
    env = {**os.environ, "FERROFIX_KB_DIR": str(tmp_path / "kb")}
    cmd = [sys.executable, "-m", "ferrofix", "kb", "import", str(f)]
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert f"{len(bad)} invalid line(s), nothing imported" in p.stderr and len(p.stderr.splitlines()) == 1
    p = subprocess.run(cmd + ["--skip-invalid"], capture_output=True, text=True, env=env)
    assert p.returncode == 0 and "Traceback" not in p.stderr, p.stderr
    assert [ln.split(":")[1] for ln in p.stderr.splitlines()] == [str(n) for n in range(2, len(bad) + 2)]
    assert f"imported 2 new, 0 duplicates merged, {len(bad)} invalid line(s) skipped" in p.stdout


def _with_length(field: str, n: int) -> dict:
    """`{field: a value of length n}` (for `source`, the name after "community:")."""
    return {"source": "community:" + "s" * (n - len("community:"))} if field == "source" else {field: "x" * n}


@pytest.mark.parametrize("field,limit", [
    ("message", "MAX_MESSAGE"), ("message_norm", "MAX_MESSAGE"), ("before", "MAX_SNIPPET"),
    ("after", "MAX_SNIPPET"), ("explanation", "MAX_SNIPPET"), ("diff", "MAX_DIFF"), ("source", "MAX_SHORT_TEXT")])
def test_text_field_limits(field, limit):
    n = getattr(records, limit)
    assert len(getattr(parse_jsonl_line(_line(**_with_length(field, n))), field)) == n
    with pytest.raises(RecordError, match=f"^{field}: {n + 1:,} characters, over the limit of {n:,}"):
        parse_jsonl_line(_line(**_with_length(field, n + 1)))


def test_ten_megabyte_field_is_rejected():
    with pytest.raises(RecordError, match="explanation: 10,000,000 characters"):
        parse_jsonl_line(_line(explanation="x" * 10_000_000))


def test_tag_count_and_counter_and_time_limits():
    tags, tag, count = records.MAX_TAGS, records.MAX_TAG, records.MAX_COUNT
    assert len(parse_jsonl_line(_line(tags=["t" * tag] * tags)).tags) == tags
    with pytest.raises(RecordError, match=f"tags: {tags + 1} tags, over the limit of {tags}"):
        parse_jsonl_line(_line(tags=["t"] * (tags + 1)))
    with pytest.raises(RecordError, match=f"tags: a tag of {tag + 1} characters, over the limit of {tag}"):
        parse_jsonl_line(_line(tags=["t" * (tag + 1)]))
    assert parse_jsonl_line(_line(retrieved=count, offered=0)).retrieved == 2**63 - 1 == count
    with pytest.raises(RecordError, match="retrieved: must be an integer from 0 to 2\\*\\*63 - 1"):
        parse_jsonl_line(_line(retrieved=count + 1))
    assert parse_jsonl_line(_line(created=0, updated=1.5)).created == 0.0
    with pytest.raises(RecordError, match="created: must be a finite number of seconds ≥ 0"):
        parse_jsonl_line(_line(created=-1))
    with pytest.raises(RecordError, match="tags: holds a lone surrogate U\\+D800"):
        Record(message="x", tags=["\ud800"]).validate()  # built in code: the hash does not fail first


def test_store_bulk_writes_with_an_unknown_id_change_nothing(tmp_path):
    """set_status, delete and merge check every id first, in the write transaction: an unknown id (or
    one SQLite cannot hold) raises KBError naming it and leaves every record as it was."""
    store = Store(tmp_path / "kb.sqlite3")
    a, _ = store.add(Record(code="E0382", message="a", before="a"))
    b, _ = store.add(Record(code="E0382", message="b", before="b"))
    seq, before = store.max_seq(), [r.to_json() for r in store.iter_all()]
    for call, named in [(lambda: store.set_status([a, 999999], "rejected"), "999999"),
                        (lambda: store.set_status([a, 2**64], "approved"), str(2**64)),
                        (lambda: store.delete([a, b, 999999, 999998]), "999999, 999998"),
                        (lambda: store.merge(a, [b, 999999]), "999999"),
                        (lambda: store.merge(999997, [a, b]), "999997")]:
        with pytest.raises(KBError, match=f"no record.* {named} \\(nothing changed\\)"):
            call()
        assert store.max_seq() == seq and [r.to_json() for r in store.iter_all()] == before
    assert store.set_status([a, a], "approved") == 1
    assert store.delete([a, b]) == 2 and store.count() == 0


def test_counts_stay_storable_when_summed(tmp_path):
    """Counts that would pass 2**63 - 1 (a duplicate merged on import, `merge`, `bump`) stay at it, so the
    record still exports and re-imports; a merge that would pass the tag limit changes nothing."""
    top = 2**63 - 1
    f = tmp_path / "in.jsonl"
    f.write_text(_line(retrieved=top, accepted=top) + "\n" + _line(retrieved=top, accepted=5) + "\n")
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    assert kb.import_jsonl(f) == (1, 1, [])
    [r] = list(kb.store.iter_all())
    assert (r.retrieved, r.accepted) == (top, top) and type(r.retrieved) is int
    kb.store.bump([r.id], "retrieved", 7)
    b, _ = kb.store.add(Record(message="b", before="b", retrieved=top, offered=3))
    merged = kb.store.merge(r.id, [b])
    assert (merged.retrieved, merged.offered, merged.accepted) == (top, 3, top)
    kb.export_jsonl(tmp_path / "out.jsonl")
    assert KnowledgeBase(tmp_path / "kb2", use_embeddings=False).import_jsonl(tmp_path / "out.jsonl") == (1, 0, [])
    x, _ = kb.store.add(Record(message="x", before="x", tags=[f"x{i}" for i in range(20)]))
    y, _ = kb.store.add(Record(message="y", before="y", tags=[f"y{i}" for i in range(20)]))
    with pytest.raises(RecordError, match="tags: the merged record would have 40 tags, over the limit of 32"):
        kb.store.merge(x, [y])
    assert kb.store.get(y) is not None and len(kb.store.get(x).tags) == 20
    kb.close()

@pytest.mark.parametrize("command,status", [("approve", "approved"), ("reject", "rejected")])
def test_cli_bulk_status_with_an_unknown_id_changes_nothing(tmp_path, command, status):
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    ids = [kb.store.add(Record(message=f"m{i}", before="x"))[0] for i in range(3)]
    kb.close()
    env = {**os.environ, "FERROFIX_KB_DIR": str(tmp_path / "kb")}

    def run(*ids):
        return subprocess.run([sys.executable, "-m", "ferrofix", "kb", command, *map(str, ids)],
                              capture_output=True, text=True, env=env)
    p = run(ids[2], 999999, 2**64)
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    assert len(p.stderr.splitlines()) == 1 and f"999999, {2**64}" in p.stderr, p.stderr
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    assert [r.status for r in kb.store.iter_all()] == ["pending"] * 3
    kb.close()
    p = run(ids[2], ids[0])
    assert p.returncode == 0 and f"{status}: 2 record(s)" in p.stdout, p.stderr
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    assert [r.status for r in kb.store.iter_all()] == [status, "pending", status]
    kb.close()


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


def _bench(name: str):
    """The module bench/NAME.py (the soak's processes and kill harness live there, with its figures)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_three_processes_share_one_kb(tmp_path):
    """Two learning processes and a curator, 60 iterations each (writes, searches, reads of each other's
    records, curation, imports) on one SQLite file: no errors, every committed record still there. The
    timed soak with load figures is bench/kb_soak.py."""
    r = _bench("kb_soak").run_soak(tmp_path, ["reader1", "reader2", "curator"], seconds=120, iterations=60)
    assert [p["n_errors"] for p in r["processes"]] == [0, 0, 0], r
    assert (r["committed"], r["lost"], r["integrity"]) == (180, 0, "ok")


def test_kill_9_inside_bulk_import_transaction_commits_nothing(tmp_path):
    """SIGKILL while a bulk import's transaction holds 2,000 uncommitted records, spilled to the WAL. The
    child says when it is inside the transaction and waits, so the kill never lands before or after it:
    the record committed earlier survives, none of the import's is there, the database checks ok."""
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    committed, _ = kb.store.add(Record(code="E0382", message="kept", before="a", after="b"))
    kb.close()
    r = _bench("kb_soak").kill_mid_import(tmp_path / "kb", lines=2500, kill_at=2000)
    assert r["wal_bytes_at_kill"] > 200_000, r  # the uncommitted records were on disk
    assert (r["committed_before"], r["lost"], r["partial"], r["integrity"]) == (1, 0, 0, "ok"), r
    kb = KnowledgeBase(tmp_path / "kb", use_embeddings=False)
    assert kb.store.get(committed).message == "kept" and kb.store.count() == 1
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


def test_verify_snippet_checks_a_fixed_snippet_on_its_own():
    from ferrofix.kb.verify import verify_snippet
    ok = verify_snippet("pub fn twice(x: u32) -> u32 { x * 2 }\n")
    assert ok.compiles and ok.elapsed_ms > 0
    bad = verify_snippet("pub fn f() -> u32 { \"one\" }\n")
    assert not bad.compiles and bad.errors[0].code == "E0308"


def test_status_over_time_and_the_codes_users_hit(tmp_path):
    """What curators act on (issue 20): records per status at the end of each day (from the status
    log the triggers keep), and per code the verified fixes offered and accepted (`fix_events`) with
    the records learnt from accepted fixes by status."""
    kb = KnowledgeBase(tmp_path, use_embeddings=False)
    day = 86400.0
    t0 = time.time() - 3 * day
    ids = [kb.store.add(Record(code="E0308", message=f"mismatched types {i}", before=f"let x{i}: u8 = 1u16;",
                               after=f"let x{i}: u16 = 1u16;", source="community:team", status="pending",
                               created=t0, updated=t0))[0] for i in range(3)]
    kb.store.set_status(ids[:2], "approved")
    kb.store.set_status(ids[2:], "rejected")
    kb.store.set_status(ids[2:], "rejected")  # no change: no new row
    rid, _ = kb.record_accepted(code="E0382", message="borrow of moved value: `a`", before="let b = a;",
                                after="let b = a.clone();", front="lsp")
    kb.store.log_fix(["E0382", "E0382", "E0308"], "offered", "cli")
    kb.store.log_fix(["E0308"], "accepted", "mcp")
    s = kb.store.stats()
    first, last = s["status_over_time"][0], s["status_over_time"][-1]
    assert first[1:] == [3, 0, 0] and last[1:] == [1, 2, 1], s["status_over_time"]
    assert first[0] < last[0]  # the seed day, then today
    hit = {d["code"]: d for d in s["codes_hit"]}
    assert (hit["E0382"]["offered"], hit["E0382"]["accepted"], hit["E0382"]["rate"]) == (2, 1, 0.5)
    assert (hit["E0382"]["pending"], hit["E0382"]["records"]) == (1, 1)
    assert (hit["E0308"]["offered"], hit["E0308"]["accepted"], hit["E0308"]["records"]) == (1, 1, 0)
    kb.store.delete([rid])  # a deleted record leaves the counts
    assert kb.store.stats()["status_over_time"][-1][1:] == [0, 2, 1]
    with pytest.raises(ValueError, match="offered"):
        kb.store.log_fix(["E0382"], "rejected")
    kb.close()


def test_a_version_1_database_gets_the_status_log_of_its_records(tmp_path):
    """A knowledge base written before the status log enters it with each record's present status at
    its creation time (the history before was not kept), and the triggers take over from there."""
    from ferrofix.kb import store as store_mod
    db = tmp_path / "kb.sqlite3"
    with sqlite3.connect(db) as c:
        for stmt in store_mod._statements(store_mod.MIGRATIONS[0]):
            c.execute(stmt)
        c.execute("PRAGMA user_version = 1")
        c.execute("INSERT INTO records(code, source, status, created, updated, content_hash) "
                  "VALUES ('E0599', 'accepted-fix', 'approved', 1700000000, 1700000000, 'h1')")
        c.execute("INSERT INTO records(code, source, status, created, updated, content_hash) "
                  "VALUES ('E0599', 'rustc-error-index', 'approved', 1700000000, 1700000000, 'h2')")
    st = Store(db)
    assert st.stats()["status_over_time"] == [["2023-11-14", 0, 1, 0]]  # the seeded record is left out
    assert [(d["code"], d["offered"], d["approved"]) for d in st.stats()["codes_hit"]] == [("E0599", 0, 1)]
    st.close()


def test_fix_with_write_notes_the_fix_offered_and_accepted(crate, isolated_dirs):
    """`ferrofix fix --write` on a crate: the verified fix counts as offered and accepted for its code
    in the knowledge base the desktop's statistics read."""
    kb = KnowledgeBase(isolated_dirs / "kb", use_embeddings=False)
    kb.close()
    root = crate("moved_value")
    p = subprocess.run([sys.executable, "-m", "ferrofix", "fix", str(root), "--no-llm", "--write"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    st = Store(isolated_dirs / "kb" / "kb.sqlite3")
    hit = {d["code"]: d for d in st.stats()["codes_hit"]}
    assert hit["E0382"]["offered"] == 1 and hit["E0382"]["accepted"] == 1 and hit["E0382"]["pending"] == 1
    st.close()
