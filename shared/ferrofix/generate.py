"""`generate`: a description and requirements → a Rust project that compiles (and, with tests, passes
the tests the model wrote from the requirements).

Pipeline:
1. retrieve templates (listings from the Rust books on this machine, `kb.templates`) for the task;
2. the model writes `Cargo.toml` and the sources (markdown headings naming each file, then a fenced
   block) — when that draft does not compile or lacks an item the requirements name in code (`pub fn
   f(…)`, `struct S`), more drafts are sampled in one batch and the one with the least left to do is
   kept; the manifest is rewritten to the package's name, version and edition with no dependencies
   and no build script (nothing is fetched, and nothing the model wrote runs during a check);
3. the repair loop (`repair.repair`, the engine of `fix`) until `cargo check` passes; a crate that
   compiles but still lacks a required item gets one round in which the model writes the missing items
   (kept only if the crate still compiles);
4. with `tests`: the model writes a `#[cfg(test)] mod tests` block from the requirements, the loop makes
   it compile, then `cargo test` runs in the scratch directory (time-limited, killed with its process
   group); while tests fail, a bounded number of rounds hand the failures to the model, whose
   SEARCH/REPLACE answers may change the implementation but never the tests.

Generated code is never run unless tests are asked for, and then only by `cargo test` in the private
scratch directory. The caller's files are written only by `write_project`, into an empty directory.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Callable, Sequence

from . import modelfix
from .cargo import Cancellation, CheckOptions, default_target_dir, run_check, run_tests
from .diagnostics import describe
from .errors import CheckCancelledError, CheckTimeoutError, FerrofixError, ModelAnswerError
from .kb.templates import Template
from .llm import Engine, Message
from .mirror import mirror_dir

SYSTEM = (
    "You are an expert Rust programmer. You write small, complete Rust crates that compile on stable Rust "
    "with only the standard library (no external crates). Implement every requirement fully: never "
    "`todo!()`, `unimplemented!()` or a placeholder. Public items have exactly the names and signatures "
    "the requirements give.")

FORMAT = (
    "Answer with each file of the crate as a markdown heading holding its path, then the file in a fenced "
    "code block: first `Cargo.toml`, then `src/lib.rs` (a library; add `src/main.rs` only if the task asks "
    "for a program). Do not write tests or examples in doc comments.")

TESTS_PROMPT = (
    "Write unit tests for this crate that check the requirements below, and nothing they do not state. "
    "Answer with one fenced ```rust block holding only `#[cfg(test)] mod tests {{ use super::*; ... }}` "
    "with 3 to 6 `#[test]` functions.\n\nRequirements:\n{requirements}\n\nThe crate's {file}:\n```rust\n{code}\n```")

TEST_FIX_PROMPT = (
    "The crate's tests fail. Fix the implementation (never the tests) so that the tests pass and the "
    "requirements hold. Answer with SEARCH/REPLACE blocks:\n<<<<<<< SEARCH\nexact lines of the file\n=======\n"
    "new lines\n>>>>>>> REPLACE\n\nRequirements:\n{requirements}\n\nTest failures:\n```\n{failures}\n```\n\n"
    "{file}:\n```rust\n{code}\n```")

JUDGE_PROMPT = (
    "A unit test of a Rust crate fails. Judge by the requirements alone whether the test expects the wrong "
    "result or the implementation computes the wrong one. Work out, step by step, what the requirements "
    "say the tested call must return, then end with one line: `VERDICT: test` (the test's expectation "
    "is wrong) or `VERDICT: implementation` (the implementation is wrong).\n\nRequirements:\n{requirements}"
    "\n\nThe test:\n```rust\n{test}\n```\n\nIts failure:\n```\n{failure}\n```")
_VERDICT = re.compile(r"VERDICT:\s*\**\s*`?(test|implementation)\b", re.I)

_PATH = re.compile(r"([A-Za-z0-9_./-]+\.(?:rs|toml))")
_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:\n```|\Z)", re.S)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_PLACEHOLDER = re.compile(r"\b(?:todo|unimplemented)!\s*\(")
_TESTS_MOD = re.compile(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{")


@dataclass(slots=True)
class GenerateOptions:
    """`tests`: also write and pass unit tests; `name`: the package name (default: from the model's
    manifest, else from the description); `templates`: how many templates go into the prompt;
    `max_tokens`: per model answer (tokens); `timeout_s`: the whole run's hard budget (seconds);
    `test_timeout_s`: per `cargo test` (seconds); `test_rounds`: rounds of fixing failing tests;
    `samples`: sampled answers per test-fixing round after the greedy one (one batch); `fix_tokens`: per
    test-fixing answer (tokens); `drafts`: when the model's first (greedy) draft does not compile, this
    many drafts in all (the others sampled in one batch), the one with the fewest errors repaired; `judges`:
    answers (the greedy one, the rest sampled in one batch) that judge a test still failing after the
    fixing rounds — a majority saying its expectation contradicts the requirements drops it (0: never);
    `repair`: the repair loop's
    options (`repair.RepairOptions`; its time budget is what is left of `timeout_s`)."""

    tests: bool = False
    name: str | None = None
    templates: int = 2
    max_tokens: int = 1536
    timeout_s: float = 600.0
    test_timeout_s: float = 60.0
    test_rounds: int = 1
    samples: int = 2
    fix_tokens: int = 768
    drafts: int = 3
    judges: int = 3
    repair: object | None = None


@dataclass(slots=True)
class GenerateResult:
    """What `generate` made. `files`: relative path → text; `compiled`: `cargo check` passes (verified);
    `repaired`: the repair loop had to fix the model's first draft; `tests_passed`: `cargo test` passed
    (None without tests); `test_summary`: the last test run's one line; `tests_dropped`: the model's
    tests left out because the judging answers found their expectation wrong (`GenerateOptions.judges`); `templates`: the templates
    the prompt held (`source: page — heading`); `trace`: the repair loop's attempts (as dicts) and the
    test-fixing rounds'; `notes`: what was changed or dropped from the model's answer; `elapsed_ms`;
    `tokens`: model tokens spent."""

    files: dict[str, str]
    compiled: bool
    repaired: bool = False
    tests_passed: bool | None = None
    test_summary: str = ""
    templates: list[str] = field(default_factory=list)
    trace: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    remaining_errors: list[str] = field(default_factory=list)
    tests_dropped: list[str] = field(default_factory=list)
    elapsed_ms: int = 0
    tokens: int = 0

    def to_json(self) -> dict:
        return asdict(self)


def slug(text: str) -> str:
    """A package name from a description: its first words, lowercase, joined by `_` (`generated` when
    nothing is left)."""
    words = re.findall(r"[a-z][a-z0-9]*", text.lower())[:4]
    return "_".join(words) or "generated"


def parse_files(answer: str) -> dict[str, str]:
    """The files of a model answer: each fenced block, named by the last path (`*.rs`, `*.toml`) on the
    line before its fence (a heading, `File: …`, bold text); an unnamed `toml` block is `Cargo.toml`,
    an unnamed Rust block `src/lib.rs` (or `src/main.rs` when it has `fn main` and no library yet)."""
    files: dict[str, str] = {}
    for m in _FENCE.finditer(answer):
        lang, code = m.group(1).lower(), m.group(2)
        before = answer[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        paths = _PATH.findall(before)
        path = paths[-1].lstrip("./") if paths else None
        if path is None:
            if lang == "toml" or code.lstrip().startswith("[package]"):
                path = "Cargo.toml"
            elif "fn main" in code and "src/lib.rs" not in files:
                path = "src/main.rs" if "pub fn" not in code else "src/lib.rs"
            else:
                path = "src/lib.rs"
        if path not in files:
            files[path] = code.rstrip() + "\n"
    return files


def sanitize(files: dict[str, str], name: str | None, description: str) -> tuple[dict[str, str], list[str]]:
    """Keep `Cargo.toml`, `src/**.rs` and `tests/**.rs`; rewrite the manifest to `[package]` name,
    version 0.1.0 and edition 2021 with no dependencies, build script or target tables. Returns the
    files and notes on what was dropped. Raises FerrofixError when no Rust source is left."""
    notes: list[str] = []
    kept: dict[str, str] = {}
    for path, text in files.items():
        p = PurePosixPath(path)
        if ".." in p.parts or p.is_absolute():
            notes.append(f"dropped {path}: not inside the project")
        elif path == "Cargo.toml" or (p.suffix == ".rs" and p.parts[0] in ("src", "tests") and len(p.parts) > 1):
            kept[path] = text
        else:
            notes.append(f"dropped {path}: only Cargo.toml, src/ and tests/ are kept (no build script)")
    manifest = {}
    try:
        manifest = tomllib.loads(kept.get("Cargo.toml", ""))
    except tomllib.TOMLDecodeError as e:
        notes.append(f"the model's Cargo.toml did not parse ({e}); wrote a new one")
    model_name = (manifest.get("package") or {}).get("name") if isinstance(manifest.get("package"), dict) else None
    pkg = name or (model_name if isinstance(model_name, str) and _NAME.match(model_name) else None) or slug(description)
    if not _NAME.match(pkg):
        raise FerrofixError(f"not a package name: {pkg!r}")
    deps = sorted(set((manifest.get("dependencies") or {})) | set((manifest.get("dev-dependencies") or {})))
    if deps:
        notes.append(f"dropped dependencies {', '.join(deps)}: the standard library only (nothing is fetched)")
    kept["Cargo.toml"] = (f'[package]\nname = "{pkg}"\nversion = "0.1.0"\nedition = "2021"\n\n'
                          "[dependencies]\n")
    if not any(p.endswith(".rs") for p in kept):
        raise FerrofixError("the model wrote no Rust source")
    return dict(sorted(kept.items())), notes


_ITEM = re.compile(r"\b(fn|struct|enum|trait)\s+([A-Za-z_][A-Za-z0-9_]*)")


def required_items(requirements: str) -> list[tuple[str, str]]:
    """The items the requirements name in code spans (`pub fn word_count(…)`, `struct Stack<T>`, a method
    `fn push(&mut self, …)`), as (keyword, name) pairs in order, without repeats."""
    found: list[tuple[str, str]] = []
    for span in re.findall(r"`([^`\n]+)`", requirements):
        for kind, name in _ITEM.findall(span):
            if (kind, name) not in found:
                found.append((kind, name))
    return found


def missing_items(files: dict[str, str], items: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The `items` (keyword, name) that no Rust source of `files` defines."""
    code = "\n".join(t for p, t in files.items() if p.endswith(".rs"))
    return [(k, n) for k, n in items if not re.search(rf"\b{k}\s+{re.escape(n)}\b", code)]


def crate_root(files: dict[str, str]) -> str:
    """`src/lib.rs` when there is one, else `src/main.rs`, else the first source."""
    for p in ("src/lib.rs", "src/main.rs"):
        if p in files:
            return p
    return next(p for p in files if p.endswith(".rs"))


def check_out_dir(out: Path) -> None:
    """Raise FerrofixError unless `out` does not exist or is an empty directory (a new crate never
    overwrites anything)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FerrofixError(f"{out} exists and is not an empty directory: not written")


def _write_tree(root: Path, files: dict[str, str]) -> list[Path]:
    """Write `files` (relative POSIX path → text) under `root`; returns the paths written."""
    written = []
    for rel, text in files.items():
        p = root.joinpath(*PurePosixPath(rel).parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        written.append(p)
    return written


def write_project(out: Path, files: dict[str, str]) -> list[Path]:
    """Write `files` under `out`, which must not exist or be an empty directory. Returns the paths
    written. Raises FerrofixError when `out` holds anything (nothing is overwritten)."""
    out = Path(out)
    check_out_dir(out)
    return _write_tree(out, files)


class _Run:
    """One generation: the scratch directory, the budget, the model and the trace."""

    def __init__(self, engine: Engine, opts: GenerateOptions, progress: Callable[[str], None],
                 cancel: Cancellation | None, examples) -> None:
        self.engine, self.opts, self.progress, self.cancel, self.examples = engine, opts, progress, cancel, examples
        self.deadline = time.monotonic() + opts.timeout_s
        self.tokens = 0
        self.trace: list[dict] = []
        self.notes: list[str] = []
        self.dir = Path(tempfile.mkdtemp(prefix="ferrofix-generate-"))
        self.target = self.dir / "target"
        self.root = self.dir / "crate"

    def left(self) -> float:
        if self.cancel is not None and self.cancel.cancelled:
            raise CheckCancelledError("generate was cancelled")
        return self.deadline - time.monotonic()

    def stop(self) -> bool:
        return (self.cancel is not None and self.cancel.cancelled) or time.monotonic() > self.deadline

    def ask(self, messages: list[Message], n: int = 0, max_tokens: int | None = None,
            greedy: bool = True) -> list[str]:
        """The greedy answer (unless not `greedy`), then `n` samples (one batch)."""
        if self.left() <= 0:
            return []
        limit = max_tokens or self.opts.max_tokens
        answers: list[str] = []
        try:
            if greedy:
                c = self.engine.chat(messages, max_tokens=limit, temperature=0.0, should_stop=self.stop)
                self.tokens += c.prompt_tokens + c.completion_tokens
                answers.append(c.text)
            if n > 0 and self.left() > 0:
                more = self.engine.chat_n(messages, n, max_tokens=limit, temperature=0.7, should_stop=self.stop)
                self.tokens += sum(x.prompt_tokens + x.completion_tokens for x in more)
                answers += [x.text for x in more]
        except CheckCancelledError:
            self.left()  # raises when the user cancelled; a spent budget ends with what there is
        return answers

    def save(self, files: dict[str, str]) -> None:
        _write_tree(self.root, files)

    def repair(self, files: dict[str, str], all_targets: bool):
        """The repair loop on `files` (in the scratch crate); returns (files, result), result None when the
        loop stopped early (a check over its time limit, a model answering nothing usable; noted)."""
        from .repair import RepairOptions, repair
        base = self.opts.repair if isinstance(self.opts.repair, RepairOptions) else RepairOptions()
        self.save(files)
        opts = RepairOptions(**{f: getattr(base, f) for f in base.__slots__})
        opts.timeout_s = max(1.0, min(base.timeout_s, self.left()))
        opts.check = CheckOptions(base.check.command, base.check.extra_args, base.check.features,
                                  all_targets or base.check.all_targets, base.check.timeout_s)
        opts.run_tests = False
        try:
            result = repair(self.root, opts, engine=self.engine, progress=self.progress, cancel=self.cancel,
                            examples=self.examples)
        except (CheckTimeoutError, ModelAnswerError) as e:
            self.left()  # a cancellation raises here
            self.notes.append(f"the repair loop stopped: {e}")
            return files, None
        self.tokens += result.tokens
        self.trace += [asdict(a) for a in result.trace]
        out = dict(files)
        for rel, data in result.files.items():
            out[rel] = data.decode("utf-8")
        return out, result

    def test(self, files: dict[str, str]):
        self.save(files)
        return run_tests(self.root, target_dir=self.target, timeout_s=max(1.0, min(self.opts.test_timeout_s,
                                                                                  self.left())),
                         cancel=self.cancel)

    def count_errors(self, files: dict[str, str], index: int) -> int:
        """Errors of `cargo check` on a draft (in its own directory, the shared target dir); a check over
        its time limit counts as 1,000."""
        root = self.dir / f"draft{index}"
        _write_tree(root, files)
        try:
            res = run_check(root, CheckOptions(timeout_s=max(1.0, min(120.0, self.left())), target_dir=self.target),
                            cancel=self.cancel)
        except CheckTimeoutError:
            return 1000
        return len(res.errors)

    def compiles(self, files: dict[str, str]) -> bool:
        self.save(files)
        try:
            res = run_check(self.root, CheckOptions(all_targets=True, timeout_s=max(1.0, self.left()),
                                                    target_dir=self.target), cancel=self.cancel)
        except CheckTimeoutError:
            return False
        return not res.errors

    def close(self) -> None:
        """Remove the scratch crate with its build outputs and the repair loop's mirror of it."""
        shutil.rmtree(self.dir, ignore_errors=True)
        shutil.rmtree(mirror_dir(self.root), ignore_errors=True)
        shutil.rmtree(default_target_dir(self.root), ignore_errors=True)


def _tests_block(text: str) -> str | None:
    """The `#[cfg(test)] mod … { … }` block of `text` (to its matching brace), or None."""
    m = _TESTS_MOD.search(text)
    if m is None:
        return None
    depth = 0
    for i in range(m.end() - 1, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[m.start():i + 1]
    return None


def generate(description: str, requirements: str, *, engine: Engine, templates: Sequence[Template] = (),
             options: GenerateOptions | None = None, progress: Callable[[str], None] | None = None,
             cancel: Cancellation | None = None, examples=None) -> GenerateResult:
    """Write a crate for `description` meeting `requirements` with `engine`, starting from `templates`
    (see the module docstring). `examples` is the repair loop's knowledge-base callback. Raises
    FerrofixError when the model writes no Rust source, ModelError when the model cannot run, and
    CheckCancelledError when cancelled; a time budget that runs out ends the run with what it has."""
    opts = options or GenerateOptions()
    progress = progress or (lambda _m: None)
    t0 = time.monotonic()
    run = _Run(engine, opts, progress, cancel, examples)
    try:
        shown = "\n".join(t.prompt_text() for t in templates)
        user = f"Task: {description.strip()}\n\nRequirements:\n{requirements.strip() or '(none beyond the task)'}\n"
        if shown:
            user += ("\nFor reference only, listings from the Rust documentation on related APIs (do not copy "
                     "their types, names or `main`; follow the requirements):\n"
                     f"```rust\n{shown}```\n")
        user += f"\n{FORMAT}"
        progress("writing the crate")
        messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]
        answers = run.ask(messages)
        if not answers:
            raise FerrofixError("the time budget ran out before the model answered")
        items = required_items(requirements)
        # (errors + required items missing, index, files, notes): what is left to do on each draft
        drafts: list[tuple[int, int, dict[str, str], list[str]]] = []

        def consider(answer: str) -> None:
            try:
                f, n = sanitize(parse_files(answer), opts.name, description)
            except FerrofixError:
                return
            todo = run.count_errors(f, len(drafts)) + len(missing_items(f, items))
            drafts.append((todo, len(drafts), f, n))

        progress("checking the draft")
        consider(answers[0])
        if (not drafts or drafts[0][0] > 0) and opts.drafts > 1:
            progress(f"the draft does not compile or lacks a required item: {opts.drafts - 1} more drafts")
            for answer in run.ask(messages, n=opts.drafts - 1, greedy=False):
                consider(answer)
        if not drafts:
            raise FerrofixError("the model wrote no Rust source")
        todo, _, files, notes = min(drafts, key=lambda d: (d[0], d[1]))
        if len(drafts) > 1:
            notes.append(f"the first draft had {drafts[0][0]} error(s) or missing item(s); of {len(drafts)} "
                         f"drafts the one kept had {todo}")
        progress("checking and repairing")
        files, res = run.repair(files, all_targets=False)
        if res is not None and res.fixed and missing_items(files, items):
            files, res = _complete(run, files, res, items, requirements, messages)
        gone = missing_items(files, items)
        if gone:
            notes.append("required but not written: " + ", ".join(f"{k} {n}" for k, n in gone))
        result = GenerateResult(files=files, compiled=res is not None and res.fixed,
                                repaired=res is None or bool(res.initial_errors),
                                templates=[f"{t.source}: {t.page} — {t.heading}" for t in templates], notes=notes,
                                remaining_errors=[describe(d) for d in res.remaining_errors] if res else [])
        if opts.tests and result.compiled:
            _add_tests(run, result, requirements)
        result.trace, result.tokens = run.trace, run.tokens
        result.notes += run.notes
        result.elapsed_ms = int((time.monotonic() - t0) * 1000)
        return result
    finally:
        run.close()


COMPLETE_PROMPT = (
    "The crate below compiles but lacks items the requirements name: {missing}. Write them now, complete "
    "(no `todo!()`), with the exact signatures of the requirements, in one fenced ```rust block holding only "
    "the new items (they are appended to {file}; a method goes in a new `impl` block).\n\nRequirements:\n"
    "{requirements}\n\n{file}:\n```rust\n{code}\n```")


def _complete(run: _Run, files: dict[str, str], res, items, requirements: str, messages):
    """One round for the required items a compiling crate lacks: the model writes them, they are appended
    to the crate root and repaired; kept only if the crate still compiles. Returns (files, result)."""
    root = crate_root(files)
    missing = missing_items(files, items)
    run.progress("writing the missing items")
    answers = run.ask([messages[0], {"role": "user", "content": COMPLETE_PROMPT.format(
        missing=", ".join(f"`{k} {n}`" for k, n in missing), file=root, requirements=requirements.strip(),
        code=files[root])}])
    block = modelfix.parse_code_block(answers[0]) if answers else None
    if not block or _PLACEHOLDER.search(block):
        run.notes.append("the model did not write the missing items")
        return files, res
    grown = {**files, root: files[root].rstrip("\n") + "\n\n" + block.strip("\n") + "\n"}
    grown, res2 = run.repair(grown, all_targets=False)
    if res2 is None or not res2.fixed or len(missing_items(grown, items)) >= len(missing):
        run.notes.append("the missing items the model wrote did not compile; left out")
        run.save(files)
        return files, res
    return grown, res2


def _add_tests(run: _Run, result: GenerateResult, requirements: str) -> None:
    """Tests from the requirements, made to compile, then passing (bounded rounds); updates `result`."""
    files = result.files
    root = crate_root(files)
    run.progress("writing tests")
    answers = run.ask([{"role": "system", "content": SYSTEM}, {"role": "user", "content": TESTS_PROMPT.format(
        requirements=requirements.strip() or "(those of the task)", file=root, code=files[root])}])
    block = _tests_block(modelfix.parse_code_block(answers[0]) or "") if answers else None
    if block is None:
        result.notes.append("the model wrote no tests module")
        result.tests_passed, result.test_summary = False, "no tests were written"
        return
    with_tests = dict(files)
    with_tests[root] = files[root].rstrip("\n") + "\n\n" + block + "\n"
    run.progress("checking the tests")
    with_tests, res = run.repair(with_tests, all_targets=True)
    if res is None or not res.fixed:
        result.notes.append("the tests the model wrote do not compile; they were left out")
        result.tests_passed, result.test_summary = False, "the tests do not compile"
        return
    block = _tests_block(with_tests[root]) or block
    result.files = files = with_tests
    run.progress("cargo test")
    t = run.test(files)  # a time limit makes a failed run (TestRun), never an exception
    rounds = 0
    while not t.passed and rounds < run.opts.test_rounds and run.left() > 0:
        rounds += 1
        run.progress(f"fixing failing tests (round {rounds})")
        prompt = TEST_FIX_PROMPT.format(requirements=requirements.strip(), failures=t.failures or t.summary,
                                        file=root, code=files[root])
        best = None
        for answer in run.ask([{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                              n=run.opts.samples, max_tokens=run.opts.fix_tokens):
            blocks = modelfix.parse_search_replace(answer)
            new = modelfix.apply_search_replace(files[root], blocks, 1) if blocks else None
            outcome = "rejected"
            if new is None:
                reason = "no SEARCH/REPLACE block matched"
            elif _tests_block(new) != block:
                reason = "it changed the tests"
            elif len(_PLACEHOLDER.findall(new)) > len(_PLACEHOLDER.findall(files[root])):
                reason = "it added a placeholder (todo!, unimplemented!)"
            elif not run.compiles({**files, root: new}):
                reason = "it does not compile"
            else:
                t2 = run.test({**files, root: new})
                if t2.passed or len(t2.failed) < len(t.failed):
                    best, outcome, reason = (new, t2), "accepted", t2.summary
                else:
                    reason = t2.summary
            run.trace.append({"stage": "tests", "error": t.summary, "candidate": f"round {rounds}",
                              "outcome": outcome, "reason": reason, "check_ms": 0, "tokens": 0, "rule": ""})
            if best is not None and best[1].passed:
                break
        if best is None:
            continue
        files = {**files, root: best[0]}
        t = best[1]
        run.save(files)
    if not t.passed and t.failed and run.opts.judges > 0 and run.left() > 0:
        files, t = _judge_failing_tests(run, result, files, root, t, requirements)
    result.files = files
    result.tests_passed, result.test_summary = t.passed, t.summary


def _test_function(text: str, name: str) -> tuple[int, int] | None:
    """Character span of the `#[test]` function `name` (libtest's path, e.g. `tests::lcm_works`; its
    last segment is the function) in `text`, from its first attribute to its closing brace (tree-sitter)."""
    from . import context
    data = text.encode("utf-8")
    want = name.rsplit("::", 1)[-1].encode()
    stack = [context.parse(data).root_node]
    while stack:
        node = stack.pop()
        if node.type == "function_item":
            ident = node.child_by_field_name("name")
            if ident is not None and ident.text == want:
                start = node
                prev = node.prev_named_sibling
                while prev is not None and prev.type == "attribute_item":
                    start, prev = prev, prev.prev_named_sibling
                return len(data[:start.start_byte].decode("utf-8")), len(data[:node.end_byte].decode("utf-8"))
        stack.extend(node.named_children)
    return None


def _failure_of(report: str, name: str) -> str:
    """libtest's `---- NAME stdout ----` section of `report` (its panic message: assertion, left, right)."""
    head = f"---- {name} stdout ----"
    at = report.find(head)
    if at < 0:
        return report[:800]
    end = report.find("\n---- ", at + len(head))
    return report[at:end if end > 0 else None].strip()[:800]


def _judge_failing_tests(run: _Run, result: GenerateResult, files: dict[str, str], root: str, t, requirements: str):
    """Tests that still fail after the fixing rounds: each goes to the model with the requirements and its
    failure, `opts.judges` answers (greedy + samples in one batch); a test a strict majority finds
    expecting the wrong result is dropped (noted in `result.tests_dropped` and `notes`). At most half of
    the tests are dropped, and only when every other test passes after it; returns (files, test run)."""
    text = files[root]
    total = len(re.findall(r"#\[test\]", _tests_block(text) or ""))
    if not total or len(t.failed) > total // 2:
        result.notes.append(f"{len(t.failed)} of {total} tests fail: too many to judge one by one")
        return files, t
    drop: list[tuple[str, tuple[int, int]]] = []
    for name in t.failed:
        span = _test_function(text, name)
        if span is None or run.left() <= 0:
            return files, t
        run.progress(f"judging the failing test {name}")
        prompt = JUDGE_PROMPT.format(requirements=requirements.strip() or "(those of the task)",
                                     test=text[span[0]:span[1]], failure=_failure_of(t.failures, name))
        answers = run.ask([{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt}],
                          n=max(0, run.opts.judges - 1), max_tokens=run.opts.fix_tokens)
        against = sum(1 for a in answers if (found := _VERDICT.findall(a)) and found[-1].lower() == "test")
        run.trace.append({"stage": "tests", "error": t.summary, "candidate": f"judge {name}",
                          "outcome": "accepted" if against * 2 > len(answers) else "rejected",
                          "reason": f"{against} of {len(answers)} answers: the test expects the wrong result",
                          "check_ms": 0, "tokens": 0, "rule": ""})
        if not answers or against * 2 <= len(answers):
            return files, t  # the test stands: the implementation is what is wrong
        drop.append((name, span))
    new = text
    for a, b in sorted((sp for _, sp in drop), reverse=True):
        new = new[:a].rstrip(" \t") + new[b:]
    candidate = {**files, root: new}
    t2 = run.test(candidate)
    if not t2.passed:
        return files, t
    names = [n for n, _ in drop]
    result.tests_dropped += names
    result.notes.append(f"dropped {len(names)} of the model's tests whose expectation the judging answers found "
                        f"wrong: {', '.join(names)}")
    run.save(candidate)
    return candidate, t2
