"""What a repair run takes and gives: its options, its time budget, the trace of what it tried, and
its result."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from ..cargo import Cancellation, CheckOptions
from ..diagnostics import Diagnostic
from ..errors import CheckCancelledError


@dataclass(slots=True)
class RepairOptions:
    """Budget and switches for `repair`.

    `max_rounds`: passes of the loop (each accepts at most one candidate outside stage 1);
    `timeout_s`: wall-clock budget in seconds for the whole repair (checks and model);
    `use_llm`: run the model stage; `samples`: extra sampled model answers per error after the greedy
    ones (half search/replace, half item rewrites; each kind's in one `Engine.chat_n` batch);
    `resample`: when none of an error's model answers is accepted, ask again — the same plan without
    the knowledge-base examples, or (with none) the samples with new seeds, then the samples with new
    seeds again (`repair.model.MAX_MODEL_ROUNDS` rounds in all) — within the time budget;
    `max_tokens`: per model answer; `max_model_errors`: errors per round handed to the model;
    `check`: how to run cargo; `focus`: when set, only the errors it selects in the first check are
    worked on (an editor's "fix this error"), and the run stops once they are gone;
    `overrides`: workspace-relative path → bytes replacing files on disk (unsaved editor buffers);
    `allow_build_scripts`: candidates other than rustc's own suggestions may edit code cargo runs at
    build time (`Package.build_time`: build scripts, proc-macro crates); off, they are refused;
    `run_tests`: a candidate that leaves no error must also pass the workspace's `cargo test` in the
    scratch mirror within `test_timeout_s` seconds (tests execute code: off by default).
    """

    max_rounds: int = 8
    timeout_s: float = 300.0
    use_llm: bool = True
    samples: int = 4
    resample: bool = True
    max_tokens: int = 512
    max_model_errors: int = 3
    max_unparsable_answers: int = 3
    check: CheckOptions = field(default_factory=CheckOptions)
    focus: Callable[[Diagnostic], bool] | None = None
    overrides: dict[str, bytes] = field(default_factory=dict)
    allow_build_scripts: bool = False
    run_tests: bool = False
    test_timeout_s: float = 60.0


@dataclass(slots=True)
class Attempt:
    """One entry of the trace: the stage, the error it targeted, the candidate, and what happened.

    `outcome` is "accepted" or "rejected"; `reason` says why; `check_ms` is the verifying check's time;
    `rule` names the registered rule (`rules.registry`) that proposed the candidate, when one did."""

    stage: str
    error: str
    candidate: str
    outcome: str
    reason: str = ""
    check_ms: int = 0
    tokens: int = 0
    rule: str = ""


class Trace:
    """The attempts of one run, in order; each is also reported to `progress` as one line."""

    def __init__(self, progress: Callable[[str], None]) -> None:
        self.attempts: list[Attempt] = []
        self.progress = progress

    def record(self, stage: str, error: str, candidate: str, outcome: str, reason: str = "", ms: int = 0,
               tokens: int = 0, rule: str = "") -> None:
        self.attempts.append(Attempt(stage, error, candidate, outcome, reason, ms, tokens, rule))
        self.progress(f"{stage}: {candidate[:60]} → {outcome}{': ' + reason if reason else ''}")


class Budget:
    """The run's wall-clock budget and the user's cancellation."""

    def __init__(self, seconds: float, cancel: Cancellation | None):
        self.deadline = time.monotonic() + seconds
        self.cancel = cancel

    @property
    def left(self) -> float:
        return self.deadline - time.monotonic()

    def exhausted(self) -> bool:
        """True once the budget is spent; raises CheckCancelledError once the run is cancelled."""
        if self.cancel is not None and self.cancel.cancelled:
            raise CheckCancelledError("repair was cancelled")
        return self.left <= 0


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
