"""Checks as you type, verified "fix all" and `check.scope`: the real language server over stdio
(pytest-lsp), real cargo on fixture crates. The user's files are never written by the server: unsaved
buffers are checked in its scratch mirror."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from lsprotocol import types

from lsp_client import BROKEN, CLEAN, apply_text_edits, edits_by_uri, start, stop

MISMATCH = BROKEN.replace("let moved = greeting;", "let moved: u8 = greeting;")
INVENTORY = Path(__file__).resolve().parents[1] / "examples" / "inventory"


@pytest.fixture
async def typing(crate):
    """A server on the moved_value crate (clean on disk and in the open buffer), checks on typing
    without a debounce, after its first check finished."""
    root = crate("moved_value")
    main = root / "src/main.rs"
    main.write_text(CLEAN)
    client = await start([root], init_options={"check": {"typeDebounceMs": 0}})
    await client.until(lambda: client.checks(finished=True) >= 1)
    client.open(main)
    yield client, root, main
    await stop(client)


def _errors(client, path: Path) -> list[types.Diagnostic]:
    return [d for d in client.diagnostics(path) or [] if d.severity == types.DiagnosticSeverity.Error]


async def test_typing_shows_an_error_without_saving_and_it_clears_when_fixed(typing):
    client, root, main = typing
    client.type(main, BROKEN, 2)
    errors = await client.until(lambda: _errors(client, main))
    assert [d.code for d in errors] == ["E0382"]
    assert errors[0].range == types.Range(types.Position(4, 22), types.Position(4, 30))  # as in the buffer
    assert client.version(main) == 2  # published for the buffer version it was computed from
    # locations point at the user's file, never at the scratch mirror
    assert all(r.location.uri == main.resolve().as_uri() for r in errors[0].related_information)
    assert main.read_text() == CLEAN  # the user's file was not written
    assert any("unsaved buffers" in m.message for m in client.lc.log_messages)
    client.type(main, CLEAN, 3)
    await client.until(lambda: client.diagnostics(main) == [] and client.version(main) == 3)


async def test_a_buffer_opened_with_unsaved_text_is_checked_as_typed(crate):
    root = crate("moved_value")
    main = root / "src/main.rs"
    main.write_text(CLEAN)
    client = await start([root], init_options={"check": {"typeDebounceMs": 0}})
    try:
        await client.until(lambda: client.checks(finished=True) >= 1)
        client.open(main, 5, text=BROKEN)  # Neovim sends edits made before initialization this way
        await client.until(lambda: [d.code for d in _errors(client, main)] == ["E0382"])
        assert client.version(main) == 5
    finally:
        await stop(client)


async def test_a_newer_change_cancels_the_running_check_and_only_its_result_is_published(typing):
    client, root, main = typing
    client.type(main, BROKEN, 2)
    await client.until(lambda: client.checks() >= 2)  # the check of version 2 is running
    client.type(main, MISMATCH, 3)
    await client.until(lambda: _errors(client, main) and client.checks(finished=True) == client.checks())
    assert {d.code for d in _errors(client, main)} == {"E0308"} and client.version(main) == 3
    uri = main.resolve().as_uri()
    # no result computed from version 2 arrived after version 3 was typed
    versions = [p.version for p in client.history if p.uri == uri]
    assert 2 not in versions[versions.index(3):] if 3 in versions else True


async def test_a_quick_fix_on_an_unsaved_buffer_carries_its_version(typing):
    client, root, main = typing
    client.type(main, BROKEN, 2)
    errors = await client.until(lambda: _errors(client, main))
    actions = await client.code_actions(main, errors)
    fix = next(a for a in actions if a.edit is not None and "clone" in a.title.lower())
    (uri, (version, edits)), = edits_by_uri(fix.edit).items()
    assert uri == main.resolve().as_uri() and version == 2
    fixed = apply_text_edits(BROKEN.encode(), edits).decode()
    assert "greeting.clone()" in fixed
    client.type(main, fixed, 3)
    await client.until(lambda: client.diagnostics(main) == [] and client.version(main) == 3)


async def test_fix_with_local_ai_on_an_unsaved_buffer_is_an_edit_of_that_version(crate, openai_server):
    from conftest import MATCH_ARM_FIX
    model = openai_server(lambda req: MATCH_ARM_FIX)
    root = crate("match_arm")
    lib = root / "src/lib.rs"
    on_disk = lib.read_text()
    client = await start([root], init_options={"llm": {"backend": "openai", "url": model.url}, "kb": {"examples": 0},
                                               "check": {"typeDebounceMs": 0}})
    try:
        await client.until(lambda: client.checks(finished=True) >= 1)
        client.open(lib)
        typed = "// an unsaved line above everything\n" + on_disk
        client.type(lib, typed, 2)
        err = await client.until(lambda: next((d for d in _errors(client, lib) if d.code == "E0004"
                                               and client.version(lib) == 2), None))
        assert err.range.start.line == 9  # one line down: the buffer's text, not the file's
        actions = await client.code_actions(lib, [err])
        ai = next(a for a in actions if a.title.startswith("Fix with local AI"))
        resolved = await client.lc.code_action_resolve_async(ai)
        (uri, (version, edits)), = edits_by_uri(resolved.edit).items()
        assert uri == lib.resolve().as_uri() and version == 2
        fixed = apply_text_edits(typed.encode(), edits).decode()
        assert fixed.startswith("// an unsaved line") and "Shape::Triangle(b, h) => 0.5 * b * h," in fixed
        assert lib.read_text() == on_disk
        client.type(lib, fixed, 3)
        await client.until(lambda: _errors(client, lib) == [] and client.version(lib) == 3)
    finally:
        await stop(client)


async def test_saving_still_checks_the_files_on_disk(typing):
    client, root, main = typing
    client.type(main, MISMATCH, 2)
    client.save(main, MISMATCH)  # the editor writes the buffer's text and says so
    # the check of the files on disk (its reason: the save, or the file watcher's report of the write)
    disk_check = re.compile(r"^cargo check #\d+ in moved_value \((saved main\.rs|changed on disk)\)$")
    await client.until(lambda: any(disk_check.match(m.message) for m in client.lc.log_messages)
                       and {d.code for d in _errors(client, main)} == {"E0308"})


async def test_while_a_buffer_is_unsaved_every_check_sees_its_text(typing):
    """A check asked for by something else (a save of another file, a change on disk, the workspace
    opening) runs on the open buffers' text while one holds unsaved edits: diagnostics for the text on
    disk would not match what the editor shows."""
    client, root, main = typing
    other = root / "src/other.rs"
    other.write_text("pub fn f() {}\n")
    client.type(main, BROKEN, 2)
    await client.until(lambda: _errors(client, main))
    client.save(other)  # another file saved: the check still sees main.rs's unsaved text
    await client.until(lambda: any("(saved other.rs)" in m.message for m in client.lc.log_messages)
                       and any(m.message.startswith("check timings") for m in
                               client.lc.log_messages[[i for i, m in enumerate(client.lc.log_messages)
                                                       if "(saved other.rs)" in m.message][0]:]))
    assert [d.code for d in _errors(client, main)] == ["E0382"] and client.version(main) == 2
    assert any("unsaved buffers (saved other.rs)" in m.message for m in client.lc.log_messages)


async def test_on_type_off_checks_only_on_save(crate):
    root = crate("moved_value")
    main = root / "src/main.rs"
    main.write_text(CLEAN)
    client = await start([root], init_options={"check": {"onType": False, "typeDebounceMs": 0}})
    try:
        await client.until(lambda: client.checks(finished=True) >= 1)
        client.open(main)
        client.type(main, BROKEN, 2)
        client.save(main, BROKEN)
        await client.until(lambda: _errors(client, main))
        assert not any("unsaved buffers" in m.message for m in client.lc.log_messages)
    finally:
        await stop(client)


# -- fix all -------------------------------------------------------------------------------------------

#: The scripted model's answer for examples/inventory's E0004 (the missing `Item::Pen` arm).
PEN_ARM = ("<<<<<<< SEARCH\n        Item::Book { title, pages } => format!(\"{title} ({pages} pages)\"),\n=======\n"
           "        Item::Book { title, pages } => format!(\"{title} ({pages} pages)\"),\n"
           "        Item::Pen { color } => format!(\"a {color} pen\"),\n>>>>>>> REPLACE")


async def test_fix_all_in_the_workspace_applies_one_verified_edit_for_both_inventory_errors(tmp_path, openai_server):
    model = openai_server(lambda req: PEN_ARM)
    root = tmp_path / "inventory"
    shutil.copytree(INVENTORY, root, ignore=shutil.ignore_patterns("target", "Cargo.lock"))
    main = root / "src/main.rs"
    client = await start([root], init_options={"llm": {"backend": "openai", "url": model.url}, "kb": {"examples": 0}})
    try:
        errors = await client.until(lambda: _errors(client, main))
        assert {d.code for d in errors} == {"E0004", "E0382"}
        before = main.read_text()
        out = await client.lc.workspace_execute_command_async(types.ExecuteCommandParams(
            "ferrofix.server.fixAll", [main.resolve().as_uri()]))
        assert out["applied"] is True, out
        assert "2 of 2 error(s) fixed" in out["message"]
        applied = client.lc.applied_edits
        assert len(applied) == 1 and applied[0].label == "ferrofix: fix all"  # one edit: one undo
        assert main.read_text() != before and "Item::Pen { color } =>" in main.read_text()
        log = [m.message for m in client.lc.log_messages]
        assert any(m.startswith("fix all [inventory]") and "E0382" in m for m in log)  # the per-error trace
        client.save(main)
        await client.until(lambda: _errors(client, main) == [] and client.checks(finished=True) == client.checks())
    finally:
        await stop(client)


async def test_source_fix_all_action_is_resolved_to_a_verified_edit_without_the_model(crate):
    root = crate("moved_value")
    main = root / "src/main.rs"
    main.write_text(BROKEN)
    client = await start([root])
    try:
        errors = await client.until(lambda: _errors(client, main))
        actions = list(await client.lc.text_document_code_action_async(types.CodeActionParams(
            types.TextDocumentIdentifier(main.resolve().as_uri()), errors[0].range,
            types.CodeActionContext(errors, only=[types.CodeActionKind.SourceFixAll]))))
        assert [a.kind for a in actions] == ["source.fixAll.ferrofix"]
        assert actions[0].edit is None  # filled in by resolve: the codeAction request stays a lookup
        resolved = await client.lc.code_action_resolve_async(actions[0])
        (uri, (_, edits)), = edits_by_uri(resolved.edit).items()
        assert "greeting.clone()" in apply_text_edits(BROKEN.encode(), edits).decode()
        assert main.read_text() == BROKEN  # not written by the server
    finally:
        await stop(client)


# -- check.scope ------------------------------------------------------------------------------------

async def test_package_scope_checks_only_the_package_of_the_saved_file(crate):
    root = crate("workspace")
    lib = root / "crates/core/src/lib.rs"
    app = root / "crates/app/src/main.rs"
    client = await start([root], init_options={"check": {"scope": "package"}})
    try:
        await client.until(lambda: client.checks(finished=True) >= 1)  # the whole workspace, once, at start
        assert any(d.code == "E0384" for d in client.diagnostics(app))
        client.save(lib, "pub fn double(x: i32) -> i32 {\n    x * 2u64\n}\n")
        await client.until(lambda: _errors(client, lib))
        # (the reason may be the save or the file watcher's report of the same write)
        assert any(m.message.startswith("cargo check") and "(package ws_core)" in m.message
                   for m in client.lc.log_messages)
        assert any(d.code == "E0384" for d in client.diagnostics(app))  # the other package's are kept
    finally:
        await stop(client)
