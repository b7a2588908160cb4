"""Writing verified fixes into the user's workspace (`fix --write`): all files or none.

The order, for a set of files: (1) every path is resolved — a symbolic link is written through to its
target when that target lies inside the workspace, and the whole write is refused when it leads
outside; (2) each file's current bytes go to a new backup `<file>.ferrofix.bak` (`.ferrofix.bak.1`,
`.2`, … when earlier backups exist: none is ever overwritten); (3) every new content is written to a
temp file beside its target; (4) the temps are renamed over their targets. A failure in (2)–(3)
removes every temp and backup made and changes nothing; a failure in (4) puts back the files already
replaced from their backups. No `.tmp` file is left behind either way.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .errors import FerrofixError


class WriteRefusedError(FerrofixError):
    """A write that would leave the workspace (a symbolic link pointing outside it), or that failed and
    was rolled back."""


@dataclass(frozen=True, slots=True)
class Written:
    """One file written: its workspace-relative path, the real path written (a link's target) and the
    backup of its previous bytes."""

    rel: str
    path: Path
    backup: Path


def _backup_path(target: Path) -> Path:
    base = target.with_name(target.name + ".ferrofix.bak")
    if not base.exists():
        return base
    n = 1
    while (p := base.with_name(f"{base.name}.{n}")).exists():
        n += 1
    return p


def resolve_in_workspace(root: Path, rel: str) -> Path:
    """The real file `root/rel` names (symbolic links followed). Raises WriteRefusedError when that
    lies outside the workspace `root`."""
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(root / rel))
    if not real.is_relative_to(real_root):
        raise WriteRefusedError(f"{rel} is a link to {real}, outside the workspace {real_root}: not written")
    return real


def write_files(root: Path, files: Mapping[str, bytes]) -> list[Written]:
    """Write `files` (workspace-relative path → new bytes) into the workspace at `root`, all or none
    (see the module docstring), keeping a backup of each. Returns what was written, in path order.
    Raises WriteRefusedError (a link leaving the workspace; a failed write, rolled back)."""
    plan = [(rel, resolve_in_workspace(root, rel), data) for rel, data in sorted(files.items())]
    made: list[Path] = []  # temps and backups to remove on failure
    staged: list[tuple[Written, Path, bytes]] = []
    try:
        for rel, real, data in plan:
            old = real.read_bytes()
            backup = _backup_path(real)
            backup.write_bytes(old)
            made.append(backup)
            fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".ferrofix-tmp")
            made.append(Path(tmp))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, real.stat().st_mode & 0o7777)
            staged.append((Written(rel, real, backup), Path(tmp), old))
    except OSError as e:
        for p in made:
            with suppress(OSError):
                p.unlink()
        raise WriteRefusedError(f"nothing written: {e}") from e
    done: list[tuple[Written, bytes]] = []
    try:
        for w, tmp, old in staged:
            os.replace(tmp, w.path)
            done.append((w, old))
    except OSError as e:
        for w, old in done:  # put back what was replaced
            with suppress(OSError):
                w.path.write_bytes(old)
        for w, tmp, _ in staged:
            with suppress(OSError):
                tmp.unlink()
            with suppress(OSError):
                w.backup.unlink()
        raise WriteRefusedError(f"nothing written (rolled back): {e}") from e
    return [w for w, _, _ in staged]
