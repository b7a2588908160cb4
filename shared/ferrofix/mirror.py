"""A scratch mirror of a cargo workspace, where candidate fixes are checked.

The user's files are never written here: the mirror is a copy under ferrofix's cache dir with its own
warm `CARGO_TARGET_DIR`, kept between runs so incremental checks take a fraction of a second. Files are
copied only when their bytes differ (a fresh mtime then tells cargo to recheck them).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from contextlib import suppress
from pathlib import Path
from typing import Mapping

from .cargo import Cancellation, CheckOptions, CheckResult, _digest, cache_dir, run_check
from .errors import CheckTimeoutError, SourceEncodingError

from .locks import try_exclusive

SKIP_DIRS = {".git", ".hg", ".svn", "target", "node_modules", ".venv", "__pycache__"}


def _walk(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for n in filenames:
            p = Path(dirpath) / n
            if p.is_file():
                yield p.relative_to(root).as_posix(), p


class Mirror:
    """A copy of the workspace at `source` under the cache dir, checked with its own target dir.

    `sources` maps workspace-relative paths of `.rs` files to their bytes as last synced.
    Use as a context manager, or call `close()`, to release the mirror's lock.
    """

    def __init__(self, source: Path, check: CheckOptions | None = None) -> None:
        self.source = Path(source).resolve()
        base = cache_dir() / "mirrors" / f"{self.source.name}-{_digest(self.source)}"
        # one process at a time per mirror; another repairing the same workspace gets a private one
        self._lock_file = try_exclusive(base / ".lock")
        if self._lock_file is None:
            base = base.with_name(base.name + f"-{os.getpid()}")
        self.root = base / "src"
        self.base = base
        opts = check or CheckOptions()
        self.check_options = CheckOptions(command=opts.command, extra_args=opts.extra_args,
                                          features=opts.features, all_targets=opts.all_targets,
                                          timeout_s=opts.timeout_s, target_dir=base / "target")
        self.sources: dict[str, bytes] = {}
        #: `time.monotonic()` after which no check may run: each check gets at most what is left
        #: (a repair's time budget is a hard limit); None for no limit but the check's own.
        self.deadline: float | None = None

    def __enter__(self) -> "Mirror":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._lock_file not in (None, True):
            self._lock_file.close()
        self._lock_file = None
        if self.base.name.endswith(f"-{os.getpid()}"):
            shutil.rmtree(self.base, ignore_errors=True)

    def sync(self, overrides: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
        """Make the mirror equal to the workspace (all files but VCS and build dirs) and return the
        `.rs` sources. `overrides` (workspace-relative path → bytes) replace files' contents on disk,
        for an editor's unsaved buffers. Raises SourceEncodingError for a `.rs` file that is not UTF-8."""
        overrides = overrides or {}
        self.root.mkdir(parents=True, exist_ok=True)
        seen: set[str] = set()
        sources: dict[str, bytes] = {}
        for rel, src in _walk(self.source):
            seen.add(rel)
            data = overrides[rel] if rel in overrides else src.read_bytes()
            if rel.endswith(".rs"):
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise SourceEncodingError(
                        f"{src}: not valid UTF-8 (byte {e.start}); ferrofix edits UTF-8 sources only") from e
                sources[rel] = data
            self._write_if_changed(rel, data)
        for rel, p in list(_walk(self.root)):
            if rel not in seen:
                with suppress(OSError):
                    p.unlink()
        self.sources = sources
        return sources

    def _write_if_changed(self, rel: str, data: bytes) -> None:
        dst = self.root / rel
        with suppress(OSError):
            if dst.stat().st_size == len(data) and dst.read_bytes() == data:
                return
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(dst.name + ".ferrofix-tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dst)

    def write(self, files: Mapping[str, bytes]) -> None:
        """Set the mirror's copies of `files` (workspace-relative path → bytes)."""
        for rel, data in files.items():
            self._write_if_changed(rel, data)

    def check(self, cancel: Cancellation | None = None) -> CheckResult:
        """Run the check in the mirror (its own warm target dir), for at most the check's own time limit
        and what is left before `deadline`. Raises CheckTimeoutError when that is nothing or runs out
        (and what `run_check` raises)."""
        options = self.check_options
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise CheckTimeoutError("the time budget ran out before the check could run")
            if left < options.timeout_s:
                options = dataclasses.replace(options, timeout_s=left)
        return run_check(self.root, options, cancel=cancel)
