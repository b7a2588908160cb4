"""A scratch mirror of a cargo workspace, where candidate fixes are checked.

The user's files are never written here: the mirror is a copy under ferrofix's cache dir with its own
warm `CARGO_TARGET_DIR`, kept between runs so incremental checks take a fraction of a second. Files are
copied only when their bytes differ (a fresh mtime then tells cargo to recheck them).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import Mapping

from .cargo import (Cancellation, CheckOptions, CheckResult, TestRun, _digest, cache_dir, run_check,
                    run_tests)
from .errors import CheckTimeoutError

from .locks import try_exclusive

SKIP_DIRS = {".git", ".hg", ".svn", "target", "node_modules", ".venv", "__pycache__"}


def _walk(root: Path, links_out: list[tuple[str, Path]] | None = None):
    """(workspace-relative posix path, path) of every file under `root` as cargo sees the tree; VCS and
    build directories are skipped. Symbolic links to files are followed (the file's bytes are the
    link's); links to directories inside `root` are followed as real directories (a linked module
    directory is part of the crate), each real directory once, so cycles end; links to directories
    outside `root` are not entered but appended to `links_out` as (relative path, real target)."""
    real_root = os.path.realpath(root)
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        keep = []
        for d in dirnames:
            if d in SKIP_DIRS:
                continue
            full = Path(dirpath) / d
            target = os.path.realpath(full)
            if full.is_symlink() and os.path.commonpath([target, real_root]) != real_root:
                if links_out is not None:
                    links_out.append((full.relative_to(root).as_posix(), Path(target)))
                continue
            keep.append(d)
        dirnames[:] = keep
        for n in filenames:
            p = Path(dirpath) / n
            if p.is_file():
                yield p.relative_to(root).as_posix(), p


def _entries(root: Path):
    """(relative posix path, path) of every file and symbolic link in the mirror at `root`, links not
    followed: what `sync` may remove. Never reaches outside the mirror."""
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for n in filenames + [d for d in dirnames if (Path(dirpath) / d).is_symlink()]:
            p = Path(dirpath) / n
            yield p.relative_to(root).as_posix(), p


#: The manifest tables whose entries may name a `path`: dependency tables (also under `target.<cfg>`
#: and `workspace`), and `[patch.<registry>]` (The Cargo Book, "Specifying Dependencies", "Overriding").
_DEP_TABLES = ("dependencies", "dev-dependencies", "build-dependencies")


def pin_outside_paths(manifest: bytes, manifest_dir: Path, root: Path) -> bytes:
    """`manifest` (a Cargo.toml's bytes) with every dependency or `[patch]` `path` that leads outside
    the workspace `root` made absolute, so that it still names the original when the manifest is
    copied into the mirror (relative, it would resolve inside ferrofix's cache). Paths inside the
    workspace, and manifests that are not valid TOML (cargo reports those), are left as they are.
    Formatting and comments are kept (tomlkit)."""
    if b"path" not in manifest:
        return manifest
    import tomlkit
    try:
        doc = tomlkit.parse(manifest.decode("utf-8"))
    except Exception:  # noqa: BLE001 - not our error to report: cargo says what is wrong with it
        return manifest
    root = Path(os.path.normpath(root))
    changed = False

    def pin(table) -> None:
        nonlocal changed
        if not hasattr(table, "items"):
            return
        for spec in table.values():
            path = spec.get("path") if hasattr(spec, "get") else None
            if isinstance(path, str):
                full = Path(os.path.normpath(manifest_dir / path))
                if not full.is_relative_to(root):
                    spec["path"] = str(full)
                    changed = True

    tables = [doc.get(t) for t in _DEP_TABLES]
    tables += [cfg.get(t) for cfg in (doc.get("target") or {}).values() if hasattr(cfg, "get") for t in _DEP_TABLES]
    tables.append((doc.get("workspace") or {}).get("dependencies"))
    tables += list((doc.get("patch") or {}).values())
    for t in tables:
        if t is not None:
            pin(t)
    return tomlkit.dumps(doc).encode("utf-8") if changed else manifest


def mirror_dir(source: Path, purpose: str = "") -> Path:
    """Where the mirror of the workspace at `source` lives (under the cache dir; `Mirror.base`); a
    `purpose` ("live": the language server's checks of unsaved buffers) names a mirror of its own,
    with its own lock and warm target dir, so that it never waits for, or on, a repair's mirror."""
    source = Path(source).resolve()
    return cache_dir() / "mirrors" / (f"{source.name}-{_digest(source)}" + (f"-{purpose}" if purpose else ""))


class Mirror:
    """A copy of the workspace at `source` under the cache dir, checked with its own target dir.

    `sources` maps workspace-relative paths of `.rs` files to their bytes as last synced.
    Use as a context manager, or call `close()`, to release the mirror's lock.
    """

    def __init__(self, source: Path, check: CheckOptions | None = None, purpose: str = "") -> None:
        self.source = Path(source).resolve()
        base = mirror_dir(self.source, purpose)
        # one process at a time per mirror; another repairing the same workspace gets a private one
        self._lock_file = try_exclusive(base / ".lock")
        #: a private mirror (another run holds the shared one): removed on close
        self.private = self._lock_file is None
        if self.private:  # unique per run, so that concurrent runs of one process never share it
            base = Path(tempfile.mkdtemp(dir=base.parent, prefix=f"{base.name}-{os.getpid()}-"))
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
        #: `.rs` files that are not UTF-8 (workspace-relative path → message), as of the last sync
        self.undecodable: dict[str, str] = {}
        #: (size, mtime ns, inode) of each file the last sync copied from disk as it was
        self._stats: dict[str, tuple[int, int, int]] = {}

    def __enter__(self) -> "Mirror":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._lock_file not in (None, True):
            self._lock_file.close()
        self._lock_file = None
        if self.private:
            shutil.rmtree(self.base, ignore_errors=True)

    def sync(self, overrides: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
        """Make the mirror equal to the workspace (all files but VCS and build dirs) and return the
        `.rs` sources (UTF-8 ones: the others are copied but listed in `undecodable`, path → reason, and
        are not editable). `overrides` (workspace-relative path → bytes) replace files' contents on
        disk, for an editor's unsaved buffers. Manifests get `pin_outside_paths`."""
        overrides = overrides or {}
        self.root.mkdir(parents=True, exist_ok=True)
        seen: set[str] = set()
        sources: dict[str, bytes] = {}
        undecodable: dict[str, str] = {}
        links: list[tuple[str, Path]] = []
        stats: dict[str, tuple[int, int, int]] = {}
        racy = time.time_ns() - 2_000_000_000
        for rel, src in _walk(self.source, links):
            seen.add(rel)
            if rel not in overrides:
                # unchanged on disk since the last sync, which copied it (git's stat-cache rule: size,
                # mtime, inode; a file modified in the last 2 s is read anyway, as its mtime may not
                # yet tell a second change of the same size): nothing to read or write
                st = src.stat()
                key = (st.st_size, st.st_mtime_ns, st.st_ino)
                if st.st_mtime_ns < racy and not rel.endswith("Cargo.lock"):  # cargo rewrites the copy
                    stats[rel] = key
                if self._stats.get(rel) == key:
                    if rel in self.sources:
                        sources[rel] = self.sources[rel]
                    elif rel in self.undecodable:
                        undecodable[rel] = self.undecodable[rel]
                    continue
            data = overrides[rel] if rel in overrides else src.read_bytes()
            if rel == "Cargo.toml" or rel.endswith("/Cargo.toml"):
                data = pin_outside_paths(data, src.parent, self.source)
            if rel.endswith(".rs"):
                try:
                    data.decode("utf-8")
                except UnicodeDecodeError as e:
                    # not an error yet: cargo may never read it (test data); `undecodable` tells
                    undecodable[rel] = f"{src}: not valid UTF-8 (byte {e.start}); ferrofix edits UTF-8 sources only"
                else:
                    sources[rel] = data
            self._write_if_changed(rel, data)
        for rel, target in links:  # a directory outside the workspace: linked, read-only, never copied
            seen.add(rel)
            dst = self.root / rel
            if not (dst.is_symlink() and Path(os.readlink(dst)) == target):
                with suppress(OSError):
                    dst.unlink() if dst.is_symlink() or dst.is_file() else shutil.rmtree(dst)
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.symlink_to(target, target_is_directory=True)
        for rel, p in list(_entries(self.root)):
            if rel not in seen:
                with suppress(OSError):
                    p.unlink()  # a file, or a link itself (never what it points to)
        self.sources = sources
        self.undecodable = undecodable
        self._stats = stats
        return sources

    def _write_if_changed(self, rel: str, data: bytes) -> None:
        dst = self.root / rel
        if any(p.is_symlink() for p in [dst, *dst.parents] if p.is_relative_to(self.root)):
            raise ValueError(f"{rel}: lies behind a link out of the mirror; not written")
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
            self._stats.pop(rel, None)  # no longer the file on disk: the next sync copies it again
            self._write_if_changed(rel, data)

    def check(self, cancel: Cancellation | None = None, options: CheckOptions | None = None) -> CheckResult:
        """Run the check in the mirror (its own warm target dir), for at most the check's own time limit
        and what is left before `deadline`; `options` (their target dir replaced by the mirror's)
        instead of the ones the mirror was made with. Raises CheckTimeoutError when that is nothing or
        runs out (and what `run_check` raises)."""
        options = self.check_options if options is None else \
            dataclasses.replace(options, target_dir=self.check_options.target_dir)
        if self.deadline is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise CheckTimeoutError("the time budget ran out before the check could run")
            if left < options.timeout_s:
                options = dataclasses.replace(options, timeout_s=left)
        return run_check(self.root, options, cancel=cancel)

    def test(self, timeout_s: float, cancel: Cancellation | None = None) -> TestRun:
        """Run `cargo test` in the mirror (its own target dir; the tests execute the crate's code, so
        only on the user's request, `repair.runTests`) for at most `timeout_s` seconds and what is left
        before `deadline`: a `TestRun`, failed when that time runs out (and what `run_tests` raises)."""
        if self.deadline is not None:
            timeout_s = min(timeout_s, self.deadline - time.monotonic())
            if timeout_s <= 0:
                return TestRun(False, [], "the time budget ran out before cargo test could run", 0)
        return run_tests(self.root, target_dir=self.base / "target", timeout_s=timeout_s, cancel=cancel)
