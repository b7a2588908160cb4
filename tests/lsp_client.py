"""A pytest-lsp client for the real ferrofix language server, with waits driven by notifications."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, LanguageClient

from ferrofix.diagnostics import Position, position_to_byte

WAIT_S = 240.0

#: tests/fixtures/moved_value's main.rs with E0382 (multibyte text before the error: UTF-16 columns
#: differ from bytes), and fixed.
BROKEN = """// A greeting with multibyte text: «héllo wörld» 🦀
fn main() {
    let greeting = String::from("héllo 🦀");
    let moved = greeting;
    println!("{} {}", greeting, moved);
}
"""
CLEAN = BROKEN.replace("let moved = greeting;", "let moved = greeting.clone();")
_WATCH = (types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, types.PROGRESS, types.WINDOW_SHOW_MESSAGE,
          types.WINDOW_LOG_MESSAGE, types.WINDOW_SHOW_DOCUMENT)


def capabilities(*, resolve: bool = True, progress: bool = True, watch: bool = False,
                 configuration: bool = True, show_document: bool = True,
                 document_changes: bool = True) -> types.ClientCapabilities:
    """Client capabilities like VS Code's (switches turn features off)."""
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            configuration=configuration, workspace_folders=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(document_changes=document_changes),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=watch)),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    types.ClientCodeActionKindOptions(value_set=[types.CodeActionKind.QuickFix])),
                data_support=True, is_preferred_support=True,
                resolve_support=types.ClientCodeActionResolveOptions(["edit"]) if resolve else None),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(
                related_information=True, version_support=True, code_description_support=True,
                data_support=True)),
        window=types.WindowClientCapabilities(
            work_done_progress=progress, show_document=types.ShowDocumentClientCapabilities(show_document)),
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf8,
                                                                    types.PositionEncodingKind.Utf16]),
    )


class Client:
    """The test's side of the conversation: the pytest-lsp client plus `until(predicate)`."""

    def __init__(self, lc: LanguageClient, event: asyncio.Event, published: dict[str, types.PublishDiagnosticsParams],
                 publish_log: list[str] | None = None):
        self.lc = lc
        self.event = event
        self.published = published
        #: the URI of every publishDiagnostics, in order
        self.publish_log = publish_log if publish_log is not None else []
        #: the server's answer to `initialize`
        self.initialize_result: types.InitializeResult | None = None
        #: every publishDiagnostics, in order
        self.history: list[types.PublishDiagnosticsParams] = []

    async def until(self, predicate: Callable[[], Any], timeout: float = WAIT_S) -> Any:
        """Wait until `predicate()` is truthy, re-checking after each notification from the server (and
        at least every 0.25 s, for state outside the protocol such as a scripted model's requests)."""
        deadline = time.monotonic() + timeout
        while not (value := predicate()):
            self.event.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
            try:
                await asyncio.wait_for(self.event.wait(), min(left, 0.25))
            except TimeoutError:
                pass
        return value

    def diagnostics(self, path: Path) -> list[types.Diagnostic] | None:
        p = self.published.get(path.resolve().as_uri())
        return None if p is None else list(p.diagnostics)

    def checks(self, finished: bool = False) -> int:
        """Number of cargo checks the server started (or finished), from their progress reports."""
        n = 0
        for reports in self.lc.progress_reports.values():
            if reports and isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].title.startswith("cargo"):
                if not finished or any(isinstance(r, types.WorkDoneProgressEnd) for r in reports):
                    n += 1
        return n

    async def code_actions(self, path: Path, diagnostics: list[types.Diagnostic],
                           rng: types.Range | None = None) -> list:
        """`textDocument/codeAction` for `diagnostics` in `path` (over the first one's range by default)."""
        rng = rng or diagnostics[0].range
        return list(await self.lc.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(path.resolve().as_uri()), rng, types.CodeActionContext(list(diagnostics)))))

    async def hover(self, path: Path, position: types.Position) -> types.Hover | None:
        """`textDocument/hover` at `position` in `path`."""
        return await self.lc.text_document_hover_async(types.HoverParams(
            types.TextDocumentIdentifier(path.resolve().as_uri()), position))

    def messages(self) -> list[str]:
        return [m.message for m in self.lc.messages]

    def save(self, path: Path, text: str | None = None) -> None:
        """Write `text` (when given) and send `didSave`, as an editor does."""
        if text is not None:
            path.write_text(text, encoding="utf-8")
        self.lc.text_document_did_save(types.DidSaveTextDocumentParams(
            types.TextDocumentIdentifier(path.resolve().as_uri())))

    def open(self, path: Path, version: int = 1, text: str | None = None) -> None:
        """`didOpen` with the file's text (or `text`: a buffer edited before it reached the server)."""
        self.lc.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            path.resolve().as_uri(), "rust", version, path.read_text(encoding="utf-8") if text is None else text)))

    def type(self, path: Path, text: str, version: int) -> None:
        """`didChange`: the open buffer of `path` now holds `text` at `version` (the file on disk is
        not written: an unsaved edit)."""
        self.lc.text_document_did_change(types.DidChangeTextDocumentParams(
            types.VersionedTextDocumentIdentifier(version=version, uri=path.resolve().as_uri()),
            [types.TextDocumentContentChangeWholeDocument(text=text)]))

    def version(self, path: Path) -> int | None:
        """The document version the last publishDiagnostics of `path` carried."""
        p = self.published.get(path.resolve().as_uri())
        return None if p is None else p.version


def apply_text_edits(data: bytes, edits: list[types.TextEdit]) -> bytes:
    """Apply LSP TextEdits (UTF-16 positions) to a file's bytes, back to front."""
    spans = []
    for e in edits:
        a = position_to_byte(data, Position(e.range.start.line, e.range.start.character))
        b = position_to_byte(data, Position(e.range.end.line, e.range.end.character))
        spans.append((a, b, e.new_text.encode("utf-8")))
    for a, b, new in sorted(spans, reverse=True):
        data = data[:a] + new + data[b:]
    return data


def edits_by_uri(edit: types.WorkspaceEdit) -> dict[str, tuple[int | None, list[types.TextEdit]]]:
    """A WorkspaceEdit's text edits per document URI with the version they were made for (None: the file
    on disk), from `changes` or `documentChanges`."""
    out: dict[str, tuple[int | None, list[types.TextEdit]]] = {}
    for uri, edits in (edit.changes or {}).items():
        out[uri] = (None, list(edits))
    for dc in edit.document_changes or ():
        assert isinstance(dc, types.TextDocumentEdit), f"not a text edit: {dc}"
        out[dc.text_document.uri] = (dc.text_document.version, list(dc.edits))
    return out


def apply_workspace_edit(edit: types.WorkspaceEdit) -> list[Path]:
    """Apply a WorkspaceEdit's text edits (`changes` or `documentChanges`) to the files on disk; returns
    the changed paths."""
    out = []
    for uri, (_, edits) in edits_by_uri(edit).items():
        p = Path(uri.removeprefix("file://"))
        p.write_bytes(apply_text_edits(p.read_bytes(), edits))
        out.append(p)
    return out


async def start(folders: list[Path], *, init_options: dict | None = None, caps: types.ClientCapabilities | None = None,
                configuration: dict | None = None) -> Client:
    """Start `python -m ferrofix_lsp` and initialize it with `folders` as workspace folders."""
    event = asyncio.Event()
    published: dict[str, types.PublishDiagnosticsParams] = {}
    publish_log: list[str] = []
    history: list[types.PublishDiagnosticsParams] = []
    lc = LanguageClient(converter_factory=default_converter, configuration=configuration)

    def wrap(method: str, fn):
        def handler(client: LanguageClient, params):
            if method == types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
                published[params.uri] = params
                publish_log.append(params.uri)
                history.append(params)
            result = fn(client, params)
            event.set()
            return result
        return handler

    for method, fn in DEFAULT_CLIENT_FEATURES.items():
        lc.feature(method)(wrap(method, fn) if method in _WATCH else fn)

    @lc.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(client: LanguageClient, params: types.RegistrationParams):
        client.registrations = getattr(client, "registrations", []) + list(params.registrations)
        event.set()

    @lc.feature(types.WORKSPACE_APPLY_EDIT)
    def apply_edit(client: LanguageClient, params: types.ApplyWorkspaceEditParams):
        apply_workspace_edit(params.edit)  # as an editor does, here straight to disk
        client.applied_edits = getattr(client, "applied_edits", []) + [params]
        event.set()
        return types.ApplyWorkspaceEditResult(applied=True)

    await lc.start_io(sys.executable, "-m", "ferrofix_lsp", env=dict(os.environ))
    result = await lc.initialize_session(types.InitializeParams(
        capabilities=caps or capabilities(),
        root_uri=folders[0].resolve().as_uri() if folders else None,
        workspace_folders=[types.WorkspaceFolder(f.resolve().as_uri(), f.name) for f in folders],
        initialization_options=init_options))
    client = Client(lc, event, published, publish_log)
    client.history = history
    client.initialize_result = result
    return client


async def stop(client: Client) -> None:
    await client.lc.shutdown_session()
    await client.lc.stop()
