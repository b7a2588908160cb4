"""Which cargo workspace a file belongs to, and which cargo workspaces an editor folder holds.

One check runs per cargo workspace root (`cargo metadata`'s `workspace_root`), not per package: a
save in any member package checks the whole workspace once. Nested independent crates inside one
editor folder are separate roots.
"""

from __future__ import annotations

import os
from pathlib import Path

from ferrofix.cargo import find_manifest, locate_workspace
from ferrofix.errors import CargoManifestError, CheckTimeoutError

#: Directories never searched for crates nor watched for changes.
IGNORED_DIRS = frozenset({"target", ".git", ".hg", ".svn", "node_modules", ".venv", "__pycache__"})


def is_ignored(path: Path) -> bool:
    """True for a path (relative to a workspace or folder) inside `target/`, `.git/` or another ignored
    directory."""
    return any(part in IGNORED_DIRS for part in path.parts)


class WorkspaceMap:
    """Maps files to cargo workspace roots, caching `cargo metadata` per manifest directory.

    Methods block (they run cargo): call them from a worker thread. A manifest cargo rejects maps to
    its own directory, so that the check reports cargo's error there.
    """

    def __init__(self) -> None:
        self._roots: dict[Path, Path] = {}
        #: manifest directory → the name of the package it declares, None for a virtual manifest
        self._packages: dict[Path, str | None] = {}

    def invalidate(self) -> None:
        """Forget the cache (a Cargo.toml changed: workspace membership may have too)."""
        self._roots.clear()
        self._packages.clear()

    def package_for(self, path: Path) -> str | None:
        """The name of the cargo package whose manifest is nearest above `path` (what `cargo check -p`
        takes), or None when that manifest declares no package (a virtual workspace root) or cargo
        rejects it. Raises NotACargoProjectError when no Cargo.toml is at or above `path`."""
        manifest_dir = find_manifest(path).parent
        if manifest_dir not in self._packages:
            try:
                ws = locate_workspace(manifest_dir)
            except (CargoManifestError, CheckTimeoutError):
                self._packages[manifest_dir] = None
            else:
                for p in ws.packages:
                    self._packages[p.manifest_path.parent.resolve()] = p.name
                self._packages.setdefault(manifest_dir, None)
        return self._packages[manifest_dir]

    def root_for(self, path: Path) -> Path:
        """The cargo workspace root of `path` (a file or directory).

        Raises NotACargoProjectError when no Cargo.toml is at or above it, CargoNotFoundError when
        cargo is missing."""
        manifest_dir = find_manifest(path).parent
        root = self._roots.get(manifest_dir)
        if root is None:
            try:
                root = locate_workspace(manifest_dir).root.resolve()
            except (CargoManifestError, CheckTimeoutError):
                root = manifest_dir
            self._roots[manifest_dir] = root
        return root

    def roots_in(self, folder: Path, max_depth: int = 6) -> list[Path]:
        """The cargo workspace roots of every Cargo.toml in `folder` (at most `max_depth` levels down,
        ignored directories skipped), sorted; [] when the folder holds no crate."""
        roots: set[Path] = set()
        folder = folder.resolve()
        for dirpath, dirnames, filenames in os.walk(folder):
            depth = len(Path(dirpath).relative_to(folder).parts)
            dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.startswith(".")
                           and depth < max_depth]
            if "Cargo.toml" in filenames:
                roots.add(self.root_for(Path(dirpath)))
        return sorted(roots)
