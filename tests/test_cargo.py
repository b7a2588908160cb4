"""The cargo runner's clear errors: no cargo, not a project, broken manifest, timeout, cancellation."""

import threading

import pytest

from ferrofix.cargo import Cancellation, CheckOptions, default_target_dir, locate_workspace, run_check
from ferrofix.errors import (CargoManifestError, CargoNotFoundError, CheckCancelledError, CheckTimeoutError,
                             NotACargoProjectError)


def test_not_a_cargo_project(tmp_path):
    with pytest.raises(NotACargoProjectError, match="not a cargo project"):
        locate_workspace(tmp_path)


def test_missing_path(tmp_path):
    with pytest.raises(NotACargoProjectError, match="no such file"):
        locate_workspace(tmp_path / "nope")


def test_broken_manifest_gives_cargos_message(crate):
    with pytest.raises(CargoManifestError) as e:
        locate_workspace(crate("broken_manifest"))
    msg = str(e.value)
    assert "Cargo.toml" in msg and "\n" not in msg
    assert "unclosed table" in msg


def test_unfetchable_dependency_is_a_clear_error(crate):
    root = crate("clean")
    (root / "Cargo.toml").write_text((root / "Cargo.toml").read_text() + 'no_such_crate_xyz = "1"\n')
    with pytest.raises(CargoManifestError, match="no_such_crate_xyz"):
        run_check(root)


def test_cargo_missing(monkeypatch, crate):
    root = crate("clean")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CARGO", raising=False)
    with pytest.raises(CargoNotFoundError, match="cargo not found"):
        locate_workspace(root)


def test_timeout_kills_the_check(crate):
    root = crate("clean")
    (root / "build.rs").write_text("fn main() { std::thread::sleep(std::time::Duration::from_secs(60)); }\n")
    with pytest.raises(CheckTimeoutError, match="longer than"):
        run_check(root, CheckOptions(timeout_s=3))


def test_cancel_kills_the_check(crate):
    root = crate("clean")
    (root / "build.rs").write_text("fn main() { std::thread::sleep(std::time::Duration::from_secs(60)); }\n")
    cancel = Cancellation()
    threading.Timer(2.0, cancel.cancel).start()
    with pytest.raises(CheckCancelledError):
        run_check(root, CheckOptions(timeout_s=120), cancel=cancel)


def test_own_target_dir_leaves_the_crate_clean(crate):
    root = crate("clean")
    run_check(root)
    assert not (root / "target").exists()
    assert default_target_dir(root).is_dir()
