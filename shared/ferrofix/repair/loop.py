"""The loop: check, then rounds of candidates until the errors are gone, the rounds are used up or the
time budget ends. Each round accepts at most one candidate (stage 1 accepts several suggestions at
once): the first, in order, that `Verifier.judge` accepts — except that a rule's candidate that uncovers
later-stage errors is held while up to CLEAN_SIBLINGS more candidates for the same error are tried: one
that leaves no new error is taken instead (of rustc's "consider importing one of these", the first may
name an item that compiles only to fail type checking — a trait with required items — where a later
one compiles), else the held one (the one leaving fewest errors) is kept. Likewise a candidate that leaves
other errors behind is held, when it is one of rustc's own suggestions, while up to CLEAN_SIBLINGS more
of them are tried: one that leaves fewer errors, none new, is taken instead (of rustc's "consider using a
semicolon here" and "try adding a return type" for a function that lost its `-> T`, only the second also
fixes its callers). A rule's own alternatives (a literal's possible types) are not compared this way:
it costs checks and found nothing more on held-out cases."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable, Sequence

from .. import modelfix
from ..cargo import Cancellation, CheckResult, Workspace, locate_workspace
from ..diagnostics import MACHINE_APPLICABLE, MAYBE_INCORRECT, Diagnostic, describe
from ..edits import Fix, imports_together, merge_inserts, non_overlapping, suggestion_fixes, unified_diff
from ..errors import CheckTimeoutError, ModelAnswerError
from ..llm import Engine
from ..mirror import Mirror
from . import rules
from .environment import Crates, Environment, refuse_undecodable
from .guards import Deletions
from .model import ModelStage
from .results import Budget, RepairOptions, RepairResult, Trace
from .verify import Verdict, Verifier, identity

#: candidates tried for an error after one that was accepted but uncovered later-stage errors (or, of
#: rustc's own suggestions, after one that left other errors)
CLEAN_SIBLINGS = 3
#: the rule whose candidates are rustc's alternative helps for one error, compared by the errors they leave
RUSTC_ALTERNATIVES = "rustc_suggestions"


class Focus:
    """The errors a run works on: all of them, or (`RepairOptions.focus`) those sharing an identity with
    the targets it selected in the first check."""

    def __init__(self, targets: Sequence[Diagnostic] | None) -> None:
        self.ids = None if targets is None else {identity(e) for e in targets}

    def select(self, errors: list[Diagnostic]) -> list[Diagnostic]:
        if self.ids is None:
            return errors
        return [e for e in errors if identity(e) in self.ids]


class Repairer:
    """One repair run over one workspace; use `repair()` for the common case."""

    def __init__(self, ws: Workspace, options: RepairOptions, engine: Engine | None,
                 progress: Callable[[str], None] | None, cancel: Cancellation | None,
                 examples: Callable[[Diagnostic], Sequence[modelfix.Example]] | None = None):
        self.ws = ws
        self.opt = options
        self.progress = progress or (lambda _m: None)
        self.cancel = cancel
        self.trace = Trace(self.progress)
        self.model = ModelStage(engine, options, self.trace, self.progress, ws.root, cancel, examples) \
            if engine is not None and options.use_llm else None
        #: reasons already given for errors the environment explains (each is recorded once)
        self.skipped: set[str] = set()
        #: the batches (stage 1, 1b) already rejected, by the files they would write: not checked again
        self.rejected_batches: set[int] = set()

    def run(self) -> RepairResult:
        t0 = time.monotonic()
        budget = Budget(self.opt.timeout_s, self.cancel)
        with Mirror(self.ws.root, self.opt.check) as mirror:
            mirror.deadline = budget.deadline  # every check gets at most what is left of the budget
            self.progress("copying the workspace to a scratch mirror")
            original = mirror.sync(self.opt.overrides)
            self.progress("checking")
            first = mirror.check(self.cancel)
            initial = first.errors
            refuse_undecodable(mirror.undecodable, initial)
            v = Verifier(self.ws, mirror, dict(original), first, self.trace, self.cancel, self.opt.allow_build_scripts,
                         run_tests=self.opt.run_tests, test_timeout_s=self.opt.test_timeout_s)
            targets = [e for e in initial if self.opt.focus(e)] if self.opt.focus else list(initial)
            focus = Focus(targets if self.opt.focus else None)
            crates = Crates(self.ws, v.state)
            errors = list(initial)
            rounds = 0
            try:
                while focus.select(errors) and rounds < self.opt.max_rounds and not budget.exhausted():
                    rounds += 1
                    res = self._round(v, focus, crates, errors, budget)
                    if res is None:
                        break
                    errors = res.errors
            except ModelAnswerError as ex:
                if v.state == original:
                    raise
                # fixes verified before the model went wrong are kept; the run stops there
                self.trace.record("model", "", "(stopped)", "rejected", str(ex), 0, 0)
            except CheckTimeoutError as ex:
                if budget.left > 0:
                    raise  # the check's own time limit, not the run's budget
                # the budget ran out during a candidate's check: what was verified before is kept
                self.trace.record("check", "", "(stopped)", "rejected", f"the time budget ran out: {ex}", 0, 0)
            files = {f: b for f, b in v.state.items() if original.get(f) != b}
            diff = unified_diff(original, files)
        return RepairResult(not errors, initial, errors, files, diff, self.trace.attempts,
                            int((time.monotonic() - t0) * 1000), self.model.tokens if self.model else 0,
                            self.ws.root, target_fixed=not focus.select(errors), targets=targets)

    def _round(self, v: Verifier, focus: Focus, crates: Crates, errors: list[Diagnostic],
               budget: Budget) -> CheckResult | None:
        root = self.ws.root
        work = focus.select(errors)
        # a function that uses `self` but lost its receiver (E0424 "add a `self` receiver parameter")
        # comes first, and its callers' "use associated function syntax instead" (`Pos::is_none()`,
        # which drops the receiver `pos`) is not applied: the receiver fixes them all
        receiverless = [e for e in work if _adds_receiver(e)]
        work = receiverless + [e for e in work if e not in receiverless]
        # 1. all MachineApplicable suggestions together
        ma = [(e, f) for e in work for f in suggestion_fixes(e, root, (MACHINE_APPLICABLE,))
              if not (receiverless and f.title.startswith("use associated function syntax"))]
        if len(ma) > 1:
            kept = non_overlapping(f for _, f in ma)
            targets = [e for e, f in ma if f in kept]
            res = self._batch(v, "rustc-machine-applicable", list(dict.fromkeys(targets)),
                              f"{len(kept)} MachineApplicable suggestions", v.changes(kept), errors)
            if res is not None:
                return res
        # 1b. the imports rustc suggests for several unresolved names, chosen consistently, together
        imports = imports_together(work, root)
        if imports:
            fix = Fix("imports", tuple(merge_inserts([f for _, f in imports])), MAYBE_INCORRECT)
            res = self._batch(v, "rustc-imports", list(dict.fromkeys(e for e, _ in imports)),
                              f"{len(imports)} import suggestions together", v.changes([fix]), errors)
            if res is not None:
                return res
        # 2. each rule's candidates for each error, in the registry's order (rustc's own suggestions
        # first). One that only deletes code (rustc's "use `break` on its own without a value", "remove
        # this argument") waits until the rest and the model have had their turn, unless deleting is what
        # the error is about: a fix that keeps the code's intent is better when one can be found
        deletions = Deletions("deletion, after the model")
        for e in work:
            held: Verdict | None = None  # accepted, but it uncovered later-stage errors
            best: Verdict | None = None  # accepted, no new error, other errors left: a sibling may fix more
            tried_after = 0
            for cand in rules.candidates(rules.Site(e, v.state, root, v.last)):
                if budget.exhausted() or (held is not None and tried_after >= CLEAN_SIBLINGS):
                    break
                if best is not None and (cand.rule != best.rule or tried_after >= CLEAN_SIBLINGS):
                    break
                changes = v.changes([cand.fix])
                if changes is None:
                    continue
                label = f"{cand.fix.applicability}: {cand.fix.title}"
                if deletions.hold("rustc-suggestion", e, label, changes, v.state, rule=cand.rule):
                    continue
                verdict = v.judge("rustc-suggestion", [e], label, changes, errors, reveal=not cand.guess,
                                  rule=cand.rule)
                tried_after += held is not None or best is not None
                if best is not None:  # only a sibling leaving fewer errors, and none new, replaces it
                    if verdict.accepted and not verdict.revealed and _left(v, verdict) < _left(v, best):
                        v.set_aside(verdict)
                        v.dismiss(best, "a sibling suggestion leaves fewer errors")
                        best = verdict
                        if not _left(v, best):
                            break
                    elif verdict.accepted:
                        v.set_aside(verdict)
                        v.dismiss(verdict, "an earlier sibling leaves no more errors")
                    continue
                if verdict.accepted and not verdict.revealed and held is None and _left(v, verdict) \
                        and cand.rule == RUSTC_ALTERNATIVES:
                    v.set_aside(verdict)  # rustc's alternatives ("consider using a semicolon here", "try
                    best = verdict        # adding a return type"): the one that also fixes the callers wins
                    continue
                if verdict.accepted and not verdict.revealed:
                    if held is not None:
                        v.dismiss(held, "another candidate compiles without uncovering errors")
                    return v.commit(verdict)
                if verdict.accepted:  # keep looking: a sibling may leave no new error (rustc's "one of these")
                    v.set_aside(verdict)
                    if held is None or len(verdict.check.errors) < len(held.check.errors):
                        if held is not None:
                            v.dismiss(held, "another candidate uncovers fewer errors")
                        held = verdict
                    else:
                        v.dismiss(verdict, "an earlier candidate uncovers no more errors")
            if best is not None:
                return v.commit(best, rewrite=True)
            if held is not None:
                return v.commit(held, rewrite=True)
            if budget.exhausted():
                return None
        # 3. the model, then the deletions held back
        garbage: ModelAnswerError | None = None
        try:
            work = self._actionable(focus, crates, errors)
            res = self.model.run(v, work, errors, budget) if self.model is not None else None
        except ModelAnswerError as ex:  # a model answering nothing usable: the deletions still stand
            if not deletions:
                raise
            garbage, res = ex, None
        if res is not None:
            return res
        res = deletions.try_held(v, errors, budget)
        if res is not None:
            return res
        if garbage is not None:
            raise garbage
        return None

    def _batch(self, v: Verifier, stage: str, targets: list[Diagnostic], label: str,
               changes: dict[str, bytes] | None, errors: list[Diagnostic]) -> CheckResult | None:
        """Check a batch of suggestions once: a batch rejected before (the same files written) is not
        checked again in a later round."""
        if not changes:
            return None
        key = hash(tuple(sorted(changes.items())))
        if key in self.rejected_batches:
            return None
        res = v.attempt(stage, targets, label, changes, errors)
        if res is None:
            self.rejected_batches.add(key)
        return res

    def _actionable(self, focus: Focus, crates: Crates, errors: list[Diagnostic]) -> list[Diagnostic]:
        """The worked-on errors worth the model's time: those caused by a crate the build cannot find
        (`Environment`) are reported once in the trace and get rustc's suggestions only."""
        out = []
        env = Environment(errors, crates.missing, crates.files)
        for e in focus.select(errors):
            why = env.explains(e)
            if why is None:
                out.append(e)
            elif why not in self.skipped:
                self.skipped.add(why)
                self.trace.record("skipped", describe(e), "(not attempted)", "rejected", why, 0, 0)
        # errors in targets the environment already breaks (a test needing an absent crate) go last
        out.sort(key=lambda e: (e.package_id, e.target_name) in env.broken_targets)
        return out


def _left(v: Verifier, verdict: Verdict) -> int:
    """The errors an accepted candidate's check leaves in the targets the last check reached. A target
    it lets the build reach for the first time (a test needing a dev-dependency the build cannot find,
    a bench needing nightly) may fail for reasons no candidate here can fix, and would make the
    candidate that fixed the most look worse than one that fixed less."""
    assert verdict.check is not None
    return sum(1 for d in verdict.check.errors if (d.package_id, d.target_name) in v.last.targets)


def _adds_receiver(e: Diagnostic) -> bool:
    """True for an E0424 ("expected value, found module `self`") whose help adds a `self` receiver to the
    enclosing associated function."""
    return e.code == "E0424" and any(c.message.startswith("add a `self` receiver parameter") for c in e.children)


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
