"""Core types → LSP types (lsprotocol), and back. Pure functions: no I/O beyond the file bytes passed in.

Positions are UTF-16 code units (the LSP default, which this server always announces); rustc's spans
are byte offsets into the file as cargo saw it (`ferrofix.diagnostics.span_range`).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Callable, Mapping

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from ferrofix.diagnostics import ERROR_CODE as _ERROR_CODE
from ferrofix.diagnostics import MACHINE_APPLICABLE, Diagnostic, Range, Span, byte_to_position, span_range
from ferrofix.edits import Fix, TextEdit, line_edit

SOURCE = "ferrofix"
_SEVERITY = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "note": types.DiagnosticSeverity.Information,
    "help": types.DiagnosticSeverity.Hint,
}
#: rustc/clippy lints whose code is unused or unreachable: shown faded (`Unnecessary`).
_UNNECESSARY = re.compile(r"^(unused_\w+|dead_code|unreachable_code|unreachable_patterns|redundant_\w+|"
                          r"clippy::(unused_\w+|redundant_\w+|needless_\w+))$")

Reader = Callable[[Path], bytes]


def uri_of(path: Path) -> str:
    """`file://` URI of an absolute path."""
    return from_fs_path(str(path)) or path.as_uri()


def path_of(uri: str) -> Path | None:
    """Filesystem path of a `file://` URI, or None for other schemes (untitled buffers)."""
    p = to_fs_path(uri)
    return Path(p) if p and uri.startswith("file:") else None


def lsp_range(r: Range) -> types.Range:
    """A core `Range` (UTF-16) as an lsprotocol Range."""
    return types.Range(types.Position(r.start.line, r.start.character),
                       types.Position(r.end.line, r.end.character))


def code_description(code: str | None) -> types.CodeDescription | None:
    """Link to the error index for `E0382`, to the clippy lint list for `clippy::*` lints."""
    if not code:
        return None
    if _ERROR_CODE.match(code):
        return types.CodeDescription(href=f"https://doc.rust-lang.org/error_codes/{code}.html")
    if code.startswith("clippy::"):
        return types.CodeDescription(
            href=f"https://rust-lang.github.io/rust-clippy/master/index.html#{code.split('::', 1)[1]}")
    return None


def tags(code: str | None) -> list[types.DiagnosticTag] | None:
    """`Unnecessary` for unused/unreachable lints, `Deprecated` for `deprecated`."""
    if not code:
        return None
    if code == "deprecated" or code.endswith("::deprecated"):
        return [types.DiagnosticTag.Deprecated]
    if _UNNECESSARY.match(code):
        return [types.DiagnosticTag.Unnecessary]
    return None


def _location(span: Span, root: Path, read: Reader) -> tuple[Path, types.Range] | None:
    path = span.path(root)
    try:
        data = read(path)
    except OSError:
        return None
    return path, lsp_range(span_range(span, data))


def message_text(d: Diagnostic, primary: Span | None) -> str:
    """The message with the primary span's label, then children (notes, help) folded in, one per line;
    a help with a concrete replacement names it."""
    lines = [d.message]
    if primary is not None and primary.label and primary.label not in d.message:
        lines.append(primary.label)
    for c in d.children:
        reps = [s.suggested_replacement for s in c.spans if s.suggested_replacement is not None]
        text = c.message
        if reps and all(r.strip() and "\n" not in r.strip() for r in reps[:1]):
            text += f": `{reps[0].strip()}`"
        lines.append(f"{c.level}: {text}")
    return "\n".join(lines)


def to_lsp(d: Diagnostic, root: Path, read: Reader, data: object = None) -> tuple[Path, types.Diagnostic] | None:
    """One rustc diagnostic as (file, LSP Diagnostic).

    The primary span (mapped from macro internals to the invocation in the workspace) gives the range;
    secondary spans and children's spans become `relatedInformation` with their labels; notes and help
    are folded into the message; `code` links to the error index. A diagnostic without spans (a
    crate-level error) is placed at the start of its package's Cargo.toml. `read(path) -> bytes`
    supplies file contents; a file that cannot be read drops the diagnostic (returns None).
    """
    primary = d.primary_span
    if primary is not None:
        primary = primary.invocation_site(root)
        loc = _location(primary, root, read)
        if loc is None:
            return None
        path, rng = loc
    else:
        path = Path(d.manifest_path) if d.manifest_path else root / "Cargo.toml"
        rng = types.Range(types.Position(0, 0), types.Position(0, 0))
    related = []
    for s in d.spans:
        if s is d.primary_span or s.is_internal:
            continue
        loc = _location(s.invocation_site(root), root, read)
        if loc is not None:
            related.append(types.DiagnosticRelatedInformation(
                types.Location(uri_of(loc[0]), loc[1]), s.label or ("primary" if s.is_primary else "related")))
    for c in d.children:
        for s in c.spans:
            if s.suggested_replacement is not None or s.is_internal:
                continue
            loc = _location(s.invocation_site(root), root, read)
            if loc is not None:
                related.append(types.DiagnosticRelatedInformation(
                    types.Location(uri_of(loc[0]), loc[1]), f"{c.level}: {s.label or c.message}"))
    return path, types.Diagnostic(
        range=rng,
        message=message_text(d, primary),
        severity=_SEVERITY.get(d.level, types.DiagnosticSeverity.Error),
        code=d.code,
        code_description=code_description(d.code),
        source=SOURCE,
        tags=tags(d.code),
        related_information=related or None,
        data=data,
    )


def text_edits(edits: list[TextEdit], root: Path, read: Reader) -> dict[str, list[types.TextEdit]]:
    """Core byte-offset edits (paths relative to `root`) → LSP TextEdits per document URI."""
    out: dict[str, list[types.TextEdit]] = {}
    for e in edits:
        path = Path(e.file) if Path(e.file).is_absolute() else root / e.file
        data = read(path)
        rng = types.Range(_pos(byte_to_position(data, e.byte_start)), _pos(byte_to_position(data, e.byte_end)))
        out.setdefault(uri_of(path), []).append(types.TextEdit(rng, e.new_text))
    return out


def _pos(p) -> types.Position:
    return types.Position(p.line, p.character)


def quick_fix(fix: Fix, diag: types.Diagnostic, root: Path, read: Reader) -> types.CodeAction | None:
    """A rustc suggestion as a `quickfix` CodeAction with its WorkspaceEdit (`isPreferred` when
    MachineApplicable); None when a file it edits cannot be read."""
    try:
        changes = text_edits(list(fix.edits), root, read)
    except OSError:
        return None
    title = fix.title[:1].upper() + fix.title[1:]
    if len(fix.edits) == 1 and "`" not in title:
        new = fix.edits[0].new_text.strip()
        if new and "\n" not in new and len(new) <= 40:
            title += f": `{new}`"
        elif not new:
            title += " (remove)"
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diag],
        is_preferred=fix.applicability == MACHINE_APPLICABLE or None,
        edit=types.WorkspaceEdit(changes=changes),
    )


def workspace_edit(root: Path, files: Mapping[str, bytes], base: Mapping[str, bytes]) -> types.WorkspaceEdit:
    """A WorkspaceEdit turning each file's `base` bytes into its new bytes in `files` (both keyed by
    workspace-relative path), one line-aligned TextEdit per file."""
    changes: dict[str, list[types.TextEdit]] = {}
    for rel, new in sorted(files.items()):
        old = base[rel]
        e = line_edit(rel, old, new)
        rng = types.Range(_pos(byte_to_position(old, e.byte_start)), _pos(byte_to_position(old, e.byte_end)))
        changes[uri_of(root / rel)] = [types.TextEdit(rng, e.new_text)]
    return types.WorkspaceEdit(changes=changes)


def rebase_uri(uri: str, src: Path, dst: Path) -> str:
    """`uri` with the directory `src` replaced by `dst` when it lies under `src` (a file of the scratch
    mirror → the same file of the user's workspace), else `uri` unchanged. A prefix swap on the
    URIs' text (both made by `uri_of`, so encoded alike): this runs for every location of a check."""
    prefix = _dir_uri(src)
    return _dir_uri(dst) + uri[len(prefix):] if uri.startswith(prefix) else uri


@functools.lru_cache(maxsize=64)
def _dir_uri(path: Path) -> str:
    return uri_of(path).rstrip("/") + "/"


def rebase_diagnostic(d: types.Diagnostic, src: Path, dst: Path) -> types.Diagnostic:
    """`d` with the locations of its related information moved from `src` to `dst` (`rebase_uri`)."""
    if not d.related_information:
        return d
    d.related_information = [
        types.DiagnosticRelatedInformation(types.Location(rebase_uri(r.location.uri, src, dst), r.location.range),
                                           r.message) for r in d.related_information]
    return d


def rebase_edit(edit: types.WorkspaceEdit, src: Path, dst: Path) -> types.WorkspaceEdit:
    """A `changes` WorkspaceEdit with its document URIs moved from `src` to `dst` (`rebase_uri`)."""
    if edit.changes:
        edit.changes = {rebase_uri(uri, src, dst): es for uri, es in edit.changes.items()}
    return edit


def versioned(edit: types.WorkspaceEdit, versions: Mapping[str, int]) -> types.WorkspaceEdit:
    """A `changes` WorkspaceEdit as `documentChanges` whose TextDocumentEdits carry the version of each
    open document the edit was computed on (`versions`: URI → version), so that a client refuses to
    apply it to a buffer that changed since; documents not in `versions` get version null (the file as
    on disk). The edit is returned unchanged when no document it touches has a version."""
    if not edit.changes or not any(uri in versions for uri in edit.changes):
        return edit
    return types.WorkspaceEdit(document_changes=[
        types.TextDocumentEdit(types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=versions.get(uri)),
                               list(es))
        for uri, es in edit.changes.items()])
