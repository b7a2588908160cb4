"""What every front end builds from the settings: check options, the model engine, the knowledge base,
the repair options and the knowledge-base examples callback. The CLI, the language server and the
desktop app call these, so the same settings mean the same thing everywhere."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from . import models as model_store
from .cargo import CheckOptions
from .diagnostics import Diagnostic
from .errors import FerrofixError
from .settings import Settings


def check_options(s: Settings, timeout_s: float | None = None) -> CheckOptions:
    """CheckOptions from `[check]` (command, extra args, features, all targets, timeout in seconds)."""
    c = s.check
    return CheckOptions(tuple(c.command), tuple(c.extra_args), tuple(c.features), c.all_targets,
                        timeout_s or c.timeout_s)


def make_engine(s: Settings, model: str | None = None):
    """The engine `[llm]` (and an explicit `model` name or path) asks for: llama.cpp in process, loaded
    lazily and shared per process (`n_ctx`, `n_threads`, `gpu_layers` from the settings), or an
    OpenAI-compatible server. Raises FerrofixError for an openai backend without a URL and
    ModelNotFoundError (a FerrofixError) for an unknown model."""
    from .llm import LlamaCppEngine, OpenAIEngine
    if s.llm.backend == "openai":
        if not s.llm.url:
            raise FerrofixError("settings: llm.backend is \"openai\" but llm.url is empty")
        return OpenAIEngine(s.llm.url, model or s.llm.model or "default", api_key=s.llm.api_key or None)
    path = model_store.resolve(model or s.llm.model)
    return LlamaCppEngine.shared(path, n_ctx=s.llm.n_ctx, n_threads=s.llm.n_threads or None,
                                 gpu_layers=s.llm.gpu_layers)


class BackgroundLoad:
    """`engine.load()` in a daemon thread, started at once, so that the weights load (about 1.5 s for
    the default 1.1 GB model on 2 cores) while the compiler and the rules work; the first `chat` waits
    for it (`LlamaCppEngine.load` is idempotent and serialised). `wait()` joins the thread and raises
    what the load raised (ModelError), so a model that cannot load is still an error when the rules
    alone fixed everything."""

    def __init__(self, engine) -> None:
        import threading
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(engine,), name="ferrofix-load", daemon=True)
        self._thread.start()

    def _run(self, engine) -> None:
        try:
            engine.load()
        except BaseException as e:  # raised again by wait(), in the caller's thread
            self.error = e

    def wait(self, raise_error: bool = True) -> None:
        """Wait for the load to end; raises its error, if any (unless `raise_error` is False)."""
        self._thread.join()
        if raise_error and self.error is not None:
            raise self.error


def open_kb(s: Settings, *, require_records: bool = False):
    """The knowledge base `[kb]` names (directory, Qdrant URL, embedding model). With
    `require_records`, None when it holds no record. Raises KBError when the database cannot be opened."""
    from .kb import KnowledgeBase
    emb = model_store.resolve(s.kb.embedding_model, "embedding") if s.kb.embedding_model else None
    kb = KnowledgeBase(Path(s.kb.dir) if s.kb.dir else None, embedding_model=emb,
                       qdrant_url=s.kb.qdrant_url or None)
    if require_records and kb.store.count() == 0:
        kb.close()
        return None
    return kb


def kb_examples(kb, s: Settings) -> Callable[[Diagnostic], Sequence]:
    """The repair loop's `examples` callback: the `kb.examples` best records for an error as
    `modelfix.Example`s."""
    from .modelfix import Example

    def examples(d: Diagnostic):
        return [Example(r.code, r.message, r.before, r.after)
                for r in kb.examples_for(d.code, d.message, limit=s.kb.examples)]
    return examples


def repair_options(s: Settings, *, use_llm: bool = True, max_rounds: int | None = None,
                   timeout_s: float | None = None):
    """RepairOptions from `[repair]` and `[check]`; explicit arguments override the settings."""
    from .repair import RepairOptions
    return RepairOptions(max_rounds=max_rounds or s.repair.max_rounds, timeout_s=timeout_s or s.repair.timeout_s,
                         use_llm=use_llm, samples=s.repair.samples, resample=s.repair.resample,
                         max_tokens=s.repair.max_tokens,
                         allow_build_scripts=s.repair.allow_build_scripts,
                         run_tests=s.repair.run_tests, test_timeout_s=s.repair.test_timeout_s,
                         check=check_options(s))


def fixed_errors(result) -> list:
    """The initial errors of a repair `result` (`repair.RepairResult`) that no longer occur after it,
    in their order (by `verify.identity`: code, file, message)."""
    from .repair.verify import identity
    remaining = {identity(e) for e in result.remaining_errors}
    return [e for e in result.initial_errors if identity(e) not in remaining]


def log_fixes(s: Settings, codes: Sequence[str], kind: str, front: str) -> None:
    """Note verified fixes `kind` "offered" or "accepted" by `front` ("cli", "lsp", "mcp") per error
    code in the knowledge base's `fix_events` (the desktop's statistics: the codes users hit, acceptance
    rate per code). Only into an existing knowledge base, and never an error: the fix matters, the note
    does not (a locked or unwritable database skips it)."""
    from .kb import default_kb_dir
    from .kb.store import KBError, Store
    path = Path(s.kb.dir or default_kb_dir()) / "kb.sqlite3"
    if not codes or not path.is_file():
        return
    try:
        store = Store(path, timeout_s=2.0)
    except KBError:
        return
    try:
        store.log_fix(codes, kind, front)
    except KBError:
        pass
    finally:
        store.close()


def learn(s: Settings, result, written: Sequence, front: str = "cli") -> str | None:
    """Record a fix the user accepted (written with `--write`, or by an agent's `compile_and_fix` with
    `write`) in the knowledge base as `pending`, under the first error it removed, and note it accepted
    for each error code it removed (`fix_events`, `front` says where). `written` holds
    `writes.Written` entries (their backups give the text before). A partial repair counts (errors the
    build environment causes, such as a missing dev-dependency, may remain), unless an error remains that
    was not there before. Returns a note when the fix was not kept (too large for a record), else None."""
    from .kb.records import RecordError, accepted_fix
    from .repair.verify import identity
    if not result.initial_errors or not result.files:
        return None
    before = {identity(e) for e in result.initial_errors}
    remaining = {identity(e) for e in result.remaining_errors}
    fixed = fixed_errors(result)
    if not fixed or not remaining <= before:
        return None
    kb = open_kb(s)
    try:
        kb.store.log_fix([e.code or "" for e in fixed], "accepted", front)
        rel = sorted(result.files)[0]
        backup = next((w.backup for w in written if w.rel == rel), None)
        before_text = backup.read_text(encoding="utf-8") if backup is not None and backup.exists() else ""
        rec = accepted_fix(fixed[0], rel, before_text, result.files[rel].decode("utf-8"))
        try:
            kb.record_accepted(code=rec["code"], message=rec["message"], before=rec["before"], after=rec["after"],
                               tags=[f"file:{rel}"])
        except RecordError as e:  # the fix is written; it is only too large to keep as an example
            return f"not recorded in the knowledge base: {e}"
    finally:
        kb.close()
    return None


def open_templates(progress: Callable[[str], None] | None = None):
    """The template knowledge base (`kb.templates`, beside the records), seeded from the installed Rust
    documentation the first time it is found empty (a few seconds). Raises FerrofixError when it is
    empty and no documentation is installed."""
    from .kb.templates import TemplateStore, default_path
    store = TemplateStore(default_path())
    if store.count() == 0:
        if progress:
            progress("seeding templates from the Rust documentation")
        try:
            store.seed(progress=progress)
        except FerrofixError:
            store.close()
            raise
    return store


def generate(s: Settings, description: str, requirements: str = "", *, tests: bool = False,
             name: str | None = None, timeout_s: float | None = None, model: str | None = None,
             progress: Callable[[str], None] | None = None, cancel=None):
    """`generate.generate` with what the settings name: the model (`[llm]`, or `model`), templates from
    the template knowledge base, knowledge-base examples for the repair loop, and `[repair]` options.
    `timeout_s` is the whole run's budget in seconds (default: twice repair.timeout_s). Returns a
    GenerateResult. Raises FerrofixError (no model, no documentation for templates, no source written)
    and CheckCancelledError when cancelled."""
    from .generate import GenerateOptions, generate as run
    if not description.strip():
        raise FerrofixError("generate: the description is empty")
    engine = make_engine(s, model)
    if progress:
        progress(f"loading {engine.name}")
    engine.load()
    store = open_templates(progress)
    try:
        found = store.search(f"{description}\n{requirements}", limit=GenerateOptions().templates)
    finally:
        store.close()
    opts = GenerateOptions(tests=tests, name=name, timeout_s=timeout_s or 2 * s.repair.timeout_s,
                           test_timeout_s=s.repair.test_timeout_s, samples=max(0, min(s.repair.samples, 4)),
                           drafts=3 if s.repair.samples > 0 else 1,
                           repair=repair_options(s, use_llm=True))
    kb = open_kb(s, require_records=True) if s.kb.examples > 0 else None
    try:
        return run(description, requirements, engine=engine, templates=found, options=opts, progress=progress,
                   cancel=cancel, examples=kb_examples(kb, s) if kb is not None else None)
    finally:
        if kb is not None:
            kb.close()
