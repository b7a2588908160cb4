"""Registers the language server's features: each handler converts params, calls the state object or
a module named after what it does, and converts the result."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from ferrofix.errors import CheckCancelledError, FerrofixError

from . import actions, convert
from .aifix import ERROR_CODE, hover_markdown
from .state import FerrofixServer

server = FerrofixServer()


def _arguments(ls: FerrofixServer, usage: str, values: Sequence[Any], *kinds: type, optional: int = 0) -> list:
    """`values` as `kinds` (a builtin type is checked, an lsprotocol type structured; the last `optional`
    may be missing), else InvalidParams with the one line `usage`: the client's mistake, answered as
    such, not an internal error with a traceback."""
    if not len(kinds) - optional <= len(values) <= len(kinds):
        raise JsonRpcInvalidParams(usage)
    out = []
    for value, kind in zip(values, kinds):
        if attrs.has(kind):
            try:
                value = ls.protocol.from_json(value, kind)
            except Exception:
                raise JsonRpcInvalidParams(usage) from None
        elif not isinstance(value, kind):
            raise JsonRpcInvalidParams(usage)
        out.append(value)
    return out


@server.feature(types.INITIALIZE)
def initialize(ls: FerrofixServer, params: types.InitializeParams) -> None:
    """Read the settings file and `initializationOptions`."""
    ls.load_settings(params.initialization_options)


@server.feature(types.INITIALIZED)
async def initialized(ls: FerrofixServer, params: types.InitializedParams) -> None:
    """Pull the client's configuration, start watching files, find the cargo workspaces and check them."""
    await ls.pull_configuration()
    folders = ls.folders()
    await ls.watcher.start(folders)
    for folder in folders:
        await ls.discover(folder)


@server.feature(types.SHUTDOWN)
def shutdown(ls: FerrofixServer, params: None) -> None:
    """Cancel checks and AI fixes and stop the file watchers."""
    ls.cancel_work()
    ls.watcher.stop()


@server.feature(types.EXIT)
def exit_(ls: FerrofixServer, params: None) -> None:
    """Before pygls ends the process: stop all work, so that no thread keeps it alive waiting on cargo
    (with or without a `shutdown` first)."""
    ls.stop_work()


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(ls: FerrofixServer, params: types.DidChangeConfigurationParams) -> None:
    """Re-read the `ferrofix` configuration (pulled, or pushed in the notification)."""
    ws = ls.client_capabilities.workspace
    if ws and ws.configuration:
        await ls.pull_configuration()
    else:
        ls.apply_configuration(None, params.settings)
    ls.log("configuration updated", types.MessageType.Info)


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
async def did_change_folders(ls: FerrofixServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
    """Forget removed folders (their diagnostics are cleared); discover and check added ones."""
    for f in params.event.removed:
        if (path := convert.path_of(f.uri)) is not None:
            ls.forget_folder(path.resolve())
    for f in params.event.added:
        if (path := convert.path_of(f.uri)) is not None:
            ls.watcher.add(path.resolve())
            await ls.discover(path.resolve())


@server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
async def did_save(ls: FerrofixServer, params: types.DidSaveTextDocumentParams) -> None:
    """A saved `.rs`, `Cargo.toml` or `Cargo.lock`: check its cargo workspace (debounced)."""
    if (path := convert.path_of(params.text_document.uri)) is not None:
        await ls.on_file_changed(path, f"saved {path.name}")


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
async def did_open(ls: FerrofixServer, params: types.DidOpenTextDocumentParams) -> None:
    """A buffer opened with text that differs from its file (edited before the server started, or
    restored unsaved): check that text as if typed."""
    await ls.on_buffer_opened(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: FerrofixServer, params: types.DidChangeTextDocumentParams) -> None:
    """An edit in an open buffer (pygls has applied it to the document): with `check.onType`, check
    the unsaved text once typing pauses."""
    await ls.on_buffer_changed(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
async def did_close(ls: FerrofixServer, params: types.DidCloseTextDocumentParams) -> None:
    """A buffer closed with unsaved edits: its file on disk counts again; check it."""
    await ls.on_buffer_closed(params.text_document.uri)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def did_change_watched_files(ls: FerrofixServer, params: types.DidChangeWatchedFilesParams) -> None:
    """Files changed outside the editor: check their workspaces (debounced)."""
    for change in params.changes:
        if (path := convert.path_of(change.uri)) is not None:
            await ls.on_file_changed(path, "changed on disk", external=True)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
    code_action_kinds=[types.CodeActionKind.QuickFix, actions.FIX_ALL_KIND], resolve_provider=True))
def code_action(ls: FerrofixServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Quick fixes, Fix with local AI and Explain for the context's diagnostics (a lookup)."""
    return actions.code_actions(ls, params)


@server.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: FerrofixServer, action: types.CodeAction) -> types.CodeAction:
    """Fill in a Fix-with-local-AI action: a verified WorkspaceEdit, or a message why there is none."""
    data = action.data if isinstance(action.data, dict) else {}
    if data.get("kind") == actions.FIX_ALL:
        (uri,) = _arguments(ls, f"{types.CODE_ACTION_RESOLVE}: a {actions.FIX_ALL} action's data takes (uri)",
                            [data.get("uri")], str)
        try:
            action.edit, _ = await ls.run_fix_all(await _roots_for(ls, uri), use_llm=False)
        except CheckCancelledError:
            ls.log("fix all cancelled", types.MessageType.Info)
        return action
    if data.get("kind") != actions.AI_FIX:
        return action
    usage = f"{types.CODE_ACTION_RESOLVE}: an {actions.AI_FIX} action's data takes (uri, diagnostic)"
    uri, diag = _arguments(ls, usage, [data.get("uri"), data.get("diagnostic")], str, types.Diagnostic)
    try:
        result = await ls.run_ai_fix(uri, diag)
    except CheckCancelledError:
        ls.log("AI fix cancelled", types.MessageType.Info)
        return action
    if result.edit is None:
        ls.problem(result.message)
        return action
    action.edit = result.edit
    action.command = types.Command(title="Record the accepted fix", command=actions.CMD_RECORD, arguments=[result.record])
    return action


@server.command(actions.CMD_FIX)
async def fix_with_ai(ls: FerrofixServer, *args: Any) -> dict:
    """For clients without `codeAction/resolve`: fix, apply through `workspace/applyEdit`, record."""
    uri, diag = _arguments(ls, f"{actions.CMD_FIX} takes (uri, diagnostic)", args, str, types.Diagnostic)
    try:
        result = await ls.run_ai_fix(uri, diag)
    except CheckCancelledError:
        return {"applied": False, "message": "cancelled"}
    if result.edit is None:
        ls.problem(result.message)
        return {"applied": False, "message": result.message}
    applied = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(result.edit, label="ferrofix AI fix"))
    if applied.applied and result.record:
        await ls.record_accepted(result.record)
    return {"applied": bool(applied.applied), "message": result.message}


async def _roots_for(ls: FerrofixServer, uri: str | None) -> list[Path]:
    """The cargo workspace of the file `uri` (in the workspace folders), else every workspace of every
    folder."""
    path = convert.path_of(uri) if uri else None
    if path is not None and ls.in_scope(path):
        try:
            return [await asyncio.to_thread(ls.workspaces.root_for, path)]
        except FerrofixError:
            pass
    roots: list[Path] = []
    for folder in ls.folders():
        roots += await ls.discover(folder, check=False)
    return roots


@server.command(actions.CMD_FIX_ALL)
async def fix_all(ls: FerrofixServer, *args: Any) -> dict:
    """`ferrofix.server.fixAll([uri[, useModel]])`: "Fix all errors in workspace" — the repair loop (the
    model too, unless `useModel` is false) on the workspace of `uri` (every workspace when absent),
    applied as one WorkspaceEdit through `workspace/applyEdit`. Returns `{applied, message}`."""
    usage = f"{actions.CMD_FIX_ALL} takes ([uri[, useModel]])"
    values = _arguments(ls, usage, args, str, bool, optional=2)
    uri = values[0] if values else None
    use_llm = values[1] if len(values) > 1 else True
    try:
        edit, message = await ls.run_fix_all(await _roots_for(ls, uri), use_llm=bool(use_llm))
    except CheckCancelledError:
        return {"applied": False, "message": "cancelled"}
    if edit is None:
        return {"applied": False, "message": message}
    applied = await ls.workspace_apply_edit_async(types.ApplyWorkspaceEditParams(edit, label="ferrofix: fix all"))
    return {"applied": bool(applied.applied), "message": message}


@server.command(actions.CMD_RECORD)
async def record_accepted(ls: FerrofixServer, *args: Any) -> dict:
    """`ferrofix.server.recordAccepted(record)`: store an accepted fix as pending. Returns `{recorded, id, new}`."""
    (record,) = _arguments(ls, f"{actions.CMD_RECORD} takes (record)", args, dict)
    return await ls.record_accepted(record)


@server.command(actions.CMD_EXPLAIN)
async def explain(ls: FerrofixServer, *args: Any) -> dict:
    """`ferrofix.server.explain(code, message)`: write the explanation page and show it. Returns `{uri}`."""
    usage = f"{actions.CMD_EXPLAIN} takes (code[, message])"
    code, *message = _arguments(ls, usage, args, str, str, optional=1)
    if not ERROR_CODE.match(code):
        ls.problem(f"not an error code: {code!r}")
        return {"uri": None}
    try:
        uri = await ls.explain_page(code, message[0] if message else "")
    except Exception as e:  # rustc missing or an unknown code: a message, not a crash
        ls.problem(f"cannot explain {code}: {e}")
        return {"uri": None}
    w = ls.client_capabilities.window
    if w and w.show_document and w.show_document.support:
        await ls.window_show_document_async(types.ShowDocumentParams(uri, take_focus=True))
    else:
        ls.window_show_message(types.ShowMessageParams(types.MessageType.Info, f"{code}: see {uri}"))
    return {"uri": uri}


@server.command(actions.CMD_CHECK)
async def check_workspace(ls: FerrofixServer, *args: Any) -> None:
    """`ferrofix.server.checkWorkspace`: check every cargo workspace of every folder now (also when
    `check.onSave` is off: the user asked)."""
    for folder in ls.folders():
        for root in await ls.discover(folder, check=False):
            ls.checks.request(root, "check requested")


@server.feature(types.TEXT_DOCUMENT_HOVER)
async def hover(ls: FerrofixServer, params: types.HoverParams) -> types.Hover | None:
    """The explanation's first paragraph for an error under the cursor, or None."""
    for e in ls.store.at(params.text_document.uri, params.position):
        code = e.lsp.code if isinstance(e.lsp.code, str) else None
        if code and ERROR_CODE.match(code):
            md = await asyncio.to_thread(hover_markdown, e.lsp.message, code)
            return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, md), range=e.lsp.range)
    return None
