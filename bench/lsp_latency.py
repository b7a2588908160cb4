#!/usr/bin/env python3
"""Language-server latency and memory: save → diagnostics vs a raw warm `cargo check`, keystroke pause →
diagnostics (unsaved text, checked in the server's mirror), where the server's time goes, codeAction
latency, and the server's resident memory.

    python bench/lsp_latency.py [--rounds N] [--actions N] [--workspace DIR] [--model NAME]

(a) A multi-package cargo workspace is built from Debian crate sources (humantime, arrayvec, semver,
either, anyhow: ~10k lines; `apt-get install $(cat ../shared/bench/mutants/apt-packages.txt)`),
resolving dependencies offline from /usr/share/cargo/registry. Each round injects (or removes) a type
error in one package and measures, alternately, `python -m ferrofix_lsp` from `didSave` to the
`publishDiagnostics` that reflects the change, and the same `cargo check --message-format=json`
(libraries only: the crates' tests need dev-dependencies Debian does not package) run directly (its own warm target dir). The ratio is server / raw.
The server's own breakdown of each check (its "check timings" log line: debounce, wait, progress,
sync, cargo, parse, handoff, convert, publish) gives the overhead = total − cargo − debounce.
(a2) As you type: the file is opened, then each round sends `didChange` with the error injected (or
removed) and no save, and measures until the `publishDiagnostics` that reflects it, with the default
`check.typeDebounceMs` (400 ms) included and subtracted.
(b) `textDocument/codeAction` for the published error, `--actions` times: p50/p95 ms.
(e) VmRSS/VmHWM of the server after the checks (idle) and, with `--model`, after a "Fix with local
AI" request loaded the model.
Prints figures and writes bench/reports/lsp-latency.json; it is not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

HERE = Path(__file__).resolve().parent
REGISTRY = Path("/usr/share/cargo/registry")
CRATES = ("humantime", "arrayvec", "semver", "either", "anyhow")
CARGO_CONFIG = """[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true
"""
INJECTED = "\npub fn __ferrofix_bench() -> u32 { \"not a number\" }\n"


def build_workspace(dest: Path) -> tuple[Path, int]:
    """Copy the Debian crates into a cargo workspace at `dest`; returns (the file errors go into, lines)."""
    sys.path.insert(0, str(HERE.parents[1] / "shared" / "bench" / "mutants"))
    from materialize import strip_dev_dependencies  # the corpus' own helper (stdlib only)
    dest.mkdir(parents=True)
    members = []
    for name in CRATES:
        src = max(REGISTRY.glob(f"{name}-[0-9]*"), default=None)
        if src is None:
            sys.exit(f"{name} is not in {REGISTRY}: install the Debian packages in ../shared/bench/mutants/apt-packages.txt")
        shutil.copytree(src, dest / name, copy_function=shutil.copy,
                        ignore=shutil.ignore_patterns(".cargo-checksum.json", "debian"))
        toml = dest / name / "Cargo.toml"
        toml.write_text(strip_dev_dependencies(toml.read_text()))
        members.append(name)
    (dest / "Cargo.toml").write_text("[workspace]\nmembers = [" + ", ".join(f'"{m}"' for m in members)
                                     + ']\nresolver = "2"\n')
    (dest / ".cargo").mkdir()
    (dest / ".cargo" / "config.toml").write_text(CARGO_CONFIG)
    lines = sum(len(p.read_text(errors="replace").splitlines()) for p in dest.rglob("*.rs"))
    return dest / "humantime" / "src" / "lib.rs", lines


def raw_check(root: Path, target: Path) -> float:
    t0 = time.monotonic()
    subprocess.run(["cargo", "check", "--message-format=json"], cwd=root, capture_output=True,
                   env=dict(os.environ, CARGO_TARGET_DIR=str(target)))
    return time.monotonic() - t0


def rss_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            k, v = line.split(":")
            out[k] = int(v.split()[0])
    return out


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(round(q * (len(xs) - 1)))))]


async def main_async(args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="ffbench-lsp-"))
    root = (args.workspace or work / "ws").resolve()
    if args.workspace is None:
        target_file, lines = build_workspace(root)
    else:
        target_file = root / "humantime" / "src" / "lib.rs"
        lines = sum(len(p.read_text(errors="replace").splitlines()) for p in root.rglob("*.rs"))
    print(f"workspace {root}: {len(CRATES)} packages, {lines} lines of Rust")
    env = dict(os.environ, FERROFIX_CACHE_DIR=str(work / "cache"), FERROFIX_KB_DIR=str(work / "kb"))
    original = target_file.read_text()
    uri = target_file.as_uri()

    published: dict[str, types.PublishDiagnosticsParams] = {}
    event = asyncio.Event()
    client = LanguageClient("ferrofix-bench", "1")

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_publish(params: types.PublishDiagnosticsParams):
        published[params.uri] = params
        published[params.uri + "#t"] = time.monotonic()  # type: ignore[assignment]
        event.set()

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def on_config(params: types.ConfigurationParams):
        return [None for _ in params.items]

    timings: list[dict[str, float]] = []

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params: types.LogMessageParams):
        if params.message.startswith("check timings (ms): "):
            timings.append({k: float(v) for k, v in (kv.rsplit(" ", 1) for kv in
                                                     params.message.split(": ", 1)[1].split(", "))})

    client.feature(types.WINDOW_SHOW_MESSAGE)(lambda params: None)
    checks_done = [0]

    @client.feature(types.PROGRESS)
    def on_progress(params: types.ProgressParams):
        if isinstance(params.value, dict) and params.value.get("kind") == "end":
            checks_done[0] += 1
            event.set()

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def on_create(params):
        return None

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params):
        return None

    async def wait_for(pred, timeout=600.0):
        deadline = time.monotonic() + timeout
        while not pred():
            event.clear()
            await asyncio.wait_for(event.wait(), max(0.01, deadline - time.monotonic()))

    def has_error() -> bool:
        p = published.get(uri)
        return bool(p and any(d.severity == types.DiagnosticSeverity.Error for d in p.diagnostics))

    # libraries only: the crates' tests need dev-dependencies Debian does not package
    init_opts = {"check": {"onSave": True, "allTargets": False}}
    if args.model:
        init_opts["llm"] = {"model": args.model}
        init_opts["repair"] = {"maxRounds": 1, "timeoutS": 120, "samples": 0}
    await client.start_io(sys.executable, "-m", "ferrofix_lsp", env=env)
    try:
        await client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(window=types.WindowClientCapabilities(work_done_progress=True),
                                                  text_document=types.TextDocumentClientCapabilities(
                                                      code_action=types.CodeActionClientCapabilities(
                                                          data_support=True,
                                                          resolve_support=types.ClientCodeActionResolveOptions(["edit"]))),
                                                  # the client "watches files" (and sends nothing): no
                                                  # watchdog check racing the raw one
                                                  workspace=types.WorkspaceClientCapabilities(
                                                      configuration=True,
                                                      did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(
                                                          dynamic_registration=True))),
            root_uri=root.as_uri(), workspace_folders=[types.WorkspaceFolder(root.as_uri(), "ws")],
            initialization_options=init_opts))
        client.initialized(types.InitializedParams())
        pid = client._server.pid
        raw_target = work / "raw-target"
        # warm both: the server's first check (workspace opened) and a raw one
        t0 = time.monotonic()
        await wait_for(lambda: checks_done[0] >= 1)
        print(f"server's first check of the workspace: {time.monotonic() - t0:.1f} s")
        raw_check(root, raw_target)

        lsp_s, raw_s, save_timings = [], [], []
        for i in range(args.rounds):
            broken = i % 2 == 0
            target_file.write_text(original + INJECTED if broken else original)
            raw_s.append(raw_check(root, raw_target))
            t0 = time.monotonic()
            n = len(timings)
            client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
            await wait_for(lambda: published.get(uri + "#t", 0) > t0 and has_error() == broken)
            lsp_s.append(published[uri + "#t"] - t0)  # type: ignore[operator]
            await wait_for(lambda: len(timings) > n)
            save_timings.append(timings[-1])
            print(f"  round {i + 1}: {'error' if broken else 'clean'}  server {lsp_s[-1] * 1000:7.0f} ms   "
                  f"raw cargo check {raw_s[-1] * 1000:7.0f} ms   (server: cargo {timings[-1]['cargo']:.0f} ms)")
        idle = rss_kb(pid)

        # (a2) as you type: didChange with the error, no save
        target_file.write_text(original)
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "rust", 1, original)))
        type_s, type_timings = [], []
        for i in range(args.rounds + 1):  # the first round warms the mirror's target dir: not counted
            broken = i % 2 == 0
            t0 = time.monotonic()
            n = len(timings)
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=i + 2, uri=uri),
                [types.TextDocumentContentChangeWholeDocument(text=original + INJECTED if broken else original)]))
            await wait_for(lambda: published.get(uri + "#t", 0) > t0 and has_error() == broken
                           and published[uri].version == i + 2)
            elapsed = published[uri + "#t"] - t0  # type: ignore[operator]
            await wait_for(lambda: len(timings) > n)
            if i == 0:
                print(f"  typing, first check in the mirror (cold): {elapsed:.1f} s")
                continue
            type_s.append(elapsed)
            type_timings.append(timings[-1])
            print(f"  typing round {i}: {'error' if broken else 'clean'}  keystroke pause → diagnostics "
                  f"{type_s[-1] * 1000:7.0f} ms (cargo {timings[-1]['cargo']:.0f} ms, sync {timings[-1]['sync']:.1f} ms)")
        if type_s and has_error():  # end clean: the next phase's error must be published anew
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=args.rounds + 3, uri=uri),
                [types.TextDocumentContentChangeWholeDocument(text=original)]))
            await wait_for(lambda: not has_error())
        assert target_file.read_text() == original, "the server wrote the user's file"
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))

        # (b) code actions on the published error
        target_file.write_text(original + INJECTED)
        t0 = time.monotonic()
        client.text_document_did_save(types.DidSaveTextDocumentParams(types.TextDocumentIdentifier(uri)))
        await wait_for(lambda: published.get(uri + "#t", 0) > t0 and has_error())
        err = next(d for d in published[uri].diagnostics if d.severity == types.DiagnosticSeverity.Error)
        action_ms = []
        for _ in range(args.actions):
            t = time.monotonic()
            acts = await client.text_document_code_action_async(types.CodeActionParams(
                types.TextDocumentIdentifier(uri), err.range, types.CodeActionContext([err])))
            action_ms.append((time.monotonic() - t) * 1000)
        loaded = None
        if args.model:
            ai = next(a for a in acts if a.title.startswith("Fix with local AI"))
            t = time.monotonic()
            await client.code_action_resolve_async(ai)
            loaded = rss_kb(pid) | {"ai_fix_s": round(time.monotonic() - t, 1)}
        target_file.write_text(original)
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
    finally:  # never leave a server behind, even when a wait timed out
        if client._server is not None and client._server.returncode is None:
            client._server.kill()
        if target_file.parent.is_dir():
            target_file.write_text(original)
    shutil.rmtree(work, ignore_errors=True)
    med_lsp, med_raw = statistics.median(lsp_s), statistics.median(raw_s)

    def breakdown(ts: list[dict[str, float]]) -> dict:
        keys = [k for k in ts[0] if k != "total"]
        out = {k: round(statistics.median(t.get(k, 0.0) for t in ts), 1) for k in keys}
        over = [t["total"] - t["cargo"] - t["debounce"] for t in ts]
        out["overhead_p50"] = round(statistics.median(over), 1)
        out["overhead_p95"] = round(pct(over, 0.95), 1)
        return out

    result = {
        "workspace_lines": lines, "packages": len(CRATES), "rounds": args.rounds,
        "save_to_diagnostics_ms": {"p50": round(med_lsp * 1000), "p95": round(pct(lsp_s, 0.95) * 1000)},
        "raw_cargo_check_ms": {"p50": round(med_raw * 1000), "p95": round(pct(raw_s, 0.95) * 1000)},
        "ratio_p50": round(med_lsp / med_raw, 2),
        "save_breakdown_ms_p50": breakdown(save_timings),
        "type_to_diagnostics_ms": {"p50": round(statistics.median(type_s) * 1000),
                                   "p95": round(pct(type_s, 0.95) * 1000), "debounce": 400},
        "type_breakdown_ms_p50": breakdown(type_timings),
        "code_action_ms": {"p50": round(pct(action_ms, 0.5), 2), "p95": round(pct(action_ms, 0.95), 2),
                           "n": len(action_ms)},
        "rss_idle_kb": idle, "rss_model_kb": loaded,
    }
    print(json.dumps(result, indent=1))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--actions", type=int, default=200)
    ap.add_argument("--workspace", type=Path, help="reuse a workspace built before")
    ap.add_argument("--model", help="also load this model through an AI fix and report the memory")
    ap.add_argument("--report", type=Path, default=HERE / "reports" / "lsp-latency.json")
    args = ap.parse_args()
    result = asyncio.run(main_async(args))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(result, indent=1))
    print(f"report: {args.report}")


if __name__ == "__main__":
    main()
