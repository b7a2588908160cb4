"""The rebuild's row feed: a child process reads the store's index rows and computes their BM25 vectors
while this process writes the points.

qdrant-edge-py holds the GIL while it tokenises (`Bm25.embed_document`), converts points and writes
them, so a rebuild in one process uses one core until the HNSW graph is built. At 100k records the
SQLite read and the BM25 vectors are ~1.9 s of ~5.6 s of writing the points; this child does them on the
other core (`python -m ferrofix.kb.feed DB MODEL BATCH`), and the writer only builds the points from
ready vectors (`SparseVector` from lists: ~0.6 µs a point instead of ~14 µs to tokenise).

Protocol: the child writes pickled frames to its stdout, one per batch of `BATCH` records in id order:
`(rows, ptr, indices, values)` — `rows` as `Store.iter_index_rows` gives them, with the search text
replaced by "" where the stored vector is present (the writer needs the text only to embed a record
that has no vector yet); record k's sparse vector is `indices[ptr[k]:ptr[k+1]]`,
`values[ptr[k]:ptr[k+1]]` (`array('I')`, `array('f')`). EOF ends the feed; a non-zero exit status means
it failed (its stderr says why). The frames come from a child this process started, so unpickling them
is as safe as the rest of the process. The child runs through `procs.popen_group`: it dies with the
process that started it.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from array import array
from pathlib import Path
from typing import Iterator

from .. import procs
from .store import KBError, Store

#: below this many records a rebuild reads its rows in process (starting the child costs ~0.3 s)
FEED_MIN = 20_000


def sparse_batches(store: Store, model: str | None, batch: int) -> Iterator[tuple[list[tuple], list[tuple[list[int], list[float]]]]]:
    """(rows, sparse) per batch of up to `batch` records of `store`, in id order, from a child process:
    `rows` as `Store.iter_index_rows` gives them (search text "" where the vector of `model` is stored),
    `sparse[k]` = (indices, values) of row k's BM25 document vector (Qdrant Edge's `Bm25`). Raises
    KBError when the child fails (its stderr in the message); stopping early kills it."""
    proc = procs.popen_group([sys.executable, "-m", "ferrofix.kb.feed", str(store.path), model or "", str(int(batch))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    done = False
    try:
        assert proc.stdout is not None
        while True:
            try:
                rows, ptr, ind, val = pickle.load(proc.stdout)
            except EOFError:
                break
            except (pickle.UnpicklingError, ValueError) as e:
                raise KBError(f"index rebuild: the row feed sent a broken frame: {e}") from e
            yield rows, [(ind[ptr[k]:ptr[k + 1]].tolist(), val[ptr[k]:ptr[k + 1]].tolist()) for k in range(len(rows))]
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise KBError(f"index rebuild: the row feed failed (exit {proc.returncode}): {err.strip()[-2000:]}")
        done = True
    finally:
        if done:
            procs.release(proc)
        else:
            procs.kill_group(proc)
            proc.wait()
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()


def _serve(db: Path, model: str, batch: int) -> None:
    """The child: frames of `Store(db).iter_index_batches(model)` with BM25 vectors, to stdout."""
    import qdrant_edge as qe
    embed = qe.Bm25().embed_document
    out = sys.stdout.buffer
    for rows in Store(db).iter_index_batches(model or None, batch=batch):
        ptr, ind, val = array("I", [0]), array("I"), array("f")
        for r in rows:
            sv = embed(r[4])
            ind.extend(sv.indices)
            val.extend(sv.values)
            ptr.append(len(ind))
        pickle.dump(([r if r[6] is None else r[:4] + ("",) + r[5:] for r in rows], ptr, ind, val), out,
                    protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()


if __name__ == "__main__":
    try:
        _serve(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
    except BrokenPipeError:  # the writer stopped reading (it failed, or was cancelled)
        sys.exit(1)
