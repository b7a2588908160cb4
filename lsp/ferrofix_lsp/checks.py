"""Checks on save and as you type: one `cargo check` per check unit (a cargo workspace, or one package
of it with `check.scope = "package"`), debounced, the newest request winning, and the diagnostics it
publishes (with the quick fixes precomputed, so `codeAction` is a lookup).

A request starts a debounce timer (`check.debounce_ms` for saves, `check.type_debounce_ms` for typing);
requests inside the window merge. When the timer fires, a running check of the same unit is cancelled
(its process group killed) and a new one starts; a new keystroke cancels a running check at once. Only
a check that ran to the end publishes.

A save checks the files on disk (unless other open buffers still hold unsaved text: then, as every
check while that is so, it is a live one). A keystroke ("live") check copies the open buffers' text into the
language server's own scratch mirror of the workspace (`ferrofix.mirror.Mirror`, purpose "live": never
the user's files or target dir) and checks there; its diagnostics, ranges and quick fixes are mapped
back to the user's files and published only when every buffer still has the version the check saw
(a stale result is dropped: a newer check is on its way). Its quick fixes carry those versions.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
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
from ferrofix.mirror import Mirror
from ferrofix.settings import Settings

from . import convert

log = logging.getLogger(__name__)


class CheckHost(Protocol):
    """What the scheduler needs of the server (`state.FerrofixServer` is one): the published
    diagnostics, per-root settings, publishing, progress and messages."""

    store: "DiagnosticStore"

    def settings_for(self, root: Path) -> Settings: ...

    def buffers(self, root: Path) -> dict[str, "Buffer"]: ...

    def overrides(self, root: Path, buffers: dict[str, "Buffer"] | None = None) -> dict[str, bytes]: ...

    def version_of(self, uri: str) -> int | None: ...

    def versioned(self, edit: types.WorkspaceEdit, versions: dict[str, int]) -> types.WorkspaceEdit: ...

    def publish(self, uri: str, diagnostics: list[types.Diagnostic]) -> None: ...

    def progress(self, title: str, message: str,
                 cancel: Cancellation) -> AsyncContextManager[Callable[[str], None]]: ...

    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None: ...

    def problem(self, message: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Unit:
    """What one check covers: the cargo workspace at `root`, or only its package named `package`
    (`check.scope = "package"`: `cargo check -p package`)."""

    root: Path
    package: str | None = None

    def options(self, s: Settings):
        """The CheckOptions for this unit under settings `s` (`-p package` appended for a package)."""
        opts = service.check_options(s)
        if self.package:
            opts.extra_args = (*opts.extra_args, "-p", self.package)
        return opts

    def __str__(self) -> str:
        return f"{self.root.name} (package {self.package})" if self.package else self.root.name


@dataclass(frozen=True, slots=True)
class Buffer:
    """An open editor buffer: its URI, the version the client gave it, and its text as UTF-8 bytes."""

    uri: str
    version: int
    data: bytes


class LiveMirror:
    """The scratch mirror the as-you-type checks of one workspace run in (`Mirror`, purpose "live"),
    with what makes keystroke checks cheap: a full `sync` (walk and stat the workspace) only when the
    files on disk may have changed — a save or a watched change said so (`disk_changed`), the set of
    unsaved buffers changed, or `FULL_SYNC_S` passed (a change the watcher missed) — and otherwise only
    the buffers whose text changed are written. One check at a time uses it (`lock`)."""

    #: seconds after which a keystroke check walks the workspace again even if nothing said it changed
    FULL_SYNC_S = 10.0

    def __init__(self, root: Path) -> None:
        self.mirror = Mirror(root, purpose="live")
        self.lock = threading.Lock()
        self._disk_changed = True
        self._synced_at = 0.0
        self._written: dict[str, bytes] = {}

    def disk_changed(self) -> None:
        """Files of the workspace changed on disk: the next `update` syncs everything. Any thread."""
        self._disk_changed = True

    def update(self, buffers: dict[str, bytes]) -> bool:
        """Make the mirror hold the workspace with `buffers` (workspace-relative path → bytes) in place
        of their files. Returns True when it walked the whole workspace. Call with `lock` held."""
        now = time.monotonic()
        if self._disk_changed or set(buffers) != set(self._written) or now - self._synced_at > self.FULL_SYNC_S:
            self._disk_changed = False  # before the walk: a change during it is seen next time
            self.mirror.sync(buffers)
            self._synced_at = now
            self._written = dict(buffers)
            return True
        changed = {rel: data for rel, data in buffers.items() if self._written.get(rel) != data}
        self.mirror.write(changed)
        self._written.update(changed)
        return False

    def close(self) -> None:
        self.mirror.close()


@dataclass(slots=True)
class Entry:
    """A published diagnostic: the core Diagnostic, its LSP form, the workspace root, and the rustc
    quick fixes as ready CodeActions."""

    diagnostic: Diagnostic | None
    lsp: types.Diagnostic
    root: Path
    actions: list[types.CodeAction] = field(default_factory=list)


class DiagnosticStore:
    """What was last published, per check unit and per document URI. A document belongs to the unit
    that published it last (what the client shows is that publication)."""

    def __init__(self) -> None:
        self.by_root: dict[Unit, dict[str, list[Entry]]] = {}
        self.by_id: dict[str, Entry] = {}
        self._ids = itertools.count(1)

    def replace(self, unit: Unit, entries: dict[str, list[Entry]]) -> set[str]:
        """Store the new entries of `unit` (other units of its workspace lose the documents it now
        publishes); returns the URIs whose diagnostics are now gone."""
        old = self.by_root.get(unit, {})
        for es in old.values():
            for e in es:
                self.by_id.pop(_id_of(e.lsp), None)
        for other, docs in self.by_root.items():
            if other != unit and other.root == unit.root:
                for uri in set(docs) & set(entries):
                    for e in docs.pop(uri):
                        self.by_id.pop(_id_of(e.lsp), None)
        self.by_root[unit] = entries
        for es in entries.values():
            for e in es:
                self.by_id[_id_of(e.lsp)] = e
        return set(old) - set(entries)

    def root_of(self, path: Path) -> Path | None:
        """The innermost checked workspace root containing the file `path` (None when there is none)."""
        roots = [u.root for u in self.by_root if path == u.root or path.is_relative_to(u.root)]
        return max(roots, key=lambda r: len(r.parts), default=None)

    def errors(self, root: Path) -> list[Entry]:
        """The published errors of the workspace at `root`."""
        return [e for unit, docs in self.by_root.items() if unit.root == root
                for es in docs.values() for e in es if e.lsp.severity in (None, types.DiagnosticSeverity.Error)]

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


def build_entries(root: Path, res: CheckResult, store: DiagnosticStore, checked_at: Path | None = None,
                  versioned: Callable[[types.WorkspaceEdit], types.WorkspaceEdit] | None = None,
                  ) -> dict[str, list[Entry]]:
    """Convert a check's diagnostics to entries grouped by URI (files read once each). `checked_at` is
    where cargo ran when that is not `root` (the live mirror): files are read there (they hold the
    buffers' text the check saw) and every location and edit is moved to `root`; `versioned` turns a
    quick fix's edit into one carrying the documents' versions."""
    at = checked_at or root
    cache: dict[Path, bytes] = {}

    def read(p: Path) -> bytes:
        if p not in cache:
            cache[p] = p.read_bytes()
        return cache[p]

    out: dict[str, list[Entry]] = {}
    for d in res.diagnostics:
        conv = convert.to_lsp(d, at, read, data={"id": store.next_id(), "root": str(root)})
        if conv is None:
            continue
        path, lsp = conv
        actions = []
        for fix in suggestion_fixes(d, at):
            a = convert.quick_fix(fix, lsp, at, read)
            if a is not None:
                if at != root:
                    convert.rebase_edit(a.edit, at, root)
                if versioned is not None:
                    a.edit = versioned(a.edit)
                actions.append(a)
        uri = convert.uri_of(path)
        if at != root:
            uri = convert.rebase_uri(uri, at, root)
            convert.rebase_diagnostic(lsp, at, root)
        out.setdefault(uri, []).append(Entry(d, lsp, root, actions))
    return out


class CheckScheduler:
    """Debounced, cancellable checks per check unit (`Unit`); publishes through its host."""

    def __init__(self, ls: CheckHost) -> None:
        self.ls = ls
        self._pending: dict[Unit, asyncio.Task] = {}
        self._running: dict[Unit, tuple[asyncio.Task, Cancellation]] = {}
        #: time.time_ns() of the last save or disk request per root (external changes older than it
        #: are covered)
        self.requested_ns: dict[Path, int] = {}
        #: time.time_ns() when the last check of each root ended (cargo writes Cargo.lock while checking)
        self.finished_ns: dict[Path, int] = {}
        self.started = 0
        #: the live mirror of each workspace root, with the lock that lets one check at a time use it
        self._mirrors: dict[Path, LiveMirror] = {}
        self._mirrors_lock = threading.Lock()
        #: time spent per step of the last check that published, in ms (`bench/lsp_latency.py`; also
        #: logged): "debounce" (configured); "wait" (request → the check starts, beyond the debounce:
        #: the timer, a cancelled check's end); "progress" (the client's answer to the progress token,
        #: while cargo already runs: not part of the total); "sync" (buffers into the live mirror) and
        #: "full_sync" (1 when it walked the workspace); "cargo" (spawn to exit, as `run_check`
        #: measures it), of which "spawn" (starting the process) and "parse" (JSON → Diagnostics);
        #: "handoff" (worker thread start and return beyond `cargo` and `sync`); "convert" (to LSP);
        #: "publish"; "total" (request → published)
        self.last_timings: dict[str, float] = {}
        self._requested_at: dict[Unit, tuple[float, int]] = {}
        self._seq: dict[Unit, int] = {}

    def checking(self, root: Path) -> bool:
        """True while a check of (a unit of) `root` runs."""
        return any(u.root == root for u in self._running)

    def request(self, unit: Unit | Path, reason: str, delay_ms: int | None = None, *, live: bool = False,
                seq: int | None = None) -> None:
        """Ask for a check of `unit` (a Path means its whole workspace); merges with requests inside
        the debounce window. `live`: check the open buffers' text in the live mirror, and cancel a
        running check of the unit now (its result would be stale). `seq`: the arrival number of the
        notification that asked (handlers resolve the workspace in a worker thread, so their requests
        can reach here out of order): a request older than the last one of the unit is dropped — a
        keystroke's check must not replace the check of the save that followed it."""
        unit = unit if isinstance(unit, Unit) else Unit(unit)
        if seq is not None:
            if seq < self._seq.get(unit, -1):
                return
            self._seq[unit] = seq
        if not live:
            self.requested_ns[unit.root] = time.time_ns()
        old = self._pending.pop(unit, None)
        if old is not None:
            old.cancel()
        s = self.ls.settings_for(unit.root)
        if delay_ms is None:
            delay_ms = s.check.type_debounce_ms if live else s.check.debounce_ms
        if live and (running := self._running.get(unit)) is not None:
            running[1].cancel()
        self._requested_at[unit] = (time.perf_counter(), delay_ms)
        self._pending[unit] = asyncio.get_running_loop().create_task(self._after(unit, reason, delay_ms, live))

    def cancel_running(self) -> None:
        """Cancel the running checks (their cargo process groups are killed); safe from any thread."""
        for _, c in list(self._running.values()):
            c.cancel()

    def cancel_all(self) -> None:
        """Cancel pending and running checks (shutdown) and release the live mirrors."""
        for t in self._pending.values():
            t.cancel()
        for _, c in self._running.values():
            c.cancel()
        with self._mirrors_lock:
            mirrors, self._mirrors = self._mirrors, {}
        for m in mirrors.values():
            if m.lock.acquire(timeout=5):  # a check still syncing finishes first
                m.close()
                m.lock.release()

    def disk_changed(self, path: Path) -> None:
        """A file at `path` changed on disk (saved, or changed outside the editor): the live mirrors of
        the workspaces containing it sync everything before their next check."""
        for root, m in list(self._mirrors.items()):
            if path == root or path.is_relative_to(root):
                m.disk_changed()

    async def _after(self, unit: Unit, reason: str, delay_ms: int, live: bool) -> None:
        await asyncio.sleep(delay_ms / 1000)
        if self._pending.get(unit) is asyncio.current_task():
            del self._pending[unit]
        running = self._running.get(unit)
        if running is not None:
            task, cancel = running
            cancel.cancel()
            await asyncio.wait({task})
        await self._check(unit, reason, live, self._requested_at.get(unit))

    def _mirror(self, root: Path) -> LiveMirror:
        with self._mirrors_lock:
            if root not in self._mirrors:
                self._mirrors[root] = LiveMirror(root)
            return self._mirrors[root]

    def _live_check(self, unit: Unit, s: Settings, buffers: dict[str, Buffer],
                    cancel: Cancellation, timings: dict[str, float]) -> tuple[CheckResult, Path]:
        """Bring the live mirror up to date with the workspace and `buffers` and check there (blocking:
        a worker thread). Returns the result and the mirror's root."""
        live = self._mirror(unit.root)
        with live.lock:
            if cancel.cancelled:
                raise CheckCancelledError("cancelled")
            t0 = time.perf_counter()
            timings["full_sync"] = float(live.update({rel: b.data for rel, b in buffers.items()}))
            timings["sync"] = (time.perf_counter() - t0) * 1000
            return live.mirror.check(cancel, unit.options(s)), live.mirror.root

    async def _check(self, unit: Unit, reason: str, live: bool = False,
                     requested: tuple[float, int] | None = None) -> None:
        t_start = time.perf_counter()
        t_req, debounce = requested or (t_start, 0)
        timings = {"debounce": float(debounce), "wait": (t_start - t_req) * 1000 - debounce, "sync": 0.0}
        me = asyncio.current_task()
        cancel = Cancellation()
        self._running[unit] = (me, cancel)
        self.started += 1
        root = unit.root
        s = self.ls.settings_for(root)
        buffers = self.ls.buffers(root) if live or s.check.on_type else {}
        if not live and buffers and self.ls.overrides(root, buffers):
            # open buffers hold unsaved text: diagnostics of their files on disk would not match what
            # the editor shows (ranges, errors), so this check too runs on the buffers in the mirror
            live = True
        title = f"cargo {s.check.command[0] if s.check.command else 'check'}"
        where = f"{unit}, unsaved buffers" if live else str(unit)
        self.ls.log(f"{title} #{self.started} in {where} ({reason})", types.MessageType.Log)
        buffers = buffers if live else {}
        t0 = time.perf_counter()
        # cargo starts now; the progress token's round trip to the client overlaps it
        work = asyncio.ensure_future(
            asyncio.to_thread(self._live_check, unit, s, buffers, cancel, timings) if live
            else asyncio.to_thread(lambda: (run_check(root, unit.options(s), cancel=cancel), root)))
        try:
            async with self.ls.progress(title, where, cancel):
                timings["progress"] = (time.perf_counter() - t_start) * 1000
                try:
                    res, at = await work
                    timings["cargo"] = float(res.elapsed_ms)
                    timings["spawn"] = res.spawn_ms
                    timings["parse"] = res.parse_ms
                    timings["handoff"] = ((time.perf_counter() - t0) * 1000 - res.elapsed_ms
                                                - timings["sync"])
                except CheckCancelledError as e:
                    if not cancel.cancelled:  # killed from outside, not by us
                        self.ls.problem(f"{title} in {unit} stopped: {e}")
                    return
                except CargoManifestError as e:
                    self.ls.problem(f"{unit}: {e}")
                    self._publish_manifest_error(unit, str(e))
                    return
                except FerrofixError as e:
                    self.ls.problem(f"{title} in {unit}: {e}")
                    return
                stale = [b.uri for b in buffers.values() if self.ls.version_of(b.uri) != b.version]
                if stale:
                    self.ls.log(f"{title} #{self.started}: buffers changed while checking "
                                f"({len(stale)}), result dropped", types.MessageType.Log)
                    return
                versions = {b.uri: b.version for b in buffers.values()}
                # before the progress ends: "finished" means published
                self.publish(unit, res, checked_at=at if live else None,
                             versions=versions if live else None, timings=timings)
                timings["total"] = (time.perf_counter() - t_req) * 1000
                self.last_timings = timings
                self.ls.log("check timings (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()),
                            types.MessageType.Log)
        finally:
            if not work.done():  # this task was cancelled: stop cargo, let the thread end on its own
                cancel.cancel()
                work.add_done_callback(lambda f: f.cancelled() or f.exception())
            if self._running.get(unit, (None,))[0] is me:
                del self._running[unit]
            self.finished_ns[root] = time.time_ns()

    def publish(self, unit: Unit, res: CheckResult, checked_at: Path | None = None,
                versions: dict[str, int] | None = None, timings: dict[str, float] | None = None) -> None:
        """Publish a finished check: the files whose diagnostics changed, and `[]` for files that became
        clean. A file whose diagnostics are the same as last time is not sent again (the client still
        shows them; its entries, and so the ids in `data`, are kept). `checked_at` and `versions`: a
        live check's mirror root and the buffer versions it saw (`build_entries`); `timings` gets
        "convert" and "publish" (ms)."""
        timings = timings if timings is not None else {}
        root = unit.root
        t0 = time.perf_counter()
        entries = build_entries(root, res, self.ls.store, checked_at,
                                (lambda e: self.ls.versioned(e, versions)) if versions else None)
        t1 = time.perf_counter()
        old = self.ls.store.by_root.get(unit, {})
        unchanged = set()
        for uri, es in entries.items():
            prev = old.get(uri)
            if prev is not None and [_without_data(e.lsp) for e in prev] == [_without_data(e.lsp) for e in es]:
                entries[uri] = prev
                unchanged.add(uri)
        gone = self.ls.store.replace(unit, entries)
        for uri in sorted(gone):
            self.ls.publish(uri, [])
        for uri, es in entries.items():
            if uri not in unchanged:
                self.ls.publish(uri, [e.lsp for e in es])
        timings["convert"] = (t1 - t0) * 1000
        timings["publish"] = (time.perf_counter() - t1) * 1000
        n_err = len(res.errors)
        self.ls.log(f"{unit}: {n_err} error(s), {len(res.diagnostics) - n_err} warning(s) "
                    f"in {res.elapsed_ms} ms", types.MessageType.Info)

    def _publish_manifest_error(self, unit: Unit, message: str) -> None:
        root = unit.root
        lsp = types.Diagnostic(types.Range(types.Position(0, 0), types.Position(0, 0)), message,
                               severity=types.DiagnosticSeverity.Error, source=convert.SOURCE,
                               data={"id": self.ls.store.next_id(), "root": str(root)})
        uri = convert.uri_of(root / "Cargo.toml")
        gone = self.ls.store.replace(unit, {uri: [Entry(None, lsp, root)]})
        for u in sorted(gone):
            self.ls.publish(u, [])
        self.ls.publish(uri, [lsp])
