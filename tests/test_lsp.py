"""The language server end to end: pytest-lsp drives `python -m ferrofix_lsp` over stdio, real cargo on
fixture crates. Waits are for notifications (diagnostics, progress, messages), never fixed sleeps."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lsprotocol import types

from lsp_client import BROKEN, CLEAN, apply_workspace_edit, capabilities, start, stop



@pytest.fixture
async def moved(crate):
    """A server on the moved_value crate (clean at first), after its first check finished."""
    root = crate("moved_value")
    main = root / "src/main.rs"
    main.write_text(CLEAN)
    client = await start([root])
    await client.until(lambda: client.checks(finished=True) >= 1)
    yield client, root, main
    await stop(client)


EXTENSION = Path(__file__).resolve().parents[1] / "vscode-extension"


async def test_advertised_commands_are_the_extensions_server_ids_and_never_its_own(crate):
    """vscode-languageclient registers every advertised command; one the extension also contributes
    makes `client.start()` throw "command already exists" in a real VS Code (issue 15)."""
    client = await start([crate("moved_value")])
    try:
        advertised = set(client.initialize_result.capabilities.execute_command_provider.commands)
    finally:
        await stop(client)
    commands_ts = (EXTENSION / "src" / "commands.ts").read_text()
    server_block = commands_ts.split("SERVER_COMMANDS = {", 1)[1].split("}", 1)[0]
    assert advertised == set(re.findall(r'"([\w.]+)"', server_block))
    contributed = {c["command"] for c in json.loads((EXTENSION / "package.json").read_text())["contributes"]["commands"]}
    assert not advertised & contributed


async def test_save_publishes_the_error_with_its_exact_range_then_clears_it(moved):
    client, root, main = moved
    client.save(main, BROKEN)
    diags = await client.until(lambda: client.diagnostics(main))
    errors = [d for d in diags if d.code == "E0382"]
    assert len(errors) == 1
    d = errors[0]
    # line 5 `    println!("{} {}", greeting, moved);`: `greeting` at UTF-16 columns 22..30
    assert d.range == types.Range(types.Position(4, 22), types.Position(4, 30))
    assert d.severity == types.DiagnosticSeverity.Error and d.source == "ferrofix"
    assert d.code_description.href == "https://doc.rust-lang.org/error_codes/E0382.html"
    assert d.message.startswith("borrow of moved value: `greeting`")
    assert any("moved here" in r.message for r in d.related_information)
    client.save(main, CLEAN)
    await client.until(lambda: client.diagnostics(main) == [])


async def test_a_file_whose_diagnostics_did_not_change_is_not_published_again(moved):
    client, root, main = moved
    client.save(main, BROKEN)
    await client.until(lambda: client.diagnostics(main))
    await client.until(lambda: client.checks(finished=True) == client.checks())
    uri = main.resolve().as_uri()
    sent, before = client.publish_log.count(uri), client.checks(finished=True)
    client.save(main, BROKEN)  # saved again unchanged: the check runs, the client already has its result
    await client.until(lambda: client.checks(finished=True) > before)
    assert client.publish_log.count(uri) == sent
    # and code actions still find the diagnostics the client holds
    diags = [d for d in client.diagnostics(main) if d.code == "E0382"]
    assert any(a.title.startswith("Fix with local AI") for a in await client.code_actions(main, diags))
    client.save(main, CLEAN)
    await client.until(lambda: client.diagnostics(main) == [])


async def test_three_quick_saves_run_at_most_two_checks_and_the_last_wins(moved):
    client, root, main = moved
    before = client.checks()
    client.save(main, BROKEN)
    client.save(main, BROKEN.replace("greeting, moved", "greting, moved"))
    last = BROKEN.replace("let moved = greeting;", "let moved: u8 = greeting;")
    client.save(main, last)
    await client.until(lambda: client.checks(finished=True) >= before + 1 and client.diagnostics(main))
    await client.until(lambda: client.checks(finished=True) == client.checks())
    assert client.checks() - before <= 2
    codes = {d.code for d in client.diagnostics(main)}
    assert codes == {"E0308"}, codes  # only the last version's error


async def test_a_file_changed_outside_the_editor_gets_diagnostics(moved):
    client, root, main = moved
    main.write_text(BROKEN)  # no didSave: a branch switch, a code generator
    diags = await client.until(lambda: client.diagnostics(main))
    assert [d.code for d in diags if d.severity == types.DiagnosticSeverity.Error] == ["E0382"]


async def test_watched_files_through_the_client(crate):
    root = crate("moved_value")
    main = root / "src/main.rs"
    client = await start([root], caps=capabilities(watch=True))
    try:
        await client.until(lambda: getattr(client.lc, "registrations", None))
        assert client.lc.registrations[0].method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
        await client.until(lambda: client.diagnostics(main))
        main.write_text(CLEAN)
        client.lc.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            [types.FileEvent(main.resolve().as_uri(), types.FileChangeType.Changed)]))
        await client.until(lambda: client.diagnostics(main) == [])
    finally:
        await stop(client)


async def test_rustc_quick_fix_makes_the_error_go_away(crate):
    root = crate("moved_value")
    main = root / "src/main.rs"
    client = await start([root])
    try:
        diags = await client.until(lambda: client.diagnostics(main))
        err = next(d for d in diags if d.code == "E0382")
        actions = await client.code_actions(main, [err])
        titles = [a.title for a in actions]
        assert "Fix with local AI (E0382)" in titles and "Explain E0382" in titles
        fix = next(a for a in actions if a.edit is not None)
        assert fix.kind == "quickfix" and fix.title.endswith("`.clone()`")
        hover = await client.hover(main, err.range.start)
        assert "E0382" in hover.contents.value and "error_codes/E0382.html" in hover.contents.value
        apply_workspace_edit(fix.edit)
        assert "greeting.clone()" in main.read_text()
        client.save(main)
        await client.until(lambda: client.diagnostics(main) == [])
    finally:
        await stop(client)


async def test_a_workspace_checks_once_and_publishes_files_of_every_package(crate):
    root = crate("workspace")
    client = await start([root])
    try:
        await client.until(lambda: client.checks(finished=True) >= 1)
        assert client.checks() == 1
        assert any(uri.endswith(".rs") and p.diagnostics for uri, p in client.published.items())
    finally:
        await stop(client)


async def test_folder_without_cargo_toml_and_invalid_settings_give_messages(tmp_path):
    (tmp_path / "notes.txt").write_text("no crate here")
    client = await start([tmp_path], init_options={"check": {"debounceMs": "soon", "bogusKey": 1},
                                                   "repair": {"timeoutS": -5}})
    try:
        await client.until(lambda: len(client.messages()) >= 3)
        text = "\n".join(client.messages())
        assert "no Cargo.toml" in text and "check.debounce_ms" in text and "repair.timeout_s" in text
        assert "bogus" not in text
        # still serving requests
        res = await client.code_actions(tmp_path / "x.rs", [], types.Range(types.Position(0, 0), types.Position(0, 0)))
        assert res == []
    finally:
        await stop(client)


async def test_check_over_its_time_limit_is_a_message_not_a_crash(crate):
    root = crate("moved_value")
    client = await start([root], init_options={"check": {"timeoutS": 0.01}})
    try:
        await client.until(lambda: any("longer than" in m for m in client.messages()))
        # the server is still alive and answers
        res = await client.hover(root / "src/main.rs", types.Position(0, 0))
        assert res is None
    finally:
        await stop(client)


# -- Fix with local AI ------------------------------------------------------------------------------

def ai_options(url: str, **extra) -> dict:
    return {"llm": {"backend": "openai", "url": url}, "kb": {"examples": 0}, **extra}


async def ai_action(client, path, code):
    diags = await client.until(lambda: client.diagnostics(path))
    err = next(d for d in diags if d.code == code)
    actions = await client.code_actions(path, [err])
    return next(a for a in actions if a.title.startswith("Fix with local AI"))


async def test_fix_with_local_ai_returns_a_verified_edit_and_learns(crate, openai_server, isolated_dirs):
    from conftest import MATCH_ARM_FIX
    model = openai_server(lambda req: MATCH_ARM_FIX)
    root = crate("match_arm")
    lib = root / "src/lib.rs"
    client = await start([root], init_options=ai_options(model.url))
    try:
        action = await ai_action(client, lib, "E0004")
        assert action.edit is None and action.data  # filled in lazily
        resolved = await client.lc.code_action_resolve_async(action)
        assert resolved.edit is not None and len(model.requests) >= 1
        assert any(r and r[0].title.startswith("ferrofix: fixing") for r in client.lc.progress_reports.values())
        assert lib.read_text().count("Triangle") == 1  # the server never writes the user's files
        apply_workspace_edit(resolved.edit)
        assert "Shape::Triangle(b, h) => 0.5 * b * h," in lib.read_text()
        client.save(lib)
        await client.until(lambda: client.diagnostics(lib) == [])
        # accepting runs the attached command, which records the fix as pending
        assert resolved.command.command == "ferrofix.server.recordAccepted"
        out = await client.lc.workspace_execute_command_async(types.ExecuteCommandParams(
            resolved.command.command, resolved.command.arguments))
        assert out["recorded"] is True
        from ferrofix.kb.store import Store
        recs = Store(isolated_dirs / "kb" / "kb.sqlite3").list(status="pending")
        assert any(r.code == "E0004" and "Triangle" in r.after and r.source == "accepted-fix" for r in recs)
    finally:
        await stop(client)


async def test_fix_with_local_ai_for_clients_without_resolve(crate, openai_server, isolated_dirs):
    """No `codeAction/resolve` support: the action carries a command; the server finds the fix, applies
    it through `workspace/applyEdit`, and records it."""
    from conftest import MATCH_ARM_FIX
    model = openai_server(lambda req: MATCH_ARM_FIX)
    root = crate("match_arm")
    lib = root / "src/lib.rs"
    client = await start([root], init_options=ai_options(model.url), caps=capabilities(resolve=False))
    try:
        diags = await client.until(lambda: client.diagnostics(lib))
        err = next(d for d in diags if d.code == "E0004")
        raw = await client.lc.protocol.send_request_async(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionParams(
            types.TextDocumentIdentifier(lib.resolve().as_uri()), err.range, types.CodeActionContext([err])))
        action = next(a for a in raw if a.title.startswith("Fix with local AI"))
        # pygls' client converter reads a CodeAction carrying a command as a Command and turns the nested
        # command object into a string; VS Code and Neovim read the JSON itself
        assert "ferrofix.server.fixWithAI" in str(action.command) and getattr(action, "edit", None) is None
        out = await client.lc.workspace_execute_command_async(types.ExecuteCommandParams(
            "ferrofix.server.fixWithAI", [lib.resolve().as_uri(), client.lc.protocol._converter.unstructure(err)]))
        assert out["applied"] is True
        assert "Shape::Triangle(b, h) => 0.5 * b * h," in lib.read_text()
        client.save(lib)
        await client.until(lambda: client.diagnostics(lib) == [])
        await client.until(lambda: any("accepted fix recorded" in m.message for m in client.lc.log_messages))
    finally:
        await stop(client)


async def test_fix_with_local_ai_without_a_fix_says_why(crate, openai_server):
    model = openai_server(lambda req: "I am not sure what to do here.")
    root = crate("match_arm")
    lib = root / "src/lib.rs"
    client = await start([root], init_options=ai_options(model.url))
    try:
        action = await ai_action(client, lib, "E0004")
        resolved = await client.lc.code_action_resolve_async(action)
        assert resolved.edit is None
        await client.until(lambda: any("nothing that parses" in m or "no verified fix" in m for m in client.messages()))
    finally:
        await stop(client)


async def test_cancelling_fix_with_local_ai_stops_the_work(crate, openai_server):
    import asyncio
    import time
    model = openai_server(lambda req: "no idea", delay_s=120)
    root = crate("match_arm")
    lib = root / "src/lib.rs"
    client = await start([root], init_options=ai_options(model.url))
    try:
        action = await ai_action(client, lib, "E0004")
        t0 = time.monotonic()
        pending = asyncio.ensure_future(client.lc.code_action_resolve_async(action))
        token = await client.until(lambda: next((t for t, r in client.lc.progress_reports.items()
                                                 if r and r[0].title.startswith("ferrofix: fixing")), None))
        await client.until(lambda: model.requests)  # the model is answering
        client.lc.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token))
        resolved = await asyncio.wait_for(pending, 60)
        assert resolved.edit is None and time.monotonic() - t0 < 60
        await client.until(lambda: any("cancelled" in m.message for m in client.lc.log_messages))
        assert len(model.requests) == 1
        assert any(isinstance(r, types.WorkDoneProgressEnd) for r in client.lc.progress_reports[token])
    finally:
        await stop(client)


async def test_with_on_save_off_it_runs_no_check_but_fixes_rust_analyzer_diagnostics(crate, openai_server):
    model = openai_server(lambda req: "unused")
    root = crate("moved_value")
    main = root / "src/main.rs"
    client = await start([root], init_options=ai_options(model.url, check={"onSave": False}))
    try:
        client.save(main)
        # rust-analyzer's diagnostic (flycheck runs rustc): source "rustc", not one of ours
        ra = types.Diagnostic(types.Range(types.Position(4, 22), types.Position(4, 30)),
                              "borrow of moved value: `greeting`\nvalue borrowed here after move",
                              severity=types.DiagnosticSeverity.Error, code="E0382", source="rustc")
        actions = await client.code_actions(main, [ra])
        titles = [a.title for a in actions]
        assert titles == ["Fix with local AI (E0382)", "Explain E0382"]
        resolved = await client.lc.code_action_resolve_async(actions[0])
        assert resolved.edit is not None
        apply_workspace_edit(resolved.edit)
        assert "greeting.clone()" in main.read_text()
        assert client.checks() == 0 and client.published == {}
    finally:
        await stop(client)


async def test_explain_shows_rustc_explanation_as_markdown(crate):
    root = crate("clean")
    client = await start([root])
    try:
        out = await client.lc.workspace_execute_command_async(types.ExecuteCommandParams(
            "ferrofix.server.explain", ["E0382", "borrow of moved value"]))
        assert out["uri"].endswith("E0382.md")
        shown = await client.until(lambda: client.lc.shown_documents)
        text = open(shown[0].uri.removeprefix("file://"), encoding="utf-8").read()
        assert text.startswith("# E0382") and "moved" in text and "doc.rust-lang.org/error_codes/E0382" in text
    finally:
        await stop(client)


@pytest.mark.model
async def test_fix_with_local_ai_on_the_real_small_model(crate, smollm):
    """SmolLM2-135M in process through llama.cpp: a verified edit or a clear no-fix message."""
    root = crate("match_arm")
    lib = root / "src/lib.rs"
    client = await start([root], init_options={"llm": {"model": str(smollm), "nCtx": 4096},
                                               "repair": {"maxRounds": 1, "samples": 0}, "kb": {"examples": 0}})
    try:
        action = await ai_action(client, lib, "E0004")
        resolved = await client.lc.code_action_resolve_async(action)
        if resolved.edit is None:
            await client.until(lambda: any("no verified fix" in m or "no fix" in m for m in client.messages()))
        else:
            apply_workspace_edit(resolved.edit)
            client.save(lib)
            await client.until(lambda: client.diagnostics(lib) == [])
    finally:
        await stop(client)


# -- a real editor -----------------------------------------------------------------------------------

def test_neovim_end_to_end(crate, tmp_path):
    """Headless Neovim (Debian `neovim`, 0.7) opens the crate; typing E0382 without saving shows the
    diagnostic and typing the fix clears it (the file on disk untouched); then it saves E0382 into it,
    gets the diagnostic, applies the compiler's quick fix from the WorkspaceEdit, saves, and the error
    goes."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    nvim = shutil.which("nvim")
    if nvim is None:
        if os.environ.get("CI"):
            pytest.fail("Neovim is not installed: CI must run the real-editor test (bash tests/setup-editors.sh)")
        pytest.skip("Neovim is not installed (bash tests/setup-editors.sh installs it)")
    root = crate("moved_value")
    (root / "src/main.rs").write_text(CLEAN)
    out = tmp_path / "nvim-report.json"
    script = Path(__file__).parent / "nvim" / "e2e.lua"
    env = dict(os.environ, FF_ROOT=str(root), FF_OUT=str(out), FF_PYTHON=sys.executable)
    p = subprocess.run([nvim, "--headless", "--clean", "-u", str(script)], env=env, capture_output=True,
                       text=True, timeout=420, stdin=subprocess.DEVNULL)
    assert out.is_file(), f"nvim wrote no report: {p.stderr[-2000:]}"
    report = json.loads(out.read_text())
    assert report["ok"], report
    typed = report["typed"]
    assert typed["code"] == "E0382" and typed["lnum"] == 4 and typed["modified"], typed
    assert typed["disk_line"] == "    let moved = greeting.clone();"  # the server wrote nothing
    assert report["diagnostic"]["code"] == "E0382" and report["diagnostic"]["lnum"] == 4
    assert "Fix with local AI (E0382)" in report["titles"]
    assert report["fixed_line"] == "    let moved = greeting.clone();"


# -- robustness ---------------------------------------------------------------------------------------

def _descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command name) of every process below `pid`, from /proc."""
    import os
    parent: dict[int, int] = {}
    names: dict[int, str] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            name = stat[stat.index("(") + 1: stat.rindex(")")]
            parent[int(entry)] = int(stat[stat.rindex(")") + 2:].split()[1])
            names[int(entry)] = name
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        for child, pp in parent.items():
            if pp == p:
                out.append((child, names[child]))
                todo.append(child)
    return out


async def test_cargo_killed_mid_check_is_a_message_not_a_crash(crate):
    import contextlib
    import os
    import signal
    root = crate("slow_build")
    client = await start([root])
    server_pid = client.lc._server.pid
    try:
        await client.until(lambda: client.checks() >= 1)
        cargo = await client.until(lambda: [p for p, n in _descendants(server_pid) if n == "cargo"])
        pgid = os.getpgid(cargo[0])
        os.kill(cargo[0], signal.SIGKILL)
        await client.until(lambda: any("killed" in m for m in client.messages()))
        with contextlib.suppress(ProcessLookupError):  # the orphaned build script, if cargo got to start it
            os.killpg(pgid, signal.SIGKILL)
        res = await client.hover(root / "src/main.rs", types.Position(0, 0))
        assert res is None  # still serving
    finally:
        await stop(client)


async def test_a_failing_request_does_not_take_the_server_down(crate):
    from pygls.exceptions import JsonRpcException
    root = crate("moved_value")
    main = root / "src/main.rs"
    client = await start([root])
    try:
        bad = types.CodeAction("Fix with local AI", data={"kind": "ai-fix", "uri": 42, "diagnostic": {"nope": 1}})
        with pytest.raises(JsonRpcException):
            await client.lc.code_action_resolve_async(bad)
        await client.until(lambda: client.diagnostics(main))  # checks still run and publish
    finally:
        await stop(client)


async def test_multi_root_folders_added_and_removed(crate):
    a, b = crate("moved_value"), crate("typo")
    client = await start([a])
    try:
        await client.until(lambda: client.diagnostics(a / "src/main.rs"))
        client.lc.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(added=[types.WorkspaceFolder(b.resolve().as_uri(), "typo")], removed=[])))
        diags = await client.until(lambda: client.diagnostics(b / "src/lib.rs"))
        assert any(d.code == "E0425" for d in diags)
        client.lc.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            types.WorkspaceFoldersChangeEvent(added=[], removed=[types.WorkspaceFolder(a.resolve().as_uri(), "a")])))
        await client.until(lambda: client.diagnostics(a / "src/main.rs") == [])
    finally:
        await stop(client)


async def test_settings_from_workspace_configuration_and_their_changes(crate):
    root = crate("moved_value")
    main = root / "src/main.rs"
    client = await start([root], configuration={"ferrofix": {"check": {"onSave": False}}})
    try:
        client.save(main)
        client.lc.set_configuration({"check": {"onSave": True, "debounceMs": 10}}, section="ferrofix")
        client.lc.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
        await client.until(lambda: any("configuration" in m.message for m in client.lc.log_messages))
        assert client.checks() == 0  # onSave was off
        client.save(main)
        await client.until(lambda: client.diagnostics(main))
    finally:
        await stop(client)


async def test_open_documents_get_their_version_and_lints_their_tags(crate):
    root = crate("moved_value")
    main = root / "src/main.rs"
    main.write_text(CLEAN.replace("fn main() {", "fn main() {\n    let unused = 1;"))
    client = await start([root])
    try:
        client.open(main, version=7)
        client.save(main)
        await client.until(lambda: client.published.get(main.resolve().as_uri()) and
                           client.published[main.resolve().as_uri()].version == 7)
        d = next(d for d in client.diagnostics(main) if d.code == "unused_variables")
        assert list(d.tags) == [types.DiagnosticTag.Unnecessary] and d.severity == types.DiagnosticSeverity.Warning
    finally:
        await stop(client)
