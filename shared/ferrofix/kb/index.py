"""The derived search index: Qdrant, in process (qdrant-edge-py) or a server (qdrant-client).

Each point is a record id with a dense vector (when an embedding model is available), a BM25 sparse
vector (Qdrant's own `Bm25` model) and a payload of `code` and `status` (on a server also `source`). A
hybrid query prefetches dense and sparse candidates (rejected records filtered out in the query) and
fuses them with reciprocal rank fusion (RRF; Cormack, Clarke and Büttcher, SIGIR 2009).

Speed at scale (issue 21): `code` and `status` carry keyword payload indexes, so the filters are index
look-ups rather than a read of every point's payload; and Qdrant Edge builds the dense HNSW graph only
when asked (`EdgeShard.optimize`; until then every new point is searched brute force), so a rebuild and
any large sync end with `optimize()`. 100k records: index part of a hybrid search 154 → 2.1 ms p50
(bench/README.md). The shard keeps no write-ahead log: it is derived data, and the store change it
reflects is recorded only after `flush()`, so what a crash loses the change log replays.

Qdrant Edge locks a shard directory to one process, so the index is per process: the first process
takes the shared shard directory (kept between runs); others build a private shard in a temporary
directory. Either way it is rebuilt from the SQLite records (and their stored vectors) and brought up
to date from the store's change log before each query — never the only copy of anything.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..errors import FerrofixError
from .records import Record

from ..locks import try_exclusive

DENSE = "dense"
SPARSE = "bm25"
#: keyword payload indexes (the query filters on both)
PAYLOAD_INDEXES = ("code", "status")
#: HNSW graph: 16 links per node (Qdrant's default); 48 candidates while building (default 100) and 128
#: while searching (default: ef_construct): at 100k records the graph takes ~4.5 s instead of ~8 s on 2
#: cores, and dense recall@20 against exact search is 0.97, as with 64 and 64 (bench/README.md)
HNSW_M = 16
HNSW_EF_CONSTRUCT = 48
HNSW_EF_SEARCH = 128
#: below this many KB of vectors in a segment, or a filter's matches, Qdrant searches brute force
FULL_SCAN_KB = 10_000
#: a sync that writes at least this many points ends with `optimize()` (fewer stay brute force)
OPTIMIZE_AFTER = 2000


@dataclass(frozen=True, slots=True)
class IndexHit:
    record_id: int
    score: float


class EdgeIndex:
    """A Qdrant Edge shard under `directory` (or a private temporary one when another process holds it).

    `dim` is the dense vector size (0: BM25 only). `synced_seq` is the store change it reflects.
    """

    def __init__(self, directory: Path, dim: int):
        import qdrant_edge as qe
        self.qe = qe
        self.dim = dim
        directory = Path(directory)
        self.dir = directory / f"shard-{dim}"
        self._lock_file = try_exclusive(directory / f".lock-{dim}")
        self.private = self._lock_file is None
        if self.private:  # another process holds the shared shard
            self.dir = Path(tempfile.mkdtemp(prefix="ferrofix-kb-index-"))
        self.state_file = self.dir.with_name(self.dir.name + ".state.json") if not self.private else self.dir / "state.json"
        self.bm25 = qe.Bm25()
        self.shard = self._open()

    def _config(self):
        qe = self.qe
        vectors = {DENSE: qe.EdgeVectorParams(size=self.dim, distance=qe.Distance.Cosine)} if self.dim else {}
        return qe.EdgeConfig(vectors=vectors or None,
                             sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
                             hnsw_config=qe.HnswIndexConfig(m=HNSW_M, ef_construct=HNSW_EF_CONSTRUCT,
                                                            full_scan_threshold=FULL_SCAN_KB),
                             wal_enabled=False)

    def _open(self):
        qe = self.qe
        seg = self.dir / "segments"
        try:
            if seg.is_dir() and any(seg.iterdir()):
                return self._with_payload_indexes(qe.EdgeShard.load(str(self.dir), self._config()))
        except Exception:  # an unreadable shard is derived data: start over
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state_file.unlink(missing_ok=True)
        return self._with_payload_indexes(qe.EdgeShard.create(str(self.dir), self._config()))

    def _with_payload_indexes(self, shard):
        """`shard` with a keyword index on each of PAYLOAD_INDEXES (created when missing: a shard of an
        older version, or a new one)."""
        have = set(shard.info().payload_schema)
        for field in PAYLOAD_INDEXES:
            if field not in have:
                shard.update(self.qe.UpdateOperation.create_field_index(field, self.qe.PayloadSchemaType.Keyword))
        return shard

    def optimize(self) -> bool:
        """Build what Qdrant Edge leaves to the caller: the HNSW graph of the dense vectors (and merged,
        vacuumed segments). Blocks, and holds the GIL: ~6 s for 100k points on 2 cores; nothing to do
        when the shard is already optimal. Returns whether anything changed."""
        return bool(self.shard.optimize())

    def info(self) -> dict:
        """{"points", "segments", "indexed_vectors", "payload_indexes": [field, ...]} of the shard."""
        i = self.shard.info()
        return {"points": i.points_count, "segments": i.segments_count, "indexed_vectors": i.indexed_vectors_count,
                "payload_indexes": sorted(i.payload_schema)}

    @property
    def synced_seq(self) -> int:
        try:
            return json.loads(self.state_file.read_text())["seq"]
        except (OSError, ValueError, KeyError):
            return -1

    def set_synced(self, seq: int) -> None:
        self.shard.flush()
        self.state_file.write_text(json.dumps({"seq": seq}))

    def reset(self) -> None:
        """Drop every point (before a full rebuild)."""
        self.shard.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        self.state_file.unlink(missing_ok=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.shard = self._with_payload_indexes(self.qe.EdgeShard.create(str(self.dir), self._config()))

    def upsert(self, records: Sequence[Record], dense: dict[int, list[float]]) -> None:
        """Write `records` as points (BM25 vector of `search_text()`, the dense vector `dense[id]` when
        there is one, payload code and status); replaces points of the same ids."""
        self.upsert_rows([(r.id, r.code, r.status, r.source, r.search_text(), dense.get(r.id)) for r in records])

    def upsert_rows(self, rows: Sequence[tuple[int, str, str, str, str, Sequence[float] | None]],
                    sparse: Sequence[tuple[list[int], list[float]]] | None = None) -> None:
        """Write points from (id, code, status, source, search text, dense vector or None) rows. The BM25
        vector is `sparse[k]` (indices, values) when given (`kb/feed.py`), else computed from the text."""
        qe = self.qe
        points = []
        embed = self.bm25.embed_document
        for k, (rid, code, status, _source, text, vec) in enumerate(rows):
            v = {SPARSE: embed(text) if sparse is None else qe.SparseVector(*sparse[k])}
            if self.dim and vec is not None:
                v[DENSE] = vec
            # only the fields the queries filter on: each payload key costs ~3 µs a point to convert
            points.append(qe.Point(rid, v, {"code": code, "status": status}))
        if points:
            self.shard.update(qe.UpdateOperation.upsert_points(points))

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self.shard.update(self.qe.UpdateOperation.delete_points(list(ids)))

    def query(self, text: str, dense: list[float] | None, *, code: str | None, limit: int) -> list[IndexHit]:
        """Hybrid query: BM25 (+ dense) prefetches fused with RRF; rejected records never; only `code`'s
        records when `code` is given."""
        qe = self.qe
        must_not = [qe.FieldCondition("status", match=qe.MatchValue("rejected"))]
        must = [qe.FieldCondition("code", match=qe.MatchValue(code))] if code else None
        flt = qe.Filter(must=must, must_not=must_not)
        prefetch = [qe.Prefetch(limit=max(limit * 4, 20), query=qe.Query.Nearest(self.bm25.embed_query(text), using=SPARSE),
                                filter=flt)]
        if dense is not None and self.dim:
            prefetch.append(qe.Prefetch(limit=max(limit * 4, 20), query=qe.Query.Nearest(dense, using=DENSE), filter=flt,
                                        params=qe.SearchParams(hnsw_ef=HNSW_EF_SEARCH)))
        req = qe.QueryRequest(limit=limit, prefetches=prefetch, query=qe.Fusion.Rrf(k=60), filter=flt,
                              with_payload=False)
        return [IndexHit(int(p.id), float(p.score)) for p in self.shard.query(req)]

    def close(self) -> None:
        try:
            self.shard.close()
        finally:
            if self._lock_file not in (None, True):
                self._lock_file.close()
            if self.private:
                shutil.rmtree(self.dir, ignore_errors=True)


class ServerIndex:
    """The same index in a Qdrant server (qdrant-client), for a team: collection `ferrofix_kb_<dim>`.
    Sparse vectors come from Qdrant Edge's `Bm25` model, so both backends score alike."""

    def __init__(self, url: str, dim: int, *, collection: str | None = None):
        try:
            from qdrant_client import QdrantClient, models
            import qdrant_edge as qe
        except ImportError as e:
            raise FerrofixError(f"kb.qdrant_url needs qdrant-client: pip install 'ferrofix[kb]' ({e})") from e
        self.m = models
        self.bm25 = qe.Bm25()
        self.dim = dim
        self.url = url
        # ":memory:" is qdrant-client's in-process local mode (same API; used by the tests)
        self.client = QdrantClient(location=":memory:") if url == ":memory:" else QdrantClient(url=url, timeout=10)
        self.collection = collection or f"ferrofix_kb_{dim}"
        self.private = False
        self._create()

    def _create(self) -> None:
        models, dim, url = self.m, self.dim, self.url
        try:
            if not self.client.collection_exists(self.collection):
                self.client.create_collection(
                    self.collection,
                    vectors_config={DENSE: models.VectorParams(size=dim, distance=models.Distance.COSINE)} if dim else {},
                    sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)})
                for field in PAYLOAD_INDEXES if url != ":memory:" else ():  # local mode has none (it warns)
                    self.client.create_payload_index(self.collection, field, models.PayloadSchemaType.KEYWORD)
        except Exception as e:
            raise FerrofixError(f"Qdrant server {url}: {e}") from e

    def _sparse(self, sv):
        return self.m.SparseVector(indices=list(sv.indices), values=list(sv.values))

    @property
    def synced_seq(self) -> int:
        return -1  # a server is shared: resync from the change log each session

    def set_synced(self, seq: int) -> None:
        pass

    def reset(self) -> None:
        self.client.delete_collection(self.collection)
        self._create()

    def optimize(self) -> bool:
        """Nothing to do: a Qdrant server builds its HNSW graphs in the background."""
        return False

    def info(self) -> dict:
        """{"points", "segments", "indexed_vectors", "payload_indexes"} of the collection."""
        i = self.client.get_collection(self.collection)
        return {"points": i.points_count or 0, "segments": i.segments_count or 0,
                "indexed_vectors": i.indexed_vectors_count or 0, "payload_indexes": sorted(i.payload_schema or {})}

    def upsert(self, records: Sequence[Record], dense: dict[int, list[float]]) -> None:
        """As `EdgeIndex.upsert`."""
        self.upsert_rows([(r.id, r.code, r.status, r.source, r.search_text(), dense.get(r.id)) for r in records])

    def upsert_rows(self, rows: Sequence[tuple[int, str, str, str, str, Sequence[float] | None]],
                    sparse: Sequence[tuple[list[int], list[float]]] | None = None) -> None:
        """As `EdgeIndex.upsert_rows`."""
        pts = []
        for k, (rid, code, status, source, text, vec) in enumerate(rows):
            v = {SPARSE: self._sparse(self.bm25.embed_document(text)) if sparse is None else
                 self.m.SparseVector(indices=sparse[k][0], values=sparse[k][1])}
            if self.dim and vec is not None:
                v[DENSE] = list(vec)
            pts.append(self.m.PointStruct(id=rid, vector=v, payload={"code": code, "status": status, "source": source}))
        if pts:
            self.client.upsert(self.collection, pts)

    def delete(self, ids: Sequence[int]) -> None:
        if ids:
            self.client.delete(self.collection, points_selector=self.m.PointIdsList(points=list(ids)))

    def query(self, text: str, dense: list[float] | None, *, code: str | None, limit: int) -> list[IndexHit]:
        m = self.m
        flt = m.Filter(must=[m.FieldCondition(key="code", match=m.MatchValue(value=code))] if code else None,
                       must_not=[m.FieldCondition(key="status", match=m.MatchValue(value="rejected"))])
        pre = [m.Prefetch(query=self._sparse(self.bm25.embed_query(text)), using=SPARSE, limit=max(limit * 4, 20), filter=flt)]
        if dense is not None and self.dim:
            pre.append(m.Prefetch(query=dense, using=DENSE, limit=max(limit * 4, 20), filter=flt))
        res = self.client.query_points(self.collection, prefetch=pre, query=m.FusionQuery(fusion=m.Fusion.RRF),
                                       query_filter=flt, limit=limit)
        return [IndexHit(int(p.id), float(p.score)) for p in res.points]

    def close(self) -> None:
        self.client.close()
