"""The knowledge base of Rust errors and their fixes.

- `records`: the `Record` type, message normalisation, content hashes, the JSONL exchange format;
- `store`: durable records in SQLite (WAL, migrations, a change counter other processes watch);
- `index`: the derived search index in Qdrant (Qdrant Edge in process, or a Qdrant server by URL);
- `embed`: dense vectors from a local GGUF embedding model (all-MiniLM-L6-v2);
- `seed`: records built offline from the installed toolchain's error index;
- `KnowledgeBase` (here): the facade the CLI, the repair loop and the front ends use.
"""

from .kb import KnowledgeBase, SearchHit, default_kb_dir
from .records import Record

__all__ = ["KnowledgeBase", "Record", "SearchHit", "default_kb_dir"]
