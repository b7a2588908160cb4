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
    lazily and shared per process, or an OpenAI-compatible server. Raises FerrofixError for an openai
    backend without a URL and ModelNotFoundError (a FerrofixError) for an unknown model."""
    from .llm import LlamaCppEngine, OpenAIEngine
    if s.llm.backend == "openai":
        if not s.llm.url:
            raise FerrofixError("settings: llm.backend is \"openai\" but llm.url is empty")
        return OpenAIEngine(s.llm.url, model or s.llm.model or "default", api_key=s.llm.api_key or None)
    path = model_store.resolve(model or s.llm.model)
    return LlamaCppEngine.shared(path, n_ctx=s.llm.n_ctx, n_threads=s.llm.n_threads or None)


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
                         use_llm=use_llm, samples=s.repair.samples, max_tokens=s.repair.max_tokens,
                         allow_build_scripts=s.repair.allow_build_scripts,
                         run_tests=s.repair.run_tests, test_timeout_s=s.repair.test_timeout_s,
                         check=check_options(s))
