"""Verification: a candidate is checked by cargo in the scratch mirror and judged (a `Verdict`) before
anything is kept; `commit` keeps an accepted one. The verifier holds what has been verified so far: the
files as they now are (`state`), the last accepted check (`last`), the reveals spent.

A candidate is accepted when every error it targets is gone and no error is new. New errors that a
later compiler stage reports are revealed, not caused: borrow checking runs only after type checking
succeeds, what uses an unresolved name is not type checked (`revealed`), and denied lints
(`is_lint`) come from passes that run only once the crate has no error; at most `MAX_REVEALS` such
fixes per run. Errors in targets the previous check never reached (an example or test blocked by the
broken library) are not counted.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ..cargo import Cancellation, CheckResult, Workspace
from ..context import DERIVE_ATTR, derive_names, has_syntax_error
from ..diagnostics import MACHINE_APPLICABLE, MAYBE_INCORRECT, Diagnostic, describe, is_error_code
from ..edits import Fix, OverlappingEditsError, apply_to_files, changed_lines, non_overlapping, suggestion_fixes
from ..errors import FerrofixError
from ..mirror import Mirror
from .codes import BORROWCK_CODES, RESOLVE_CODES
from .results import Trace

#: what rustc may add on top of a candidate in one step (`Verifier._follow_up`): an import the candidate
#: needs (`use std::ops::Neg;`), or a derive (`#[derive(Clone)]` on a field's type, after the candidate
#: derived `Clone` for the struct holding it)
_FOLLOW_UP = re.compile(r"\s*use [\w:{}, *]+;\s*|\s*#\[derive\([\w, ]+\)\]\s*")


#: follow-up steps per candidate (each one more check)
FOLLOW_UP_STEPS = 2


def _derived(data: bytes) -> int:
    """How many trait names the `#[derive(..)]` attributes of `data` list."""
    return sum(len(derive_names(m.group(1))) for m in DERIVE_ATTR.finditer(data))


#: Fixes per run whose new errors are accepted as revealed by a later compiler stage (see `revealed`).
MAX_REVEALS = 3


def identity(d: Diagnostic) -> tuple:
    """What makes two checks' errors the same error: code, message and file (spans move with edits)."""
    p = d.primary_span
    return (d.code, d.message, p.file_name if p else None)


@dataclass(frozen=True, slots=True)
class Verdict:
    """How one candidate fared in the mirror. Accepted (`reason` empty): the mirror holds `changed`
    (path → new bytes) and `check` is its check, to be kept with `Verifier.commit`; `revealed` says
    whether it uncovered later-stage errors. Rejected: the mirror is restored and the trace has it."""

    stage: str
    error: str
    label: str
    changed: dict[str, bytes]
    check: CheckResult | None
    reason: str
    tokens: int = 0
    revealed: bool = False
    rule: str = ""
    #: with `Verifier.run_tests`, what `cargo test` said of the candidate that left no error
    tested: str = ""
    #: rejected because, with every target error gone, it added these errors (as the candidate's check
    #: reported them, spans in the candidate's files): what a compiler-feedback round works on
    new_errors: tuple[Diagnostic, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.reason


@dataclass(eq=False)
class Verifier:
    """Judges candidates in the scratch `mirror` of `ws` and keeps the accepted ones. Unless
    `allow_build_scripts`, only rustc's own suggestions may edit code cargo runs at build time. With
    `run_tests` (the user's `repair.runTests`; tests execute code), a candidate that leaves no error is
    accepted only when the workspace's `cargo test` passes in the mirror within `test_timeout_s`
    seconds: a fix that compiles but breaks the tests is not a fix (issue 18, item 4)."""

    ws: Workspace
    mirror: Mirror
    #: the workspace's files as verified so far (path → bytes)
    state: dict[str, bytes]
    #: the check of `state`
    last: CheckResult
    trace: Trace
    cancel: Cancellation | None
    allow_build_scripts: bool
    #: accepted fixes that revealed later-stage errors (at most `MAX_REVEALS`)
    reveals: int = 0
    run_tests: bool = False
    test_timeout_s: float = 60.0

    def changes(self, fixes: Sequence[Fix]) -> dict[str, bytes] | None:
        """The files `fixes` change, with their new bytes; None when an edit leaves the workspace, falls
        outside its file or overlaps another."""
        edits = [e for f in fixes for e in f.edits]
        if any(e.file not in self.state for e in edits):
            return None
        try:
            return apply_to_files(self.state, edits)
        except (OverlappingEditsError, ValueError):
            return None

    def attempt(self, stage: str, target: Sequence[Diagnostic], label: str, changes: dict[str, bytes],
                errors: Sequence[Diagnostic], *, tokens: int = 0, reveal: bool = True, rule: str = ""
                ) -> CheckResult | None:
        """`judge` the candidate and `commit` it when accepted: its check, or None."""
        verdict = self.judge(stage, target, label, changes, errors, tokens=tokens, reveal=reveal, rule=rule)
        return self.commit(verdict) if verdict.accepted else None

    def judge(self, stage: str, target: Sequence[Diagnostic], label: str, changes: dict[str, bytes],
              errors: Sequence[Diagnostic], *, tokens: int = 0, reveal: bool = True, rule: str = "") -> Verdict:
        """Check the state with `changes` applied in the mirror against `errors` (the last check's):
        accepted when every `target` error is gone and no error is new, or the new ones are revealed
        (`revealed`, and not on lines a borrow-check fix wrote; denied lints, `is_lint`, away from the
        candidate's lines: they run after borrow checking). `reveal=False` (a guessed candidate)
        accepts no new error but such lints. A rejection restores the mirror and is recorded
        (with `rule`, the registered rule that proposed the candidate, if any)."""
        err_label = "; ".join(describe(t) for t in target[:3])

        def reject(reason: str, ms: int = 0, new_errors: Sequence[Diagnostic] = ()) -> Verdict:
            self.trace.record(stage, err_label, label, "rejected", reason, ms, tokens, rule)
            return Verdict(stage, err_label, label, {}, None, reason, tokens, rule=rule, new_errors=tuple(new_errors))

        changed = {f: b for f, b in changes.items() if self.state.get(f) != b}
        if not changed:
            return reject("changes nothing")
        if not self.allow_build_scripts and not stage.startswith("rustc"):
            if (hit := next((f for f in changed if self.ws.runs_at_build_time(f)), None)) is not None:
                return reject(f"edits {hit}, code cargo runs at build time (a build script or proc macro) "
                              "unsandboxed; set repair.allowBuildScripts to allow")
        for f, b in changed.items():
            if not f.endswith(".rs") or f not in self.state:
                return reject(f"would touch {f}")
            if has_syntax_error(b) and not has_syntax_error(self.state[f]):
                return reject("syntax error (tree-sitter)")
        self.mirror.write(changed)
        try:
            res = self.mirror.check(self.cancel)
        except FerrofixError:
            self.mirror.write({f: self.state[f] for f in changed})
            raise
        before = Counter(identity(d) for d in errors)
        reached = self.last.targets
        after = Counter(identity(d) for d in res.errors if (d.package_id, d.target_name) in reached)
        reason = ""
        new_diags: list[Diagnostic] = []
        gone = all(after[identity(t)] < before[identity(t)] for t in target)
        new = after - before
        if gone and new:
            # the candidate's own new errors, each with a rustc fix (`x.neg()` on the `f32` the candidate
            # typed needs `use std::ops::Neg`): all together, when that leaves nothing new; a second step
            # for what the first uncovers (`ref mut x` → `*x = S` → `let mut s`: borrowck after typeck)
            changed2, res2, new2 = changed, res, new
            for _ in range(FOLLOW_UP_STEPS):
                follow = self._follow_up(res2, new2, changed2,
                                         any_machine_applicable=reveal and stage.startswith("rustc"))
                if follow is None:
                    break
                changed2, res2 = follow
                after2 = Counter(identity(d) for d in res2.errors if (d.package_id, d.target_name) in reached)
                new2 = after2 - before
                if not all(after2[identity(t)] < before[identity(t)] for t in target):
                    break
                if not new2:
                    changed, res, new = changed2, res2, Counter()
                    label += " (with rustc's fixes of what it uncovered)"
                    break
            if changed2 is not changed:
                self.mirror.write({f: changed[f] for f in changed2 if f in changed})
                self.mirror.write({f: self.state[f] for f in changed2 if f not in changed})
        if not gone:
            reason = "the error remains"
        elif new:
            new_diags = [d for d in res.errors if identity(d) in new]
            # denied lints (coded by lint name) away from the candidate's lines are uncovered, not caused:
            # rustc's late lint passes run only once the crate has no error (`missing_docs` under a
            # `#![cfg_attr(test, deny(warnings))]` appears when the last type error goes)
            coded = Counter({k: n for k, n in new.items() if not is_lint(k[0])})
            own = self._on_changed_lines(new_diags, changed)
            lints_ok = not any(is_lint(d.code) for d in own)
            if reveal:
                ok = lints_ok and (not coded or revealed(target, coded) and not (
                    any(t.code in BORROWCK_CODES for t in target) and any(not is_lint(d.code) for d in own)))
            else:  # a guessed candidate may only uncover deny-by-default lints, away from its edit
                ok = not coded and lints_ok
            if not (ok and self.reveals < MAX_REVEALS):
                first = next(iter(new))
                reason = f"adds {sum(new.values())} new error(s): {first[0] or ''} {first[1]}"
        tested = ""
        if not reason and self.run_tests and not res.errors:
            t = self.mirror.test(self.test_timeout_s, self.cancel)
            if t.passed:
                tested = f"cargo test: {t.summary}"
            else:
                reason = f"compiles, but cargo test does not pass: {t.summary}"
        if reason:
            self.mirror.write({f: self.state[f] for f in changed})
            return reject(reason, res.elapsed_ms, new_diags)
        return Verdict(stage, err_label, label, changed, res, "", tokens, revealed=bool(new), rule=rule,
                       tested=tested)

    def set_aside(self, verdict: Verdict) -> None:
        """Take an accepted verdict's files out of the mirror without keeping it: a better candidate may
        follow, and `commit(verdict, rewrite=True)` can still keep it."""
        self.mirror.write({f: self.state[f] for f in verdict.changed})

    def dismiss(self, verdict: Verdict, reason: str) -> None:
        """Trace an accepted verdict that was set aside and will not be kept as rejected, with `reason`."""
        self.trace.record(verdict.stage, verdict.error, verdict.label, "rejected", reason, 0, verdict.tokens,
                          verdict.rule)

    def commit(self, verdict: Verdict, *, rewrite: bool = False) -> CheckResult:
        """Keep an accepted verdict: its files become the state, its check the last one. `rewrite`: put
        its files back in the mirror first (after `set_aside`)."""
        assert verdict.accepted and verdict.check is not None
        if rewrite:
            self.mirror.write(verdict.changed)
        self.state.update(verdict.changed)
        self.last = verdict.check
        if verdict.revealed:
            self.reveals += 1
        note = "; ".join(n for n in ("revealed later-stage errors" if verdict.revealed else "", verdict.tested) if n)
        self.trace.record(verdict.stage, verdict.error, verdict.label, "accepted", note, verdict.check.elapsed_ms,
                          verdict.tokens, verdict.rule)
        return verdict.check

    def _follow_up(self, res: CheckResult, new: Counter, changed: dict[str, bytes], *,
                   any_machine_applicable: bool = False) -> tuple[dict[str, bytes], CheckResult] | None:
        """One step of lookahead for a candidate whose check (`res`) has `new` errors: when each new
        error carries a rustc suggestion (its first, MachineApplicable or MaybeIncorrect), and either
        they only import what the candidate used (`use std::ops::Neg;`) or derive a trait the candidate
        needs (`_FOLLOW_UP`), or — `any_machine_applicable`, for a candidate of rustc's own or of a
        rule trusted like it (not a guess, not the model's) — all of them are MachineApplicable
        (`ref mut x` in a pattern, then `*x = S` where `x = S` assigned the binding; a guess is not
        completed so: a `.clone()` would make a wrong one compile), and they do not overlap, apply
        them on top of `changed` in the mirror and check again. Returns (all changed files → bytes,
        that check) — the mirror then holds both — or None (the mirror untouched)."""
        diags = [d for d in res.errors if identity(d) in new]
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
        texts = [ed.new_text for fx in kept for ed in fx.edits]
        if not all(_FOLLOW_UP.fullmatch(t) for t in texts) and \
                not (any_machine_applicable and all(fx.applicability == MACHINE_APPLICABLE for fx in kept)):
            return None  # a MaybeIncorrect guess beyond imports and derives may be worse than a later candidate
        if any("#[derive" in t for t in texts) and not any(
                _derived(b) > _derived(self.state[f]) for f, b in changed.items() if f in self.state):
            return None  # a derive only completes a candidate that derives (not one that clones a type)
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

    def _on_changed_lines(self, diags: Sequence[Diagnostic], changed: dict[str, bytes]) -> list[Diagnostic]:
        """Those of `diags` whose primary span is on a line `changed` (path → new bytes) rewrites: an
        error there is the candidate's own, not one its fix uncovered (a borrow-check fix cannot reveal
        borrow-check errors in the lines it wrote: rustc borrow-checks every body at once)."""
        lines = {f: changed_lines(self.state[f].decode("utf-8", "replace"), b.decode("utf-8", "replace"))
                 for f, b in changed.items()}
        return [d for d in diags
                if d.primary_span is not None and d.primary_span.line_start in lines.get(d.primary_span.file_name, ())]


def is_lint(code: str | None) -> bool:
    """Whether a diagnostic's code is a lint's name (`missing_docs`, `unused_imports`): an error only because
    a `deny` made it one. An error code (`E0308`) or none (borrowck's "lifetime may not live long enough")
    is not."""
    return bool(code) and not is_error_code(code)


def revealed(target: Sequence[Diagnostic], new: Counter) -> bool:
    """True when the `new` errors (keys of `identity`) come from a later compiler stage than the fixed
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
