"""Dense sentence embeddings from a local GGUF model through llama-cpp-python.

The default is all-MiniLM-L6-v2 (384 dimensions, sentence-transformers, Apache-2.0) as GGUF q8_0; its
mean-pooled, L2-normalised output matches sentence-transformers to a cosine of 0.99999
(../shared/models/MODELS.md).
"""

from __future__ import annotations

import array
import math
import threading
from pathlib import Path
from typing import Sequence

from ..errors import ModelError

MAX_CHARS = 1200  # keeps a text within the model's 512-token window


class Embedder:
    """Embeds texts with a GGUF embedding model; `dim` is the vector size, `name` the model's stem.

    Loads lazily; raises ModelError for a missing or unloadable model."""

    def __init__(self, model_path: Path, *, n_threads: int | None = None):
        self.path = Path(model_path)
        self.name = self.path.stem
        self.n_threads = n_threads
        self._llm = None
        self._lock = threading.Lock()
        self.dim = 0

    def _load(self):
        if self._llm is None:
            if not self.path.is_file():
                raise ModelError(f"embedding model not found: {self.path}")
            try:
                from llama_cpp import Llama
                self._llm = Llama(model_path=str(self.path), embedding=True, n_ctx=512, n_batch=512,
                                  n_ubatch=512, n_threads=self.n_threads, verbose=False)
            except Exception as e:
                raise ModelError(f"{self.path}: cannot load embedding model ({e})") from e
        return self._llm

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """L2-normalised vectors, one per text (texts cut to MAX_CHARS characters)."""
        with self._lock:
            llm = self._load()
            out = []
            for t in texts:
                v = llm.embed(t[:MAX_CHARS] or " ")
                if v and isinstance(v[0], list):  # token-level output: mean-pool
                    v = [sum(col) / len(v) for col in zip(*v)]
                n = math.sqrt(sum(x * x for x in v)) or 1.0
                out.append([x / n for x in v])
            if out:
                self.dim = len(out[0])
            return out

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None


def to_bytes(v: Sequence[float]) -> bytes:
    """float32 little-endian bytes of a vector (for SQLite storage)."""
    return array.array("f", v).tobytes()


def from_bytes(b: bytes) -> list[float]:
    a = array.array("f")
    a.frombytes(b)
    return a.tolist()
