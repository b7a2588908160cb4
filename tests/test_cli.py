"""The `ferrofix` command: output contract, exit codes, never touching files without --write."""

import json
import os
import subprocess
import sys
from pathlib import Path


from .conftest import tree_bytes


def ff(*args, env=None, cwd=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "ferrofix", *map(str, args)], capture_output=True, text=True,
                          env=e, cwd=cwd, timeout=600)


def assert_one_line_error(p, *needles):
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, p.stderr
    assert "Traceback" not in p.stderr
    assert lines[0].startswith("ferrofix: error:")
    for n in needles:
        assert n in lines[0], lines[0]


def test_fix_without_write_leaves_crate_byte_identical(crate):
    root = crate("moved_value")
    before = tree_bytes(root)
    p = ff("fix", root, "--no-llm", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) >= {"fixed", "initial_errors", "remaining_errors", "diff", "stages", "elapsed_ms"}
    assert out["fixed"] is True and out["remaining_errors"] == []
    assert out["initial_errors"][0]["code"] == "E0382"
    assert "+    let moved = greeting.clone();" in out["diff"]
    assert isinstance(out["elapsed_ms"], int)
    assert tree_bytes(root) == before


def test_fixed_true_means_cargo_check_passes(crate):
    root = crate("typo")
    p = ff("fix", root, "--no-llm", "--json", "--write")
    out = json.loads(p.stdout)
    assert out["fixed"] is True and p.returncode == 0
    assert (root / "src/lib.rs.ferrofix.bak").is_file()
    chk = subprocess.run(["cargo", "check"], cwd=root, capture_output=True, text=True,
                         env=dict(os.environ, CARGO_TARGET_DIR=str(root.parent / "verify-target")))
    assert chk.returncode == 0, chk.stderr


def test_errors_remaining_exit_1(crate):
    root = crate("match_arm")
    p = ff("fix", root, "--no-llm", "--json")
    out = json.loads(p.stdout)
    assert p.returncode == 1 and out["fixed"] is False
    assert out["remaining_errors"][0]["code"] == "E0004"


def test_human_output_shows_errors_trace_diff_and_time(crate):
    p = ff("fix", crate("moved_value"), "--no-llm")
    assert p.returncode == 0
    assert "E0382" in p.stderr and "rustc-suggestion" in p.stderr and "fixed: cargo check passes" in p.stderr
    assert "greeting.clone()" in p.stdout


def test_check_json(crate):
    p = ff("check", crate("typo"), "--json")
    assert p.returncode == 1
    [d] = json.loads(p.stdout)
    assert d["code"] == "E0425" and d["line"] == 6


def test_not_a_cargo_project(tmp_path):
    assert_one_line_error(ff("fix", tmp_path, "--no-llm"), "not a cargo project")


def test_no_cargo_on_path(crate):
    root = crate("clean")
    p = ff("check", root, env={"PATH": str(Path(sys.executable).parent), "CARGO": ""})
    assert_one_line_error(p, "cargo not found")


def test_broken_cargo_toml(crate):
    assert_one_line_error(ff("fix", crate("broken_manifest"), "--no-llm"), "Cargo.toml", "unclosed table")


def test_non_utf8_source(crate):
    root = crate("clean")
    (root / "src" / "lib.rs").write_bytes(b"// caf\xe9\npub fn f() {}\n")
    before = tree_bytes(root)
    assert_one_line_error(ff("fix", root, "--no-llm"), "not valid UTF-8")
    assert tree_bytes(root) == before


def test_missing_gguf(crate, tmp_path):
    assert_one_line_error(ff("fix", crate("typo"), "--model", tmp_path / "nope.gguf"), "model not found")


def test_corrupt_gguf(crate, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + os.urandom(200))
    assert_one_line_error(ff("fix", crate("match_arm"), "--model", bad), "bad.gguf")
    notgguf = tmp_path / "plain.gguf"
    notgguf.write_bytes(b"hello world")
    assert_one_line_error(ff("models", "import", notgguf), "not a GGUF file")


def test_model_answering_garbage(crate, isolated_dirs, openai_server):
    model = openai_server(lambda req: '{"edits": [oops')
    cfg = isolated_dirs / "settings.toml"
    cfg.write_text(f'[llm]\nbackend = "openai"\nurl = "{model.url}"\n')
    root = crate("match_arm")
    before = tree_bytes(root)
    p = ff("fix", root, "--write")
    assert_one_line_error(p, "nothing that parses")
    assert tree_bytes(root) == before


def test_unknown_option_is_usage_error(crate):
    p = ff("fix", crate("clean"), "--bogus")
    assert p.returncode == 2 and "Traceback" not in p.stderr


def test_explain():
    p = ff("explain", "E0382")
    assert p.returncode == 0 and "moved" in p.stdout
    assert_one_line_error(ff("explain", "E9999"), "E9999")
    assert_one_line_error(ff("explain", "hello"), "not an error code")


def test_openai_backend_fix_and_write(crate, isolated_dirs, openai_server):
    from .conftest import MATCH_ARM_FIX
    model = openai_server(lambda req: MATCH_ARM_FIX)
    (isolated_dirs / "settings.toml").write_text(f'[llm]\nbackend = "openai"\nurl = "{model.url}"\n')
    root = crate("match_arm")
    p = ff("fix", root, "--write", "--json")
    out = json.loads(p.stdout)
    assert p.returncode == 0 and out["fixed"] and out["tokens"] == 130
    assert out["written"] == ["src/lib.rs"]
    assert "Shape::Triangle(b, h)" in (root / "src/lib.rs").read_text()
    assert "Shape::Triangle" not in (root / "src/lib.rs.ferrofix.bak").read_text().split("match")[1]
    assert model.requests[0]["messages"][0]["role"] == "system" and model.requests[0]["stream"] is True


def test_a_partial_repair_is_recorded_under_the_error_it_fixed(crate):
    """A dev-dependency the build cannot find stays an error after `fix --write`; the fix of the
    library's own error is still a fix the user accepted, recorded under that error, not the first."""
    root = crate("moved_value")
    main = root / "src/main.rs"
    main.write_text("#[cfg(test)]\nuse nosuchcrate::Thing;\n\n" + main.read_text())
    p = ff("fix", root, "--no-llm", "--write", "--json")
    out = json.loads(p.stdout)
    assert not out["fixed"] and out["written"] == ["src/main.rs"], out
    assert [e["code"] for e in out["remaining_errors"]] == ["E0432"], out
    [hit] = json.loads(ff("kb", "search", "borrow of moved value", "--json").stdout)
    assert hit["code"] == "E0382" and hit["source"] == "accepted-fix" and "greeting.clone()" in hit["after"]


def test_write_records_the_accepted_fix_in_the_kb(crate):
    root = crate("moved_value")
    p = ff("fix", root, "--no-llm", "--write", "--json")
    assert json.loads(p.stdout)["fixed"]
    st = json.loads(ff("kb", "stats", "--json").stdout)
    assert st["records"] == 1 and st["by_status"] == {"pending": 1} and st["by_source"] == {"accepted-fix": 1}
    [hit] = json.loads(ff("kb", "search", "borrow of moved value", "--json").stdout)
    assert hit["code"] == "E0382" and "greeting.clone()" in hit["after"]
