"""Files changed outside the editor (branch switches, code generators): through the client's file
watchers (`workspace/didChangeWatchedFiles`, registered dynamically) when it supports them, otherwise
through watchdog observers on the editor folders. `target/` and `.git/` are ignored."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from .workspaces import is_ignored

if TYPE_CHECKING:
    from .state import FerrofixServer

log = logging.getLogger(__name__)

GLOBS = ("**/*.rs", "**/Cargo.toml", "**/Cargo.lock")


class _Handler(FileSystemEventHandler):
    def __init__(self, watcher: "Watcher", folder: Path) -> None:
        self.watcher = watcher
        self.folder = folder

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory or event.event_type in ("opened", "closed_no_write"):
            return
        for p in (event.src_path, getattr(event, "dest_path", "")):
            if p:
                path = Path(p if isinstance(p, str) else p.decode())
                try:
                    if is_ignored(path.relative_to(self.folder)):
                        continue
                except ValueError:
                    continue
                self.watcher.changed_from_thread(path)


class Watcher:
    """Watches the editor folders for external changes and asks the server to check."""

    def __init__(self, ls: "FerrofixServer") -> None:
        self.ls = ls
        self.observer: Observer | None = None
        self.watches: dict[Path, object] = {}
        self.uses_client = False
        self.loop: asyncio.AbstractEventLoop | None = None

    def client_can_watch(self) -> bool:
        """True when the client registers file watchers dynamically."""
        ws = self.ls.client_capabilities.workspace
        d = ws.did_change_watched_files if ws else None
        return bool(d and d.dynamic_registration)

    async def start(self, folders: list[Path]) -> None:
        """Register file watchers with the client, or start watchdog on `folders`."""
        self.loop = asyncio.get_running_loop()
        if self.client_can_watch():
            try:
                await self.ls.client_register_capability_async(types.RegistrationParams([types.Registration(
                    id="ferrofix-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        [types.FileSystemWatcher(glob_pattern=g) for g in GLOBS]))]))
                self.uses_client = True
                return
            except Exception as e:  # the client refused: fall back to watchdog
                log.info("client file watchers unavailable (%s); using watchdog", e)
        for f in folders:
            self.add(f)

    def add(self, folder: Path) -> None:
        """Watch `folder` recursively with watchdog (no-op when the client watches)."""
        if self.uses_client or folder in self.watches or not folder.is_dir():
            return
        if self.observer is None:
            self.observer = Observer()
            self.observer.daemon = True
            self.observer.start()
        self.watches[folder] = self.observer.schedule(_Handler(self, folder), str(folder), recursive=True)

    def remove(self, folder: Path) -> None:
        """Stop watching `folder`."""
        w = self.watches.pop(folder, None)
        if w is not None and self.observer is not None:
            self.observer.unschedule(w)

    def stop(self) -> None:
        """Stop every watchdog observer."""
        if self.observer is not None:
            self.observer.stop()
            self.observer = None
        self.watches.clear()

    def changed_from_thread(self, path: Path) -> None:
        """Called by watchdog's thread: hand the path to the event loop."""
        if self.loop is None or self.loop.is_closed():
            return
        if not (path.suffix == ".rs" or path.name in ("Cargo.toml", "Cargo.lock")):
            return
        self.loop.call_soon_threadsafe(
            lambda: self.loop.create_task(self.ls.on_file_changed(path, "changed on disk", external=True)))
