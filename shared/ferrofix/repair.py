"""The compile-and-fix loop.

Stages, in order, each candidate verified by a check in a scratch mirror of the workspace
(`mirror.Mirror`) and accepted only when its target error is gone and no new error appears:

1. `rustc-machine-applicable`: all of rustc's MachineApplicable suggestions at once;
2. `rustc-suggestion`: each suggestion alone (MachineApplicable, MaybeIncorrect, then HasPlaceholders
   without placeholders), then those of warnings whose spans overlap the error's, then placeholder
   suggestions made concrete (`expect("REASON")` → `?`, `unwrap()`); stubs rejected;
3. `model`: for each remaining error, the enclosing item (tree-sitter) and the error as plain lines go
   to the model, which answers search/replace blocks (greedy), then a whole-item rewrite, then samples.

A candidate that only deletes what the author wrote (a name or a literal, for an error not about
something unused or duplicate) is tried last: after the other suggestions and the model's other answers.

Borrow checking runs only after type checking succeeds, and what uses an unresolved name is not type
checked, so a fix may reveal errors that were hidden before: those are accepted as a "reveal" (bounded),
not as a regression. Errors the build environment causes (a crate the build cannot find, its macros, a
nightly-only target: `Environment`) get rustc's suggestions but no model time.
"""

from __future__ import annotations

import difflib
import os
import re
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, NamedTuple, Sequence

from rapidfuzz.distance import OSA

from .cargo import Cancellation, CheckOptions, CheckResult, Workspace, locate_workspace
from .context import (ItemContext, binary_operands, call_arguments_at, enclosing_item, has_syntax_error,
                      impl_self_type, loop_start_at, method_signatures, move_impl_parameter, parameters_at, receiver_at,
                      reference_at, return_type_at, struct_initializer_at, window)
from .diagnostics import HAS_PLACEHOLDERS, MACHINE_APPLICABLE, MAYBE_INCORRECT, UNSPECIFIED, Diagnostic
from .edits import (Fix, TextEdit, apply_to_files, concrete_variants, is_deletion_only, is_mostly_deletion, is_stub, non_overlapping,
                    suggestion_fixes, unified_diff)
from .edits import tokens as code_tokens
from .edits import OverlappingEditsError
from .errors import (CheckCancelledError, CheckTimeoutError, ContextOverflowError, FerrofixError, ModelAnswerError,
                     SourceEncodingError)
from .llm import Engine
from .mirror import Mirror
from . import modelfix

#: Codes rustc's borrow checker reports; they only appear once type checking passes.
BORROWCK_CODES = frozenset("E0381 E0382 E0383 E0384 E0499 E0502 E0503 E0505 E0506 E0507 E0508 E0509 "
                           "E0373 E0515 E0521 E0594 E0596 E0597 E0712 E0713 E0716 E0626".split())
#: Codes of name resolution, which runs before type checking: while a name is unresolved, rustc does not
#: type-check what uses it ("type annotations needed" and the like appear once it resolves).
RESOLVE_CODES = frozenset("E0405 E0407 E0408 E0411 E0412 E0415 E0416 E0422 E0423 E0424 E0425 E0426 E0429 "
                          "E0430 E0431 E0432 E0433 E0434 E0435 E0437 E0438 E0531 E0532 E0573 E0574 E0575 "
                          "E0576 E0577 E0603".split())
#: std methods returning shared references → their `&mut` variants (slices, Vec, maps, Option)
_MUT_VARIANTS = {k.encode(): v.encode() for k, v in {
    "iter": "iter_mut", "values": "values_mut", "chunks": "chunks_mut", "chunks_exact": "chunks_exact_mut",
    "get": "get_mut", "first": "first_mut", "last": "last_mut", "as_ref": "as_mut", "as_deref": "as_deref_mut",
    "borrow": "borrow_mut", "as_slice": "as_mut_slice", "split_first": "split_first_mut",
    "split_last": "split_last_mut"}.items()}
#: std types by their number of generic type arguments, the prelude's first: candidates for an unknown
#: generic type rustc finds nothing similar to (`Maybe<T>` → `Option<T>`, `List<T>` → `Vec<T>`,
#: `Map<K, V>` → `HashMap<K, V>`: names from other languages), each verified with no new error
_STD_GENERICS = {1: ("Option", "Vec", "Box", "std::rc::Rc", "std::sync::Arc", "std::cell::RefCell",
                     "std::collections::HashSet", "std::collections::VecDeque", "std::collections::BTreeSet"),
                 2: ("Result", "std::collections::HashMap", "std::collections::BTreeMap")}
#: Type names from other languages → the Rust types they usually mean (C, Java, Go, Python, C#):
#: candidates for an unknown type rustc finds nothing similar to (`uint` → `usize`)
_FOREIGN_TYPES = {"int": ("i32", "isize", "i64"), "uint": ("usize", "u32", "u64"), "long": ("i64",),
                  "ulong": ("u64",), "short": ("i16",), "ushort": ("u16",), "byte": ("u8",), "sbyte": ("i8",),
                  "float": ("f32", "f64"), "double": ("f64",), "boolean": ("bool",), "Boolean": ("bool",),
                  "string": ("String", "str"), "Integer": ("i32",), "Double": ("f64",), "size_t": ("usize",),
                  "int32": ("i32",), "int64": ("i64",), "uint8": ("u8",), "uint32": ("u32",), "uint64": ("u64",),
                  "float64": ("f64",), "rune": ("char",), "object": ("Box<dyn std::any::Any>",)}
#: Method names from other languages' standard libraries (C++, Java, Python, JavaScript, Go) → the
#: Rust std methods they usually mean: candidates for E0599 "no method named `size` found" where rustc
#: finds nothing similar (`v.size()` → `v.len()`, `buf.add(b)` → `buf.push(b)`)
_METHOD_SYNONYMS = {
    "size": ("len",), "length": ("len",), "count": ("len",), "len": ("count",), "add": ("push", "push_str", "insert"),
    "append": ("push", "push_str", "extend"), "push_back": ("push",), "pop_back": ("pop",), "emplace_back": ("push",),
    "empty": ("is_empty",), "isEmpty": ("is_empty",), "has": ("contains", "contains_key"),
    "contains": ("contains_key",), "contains_key": ("contains",), "containsKey": ("contains_key",),
    "includes": ("contains",), "to_upper": ("to_uppercase",), "to_lower": ("to_lowercase",),
    "upper": ("to_uppercase",), "lower": ("to_lowercase",), "toUpperCase": ("to_uppercase",),
    "toLowerCase": ("to_lowercase",), "startswith": ("starts_with",), "endswith": ("ends_with",),
    "startsWith": ("starts_with",), "endsWith": ("ends_with",), "each": ("for_each",), "foreach": ("for_each",),
    "forEach": ("for_each",), "erase": ("remove",), "delete": ("remove",), "put": ("insert",),
    "strip": ("trim",), "lstrip": ("trim_start",), "rstrip": ("trim_end",), "to_str": ("as_str",),
    "push_str": ("push",), "push": ("push_str",), "front": ("first",), "back": ("last",),
    "remove_all": ("clear",), "indexOf": ("find",), "index_of": ("find",), "substr": ("get",),
    "toString": ("to_string",), "equals": ("eq",), "get_or_default": ("unwrap_or_default",),
    "add_all": ("extend",), "addAll": ("extend",), "keySet": ("keys",), "entrySet": ("iter",),
}
#: rustc's primitive numeric types (`as` casts between them always compile)
_NUMERIC = frozenset("i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64".split())
#: errors about a type's fields or missing items: the prompt shows the impl's self type definition
FIELD_CODES = frozenset("E0026 E0027 E0046 E0062 E0063 E0559 E0560 E0609 E0610 E0615 E0616".split())
#: privacy errors: their fix may make an item public
PRIVACY_CODES = frozenset("E0603 E0624 E0616 E0451 E0445 E0446 E0364 E0365 E0577 E0742 E0449".split())
#: Codes about unused or duplicate items, where a fix may legitimately only delete code.
DELETION_OK_CODES = frozenset("E0062 E0124 E0201 E0252 E0254 E0255 E0260 E0263 E0403 E0407 E0408 E0415 "
                              "E0416 E0428 E0430 E0431 E0061 E0107 E0050 E0046 E0117 E0119 "
                              "E0120 E0184 E0199 E0200 E0204 E0407 E0437 E0438 E0449 E0451 E0784".split())


#: Messages saying something is there once too often or should not be written at all ("the value of the
#: associated type `Item` in trait `Iterator` is already specified", "cannot specify lifetime arguments
#: explicitly ...", "field `x` specified more than once"): deleting it is the fix, whatever the code.
_DELETION_MESSAGE = re.compile(r"\b(unused|already (specified|defined|declared|imported|bound)|twice|duplicate|"
                               r"more than once|multiple times|never used|redundant|unnecessary|superfluous|cannot specify)\b")

_VALUE_TOKEN = re.compile(r"^([A-Za-z_]\w*|\d[\w.]*|\".*|'.*)$")
_KEYWORDS = frozenset("mut ref dyn move pub unsafe async await const static let in as where impl".split())

#: Fixes per run whose new errors are accepted as revealed by a later compiler stage (see `_revealed`).
MAX_REVEALS = 3

#: Items longer than this (lines) are fixed with search/replace only, never rewritten whole.
MAX_REWRITE_LINES = 50


@dataclass(slots=True)
class RepairOptions:
    """Budget and switches for `repair`.

    `max_rounds`: passes of the loop (each accepts at most one candidate outside stage 1);
    `timeout_s`: wall-clock budget in seconds for the whole repair (checks and model);
    `use_llm`: run the model stage; `samples`: extra sampled model answers per error after the greedy
    ones; `max_tokens`: per model answer; `max_model_errors`: errors per round handed to the model;
    `check`: how to run cargo; `focus`: when set, only the errors it selects in the first check are
    worked on (an editor's "fix this error"), and the run stops once they are gone;
    `overrides`: workspace-relative path → bytes replacing files on disk (unsaved editor buffers);
    `allow_build_scripts`: candidates other than rustc's own suggestions may edit code cargo runs at
    build time (`Package.build_time`: build scripts, proc-macro crates); off, they are refused.
    """

    max_rounds: int = 8
    timeout_s: float = 300.0
    use_llm: bool = True
    samples: int = 1
    max_tokens: int = 512
    max_model_errors: int = 3
    max_unparsable_answers: int = 3
    check: CheckOptions = field(default_factory=CheckOptions)
    focus: Callable[[Diagnostic], bool] | None = None
    overrides: dict[str, bytes] = field(default_factory=dict)
    allow_build_scripts: bool = False


@dataclass(slots=True)
class Attempt:
    """One entry of the trace: the stage, the error it targeted, the candidate, and what happened.

    `outcome` is "accepted" or "rejected"; `reason` says why; `check_ms` is the verifying check's time."""

    stage: str
    error: str
    candidate: str
    outcome: str
    reason: str = ""
    check_ms: int = 0
    tokens: int = 0


@dataclass(slots=True)
class RepairResult:
    """What `repair` found: whether the workspace now checks without errors, the errors before and
    after, the verified new contents of changed files (workspace-relative path → bytes), the unified
    diff, the trace, model tokens used, and the wall time in ms. With `RepairOptions.focus`, `targets`
    are the errors it selected and `target_fixed` says whether they are all gone (for a run without a
    focus, `target_fixed` equals `fixed`)."""

    fixed: bool
    initial_errors: list[Diagnostic]
    remaining_errors: list[Diagnostic]
    files: dict[str, bytes]
    diff: str
    trace: list[Attempt]
    elapsed_ms: int
    tokens: int = 0
    workspace: Path | None = None
    target_fixed: bool = False
    targets: list[Diagnostic] = field(default_factory=list)

    def to_json(self) -> dict:
        """The `--json` object: fixed, initial_errors, remaining_errors, diff, stages, elapsed_ms, tokens."""
        return {
            "fixed": self.fixed,
            "initial_errors": [d.to_json() for d in self.initial_errors],
            "remaining_errors": [d.to_json() for d in self.remaining_errors],
            "diff": self.diff,
            "stages": [asdict(a) for a in self.trace],
            "elapsed_ms": self.elapsed_ms,
            "tokens": self.tokens,
            "files_changed": sorted(self.files),
        }


def _eid(d: Diagnostic) -> tuple:
    p = d.primary_span
    return (d.code, d.message, p.file_name if p else None)


def describe(d: Diagnostic) -> str:
    """`E0382 borrow of moved value: `s` (src/main.rs:6)` — a one-line label for traces and progress."""
    p = d.primary_span
    where = f" ({p.file_name}:{p.line_start})" if p else ""
    return f"{d.code or d.level} {d.message}{where}"


class _Budget:
    def __init__(self, seconds: float, cancel: Cancellation | None):
        self.deadline = time.monotonic() + seconds
        self.cancel = cancel

    @property
    def left(self) -> float:
        return self.deadline - time.monotonic()

    def exhausted(self) -> bool:
        if self.cancel is not None and self.cancel.cancelled:
            raise CheckCancelledError("repair was cancelled")
        return self.left <= 0


class Environment:
    """What the build environment breaks, from one check's errors: crates the build cannot find (a
    Cargo.toml change or an absent dev-dependency; ferrofix never edits manifests) and targets that need
    a nightly toolchain (E0554 `#![feature]`). `explains(e)` says why an error follows from them."""

    def __init__(self, errors: Sequence[Diagnostic], missing_crate: Callable[[Diagnostic], str | None]) -> None:
        """`missing_crate(d)`: the crate an unresolved-crate error names, else None (`Repairer.missing_crate`)."""
        #: id(error) → the missing crate it names itself
        self.own: dict[int, str] = {}
        #: crate name → the (package id, target name) pairs reporting it missing
        self.missing: dict[str, set[tuple[str, str]]] = {}
        #: (package id, target name, file) of files that import a missing crate at their top level →
        #: (the crate, how many builds reported it missing)
        self.top_level: dict[tuple[str, str, str], tuple[str, int]] = {}
        self.nightly: set[tuple[str, str]] = set()
        for d in errors:
            target = (d.package_id, d.target_name)
            name = missing_crate(d)
            if name is not None:
                self.own[id(d)] = name
                self.missing.setdefault(name, set()).add(target)
                p = d.primary_span
                if p is not None and p.text and not p.text[0].text[:1].isspace():  # unindented `use x::…`
                    self.top_level.setdefault((*target, p.file_name), (name, d.reported))
            elif d.code == "E0554":
                self.nightly.add(target)

    @property
    def broken_targets(self) -> set[tuple[str, str]]:
        return {t for ts in self.missing.values() for t in ts} | self.nightly

    def explains(self, e: Diagnostic) -> str | None:
        """Why `e` (one of the errors given) follows from the environment, or None for an error the
        source can fix. Covered: the unresolved crate itself (E0463 "can't find crate for `x`", an E0432/E0433 naming an
        undeclared crate); errors whose message or notes name a missing crate ("`x` is imported here, but
        it is an unresolved item"); in a target missing a crate, unresolved macros and attributes (its
        macros and derives) and E0601 (a `main` a missing macro defines), and any error in a file that
        imports the crate at its top level; E0554 and every error of a target that needs nightly."""
        own_missing = self.own.get(id(e))
        if own_missing is not None:
            return (f"needs the crate `{own_missing}`, which the build cannot find (a Cargo.toml change; "
                    "ferrofix does not edit manifests)")
        target = (e.package_id, e.target_name)
        if e.code == "E0554" or target in self.nightly:
            return f"target `{e.target_name}` needs a nightly toolchain (`#![feature]`)"
        texts = [e.message] + [c.message for c in e.children]
        for name in self.missing:
            if any(f"`{name}`" in t or f"`{name}::" in t for t in texts):
                return f"follows from the missing crate `{name}`"
        here = sorted(n for n, targets in self.missing.items() if target in targets)
        if here and (e.code == "E0601" or re.match(r"cannot find (macro|attribute|derive macro) ", e.message)):
            return f"likely from a macro of the missing crate `{here[0]}`"
        # the file of the primary span or of any macro invocation it expands from, unless more builds
        # report the error than miss the crate (the library's own build, besides its unit-test build
        # that imports a dev-dependency under `#[cfg(test)]`)
        span = e.primary_span
        while span is not None:
            found = self.top_level.get((*target, span.file_name))
            if found is not None and e.reported <= found[1]:
                return f"in a file that uses the missing crate `{found[0]}`"
            span = span.expansion.span if span.expansion else None
        return None


class _Scaffold(NamedTuple):
    """A rustc placeholder suggestion applied to one file (`Repairer._scaffold`)."""

    title: str
    #: the file's bytes with the suggestion applied
    data: bytes
    #: bytes and lines the text before the error's span moved by
    shift_bytes: int
    shift_lines: int
    #: 1-based lines holding a placeholder
    fill: set[int]


class _Base(NamedTuple):
    """What a model answer is applied to (`Repairer._base`)."""

    data: bytes
    #: the item around the error in `data`
    item: ItemContext
    #: the error's 1-based line, and the lines to mark as the error and for completion
    error_line: int
    error_lines: set[int]
    fill: set[int]


class Repairer:
    """One repair run over one workspace; use `repair()` for the common case."""

    def __init__(self, ws: Workspace, options: RepairOptions, engine: Engine | None,
                 progress: Callable[[str], None] | None, cancel: Cancellation | None,
                 examples: Callable[[Diagnostic], Sequence[modelfix.Example]] | None = None):
        self.ws = ws
        self.opt = options
        self.engine = engine if options.use_llm else None
        self.progress = progress or (lambda _m: None)
        self.cancel = cancel
        self.examples = examples
        self.trace: list[Attempt] = []
        self.tokens = 0
        self.unparsable = 0
        self.parsed_any = False
        self.reveals = 0
        self.skipped: set[str] = set()
        self._defined: set[str] | None = None

    # -- verification ------------------------------------------------------------------------
    def verify(self, stage: str, target: Sequence[Diagnostic], label: str, changes: dict[str, bytes],
               errors: list[Diagnostic], *, tokens: int = 0, reveal: bool = True) -> CheckResult | None:
        """Check the state with `changes` applied in the mirror; accept it (return the check) when every
        targeted error is gone and no error is new. New errors that a later compiler stage reports
        are revealed, not caused (`_revealed`: borrow checking after type checking, type checking after
        name resolution; at most `MAX_REVEALS` such fixes per run), and so are errors in targets the
        previous check never reached (an example or test blocked by the broken library). Otherwise
        restore the mirror and return None. `reveal=False` (a guessed candidate) accepts no new coded
        error at all, only deny-by-default lints (coded by lint name) away from its own lines (they run after borrow
        checking). Every outcome is recorded in the trace."""
        err_label = "; ".join(describe(t) for t in target[:3])
        changed = {f: b for f, b in changes.items() if self.state.get(f) != b}
        if not changed:
            self._record(stage, err_label, label, "rejected", "changes nothing", 0, tokens)
            return None
        if not self.opt.allow_build_scripts and not stage.startswith("rustc"):
            if (hit := next((f for f in changed if self.ws.runs_at_build_time(f)), None)) is not None:
                self._record(stage, err_label, label, "rejected",
                             f"edits {hit}, code cargo runs at build time (a build script or proc macro) "
                             "unsandboxed; set repair.allowBuildScripts to allow", 0, tokens)
                return None
        for f, b in changed.items():
            if not f.endswith(".rs") or f not in self.state:
                self._record(stage, err_label, label, "rejected", f"would touch {f}", 0, tokens)
                return None
            if has_syntax_error(b) and not has_syntax_error(self.state[f]):
                self._record(stage, err_label, label, "rejected", "syntax error (tree-sitter)", 0, tokens)
                return None
        self.mirror.write(changed)
        try:
            res = self.mirror.check(self.cancel)
        except FerrofixError:
            self.mirror.write({f: self.state[f] for f in changed})
            raise
        before = Counter(_eid(d) for d in errors)
        reached = self.last.targets
        after = Counter(_eid(d) for d in res.errors if (d.package_id, d.target_name) in reached)
        reason = ""
        gone = all(after[_eid(t)] < before[_eid(t)] for t in target)
        new = after - before
        if gone and new and (follow := self._follow_up(res, new, changed)) is not None:
            # the candidate's own new errors, each with a rustc fix (`x.neg()` on the `f32`
            # the candidate typed needs `use std::ops::Neg`): both together, when that leaves nothing new
            changed2, res2 = follow
            after2 = Counter(_eid(d) for d in res2.errors if (d.package_id, d.target_name) in reached)
            if all(after2[_eid(t)] < before[_eid(t)] for t in target) and not after2 - before:
                changed, res, new = changed2, res2, Counter()
                label += " (with rustc's fixes of what it uncovered)"
            else:
                self.mirror.write({f: changed[f] for f in changed2 if f in changed})
                self.mirror.write({f: self.state[f] for f in changed2 if f not in changed})
        if not gone:
            reason = "the error remains"
        elif new:
            new_diags = [d for d in res.errors if _eid(d) in new]
            if reveal:
                ok = self._revealed(target, new) and not (any(t.code in BORROWCK_CODES for t in target)
                                                          and self._on_changed_lines(new_diags, changed))
            else:  # a guessed candidate may only uncover deny-by-default lints (no code), away from its edit
                ok = all(not re.fullmatch(r"E\d{4}", k[0] or "") for k in new) \
                    and not self._on_changed_lines(new_diags, changed)
            if ok and self.reveals < MAX_REVEALS:
                self.reveals += 1
            else:
                first = next(iter(new))
                reason = f"adds {sum(new.values())} new error(s): {first[0] or ''} {first[1]}"
        if reason:
            self.mirror.write({f: self.state[f] for f in changed})
            self._record(stage, err_label, label, "rejected", reason, res.elapsed_ms, tokens)
            return None
        self.state.update(changed)
        self.last = res
        self._record(stage, err_label, label, "accepted",
                     "revealed later-stage errors" if new else "", res.elapsed_ms, tokens)
        return res

    def _follow_up(self, res: CheckResult, new: Counter, changed: dict[str, bytes]
                   ) -> tuple[dict[str, bytes], CheckResult] | None:
        """One step of lookahead for a candidate whose check (`res`) has `new` errors: when each new
        error carries a rustc suggestion (its first, MachineApplicable or MaybeIncorrect) that only
        imports what the candidate used (`use std::ops::Neg;`), and they do not overlap, apply them on top of
        `changed` in the mirror and check again. Returns (all changed files → bytes, that check) —
        the mirror then holds both — or None (the mirror untouched)."""
        diags = [d for d in res.errors if _eid(d) in new]
        if not diags or len(diags) > 3:
            return None
        fixes = []
        for d in diags:
            found = suggestion_fixes(d, self.ws.root, (MACHINE_APPLICABLE, MAYBE_INCORRECT))
            if not found:
                return None
            fixes.append(found[0])
        kept = non_overlapping(fixes)
        if len(kept) != len(fixes):
            return None
        if not all(re.fullmatch(r"\s*use [\w:{}, *]+;\s*", ed.new_text) for fx in kept for ed in fx.edits):
            return None  # only imports: anything else may be a worse fix than a later candidate's
        files = {**self.state, **changed}
        try:
            extra = apply_to_files(files, [ed for fx in kept for ed in fx.edits])
        except (KeyError, OverlappingEditsError):
            return None
        if any(not f.endswith(".rs") or f not in self.state for f in extra) or \
                any(has_syntax_error(b) for b in extra.values()):
            return None
        self.mirror.write(extra)
        return {**changed, **extra}, self.mirror.check(self.cancel)

    @staticmethod
    def _revealed(target: Sequence[Diagnostic], new: Counter) -> bool:
        """True when the `new` errors (keys of `_eid`) come from a later compiler stage than the fixed
        `target` errors, so the fix uncovered them rather than caused them: borrow-check errors (borrowck
        runs only once type checking passes), or type-checking errors in the file of a fixed
        name-resolution error (what used the unresolved name was never type-checked)."""
        codes = {k[0] for k in new}
        if codes <= BORROWCK_CODES:
            return True
        if all(t.code in RESOLVE_CODES for t in target) and not codes & RESOLVE_CODES and None not in codes:
            files = {t.primary_span.file_name for t in target if t.primary_span}
            return {k[2] for k in new} <= files
        return False

    def _on_changed_lines(self, diags: Sequence[Diagnostic], changed: dict[str, bytes]) -> bool:
        """Whether any of `diags` has its primary span on a line `changed` (path → new bytes) rewrites:
        an error there is the candidate's own, not one its fix uncovered (a borrow-check fix cannot
        reveal borrow-check errors in the lines it wrote: rustc borrow-checks every body at once)."""
        lines = {f: changed_lines(self.state[f].decode("utf-8", "replace"), b.decode("utf-8", "replace"))
                 for f, b in changed.items()}
        return any(d.primary_span is not None and d.primary_span.line_start in lines.get(d.primary_span.file_name, ())
                   for d in diags)

    def _record(self, stage, error, candidate, outcome, reason, ms, tokens):
        self.trace.append(Attempt(stage, error, candidate, outcome, reason, ms, tokens))
        self.progress(f"{stage}: {candidate[:60]} → {outcome}{': ' + reason if reason else ''}")

    def _fix_changes(self, fixes: Sequence[Fix]) -> dict[str, bytes] | None:
        edits = [e for f in fixes for e in f.edits]
        if any(e.file not in self.state for e in edits):
            return None
        try:
            return apply_to_files(self.state, edits)
        except (OverlappingEditsError, ValueError):
            return None

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> RepairResult:
        t0 = time.monotonic()
        budget = _Budget(self.opt.timeout_s, self.cancel)
        with Mirror(self.ws.root, self.opt.check) as mirror:
            self.mirror = mirror
            mirror.deadline = budget.deadline  # every check gets at most what is left of the budget
            self.progress("copying the workspace to a scratch mirror")
            original = mirror.sync(self.opt.overrides)
            self.state: dict[str, bytes] = dict(original)
            self.progress("checking")
            first = self.last = mirror.check(self.cancel)
            initial = first.errors
            self._refuse_undecodable(initial)
            targets = [e for e in initial if self.opt.focus(e)] if self.opt.focus else list(initial)
            self.target_ids = {_eid(e) for e in targets}
            errors = list(initial)
            rounds = 0
            try:
                while self._work(errors) and rounds < self.opt.max_rounds and not budget.exhausted():
                    rounds += 1
                    res = self._round(errors, budget)
                    if res is None:
                        break
                    errors = res.errors
            except ModelAnswerError as ex:
                if self.state == original:
                    raise
                # fixes verified before the model went wrong are kept; the run stops there
                self._record("model", "", "(stopped)", "rejected", str(ex), 0, 0)
            except CheckTimeoutError as ex:
                if budget.left > 0:
                    raise  # the check's own time limit, not the run's budget
                # the budget ran out during a candidate's check: what was verified before is kept
                self._record("check", "", "(stopped)", "rejected", f"the time budget ran out: {ex}", 0, 0)
            files = {f: b for f, b in self.state.items() if original.get(f) != b}
            diff = unified_diff(original, files)
        return RepairResult(not errors, initial, errors, files, diff, self.trace,
                            int((time.monotonic() - t0) * 1000), self.tokens, self.ws.root,
                            target_fixed=not self._work(errors), targets=targets)

    def _refuse_undecodable(self, errors: list[Diagnostic]) -> None:
        """Raise SourceEncodingError when cargo reads a `.rs` file that is not UTF-8 (ferrofix cannot
        make byte-exact edits there); such a file cargo never compiles (test data) is no concern."""
        bad = self.mirror.undecodable
        for e in errors:
            span = e.primary_span
            hit = span.file_name if span and span.file_name in bad else \
                next((rel for rel in bad if "UTF-8" in e.message and rel in e.message), None)
            if hit is None and "valid UTF-8" in e.message and bad:
                hit = next(iter(bad))
            if hit is not None:
                raise SourceEncodingError(bad[hit])

    def _work(self, errors: list[Diagnostic]) -> list[Diagnostic]:
        """The errors this run works on: all, or those sharing an identity with a focused one."""
        if self.opt.focus is None:
            return errors
        return [e for e in errors if _eid(e) in self.target_ids]

    def _actionable(self, errors: list[Diagnostic]) -> list[Diagnostic]:
        """The worked-on errors worth the model's time: those caused by a crate the build cannot find
        (`environmental`) are reported once in the trace and get rustc's suggestions only."""
        out = []
        env = Environment(errors, self.missing_crate)
        for e in self._work(errors):
            why = env.explains(e)
            if why is None:
                out.append(e)
            elif why not in self.skipped:
                self.skipped.add(why)
                self._record("skipped", describe(e), "(not attempted)", "rejected", why, 0, 0)
        # errors in targets the environment already breaks (a test needing an absent crate) go last
        out.sort(key=lambda e: (e.package_id, e.target_name) in env.broken_targets)
        return out

    def _round(self, errors: list[Diagnostic], budget: _Budget) -> CheckResult | None:
        root = self.ws.root
        work = self._work(errors)
        # 1. all MachineApplicable suggestions together
        ma = [(e, f) for e in work for f in suggestion_fixes(e, root, (MACHINE_APPLICABLE,))]
        if len(ma) > 1:
            kept = non_overlapping(f for _, f in ma)
            targets = [e for e, f in ma if f in kept]
            changes = self._fix_changes(kept)
            if changes:
                res = self.verify("rustc-machine-applicable", list(dict.fromkeys(targets)),
                                  f"{len(kept)} MachineApplicable suggestions", changes, errors)
                if res is not None:
                    return res
        # 2. each suggestion alone, then those of warnings on the error's code; one that only deletes code
        # (rustc's "use `break` on its own without a value", "remove this argument") waits until the rest
        # and the model have had their turn, unless deleting is what the error is about: a fix that keeps
        # the code's intent is better when one can be found
        deferred: list[tuple[Diagnostic, Fix, dict[str, bytes]]] = []
        for e in work:
            rustc = suggestion_fixes(e, root)[:6] + suggestion_fixes(e, root, (UNSPECIFIED,))[:2] + \
                self._warning_fixes(e) + self._mut_variant_fixes(e) + \
                [v for f in suggestion_fixes(e, root, stubs=True) for v in concrete_variants(f)]
            guessed = (self._std_type_fixes(e) if not rustc else []) + self._receiver_fixes(e) + \
                self._type_placeholder_fixes(e) + self._iter_item_fixes(e) + self._cast_fixes(e) + \
                self._as_ref_fixes(e) + self._mutability_fixes(e) + (self._missing_field_fixes(e) if not rustc else []) + \
                self._missing_init_fixes(e) + self._swap_fixes(e) + self._mut_method_fixes(e) + \
                self._lifetime_placeholder_fixes(e) + self._impl_parameter_fixes(e) + \
                self._method_synonym_fixes(e) + self._collect_fixes(e) + self._reborrow_fixes(e) + \
                self._signature_fixes(e) + self._escape_clone_fixes(e) + self._definition_fixes(e) + \
                self._structural_fixes(e)
            for fix in rustc + guessed:
                if budget.exhausted():
                    return None
                changes = self._fix_changes([fix])
                if changes is None:
                    continue
                if self._deletes_intent(e, changes):
                    deferred.append((e, fix, changes))
                    continue
                res = self.verify("rustc-suggestion", [e], f"{fix.applicability}: {fix.title}", changes, errors,
                                  reveal=fix not in guessed)
                if res is not None:
                    return res
        garbage: ModelAnswerError | None = None
        try:
            res = self._model_stage(self._actionable(errors), errors, budget)
        except ModelAnswerError as ex:  # a model answering nothing usable: the deletions still stand
            if not deferred:
                raise
            garbage, res = ex, None
        if res is not None:
            return res
        for e, fix, changes in deferred:
            budget.exhausted()  # raises when cancelled; a compiling deletion is still worth its check after the budget
            res = self.verify("rustc-suggestion", [e], f"{fix.applicability}: {fix.title} (deletion, after the model)",
                              changes, errors)
            if res is not None:
                return res
        if garbage is not None:
            raise garbage
        return None

    def _warning_fixes(self, e: Diagnostic) -> list[Fix]:
        """Suggestions of the last check's warnings on the code error `e` points at: the lint that says
        "use `loop`" on the `while true` an E0571 labels ("you can't `break` with a value in a `while`
        loop") fixes the error. A warning counts when one of its spans overlaps one of `e`'s own spans."""
        ranges = [(s.file_name, s.byte_start, s.byte_end) for s in e.spans]
        out = []
        for w in self.last.diagnostics:
            if w.is_error or not any(f == s.file_name and s.byte_start < hi and lo < s.byte_end
                                     for s in w.spans for f, lo, hi in ranges):
                continue
            out += [Fix(f"{fix.title} (warning: {w.message})", fix.edits, fix.applicability)
                    for fix in suggestion_fixes(w, self.ws.root)[:2]]
        return out

    def _mut_variant_fixes(self, e: Diagnostic) -> list[Fix]:
        """For "cannot assign to `*x`/borrow `*x` as mutable, which is behind a `&` reference" (E0594,
        E0596): the `&mut` variant of a std method the error's other spans call (`.iter()` → `.iter_mut()`
        where rustc labels "this iterator yields `&` references"), one candidate per call (rustc explains
        this case but suggests no edit); and where rustc suggests `&mut x` for a `&x`, `x.clone()`."""
        if e.code not in ("E0594", "E0596") or "`&` reference" not in e.message:
            return []
        out = []
        for s in e.spans:
            if s.is_primary or s.file_name not in self.state:
                continue
            data = self.state[s.file_name]
            for m in re.finditer(rb"\.(" + b"|".join(_MUT_VARIANTS) + rb")\(", data[s.byte_start:s.byte_end]):
                at = s.byte_start + m.start(1)
                name = m.group(1).decode()
                edit = TextEdit(s.file_name, at, at + len(name), _MUT_VARIANTS[m.group(1)].decode())
                out.append(Fix(f"call `{edit.new_text}()` instead of `{name}()` ({s.label or 'the borrow'})",
                               (edit,), MAYBE_INCORRECT))
        # rustc's "consider changing this to be a mutable reference" (`&x` → `&mut x`) fails when `x` is
        # itself behind `&self`; an owned copy (`x.clone()`) is the other way to mutate it
        for child in e.children:
            for s in child.spans:
                if (s.suggested_replacement or "").strip() != "mut" or s.byte_start != s.byte_end \
                        or s.file_name not in self.state:
                    continue
                data = self.state[s.file_name]
                ref = reference_at(data, s.byte_start - 1) if data[s.byte_start - 1:s.byte_start] == b"&" else None
                if ref is None:
                    continue
                lo, hi, value = ref
                owned = f"{value}.clone()" if re.fullmatch(r"[\w.:]+", value) else f"({value}).clone()"
                out.append(Fix(f"clone instead of borrowing: `{owned}`", (TextEdit(s.file_name, lo, hi, owned),),
                               MAYBE_INCORRECT))
        return out

    def _std_type_fixes(self, e: Diagnostic) -> list[Fix]:
        """For "cannot find type `X` in this scope" (E0412, E0425) where `X` takes generic arguments and
        rustc suggests nothing: `X` replaced by each std type of the same arity (`_STD_GENERICS`), or
        for a name from another language without arguments (`uint`) by its Rust types (`_FOREIGN_TYPES`),
        for `verify(reveal=False)`: only a replacement that type-checks everywhere is kept."""
        m = re.match(r"cannot find type `(\w+)`", e.message)
        span = e.primary_span
        if e.code not in ("E0412", "E0425") or not m or span is None or span.file_name not in self.state:
            return []
        data = self.state[span.file_name]
        if data[span.byte_start:span.byte_end] != m.group(1).encode():
            return []
        arity = generic_arity(data, span.byte_end)
        if arity == 0:
            return [Fix(f"use the Rust type `{name}`", (TextEdit(span.file_name, span.byte_start, span.byte_end, name),),
                        MAYBE_INCORRECT) for name in _FOREIGN_TYPES.get(m.group(1), ())]
        return [Fix(f"use the std type `{name}`", (TextEdit(span.file_name, span.byte_start, span.byte_end, name),),
                    MAYBE_INCORRECT)
                for name in _STD_GENERICS.get(arity, ()) if name.rsplit("::", 1)[-1] != m.group(1)]

    def _receiver_fixes(self, e: Diagnostic) -> list[Fix]:
        """For a borrow-check error or E0493 (a destructor in a `const fn`) whose spans or notes point into
        a method taking `self` by value (the method the error is in, or the one whose call moves
        `*self`): that receiver as `&self`, `&mut self`, then with each lifetime the method declares
        (`&'a self`), for `verify(reveal=False)`. rustc names
        the move ("`*self` moved due to this method call") but suggests no edit."""
        if e.code not in BORROWCK_CODES and e.code != "E0493":
            return []
        out, seen = [], set()
        for s in list(e.spans) + [s for c in e.children for s in c.spans]:
            if s.file_name not in self.state:
                continue
            recv = receiver_at(self.state[s.file_name], s.byte_start)
            if recv is None or recv[2] not in ("self", "mut self") or (s.file_name, recv[0]) in seen:
                continue
            seen.add((s.file_name, recv[0]))
            # `&'a self` where the function declares `'a` (its result borrows from `self` for `'a`)
            refs = ["&self", "&mut self"] + [f"&{lt}{m} self" for m in ("", " mut") for lt in recv[3]]
            out += [Fix(f"take `{new}` instead of `{recv[2]}`", (TextEdit(s.file_name, recv[0], recv[1], new),),
                        MAYBE_INCORRECT) for new in refs]
        return out

    def _type_placeholder_fixes(self, e: Diagnostic) -> list[Fix]:
        """rustc's `: /* Type */` placeholder ("consider giving `x` an explicit type", E0282/E0283/E0790;
        "consider using `const` instead of `let`", E0435) filled by the enclosing function's return type
        (the binding is often the value the function builds and returns: `let mut ret =
        Default::default(); ...; ret`), or, when the binding's value is a literal (`= 42`), by the types
        that literal can have (`usize`, `i32`, ...; `f64`, `f32`; `&str`; `bool`; `char`). For
        `verify(reveal=False)`."""
        out = []
        for fix in suggestion_fixes(e, self.ws.root, stubs=True):
            holes = [ed for ed in fix.edits if "/* Type */" in ed.new_text]
            if len(holes) != 1 or any(is_stub(ed.new_text) for ed in fix.edits if ed is not holes[0]) \
                    or holes[0].file not in self.state:
                continue
            ed, data = holes[0], self.state[holes[0].file]
            types = []
            ret = return_type_at(data, ed.byte_start)
            if ret and ret not in ("()", "!") and "impl " not in ret:
                types.append((ret, f"the function's return type `{ret}`"))
            value = re.match(rb"\s*=\s*([^;\n]+?)\s*;", data[ed.byte_end:ed.byte_end + 200])
            literal = value.group(1).decode("utf-8", "replace") if value else ""
            suffix = re.fullmatch(r"-?[\d_.]+(?:e-?\d+)?_?([iuf](?:8|16|32|64|128|size))", literal)
            if suffix:
                kinds: tuple[str, ...] = (suffix.group(1),)
            elif re.fullmatch(r"-?\d[\d_]*", literal):
                kinds = ("usize", "i32", "u32", "i64", "u64", "u8")
            elif re.fullmatch(r"-?\d[\d_]*\.\d*(?:e-?\d+)?", literal):
                kinds = ("f64", "f32")
            elif literal.startswith('"'):
                kinds = ("&str",)
            elif literal in ("true", "false"):
                kinds = ("bool",)
            elif re.fullmatch(r"'(?:[^'\\]|\\.+)'", literal):
                kinds = ("char",)
            else:
                kinds = ()
            types += [(k, f"`{k}`, a type of `{literal}`") for k in kinds]
            for ty, why in types:
                edits = tuple(TextEdit(x.file, x.byte_start, x.byte_end, x.new_text.replace("/* Type */", ty))
                              if x is ed else x for x in fix.edits)
                out.append(Fix(f"{fix.title}: {why}", edits, MAYBE_INCORRECT))
        return out

    def _iter_item_fixes(self, e: Diagnostic) -> list[Fix]:
        """For a type error about an iterator yielding references where values are wanted (E0271
        "expected `Iter<'_, char>` to be an iterator that yields `char`, but it yields `&char`", E0277
        "cannot be built from an iterator over elements of type `&T`", rustc's note "`Iterator::Item` is
        `&T` here"): each `.iter()` inside the error's spans (at most 20 lines each) followed by
        `.copied()`, by `.cloned()`, or replaced by `.into_iter()`. For `verify(reveal=False)`."""
        spans = list(e.spans) + [s for c in e.children for s in c.spans]
        text = "\n".join([e.plain_text()] + [s.label or "" for s in spans])
        if e.code not in ("E0271", "E0277", "E0308") or not re.search(r"(yields|Item|iterator over)[^\n]*`&", text):
            return []
        out, seen = [], set()
        for s in spans:
            if s.file_name not in self.state or s.line_end - s.line_start > 20:
                continue
            data = self.state[s.file_name]
            lo = max(0, s.byte_start - 1)
            for m in re.finditer(rb"\.iter\(\)", data[lo:s.byte_end]):
                at = lo + m.start()
                if (s.file_name, at) in seen:
                    continue
                seen.add((s.file_name, at))
                for new, title in ((".iter().copied()", "copy the items"), (".iter().cloned()", "clone the items"),
                                   (".into_iter()", "iterate by value")):
                    out.append(Fix(f"{title}: `{new}`", (TextEdit(s.file_name, at, at + len(m.group()), new),),
                                   MAYBE_INCORRECT))
        return out

    def _cast_fixes(self, e: Diagnostic) -> list[Fix]:
        """`as` casts for E0277 between primitive numbers, which Rust never converts implicitly: "the
        type `[u8]` cannot be indexed by `u8`" → the index `as usize`; "cannot divide `{integer}` by
        `f64`" (the span is the operator) → either operand `as` each concrete numeric type the message
        names. For `verify(reveal=False)`."""
        span = e.primary_span
        if e.code != "E0277" or span is None or span.file_name not in self.state:
            return []
        data, f = self.state[span.file_name], span.file_name
        named = [t for t in re.findall(r"`([\w{}]+)`", e.message) if t in _NUMERIC]
        casts: list[tuple[int, int, str]] = []
        if re.search(r"cannot be indexed by `(?:[iu]\d+|isize)`", e.message):
            casts.append((span.byte_start, span.byte_end, "usize"))
        elif named and (ops := binary_operands(data, span.byte_start)):
            casts += [(lo, hi, t) for t in dict.fromkeys(named) for lo, hi in ops]
        out = []
        for lo, hi, ty in casts:
            expr = data[lo:hi].decode("utf-8")
            if re.search(rf"\bas\s+{ty}\s*$", expr):
                continue
            new = f"{_parenthesized(expr)} as {ty}"
            out.append(Fix(f"cast with `as {ty}`: `{new}`", (TextEdit(f, lo, hi, new),), MAYBE_INCORRECT))
        return out

    def _as_ref_fixes(self, e: Diagnostic) -> list[Fix]:
        """For "cannot move out of `x` which is behind a shared/mutable reference" (E0507) where a method
        call moves it ("`x` moved due to this method call": `self.both()` on `&self`, `opt.unwrap()` on
        `&Option`): `.as_ref()`, then `.as_mut()`, inserted before the call, so the method consumes a
        borrowed view instead. For `verify(reveal=False)`."""
        span = e.primary_span
        if e.code != "E0507" or span is None or span.file_name not in self.state:
            return []
        if not any("moved due to this method call" in (s.label or "") for s in e.spans):
            return []
        data, at = self.state[span.file_name], span.byte_end
        if data[at:at + 1] != b".":
            return []
        return [Fix(f"borrow through `.{m}()` before the call", (TextEdit(span.file_name, at, at, f".{m}()"),),
                    MAYBE_INCORRECT) for m in ("as_ref", "as_mut")]

    def _lifetime_placeholder_fixes(self, e: Diagnostic) -> list[Fix]:
        """rustc's "consider using one of the available lifetimes here" (`InitialInfo<'lifetime>`, a
        placeholder) with `'lifetime` replaced by each lifetime its note "these named lifetimes are
        available to use" points at (`'text`, `'a`). For `verify(reveal=False)`."""
        named: list[str] = []
        for c in e.children:
            if "lifetimes are available" in c.message:
                for s in c.spans:
                    data = self.state.get(s.file_name, b"")
                    text = data[s.byte_start:s.byte_end].decode("utf-8", "replace")
                    if re.fullmatch(r"'\w+", text):
                        named.append(text)
        if not named:
            return []
        out = []
        for fix in suggestion_fixes(e, self.ws.root, (MAYBE_INCORRECT, HAS_PLACEHOLDERS), stubs=False) + \
                suggestion_fixes(e, self.ws.root, stubs=True):
            if not any("'lifetime" in ed.new_text for ed in fix.edits):
                continue
            for lt in reversed(list(dict.fromkeys(named))):  # the function's own lifetime is listed last
                edits = tuple(TextEdit(ed.file, ed.byte_start, ed.byte_end, ed.new_text.replace("'lifetime", lt))
                              for ed in fix.edits)
                out.append(Fix(f"{fix.title}: `{lt}`", edits, MAYBE_INCORRECT))
        return out

    def _impl_parameter_fixes(self, e: Diagnostic) -> list[Fix]:
        """E0207 "the type parameter `T` is not constrained by the impl trait, self type, or predicates"
        on an inherent impl: `T` moved onto the methods that use it (`context.move_impl_parameter`)."""
        span = e.primary_span
        if e.code != "E0207" or span is None or span.file_name not in self.state:
            return []
        edits = move_impl_parameter(self.state[span.file_name], span.byte_start)
        if not edits:
            return []
        return [Fix("move the type parameter from the impl to the methods that use it",
                    tuple(TextEdit(span.file_name, lo, hi, t) for lo, hi, t in edits), MAYBE_INCORRECT)]

    def _mut_method_fixes(self, e: Diagnostic) -> list[Fix]:
        """E0308 "expected `IterMut<'_, K, V>`, found `Iter<'_, K, V>`": a std method in the error's
        primary span that returns the shared variant becomes its `&mut` one (`.iter()` → `.iter_mut()`,
        `_MUT_VARIANTS`). For `verify(reveal=False)`."""
        span = e.primary_span
        m = re.search(r"expected `(?:[\w:]+::)?(\w+)(?:<[^`]*)?`, found `(?:[\w:]+::)?(\w+)", e.plain_text())
        if e.code != "E0308" or span is None or span.file_name not in self.state or not m \
                or "Mut" not in m.group(1) or "Mut" in m.group(2):
            return []
        data = self.state[span.file_name]
        out = []
        for c in re.finditer(rb"\.(" + b"|".join(_MUT_VARIANTS) + rb")\(", data[span.byte_start:span.byte_end]):
            at = span.byte_start + c.start(1)
            new = _MUT_VARIANTS[c.group(1)].decode()
            out.append(Fix(f"call `{new}()` instead of `{c.group(1).decode()}()`",
                           (TextEdit(span.file_name, at, at + len(c.group(1)), new),), MAYBE_INCORRECT))
        return out

    def _mutability_fixes(self, e: Diagnostic) -> list[Fix]:
        """E0308 "types differ in mutability" (expected `&mut T`, found `&T`) on a `&x` argument, which
        rustc leaves unfixed: `&mut x`. E0507 "cannot move out of `self.v` which is behind a mutable
        reference" on a place expression: `std::mem::take(&mut self.v)` (leaves the default behind).
        E0614 "type `u32` cannot be dereferenced" on `*x`: `x`. E0053 (a trait method's parameter) like
        E0308. E0277 "the `?` operator can only be used in a function that returns `Result`": `.unwrap()`. E0502/E0505/E0506 (assigned or moved
        while borrowed) where the borrow is `&place`: the place copied instead (`&self.len` → `self.len`;
        only a Copy value compiles). For `verify(reveal=False)`."""
        span = e.primary_span
        if span is None or span.file_name not in self.state:
            return []
        f, lo, hi = span.file_name, span.byte_start, span.byte_end
        expr = self.state[f][lo:hi].decode("utf-8", "replace")
        if e.code in ("E0308", "E0053") and any("differ in mutability" in (s.label or "") for s in e.spans) \
                and expr.startswith("&") and not re.match(r"&\s*mut\b", expr):
            new = "&mut " + expr[1:].lstrip()
            return [Fix(f"borrow mutably: `{new}`", (TextEdit(f, lo, hi, new),), MAYBE_INCORRECT)]
        if e.code == "E0599" and expr in ("iter", "iter_mut") and "no method named" in e.message:
            # "no method named `iter` found for type parameter `I`": a generic `I: IntoIterator`
            return [Fix("iterate with `into_iter()`", (TextEdit(f, lo, hi, "into_iter"),), MAYBE_INCORRECT)]
        if e.code == "E0794" and re.fullmatch(r"'\w+", expr):
            # "cannot specify lifetime arguments explicitly if late bound lifetime parameters are present":
            # the lifetime argument goes, and `::<>` with it when nothing else is in it
            data = self.state[f]
            before, after = data[:lo], data[hi:]
            m_open = re.search(rb"::\s*<\s*$", before)
            m_close = re.match(rb"\s*>", after)
            if m_open and m_close:
                return [Fix("remove the explicit lifetime arguments", (TextEdit(f, m_open.start(), hi + m_close.end(), ""),),
                            MAYBE_INCORRECT)]
            m_comma = re.match(rb"\s*,\s*", after)
            if m_comma:
                return [Fix(f"remove the lifetime argument `{expr}`", (TextEdit(f, lo, hi + m_comma.end(), ""),),
                            MAYBE_INCORRECT)]
            return []
        if e.code == "E0614" and expr.startswith("*"):  # "type `u32` cannot be dereferenced"
            out = [Fix("use the value itself, without `*`", (TextEdit(f, lo, lo + 1, ""),), MAYBE_INCORRECT)]
            # or the value came from an `.into_iter()` of the statement that meant `.iter()` (items by reference)
            data = self.state[f]
            start = lo
            for _ in range(3):
                start = data.rfind(b"\n", 0, max(0, start - 1)) + 1
            for m in re.finditer(rb"\.into_iter\(\)", data[start:hi]):
                out.append(Fix("iterate by reference: `.iter()`",
                               (TextEdit(f, start + m.start(), start + m.end(), ".iter()"),), MAYBE_INCORRECT))
            return out
        if e.code == "E0277" and expr == "?" and "operator can only be used in" in e.message:
            return [Fix("unwrap instead of `?` (the function returns no `Result`/`Option`)",
                        (TextEdit(f, lo, hi, ".unwrap()"),), MAYBE_INCORRECT)]
        if e.code in ("E0502", "E0505", "E0506"):  # assigned or moved while borrowed: copy instead of borrowing
            out = []
            for s in e.spans:
                text = self.state[s.file_name][s.byte_start:s.byte_end] if s.file_name in self.state else b""
                if "borrowed here" in (s.label or "") and re.fullmatch(rb"&\s*[\w.]+", text):
                    edits = [TextEdit(s.file_name, s.byte_start, s.byte_start + 1, "")]
                    # `let pos = &self.len;` ... `*pos`: the binding's dereferences go with the borrow
                    data = self.state[s.file_name]
                    bound = re.search(rb"\blet\s+(?:mut\s+)?(\w+)\s*=\s*$", data[max(0, s.byte_start - 80):s.byte_start])
                    item = enclosing_item(data, s.byte_start, s.byte_end)
                    if bound and item is not None:
                        deref = re.compile(rb"\*\s*" + bound.group(1) + rb"\b")
                        edits += [TextEdit(s.file_name, s.byte_end + d.start(), s.byte_end + d.start() + 1, "")
                                  for d in deref.finditer(data[s.byte_end:item.byte_end])]
                    out.append(Fix(f"copy `{text[1:].strip().decode()}` instead of borrowing it", tuple(edits),
                                   MAYBE_INCORRECT))
            return out
        if e.code == "E0507" and "behind a mutable reference" in e.message and re.fullmatch(r"[\w.]+", expr):
            new = f"std::mem::take(&mut {expr})"
            return [Fix(f"take the value, leaving its default: `{new}`", (TextEdit(f, lo, hi, new),), MAYBE_INCORRECT)]
        return []

    def _missing_field_fixes(self, e: Diagnostic) -> list[Fix]:
        """E0560 "struct `S` has no field named `f`" where rustc knows no similar field: `f` added to the
        workspace's definition of `S`, typed after the initializer's literal (`0` → the struct's integer
        field types, then `i32`, ...; `"x"` → `&'static str`, `String`) or, for another expression,
        after the struct's other fields. At most 6 candidates, for `verify(reveal=False)`."""
        m = re.match(r"struct `(\w+)(?:<.*>)?` has no field named `(\w+)`", e.message)
        span = e.primary_span
        if e.code != "E0560" or not m or span is None or span.file_name not in self.state:
            return []
        found = self._type_definition(m.group(1))
        if found is None:
            return []
        f, item = found
        body = item.text
        if "{" not in body or not body.rstrip().endswith("}"):
            return []
        field_types = list(struct_field_types(body).values())
        after = self.state[span.file_name][span.byte_end:span.byte_end + 200].decode("utf-8", "replace")
        value = (re.match(r"\s*:\s*([^,}\n]+)", after) or [None, ""])[1].strip()
        ints = [t for t in field_types if re.fullmatch(r"[iu](8|16|32|64|128|size)", t)]
        if re.fullmatch(r"-?\d[\d_]*([iu](8|16|32|64|128|size))?", value):
            suffix = re.search(r"[iu](8|16|32|64|128|size)$", value)
            types = [suffix.group()] if suffix else ints + ["i32", "u32", "usize", "i64", "u64"]
        elif re.fullmatch(r"-?\d[\d_]*\.\d*(f32|f64)?", value):
            types = ["f64", "f32"]
        elif value.startswith('"'):
            types = ["&'static str", "String"]
        elif value in ("true", "false"):
            types = ["bool"]
        elif value.startswith("'"):
            types = ["char"]
        else:
            types = field_types
        data = self.state[f]
        close = item.byte_start + len(body.rstrip().encode()) - 1  # the struct's closing brace
        line_start = data.rfind(b"\n", 0, close) + 1
        out = []
        for ty in list(dict.fromkeys(types))[:6]:
            decl = f"{m.group(2)}: {ty}"
            if data[line_start:close].strip():  # `struct S { a: u32 }` on one line
                before = data[:close].rstrip()
                sep = "" if before.endswith((b"{", b",")) else ","
                edit = TextEdit(f, len(before), close, f"{sep} {decl} ")
            else:
                prev = data[:line_start].rstrip()
                indent = re.match(rb"\s*", data[data.rfind(b"\n", 0, len(prev)) + 1:]).group().decode()
                indent = indent if prev.endswith(b",") or not prev.endswith(b"{") else indent + "    "
                sep = "" if prev.endswith((b"{", b",")) else ","
                edit = TextEdit(f, len(prev), line_start, f"{sep}\n{indent}{decl},\n")
            out.append(Fix(f"add the field `{decl}` to `{m.group(1)}`", (edit,), MAYBE_INCORRECT))
        return out

    def _missing_init_fixes(self, e: Diagnostic) -> list[Fix]:
        """E0063 "missing field `c` in initializer of `S`": the field initialized the way its siblings
        are (`a: a::<X>, b: b::<X>` → `c: c::<X>`), or as a shorthand `c` when a binding of that name
        appears before the initializer in the enclosing item. For `verify(reveal=False)`."""
        m = re.match(r"missing field `(\w+)` in initializer", e.message)
        span = e.primary_span
        if e.code != "E0063" or not m or span is None or span.file_name not in self.state:
            return []
        f, name, data = span.file_name, m.group(1), self.state[span.file_name]
        init = struct_initializer_at(data, span.byte_start)
        if init is None:
            return []
        fields, last, close = init
        values: list[str] = []
        for sib, value in fields:
            if value is not None and re.search(rf"\b{re.escape(sib)}\b", value):
                values.append(re.sub(rf"\b{re.escape(sib)}\b", name, value))
        item = enclosing_item(data, span.byte_start, span.byte_end)
        if item is not None and re.search(rf"\b{name}\b", data[item.byte_start:span.byte_start].decode("utf-8", "replace")):
            values.append(name)
        # or a parameter of the field's type (`bytes: &'a [u8]` ← `input: &'a [u8]`) the initializer does not use yet
        m_ty = re.search(r"in initializer of `(?:[\w:]*::)?(\w+)", e.message)
        found = self._type_definition(m_ty.group(1)) if m_ty else None
        ftype = struct_field_types(found[1].text).get(name) if found else None
        used = " ".join(v or n for n, v in fields)
        def norm(t: str) -> str:
            return re.sub(r"'\w+|\s+", "", t)
        if ftype:
            values += [p for p, ty, _lo, _hi in parameters_at(data, span.byte_start)
                       if re.fullmatch(r"\w+", p) and norm(ty) == norm(ftype) and not re.search(rf"\b{p}\b", used)]
        if not fields:
            return []
        multiline = b"\n" in data[span.byte_end:close]
        comma = data.find(b",", last, close)
        out = []
        for value in list(dict.fromkeys(values))[:4]:
            decl = name if value == name else f"{name}: {value}"
            if multiline:
                line = data.rfind(b"\n", 0, last) + 1
                indent = re.match(rb"[ \t]*", data[line:]).group().decode()
                at, text = (comma + 1, f"\n{indent}{decl},") if comma >= 0 else (last, f",\n{indent}{decl},")
            else:
                at, text = last, f", {decl}"
            out.append(Fix(f"initialize `{name}` like its siblings: `{decl}`", (TextEdit(f, at, at, text),),
                           MAYBE_INCORRECT))
        return out

    def _swap_fixes(self, e: Diagnostic) -> list[Fix]:
        """E0308 on an argument of a call whose other arguments are wrong too ("arguments to this
        method are incorrect"; `fold(Add::add, 0)`): the argument swapped with each other argument of a
        call with at most 4. For `verify(reveal=False)`: a swap must type-check everything."""
        span = e.primary_span
        if e.code != "E0308" or span is None or span.file_name not in self.state \
                or not any("arguments to this" in (s.label or "") for s in e.spans):
            return []
        data = self.state[span.file_name]
        args = call_arguments_at(data, span.byte_start)
        this = next((a for a in args if a[0] <= span.byte_start and span.byte_end <= a[1]), None)
        if this is None or len(args) > 4:
            return []
        out = []
        for other in args:
            if other == this:
                continue
            (lo1, hi1), (lo2, hi2) = sorted([this, other])
            a, b = data[lo1:hi1].decode("utf-8"), data[lo2:hi2].decode("utf-8")
            out.append(Fix(f"swap the arguments `{a}` and `{b}`",
                           (TextEdit(span.file_name, lo1, hi1, b), TextEdit(span.file_name, lo2, hi2, a)), MAYBE_INCORRECT))
        return out

    def _method_synonym_fixes(self, e: Diagnostic) -> list[Fix]:
        """E0599 "no method named `size` found for ..." on the method name: the Rust std names the same
        operation has in other languages' libraries (`_METHOD_SYNONYMS`: `size` → `len`, `add` →
        `push`). For `verify(reveal=False)`: only a method that exists and type-checks stays."""
        span = e.primary_span
        m = re.match(r"no method named `(\w+)` found", e.message)
        if e.code != "E0599" or not m or span is None or span.file_name not in self.state:
            return []
        if self.state[span.file_name][span.byte_start:span.byte_end] != m.group(1).encode():
            return []
        return [Fix(f"call `{new}` (the Rust name of `{m.group(1)}`)",
                    (TextEdit(span.file_name, span.byte_start, span.byte_end, new),), MAYBE_INCORRECT)
                for new in _METHOD_SYNONYMS.get(m.group(1), ()) if new != m.group(1)]

    def _collect_fixes(self, e: Diagnostic) -> list[Fix]:
        """E0277/E0282/E0283 on a `.collect()` whose target type nothing fixes ("a slice of type `[usize]`
        cannot be built", "type annotations needed"): the turbofish `.collect::<T>()` with the type
        rustc's label names ("try explicitly collecting into a `Vec<usize>`"), then `Vec<_>` and
        `String`. The `.collect()` is looked for on the primary span's lines. For `verify(reveal=False)`."""
        span = e.primary_span
        if e.code not in ("E0277", "E0282", "E0283") or span is None or span.file_name not in self.state:
            return []
        data = self.state[span.file_name]
        lo = data.rfind(b"\n", 0, span.byte_start) + 1
        hi = data.find(b"\n", span.byte_end)
        hi = len(data) if hi < 0 else hi
        text = "\n".join([e.message] + [s.label or "" for s in e.spans] + [c.message for c in e.children])
        types = list(dict.fromkeys(re.findall(r"collecting into a `([^`]+)`", text) + ["Vec<_>", "String"]))
        out = []
        for m in re.finditer(rb"\.collect\(\)", data[lo:hi]):
            at = lo + m.start()
            out += [Fix(f"collect into `{t}`: `.collect::<{t}>()`",
                        (TextEdit(span.file_name, at, at + len(m.group()), f".collect::<{t}>()"),), MAYBE_INCORRECT)
                    for t in types]
        return out[:6]

    def _reborrow_fixes(self, e: Diagnostic) -> list[Fix]:
        """Shared borrows where a mutable one is needed, which rustc leaves unfixed: E0606 "casting
        `&T` as `*mut T` is invalid" → the method's receiver `&mut self` (or `&mut x` for a `&x`
        operand); E0596 "cannot borrow `*x` as mutable, as it is behind a `&` reference" where `x` is
        bound from `&place` (`if let Some(x) = &self.v`, `for x in &v`) → `&mut place`; E0308 "expected
        `&mut T`, found `T`" on a method chain (`self.file.take().unwrap()`) → `.as_mut()` (`.as_ref()` for
        `&T`) inserted before one of its calls, so the chain ends in a borrow of the place rather than
        of a temporary; E0515 "cannot return reference to temporary value" on `&mut <such a chain>` likewise,
        without the `&mut`. E0609 "no field `f` on type `Opt`" where `Opt: Into<Options>` (or `AsRef`,
        ...) and the receiver is a `let` binding: its value converted (`.into()`). For
        `verify(reveal=False)`."""
        span = e.primary_span
        if span is None or span.file_name not in self.state:
            return []
        f, data = span.file_name, self.state[span.file_name]
        expr = data[span.byte_start:span.byte_end].decode("utf-8", "replace")
        out = []
        if e.code == "E0606" and re.match(r"casting `&(?!mut\b)[^`]*` as `\*mut ", e.message):
            operand = re.split(r"\s+as\s+", expr, maxsplit=1)[0].strip()
            recv = receiver_at(data, span.byte_start)
            if operand == "self" and recv is not None and recv[2].startswith("&") and "mut" not in recv[2]:
                new = mutable_reference(recv[2])
                out.append(Fix(f"take `{new}` instead of `{recv[2]}`", (TextEdit(f, recv[0], recv[1], new),),
                               MAYBE_INCORRECT))
            elif operand.startswith("&") and not re.match(r"&\s*mut\b", operand):
                at = span.byte_start + expr.index("&") + 1
                out.append(Fix("borrow mutably for the `*mut` cast", (TextEdit(f, at, at, "mut "),), MAYBE_INCORRECT))
            for name, ty, tlo, thi in parameters_at(data, span.byte_start):
                if name == operand and ty.startswith("&") and not re.match(r"&('\w+\s+)?mut\b", ty):
                    new = mutable_reference(ty)
                    out.append(Fix(f"take `{name}: {new}`", (TextEdit(f, tlo, thi, new),), MAYBE_INCORRECT))
        m = re.match(r"cannot borrow `\*?(\w+)` as mutable, as it is behind a `&` reference", e.message)
        if e.code == "E0596" and m:
            item = enclosing_item(data, span.byte_start, span.byte_end)
            if item is not None:
                before = data[item.byte_start:span.byte_start]
                binds = list(re.finditer(rb"\b" + m.group(1).encode() + rb"\b[^;{}]*?(?:=|\bin)\s*(&)(?!\s*mut\b)",
                                         before))
                if binds:
                    at = item.byte_start + binds[-1].end(1)
                    out.append(Fix(f"borrow what `{m.group(1)}` is bound from mutably: `&mut`",
                                   (TextEdit(f, at, at, "mut "),), MAYBE_INCORRECT))
        m = re.search(r"expected `&(mut )?([^`]+)`, found `([^`]+)`", "\n".join(s.label or "" for s in e.spans))
        chain, method = None, ""
        if e.code == "E0308" and m and m.group(2).strip() == m.group(3).strip() and not expr.startswith("&"):
            chain, method = expr, "as_mut" if m.group(1) else "as_ref"
        elif e.code == "E0515" and "reference to temporary value" in e.message and (b := re.match(r"&\s*(mut\s+)?", expr)):
            # `&mut self.file.take().unwrap()` (rustc's own suggestion for the E0308 above): the same, unborrowed
            chain, method = expr[b.end():], "as_mut" if b.group(1) else "as_ref"
        if chain is not None:
            for c in list(re.finditer(r"\.\w+\s*\(", chain))[:4]:
                new = chain[:c.start()] + f".{method}()" + chain[c.start():]
                out.append(Fix(f"borrow through `.{method}()`: `{new}`", (TextEdit(f, span.byte_start, span.byte_end, new),),
                               MAYBE_INCORRECT))
        m = re.match(r"no field `\w+` on type `(\w+)`", e.message)
        if e.code in ("E0609", "E0599") and m and any("type parameter" in (s.label or "") for s in e.spans):
            # a value of a type parameter `Opt: Into<Options>` used as the target type: its `let` converts it
            item = enclosing_item(data, span.byte_start, span.byte_end)
            recv = re.search(rb"(\w+)\s*\.\s*$", data[max(0, span.byte_start - 80):span.byte_start])
            if item is not None and recv:
                bounds = re.findall(rf"\b{m.group(1)}\s*:[^,{{>]*?\b(Into|AsRef|AsMut|Borrow)\s*<", item.text)
                lets = list(re.finditer(rb"\blet\s+(?:mut\s+)?" + recv.group(1) + rb"\s*=\s*([^;]+);",
                                        data[item.byte_start:span.byte_start]))
                if lets:
                    lo = item.byte_start + lets[-1].start(1)
                    hi = item.byte_start + lets[-1].end(1)
                    value = _parenthesized(data[lo:hi].decode("utf-8", "replace").strip())
                    for trait in dict.fromkeys(bounds):
                        call = {"Into": "into", "AsRef": "as_ref", "AsMut": "as_mut", "Borrow": "borrow"}[trait]
                        out.append(Fix(f"convert with `.{call}()` (`{m.group(1)}: {trait}<..>`)",
                                       (TextEdit(f, lo, hi, f"{value}.{call}()"),), MAYBE_INCORRECT))
        return out

    def _signature_fixes(self, e: Diagnostic) -> list[Fix]:
        """"`impl` item signature doesn't match `trait` item signature" where the return types differ
        (rustc's note "expected signature `fn(&'1 mut IterMut<'a, T>) -> Option<&'a mut T>`" / "found
        signature ... -> Option<&'1 mut T>"): the impl's written return type replaced by the trait's,
        rustc's anonymous lifetimes (`'1`) elided. Applies only when the found type, so elided, is what
        the impl's header says. For `verify(reveal=False)`."""
        span = e.primary_span
        text = e.plain_text()
        exp = re.search(r"expected signature `fn\((.*?)\)(?: -> ([^`]+))?`", text)
        got = re.search(r"found signature `fn\((.*?)\)(?: -> ([^`]+))?`", text)
        if span is None or span.file_name not in self.state or not exp or not got or not exp.group(2) \
                or not got.group(2) or exp.group(2) == got.group(2):
            return []
        def elide(t: str) -> str:
            return re.sub(r"'\d+\s*", "", t)
        data = self.state[span.file_name]
        header = data[span.byte_start:span.byte_end].decode("utf-8", "replace")
        m = re.search(r"->\s*(.+?)\s*$", header, re.S)
        if not m or re.sub(r"\s+", "", m.group(1)) != re.sub(r"\s+", "", elide(got.group(2))):
            return []
        lo = span.byte_start + len(header[:m.start(1)].encode())
        new = elide(exp.group(2))
        return [Fix(f"return the trait's `{new}`", (TextEdit(span.file_name, lo, lo + len(m.group(1).encode()), new),),
                    MAYBE_INCORRECT)]

    def _escape_clone_fixes(self, e: Diagnostic) -> list[Fix]:
        """"lifetime may not live long enough" where a borrowed parameter is returned where an owned value
        must outlive the call (`Box::new(self)` in `fn clone_box(&self) -> Box<dyn Tr>`; rustc: "let's
        call the lifetime of this reference `'1`"): that parameter cloned (`self.clone()`) where the
        primary span uses it as a value. For `verify(reveal=False)`."""
        span = e.primary_span
        if e.code or "lifetime may not live long enough" not in e.message or span is None \
                or span.file_name not in self.state:
            return []
        data = self.state[span.file_name]
        names = []
        for s in e.spans:
            if s.file_name != span.file_name or "lifetime of this reference" not in (s.label or ""):
                continue
            if (m := re.match(rb"&\s*(?:'\w+\s+)?(?:mut\s+)?(self)\b", data[s.byte_start:s.byte_start + 40])):
                names.append("self")
            elif (m := re.search(rb"(\w+)\s*:\s*$", data[max(0, s.byte_start - 80):s.byte_start])):
                names.append(m.group(1).decode())
        expr = data[span.byte_start:span.byte_end].decode("utf-8", "replace")
        out = []
        for name in dict.fromkeys(names):
            for m in list(re.finditer(rf"(?<![\w.]){re.escape(name)}\b(?!\s*[.(:!])", expr))[:3]:
                at = span.byte_start + len(expr[:m.end()].encode())
                out.append(Fix(f"clone `{name}` instead of returning the borrow", (TextEdit(span.file_name, at, at, ".clone()"),),
                               MAYBE_INCORRECT))
        return out

    def _definition_fixes(self, e: Diagnostic) -> list[Fix]:
        """Fixes at the definition an error points to in the workspace, which rustc shows but does not
        edit: a private item used elsewhere (E0603 "constant `X` is private", E0624 "method `m` is
        private", E0616 "field `f` of struct `S` is private"; the note "... is defined here") made `pub`,
        then `pub(crate)`; a non-const function called in a constant (E0015; note "function `f` is not
        const") made `const fn`; `.await` in a function rustc labels "this is not `async`" (E0728) made
        `async fn`; a keyword rustc labels "unsafe because of this" (E0197 "inherent impls cannot be
        unsafe") removed. For `verify(reveal=False)`."""
        spans = [s for s in e.spans if not s.is_primary] + [s for c in e.children for s in c.spans
                                                             if c.level == "note" and "defined here" in c.message
                                                             or re.search(r"is not const$", c.message)]
        out = []
        for s in spans:
            if s.file_name not in self.state:
                continue
            data, f = self.state[s.file_name], s.file_name
            head = data[s.byte_start:s.byte_end].decode("utf-8", "replace")
            vis = re.match(r"pub(\s*\([^)]*\))?\s+", head)
            label = s.label or ""
            if e.code in ("E0603", "E0624", "E0616") and ("defined here" in label or not label):
                if vis and vis.group(1):  # `pub(super)` → `pub`
                    out.append(Fix("make it `pub`", (TextEdit(f, s.byte_start, s.byte_start + vis.end(), "pub "),),
                                   MAYBE_INCORRECT))
                elif not vis:
                    out += [Fix(f"make it `{v.strip()}`", (TextEdit(f, s.byte_start, s.byte_start, v),), MAYBE_INCORRECT)
                            for v in ("pub ", "pub(crate) ")]
            fn = re.match(r"((?:pub(?:\s*\([^)]*\))?\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?)fn\b", head)
            if fn is None:
                continue
            at = s.byte_start + len(fn.group(1).encode())
            if e.code == "E0015" and "const" not in fn.group(1):
                out.append(Fix("make it a `const fn`", (TextEdit(f, at, at, "const "),), MAYBE_INCORRECT))
            if e.code == "E0728" and "not `async`" in label and "async" not in fn.group(1):
                out.append(Fix("make it an `async fn`", (TextEdit(f, at, at, "async "),), MAYBE_INCORRECT))
        for s in e.spans:  # E0197 "inherent impls cannot be unsafe" (`unsafe` labelled "unsafe because of this")
            data = self.state.get(s.file_name, b"")
            word = data[s.byte_start:s.byte_end]
            if (s.label or "").endswith("because of this") and word in (b"unsafe", b"async", b"const", b"default", b"extern"):
                ws = re.match(rb"\s*", data[s.byte_end:]).end()
                out.append(Fix(f"remove `{word.decode()}`", (TextEdit(s.file_name, s.byte_start, s.byte_end + ws, ""),),
                               MAYBE_INCORRECT))
        if e.code == "E0616" and (m := re.match(r"field `(\w+)` of (?:struct|union) `(?:[\w:]*::)?(\w+)", e.message)):
            found = self._type_definition(m.group(2))
            if found is not None:
                f, item = found
                body = item.text
                fm = re.search(rf"(?m)^(\s*)({m.group(1)}\s*:)", body)
                if fm:
                    at = item.byte_start + len(body[:fm.start(2)].encode())
                    out.append(Fix(f"make the field `{m.group(1)}` `pub`", (TextEdit(f, at, at, "pub "),), MAYBE_INCORRECT))
        return out

    def _structural_fixes(self, e: Diagnostic) -> list[Fix]:
        """Fixes rustc's explanations give but its suggestions do not: E0392 "type parameter `T` is never
        used" → a `PhantomData` field (`_marker: std::marker::PhantomData<T>`, `PhantomData<&'a ()>` for
        a lifetime) in a struct, then the parameter removed; E0426 "use of undeclared label `'a`" → the
        innermost enclosing loop labelled `'a:`; E0745 "cannot take address of a temporary" → the
        temporary bound to a local (`let value = 2;`) first; E0368/E0369 a bit operation (`<<`, `&`, ...)
        on a float bound from a whole literal (`let x = 12f32;`) → that literal as an integer (`12u32`);
        E0415/E0416 "identifier `f` is bound more than once" → the second one renamed (`f2`); E0071 a
        struct literal of a builtin type (`U32 { value: 4 }`, `type U32 = u32`) → its one value; E0367 a
        `Drop` impl's bound (`T: Foo`) the type lacks → added to the type's definition; E0592 duplicate
        method definitions → the other one renamed (`bar2`); E0797 `Foo { a: 1, .. }` → `..f1` (an earlier
        `Foo` binding) or `..Default::default()`; E0793 a reference to a packed struct's field → `&raw
        const` (or a copy, `{ foo.x }`, inside a macro); E0648 `\\0` removed from an `export_name`; E0637
        `'_` declared as a lifetime parameter → a fresh name (`'a`) throughout the signature, and a `&`
        without a lifetime in a function's bounds → a new lifetime parameter of the function; E0695 an
        unlabeled `break` in a labeled block → the loop it leaves labelled and named; E0573 a variant
        used as a type (`-> Dragon::Born`) → its enum; E0765/E0766 an unterminated string → closed;
        E0801 `self: R` for a generic `R` → `&self`, `self: Rc<Self>`, `self`; E0538 an attribute key
        "used more than once" → removed; E0025 a field bound twice where E0027 says another is missing →
        the second renamed to it; E0784 a union literal → its first field only (or one set); two
        borrows in conflict (E0499/E0501/E0502/E0505/E0506) → `_reorder_fixes`. For `verify(reveal=False)`."""
        span = e.primary_span
        if span is None or span.file_name not in self.state:
            return []
        f, data = span.file_name, self.state[span.file_name]
        text = data[span.byte_start:span.byte_end].decode("utf-8", "replace")
        out: list[Fix] = []
        if e.code == "E0392" and re.fullmatch(r"'?\w+", text):
            item = enclosing_item(data, span.byte_start, span.byte_end)
            if item is not None and item.kind in ("struct_item", "enum_item", "union_item"):
                marker = f"std::marker::PhantomData<&{text} ()>" if text.startswith("'") else f"std::marker::PhantomData<{text}>"
                body = item.text.rstrip()
                end = item.byte_start + len(body.encode())
                if item.kind == "struct_item" and body.endswith("}"):
                    inner = data[item.signature_end + 1:end - 1]
                    sep = "" if not inner.strip() or inner.rstrip().endswith(b",") else ","
                    close = end - 1
                    prev = len(data[:close].rstrip())
                    first_field = re.search(rb"\n([ \t]+)\S", data[item.signature_end:close])
                    indent = first_field.group(1).decode() if first_field else "    "
                    close_indent = re.match(rb"[ \t]*", data[data.rfind(b"\n", 0, close) + 1:]).group().decode()
                    out.append(Fix(f"mark `{text}` as used with a `PhantomData` field",
                                   (TextEdit(f, prev, close, f"{sep}\n{indent}_marker: {marker},\n{close_indent}"),),
                                   MAYBE_INCORRECT))
                elif item.kind == "struct_item" and re.search(r"\)\s*(where[^;]*)?;$", body):
                    close = item.byte_start + body.rindex(")")
                    inner = data[:close].rstrip()
                    sep = "" if inner.endswith((b"(", b",")) else ", "
                    out.append(Fix(f"mark `{text}` as used with a `PhantomData` field",
                                   (TextEdit(f, close, close, f"{sep}{marker}"),), MAYBE_INCORRECT))
            # or the parameter goes: `<T>` → nothing, `<'a, T>` → `<'a>`
            before, after = data[:span.byte_start], data[span.byte_end:]
            bound = re.match(rb"\s*:[^,>]*", after)
            hi = span.byte_end + (bound.end() if bound else 0)
            if re.search(rb"<\s*$", before) and re.match(rb"\s*>", data[hi:]):
                lo = re.search(rb"<\s*$", before).start()
                out.append(Fix(f"remove the unused parameter `{text}`",
                               (TextEdit(f, lo, hi + re.match(rb"\s*>", data[hi:]).end(), ""),), MAYBE_INCORRECT))
            elif m := re.match(rb"\s*,\s*", data[hi:]):
                out.append(Fix(f"remove the unused parameter `{text}`", (TextEdit(f, span.byte_start, hi + m.end(), ""),),
                               MAYBE_INCORRECT))
            elif m := re.search(rb",\s*$", before):
                out.append(Fix(f"remove the unused parameter `{text}`", (TextEdit(f, m.start(), hi, ""),), MAYBE_INCORRECT))
        m = re.search(r"operation `([<>&|^]{1,2})=?` cannot be applied to type `(f32|f64|\{float\})`|"
                      r"no implementation for `(f32|f64|\{float\}) ([<>&|^]{1,2})", e.message)
        if e.code in ("E0368", "E0369") and m:
            # bit operations on a float: the value was meant as an integer (`let x = 12f32;` → `12u32`)
            item = enclosing_item(data, span.byte_start, span.byte_end)
            names = set(re.findall(r"\b[a-z_]\w*\b", " ".join(
                self.state[s.file_name][s.byte_start:s.byte_end].decode("utf-8", "replace") for s in e.spans
                if s.file_name == f)))
            lets = re.finditer(rb"\blet\s+(?:mut\s+)?(\w+)\s*(:\s*f(?:32|64)\s*)?=\s*(-?\d[\d_]*)(?:\.0*)?_?(?:f32|f64)?\s*;",
                               data[item.byte_start:span.byte_start] if item else b"")
            for let in lets:
                if let.group(1).decode() not in names:
                    continue
                for ty in ("u32", "i32", "u64", "i64"):
                    edits = [TextEdit(f, item.byte_start + let.start(3), item.byte_start + let.end(3) +
                                      len(re.match(rb"(?:\.0*)?_?(?:f32|f64)?", data[item.byte_start + let.end(3):]).group()),
                                      f"{let.group(3).decode()}{ty}")]
                    if let.group(2):
                        edits.append(TextEdit(f, item.byte_start + let.start(2), item.byte_start + let.end(2), ""))
                    out.append(Fix(f"make `{let.group(1).decode()}` an integer: `{let.group(3).decode()}{ty}`",
                                   tuple(sorted(edits, key=lambda x: x.byte_start)), MAYBE_INCORRECT))
        m = re.match(r"identifier `(\w+)` is bound more than once", e.message)
        if e.code in ("E0415", "E0416") and m and text == m.group(1):
            out.append(Fix(f"rename the second `{text}`", (TextEdit(f, span.byte_start, span.byte_end, f"{text}2"),),
                           MAYBE_INCORRECT))
        if e.code in ("E0499", "E0501", "E0502", "E0505", "E0506"):
            out += self._reorder_fixes(e)
        if e.code == "E0071" and (init := struct_initializer_at(data, span.byte_start)) is not None \
                and len(init[0]) == 1 and init[0][0][1] is not None and "\n" not in init[0][0][1]:
            # `U32 { value: 4 }` where `type U32 = u32`: a builtin type is built from its value alone;
            # `let t = U32 { .. }` keeps the alias as the binding's type (`let t: U32 = 4;`)
            value = init[0][0][1]
            edits = [TextEdit(f, span.byte_start, init[2] + 1, value)]
            let = re.search(rb"\blet\s+(?:mut\s+)?\w+(\s*)=\s*$", data[max(0, span.byte_start - 80):span.byte_start])
            if let and re.fullmatch(r"[\w:]+", text):
                at = max(0, span.byte_start - 80) + let.start(1)
                edits.insert(0, TextEdit(f, at, at, f": {text}"))
            out.append(Fix(f"use the value `{value}` itself", tuple(edits), MAYBE_INCORRECT))
        m = re.match(r"`Drop` impl requires `(\w+): ([^`]+)` but the \w+ it is implemented for does not", e.message)
        if e.code == "E0367" and m:
            # the type's own definition states the bound its `Drop` impl needs (rustc: "the implementor must
            # specify the same requirement", with the definition's span)
            for c in e.children:
                for s in c.spans:
                    head = self.state.get(s.file_name, b"")[s.byte_start:s.byte_end]
                    p = re.search(rb"<[^>]*?\b(" + m.group(1).encode() + rb")\b(\s*:[^,>]*)?", head)
                    if "same requirement" in c.message and p:
                        at = s.byte_start + p.end()
                        add = f" + {m.group(2)}" if p.group(2) else f": {m.group(2)}"
                        out.append(Fix(f"require `{m.group(1)}{add}` on the type too", (TextEdit(s.file_name, at, at, add),),
                                       MAYBE_INCORRECT))
        m = re.match(r"duplicate definitions with name `(\w+)`", e.message)
        if e.code == "E0592" and m:  # the other definition gets another name
            for s in e.spans:
                head = self.state.get(s.file_name, b"")[s.byte_start:s.byte_end]
                n = re.search(rb"\bfn\s+(" + m.group(1).encode() + rb")\b", head)
                if "other definition" in (s.label or "") and n:
                    lo = s.byte_start + n.start(1)
                    out.append(Fix(f"rename the other `{m.group(1)}`",
                                   (TextEdit(s.file_name, lo, lo + len(m.group(1)), f"{m.group(1)}2"),), MAYBE_INCORRECT))
        if e.code == "E0797":  # `Foo { a: 1, .. }`: rustc's `../* expr */` filled with a value of that struct
            item = enclosing_item(data, span.byte_start, span.byte_end)
            name = re.search(rb"\b(\w+)\s*\{[^{}]*$", data[max(0, span.byte_start - 400):span.byte_start])
            bases = []
            if name and item is not None:
                ty = re.escape(name.group(1))
                before = data[item.byte_start:span.byte_start]
                bases = [b.group(1).decode() for b in re.finditer(
                    rb"\blet\s+(?:mut\s+)?(\w+)\s*(?::\s*" + ty + rb"\b[^=]*)?=\s*" + ty + rb"\s*\{", before)
                    if b";" in before[b.end():]]  # not the binding this literal initializes
            for fix in suggestion_fixes(e, self.ws.root, stubs=True):
                if len(fix.edits) == 1 and "/* expr */" in fix.edits[0].new_text:
                    ed = fix.edits[0]
                    for base in list(dict.fromkeys(reversed(bases)))[:2] + ["Default::default()"]:
                        out.append(Fix(f"take the other fields from `{base}`",
                                       (TextEdit(ed.file, ed.byte_start, ed.byte_end, ed.new_text.replace("/* expr */", base)),),
                                       MAYBE_INCORRECT))
        if e.code == "E0793" and re.fullmatch(r"&?\s*[\w.]+", text):
            # a packed struct's field: a raw pointer instead of `&`, or a copy (`{ foo.x }`) where a macro borrows it
            new = f"&raw const {text[1:].strip()}" if text.startswith("&") else f"{{ {text} }}"
            out.append(Fix(f"avoid the unaligned reference: `{new}`", (TextEdit(f, span.byte_start, span.byte_end, new),),
                           MAYBE_INCORRECT))
        if e.code == "E0648" and "null characters" in e.message and "\\0" in text:
            out.append(Fix("remove the null characters", (TextEdit(f, span.byte_start, span.byte_end, text.replace("\\0", "")),),
                           MAYBE_INCORRECT))
        if e.code == "E0637" and text == "'_" and re.search(rb"<[^<>()]*$", data[max(0, span.byte_start - 200):span.byte_start]):
            # `fn f<'_>(a: &'_ str) -> &'_ str`: the reserved name declared as a parameter → a fresh lifetime
            # name, there and wherever the signature uses `'_`
            item = enclosing_item(data, span.byte_start, span.byte_end)
            if item is not None and item.signature_end and (name := fresh_name(item.text, _LIFETIME_NAMES)):
                sig = data[item.byte_start:item.signature_end]
                out.append(Fix(f"name the lifetime `{name}`",
                               tuple(TextEdit(f, item.byte_start + m.start(), item.byte_start + m.end(), name)
                                     for m in re.finditer(rb"'_(?!\w)", sig)), MAYBE_INCORRECT))
        if e.code == "E0637" and text == "&" and "without an explicit lifetime" in e.message:
            # `T: Iterator<Item = &u32>` in a bound (rustc's `for<'a>` fails there, E0582): a lifetime
            # parameter of the function (`fn f<'a, T>() where T: Iterator<Item = &'a u32>`)
            item = enclosing_item(data, span.byte_start, span.byte_end)
            head = re.match(rb"[^(]*?\bfn\s+\w+\s*(<)?", data[item.byte_start:item.signature_end]) if item else None
            if head and (name := fresh_name(item.text, _LIFETIME_NAMES)):
                at = item.byte_start + head.end()
                declare = TextEdit(f, at, at, f"{name}, ") if head.group(1) else TextEdit(f, at, at, f"<{name}>")
                out.append(Fix(f"add the lifetime parameter `{name}`",
                               (declare, TextEdit(f, span.byte_end, span.byte_end, f"{name} ")), MAYBE_INCORRECT))
        if e.code == "E0695" and text in ("break", "continue"):
            # an unlabeled `break` inside a labeled block meant the loop around it: label the loop and name it
            loop = loop_start_at(data, span.byte_start)
            item = enclosing_item(data, span.byte_start, span.byte_end)
            if loop is not None and item is not None and (name := fresh_name(item.text, ("'outer", "'scan", "'main_loop"))):
                out.append(Fix(f"label the loop `{name}` and `{text} {name}`",
                               (TextEdit(f, loop, loop, f"{name}: "), TextEdit(f, span.byte_end, span.byte_end, f" {name}")),
                               MAYBE_INCORRECT))
        m = re.match(r"expected type, found variant `((?:\w+::)+)(\w+)`", e.message)
        if e.code == "E0573" and m and text.endswith("::" + m.group(2)):
            # a variant used as a type (`fn f() -> Dragon::Born`): its enum
            out.append(Fix(f"use the enum `{text[:-len(m.group(2)) - 2]}`",
                           (TextEdit(f, span.byte_start, span.byte_end, text[:-len(m.group(2)) - 2]),), MAYBE_INCORRECT))
        if e.code in ("E0765", "E0766") and re.match(r"b?\"", text):
            # an unterminated string: closed before the statement's end on its first line, at that line's
            # end, or right away (`b"; // ...` → `b""; // ...`)
            open_end = span.byte_start + text.index('"') + 1
            eol = data.find(b"\n", open_end)
            eol = len(data) if eol < 0 else eol
            line = data[open_end:eol]
            code = re.split(rb"//", line)[0]
            spots = [open_end + m.start() for m in re.finditer(rb"[ \t]*[;,)]+[ \t]*$", code)][:1]
            spots += [open_end + len(code.rstrip()), open_end]
            for at in dict.fromkeys(spots):
                out.append(Fix("close the string", (TextEdit(f, at, at, '"'),), MAYBE_INCORRECT))
        m = re.match(r"invalid generic `self` parameter type: `(\w+)`", e.message)
        if e.code == "E0801" and m and text == m.group(1):
            # `fn f<R: Deref<Target = Self>>(self: R)`: a receiver type rustc accepts
            recv = re.search(rb"\bself\s*:\s*$", data[max(0, span.byte_start - 40):span.byte_start])
            if recv:
                lo = max(0, span.byte_start - 40) + recv.start()
                out += [Fix(f"take `{new}`", (TextEdit(f, lo, span.byte_end, new),), MAYBE_INCORRECT)
                        for new in ("&self", "self: std::rc::Rc<Self>", "self")]
        for s in e.spans:  # E0538 "found `note` used as a key more than once": that key goes
            if s.file_name == f and "more than once" in (s.label or "") and not s.is_primary:
                comma = re.search(rb",\s*$", data[max(0, s.byte_start - 40):s.byte_start])
                lo = max(0, s.byte_start - 40) + comma.start() if comma else s.byte_start
                out.append(Fix("remove the repeated key", (TextEdit(f, lo, s.byte_end, ""),), MAYBE_INCORRECT))
        m = re.match(r"field `(\w+)` bound multiple times in the pattern", e.message)
        if e.code == "E0025" and m and text.startswith(m.group(1)):
            # `Foo { a: x, a: y }` with "pattern does not mention field `b`" on the same pattern: the second `a`
            # was meant to be `b`
            for d in self.last.diagnostics:
                missing = re.match(r"pattern does not mention fields? (.+)", d.message) if d.code == "E0027" else None
                ps = d.primary_span
                if missing and ps is not None and ps.file_name == f and ps.byte_start <= span.byte_start < ps.byte_end:
                    for name in re.findall(r"`(\w+)`", missing.group(1)):
                        out.append(Fix(f"bind the field `{name}` instead of a second `{m.group(1)}`",
                                       (TextEdit(f, span.byte_start, span.byte_start + len(m.group(1)), name),), MAYBE_INCORRECT))
            comma = re.search(rb",\s*$", data[max(0, span.byte_start - 20):span.byte_start])
            if comma:  # or the second binding goes
                out.append(Fix(f"remove the second `{m.group(1)}`",
                               (TextEdit(f, max(0, span.byte_start - 20) + comma.start(), span.byte_end, ""),), MAYBE_INCORRECT))
        if e.code == "E0784" and (init := struct_initializer_at(data, span.byte_start)) is not None:
            fields, last, close = init
            if len(fields) > 1 and fields[0][1] is not None:  # a union literal sets one field: the first stays
                first_end = data.find(b",", span.byte_end, close)
                out.append(Fix("keep only the first field", (TextEdit(f, first_end, last, ""),), MAYBE_INCORRECT))
            elif not fields and (found := self._type_definition(text)) is not None:
                first = re.search(r"\{\s*(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:", found[1].text)
                if first:
                    out.append(Fix(f"set the field `{first.group(1)}`",
                                   (TextEdit(f, close, close, f" {first.group(1)}: Default::default() "),), MAYBE_INCORRECT))
        if e.code == "E0426" and re.fullmatch(r"'\w+", text):
            loop = loop_start_at(data, span.byte_start)
            if loop is not None:
                out.append(Fix(f"label the enclosing loop `{text}`", (TextEdit(f, loop, loop, f"{text}: "),), MAYBE_INCORRECT))
        if e.code == "E0745" and "\n" not in text:
            line = data.rfind(b"\n", 0, span.byte_start) + 1
            indent = re.match(rb"[ \t]*", data[line:]).group().decode()
            out.append(Fix(f"bind the temporary `{text}` to a local first",
                           (TextEdit(f, line, line, f"{indent}let value = {text};\n"),
                            TextEdit(f, span.byte_start, span.byte_end, "value")), MAYBE_INCORRECT))
        return out

    def _reorder_fixes(self, e: Diagnostic) -> list[Fix]:
        """For two borrows in conflict ("cannot borrow `*a` as mutable because previous closure requires
        unique access", "... also borrowed as immutable"), rustc's labels give three statements: the first
        borrow ("closure construction occurs here", "immutable borrow occurs here"), the conflicting one
        (the primary span) and the first borrow's last use ("first borrow later used here"). Candidates:
        the conflicting statement moved above the first borrow's statement, or the last use moved above
        the conflicting statement, when each is one line (ending in `;`) at the same block level. This
        changes the order of evaluation, which the compiler cannot judge: `verify(reveal=False)` only
        proves it compiles, so these come after every other candidate for the error."""
        span = e.primary_span
        if span is None or span.file_name not in self.state:
            return []
        f, data = span.file_name, self.state[span.file_name]
        first = next((s for s in e.spans if s.file_name == f and not s.is_primary and
                      re.search(r"(construction|borrow|move) occurs here", s.label or "")), None)
        later = next((s for s in e.spans if s.file_name == f and "later used here" in (s.label or "")), None)

        def line_at(offset: int) -> tuple[int, int, bytes]:
            lo = data.rfind(b"\n", 0, offset) + 1
            hi = data.find(b"\n", offset)
            hi = len(data) if hi < 0 else hi + 1
            return lo, hi, data[lo:hi]

        def indent(line: bytes) -> bytes:
            return re.match(rb"[ \t]*", line).group()

        def statement(line: bytes) -> bool:  # a whole one-line statement: `f(a);`, `let x = g(&v); // note`
            return bool(re.fullmatch(rb"[ \t]*[^\s}{/][^{}]*;[ \t]*(//[^\n]*)?\n?", line))

        out = []
        p_lo, p_hi, p_line = line_at(span.byte_start)
        if first is not None:
            f_lo, _f_hi, f_line = line_at(first.byte_start)
            if f_lo < p_lo and statement(p_line) and indent(f_line) == indent(p_line) \
                    and not f_line[len(indent(f_line)):].startswith((b"}", b")")):
                moved = p_line if p_line.endswith(b"\n") else p_line + b"\n"
                out.append(Fix("move the conflicting statement before the first borrow",
                               (TextEdit(f, f_lo, f_lo, moved.decode("utf-8")), TextEdit(f, p_lo, p_hi, "")),
                               MAYBE_INCORRECT))
        if later is not None:
            l_lo, l_hi, l_line = line_at(later.byte_start)
            if p_lo < l_lo and statement(l_line) and indent(l_line) == indent(p_line):
                moved = l_line if l_line.endswith(b"\n") else l_line + b"\n"
                out.append(Fix("finish with the first borrow before the conflicting statement",
                               (TextEdit(f, p_lo, p_lo, moved.decode("utf-8")), TextEdit(f, l_lo, l_hi, "")),
                               MAYBE_INCORRECT))
        return out

    def _deletes_intent(self, e: Diagnostic, changes: dict[str, bytes]) -> bool:
        """True when `changes` only delete code, and what they delete includes a name or a literal (a value
        the author wrote: `break i` → `break`), for an error that is not about something unused or
        duplicate. Deleting only punctuation or keywords (`&`, `;`, `mut`) does not count."""
        if deletion_ok(e) or not e.is_error:
            return False
        for f, new in changes.items():
            old_mid, new_mid = changed_region(self.state[f].decode("utf-8"), new.decode("utf-8"))
            if not is_deletion_only(old_mid, new_mid):
                return False
            a, b = code_tokens(old_mid), code_tokens(new_mid)
            gone = [t for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
                    if tag == "delete" for t in a[i1:i2]]
            if not any(_VALUE_TOKEN.match(t) and t not in _KEYWORDS for t in gone):
                return False
        return True

    def _model_stage(self, work: list[Diagnostic], errors: list[Diagnostic], budget: _Budget) -> CheckResult | None:
        """Stage 3: model candidates for up to `max_model_errors` errors; the first verified one wins.
        An answer that only deletes what the author wrote (`break 2 * i;` → `break;`) waits until the
        error's other answers were tried, like rustc's deleting suggestions."""
        if self.engine is None:
            return None
        for e in work[: self.opt.max_model_errors]:
            deferred: list[tuple[str, str, dict[str, bytes], int]] = []
            for stage, label, changes, tokens in self._model_candidates(e, budget):
                if self._deletes_intent(e, changes):
                    deferred.append((stage, label, changes, tokens))
                    continue
                res = self.verify(stage, [e], label, changes, errors, tokens=tokens)
                if res is not None:
                    return res
                if budget.exhausted():
                    break
            for stage, label, changes, tokens in deferred:
                budget.exhausted()  # raises when cancelled; a compiling deletion is still worth its check
                res = self.verify(stage, [e], f"{label} (deletion, after the other answers)", changes, errors,
                                  tokens=tokens)
                if res is not None:
                    return res
            if budget.exhausted():
                return None
        return None

    # -- model candidates -----------------------------------------------------------------------
    def missing_crate(self, e: Diagnostic) -> str | None:
        """The crate an unresolved-path error needs when no package declares it (`insta` in "cannot
        find module or crate `insta`"): a Cargo.toml change, which ferrofix never makes. Else None."""
        if e.code not in ("E0432", "E0433", "E0463"):
            return None
        m = re.search(r"(?:crate|import|crate for) `(\w+)", e.message)
        if not m:
            return None
        name = m.group(1)
        if name in ("crate", "self", "super", "std", "core", "alloc"):
            return None
        declared = {d for p in self.ws.packages for d in p.dependencies} | {p.name.replace("-", "_") for p in self.ws.packages}
        if name in declared:
            return None
        if self._defined is None:  # names the sources define (computed once: fixes rarely add items)
            self._defined = set()
            for b in self.state.values():
                self._defined.update(m.decode() for m in re.findall(
                    rb"\b(?:mod|fn|struct|enum|trait|type|const|static|macro_rules!)\s+(\w+)", b))
        defined = self._defined
        if name in defined:
            return None
        # a misspelling of a declared crate, a module or std (`serd`, `colections`) is the source's to fix
        near = declared | {"std", "core", "alloc"} | (defined if e.code != "E0463" else set())
        if any(is_misspelling(name, n) for n in near):
            return None
        return name

    def _model_candidates(self, e: Diagnostic, budget: _Budget) -> Iterator[tuple[str, str, dict[str, bytes], int]]:
        """Model candidates for one error as (stage, label, changes, tokens): the stage is "model-kb"
        when knowledge-base examples were in the prompt, else "model".

        When rustc suggests a scaffold with placeholders (`_scaffold`), the prompt shows the code with it
        applied and asks for the placeholders to be completed; an answer that instead fixes the code as
        it was (adding the match arm itself) is applied to the original."""
        span = e.primary_span
        if span is None:
            return
        span = span.invocation_site(self.ws.root)
        rel = span.file_name
        if rel not in self.state:
            return
        scaffold = self._scaffold(e, rel, span.byte_start)
        bases = [self._base(e, rel, span, scaffold)] if scaffold is not None else []
        bases.append(self._base(e, rel, span, None))
        item, error_lines, fill = bases[0].item, bases[0].error_lines, bases[0].fill
        extra, related = self._related_lines(e, item, rel)
        examples = list(self.examples(e)) if self.examples else []
        stage = "model-kb" if examples else "model"
        plans = [("search_replace", 0.0), ("item", 0.0)]
        plans += [("search_replace" if i % 2 == 0 else "item", 0.8) for i in range(self.opt.samples)]
        seen: set[bytes] = set()
        item_lines = item.text.count("\n") + 1
        for n, (kind, temp) in enumerate(plans):
            if kind == "item" and (item.kind == "window" or item_lines > MAX_REWRITE_LINES):
                continue
            if budget.exhausted():
                return
            msgs = modelfix.build_prompt(kind, rel, item, e, error_lines, extra, examples,
                                         scaffold=scaffold.title if scaffold else "", fill_lines=fill)
            self.progress(f"asking {self.engine.name} ({kind}) about {describe(e)}")
            # an item rewrite repeats the item: allow its length plus room for the fix
            max_tokens = self.opt.max_tokens if kind == "search_replace" else \
                min(2048, max(self.opt.max_tokens, len(item.text) // 3 + 128))
            cancelled = (lambda: self.cancel.cancelled) if self.cancel else (lambda: False)
            try:
                # an answer is cut off when the run's time budget ends (or the user cancels)
                c = self.engine.chat(msgs, max_tokens=max_tokens, temperature=temp, seed=n,
                                     should_stop=lambda: cancelled() or budget.left <= 0)
            except ContextOverflowError as ex:
                self._record("model", describe(e), kind, "rejected", f"prompt too long ({ex})", 0, 0)
                continue
            except CheckCancelledError:
                if cancelled():
                    raise
                self._record("model", describe(e), f"{kind} (T={temp})", "rejected", "the time budget ran out", 0, 0)
                return
            tokens = c.prompt_tokens + c.completion_tokens
            self.tokens += tokens
            label = f"{kind} (T={temp})"
            blocks: list[tuple[str, str]] = []
            code = None
            if kind == "search_replace":
                blocks = modelfix.strip_copied_labels(modelfix.parse_search_replace(c.text),
                                                      [sp.label or "" for sp in e.spans])
                reason = "SEARCH text not found in the file" if blocks else "no SEARCH/REPLACE block in the answer"
            else:
                code = modelfix.parse_code_block(c.text)
                reason = "no code block in the answer"
            if not blocks and not code:
                self._unparsable(c.text, reason, label, e, tokens)
                continue
            why = ""
            changes: dict[str, bytes] = {}
            for base in bases:
                text = base.data.decode("utf-8")
                if blocks:
                    texts = self._apply_blocks(blocks, rel, text, base.error_line, related)
                else:
                    new_text = modelfix.apply_item_rewrite(text, base.item, base.data, code)
                    texts = {rel: new_text} if new_text is not None else None
                if texts is None:
                    continue
                self.parsed_any = True
                encoded = {f: t.encode("utf-8") for f, t in texts.items()}
                changes = {f: b for f, b in encoded.items() if b != self.state[f]}
                why = next((w for f, new in changes.items()
                            if (w := self._guard(e, base.item if f == rel else None, self.state[f], new))), "")
                if not why:
                    break
            else:
                if not changes and not why:
                    self._unparsable(c.text, reason, label, e, tokens)
                    continue
            key = b"\0".join(f.encode() + b"\0" + b for f, b in sorted(changes.items()))
            if not changes or key in seen:
                self._record("model", describe(e), label, "rejected", "same as an earlier candidate or no change", 0, tokens)
                continue
            seen.add(key)
            if why:
                self._record("model", describe(e), label, "rejected", why, 0, tokens)
                continue
            yield stage, label, changes, tokens

    def _base(self, e: Diagnostic, rel: str, span, scaffold: "_Scaffold | None") -> "_Base":
        """What a model answer applies to: the file as it is, or with rustc's `scaffold` applied."""
        data, fill, shift_bytes, shift_lines = self.state[rel], set(), 0, 0
        if scaffold is not None:
            data, fill, shift_bytes, shift_lines = scaffold.data, scaffold.fill, scaffold.shift_bytes, scaffold.shift_lines
        error_line = span.line_start + shift_lines
        item = enclosing_item(data, span.byte_start + shift_bytes, span.byte_end + shift_bytes)
        if item is None or item.text.count("\n") > 200:
            lo, hi, text = window(data, error_line, 15)
            start = len("".join(data.decode("utf-8").splitlines(keepends=True)[: lo - 1]).encode())
            item = ItemContext("window", start, start + len(text.encode()), lo, text.rstrip("\n"), 0)
        error_lines = {s.line_start + shift_lines for s in e.spans if s.file_name == rel and s.is_primary} or {error_line}
        return _Base(data, item, error_line, error_lines, fill)

    def _scaffold(self, e: Diagnostic, rel: str, at: int) -> "_Scaffold | None":
        """rustc's first placeholder suggestion for `e` (`Kind::C => todo!()`, a missing trait method with a
        `todo!()` body, `field: /* value */`) applied to `rel`, for the model to complete; `at` is the byte
        whose move the result records. None when rustc has none, or it edits another file."""
        for fix in suggestion_fixes(e, self.ws.root, stubs=True)[:1]:
            if any(ed.file != rel for ed in fix.edits):
                return None
            try:
                new = apply_to_files(self.state, list(fix.edits))[rel]
            except (OverlappingEditsError, ValueError):
                return None
            before = [ed for ed in fix.edits if ed.byte_end <= at]
            shift = sum(len(ed.new_text.encode()) - (ed.byte_end - ed.byte_start) for ed in before)
            old_b = self.state[rel]
            lines = sum(ed.new_text.count("\n") - old_b[ed.byte_start:ed.byte_end].count(b"\n") for ed in before)
            text = new.decode("utf-8").split("\n")
            fill = {n for n in changed_lines(old_b.decode("utf-8"), new.decode("utf-8")) if is_stub(text[n - 1])}
            return _Scaffold(fix.title, new, shift, lines, fill)
        return None

    def _apply_blocks(self, blocks: Sequence[tuple[str, str]], rel: str, text: str, line: int,
                      related: dict[str, int]) -> dict[str, str] | None:
        """Apply SEARCH/REPLACE blocks: each in the error's file `rel` near `line`, else in a file of the
        related code shown in the prompt (`related`: file → a 1-based line the diagnostic points at), so
        a fix that belongs in a definition (`const fn`, a trait's method) can go there. Returns file →
        new text for every file a block changed, or None when a block matches nowhere."""
        texts = {rel: text}
        for block in blocks:
            for f, near in [(rel, line)] + [(f, n) for f, n in related.items() if f != rel]:
                cur = texts.get(f)
                if cur is None:
                    cur = self.state[f].decode("utf-8")
                out = modelfix.apply_search_replace(cur, [block], near)
                if out is not None:
                    texts[f] = out
                    break
            else:
                return None
        return texts

    def _unparsable(self, answer: str, reason: str, label: str, e: Diagnostic, tokens: int) -> None:
        self._record("model", describe(e), label, "rejected", reason, 0, tokens)
        if reason.startswith("no "):
            self.unparsable += 1
        if not self.parsed_any and self.unparsable >= self.opt.max_unparsable_answers:
            raise ModelAnswerError(f"{self.engine.name} answered {self.unparsable} times with nothing that parses "
                                   f"as an edit (last: {answer.strip()[:60]!r}); try another model")

    def _guard(self, e: Diagnostic, item, before: bytes, after: bytes) -> str:
        """Why a model candidate must not be tried, or "" (stubs, deletion-only, visibility or
        signature changes the error is not about)."""
        old, new = before.decode("utf-8"), after.decode("utf-8")
        old_mid, new_mid = changed_region(old, new)
        ops = difflib.SequenceMatcher(None, old_mid, new_mid, autojunk=False).get_opcodes()
        added = "".join(new_mid[j1:j2] for tag, _, _, j1, j2 in ops if tag in ("insert", "replace"))
        if is_stub(added) and not is_stub(old_mid):
            return "adds a stub or placeholder"
        if not deletion_ok(e) and is_mostly_deletion(old_mid, new_mid):
            return "only deletes code"
        if old.count("pub ") + old.count("pub(") != new.count("pub ") + new.count("pub(") and not self._visibility_ok(e):
            return "changes visibility"
        # the signature changed only if the changed bytes touch it (an edit above the item moves it)
        pre = len(os.path.commonprefix([before, after]))
        post = len(os.path.commonprefix([before[pre:][::-1], after[pre:][::-1]]))
        if item is not None and item.kind == "function_item" and item.signature \
                and pre < item.signature_end and len(before) - post > item.byte_start:
            sig_old = " ".join(item.signature.split())
            start = item.byte_start
            new_sig_region = after[start:start + len(item.signature.encode()) + 200].decode("utf-8", "ignore")
            sig_new = " ".join(new_sig_region.split("{", 1)[0].split()) if "{" in new_sig_region else sig_old
            sig_span = any(s.byte_start < item.signature_end and s.byte_end > item.byte_start for s in e.spans)
            if sig_new != sig_old and not sig_span and not self._sig_ok(e):
                return "changes the function signature, which the error is not about"
        return ""

    @staticmethod
    def _visibility_ok(e: Diagnostic) -> bool:
        """Whether the error is about visibility, so a fix may change a `pub`: privacy errors (E0603
        private item, E0624 private method, E0616 private field, ...) or an error pointing at a `pub`."""
        if e.code in PRIVACY_CODES or "private" in e.message or "visib" in e.message:
            return True
        return any(re.search(r"\bpub\b", ln.text) for s in e.spans for ln in s.text)

    @staticmethod
    def _sig_ok(e: Diagnostic) -> bool:
        text = e.plain_text().lower()
        return any(w in text for w in ("lifetime", "signature", "parameter", "return type", "argument",
                                       "`self`", "&mut self", "borrowed", "mutable", "bound", "trait"))

    def _related_lines(self, e: Diagnostic, item, rel: str) -> tuple[str, dict[str, int]]:
        """Code the diagnostic's other spans point at outside the item (the enum whose variant is
        missing, the function whose signature is called): the enclosing item when it is short, else
        the line; each with its location. At most ~1,500 characters. Also returns file → the first
        1-based line shown from it (where a SEARCH block for that file is looked for)."""
        out: list[str] = []
        where: dict[str, int] = {}
        for s in list(e.spans) + [cs for c in e.children for cs in c.spans]:
            if s.suggested_replacement is not None or s.is_internal or s.file_name not in self.state:
                continue
            if s.file_name == rel and item.byte_start <= s.byte_start < item.byte_end:
                continue
            data = self.state[s.file_name]
            other = enclosing_item(data, s.byte_start, s.byte_end, max_lines=30)
            if other is not None and other.text.count("\n") < 30 and not (
                    s.file_name == rel and other.byte_start <= item.byte_start < other.byte_end):
                out.append(f"// {s.file_name}:{other.line_start}\n{other.text}")
            elif s.text:
                out.append(f"// {s.file_name}:{s.line_start}\n{s.text[0].text}")
            else:
                continue
            where.setdefault(s.file_name, s.line_start)
        # the definition of the impl's self type, for errors about its fields or missing items (E0046
        # `deref` returns `&self.value`); other errors are better off with the shorter prompt
        name = impl_self_type(self.state[rel], item.byte_start)
        wants_fields = e.code in FIELD_CODES or "field" in e.message
        definition = self._type_definition(name) if name and wants_fields else None
        if definition is not None and not (definition[0] == rel and item.byte_start <= definition[1].byte_start
                                           < item.byte_end):
            f, d = definition
            out.append(f"// {f}:{d.line_start}\n{d.text}")
            where.setdefault(f, d.line_start)
        # a borrow error on `self`: the methods that borrow it (`as_ref(&self)` instead of moving `*self`)
        if name and e.code in BORROWCK_CODES and "self" in e.message:
            borrowing = [sig for sig in method_signatures(self.state[rel], name, limit=60)
                         if re.search(r"\(\s*&(?:'\w+\s+)?(?:mut\s+)?self\b", sig)][:15]
            if borrowing:
                out.append(f"// methods of `{name}` that borrow `self` (signatures)\n" + "\n".join(borrowing))
        return "\n".join(dict.fromkeys(out))[:1500], where

    def _type_definition(self, name: str) -> tuple[str, ItemContext] | None:
        """The `struct`/`enum`/`union` item defining `name` in the workspace's sources, when at most 30
        lines long: (file, item). The first found, in path order."""
        pattern = re.compile(rb"\b(?:struct|enum|union)\s+" + re.escape(name.encode()) + rb"\b")
        for f in sorted(self.state):
            data = self.state[f]
            m = pattern.search(data) if f.endswith(".rs") else None
            if m is None:
                continue
            d = enclosing_item(data, m.start(), m.end(), max_lines=30)
            if d is not None and d.kind in ("struct_item", "enum_item", "union_item") and d.text.count("\n") < 30:
                return f, d
        return None


def deletion_ok(e: Diagnostic) -> bool:
    """Whether only deleting code may fix `e`: its code is about unused or duplicate items
    (`DELETION_OK_CODES`) or its message or a span's label says something is there too often
    (`_DELETION_MESSAGE`: "found `note` used as a key more than once")."""
    return e.code in DELETION_OK_CODES or bool(_DELETION_MESSAGE.search(e.message)) \
        or any(_DELETION_MESSAGE.search(s.label or "") for s in e.spans)


_FIELD_LINE = re.compile(r"(?m)^\s*(?:pub(?:\([^)]*\))?\s+)?(\w+)\s*:\s*([^,\n]+?)\s*,?\s*(?://.*)?$")
#: fresh lifetime names, first unused one wins
_LIFETIME_NAMES = ("'a", "'b", "'c", "'d", "'x")


def struct_field_types(definition: str) -> dict[str, str]:
    """The fields of a struct/union definition's text written one per line (`pub len: usize,`), after
    its first `{`: field name → type text, in order. {} for a tuple or unit struct."""
    return {m.group(1): m.group(2).strip() for m in _FIELD_LINE.finditer(definition.split("{", 1)[1])} \
        if "{" in definition else {}


def fresh_name(text: str, candidates: Sequence[str]) -> str | None:
    """The first of `candidates` (lifetimes or labels, `'a`) that `text` does not use, or None."""
    return next((n for n in candidates if not re.search(rf"{re.escape(n)}\b", text)), None)


def mutable_reference(ty: str) -> str:
    """`&T`/`&'a T` (a type or a receiver such as `&self`) as `&mut T`/`&'a mut T`."""
    return re.sub(r"^&('\w+\s+)?", lambda m: "&" + (m.group(1) or "") + "mut ", ty)


def is_misspelling(name: str, of: str) -> bool:
    """Whether identifier `name` is a likely typo of `of`: at most one edit (insert, delete, substitute or
    swap two neighbours; optimal string alignment distance, rapidfuzz) per 4 characters, at least one
    allowed. `serd`/`serde` and `colections`/`collections` are; `rand`/`read` (two edits in four
    characters) is not."""
    return name != of and OSA.distance(name, of) <= max(1, len(name) // 4)


def _parenthesized(expr: str) -> str:
    """`expr` as an operand of a cast: as it is when it is a path, a call chain or already
    parenthesized as a whole, else in parentheses (`a + b` → `(a + b)`)."""
    if re.fullmatch(r"[\w.:]+(\(\))?", expr):
        return expr
    if expr.startswith("("):
        depth = 0
        for i, c in enumerate(expr):
            depth += (c == "(") - (c == ")")
            if depth == 0:
                if i == len(expr) - 1:
                    return expr
                break
    return f"({expr})"


def generic_arity(data: bytes, at: int) -> int:
    """The number of generic arguments in the `<...>` that starts at byte `at` of `data` (`<Result<T>>`
    → 1, `<K, V>` → 2); 0 when no `<` is there, the list does not close, or it holds a lifetime."""
    if data[at:at + 1] != b"<":
        return 0
    depth, args, prev = 0, 1, b""
    for i in range(at, min(len(data), at + 2000)):
        c = data[i:i + 1]
        if c in b"<([" and c:
            depth += 1
        elif c == b">" and prev == b"-":
            pass  # `->` in `Fn() -> T`
        elif c in b">)]" and c:
            depth -= 1
            if depth == 0:
                return args
        elif c == b"," and depth == 1:
            args += 1
        elif c == b"'" and depth == 1 and prev in (b"<", b" ", b","):
            return 0
        elif c in b";{}" and depth == 1:
            return 0
        prev = c
    return 0


def changed_lines(old: str, new: str) -> set[int]:
    """The 1-based lines of `new` that differ from `old` (inserted or replaced; difflib over lines)."""
    ops = difflib.SequenceMatcher(None, old.split("\n"), new.split("\n"), autojunk=False).get_opcodes()
    return {j + 1 for tag, _i1, _i2, j1, j2 in ops if tag != "equal" for j in range(j1, j2)}


def changed_region(old: str, new: str) -> tuple[str, str]:
    """The differing middle of two texts (common prefix and suffix of whole lines removed)."""
    p = len(os.path.commonprefix([old, new]))
    p = old.rfind("\n", 0, p) + 1
    q = len(os.path.commonprefix([old[p:][::-1], new[p:][::-1]]))
    q_old, q_new = len(old) - q, len(new) - q
    nl = old.find("\n", q_old)
    if nl >= 0:
        extra = nl - q_old
        q_old, q_new = q_old + extra, q_new + extra
    else:
        q_old, q_new = len(old), len(new)
    return old[p:q_old], new[p:q_new]


def repair(path: Path, options: RepairOptions | None = None, *, engine: Engine | None = None,
           progress: Callable[[str], None] | None = None, cancel: Cancellation | None = None,
           examples: Callable[[Diagnostic], Sequence[modelfix.Example]] | None = None) -> RepairResult:
    """Compile-and-fix the cargo workspace containing `path`; the user's files are not touched.

    Returns a RepairResult whose `files` hold only verified content: `fixed` is True only when the
    last check in the mirror passed with no error. Raises the FerrofixError subclasses of the cargo
    runner (no cargo, not a cargo project, broken manifest, timeout, cancelled), SourceEncodingError for
    a non-UTF-8 source, ModelError when the model cannot run, and ModelAnswerError when the model keeps
    answering nothing that parses before any fix was verified (after one, the run returns what it has,
    the error recorded in the trace).
    """
    options = options or RepairOptions()
    ws = locate_workspace(path)
    return Repairer(ws, options, engine, progress, cancel, examples).run()
