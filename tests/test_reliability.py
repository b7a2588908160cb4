"""Reliability: every child process tree dies with its parent, however the parent ends; time limits are
hard. The crate `endless_build` has a build script that writes its pid to $FERROFIX_TEST_MARKER and then
never ends, so a test knows which process must be gone afterwards."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals and /proc: POSIX")


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z"


def until(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def build_script_pid(marker: Path, proc: subprocess.Popen) -> int:
    """The pid the build script wrote, once it runs (fails if `proc` ends first)."""
    def ready():
        assert proc.poll() is None, f"ended early: {proc.communicate()}"
        return marker.is_file() and marker.read_text().strip().isdigit() and int(marker.read_text())
    pid = until(ready, 180, "the build script to start")
    assert alive(pid)
    return pid


@pytest.fixture
def endless(crate, tmp_path):
    """(crate root, environment with the marker, marker path)."""
    root = crate("endless_build")
    marker = tmp_path / "build-script.pid"
    return root, dict(os.environ, FERROFIX_TEST_MARKER=str(marker)), marker


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGINT])
def test_a_killed_ferrofix_check_takes_its_build_with_it(endless, sig):
    root, env, marker = endless
    # SIGINT as a terminal sends it: a shell starts background jobs (`nohup … &`) with SIGINT ignored,
    # which Python then leaves ignored, so the child gets the default disposition back first
    p = subprocess.Popen([sys.executable, "-m", "ferrofix", "check", str(root)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pid = build_script_pid(marker, p)
    p.send_signal(sig)
    p.wait(30)
    until(lambda: not alive(pid), 10, f"the build script {pid} to die after {sig.name} to ferrofix")


def test_fix_timeout_is_a_hard_limit_over_the_checks_own(endless, isolated_dirs):
    root, env, marker = endless
    Path(env["FERROFIX_CONFIG"]).write_text("[check]\ntimeout_s = 120\n")
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "ferrofix", "fix", str(root), "--no-llm", "--timeout", "5"], env=env,
                       capture_output=True, text=True, timeout=200)
    took = time.monotonic() - t0
    assert p.returncode == 2 and "took longer than" in p.stderr, (p.returncode, p.stderr)
    assert took < 60, f"--timeout 5 took {took:.0f} s (the check's own limit is 120 s)"
    pid = int(marker.read_text())
    until(lambda: not alive(pid), 10, "the build script to die")


class RawLsp:
    """`python -m ferrofix_lsp` on pipes, spoken to byte by byte (to end it every way a client can)."""

    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-m", "ferrofix_lsp"], env=env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 0

    def send(self, method: str, params=None, *, request: bool = False) -> None:
        msg = {"jsonrpc": "2.0", "method": method, "params": params}
        if request:
            self.next_id += 1
            msg["id"] = self.next_id
        body = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()

    def start(self, root: Path) -> None:
        self.send("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": {},
                                 "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}]}, request=True)
        self.send("initialized", {})


@pytest.mark.parametrize("how", ["sigterm", "exit-without-shutdown", "shutdown-and-exit", "stdin-closed"])
def test_the_language_server_ends_at_once_and_takes_its_build_with_it(endless, how):
    root, env, marker = endless
    lsp = RawLsp(env)
    try:
        lsp.start(root)
        pid = build_script_pid(marker, lsp.proc)
        if how == "sigterm":
            lsp.proc.terminate()
        elif how == "exit-without-shutdown":
            lsp.send("exit")
        elif how == "shutdown-and-exit":
            lsp.send("shutdown", request=True)
            lsp.send("exit")
        else:
            lsp.proc.stdin.close()
        lsp.proc.wait(15)  # check.timeout_s is 300: the server must not wait for the check
        until(lambda: not alive(pid), 10, f"the build script to die after {how}")
    finally:
        if lsp.proc.poll() is None:
            lsp.proc.kill()


# -- real workspaces: path dependencies outside the root, symbolic links, encodings, writes -----------

MOVED = """pub fn twice() -> String {
    let s = String::from("a");
    let t = s;
    format!("{s}{t}")
}
"""


def ff(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ferrofix", *map(str, args)], capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=300)


def package(root: Path, name: str, deps: str = "", main: str | None = None, lib: str | None = None) -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\nedition = "2021"\n\n'
                                     f"[dependencies]\n{deps}")
    if main is not None:
        (root / "src" / "main.rs").write_text(main)
    if lib is not None:
        (root / "src" / "lib.rs").write_text(lib)
    return root


def test_a_path_dependency_outside_the_workspace_resolves_to_the_original(tmp_path):
    dep = package(tmp_path / "a" / "outside" / "dep", "dep", lib='pub fn name() -> String { "dep".into() }\n')
    dep_before = (dep / "src" / "lib.rs").read_bytes()
    app = package(tmp_path / "a" / "b" / "app", "app", deps='dep = { path = "../../outside/dep" }\n',
                  main="mod m;\nfn main() { println!(\"{} {}\", dep::name(), m::twice()); }\n")
    (app / "src" / "m.rs").write_text(MOVED)
    p = ff("fix", app, "--no-llm", "--write")
    assert p.returncode == 0, p.stderr
    assert "let t = s.clone();" in (app / "src" / "m.rs").read_text()
    assert (dep / "src" / "lib.rs").read_bytes() == dep_before
    assert '"../../outside/dep"' in (app / "Cargo.toml").read_text()  # the user's manifest untouched


def test_pin_outside_paths_keeps_inside_paths_and_formatting(tmp_path):
    from ferrofix.mirror import pin_outside_paths
    root = tmp_path / "ws"
    manifest = ('# app\n[dependencies]\nin = { path = "crates/in" }  # inside\nout = { path = "../out" }\n'
                '[target.\'cfg(unix)\'.dev-dependencies]\nu = { path = "../../u", version = "1" }\n'
                '[patch.crates-io]\np = { path = "../p" }\n').encode()
    pinned = pin_outside_paths(manifest, root, root).decode()
    assert 'in = { path = "crates/in" }  # inside' in pinned and pinned.startswith("# app\n")
    assert f'out = {{ path = "{tmp_path / "out"}" }}' in pinned
    assert f'path = "{tmp_path.parent / "u"}"' in pinned and f'path = "{tmp_path / "p"}"' in pinned
    assert pin_outside_paths(b"not [ toml", root, root) == b"not [ toml"


def test_write_through_a_symlink_inside_the_workspace_writes_its_target(tmp_path):
    app = package(tmp_path / "app", "app", main="mod ext;\nfn main() { println!(\"{}\", ext::twice()); }\n")
    (app / "shared").mkdir()
    (app / "shared" / "ext.rs").write_text(MOVED)
    (app / "src" / "ext.rs").symlink_to("../shared/ext.rs")
    p = ff("fix", app, "--no-llm", "--write")
    assert p.returncode == 0, p.stderr
    assert (app / "src" / "ext.rs").is_symlink()
    assert "let t = s.clone();" in (app / "shared" / "ext.rs").read_text()
    assert (app / "shared" / "ext.rs.ferrofix.bak").read_text() == MOVED


def test_write_through_a_symlink_leaving_the_workspace_is_refused(tmp_path):
    outside = tmp_path / "elsewhere" / "ext.rs"
    outside.parent.mkdir()
    outside.write_text(MOVED)
    app = package(tmp_path / "app", "app", main="mod ext;\nfn main() { println!(\"{}\", ext::twice()); }\n")
    (app / "src" / "ext.rs").symlink_to(outside)
    before = (app / "src" / "main.rs").read_bytes()
    p = ff("fix", app, "--no-llm", "--write")
    assert p.returncode == 2 and "outside the workspace" in p.stderr, (p.returncode, p.stderr)
    assert outside.read_text() == MOVED and (app / "src" / "ext.rs").is_symlink()
    assert (app / "src" / "main.rs").read_bytes() == before
    assert not list(tmp_path.rglob("*.ferrofix.bak*")) and not list(tmp_path.rglob("*ferrofix-tmp"))


def test_a_symlinked_module_directory_is_mirrored_as_cargo_sees_it(tmp_path):
    app = package(tmp_path / "app", "app", main="mod m;\nfn main() { println!(\"{}\", m::twice()); }\n")
    (app / "real_m").mkdir()
    (app / "real_m" / "mod.rs").write_text(MOVED)
    (app / "src" / "m").symlink_to("../real_m", target_is_directory=True)
    p = ff("fix", app, "--no-llm", "--json")
    out = json.loads(p.stdout)
    assert [e["code"] for e in out["initial_errors"]] == ["E0382"], out["initial_errors"]
    assert out["fixed"] is True


def test_a_non_utf8_rs_file_cargo_never_reads_is_no_obstacle(crate):
    root = crate("moved_value")
    (root / "tests" / "data").mkdir(parents=True)
    (root / "tests" / "data" / "latin1.rs").write_bytes(b"// caf\xe9\n")
    p = ff("fix", root, "--no-llm", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["fixed"] is True, p.stderr


def test_a_second_write_keeps_the_first_backup(tmp_path):
    from ferrofix.writes import write_files
    f = tmp_path / "a.rs"
    f.write_text("one")
    first = write_files(tmp_path, {"a.rs": b"two"})
    second = write_files(tmp_path, {"a.rs": b"three"})
    assert f.read_text() == "three"
    assert first[0].backup.read_text() == "one" and second[0].backup.read_text() == "two"
    assert first[0].backup != second[0].backup


def test_a_failed_multi_file_write_changes_nothing_and_leaves_no_temp(tmp_path, monkeypatch):
    from ferrofix import writes
    from ferrofix.writes import WriteRefusedError, write_files
    (tmp_path / "a.rs").write_text("a")
    (tmp_path / "b.rs").write_text("b")
    real_replace, calls = os.replace, []

    def failing_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)
    monkeypatch.setattr(writes.os, "replace", failing_second)
    with pytest.raises(WriteRefusedError, match="rolled back"):
        write_files(tmp_path, {"a.rs": b"A", "b.rs": b"B"})
    assert (tmp_path / "a.rs").read_text() == "a" and (tmp_path / "b.rs").read_text() == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rs", "b.rs"]


# -- scope: the workspace folders only; no model-written code that cargo runs at build time ------------

BUILD_RS = """enum Mode {
    A,
    B,
}

fn pick(m: Mode) -> u8 {
    match m {
        Mode::A => 1,
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let _ = pick(Mode::B);
}
"""
BUILD_FIX = "<<<<<<< SEARCH\n        Mode::A => 1,\n=======\n        Mode::A => 1,\n        Mode::B => 2,\n>>>>>>> REPLACE"


@pytest.mark.parametrize("allow", [False, True])
def test_model_edits_to_a_build_script_need_allow_build_scripts(tmp_path, allow):
    from ferrofix.llm import ScriptedEngine
    from ferrofix.repair import RepairOptions, repair
    app = package(tmp_path / "app", "app", main="fn main() {}\n")
    (app / "build.rs").write_text(BUILD_RS)
    res = repair(app, RepairOptions(samples=0, max_rounds=2, allow_build_scripts=allow),
                 engine=ScriptedEngine([BUILD_FIX] * 4))
    assert res.fixed is allow
    reasons = [a.reason for a in res.trace if a.stage == "model"]
    assert any("build time" in r and "repair.allowBuildScripts" in r for r in reasons) is not allow, reasons
    assert (app / "build.rs").read_text() == BUILD_RS  # repair never writes the user's files


async def test_the_language_server_acts_only_inside_its_workspace_folders(crate, tmp_path):
    from lsprotocol import types

    from lsp_client import start, stop
    inside = crate("moved_value")
    outside = package(tmp_path / "elsewhere", "elsewhere", main=(inside / "src" / "main.rs").read_text())
    client = await start([inside])
    try:
        await client.until(lambda: client.checks(finished=True) >= 1)
        client.save(outside / "src" / "main.rs")
        client.save(inside / "src" / "main.rs")
        await client.until(lambda: client.checks(finished=True) >= 2)
        assert client.checks() == 2, "a check ran for a file outside the workspace folders"
        assert client.diagnostics(outside / "src" / "main.rs") is None
        err = client.diagnostics(inside / "src" / "main.rs")[0]
        assert await client.code_actions(outside / "src" / "main.rs", [err]) == []
        assert await client.code_actions(Path("/etc/passwd"), [err]) == []
        assert await client.code_actions(inside / "src" / "main.rs", [err])
        result = await client.lc.workspace_execute_command_async(types.ExecuteCommandParams(
            "ferrofix.server.fixWithAI", [(outside / "src" / "main.rs").as_uri(),
                                          client.lc.protocol._converter.unstructure(err)]))
        assert result["applied"] is False and "outside the workspace folders" in result["message"]
    finally:
        await stop(client)


def test_a_module_directory_linked_from_outside_is_seen_but_never_written(tmp_path):
    shared_m = tmp_path / "shared_m"
    shared_m.mkdir()
    (shared_m / "mod.rs").write_text(MOVED)
    app = package(tmp_path / "app", "app", main="mod m;\nfn main() { println!(\"{}\", m::twice()); }\n")
    (app / "src" / "m").symlink_to(shared_m, target_is_directory=True)
    p = ff("fix", app, "--no-llm", "--json", "--write")
    out = json.loads(p.stdout)
    assert [e["code"] for e in out["initial_errors"]] == ["E0382"], out["initial_errors"]
    assert out["fixed"] is False and out["written"] == []
    assert (shared_m / "mod.rs").read_text() == MOVED and not list(shared_m.iterdir())[1:]
