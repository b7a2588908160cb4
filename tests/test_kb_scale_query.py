"""Knowledge-base query at scale (issue 21 item 4): payload indexes, the HNSW graph built at a rebuild
and after a large sync, the fast rebuild reader, and the query-embedding cache. Real SQLite, real Qdrant
Edge, real llama.cpp (MiniLM GGUF)."""


import pytest

from ferrofix.kb import KnowledgeBase, Record
from ferrofix.kb import index as kb_index
from ferrofix.kb.embed import Embedder, from_bytes


def _records(n: int, start: int = 0) -> list[tuple[int, Record]]:
    codes = ["E0382", "E0308", "E0599", "E0425"]
    out = []
    for i in range(start, start + n):
        out.append((i, Record(code=codes[i % 4], message=f"use of moved value: `item_{i}`",
                              before=f"let a_{i} = item_{i};\nprintln!(\"{{}}\", item_{i});",
                              after=f"let a_{i} = item_{i}.clone();", source="accepted-fix",
                              status="rejected" if i % 7 == 0 else "approved")))
    return out


def test_payload_indexes_and_hnsw_after_rebuild(tmp_path):
    kb = KnowledgeBase(tmp_path, use_embeddings=False)
    kb.store.import_records(_records(300))
    assert kb.rebuild_index() == 300
    info = kb._index.info()
    assert info["points"] == 300 and info["payload_indexes"] == ["code", "status"]
    hits = kb.search("error[E0599]: use of moved value: `item_9`", limit=3, count=False)
    assert hits and all(h.record.code == "E0599" and h.record.status != "rejected" for h in hits)
    assert set(kb.last_timings) == {"sync_ms", "embed_ms", "query_ms", "fetch_ms"}
    kb.close()


def test_shard_without_payload_indexes_gets_them_on_open(tmp_path):
    """An index written by an older version (no payload indexes) is given them when opened."""
    import qdrant_edge as qe
    kb = KnowledgeBase(tmp_path, use_embeddings=False)
    kb.store.import_records(_records(20))
    kb.rebuild_index()
    shard = kb._index.shard
    for field in kb_index.PAYLOAD_INDEXES:
        shard.update(qe.UpdateOperation.delete_field_index(field))
    assert not shard.info().payload_schema
    kb.close()
    kb = KnowledgeBase(tmp_path, use_embeddings=False)
    assert kb.index().info()["payload_indexes"] == ["code", "status"]
    assert kb.search("E0382 use of moved value", limit=2, count=False)
    kb.close()


def test_large_sync_optimizes(tmp_path, monkeypatch):
    """A sync of at least OPTIMIZE_AFTER points ends with optimize(); a small one does not."""
    monkeypatch.setattr("ferrofix.kb.kb.OPTIMIZE_AFTER", 50)
    kb = KnowledgeBase(tmp_path, use_embeddings=False)
    kb.store.import_records(_records(10))
    kb.index()
    calls = []
    real = kb._index.optimize
    kb._index.optimize = lambda: calls.append(1) or real()
    kb.store.import_records(_records(5, start=10))
    assert kb.sync() == 5 and calls == []
    kb.store.import_records(_records(60, start=15))
    assert kb.sync() == 60 and calls == [1]
    assert kb._index.info()["points"] == 75
    got = kb.search("use of moved value: `item_70`", code="E0599", limit=1, count=False)
    assert got and got[0].record.code == "E0599"
    kb.close()


def test_index_rows_match_records_and_vectors(tmp_path, minilm):
    kb = KnowledgeBase(tmp_path, embedding_model=minilm)
    kb.store.import_records(_records(12))
    kb.rebuild_index()  # computes and stores the vectors
    name = kb.embedder.name
    recs = {r.id: r for r in kb.store.iter_all()}
    vecs = kb.store.vectors(list(recs), name)
    rows = list(kb.store.iter_index_rows(name, batch=5))
    assert [r[0] for r in rows] == sorted(recs)
    for rid, code, status, source, text, chash, vec in rows:
        r = recs[rid]
        assert (code, status, source, text, chash) == (r.code, r.status, r.source, r.search_text(), r.content_hash)
        assert vec == vecs[rid]
    # a record edited since: its stored vector no longer matches and is not returned
    kb.store.edit(rows[0][0], message="a different message entirely")
    assert next(kb.store.iter_index_rows(name))[6] is None
    assert all(r[6] is None for r in kb.store.iter_index_rows(None))
    kb.close()


def test_hybrid_search_after_rebuild_and_cache(tmp_path, minilm):
    kb = KnowledgeBase(tmp_path, embedding_model=minilm)
    kb.store.import_records(_records(40))
    kb.rebuild_index()
    q = "error[E0308]: use of moved value: `item_13`"
    first = kb.search(q, limit=3, count=False)
    misses = kb.embedder.misses
    again = kb.search(q, limit=3, count=False)
    # the record of that very message ranks first in both lists; the others tie (RRF), in any order
    assert first[0].record.id == again[0].record.id and "item_13" in first[0].record.message
    assert {h.record.code for h in first + again} == {"E0308"}
    assert kb.embedder.misses == misses and kb.embedder.hits >= 1  # the second search: no forward pass
    kb.close()


def test_embedder_cache_is_bounded_lru(minilm):
    e = Embedder(minilm, cache_size=2)
    a, b, c = e.embed(["alpha", "beta", "gamma"])  # three misses; "alpha" evicted
    assert (e.hits, e.misses, len(e._cache)) == (0, 3, 2)
    assert e.embed(["gamma"])[0] == pytest.approx(c) and e.hits == 1
    a2 = e.embed(["alpha"])[0]  # recomputed: same vector
    assert e.misses == 4 and a2 == pytest.approx(a, abs=1e-6)
    out = e.embed(["delta"], cache=False)  # bulk embedding leaves the cache alone
    assert "delta" not in e._cache and len(out[0]) == e.dim == 384
    g = e.embed(["gamma"])[0]
    g[0] = 99.0  # callers get copies, the cache keeps its own
    assert e.embed(["gamma"])[0][0] != 99.0
    assert from_bytes(bytes(8)) == [0.0, 0.0]
    e.close()


def _index_snapshot(kb: KnowledgeBase) -> dict:
    """{point id: (payload, BM25 indices, BM25 values, dense vector)} of every point in the index."""
    import qdrant_edge as qe
    shard = kb._index.shard
    out = {}
    offset = None
    while True:
        pts, offset = shard.scroll(qe.ScrollRequest(limit=500, offset=offset, with_payload=True, with_vector=True))
        for p in pts:
            sv = p.vector.get(kb_index.SPARSE)
            dense = p.vector.get(kb_index.DENSE)
            out[int(p.id)] = (dict(p.payload), sorted(zip(sv.indices, sv.values)) if sv else None,
                              [round(x, 5) for x in dense] if dense else None)
        if offset is None:
            return out


def test_rebuild_through_the_row_feed_writes_the_same_points(tmp_path, minilm, monkeypatch):
    """From FEED_MIN records a child process reads the rows and computes the BM25 vectors; the points
    are the ones the in-process rebuild writes (payload, sparse and dense vectors); vectors missing
    from the store are computed here and stored."""
    from ferrofix import procs
    kb = KnowledgeBase(tmp_path / "a", embedding_model=minilm)
    kb.store.import_records(_records(60))
    assert kb.rebuild_index() == 60  # in process (60 < FEED_MIN); stores the vectors
    want = _index_snapshot(kb)
    kb.store.edit(5, message="a message edited since")  # its stored vector is stale now
    monkeypatch.setattr("ferrofix.kb.feed.FEED_MIN", 10)
    started = []
    real_popen = procs.popen_group
    monkeypatch.setattr(procs, "popen_group", lambda argv, **kw: started.append(argv) or real_popen(argv, **kw))
    progress = []
    assert kb.rebuild_index(progress=lambda n, total: progress.append((n, total))) == 60
    assert started and started[0][1:3] == ["-m", "ferrofix.kb.feed"] and not procs.live()
    assert progress[-1] == (60, 60)
    got = _index_snapshot(kb)
    assert set(got) == set(want)
    for rid in want:
        if rid != 5:
            assert got[rid] == want[rid], rid
    rec = kb.store.get(5)
    assert got[5][0] == {"code": rec.code, "status": rec.status} and got[5][2] != want[5][2]
    assert kb.store.vectors([5], kb.embedder.name)  # the new vector was stored
    assert kb.search(f"error[{rec.code}]: a message edited since", limit=1, count=False)[0].record.id == 5
    kb.close()


def test_a_failing_row_feed_falls_back_to_the_in_process_rebuild(tmp_path, monkeypatch, caplog):
    kb = KnowledgeBase(tmp_path, use_embeddings=False)
    kb.store.import_records(_records(30))
    monkeypatch.setattr("ferrofix.kb.feed.FEED_MIN", 10)
    monkeypatch.setattr("ferrofix.kb.feed.sys.executable", "/bin/false")
    with caplog.at_level("WARNING", logger="ferrofix.kb.kb"):
        assert kb.rebuild_index() == 30
    assert "the row feed failed" in caplog.text and "rebuilding in process" in caplog.text
    assert kb._index.info()["points"] == 30
    assert kb.search("error[E0599]: use of moved value: `item_9`", limit=1, count=False)[0].record.code == "E0599"
    kb.close()
