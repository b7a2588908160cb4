"""The derived search index: Qdrant, in process (qdrant-edge-py) or a server (qdrant-client).

Each point is a record id with a dense vector (when an embedding model is available), a BM25 sparse
vector (Qdrant's own `Bm25` model) and a payload of `code`, `status`, `source`. A hybrid query prefetches
dense and sparse candidates (rejected records filtered out in the query) and fuses them with reciprocal
rank fusion (RRF; Cormack, Clarke and Büttcher, SIGIR 2009).

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
                             sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)})

    def _open(self):
        qe = self.qe
        seg = self.dir / "segments"
        try:
            if seg.is_dir() and any(seg.iterdir()):
                return qe.EdgeShard.load(str(self.dir), self._config())
        except Exception:  # an unreadable shard is derived data: start over
            pass
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.state_file.unlink(missing_ok=True)
        return qe.EdgeShard.create(str(self.dir), self._config())

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
        self.shard = self.qe.EdgeShard.create(str(self.dir), self._config())

    def upsert(self, records: Sequence[Record], dense: dict[int, list[float]]) -> None:
        qe = self.qe
        points = []
        for r in records:
            vec = {SPARSE: self.bm25.embed_document(r.search_text())}
            if self.dim and r.id in dense:
                vec[DENSE] = dense[r.id]
            points.append(qe.Point(r.id, vec, {"code": r.code, "status": r.status, "source": r.source}))
        for i in range(0, len(points), 256):
            self.shard.update(qe.UpdateOperation.upsert_points(points[i:i + 256]))

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
            prefetch.append(qe.Prefetch(limit=max(limit * 4, 20), query=qe.Query.Nearest(dense, using=DENSE), filter=flt))
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

    def upsert(self, records: Sequence[Record], dense: dict[int, list[float]]) -> None:
        pts = []
        for r in records:
            vec = {SPARSE: self._sparse(self.bm25.embed_document(r.search_text()))}
            if self.dim and r.id in dense:
                vec[DENSE] = dense[r.id]
            pts.append(self.m.PointStruct(id=r.id, vector=vec, payload={"code": r.code, "status": r.status,
                                                                          "source": r.source}))
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
