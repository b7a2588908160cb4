"""The scratch mirror's sync: files unchanged on disk since the last sync are neither read nor written
again (a stat cache), and nothing it skips can leave the mirror different from the workspace."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ferrofix.mirror import Mirror


def _age(path: Path, seconds: float = 60) -> None:
    """Set `path`'s mtime `seconds` back: older than the racy window, so the cache may trust it."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def _crate(root: Path) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "m"\nversion = "0.1.0"\nedition = "2021"\n')
    main = root / "src/main.rs"
    main.write_text("fn main() {}\n")
    for p in (root / "Cargo.toml", main):
        _age(p)
    return main


def test_sync_copies_changes_skips_unchanged_files_and_restores_what_a_candidate_wrote(tmp_path):
    main = _crate(tmp_path / "ws")
    with Mirror(tmp_path / "ws", purpose="test") as m:
        assert m.sync()["src/main.rs"] == b"fn main() {}\n"
        copy = m.root / "src/main.rs"
        inode = copy.stat().st_ino
        assert m.sync()["src/main.rs"] == b"fn main() {}\n"
        assert copy.stat().st_ino == inode  # not rewritten
        # a candidate written into the mirror is undone by the next sync
        m.write({"src/main.rs": b"fn main() { candidate }\n"})
        assert m.sync()["src/main.rs"] == b"fn main() {}\n" and copy.read_bytes() == b"fn main() {}\n"
        # an edit on disk of the same size, with an old mtime set on purpose, is still seen (inode/mtime)
        main.write_text("fn main() {1}\n"[:-2] + "\n")
        _age(main, 30)
        assert m.sync()["src/main.rs"] == main.read_bytes() and copy.read_bytes() == main.read_bytes()
        # an editor buffer overrides the disk; without it, the disk text comes back
        assert m.sync({"src/main.rs": b"fn main() { typed }\n"})["src/main.rs"] == b"fn main() { typed }\n"
        assert copy.read_bytes() == b"fn main() { typed }\n"
        assert m.sync()["src/main.rs"] == main.read_bytes() and copy.read_bytes() == main.read_bytes()
        # a file removed from the workspace goes from the mirror
        (tmp_path / "ws/src/extra.rs").write_text("// x\n")
        m.sync()
        (tmp_path / "ws/src/extra.rs").unlink()
        m.sync()
        assert not (m.root / "src/extra.rs").exists()


def test_a_file_modified_just_now_is_always_read(tmp_path):
    main = _crate(tmp_path / "ws")
    with Mirror(tmp_path / "ws", purpose="test") as m:
        main.write_text("fn main() {}\n")  # fresh mtime: racy, not cached
        m.sync()
        st = main.stat()
        main.write_text("fn main() {2}\n"[:-2] + "\n")
        os.utime(main, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime: only a re-read tells
        assert m.sync()["src/main.rs"] == main.read_bytes()
