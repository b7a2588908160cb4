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
    p = subprocess.Popen([sys.executable, "-m", "ferrofix", "check", str(root)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
