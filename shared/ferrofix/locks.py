"""Advisory per-process locks on directories (POSIX `flock`; on Windows every caller gets the lock)."""

from __future__ import annotations

from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


def try_exclusive(lock_path: Path) -> IO | None | bool:
    """Take an exclusive, non-blocking lock on `lock_path` (created if missing).

    Returns the open lock file (keep it open to hold the lock; close it to release), None when another
    process holds the lock, or True where file locking is unavailable."""
    if fcntl is None:
        return True
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    f = open(lock_path, "w")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return f
    except OSError:
        f.close()
        return None
