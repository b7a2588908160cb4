"""Dense sentence embeddings from a local GGUF model through llama-cpp-python.

The default is all-MiniLM-L6-v2 (384 dimensions, sentence-transformers, Apache-2.0) as GGUF q8_0; its
mean-pooled, L2-normalised output matches sentence-transformers to a cosine of 0.99999
(../shared/models/MODELS.md).
"""

from __future__ import annotations

import array
import math
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

from ..errors import ModelError

MAX_CHARS = 1200  # keeps a text within the model's 512-token window
CACHE_SIZE = 512  # texts whose vectors are kept (~1.6 KB each at 384 dimensions)


class Embedder:
    """Embeds texts with a GGUF embedding model; `dim` is the vector size, `name` the model's stem.

    Loads lazily; raises ModelError for a missing or unloadable model. The vectors of the last
    `cache_size` distinct texts are kept (least recently used dropped first), so a message searched
    again (the same error after each keystroke or save) is not embedded again; `hits` and `misses`
    count cache lookups. Thread-safe."""

    def __init__(self, model_path: Path, *, n_threads: int | None = None, cache_size: int = CACHE_SIZE):
        self.path = Path(model_path)
        self.name = self.path.stem
        self.n_threads = n_threads
        self._llm = None
        self._lock = threading.Lock()
        self.dim = 0
        self.cache_size = cache_size
        self._cache: OrderedDict[str, tuple[float, ...]] = OrderedDict()
        self.hits = self.misses = 0

    def _load(self):
        if self._llm is None:
            if not self.path.is_file():
                raise ModelError(f"embedding model not found: {self.path}")
            try:
                from llama_cpp import Llama

                from ..llm import LOAD_LOCK
                with LOAD_LOCK:  # one llama.cpp load at a time (see LOAD_LOCK)
                    self._llm = Llama(model_path=str(self.path), embedding=True, n_ctx=512, n_batch=512,
                                      n_ubatch=512, n_threads=self.n_threads, verbose=False)
            except Exception as e:
                raise ModelError(f"{self.path}: cannot load embedding model ({e})") from e
        return self._llm

    def embed(self, texts: Sequence[str], *, cache: bool = True) -> list[list[float]]:
        """L2-normalised vectors (`dim` floats each), one per text, in order; texts are cut to MAX_CHARS
        characters (an empty text embeds as " "). With `cache` (the default) a text seen among the last
        `cache_size` ones is answered from memory and new ones are remembered; bulk embedding (every
        record at a rebuild) passes cache=False so as not to flush the queries' entries. Raises
        ModelError when the model cannot be loaded."""
        with self._lock:
            out: list[list[float]] = []
            for t in texts:
                key = t[:MAX_CHARS] or " "
                v = self._cache.get(key) if cache and self.cache_size > 0 else None
                if v is not None:
                    self._cache.move_to_end(key)
                    self.hits += 1
                    out.append(list(v))
                    continue
                self.misses += cache
                vec = self._embed_one(key)
                if cache and self.cache_size > 0:
                    self._cache[key] = tuple(vec)
                    if len(self._cache) > self.cache_size:
                        self._cache.popitem(last=False)
                out.append(vec)
            if out:
                self.dim = len(out[0])
            return out

    def _embed_one(self, text: str) -> list[float]:
        v = self._load().embed(text)
        if v and isinstance(v[0], list):  # token-level output: mean-pool
            v = [sum(col) / len(v) for col in zip(*v)]
        n = math.sqrt(sum(x * x for x in v)) or 1.0
        return [x / n for x in v]

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


def to_bytes(v: Sequence[float]) -> bytes:
    """float32 little-endian bytes of a vector (for SQLite storage)."""
    return array.array("f", v).tobytes()


def float_array(b: bytes) -> array.array:
    """The vector stored by `to_bytes` as an `array.array("f")`: no Python float per element. Qdrant
    Edge's `Point` takes it as it is: at 100k records × 384 dimensions, 1.1 s for the points instead of
    2.3 s to make lists plus 1.4 s for the points (measured 2026-12-02)."""
    a = array.array("f")
    a.frombytes(b)
    return a


def from_bytes(b: bytes) -> list[float]:
    """The vector stored by `to_bytes` (float32 little-endian bytes) as a list of floats."""
    a = array.array("f")
    a.frombytes(b)
    return a.tolist()
