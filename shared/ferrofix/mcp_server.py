"""`ferrofix mcp`: the compile-and-fix engine as Model Context Protocol tools for coding agents.

Built on the official Python SDK (`mcp` 2.x, `mcp.server.mcpserver.MCPServer`). Transports: stdio
(default; the SDK points fd 1 at stderr while it serves, so nothing but the protocol reaches stdout) and
streamable HTTP (`serve(http=("127.0.0.1", 8765))`, endpoint `/mcp`).

Tools (input schemas from the type hints, output schemas from the pydantic result models below, so every
result also arrives as `structuredContent`):

- `check(path | files)` — `cargo check` with ferrofix's own target dir; diagnostics with UTF-16 ranges;
- `compile_and_fix(path | files, write, timeout_s, use_model)` — the repair loop of the CLI's `fix`: the
  verified diff, the new texts of the changed files, the per-candidate trace, fixed and remaining errors;
- `explain(code)` — rustc's explanation plus the best knowledge-base records;
- `search_knowledge_base(query, code, limit)` — hybrid search over the knowledge base;
- `record_accepted(code, message, before, after)` — a fix the agent accepted, kept as `pending`;
- `generate(description, requirements, path, test)` — a new crate from a description (`ferrofix.generate`):
  templates from the Rust books on the machine, the model, the repair loop until it compiles; with
  `test`, unit tests from the requirements made to pass. Writes only into `path`, a new or empty directory.

`files` is an inline project (workspace-relative path → text, as an agent holds it): it is written to a
private temporary directory, worked on there, and the new texts come back; nothing else is touched.
A `path` project changes only with `write=true` (backups are kept, as `fix --write` does). The long
tools report progress (`notifications/progress`, one per step of the loop) and stop at the client's
`notifications/cancelled`: the running cargo is killed and the model stops between answers. Failures are
MCP tool errors (`isError`) whose text is the CLI's one-line `ferrofix: error: …` message (arguments
that do not fit the input schema get the SDK's validation error). One settings
file and one knowledge base are shared with the CLI, the language server and the desktop app.
"""

from __future__ import annotations

import functools
import logging
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Annotated, Callable, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context, MCPServer
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from . import __version__, service
from .cargo import Cancellation, default_target_dir, locate_workspace, run_check
from .diagnostics import Diagnostic as RustcDiagnostic, span_range
from .errors import CheckCancelledError, FerrofixError
from .generate import check_out_dir, write_project
from .mirror import mirror_dir
from .repair.results import Attempt
from .repair.verify import identity
from .settings import Settings, load as load_settings

log = logging.getLogger("ferrofix.mcp")

#: Limits on an inline `files` project: how many files, and their total size in bytes (UTF-8).
MAX_INLINE_FILES = 2000
MAX_INLINE_BYTES = 20 * 1024 * 1024

T = TypeVar("T")

#: The tools' parameters, described for the caller (they land in the input schemas).
ProjectPath = Annotated[str | None, Field(description="A cargo crate or workspace directory on this machine, or a "
                                                      "file in it. Give this or `files`.")]
InlineFiles = Annotated[dict[str, str] | None, Field(
    description="An inline project instead of `path`: workspace-relative path → file text; must hold "
                "Cargo.toml at its root. Worked on in a private temporary directory.")]
TimeoutS = Annotated[float | None, Field(gt=0, description="Time limit in seconds (hard); default from the "
                                                           "settings.")]
ErrorCode = Annotated[str, Field(description="An error code: E0382 (also e0382, 382).")]


# ---------------------------------------------------------------- result models (the output schemas)

class Position(BaseModel):
    """An LSP position: 0-based line, character in UTF-16 code units."""

    line: int
    character: int


class Range(BaseModel):
    """An LSP range (end exclusive)."""

    start: Position
    end: Position


class Diagnostic(BaseModel):
    """One rustc diagnostic: its error code (`E0382`, a lint name, or null), level, message, the file of
    its primary span (workspace-relative, as rustc printed it), that span's UTF-16 range, and rustc's
    rendered text (the terminal form, with notes and help)."""

    code: str | None
    level: str
    message: str
    file: str | None
    range: Range | None
    rendered: str


class CheckOutput(BaseModel):
    """What `check` found: `errors` and `warnings` counts, the diagnostics, cargo's wall time in ms,
    and the workspace root that was checked (a private temporary directory for `files`)."""

    errors: int
    warnings: int
    diagnostics: list[Diagnostic]
    elapsed_ms: int
    workspace: str


class FixOutput(BaseModel):
    """What `compile_and_fix` did. `fixed`: `cargo check` now passes (verified in a scratch copy).
    `diff`: the unified diff of every verified edit; `files`: the new text of each changed file
    (workspace-relative path → text); `fixed_errors`/`remaining_errors`: the first check's errors that
    are gone, and the errors left; `trace`: every candidate tried; `written`: files written (only with
    `write`); `elapsed_ms`: wall time; `tokens`: model tokens spent."""

    fixed: bool
    diff: str
    files: dict[str, str]
    initial_errors: list[Diagnostic]
    fixed_errors: list[Diagnostic]
    remaining_errors: list[Diagnostic]
    trace: list[Attempt]
    written: list[str] = Field(default_factory=list)
    elapsed_ms: int
    tokens: int = 0


class GenerateOutput(BaseModel):
    """What `generate` wrote. `files`: relative path → text of the crate; `compiled`: `cargo check`
    passes (verified); `repaired`: the repair loop had to fix the model's first draft; `tests_passed`:
    `cargo test` passed on the tests the model wrote from the requirements (null without `test`);
    `test_summary`: the last test run in one line; `tests_dropped`: the model's tests left out because
    judging answers found their expectation contradicts the requirements; `templates`: the
    documentation listings the prompt held; `notes`: what was dropped from the model's answer (dependencies, build scripts);
    `remaining_errors`: errors left when it does not compile; `trace`: every repair candidate tried;
    `written`: files written under `path`; `elapsed_ms`; `tokens`: model tokens spent."""

    files: dict[str, str]
    compiled: bool
    repaired: bool
    tests_passed: bool | None
    test_summary: str
    tests_dropped: list[str] = Field(default_factory=list)
    templates: list[str]
    notes: list[str]
    remaining_errors: list[str]
    trace: list[Attempt]
    written: list[str] = Field(default_factory=list)
    elapsed_ms: int
    tokens: int


class KBRecord(BaseModel):
    """A knowledge-base record as retrieved: its id, error code, fused search score (RRF; higher is
    better), curation status, source, the error message, and the code before and after the fix."""

    id: int
    code: str
    score: float
    status: str
    source: str
    message: str
    before: str
    after: str


class ExplainOutput(BaseModel):
    """rustc's explanation of `code` (markdown, from `rustc --explain`) and the best records for it."""

    code: str
    explanation: str
    records: list[KBRecord]


class SearchOutput(BaseModel):
    """Records matching a query, best first."""

    records: list[KBRecord]


class RecordOutput(BaseModel):
    """The record a `record_accepted` call created or found: its id, whether it is new (a duplicate
    only counts one more acceptance), and its status (`pending` until a curator approves it)."""

    id: int
    new: bool
    status: str


# ---------------------------------------------------------------- helpers

class Failure(Exception):
    """A tool's anticipated failure, answered as an MCP tool error (`isError`) with the CLI's one line."""


def _error(e: BaseException) -> Failure:
    """The CLI's one-line error (`ferrofix: error: …`) for `e`."""
    text = " ".join(str(e).split()) or type(e).__name__
    return Failure(f"ferrofix: error: {text}")


def _tool_error(message: str) -> CallToolResult:
    """An MCP tool error whose text is exactly `message` (the SDK would prefix a raised ToolError's text
    with "Error executing tool …")."""
    return CallToolResult(content=[TextContent(type="text", text=message)], is_error=True)


def tool(fn):
    """Wrap a tool method so that a Failure (or FerrofixError / OSError) becomes `_tool_error`; the
    wrapper keeps the signature, hence the schemas."""
    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        try:
            return await fn(*args, **kwargs)
        except Failure as e:
            return _tool_error(str(e))
        except (FerrofixError, OSError, UnicodeError) as e:
            return _tool_error(str(_error(e)))
        except Exception as e:  # a bug: logged with its traceback on stderr, one line to the caller
            log.exception("%s failed", fn.__name__)
            return _tool_error(f"ferrofix: internal error in {fn.__name__}: {type(e).__name__}: "
                               + " ".join(str(e).split())[:300])
    return wrapper


def _diagnostic(d: RustcDiagnostic, root: Path, texts: dict[str, bytes] | None = None) -> Diagnostic:
    """A rustc diagnostic with its primary span (moved out of macro internals to the invocation in the
    workspace) as a UTF-16 range in the file as cargo saw it: `texts` (workspace-relative path → bytes)
    gives the files' contents where they differ from the disk (a repair's new texts)."""
    p = d.primary_span
    rng = None
    file = None
    if p is not None:
        p = p.invocation_site(root)
        file = p.file_name
        try:
            path = p.path(root)
            rel = path.relative_to(root).as_posix() if path.is_relative_to(root) else None
            data = texts[rel] if texts and rel in texts else path.read_bytes()
            r = span_range(p, data)
            rng = Range(start=Position(line=r.start.line, character=r.start.character),
                        end=Position(line=r.end.line, character=r.end.character))
        except (OSError, UnicodeDecodeError, ValueError):
            rng = None
    return Diagnostic(code=d.code, level=d.level, message=d.message, file=file, range=rng,
                      rendered=d.rendered or d.message)


def _records(hits) -> list[KBRecord]:
    return [KBRecord(**h.to_json()) for h in hits]


def materialize(files: dict[str, str], dest: Path) -> None:
    """Write an inline project (workspace-relative POSIX path → text) under `dest`. Raises
    FerrofixError, writing nothing, for an empty project, more than MAX_INLINE_FILES files or
    MAX_INLINE_BYTES bytes, an absolute path or one with `..`, or no `Cargo.toml` at the root."""
    if not files:
        raise FerrofixError("files: the project is empty (give at least Cargo.toml and a source file)")
    if len(files) > MAX_INLINE_FILES:
        raise FerrofixError(f"files: {len(files)} files, more than the limit of {MAX_INLINE_FILES}")
    total = sum(len(t.encode("utf-8")) for t in files.values())
    if total > MAX_INLINE_BYTES:
        raise FerrofixError(f"files: {total} bytes, more than the limit of {MAX_INLINE_BYTES}")
    plan = []
    for rel, text in files.items():
        p = PurePosixPath(rel.replace("\\", "/"))
        if not rel or p.is_absolute() or ".." in p.parts or (p.parts and ":" in p.parts[0]):
            raise FerrofixError(f"files: {rel!r} is not a relative path inside the project")
        plan.append((p, text))
    if not any(p == PurePosixPath("Cargo.toml") for p, _ in plan):
        raise FerrofixError("files: no Cargo.toml at the project root")
    for p, text in plan:
        target = dest.joinpath(*p.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="")


def _project(path: str | None, files: dict[str, str] | None) -> tuple[Path | None, dict[str, str] | None]:
    if (path is None) == (files is None):
        raise _error(FerrofixError("give either path (a crate or workspace directory) or files "
                                   "(an inline project)"))
    return (Path(path).expanduser() if path is not None else None), files


@contextmanager
def _workspace(path: Path | None, files: dict[str, str] | None):
    """The cargo workspace to work on: the one containing `path`, or `files` written to a private
    temporary directory (removed on exit)."""
    if files is None:
        yield locate_workspace(path)
        return
    with tempfile.TemporaryDirectory(prefix="ferrofix-mcp-") as tmp:
        root = Path(tmp).resolve()
        try:
            materialize(files, root)
            yield locate_workspace(root)
        finally:  # the project's build outputs and scratch mirror go with it
            shutil.rmtree(default_target_dir(root), ignore_errors=True)
            shutil.rmtree(mirror_dir(root), ignore_errors=True)


async def _in_thread(ctx: Context | None, work: Callable[[Callable[[str], None], Cancellation], T]) -> T:
    """Run `work(progress, cancel)` in a worker thread. Each `progress(message)` becomes an MCP progress
    notification (when the client asked for progress); when the client cancels the request, `cancel` is
    set (killing the running cargo; the loop stops at its next step) and the call returns at once."""
    cancel = Cancellation()
    step = 0

    def progress(message: str) -> None:
        nonlocal step
        step += 1
        if ctx is None or cancel.cancelled:
            return
        try:
            anyio.from_thread.run(ctx.report_progress, float(step), None, message[:200])
        except Exception:  # the request is gone (cancelled, connection closed): keep working quietly
            pass

    try:
        return await anyio.to_thread.run_sync(lambda: work(progress, cancel), abandon_on_cancel=True)
    finally:
        cancel.cancel()


# ---------------------------------------------------------------- the tools

class FerrofixTools:
    """The tools' implementations over one settings file (`settings.load()`, re-read per call so that an
    edit from the desktop app or the CLI applies at once)."""

    def __init__(self, settings: Callable[[], Settings] | None = None) -> None:
        self._settings = settings or load_settings

    def settings(self) -> Settings:
        s = self._settings()
        for w in s.warnings:
            log.warning("settings: %s", w)
        return s

    @tool
    async def check(self, path: ProjectPath = None, files: InlineFiles = None,
                    timeout_s: TimeoutS = None, ctx: Context | None = None) -> CheckOutput:
        """Run `cargo check` on a crate or workspace (ferrofix's own target dir; the user's build is not
        disturbed) and return its diagnostics: error code, level, message, file, UTF-16 range and rustc's
        rendered text. Give `path` (a directory or a file in it) or `files` (an inline project: relative
        path → text, checked in a private temporary directory). `timeout_s` caps cargo's time (seconds;
        default: check.timeout_s of the settings). Never runs the project's code (build scripts aside)."""
        root_path, inline = _project(path, files)

        def work(progress, cancel):
            s = self.settings()
            with _workspace(root_path, inline) as ws:
                progress("cargo check")
                res = run_check(ws.root, service.check_options(s, timeout_s), cancel=cancel)
                diags = [_diagnostic(d, ws.root) for d in res.diagnostics]
            return CheckOutput(errors=len(res.errors), warnings=len(res.diagnostics) - len(res.errors),
                               diagnostics=diags, elapsed_ms=res.elapsed_ms,
                               workspace="<inline>" if inline is not None else str(ws.root))
        return await _in_thread(ctx, work)

    @tool
    async def compile_and_fix(self, path: ProjectPath = None, files: InlineFiles = None,
                              write: Annotated[bool, Field(description="Write the verified edits into the "
                                                           "`path` project (backups kept).")] = False,
                              timeout_s: TimeoutS = None,
                              use_model: Annotated[bool, Field(description="Also ask the local model when "
                                                               "rustc's suggestions and the rules do not "
                                                               "fix everything.")] = True,
                              ctx: Context | None = None) -> FixOutput:
        """Compile a Rust crate or workspace and fix its errors: rustc's own suggestions, ferrofix's rules,
        then (with `use_model`) the local model, each candidate verified with `cargo check` in a scratch
        copy before it is kept. Returns whether the project now compiles, the verified unified diff, the
        new text of each changed file, the errors fixed and remaining, and every candidate tried.
        Give `path` (a directory or a file in it) or `files` (an inline project: relative path → text,
        fixed in a private temporary directory; the new texts come back in `files`). With `write` (path
        only) the verified edits are written into the project, keeping `*.ferrofix.bak*` backups, and the
        fix is recorded in the knowledge base as pending. `timeout_s`: the whole repair's budget in
        seconds (default: repair.timeout_s). The project's code is never run (unless the settings'
        repair.run_tests asks for `cargo test` in the scratch copy)."""
        root_path, inline = _project(path, files)
        if write and inline is not None:
            raise _error(FerrofixError("write applies to a path project; an inline project's new texts are "
                                       "returned in files"))

        def work(progress, cancel):
            from .repair import repair
            from .writes import write_files
            s = self.settings()
            with _workspace(root_path, inline) as ws:
                engine = service.make_engine(s) if use_model else None
                # the weights load while the compiler and the rules work (`service.BackgroundLoad`)
                loading = service.BackgroundLoad(engine) if engine is not None else None
                opts = service.repair_options(s, use_llm=use_model, timeout_s=timeout_s)
                kb = None
                try:
                    kb = service.open_kb(s, require_records=True) if use_model and s.kb.examples > 0 else None
                    examples = service.kb_examples(kb, s) if kb is not None else None
                    result = repair(ws.root, opts, engine=engine, progress=progress, cancel=cancel,
                                    examples=examples)
                finally:
                    if kb is not None:
                        kb.close()
                    if loading is not None:
                        loading.wait(raise_error=False)
                if loading is not None:
                    loading.wait()  # a model that cannot load is an error, as before
                # positions: the first check's errors in the files as they were, the rest in the new texts
                remaining_ids = {identity(d) for d in result.remaining_errors}
                initial = [_diagnostic(d, ws.root) for d in result.initial_errors]
                fixed_errors = [x for d, x in zip(result.initial_errors, initial) if identity(d) not in remaining_ids]
                remaining = [_diagnostic(d, ws.root, result.files) for d in result.remaining_errors]
                if result.files and fixed_errors:
                    service.log_fixes(s, [x.code or "" for x in fixed_errors], "offered", "mcp")
                written: list[str] = []
                if write and result.files:
                    if cancel.cancelled:  # the caller is gone: nothing is written behind its back
                        raise CheckCancelledError("compile_and_fix was cancelled")
                    done = write_files(ws.root, result.files)
                    written = [w.rel for w in done]
                    try:
                        note = service.learn(s, result, done, front="mcp")
                    except FerrofixError as e:  # the fix is written; only the record is missing
                        note = f"not recorded in the knowledge base: {e}"
                    if note:
                        log.info("%s", note)
                return FixOutput(
                    fixed=result.fixed, diff=result.diff,
                    files={rel: data.decode("utf-8", errors="replace") for rel, data in sorted(result.files.items())},
                    initial_errors=initial, fixed_errors=fixed_errors, remaining_errors=remaining,
                    trace=result.trace,
                    written=written, elapsed_ms=result.elapsed_ms, tokens=result.tokens)
        return await _in_thread(ctx, work)

    @tool
    async def generate(self, description: Annotated[str, Field(description="What the crate does, in a sentence.")],
                       requirements: Annotated[str, Field(description="The requirements: public items with their "
                                                          "exact signatures, rules, edge cases.")] = "",
                       path: Annotated[str | None, Field(description="Write the crate into this new (or empty) "
                                                         "directory; without it the files are only returned.")] = None,
                       test: Annotated[bool, Field(description="Also write unit tests from the requirements and "
                                                   "make `cargo test` pass (runs the generated code in a "
                                                   "scratch directory, time-limited).")] = False,
                       name: Annotated[str | None, Field(description="The package name.")] = None,
                       timeout_s: TimeoutS = None, ctx: Context | None = None) -> GenerateOutput:
        """Write a new Rust crate (standard library only) from a description and requirements: templates
        from the Rust books installed on this machine, the local model, then the repair loop until
        `cargo check` passes; with `test`, also unit tests the model writes from the requirements, made
        to pass (bounded). Returns the files and whether they compile (and pass their tests). The
        generated code is never run unless `test` is set."""
        out = Path(path).expanduser() if path else None
        if out is not None:
            check_out_dir(out)  # before the model's minutes, not after (a FerrofixError: a tool error)

        def work(progress, cancel):
            r = service.generate(self.settings(), description, requirements, tests=test, name=name,
                                 timeout_s=timeout_s, progress=progress, cancel=cancel)
            if out is not None and cancel.cancelled:
                raise CheckCancelledError("generate was cancelled")
            written = [p.relative_to(out).as_posix() for p in write_project(out, r.files)] if out else []
            return GenerateOutput(files=r.files, compiled=r.compiled, repaired=r.repaired,
                                  tests_passed=r.tests_passed, test_summary=r.test_summary,
                                  tests_dropped=r.tests_dropped, templates=r.templates,
                                  notes=r.notes, remaining_errors=r.remaining_errors,
                                  trace=[Attempt(**a) for a in r.trace], written=written,
                                  elapsed_ms=r.elapsed_ms, tokens=r.tokens)
        return await _in_thread(ctx, work)

    @tool
    async def explain(self, code: ErrorCode,
                      limit: Annotated[int, Field(ge=0, le=20, description="Knowledge-base records to add.")] = 3, ctx: Context | None = None) -> ExplainOutput:
        """rustc's explanation of an error code (`E0382`, `e0382` and `382` are accepted), with the
        `limit` best knowledge-base records for that code (examples of the error and its fix)."""
        def work(progress, cancel):
            from .explain import explain, normalize_code
            c = normalize_code(code)
            text = explain(c)
            kb = service.open_kb(self.settings(), require_records=True)
            try:
                hits = kb.search(c, code=c, limit=max(0, limit)) if kb is not None and limit > 0 else []
            finally:
                if kb is not None:
                    kb.close()
            return ExplainOutput(code=c, explanation=text, records=_records(hits))
        return await _in_thread(ctx, work)

    @tool
    async def search_knowledge_base(self, query: Annotated[str, Field(description="An error message or words.")],
                                    code: Annotated[str | None, Field(description="Only records of this error "
                                                                      "code.")] = None,
                                    limit: Annotated[int, Field(ge=1, le=50, description="At most this many "
                                                                "records.")] = 5,
                                    ctx: Context | None = None) -> SearchOutput:
        """Search the knowledge base of Rust errors and their verified fixes: the error code (if given,
        only records of that code), BM25 over the message and code, and dense vectors when an embedding
        model is installed, fused with reciprocal rank fusion. `query` is an error message or words;
        returns at most `limit` (1-50) records, best first."""
        def work(progress, cancel):
            from .explain import normalize_code
            c = normalize_code(code) if code else None
            kb = service.open_kb(self.settings(), require_records=True)
            if kb is None:
                return SearchOutput(records=[])
            try:
                return SearchOutput(records=_records(kb.search(query, code=c, limit=limit)))
            finally:
                kb.close()
        return await _in_thread(ctx, work)

    @tool
    async def record_accepted(self, code: ErrorCode,
                              message: Annotated[str, Field(description="The error message.")],
                              before: Annotated[str, Field(description="The code before the fix.")],
                              after: Annotated[str, Field(description="The code after the fix.")],
                              ctx: Context | None = None) -> RecordOutput:
        """Keep a fix the agent accepted in the knowledge base, as `pending` until a curator approves it
        (the desktop app's Review tab): the error code and message, and the code before and after the fix
        (the changed lines with a little context, as `compile_and_fix` reported them). A fix already known
        only counts one more acceptance."""
        def work(progress, cancel):
            from .explain import normalize_code
            from .kb.records import RecordError
            c = normalize_code(code) if code else ""
            kb = service.open_kb(self.settings())
            try:
                rid, new = kb.record_accepted(code=c, message=message, before=before, after=after,
                                              tags=["agent:mcp"], front="mcp")
                rec = kb.store.get(rid)
            except RecordError as e:
                raise FerrofixError(str(e)) from None
            finally:
                kb.close()
            return RecordOutput(id=rid, new=new, status=rec.status if rec is not None else "pending")
        return await _in_thread(ctx, work)


INSTRUCTIONS = """ferrofix fixes Rust compile errors, and every fix it returns has passed `cargo check`.
Call `check` to see a project's errors, `compile_and_fix` to get verified fixes (as a diff and as new file
texts; nothing is written unless write=true), `explain` for an error code, `search_knowledge_base`
for known fixes of an error message, and `generate` to write a new crate that compiles. Give a project as `path` on this machine or as inline `files`."""


def build_server(settings: Callable[[], Settings] | None = None) -> MCPServer:
    """The MCP server with ferrofix's tools registered (see the module docstring). `settings` returns
    the settings to use per call (default: `settings.load()`)."""
    tools = FerrofixTools(settings)
    server = MCPServer(name="ferrofix", title="ferrofix", version=__version__, instructions=INSTRUCTIONS,
                       log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True,
                                open_world_hint=False)
    server.add_tool(tools.check, name="check", title="cargo check", annotations=read_only)
    server.add_tool(tools.compile_and_fix, name="compile_and_fix", title="Compile and fix (verified)",
                    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True,
                                                idempotent_hint=False, open_world_hint=False))
    server.add_tool(tools.generate, name="generate", title="Generate a crate (compiles, verified)",
                    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                                idempotent_hint=False, open_world_hint=False))
    server.add_tool(tools.explain, name="explain", title="Explain an error code", annotations=read_only)
    server.add_tool(tools.search_knowledge_base, name="search_knowledge_base", title="Search known fixes",
                    annotations=read_only)
    server.add_tool(tools.record_accepted, name="record_accepted", title="Record an accepted fix",
                    annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False,
                                                idempotent_hint=False, open_world_hint=False))
    return server


#: Hosts the HTTP transport may bind without `allow_remote` (the SDK protects these from DNS rebinding).
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_http(value: str, *, allow_remote: bool = False) -> tuple[str, int]:
    """`HOST:PORT`, `:PORT` or `PORT` (host 127.0.0.1) → (host, port). Raises FerrofixError for anything
    else, and for a host that is not loopback unless `allow_remote`: the tools run cargo (build scripts)
    and write files, and the server has no authentication."""
    host, _, port = value.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    try:
        n = int(port)
    except ValueError:
        raise FerrofixError(f"--http: {value!r} is not HOST:PORT") from None
    if not 0 <= n <= 65535:
        raise FerrofixError(f"--http: port {n} is out of range")
    if host not in LOOPBACK and not allow_remote:
        raise FerrofixError(f"--http: {host} is not a loopback address; the server has no authentication and "
                            "its tools run cargo and write files (add --allow-remote to serve it anyway)")
    return host, n


def serve(http: tuple[str, int] | None = None) -> None:
    """Serve until the client disconnects (stdio) or the process is stopped (HTTP, endpoint `/mcp`).
    Logs go to stderr."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="ferrofix mcp: %(message)s")
    server = build_server()
    if http is None:
        server.run("stdio")
    else:
        host, port = http
        print(f"ferrofix mcp: streamable HTTP on http://{host}:{port}/mcp", file=sys.stderr, flush=True)
        server.run("streamable-http", host=host, port=port)


