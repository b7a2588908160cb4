"""Check on save: one `cargo check` per cargo workspace, debounced, the newest request winning, and the
diagnostics it publishes (with the quick fixes precomputed, so `codeAction` is a lookup).

A request starts a debounce timer (`check.debounce_ms`); requests inside the window merge. When the
timer fires, a running check of the same workspace is cancelled (its process group killed) and a new
one starts. Only a check that ran to the end publishes.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncContextManager, Callable, Protocol

import attrs
from lsprotocol import types

from ferrofix import service
from ferrofix.cargo import Cancellation, CheckResult, run_check
from ferrofix.diagnostics import Diagnostic
from ferrofix.edits import suggestion_fixes
from ferrofix.errors import CargoManifestError, CheckCancelledError, FerrofixError

from ferrofix.settings import Settings

from . import convert

log = logging.getLogger(__name__)


class CheckHost(Protocol):
    """What the scheduler needs of the server (`state.FerrofixServer` is one): the published
    diagnostics, per-root settings, publishing, progress and messages."""

    store: "DiagnosticStore"

    def settings_for(self, root: Path) -> Settings: ...

    def publish(self, uri: str, diagnostics: list[types.Diagnostic]) -> None: ...

    def progress(self, title: str, message: str,
                 cancel: Cancellation) -> AsyncContextManager[Callable[[str], None]]: ...

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None: ...

    def problem(self, message: str) -> None: ...


@dataclass(slots=True)
class Entry:
    """A published diagnostic: the core Diagnostic, its LSP form, the workspace root, and the rustc
    quick fixes as ready CodeActions."""

    diagnostic: Diagnostic | None
    lsp: types.Diagnostic
    root: Path
    actions: list[types.CodeAction] = field(default_factory=list)


class DiagnosticStore:
    """What was last published, per workspace root and per document URI."""

    def __init__(self) -> None:
        self.by_root: dict[Path, dict[str, list[Entry]]] = {}
        self.by_id: dict[str, Entry] = {}
        self._ids = itertools.count(1)

    def replace(self, root: Path, entries: dict[str, list[Entry]]) -> set[str]:
        """Store the new entries of `root`; returns the URIs whose diagnostics are now gone."""
        old = self.by_root.get(root, {})
        for es in old.values():
            for e in es:
                self.by_id.pop(_id_of(e.lsp), None)
        self.by_root[root] = entries
        for es in entries.values():
            for e in es:
                self.by_id[_id_of(e.lsp)] = e
        return set(old) - set(entries)

    def next_id(self) -> str:
        """A new diagnostic id (unique in this server process)."""
        return str(next(self._ids))

    def find(self, uri: str, d: types.Diagnostic) -> Entry | None:
        """The entry an editor's diagnostic refers to: by the `data.id` we attached, else by range,
        code and message."""
        if isinstance(d.data, dict) and (e := self.by_id.get(str(d.data.get("id")))) is not None:
            return e
        for es in self.by_root.values():
            for e in es.get(uri, ()):
                if e.lsp.range == d.range and e.lsp.code == d.code and e.lsp.message == d.message:
                    return e
        return None

    def at(self, uri: str, pos: types.Position) -> list[Entry]:
        """Entries of `uri` whose range contains `pos`."""
        out = []
        for es in self.by_root.values():
            for e in es.get(uri, ()):
                r = e.lsp.range
                if (r.start.line, r.start.character) <= (pos.line, pos.character) <= (r.end.line, r.end.character):
                    out.append(e)
        return out


def _without_data(d: types.Diagnostic) -> types.Diagnostic:
    return attrs.evolve(d, data=None)


def _id_of(d: types.Diagnostic) -> str:
    return str(d.data.get("id")) if isinstance(d.data, dict) else ""


def build_entries(root: Path, res: CheckResult, store: DiagnosticStore) -> dict[str, list[Entry]]:
    """Convert a check's diagnostics to entries grouped by URI (files read once each)."""
    cache: dict[Path, bytes] = {}

    def read(p: Path) -> bytes:
        if p not in cache:
            cache[p] = p.read_bytes()
        return cache[p]

    out: dict[str, list[Entry]] = {}
    for d in res.diagnostics:
        conv = convert.to_lsp(d, root, read, data={"id": store.next_id(), "root": str(root)})
        if conv is None:
            continue
        path, lsp = conv
        actions = []
        for fix in suggestion_fixes(d, root):
            a = convert.quick_fix(fix, lsp, root, read)
            if a is not None:
                actions.append(a)
        out.setdefault(convert.uri_of(path), []).append(Entry(d, lsp, root, actions))
    return out


class CheckScheduler:
    """Debounced, cancellable checks per cargo workspace root; publishes through its host."""

    def __init__(self, ls: CheckHost) -> None:
        self.ls = ls
        self._pending: dict[Path, asyncio.Task] = {}
        self._running: dict[Path, tuple[asyncio.Task, Cancellation]] = {}
        #: time.time_ns() of the last request per root (external changes older than it are covered)
        self.requested_ns: dict[Path, int] = {}
        #: time.time_ns() when the last check of each root ended (cargo writes Cargo.lock while checking)
        self.finished_ns: dict[Path, int] = {}
        self.started = 0

    def checking(self, root: Path) -> bool:
        """True while a check of `root` runs."""
        return root in self._running

    def request(self, root: Path, reason: str, delay_ms: int | None = None) -> None:
        """Ask for a check of `root`; merges with requests inside the debounce window."""
        self.requested_ns[root] = time.time_ns()
        old = self._pending.pop(root, None)
        if old is not None:
            old.cancel()
        if delay_ms is None:
            delay_ms = self.ls.settings_for(root).check.debounce_ms
        self._pending[root] = asyncio.get_running_loop().create_task(self._after(root, reason, delay_ms))

    def cancel_running(self) -> None:
        """Cancel the running checks (their cargo process groups are killed); safe from any thread."""
        for _, c in list(self._running.values()):
            c.cancel()

    def cancel_all(self) -> None:
        """Cancel pending and running checks (shutdown)."""
        for t in self._pending.values():
            t.cancel()
        for _, c in self._running.values():
            c.cancel()

    async def _after(self, root: Path, reason: str, delay_ms: int) -> None:
        await asyncio.sleep(delay_ms / 1000)
        if self._pending.get(root) is asyncio.current_task():
            del self._pending[root]
        running = self._running.get(root)
        if running is not None:
            task, cancel = running
            cancel.cancel()
            await asyncio.wait({task})
        await self._check(root, reason)

    async def _check(self, root: Path, reason: str) -> None:
        me = asyncio.current_task()
        cancel = Cancellation()
        self._running[root] = (me, cancel)
        self.started += 1
        s = self.ls.settings_for(root)
        title = f"cargo {s.check.command[0] if s.check.command else 'check'}"
        self.ls.log(f"{title} #{self.started} in {root} ({reason})", types.MessageType.Log)
        try:
            async with self.ls.progress(title, root.name, cancel):
                try:
                    res = await asyncio.to_thread(run_check, root, service.check_options(s), cancel=cancel)
                except CheckCancelledError as e:
                    if not cancel.cancelled:  # killed from outside, not by us
                        self.ls.problem(f"{title} in {root.name} stopped: {e}")
                    return
                except CargoManifestError as e:
                    self.ls.problem(f"{root.name}: {e}")
                    self._publish_manifest_error(root, str(e))
                    return
                except FerrofixError as e:
                    self.ls.problem(f"{title} in {root.name}: {e}")
                    return
                self.publish(root, res)  # before the progress ends: "finished" means published
        finally:
            if self._running.get(root, (None,))[0] is me:
                del self._running[root]
            self.finished_ns[root] = time.time_ns()

    def publish(self, root: Path, res: CheckResult) -> None:
        """Publish a finished check: the files whose diagnostics changed, and `[]` for files that became
        clean. A file whose diagnostics are the same as last time is not sent again (the client still
        shows them; its entries, and so the ids in `data`, are kept)."""
        entries = build_entries(root, res, self.ls.store)
        old = self.ls.store.by_root.get(root, {})
        unchanged = set()
        for uri, es in entries.items():
            prev = old.get(uri)
            if prev is not None and [_without_data(e.lsp) for e in prev] == [_without_data(e.lsp) for e in es]:
                entries[uri] = prev
                unchanged.add(uri)
        gone = self.ls.store.replace(root, entries)
        for uri in sorted(gone):
            self.ls.publish(uri, [])
        for uri, es in entries.items():
            if uri not in unchanged:
                self.ls.publish(uri, [e.lsp for e in es])
        n_err = len(res.errors)
        self.ls.log(f"{root.name}: {n_err} error(s), {len(res.diagnostics) - n_err} warning(s) "
                    f"in {res.elapsed_ms} ms", types.MessageType.Info)

    def _publish_manifest_error(self, root: Path, message: str) -> None:
        lsp = types.Diagnostic(types.Range(types.Position(0, 0), types.Position(0, 0)), message,
                               severity=types.DiagnosticSeverity.Error, source=convert.SOURCE,
                               data={"id": self.ls.store.next_id(), "root": str(root)})
        uri = convert.uri_of(root / "Cargo.toml")
        gone = self.ls.store.replace(root, {uri: [Entry(None, lsp, root)]})
        for u in sorted(gone):
            self.ls.publish(u, [])
        self.ls.publish(uri, [lsp])
