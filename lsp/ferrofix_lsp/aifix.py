""""Fix with local AI", "Explain EXXXX" and learning from accepted fixes: the repair loop focused on one
diagnostic, run in a worker thread, verified in ferrofix's scratch mirror; the user's files are only
changed by the WorkspaceEdit the editor applies.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from lsprotocol import types

from ferrofix import explain as rustc_explain
from ferrofix import service
from ferrofix.cargo import Cancellation
from ferrofix.diagnostics import ERROR_CODE, Diagnostic, describe  # noqa: F401 (ERROR_CODE: for server, actions)
from ferrofix.errors import CheckCancelledError, FerrofixError
from ferrofix.kb.records import accepted_fix
from ferrofix.repair import repair
from ferrofix.settings import Settings

from . import convert


@dataclass(slots=True)
class Target:
    """The diagnostic to fix, as the editor knows it: file, 0-based line, code and message."""

    path: Path
    line: int
    code: str | None
    message: str

    @classmethod
    def from_lsp(cls, path: Path, d: types.Diagnostic) -> "Target":
        """The target for an editor's diagnostic in the file at `path`."""
        code = d.code if isinstance(d.code, str) else (str(d.code) if d.code is not None else None)
        return cls(path, d.range.start.line, code, d.message.splitlines()[0] if d.message else "")

    def matches(self, e: Diagnostic, root: Path) -> bool:
        """True when rustc's error `e` is this diagnostic: same file, same code (or message), within
        three lines (rust-analyzer's and rustc's ranges can differ slightly)."""
        span = e.primary_span
        if span is None:
            return False
        span = span.invocation_site(root)
        if span.path(root).resolve() != self.path.resolve():
            return False
        if self.code and e.code:
            if self.code != e.code:
                return False
        elif e.message != self.message:
            return False
        return abs((span.line_start - 1) - self.line) <= 3


@dataclass(slots=True)
class AiFix:
    """The outcome: a verified WorkspaceEdit and what to record when it is accepted, or a reason."""

    edit: types.WorkspaceEdit | None
    message: str
    record: dict | None = None
    elapsed_ms: int = 0
    tokens: int = 0


def _loaded_engine(settings: Settings, progress: Callable[[str], None], cancel: Cancellation):
    """The engine the settings name, loaded (reported as "loading NAME"). Raises CheckCancelledError
    when cancelled meanwhile, FerrofixError subclasses when the model cannot load."""
    engine = service.make_engine(settings)
    progress(f"loading {engine.name}")
    engine.load()
    if cancel.cancelled:
        raise CheckCancelledError("cancelled")
    return engine


def _verified_edit(root: Path, files: dict[str, bytes], overrides: dict[str, bytes],
                   ) -> tuple[dict[str, bytes], types.WorkspaceEdit]:
    """(base, edit): the bytes the repair's verified `files` replace — the unsaved buffer from
    `overrides`, else the file on disk (workspace-relative path → bytes) — and the WorkspaceEdit from
    them to `files`."""
    base = {rel: overrides[rel] if rel in overrides else (root / rel).read_bytes() for rel in files}
    return base, convert.workspace_edit(root, files, base)


def fix_with_ai(root: Path, target: Target, settings: Settings, overrides: dict[str, bytes],
                progress: Callable[[str], None], cancel: Cancellation, kb=None) -> AiFix:
    """Run the repair loop on the workspace at `root`, focused on `target`. `overrides` are unsaved
    editor buffers (workspace-relative path → bytes). Blocking (cargo checks and the model); call it
    from a worker thread. Raises CheckCancelledError when cancelled, FerrofixError subclasses when
    cargo or the model cannot run."""
    engine = _loaded_engine(settings, progress, cancel)
    opts = service.repair_options(settings)
    opts.focus = lambda e: target.matches(e, root)
    opts.overrides = overrides
    examples = service.kb_examples(kb, settings) if kb is not None and settings.kb.examples > 0 else None
    res = repair(root, opts, engine=engine, progress=progress, cancel=cancel, examples=examples)
    what = target.code or "this error"
    if not res.targets:
        return AiFix(None, f"{what}: cargo no longer reports this error (save the file to refresh the diagnostics)",
                     elapsed_ms=res.elapsed_ms, tokens=res.tokens)
    if not res.target_fixed or not res.files:
        tried = [a for a in res.trace if a.outcome == "rejected"]
        reasons = sorted({a.reason for a in tried if a.reason})[:3]
        detail = f"; {len(tried)} candidate(s) rejected ({'; '.join(reasons)})" if tried else ""
        return AiFix(None, f"no verified fix found for {describe(res.targets[0])}{detail}",
                     elapsed_ms=res.elapsed_ms, tokens=res.tokens)
    base, edit = _verified_edit(root, res.files, overrides)
    first = res.targets[0]
    rel = sorted(res.files)[0]
    record = accepted_fix(first, rel, base[rel].decode("utf-8"), res.files[rel].decode("utf-8"))
    return AiFix(edit, f"verified fix for {describe(first)} in {res.elapsed_ms / 1000:.1f} s",
                 record, res.elapsed_ms, res.tokens)


@dataclass(slots=True)
class FixAll:
    """The outcome of "fix all" on one workspace: the verified WorkspaceEdit (None when nothing was
    fixed), a one-line summary, the per-error trace lines, and the codes of the errors fixed."""

    edit: types.WorkspaceEdit | None
    message: str
    trace: list[str]
    fixed_codes: list[str]
    elapsed_ms: int = 0


def fix_all(root: Path, settings: Settings, overrides: dict[str, bytes], progress: Callable[[str], None],
            cancel: Cancellation, *, use_llm: bool, kb=None) -> FixAll:
    """Run the repair loop on the whole workspace at `root` — rustc's suggestions and the rules, and
    the model when `use_llm` — and return every verified change as one WorkspaceEdit (one undo).
    `overrides` are unsaved editor buffers (workspace-relative path → bytes); the edit's ranges are
    against them. Blocking: call it from a worker thread. Raises CheckCancelledError when cancelled,
    FerrofixError subclasses when cargo or the model cannot run."""
    engine = _loaded_engine(settings, progress, cancel) if use_llm else None
    opts = service.repair_options(settings, use_llm=use_llm)
    opts.overrides = overrides
    examples = service.kb_examples(kb, settings) if use_llm and kb is not None and settings.kb.examples > 0 else None
    res = repair(root, opts, engine=engine, progress=progress, cancel=cancel, examples=examples)
    trace = [f"{a.stage}: {a.error} — {a.candidate[:80]} → {a.outcome}{': ' + a.reason if a.reason else ''}"
             for a in res.trace]
    fixed = service.fixed_errors(res)
    codes = [e.code or "" for e in fixed]
    left = len(res.remaining_errors)
    if not res.files or not fixed:
        what = "no error" if not res.initial_errors else f"none of {len(res.initial_errors)} error(s) fixed"
        return FixAll(None, f"{root.name}: {what}", trace, [], res.elapsed_ms)
    _, edit = _verified_edit(root, res.files, overrides)
    msg = (f"{root.name}: {len(fixed)} of {len(res.initial_errors)} error(s) fixed and verified"
           f"{f', {left} left' if left else ''} in {res.elapsed_ms / 1000:.1f} s")
    return FixAll(edit, msg, trace, codes, res.elapsed_ms)


@functools.lru_cache(maxsize=64)
def explanation(code: str) -> str:
    """rustc's explanation of `code` (markdown), cached. Raises FerrofixError."""
    return rustc_explain.explain(code)


def explain_markdown(code: str, kb=None, message: str = "") -> str:
    """A markdown page for `code`: rustc's explanation, then the knowledge base's best records with
    their fixes as diffs."""
    parts = [f"# {code}\n", explanation(code)]
    if kb is not None:
        try:
            hits = kb.search(f"{code} {message}", code=code, limit=3)
        except FerrofixError:
            hits = []
        if hits:
            parts.append("\n## From the knowledge base\n")
            for h in hits:
                r = h.record
                parts.append(f"### {r.message or r.code} ({r.status}, {r.source})\n")
                if r.diff:
                    parts.append(f"```diff\n{r.diff.rstrip()}\n```\n")
                if r.explanation:
                    parts.append(r.explanation.strip() + "\n")
    parts.append(f"\n[Error index: {code}](https://doc.rust-lang.org/error_codes/{code}.html)\n")
    return "\n".join(parts)


def hover_markdown(message: str, code: str) -> str:
    """A short hover: the diagnostic's message and the first paragraph of rustc's explanation."""
    try:
        text = explanation(code)
    except FerrofixError:
        text = ""
    first = text.strip().split("\n\n")[0] if text else ""
    return (f"**{code}**: {message.splitlines()[0] if message else ''}\n\n{first}\n\n"
            f"[{code} in the error index](https://doc.rust-lang.org/error_codes/{code}.html)")
