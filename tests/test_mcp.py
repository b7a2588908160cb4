"""`ferrofix mcp` driven by the MCP SDK's own client (`ClientSession`) over stdio and streamable HTTP:
the server runs as a real subprocess (`python -m ferrofix mcp`), cargo is real."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from mcp.client import ClientSession  # the dev extras install mcp: a missing SDK fails, never skips
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

from .conftest import tree_bytes

TOOLS = {"check", "compile_and_fix", "explain", "search_knowledge_base", "record_accepted", "generate"}


def _env() -> dict[str, str]:
    """The isolated ferrofix dirs of the test (conftest.isolated_dirs) plus what cargo needs."""
    keep = ("FERROFIX_", "CARGO_HOME", "RUSTUP_", "PATH", "HOME")
    return {k: v for k, v in os.environ.items() if k.startswith(keep)}


@asynccontextmanager
async def stdio_session():
    params = StdioServerParameters(command=sys.executable, args=["-m", "ferrofix", "mcp"], env=_env())
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            yield session


def _structured(result) -> dict:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    # the text content carries the same object, for clients without structured content
    assert json.loads(result.content[0].text) == result.structured_content
    return result.structured_content


async def test_stdio_lists_tools_with_schemas_and_annotations():
    async with stdio_session() as s:
        tools = {t.name: t for t in (await s.list_tools()).tools}
    assert set(tools) == TOOLS
    for t in tools.values():
        assert t.description and t.input_schema["type"] == "object" and t.output_schema
    assert tools["check"].annotations.read_only_hint is True
    assert tools["compile_and_fix"].annotations.read_only_hint is False
    assert tools["compile_and_fix"].annotations.destructive_hint is True
    assert set(tools["compile_and_fix"].input_schema["properties"]) == {"path", "files", "write", "timeout_s",
                                                                         "use_model"}
    assert "ctx" not in tools["check"].input_schema["properties"]


async def test_check_and_compile_and_fix_a_path_without_writing(crate):
    root = crate("moved_value")
    async with stdio_session() as s:
        chk = _structured(await s.call_tool("check", {"path": str(root)}))
        before = tree_bytes(root)  # as cargo left it (it writes Cargo.lock, as it does for the user)
        steps: list[str] = []

        async def on_progress(progress, total, message):
            steps.append(message or "")
        fix = _structured(await s.call_tool("compile_and_fix", {"path": str(root), "use_model": False},
                                            progress_callback=on_progress))
    assert chk["errors"] == 1 and chk["workspace"] == str(root.resolve())
    d = chk["diagnostics"][0]
    assert d["code"] == "E0382" and d["file"] == "src/main.rs" and d["level"] == "error"
    src = (root / "src/main.rs").read_text().splitlines()
    r = d["range"]
    assert "greeting" in src[r["start"]["line"]][r["start"]["character"]:r["end"]["character"]]
    assert "E0382" in d["rendered"]
    assert fix["fixed"] is True and fix["remaining_errors"] == [] and fix["written"] == []
    assert [e["code"] for e in fix["fixed_errors"]] == ["E0382"]
    assert "+    let moved = greeting.clone();" in fix["diff"]
    assert "greeting.clone()" in fix["files"]["src/main.rs"]
    assert any(a["outcome"] == "accepted" for a in fix["trace"])
    assert steps, "no progress notification"
    assert tree_bytes(root) == before  # nothing written without write


async def test_inline_files_project_comes_back_fixed_and_leaves_nothing(crate, isolated_dirs):
    root = crate("moved_value")
    files = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    async with stdio_session() as s:
        chk = _structured(await s.call_tool("check", {"files": files}))
        fix = _structured(await s.call_tool("compile_and_fix", {"files": files, "use_model": False}))
    assert chk["errors"] == 1 and chk["workspace"] == "<inline>"
    assert fix["fixed"] is True
    assert "let moved = greeting.clone();" in fix["files"]["src/main.rs"]
    cache = isolated_dirs / "cache"
    left = [p.name for sub in ("mirrors", "targets") if (cache / sub).is_dir() for p in (cache / sub).iterdir()]
    assert left == [], left  # the temporary project's mirror and target dir went with it


PARTLY_FIXABLE = {
    "Cargo.toml": '[package]\nname = "partly"\nversion = "0.1.0"\nedition = "2021"\n',
    "src/main.rs": """enum Light { Red, Green, Amber }

fn main() {
    let mut seen = HashMap::new();
    seen.insert("red", 1);
    let light = Light::Red;
    let n = match light {
        Light::Red => 1,
        Light::Green => 2,
    };
    println!("{} {:?}", n, seen);
    let _ = Light::Amber;
}
""",
}


async def test_remaining_errors_point_into_the_fixed_text():
    """The import rustc names is added (a line above everything), the non-exhaustive match stays (no
    model): its range is in the new text, the initial errors' ranges in the text as it was."""
    async with stdio_session() as s:
        fix = _structured(await s.call_tool("compile_and_fix", {"files": PARTLY_FIXABLE, "use_model": False}))
    assert fix["fixed"] is False, fix["trace"]
    new = fix["files"]["src/main.rs"].splitlines()
    old = PARTLY_FIXABLE["src/main.rs"].splitlines()
    assert new[0].startswith("use std::collections::HashMap;")
    [left] = fix["remaining_errors"]
    assert left["code"] == "E0004"
    r = left["range"]["start"]
    assert new[r["line"]][r["character"]:].startswith("light"), (r, new[r["line"]])
    [gone] = [e for e in fix["fixed_errors"] if e["code"] == "E0433"]
    g = gone["range"]["start"]
    assert old[g["line"]][g["character"]:].startswith("HashMap"), (g, old[g["line"]])


async def test_write_applies_the_fix_and_records_it_pending(crate):
    root = crate("typo")
    async with stdio_session() as s:
        fix = _structured(await s.call_tool("compile_and_fix", {"path": str(root), "write": True,
                                                                "use_model": False}))
        found = _structured(await s.call_tool("search_knowledge_base", {"query": fix["initial_errors"][0]["message"]}))
    assert fix["fixed"] is True and fix["written"] == ["src/lib.rs"]
    assert (root / "src/lib.rs.ferrofix.bak").is_file()
    assert (root / "src/lib.rs").read_text() == fix["files"]["src/lib.rs"]
    assert [(r["status"], r["source"]) for r in found["records"]] == [("pending", "accepted-fix")]


async def test_explain_search_and_record_accepted():
    async with stdio_session() as s:
        rec = _structured(await s.call_tool("record_accepted", {
            "code": "e0382", "message": "borrow of moved value: `v`",
            "before": "let w = v;\nprintln!(\"{v:?}\");", "after": "let w = v.clone();\nprintln!(\"{v:?}\");"}))
        again = _structured(await s.call_tool("record_accepted", {
            "code": "E0382", "message": "borrow of moved value: `v`",
            "before": "let w = v;\nprintln!(\"{v:?}\");", "after": "let w = v.clone();\nprintln!(\"{v:?}\");"}))
        ex = _structured(await s.call_tool("explain", {"code": "382"}))
        hits = _structured(await s.call_tool("search_knowledge_base", {"query": "moved value", "code": "E0382"}))
    assert rec["new"] is True and rec["status"] == "pending"
    assert again == {"id": rec["id"], "new": False, "status": "pending"}
    assert ex["code"] == "E0382" and "moved" in ex["explanation"]
    assert [r["id"] for r in ex["records"]] == [rec["id"]]
    assert [r["id"] for r in hits["records"]] == [rec["id"]] and hits["records"][0]["after"].startswith("let w")


async def test_bad_calls_are_tool_errors_and_the_server_keeps_serving(crate, tmp_path):
    root = crate("moved_value")
    async with stdio_session() as s:
        wrong_type = await s.call_tool("check", {"path": 42})
        both = await s.call_tool("check", {"path": str(root), "files": {"Cargo.toml": ""}})
        not_cargo = await s.call_tool("compile_and_fix", {"path": str(tmp_path), "use_model": False})
        escape = await s.call_tool("check", {"files": {"Cargo.toml": "", "../evil.rs": "fn main() {}"}})
        bad_code = await s.call_tool("explain", {"code": "not-a-code"})
        write_inline = await s.call_tool("compile_and_fix", {"files": {"Cargo.toml": ""}, "write": True})
        still = _structured(await s.call_tool("check", {"path": str(root)}))
    assert wrong_type.is_error and "path" in wrong_type.content[0].text  # the SDK's validation error
    for r in (both, not_cargo, escape, bad_code, write_inline):
        assert r.is_error, r
        text = r.content[0].text
        assert "Traceback" not in text and len(text.splitlines()) == 1, text
        assert text.startswith("ferrofix: error: "), text  # the CLI's own line
    assert "give either path" in both.content[0].text
    assert not_cargo.content[0].text.startswith("ferrofix: error:") and "Cargo.toml" in not_cargo.content[0].text
    assert "../evil.rs" in escape.content[0].text and not (tmp_path.parent / "evil.rs").exists()
    assert still["errors"] == 1


def _cargo_processes_under(path: Path) -> list[int]:
    """Pids of running processes whose command line or working directory mentions `path`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(d / "cwd")
        except OSError:
            continue
        if str(path) in cmd or cwd.startswith(str(path)) or "slow_build" in cmd and "build-script" in cmd:
            found.append(int(d.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc for the killed cargo")
async def test_cancelling_compile_and_fix_kills_cargo_and_the_server_goes_on(crate):
    slow = crate("slow_build")  # its build script sleeps 40 s
    quick = crate("moved_value")
    async with stdio_session() as s:
        started = anyio.Event()

        async def on_progress(progress, total, message):
            if message and "check" in message:
                started.set()

        async with anyio.create_task_group() as tg:
            async def call():
                await s.call_tool("compile_and_fix", {"path": str(slow), "use_model": False},
                                  progress_callback=on_progress)
                pytest.fail("the cancelled call returned")
            tg.start_soon(call)
            with anyio.fail_after(60):
                await started.wait()
            deadline = time.monotonic() + 30
            while not _cargo_processes_under(slow) and time.monotonic() < deadline:
                await anyio.sleep(0.2)
            assert _cargo_processes_under(slow), "the build script never started"
            tg.cancel_scope.cancel()  # the SDK sends notifications/cancelled
        t0 = time.monotonic()
        still = _structured(await s.call_tool("check", {"path": str(quick)}))
        assert still["errors"] == 1
        deadline = time.monotonic() + 20
        while _cargo_processes_under(slow) and time.monotonic() < deadline:
            await anyio.sleep(0.2)
        assert _cargo_processes_under(slow) == []
        assert time.monotonic() - t0 < 35  # well before the 40 s build script would have ended


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def http_server():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "ferrofix", "mcp", "--http", f"127.0.0.1:{port}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}/mcp", proc
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert out == b"", out  # nothing on stdout, even over HTTP


async def test_streamable_http_serves_the_same_tools(http_server, crate):
    url, _proc = http_server
    root = crate("moved_value")
    files = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    slow = crate("slow_build")
    async with streamable_http_client(url) as (read, write):
        async with ClientSession(read, write) as s:
            await s.initialize()
            names = {t.name for t in (await s.list_tools()).tools}
            chk = _structured(await s.call_tool("check", {"path": str(root)}))
            fix = _structured(await s.call_tool("compile_and_fix", {"files": files, "use_model": False}))
            rec = _structured(await s.call_tool("record_accepted", {"code": "E0382", "message": "use of moved value",
                                                                    "before": "let b = a;", "after": "let b = a.clone();"}))
            ex = _structured(await s.call_tool("explain", {"code": "E0382"}))
            hits = _structured(await s.call_tool("search_knowledge_base", {"query": "moved value"}))
            bad = await s.call_tool("compile_and_fix", {"path": str(root), "timeout_s": -1})
            # a cancellation over HTTP: the long call goes, the session and the server stay
            with anyio.move_on_after(8):
                await s.call_tool("compile_and_fix", {"path": str(slow), "use_model": False})
                pytest.fail("the slow build finished before the cancellation")
            after = _structured(await s.call_tool("check", {"path": str(root)}))
    assert names == TOOLS
    assert chk["errors"] == 1 and after["errors"] == 1
    assert fix["fixed"] is True and "greeting.clone()" in fix["files"]["src/main.rs"]
    assert ex["records"][0]["id"] == rec["id"] and hits["records"][0]["id"] == rec["id"]
    assert bad.is_error
    deadline = time.monotonic() + 20
    while _cargo_processes_under(slow) and time.monotonic() < deadline:
        await anyio.sleep(0.2)
    assert _cargo_processes_under(slow) == []


def test_http_address_is_parsed_and_checked():
    from ferrofix.errors import FerrofixError
    from ferrofix.mcp_server import parse_http
    assert parse_http("8765") == ("127.0.0.1", 8765)
    assert parse_http(":8765") == ("127.0.0.1", 8765)
    assert parse_http("[::1]:9") == ("::1", 9)
    for bad in ("host:port", "1:99999"):
        with pytest.raises(FerrofixError):
            parse_http(bad)
    with pytest.raises(FerrofixError, match="not a loopback address"):
        parse_http("0.0.0.0:9")  # no authentication: only on request
    assert parse_http("0.0.0.0:9", allow_remote=True) == ("0.0.0.0", 9)


async def test_compile_and_fix_asks_the_model_of_the_shared_settings(crate, openai_server, isolated_dirs):
    """The model stage runs behind the tool with the settings every front end reads (here the
    OpenAI-compatible backend, a scripted server), on an inline project."""
    from conftest import MATCH_ARM_FIX
    model = openai_server(lambda req: MATCH_ARM_FIX)
    (isolated_dirs / "settings.toml").write_text(f'[llm]\nbackend = "openai"\nurl = "{model.url}"\n')
    root = crate("match_arm")
    files = {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}
    async with stdio_session() as s:
        fix = _structured(await s.call_tool("compile_and_fix", {"files": files}))
        without = _structured(await s.call_tool("compile_and_fix", {"files": files, "use_model": False}))
    assert fix["fixed"] is True and len(model.requests) >= 1
    assert "Shape::Triangle(b, h) => 0.5 * b * h," in fix["files"]["src/lib.rs"]
    assert any(a["stage"].startswith("model") and a["outcome"] == "accepted" for a in fix["trace"]), fix["trace"]
    assert without["fixed"] is False and [e["code"] for e in without["remaining_errors"]] == ["E0004"]


async def test_generate_tool_writes_a_crate_that_compiles(openai_server, isolated_dirs, tmp_path):
    from test_generate import DRAFT
    model = openai_server(lambda req: DRAFT)
    (isolated_dirs / "settings.toml").write_text(f'[llm]\nbackend = "openai"\nurl = "{model.url}"\n'
                                                 '[repair]\nsamples = 0\n')
    out = tmp_path / "made"
    async with stdio_session() as s:
        g = _structured(await s.call_tool("generate", {"description": "Sum the even numbers of a slice.",
                                                       "requirements": "- `pub fn sum_even(xs: &[i64]) -> i64`",
                                                       "path": str(out)}))
        again = await s.call_tool("generate", {"description": "x", "path": str(out)})
    assert g["compiled"] is True and g["repaired"] is True and g["tests_passed"] is None
    assert sorted(g["written"]) == ["Cargo.toml", "src/lib.rs"]
    assert (out / "src/lib.rs").read_text() == g["files"]["src/lib.rs"]
    assert any("regex" in n for n in g["notes"]) and g["templates"]
    assert again.is_error and "not an empty directory" in again.content[0].text
