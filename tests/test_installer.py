"""installer/install.sh into a temporary HOME and venv prefix, reusing the llama-cpp-python wheel and
pip's and npm's caches: the result runs, records its interpreter, builds and installs the extension."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _real_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")


def test_install_sh_into_a_temporary_home(tmp_path):
    wheels = sorted((_real_cache() / "ferrofix" / "wheels").glob("llama_cpp_python-*.whl"))
    if not wheels:
        pytest.skip("no llama-cpp-python wheel in the cache yet (the README's install command builds it)")
    if shutil.which("bash") is None:
        pytest.skip("bash is missing")
    home = tmp_path / "home"
    (home / ".cache" / "ferrofix" / "wheels").mkdir(parents=True)
    for w in wheels:
        shutil.copy(w, home / ".cache" / "ferrofix" / "wheels")
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    code_log = tmp_path / "code.log"
    (fake_bin / "code").write_text(f"#!/bin/sh\necho \"$@\" >> {code_log}\n")
    (fake_bin / "code").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FERROFIX_", "XDG_", "VIRTUAL_ENV"))}
    # rustup's proxies find their toolchains through RUSTUP_HOME/CARGO_HOME, which default to HOME
    env.setdefault("RUSTUP_HOME", str(Path.home() / ".rustup"))
    env.setdefault("CARGO_HOME", str(Path.home() / ".cargo"))
    env.update(HOME=str(home), PATH=f"{fake_bin}:{env['PATH']}",
               PIP_CACHE_DIR=str(_real_cache() / "pip"), npm_config_cache=str(Path.home() / ".npm"))
    venv = tmp_path / "prefix" / "venv"
    p = subprocess.run(["bash", str(ROOT / "installer" / "install.sh"), "--no-model", "--venv", str(venv)],
                       env=env, capture_output=True, text=True, timeout=1500)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "VS Code extension:" in p.stderr and "language server:" in p.stderr
    assert "install.sh: time per step (total" in p.stderr and "s  installing ferrofix from" in p.stderr
    assert subprocess.run([venv / "bin" / "ferrofix", "--help"], capture_output=True, env=env).returncode == 0
    assert subprocess.run([venv / "bin" / "python", "-c", "import ferrofix_lsp.server, pygls"],
                          capture_output=True, env=env).returncode == 0
    assert (home / ".cache" / "ferrofix" / "python-path").read_text().strip() == str(venv / "bin" / "python")
    if shutil.which("rustc"):
        db = home / ".local" / "share" / "ferrofix" / "kb" / "kb.sqlite3"
        with sqlite3.connect(db) as c:
            assert c.execute("SELECT count(*) FROM records").fetchone()[0] > 100
    if shutil.which("npm") and shutil.which("node"):
        vsix = ROOT / "vscode-extension" / "ferrofix.vsix"
        assert vsix.is_file()
        assert f"--install-extension {vsix}" in code_log.read_text()
    else:
        assert "node/npm not found" in p.stderr
    entry = home / ".local" / "share" / "applications" / "ferrofix-desktop.desktop"
    assert f"Exec={venv}/bin/python -m ferrofix_desktop" in entry.read_text()
    # idempotent: a second run reuses everything and succeeds
    p2 = subprocess.run(["bash", str(ROOT / "installer" / "install.sh"), "--no-model", "--no-vscode",
                         "--venv", str(venv)], env=env, capture_output=True, text=True, timeout=900)
    assert p2.returncode == 0, p2.stderr[-2000:]
