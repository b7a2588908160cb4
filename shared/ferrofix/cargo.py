"""Run cargo: find the workspace, run `cargo check --message-format=json`, parse what it streams.

Source: cargo's JSON message format (The Cargo Book, "External tools" → "JSON messages") and
`cargo metadata --format-version 1`. Checks run with ferrofix's own `CARGO_TARGET_DIR` (one per
workspace under the user cache dir) so they never block or invalidate the user's own builds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import platformdirs

from . import procs
from .diagnostics import Diagnostic, dedupe, is_summary
from .errors import (CargoManifestError, CargoNotFoundError, CheckCancelledError, CheckTimeoutError,
                     DiagnosticFormatError, NotACargoProjectError)

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 300.0


def cargo_executable() -> str:
    """Path of `cargo` (the `CARGO` environment variable first, then PATH).

    Raises CargoNotFoundError when there is none."""
    exe = os.environ.get("CARGO") or shutil.which("cargo")
    if not exe:
        raise CargoNotFoundError("cargo not found on PATH: install a Rust toolchain (https://rustup.rs)")
    return exe


def cache_dir() -> Path:
    """ferrofix's cache directory (platformdirs user cache dir; `FERROFIX_CACHE_DIR` overrides)."""
    return Path(os.environ.get("FERROFIX_CACHE_DIR") or platformdirs.user_cache_dir("ferrofix"))


def _digest(path: Path) -> str:
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


def default_target_dir(root: Path) -> Path:
    """ferrofix's own `CARGO_TARGET_DIR` for the workspace at `root` (under the user cache dir)."""
    return cache_dir() / "targets" / f"{root.name}-{_digest(root)}"


@dataclass(frozen=True, slots=True)
class Package:
    """A cargo package of the workspace: name, version, manifest path, target names, and the crate
    names its dependencies (normal, dev and build) are known by in code (renames applied, `-` → `_`)."""

    name: str
    version: str
    manifest_path: Path
    targets: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    #: files and directories whose code cargo runs while building: the build script (`custom-build`
    #: target) and the source directory of a `proc-macro` target
    build_time: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class Workspace:
    """A cargo workspace: its root directory, its member packages, and cargo's target directory."""

    root: Path
    packages: tuple[Package, ...]
    target_directory: Path

    @property
    def manifest_path(self) -> Path:
        return self.root / "Cargo.toml"

    def runs_at_build_time(self, rel: str) -> bool:
        """Whether the workspace-relative file `rel` is code cargo runs at build time (a build script,
        a module beside it in its own directory, a proc-macro crate's source)."""
        path = self.root / rel
        return any(path == p or path.is_relative_to(p) for pkg in self.packages for p in pkg.build_time)


def find_manifest(path: Path) -> Path:
    """The nearest `Cargo.toml` at `path` (a file or directory) or above it.

    Raises NotACargoProjectError when there is none."""
    path = Path(path).resolve()
    if not path.exists():
        raise NotACargoProjectError(f"{path}: no such file or directory")
    start = path if path.is_dir() else path.parent
    for d in (start, *start.parents):
        if (d / "Cargo.toml").is_file():
            return d / "Cargo.toml"
    raise NotACargoProjectError(f"{path}: not a cargo project (no Cargo.toml here or in any parent)")


def cargo_error_summary(stderr: str) -> str:
    """cargo's error message from its stderr, folded into one line (`error: ...; caused by: ...`)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    start = next((i for i, ln in enumerate(lines) if ln.startswith("error")), None)
    if start is None:
        return "; ".join(lines[-3:]) or "cargo failed without a message"
    parts = []
    for ln in lines[start:start + 12]:
        if ln.startswith(("|", "-->")) or set(ln) <= set("^-|= ") or re.match(r"^\d+\s*\|", ln):
            continue
        parts.append(ln)
    return " ".join(parts)[:600]


def _build_time(package: dict) -> tuple[Path, ...]:
    """The paths of a `cargo metadata` package whose code runs at build time: a build script's file
    (and its directory when that is not the package's own), a proc-macro target's source directory."""
    root = Path(package["manifest_path"]).parent
    out: list[Path] = []
    for t in package.get("targets", ()):
        src = Path(t.get("src_path", ""))
        if "custom-build" in t.get("kind", ()):
            out.append(src)
            if src.parent != root:
                out.append(src.parent)
        elif "proc-macro" in t.get("kind", ()):
            out.append(src.parent)
    return tuple(out)


def locate_workspace(path: Path, *, timeout_s: float = 60.0) -> Workspace:
    """Find the cargo workspace that contains `path`, using `cargo metadata --format-version 1 --no-deps`.

    Raises NotACargoProjectError (no Cargo.toml), CargoNotFoundError (no cargo) or
    CargoManifestError (cargo rejected the manifest; the message is cargo's own).
    """
    manifest = find_manifest(path)
    cmd = [cargo_executable(), "metadata", "--format-version", "1", "--no-deps", "--offline",
           "--manifest-path", str(manifest)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s,
                              env=_cargo_env(None), stdin=subprocess.DEVNULL)
    except FileNotFoundError as e:
        raise CargoNotFoundError(f"cannot run cargo: {e}") from e
    except subprocess.TimeoutExpired as e:
        raise CheckTimeoutError(f"cargo metadata took longer than {timeout_s:.0f} s") from e
    if proc.returncode != 0:
        raise CargoManifestError(f"{manifest}: {cargo_error_summary(proc.stderr)}")
    meta = json.loads(proc.stdout)
    packages = tuple(
        Package(p["name"], p["version"], Path(p["manifest_path"]),
                tuple(t["name"] for t in p.get("targets", ())),
                tuple((d.get("rename") or d["name"]).replace("-", "_") for d in p.get("dependencies", ())),
                _build_time(p))
        for p in meta.get("packages", ()))
    return Workspace(Path(meta["workspace_root"]), packages, Path(meta["target_directory"]))


@dataclass(slots=True)
class CheckOptions:
    """How to run the check.

    `command`: the cargo subcommand and its fixed args (["check"] or ["clippy"], both of which take
    `--keep-going`, always passed); `extra_args` are appended; `features` become `--features a,b`; `all_targets` adds `--all-targets`;
    `timeout_s` is the wall-clock limit in seconds; `target_dir` overrides ferrofix's own target dir.
    """

    command: Sequence[str] = ("check",)
    extra_args: Sequence[str] = ()
    features: Sequence[str] = ()
    all_targets: bool = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    target_dir: Path | None = None

    def argv(self, manifest: Path) -> list[str]:
        # --keep-going: every target that can be built is checked even after one fails, so the errors
        # are all there and the same from run to run (cargo otherwise stops at a first failure, and
        # which targets got checked by then depends on scheduling)
        argv = [cargo_executable(), *self.command, "--message-format=json", "--keep-going",
                "--manifest-path", str(manifest)]
        if self.all_targets:
            argv.append("--all-targets")
        if self.features:
            argv += ["--features", ",".join(self.features)]
        return argv + list(self.extra_args)


@dataclass(slots=True)
class CheckResult:
    """The outcome of one check: deduplicated top-level diagnostics (errors and warnings), whether
    cargo reported the build as finished successfully, wall time in ms, and cargo's stderr."""

    diagnostics: list[Diagnostic]
    success: bool
    elapsed_ms: int
    stderr: str = ""
    #: (package_id, target name) of every target rustc got to: those that compiled (cargo's
    #: `compiler-artifact`) and those that reported diagnostics. Targets blocked by a failing
    #: dependency are absent.
    targets: set[tuple[str, str]] = field(default_factory=set)
    #: of `elapsed_ms`, the time spent parsing cargo's JSON messages into Diagnostics (ms)
    parse_ms: float = 0.0
    #: of `elapsed_ms`, the time to start the cargo process (ms)
    spawn_ms: float = 0.0

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]


def target_label(target: dict | None) -> str:
    """A cargo target's name, with its kind for all but the library (`hex`, `hex (bench)`, `cli (bin)`):
    a package's bench, test or binary often shares the library's name, and errors of one must not pass
    for errors of the other. `target` is the `target` object of cargo's JSON messages."""
    target = target if isinstance(target, dict) else {}
    name, kinds = str(target.get("name", "")), target.get("kind") or ["lib"]
    kind = kinds[0] if isinstance(kinds, list) else "lib"
    return name if kind in ("lib", "rlib", "dylib", "cdylib", "staticlib", "proc-macro") else f"{name} ({kind})"


class Cancellation:
    """A flag another thread sets to cancel running work; checks kill their process group on it."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


def _cargo_env(target_dir: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    env["CARGO_TERM_COLOR"] = "never"
    env.pop("RUSTC_WRAPPER", None)
    if target_dir is not None:
        env["CARGO_TARGET_DIR"] = str(target_dir)
    return env


def _spawn(argv: list[str], root: Path, target_dir: Path | None) -> subprocess.Popen:
    """cargo in its own process group (`procs.popen_group`), pipes for stdout and stderr, no stdin.
    Raises CargoNotFoundError when it cannot be started."""
    try:
        return procs.popen_group(argv, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, env=_cargo_env(target_dir))
    except FileNotFoundError as e:
        raise CargoNotFoundError(f"cannot run cargo: {e}") from e


def run_check(root: Path, options: CheckOptions | None = None, *, cancel: Cancellation | None = None,
              on_diagnostic: Callable[[Diagnostic], None] | None = None) -> CheckResult:
    """Run the check on the cargo workspace at `root` and parse cargo's JSON stream.

    Diagnostics are passed to `on_diagnostic` as they arrive and returned deduplicated (cargo repeats
    a library's errors for each target). The process runs in its own process group (`procs.popen_group`:
    it dies with this process, however this one ends), killed on timeout (CheckTimeoutError) or
    cancellation (CheckCancelledError). A failed build that produced no
    error diagnostic (unfetchable dependencies, broken manifest) raises CargoManifestError with cargo's
    message. Raises CargoNotFoundError when cargo cannot be started.
    """
    options = options or CheckOptions()
    root = Path(root)
    target_dir = options.target_dir or default_target_dir(root)
    t0 = time.monotonic()
    proc = _spawn(options.argv(root / "Cargo.toml"), root, target_dir)
    spawn_ms = (time.monotonic() - t0) * 1000

    stop_reason: list[str] = []
    done = threading.Event()

    def watchdog() -> None:
        deadline = t0 + options.timeout_s
        while not done.is_set():
            if cancel is not None and cancel.cancelled:
                stop_reason.append("cancelled")
                procs.kill_group(proc)
                return
            if time.monotonic() > deadline:
                stop_reason.append("timeout")
                procs.kill_group(proc)
                return
            done.wait(0.05)

    stderr_chunks: list[str] = []
    err_reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read().decode("utf-8", "replace")),
                                  daemon=True)
    dog = threading.Thread(target=watchdog, daemon=True)
    err_reader.start()
    dog.start()
    diags: list[Diagnostic] = []
    targets: set[tuple[str, str]] = set()
    success = False
    parse_s = 0.0
    try:
        for raw in proc.stdout:
            p0 = time.perf_counter()
            try:
                msg = json.loads(raw)
            except json.JSONDecodeError:
                continue
            finally:
                parse_s += time.perf_counter() - p0
            reason = msg.get("reason")
            if reason == "compiler-message":
                p0 = time.perf_counter()
                try:
                    d = Diagnostic.from_json(msg.get("message"), package_id=str(msg.get("package_id", "")),
                                             target_name=target_label(msg.get("target")),
                                             manifest_path=str(msg.get("manifest_path", "")))
                except DiagnosticFormatError as e:  # not rustc's shape: skipped, not a crash
                    log.warning("skipped a malformed compiler message: %s", e)
                    continue
                finally:
                    parse_s += time.perf_counter() - p0
                targets.add((d.package_id, d.target_name))
                if is_summary(d):
                    continue
                diags.append(d)
                if on_diagnostic:
                    on_diagnostic(d)
            elif reason == "compiler-artifact":
                targets.add((msg.get("package_id", ""), target_label(msg.get("target"))))
            elif reason == "build-finished":
                success = bool(msg.get("success"))
        proc.wait()
    finally:
        done.set()
        if proc.poll() is None:
            procs.kill_group(proc)
            proc.wait()
        procs.release(proc)
        err_reader.join(timeout=5)
    stderr = "".join(stderr_chunks)
    elapsed_ms = int((time.monotonic() - t0) * 1000)
    if stop_reason == ["timeout"]:
        raise CheckTimeoutError(f"cargo check took longer than {options.timeout_s:.0f} s and was stopped")
    if stop_reason == ["cancelled"]:
        raise CheckCancelledError("cargo check was cancelled")
    result = CheckResult(dedupe(diags), success and proc.returncode == 0, elapsed_ms, stderr, targets,
                         parse_ms=parse_s * 1000, spawn_ms=spawn_ms)
    if not result.success and not result.errors:
        if proc.returncode < 0:
            raise CheckCancelledError(f"cargo was killed by signal {-proc.returncode}")
        raise CargoManifestError(cargo_error_summary(stderr))
    return result


@dataclass(slots=True)
class TestRun:
    """The outcome of `run_tests`: `passed` when `cargo test` exited 0 within its time limit; `failed`
    names the tests libtest reported as FAILED; `summary` is one line for a trace ("3 passed",
    "2 tests fail: a::b, c", "cargo test took longer than 60 s and was stopped"); `elapsed_ms` wall time;
    `failures`: libtest's report of the failed tests (the `---- name stdout ----` sections: panic
    messages, assertion values), at most 4,000 characters."""

    passed: bool
    failed: list[str]
    summary: str
    elapsed_ms: int
    failures: str = ""


_TEST_FAILED = re.compile(r"^test (\S+) \.\.\. FAILED$", re.M)
_TEST_RESULT = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed", re.M)


def run_tests(root: Path, *, target_dir: Path, timeout_s: float, cancel: Cancellation | None = None) -> TestRun:
    """Run `cargo test --no-fail-fast` on the workspace at `root` (in practice a scratch mirror: tests
    execute the crate's code) with `CARGO_TARGET_DIR=target_dir`, in its own process group, killed
    after `timeout_s` seconds (a hard limit: the run then counts as failed) or on cancellation (raises
    CheckCancelledError). Raises CargoNotFoundError when cargo cannot be started. Test names and
    counts come from libtest's plain output (`test NAME ... FAILED`, `test result: ...`)."""
    t0 = time.monotonic()
    proc = _spawn([cargo_executable(), "test", "--no-fail-fast", "--manifest-path", str(Path(root) / "Cargo.toml")],
                  root, target_dir)
    out = err = b""
    stopped = ""
    try:
        while True:
            try:
                out, err = proc.communicate(timeout=0.1)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.cancelled:
                    stopped = "cancelled"
                elif time.monotonic() - t0 > timeout_s:
                    stopped = "timeout"
                if stopped:
                    procs.kill_group(proc)
                    out, err = proc.communicate()
                    break
    finally:
        if proc.poll() is None:
            procs.kill_group(proc)
            proc.wait()
        procs.release(proc)
    elapsed_ms = int((time.monotonic() - t0) * 1000)
    if stopped == "cancelled":
        raise CheckCancelledError("cargo test was cancelled")
    text = out.decode("utf-8", "replace")
    failed = _TEST_FAILED.findall(text)
    if stopped == "timeout":
        return TestRun(False, failed, f"cargo test took longer than {timeout_s:.0f} s and was stopped", elapsed_ms)
    if proc.returncode == 0:
        n = sum(int(m.group(1)) for m in _TEST_RESULT.finditer(text))
        return TestRun(True, [], f"{n} tests pass", elapsed_ms)
    if failed:
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        start = text.find("\nfailures:\n")
        end = text.find("\nfailures:\n", start + 1) if start >= 0 else -1
        report = text[start + 1:end if end > start else None].strip() if start >= 0 else ""
        return TestRun(False, failed, f"{len(failed)} test(s) fail: {', '.join(failed[:3])}{more}", elapsed_ms,
                       report[:4000])
    return TestRun(False, [], f"cargo test failed: {cargo_error_summary(err.decode('utf-8', 'replace'))}", elapsed_ms)
