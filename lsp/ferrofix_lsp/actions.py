"""Code actions for the diagnostics in a `textDocument/codeAction` context: the rustc quick fixes
computed when the check was published, "Fix with local AI" (an edit filled in by `codeAction/resolve`,
or a command for clients that cannot resolve edits) and "Explain EXXXX". A dictionary lookup: no
cargo, no model, no disk I/O in this request."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from . import convert
from .aifix import ERROR_CODE

if TYPE_CHECKING:
    from .state import FerrofixServer

#: The server's `workspace/executeCommand` ids, advertised in `executeCommandProvider`. They live in their
#: own `ferrofix.server.*` namespace: vscode-languageclient registers every advertised id as a VS Code
#: command, so an id the extension also contributes (`ferrofix.fixWithAI`, the user-facing command that
#: calls `CMD_FIX`) would make `client.start()` fail with "command already exists".
CMD_FIX = "ferrofix.server.fixWithAI"
CMD_RECORD = "ferrofix.server.recordAccepted"
CMD_EXPLAIN = "ferrofix.server.explain"
CMD_CHECK = "ferrofix.server.checkWorkspace"
CMD_FIX_ALL = "ferrofix.server.fixAll"
COMMANDS = (CMD_FIX, CMD_RECORD, CMD_EXPLAIN, CMD_CHECK, CMD_FIX_ALL)
AI_FIX = "ai-fix"
FIX_ALL = "fix-all"
#: The kind of the "fix all" source action, which `editor.codeActionsOnSave` can run on save.
FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.ferrofix"


def client_resolves_edits(ls: "FerrofixServer") -> bool:
    """True when the client can fill an action's `edit` through `codeAction/resolve`."""
    td = ls.client_capabilities.text_document
    ca = td.code_action if td else None
    rs = ca.resolve_support if ca else None
    return bool(rs and "edit" in rs.properties)


def _code(d: types.Diagnostic) -> str | None:
    return d.code if isinstance(d.code, str) else (str(d.code) if d.code is not None else None)


def code_actions(ls: "FerrofixServer", params: types.CodeActionParams) -> list[types.CodeAction]:
    """The actions for `params.context.diagnostics`, quick fixes first; none outside the workspace
    folders."""
    uri = params.text_document.uri
    if not ls.in_scope(convert.path_of(uri)):
        return []
    resolve = client_resolves_edits(ls)
    fixes: list[types.CodeAction] = []
    ai: list[types.CodeAction] = []
    explain: dict[str, types.CodeAction] = {}
    for d in params.context.diagnostics:
        entry = ls.store.find(uri, d)
        if entry is not None:
            fixes.extend(entry.actions)
        code = _code(d)
        if d.severity in (None, types.DiagnosticSeverity.Error):
            title = f"Fix with local AI ({code})" if code else "Fix with local AI"
            raw: Any = ls.protocol.to_json(d)
            if resolve:
                ai.append(types.CodeAction(title, kind=types.CodeActionKind.QuickFix, diagnostics=[d],
                                           data={"kind": AI_FIX, "uri": uri, "diagnostic": raw}))
            else:
                ai.append(types.CodeAction(title, kind=types.CodeActionKind.QuickFix, diagnostics=[d],
                                           command=types.Command(title=title, command=CMD_FIX, arguments=[uri, raw])))
        if code and ERROR_CODE.match(code) and code not in explain:
            explain[code] = types.CodeAction(
                f"Explain {code}", kind=types.CodeActionKind.Empty, diagnostics=[d],
                command=types.Command(title=f"Explain {code}", command=CMD_EXPLAIN, arguments=[code, d.message]))
    actions = fixes + ai + list(explain.values())
    path = convert.path_of(uri)
    root = ls.store.root_of(path.resolve()) if path is not None else None
    if root is not None and ls.store.errors(root):
        # "fix all" for the document's workspace: rustc's suggestions and the rules, verified; the
        # edit is filled in by codeAction/resolve (on save, VS Code resolves it before applying)
        title = "Fix all errors in the workspace (verified)"
        if resolve:
            actions.append(types.CodeAction(title, kind=FIX_ALL_KIND, data={"kind": FIX_ALL, "uri": uri}))
        else:
            actions.append(types.CodeAction(title, kind=FIX_ALL_KIND,
                                            command=types.Command(title, CMD_FIX_ALL, arguments=[uri, False])))
    only = params.context.only
    if only:
        actions = [a for a in actions if a.kind and any(a.kind == k or a.kind.startswith(f"{k}.") for k in only)]
    return actions
