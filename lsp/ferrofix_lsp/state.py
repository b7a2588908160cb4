"""The ferrofix language server's state: settings, workspaces, checks, published diagnostics, progress.

Handlers convert params, call `ferrofix` (through `checks`, `aifix`, `convert`) and convert the
result. Blocking work (cargo, the model, the knowledge base) runs in worker threads; the event loop
only schedules. Nothing but the protocol goes to stdout (see `__main__`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from ferrofix import __version__, procs
from ferrofix import settings as settings_mod
from ferrofix.cargo import Cancellation, cache_dir
from ferrofix.errors import CheckCancelledError, FerrofixError, NotACargoProjectError, SettingsError
from ferrofix.settings import Settings

from . import aifix, convert
from .checks import Buffer, CheckScheduler, DiagnosticStore, Unit
from .protocol import FerrofixProtocol
from .watch import Watcher
from .workspaces import WorkspaceMap, is_ignored

log = logging.getLogger("ferrofix_lsp")

CHECKED_NAMES = ("Cargo.toml", "Cargo.lock")


class FerrofixServer(LanguageServer):
    """Server state: settings (TOML file, then initializationOptions, then `workspace/configuration`
    per folder), the cargo workspace map, the check scheduler, what was published, the KB handle."""

    def __init__(self) -> None:
        super().__init__("ferrofix", __version__, protocol_cls=FerrofixProtocol,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental, max_workers=4)
        self.file_settings = Settings()
        self.settings = Settings()
        self.folder_settings: dict[Path, Settings] = {}
        self.init_options: dict[str, Any] = {}
        self.workspaces = WorkspaceMap()
        self.store = DiagnosticStore()
        self.checks = CheckScheduler(self)
        self.watcher = Watcher(self)
        self._warned: set[str] = set()
        self._kb = None
        self._kb_failed = False
        self._busy: list[str] = []
        self._fixes: set[Cancellation] = set()  # of the AI fixes running
        #: URIs of open buffers edited since their last save
        self.edited: set[str] = set()
        #: numbers the document and file notifications in their order of arrival (`CheckScheduler.request`)
        self.arrivals = itertools.count()

    def cancel_work(self) -> None:
        """Cancel every pending and running check and every AI fix (call on the event loop's thread)."""
        self.checks.cancel_all()
        for c in list(self._fixes):
            c.cancel()

    def stop_work(self) -> int:
        """`cancel_work`, then `end_soon`: the client said `exit`. Returns the process groups killed."""
        self.cancel_work()
        return self.end_soon()

    def end_soon(self, grace_s: float = 3.0) -> int:
        """The client is gone: kill every child process group and cancel the running work now, and end
        the process after `grace_s` seconds (a hard limit: a model answer still decoding in a thread
        cannot hold it). Safe from any thread. Returns the number of process groups killed."""
        for c in list(self._fixes):
            c.cancel()
        self.checks.cancel_running()
        killed = procs.kill_all()

        def hard_exit() -> None:
            procs.kill_all()
            logging.shutdown()
            os._exit(0 if self.protocol._shutdown else 1)
        timer = threading.Timer(grace_s, hard_exit)
        timer.daemon = True
        timer.start()
        return killed

    # -- settings ------------------------------------------------------------------------------
    def load_settings(self, init_options: Any) -> None:
        """Settings file, then `initializationOptions` (the `ferrofix` section or the object itself)."""
        try:
            self.file_settings = settings_mod.load()
        except SettingsError as e:
            self.warn_once(str(e))
            self.file_settings = Settings()
        self.warn_all(self.file_settings.warnings)
        self.init_options = _section(init_options)
        self.settings = settings_mod.from_dict(self.init_options, base=self.file_settings)
        self.warn_all(self.settings.warnings)

    def apply_configuration(self, folder: Path | None, config: Any) -> None:
        """Client configuration (the `ferrofix` section) for one folder, or for all when None."""
        base = settings_mod.from_dict(self.init_options, base=self.file_settings)
        s = settings_mod.from_dict(_section(config), base=base) if isinstance(_section(config), dict) else base
        self.warn_all(s.warnings)
        if folder is None:
            self.settings = s
        else:
            self.folder_settings[folder] = s

    async def pull_configuration(self) -> None:
        """Ask the client for the `ferrofix` section (`workspace/configuration`), globally and per
        folder; clients without that request keep the initialization options."""
        ws = self.client_capabilities.workspace
        if not (ws and ws.configuration):
            return
        folders = self.folders()
        items = [types.ConfigurationItem(section="ferrofix")] + [
            types.ConfigurationItem(scope_uri=convert.uri_of(f), section="ferrofix") for f in folders]
        try:
            results = await asyncio.wait_for(self.workspace_configuration_async(types.ConfigurationParams(items)), 10)
        except Exception as e:
            log.info("workspace/configuration failed: %s", e)
            return
        for folder, config in zip([None, *folders], results or []):
            self.apply_configuration(folder, config)

    def settings_for(self, root: Path) -> Settings:
        """The settings of the editor folder containing `root` (the global ones when none does)."""
        best = None
        for folder in self.folder_settings:
            if root == folder or folder in root.parents:
                if best is None or len(folder.parts) > len(best.parts):
                    best = folder
        return self.folder_settings[best] if best is not None else self.settings

    def warn_all(self, warnings: list[str]) -> None:
        """Show each settings warning once."""
        for w in warnings:
            self.warn_once(f"settings: {w}")

    def warn_once(self, message: str) -> None:
        """Show `message` through `window/showMessage` the first time only."""
        if message not in self._warned:
            self._warned.add(message)
            self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, f"ferrofix: {message}"))
            log.warning(message)

    # -- messages, progress ---------------------------------------------------------------------
    def log(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        """A line for the client's log (`window/logMessage`); stderr gets it at DEBUG only, since clients
        such as vscode-languageclient write the server's stderr into the same log."""
        log.debug(message)
        self.window_log_message(types.LogMessageParams(kind, message))

    def problem(self, message: str) -> None:
        """Something the user should see (`window/showMessage`, Warning)."""
        log.warning(message)
        self.window_show_message(types.ShowMessageParams(types.MessageType.Warning, f"ferrofix: {message}"))
        self.status(error=message)

    def publish(self, uri: str, diagnostics: list[types.Diagnostic]) -> None:
        """`textDocument/publishDiagnostics` with the document's version when it is open."""
        doc = self.workspace.text_documents.get(uri)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=diagnostics, version=doc.version if doc is not None else None))

    def _supports_progress(self) -> bool:
        w = self.client_capabilities.window
        return bool(w and w.work_done_progress)

    @contextlib.asynccontextmanager
    async def progress(self, title: str, message: str, cancel: Cancellation):
        """Work-done progress (`$/progress`) around a block, cancellable by the client (which sets
        `cancel`). Yields `report(message)`, callable from any thread. A no-op for clients without
        `window.workDoneProgress`."""
        loop = asyncio.get_running_loop()
        self._busy.append(title)
        self.status()
        token: str | None = None
        if self._supports_progress():
            token = f"ferrofix-{uuid.uuid4()}"
            try:
                await asyncio.wait_for(self.work_done_progress.create_async(token), 10)
            except Exception as e:  # the client refused or did not answer: carry on without
                log.info("no progress token: %s", e)
                token = None
        if token is not None:
            self.work_done_progress.begin(token, types.WorkDoneProgressBegin(title, message=message, cancellable=True))
            fut = self.work_done_progress.tokens.get(token)
            if fut is not None:
                fut.add_done_callback(lambda f: cancel.cancel() if f.cancelled() else None)

        def report(msg: str) -> None:
            if token is not None:
                loop.call_soon_threadsafe(self.work_done_progress.report, token,
                                          types.WorkDoneProgressReport(message=msg[:120]))
        try:
            yield report
        finally:
            if token is not None:
                self.work_done_progress.end(token, types.WorkDoneProgressEnd())
                self.work_done_progress.tokens.pop(token, None)
            self._busy.remove(title)
            self.status()

    def status(self, error: str = "") -> None:
        """Tell the client what the server is doing (`ferrofix/status` notification, for a status bar):
        `{"state": "idle" | "checking" | "fixing" | "error", "model": str, "message": str}`."""
        fixing = any("fixing" in t for t in self._busy)
        state = "error" if error else "fixing" if fixing else "checking" if self._busy else "idle"
        model = self.settings.llm.model or "default model"
        self.protocol.notify("ferrofix/status", {"state": state, "model": Path(model).stem if fixing else "",
                                                 "message": error})

    # -- workspaces ---------------------------------------------------------------------------
    def folders(self) -> list[Path]:
        """The editor's workspace folders as resolved paths (the root path for clients without folders)."""
        out = []
        for f in self.workspace.folders.values():
            p = convert.path_of(f.uri)
            if p is not None:
                out.append(p.resolve())
        if not out and self.workspace.root_path:
            out.append(Path(self.workspace.root_path).resolve())
        return out

    def in_scope(self, path: Path | None) -> bool:
        """Whether `path` lies inside one of the editor's workspace folders: the server checks, fixes
        and offers actions only there (a file opened from elsewhere may carry a build script)."""
        if path is None:
            return False
        try:
            path = path.resolve()
        except (OSError, ValueError):  # a NUL byte, a loop of links: no file of ours
            return False
        return any(path == f or path.is_relative_to(f) for f in self.folders())

    async def discover(self, folder: Path, check: bool = True) -> list[Path]:
        """Find the cargo workspaces in an editor folder and (when checks are on) check each."""
        try:
            roots = await asyncio.to_thread(self.workspaces.roots_in, folder)
        except FerrofixError as e:
            self.problem(str(e))
            return []
        if not roots:
            self.problem(f"no Cargo.toml in {folder}; nothing to check there")
        for root in roots:
            if check and self.settings_for(root).check.on_save:
                self.checks.request(root, "workspace opened")
        return roots

    def forget_folder(self, folder: Path) -> None:
        """An editor folder was removed: stop watching it and clear its workspaces' diagnostics."""
        self.watcher.remove(folder)
        self.folder_settings.pop(folder, None)
        for unit in [u for u in self.store.by_root if u.root == folder or folder in u.root.parents]:
            for uri in sorted(self.store.replace(unit, {})):
                self.publish(uri, [])
            del self.store.by_root[unit]

    async def record_accepted(self, record: dict) -> dict:
        """Record an accepted AI fix in the knowledge base as `pending` (`ferrofix.server.recordAccepted`)."""
        def add() -> dict:
            kb = self.kb()
            if kb is None:
                return {"recorded": False, "message": "knowledge base unavailable"}
            rid, new = kb.record_accepted(code=str(record.get("code", "")), message=str(record.get("message", "")),
                                          before=str(record.get("before", "")), after=str(record.get("after", "")),
                                          tags=[f"file:{record['file']}"] if record.get("file") else [],
                                          front="lsp")
            return {"recorded": True, "id": rid, "new": new}
        try:
            result = await asyncio.to_thread(add)
        except (FerrofixError, ValueError) as e:  # KB errors; RecordError for a malformed record
            result = {"recorded": False, "message": str(e)}
        self.log(f"accepted fix recorded: {result}", types.MessageType.Info)
        return result

    async def unit_for(self, root: Path, path: Path) -> Unit:
        """The check unit a change of `path` (in the workspace at `root`) asks for: the workspace, or
        with `check.scope = "package"` the package of `path` (the workspace when it has none)."""
        if self.settings_for(root).check.scope == "package":
            try:
                package = await asyncio.to_thread(self.workspaces.package_for, path)
            except FerrofixError:
                package = None
            if package is not None:
                return Unit(root, package)
        return Unit(root)

    async def on_buffer_changed(self, uri: str, seq: int | None = None) -> None:
        """An open `.rs` buffer changed (`didChange`): with `check.on_type` (and `check.on_save`) on,
        check the open buffers' text in the live mirror once typing pauses (`check.type_debounce_ms`).
        `seq`: the notification's arrival number (taken now when not given)."""
        seq = next(self.arrivals) if seq is None else seq
        path = convert.path_of(uri)
        if path is None or path.suffix != ".rs" or not self.in_scope(path):
            return
        try:
            root = await asyncio.to_thread(self.workspaces.root_for, path)
        except FerrofixError:
            return
        with contextlib.suppress(ValueError):
            if is_ignored(path.resolve().relative_to(root)):
                return
        s = self.settings_for(root)
        if not (s.check.on_type and s.check.on_save):
            return
        self.edited.add(uri)
        self.checks.request(await self.unit_for(root, path), f"edited {path.name}", live=True, seq=seq)

    async def on_buffer_opened(self, uri: str) -> None:
        """An opened buffer whose text differs from its file on disk is checked like an edited one."""
        seq = next(self.arrivals)
        path, doc = convert.path_of(uri), self.workspace.text_documents.get(uri)
        if path is None or doc is None or path.suffix != ".rs":
            return
        try:
            differs = await asyncio.to_thread(path.read_bytes) != doc.source.encode("utf-8")
        except OSError:
            return
        if differs:
            await self.on_buffer_changed(uri, seq)

    async def on_buffer_closed(self, uri: str) -> None:
        """An open buffer was closed: when it had been edited since its last save, its text on disk is
        what counts again — check its workspace."""
        if uri in self.edited:
            self.edited.discard(uri)
            if (path := convert.path_of(uri)) is not None:
                await self.on_file_changed(path, f"closed {path.name}")

    def buffers(self, root: Path) -> dict[str, Buffer]:
        """The open `.rs` buffers under `root`: workspace-relative posix path → Buffer (URI, version,
        UTF-8 text)."""
        out = {}
        for uri, doc in list(self.workspace.text_documents.items()):
            p = convert.path_of(uri)
            if p is None or p.suffix != ".rs":
                continue
            try:
                rel = p.resolve().relative_to(root).as_posix()
            except (ValueError, OSError):
                continue
            out[rel] = Buffer(uri, doc.version or 0, doc.source.encode("utf-8"))
        return out

    def version_of(self, uri: str) -> int | None:
        """The version of the open document `uri` (None when it is not open)."""
        doc = self.workspace.text_documents.get(uri)
        return (doc.version or 0) if doc is not None else None

    def versioned(self, edit: types.WorkspaceEdit, versions: dict[str, int]) -> types.WorkspaceEdit:
        """`edit` carrying the versions of the documents it was computed on (`convert.versioned`), for
        clients that take `documentChanges`; unchanged for the others."""
        ws = self.client_capabilities.workspace
        we = ws.workspace_edit if ws else None
        return convert.versioned(edit, versions) if we and we.document_changes else edit

    async def on_file_changed(self, path: Path, reason: str, external: bool = False) -> None:
        """A saved or externally changed file inside the workspace folders: check its cargo workspace
        (debounced)."""
        seq = next(self.arrivals)
        with contextlib.suppress(OSError, ValueError):
            self.checks.disk_changed(path.resolve())
        if not (path.suffix == ".rs" or path.name in CHECKED_NAMES) or not self.in_scope(path):
            return
        if path.name in CHECKED_NAMES:
            self.workspaces.invalidate()
        try:
            root = await asyncio.to_thread(self.workspaces.root_for, path)
        except NotACargoProjectError:
            return
        except FerrofixError as e:
            self.problem(str(e))
            return
        with contextlib.suppress(ValueError):
            if is_ignored(path.resolve().relative_to(root)):
                return
        s = self.settings_for(root)
        if not s.check.on_save:
            return
        if not external:
            self.edited.discard(convert.uri_of(path))
        unit = await self.unit_for(root, path)
        if external:
            try:
                mtime = path.stat().st_mtime_ns
            except OSError:
                mtime = None  # deleted
            if mtime is not None:
                if mtime <= self.checks.requested_ns.get(root, 0):
                    return  # a check that sees this change is already asked for (our own save)
                if path.name == "Cargo.lock" and (self.checks.checking(root)
                                                  or mtime <= self.checks.finished_ns.get(root, 0)):
                    return  # cargo itself wrote the lock file during our check
            self.checks.request(unit, reason, delay_ms=max(s.check.debounce_ms, 200), seq=seq)
        else:
            self.checks.request(unit, reason, seq=seq)

    def overrides(self, root: Path, buffers: dict[str, Buffer] | None = None) -> dict[str, bytes]:
        """Unsaved editor buffers under `root` whose text differs from disk (relative path → bytes), of
        `buffers` (`buffers(root)`, collected here when not given)."""
        out = {}
        for rel, b in (self.buffers(root) if buffers is None else buffers).items():
            with contextlib.suppress(OSError):
                if (root / rel).read_bytes() != b.data:
                    out[rel] = b.data
        return out

    def kb(self):
        """The knowledge base (opened once, lazily, in the caller's thread); None when it cannot be
        opened (said once)."""
        if self._kb is None and not self._kb_failed:
            from ferrofix import service
            try:
                self._kb = service.open_kb(self.settings)
            except FerrofixError as e:
                self._kb_failed = True
                log.warning("knowledge base unavailable: %s", e)
        return self._kb

    async def explain_page(self, code: str, message: str = "") -> str:
        """Write the explanation of `code` to a markdown file under the cache dir; returns its URI."""
        def build() -> str:
            text = aifix.explain_markdown(code, self.kb(), message)
            path = cache_dir() / "explanations" / f"{code}.md"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return convert.uri_of(path)
        return await asyncio.to_thread(build)

    async def run_fix_all(self, roots: list[Path], *, use_llm: bool) -> tuple[types.WorkspaceEdit | None, str]:
        """"Fix all": the repair loop on each workspace in `roots` (rustc's suggestions and the rules;
        the model too when `use_llm`), with progress, cancellable; the per-error trace goes to the log
        (the output channel). Returns one WorkspaceEdit for every verified change (None when there is
        none; versioned against the buffers it was computed on) and a summary line. Raises
        CheckCancelledError when cancelled."""
        changes: dict[str, list[types.TextEdit]] = {}
        versions: dict[str, int] = {}
        summary: list[str] = []
        codes: list[str] = []
        cancel = Cancellation()
        self._fixes.add(cancel)
        title = "ferrofix: fixing all errors" + (" with local AI" if use_llm else "")
        try:
            async with self.progress(title, ", ".join(r.name for r in roots), cancel) as report:
                for root in roots:
                    s = self.settings_for(root)
                    bufs = self.buffers(root)
                    versions.update({b.uri: b.version for b in bufs.values()})
                    kb = await asyncio.to_thread(self.kb) if use_llm and s.kb.examples > 0 else None
                    try:
                        result = await asyncio.to_thread(aifix.fix_all, root, s, self.overrides(root, bufs), report,
                                                         cancel, use_llm=use_llm, kb=kb)
                    except CheckCancelledError:
                        raise
                    except FerrofixError as e:
                        summary.append(f"{root.name}: {e}")
                        continue
                    for line in result.trace:
                        self.log(f"fix all [{root.name}] {line}")
                    summary.append(result.message)
                    codes += result.fixed_codes
                    if result.edit is not None and result.edit.changes:
                        for uri, edits in result.edit.changes.items():
                            changes.setdefault(uri, []).extend(edits)
        except asyncio.CancelledError:
            cancel.cancel()
            raise
        finally:
            self._fixes.discard(cancel)
        message = "; ".join(summary) or "no cargo workspace to fix"
        self.log(f"fix all: {message}", types.MessageType.Info)
        if not changes:
            return None, message
        from ferrofix import service
        await asyncio.to_thread(service.log_fixes, self.settings_for(roots[0]), codes, "offered", "lsp")
        return self.versioned(types.WorkspaceEdit(changes=changes), versions), message

    async def run_ai_fix(self, uri: str, diag: types.Diagnostic) -> aifix.AiFix:
        """Run "Fix with local AI" for one diagnostic with progress; cancellable by the request's
        cancellation or the progress' cancel button. Raises CheckCancelledError when cancelled."""
        path = convert.path_of(uri)
        if path is None:
            return aifix.AiFix(None, "only files on disk can be fixed")
        if not self.in_scope(path):
            return aifix.AiFix(None, f"{path} is outside the workspace folders: not fixed")
        try:
            root = await asyncio.to_thread(self.workspaces.root_for, path)
        except FerrofixError as e:
            return aifix.AiFix(None, str(e))
        s = self.settings_for(root)
        target = aifix.Target.from_lsp(path, diag)
        cancel = Cancellation()
        self._fixes.add(cancel)
        label = f"{target.code or 'error'} at {path.name}:{target.line + 1}"
        bufs = self.buffers(root)
        versions = {b.uri: b.version for b in bufs.values()}
        try:
            async with self.progress("ferrofix: fixing with local AI", label, cancel) as report:
                kb = await asyncio.to_thread(self.kb) if s.kb.examples > 0 else None
                result = await asyncio.to_thread(aifix.fix_with_ai, root, target, s, self.overrides(root, bufs),
                                                 report, cancel, kb)
        except asyncio.CancelledError:
            cancel.cancel()
            raise
        except FerrofixError as e:
            if isinstance(e, CheckCancelledError):
                raise
            return aifix.AiFix(None, f"no fix: {e}")
        finally:
            self._fixes.discard(cancel)
        self.log(f"AI fix for {label}: {result.message}", types.MessageType.Info)
        if result.edit is not None:
            # the buffers' versions it was computed on: a client does not apply it to newer text
            result.edit = self.versioned(result.edit, versions)
            from ferrofix import service
            await asyncio.to_thread(service.log_fixes, s, [target.code or ""], "offered", "lsp")
        return result


def _section(options: Any) -> dict:
    if isinstance(options, dict):
        inner = options.get("ferrofix")
        if isinstance(inner, dict):
            return inner
        return options
    return {}
