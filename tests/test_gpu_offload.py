"""GPU offload (issue 21 item 6): the `llm.gpu_layers` setting (TOML and camelCase), what it resolves to
on this llama.cpp build, the engine passing it to llama.cpp (real loads of SmolLM2-135M with
n_gpu_layers 0 and -1 on a CPU-only build), `ferrofix models info --json`, and the installer's choice of
backend, CMAKE_ARGS and wheel-cache directory (installer/llama-backend.sh, sourced in bash with fake
`nvcc` and `uname` on PATH: the installer itself is never run here)."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import llama_cpp
import pytest

from ferrofix import llm, service
from ferrofix.llm import BackendInfo, LlamaCppEngine, backend_info, describe_backend, gpu_layers_in_effect
from ferrofix.settings import Settings, from_dict, load

ROOT = Path(__file__).resolve().parents[1]
GPU = BackendInfo("CUDA", True, ("CUDA0 (NVIDIA GeForce RTX 4060 Laptop GPU)", "CPU (x86)"), "CUDA : ARCHS = 890 |")
CPU = BackendInfo("CPU", False, ("CPU (x86)",), "CPU : AVX2 = 1 |")


# -- the setting ---------------------------------------------------------------------------------------
def test_gpu_layers_defaults_to_automatic():
    assert Settings().llm.gpu_layers == -1


def test_gpu_layers_from_toml(tmp_path):
    p = tmp_path / "settings.toml"
    p.write_text("[llm]\ngpu_layers = 20\n")
    s = load(p)
    assert s.llm.gpu_layers == 20 and s.warnings == []
    p.write_text("[llm]\ngpu_layers = -1\n")  # automatic, written out: no warning
    s = load(p)
    assert s.llm.gpu_layers == -1 and s.warnings == []


def test_gpu_layers_camel_case_as_the_lsp_sends_it():
    base = from_dict({"llm": {"gpu_layers": 12}})
    s = from_dict({"llm": {"gpuLayers": 0}}, base)
    assert s.llm.gpu_layers == 0 and s.warnings == []
    s = from_dict({"llm": {"gpuLayers": -1}}, base)  # a workspace back to automatic
    assert s.llm.gpu_layers == -1 and s.warnings == []


@pytest.mark.parametrize("bad", [-2, 2.5, "all", True])
def test_invalid_gpu_layers_warn_and_keep_the_previous_value(bad):
    s = from_dict({"llm": {"gpuLayers": bad}}, from_dict({"llm": {"gpu_layers": 8}}))
    assert s.llm.gpu_layers == 8
    assert len(s.warnings) == 1 and s.warnings[0].startswith(f"llm.gpu_layers: invalid value {bad!r}")


def test_other_numbers_still_may_not_be_negative():
    s = from_dict({"llm": {"nThreads": -1}})
    assert s.llm.n_threads == 0 and "not a finite number ≥ 0" in s.warnings[0]


# -- the backend and the layers in effect ----------------------------------------------------------------
def test_this_build_reports_its_backend():
    info = backend_info()
    assert not info.gpu_offload or llama_cpp.llama_supports_gpu_offload()
    assert any(d.startswith("CPU") for d in info.devices)
    if not info.gpu_offload:  # this machine: llama.cpp built for the CPU only
        assert info.name == "CPU"
    assert info.to_json()["backend"] == info.name


def test_automatic_resolves_to_no_layers_on_a_cpu_build():
    expected = -1 if backend_info().gpu_offload else 0
    assert gpu_layers_in_effect(-1) == expected
    assert not llama_cpp.llama_supports_gpu_offload(), "this test machine has no GPU backend"
    assert gpu_layers_in_effect(-1) == 0 and gpu_layers_in_effect(30) == 0


def test_layers_in_effect_with_and_without_a_gpu():
    assert gpu_layers_in_effect(-1, GPU) == -1 and gpu_layers_in_effect(20, GPU) == 20
    assert gpu_layers_in_effect(0, GPU) == 0
    assert gpu_layers_in_effect(-1, CPU) == 0 and gpu_layers_in_effect(20, CPU) == 0
    with pytest.raises(ValueError, match="-1"):
        gpu_layers_in_effect(-2, GPU)
    assert describe_backend(-1, GPU) == "CUDA: all layers on the GPU"
    assert describe_backend(20, GPU) == "CUDA: 20 layers on the GPU"
    assert describe_backend(0, GPU) == "CUDA: CPU only (gpu_layers = 0)"
    assert describe_backend(-1, CPU) == "CPU (llama.cpp without GPU offload)"


@pytest.mark.parametrize("devices, supports, expected", [
    ([("CUDA0", "NVIDIA RTX 4060", 1, "CUDA"), ("CPU", "x86", 0, "CPU")], True, ("CUDA", True)),
    ([("MTL0", "Apple M3", 2, "Metal"), ("BLAS", "Accelerate", 3, "BLAS"), ("CPU", "arm", 0, "CPU")], True,
     ("Metal", True)),
    ([("CPU", "x86", 0, "CPU")], True, ("CPU", False)),  # e.g. only the RPC backend built in: nothing to offload to
    ([("CPU", "x86", 0, "CPU")], False, ("CPU", False)),
])
def test_backend_from_the_device_registry(monkeypatch, devices, supports, expected):
    monkeypatch.setattr(llm, "_backend_cache", None)
    monkeypatch.setattr(llm, "_ggml_devices", lambda: devices)
    monkeypatch.setattr(llama_cpp, "llama_supports_gpu_offload", lambda: supports)
    info = backend_info()
    assert (info.name, info.gpu_offload) == expected
    assert info.devices[0] == f"{devices[0][0]} ({devices[0][1]})"


@pytest.mark.parametrize("info, offload, name", [
    ("CUDA : ARCHS = 890 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | CPU : SSE3 = 1 | AVX = 1", True, "CUDA"),
    ("Metal : EMBED_LIBRARY = 1 | BF16 = 1 | CPU : NEON = 1 | ARM_FMA = 1", True, "Metal"),
    ("BLAS : ACCELERATE = 1 | Vulkan : COOPMAT = 1 | CPU : AVX2 = 1", True, "Vulkan"),
    ("CPU : SSE3 = 1 | AVX2 = 1 | OPENMP = 1", True, "GPU"),
    ("CUDA : ARCHS = 890 | CPU : SSE3 = 1", False, "CPU"),
])
def test_backend_name_from_the_system_info_line(info, offload, name):
    assert llm._backend_from_system_info(info, offload) == name


# -- the engine ------------------------------------------------------------------------------------------
@pytest.fixture
def llama_calls(monkeypatch):
    """The keyword arguments of every `llama_cpp.Llama(...)` the engine makes (the real class still loads)."""
    calls: list[dict] = []
    real = llama_cpp.Llama

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)
    monkeypatch.setattr(llama_cpp, "Llama", spy)
    return calls


@pytest.mark.model
@pytest.mark.parametrize("setting", [0, -1])
def test_engine_loads_the_real_model_with_the_layers_in_effect(smollm, llama_calls, setting):
    eng = LlamaCppEngine(smollm, n_ctx=512, n_threads=2, n_seq_max=1, gpu_layers=setting)
    try:
        llm_obj = eng.load()
        assert llama_calls[-1]["n_gpu_layers"] == 0  # a CPU build: automatic means none
        assert eng.n_gpu_layers == 0 and llm_obj.model_params.n_gpu_layers == 0
        c = eng.chat([{"role": "user", "content": "Say hi."}], max_tokens=4)
        assert c.completion_tokens > 0
    finally:
        eng.close()


@pytest.mark.model
def test_all_layers_asked_of_a_cpu_build_still_loads(smollm, llama_calls, monkeypatch):
    """As on a laptop whose llama.cpp claims a GPU: -1 goes to llama.cpp as "all layers" (its 0x7FFFFFFF);
    the real CPU-only build takes it and runs everything on the CPU."""
    monkeypatch.setattr(llm, "backend_info", lambda: GPU)
    eng = LlamaCppEngine(smollm, n_ctx=512, n_threads=2, n_seq_max=1, gpu_layers=-1)
    try:
        llm_obj = eng.load()
        assert llama_calls[-1]["n_gpu_layers"] == -1 and eng.n_gpu_layers == -1
        assert llm_obj.model_params.n_gpu_layers == 0x7FFFFFFF
        assert eng.chat([{"role": "user", "content": "Say hi."}], max_tokens=4).completion_tokens > 0
    finally:
        eng.close()


def test_shared_engines_are_keyed_by_gpu_layers(smollm):
    made = []
    try:
        a = LlamaCppEngine.shared(smollm, n_ctx=1024, gpu_layers=-1)
        b = LlamaCppEngine.shared(smollm, n_ctx=1024, gpu_layers=0)
        made = [a, b]
        assert a is not b and (a.gpu_layers, b.gpu_layers) == (-1, 0)
        assert LlamaCppEngine.shared(smollm, n_ctx=1024, gpu_layers=0) is b
        assert LlamaCppEngine.shared(smollm, n_ctx=1024) is a  # automatic by default
    finally:
        with LlamaCppEngine._instances_lock:
            for key in [k for k, v in LlamaCppEngine._instances.items() if any(v is m for m in made)]:
                del LlamaCppEngine._instances[key]


def test_make_engine_passes_the_setting(smollm):
    s = from_dict({"llm": {"model": str(smollm), "nCtx": 1536, "gpuLayers": 7}})
    eng = service.make_engine(s)
    try:
        assert isinstance(eng, LlamaCppEngine) and eng.gpu_layers == 7 and eng.n_ctx == 1536
    finally:
        with LlamaCppEngine._instances_lock:
            LlamaCppEngine._instances.pop((str(Path(smollm).resolve()), 1536, 7), None)


# -- ferrofix models info ----------------------------------------------------------------------------------
def _ff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ferrofix", *args], capture_output=True, text=True,
                          env=dict(os.environ), timeout=300)


def test_models_info_json_shows_the_backend():
    p = _ff("models", "info", "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["backend"] == "CPU" and out["gpu_offload"] is False
    assert out["gpu_layers"] == 0 and out["gpu_layers_setting"] == -1 and out["llm_backend"] == "llama-cpp"
    assert out["devices"] and out["system_info"].startswith("CPU")


def test_models_info_follows_the_settings_file_and_shows_a_model(smollm):
    Path(os.environ["FERROFIX_CONFIG"]).write_text("[llm]\ngpu_layers = 16\n")
    p = _ff("models", "info", str(smollm), "--json")
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["architecture"] == "llama" and out["backend"] == "CPU"
    assert out["gpu_layers_setting"] == 16 and out["gpu_layers"] == 0  # no GPU here: none in effect
    p = _ff("models", "info")
    assert p.returncode == 0, p.stderr
    assert "CPU (llama.cpp without GPU offload)" in p.stdout and "gpu_layers      0 (setting 16)" in p.stdout


# -- the installer's backend choice ------------------------------------------------------------------------
def _fake_bin(tmp_path: Path, *, system: str = "Linux", machine: str = "x86_64", nvcc: bool = False,
              gpu: bool = True) -> Path:
    """A directory for PATH with only what llama-backend.sh runs: a fake `uname`, `tr`, `grep`, and
    `nvcc` with an `nvidia-smi` listing a GPU (or none, `gpu=False`) if asked."""
    d = tmp_path / f"bin-{system}-{machine}-{nvcc}-{gpu}"
    if d.is_dir():
        return d
    d.mkdir()
    (d / "uname").write_text(f'#!/bin/sh\ncase "$1" in -s) echo {system} ;; -m) echo {machine} ;; esac\n')
    (d / "uname").chmod(0o755)
    (d / "tr").symlink_to(shutil.which("tr"))
    (d / "grep").symlink_to(shutil.which("grep"))
    if nvcc:
        (d / "nvcc").write_text("#!/bin/sh\necho 'Cuda compilation tools, release 12.4'\n")
        (d / "nvcc").chmod(0o755)
        listing = "GPU 0: NVIDIA GeForce RTX 4060 Laptop GPU (UUID: GPU-0)" if gpu else ""
        (d / "nvidia-smi").write_text(f"#!/bin/sh\necho '{listing}'\n")
        (d / "nvidia-smi").chmod(0o755)
    return d


# the first `flags` lines of /proc/cpuinfo on a Haswell laptop and on an AVX-512 server (Sapphire Rapids)
HASWELL = "flags\t\t: fpu vme sse sse2 ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand avx2 bmi2\n"
AVX512 = HASWELL.rstrip("\n") + (" avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 avx512vbmi"
                                  " avx512_vbmi2 avx512_vnni amx_bf16 amx_tile amx_int8\n")


def _choose(tmp_path: Path, fake: Path, cmake_args: str | None = None, forced: str | None = None,
            cpuinfo: str = HASWELL):
    """(exit code, backend, CMAKE_ARGS, wheel dir, stderr) from sourcing installer/llama-backend.sh, with
    CPUINFO as /proc/cpuinfo."""
    script = ('source "$1"; b="$(llama_backend)" || exit $?; echo "$b"; llama_cmake_args "$b" /src/ferrofix; '
              'llama_wheel_dir /cache/ferrofix "$(llama_build "$b")"')
    (tmp_path / "cpuinfo").write_text("processor\t: 0\n" + cpuinfo)
    env = {"PATH": str(fake), "HOME": str(tmp_path), "FERROFIX_CPUINFO": str(tmp_path / "cpuinfo")}
    if cmake_args is not None:
        env["CMAKE_ARGS"] = cmake_args
    if forced is not None:
        env["FERROFIX_LLAMA_BACKEND"] = forced
    p = subprocess.run([shutil.which("bash"), "-c", script, "x", str(ROOT / "installer" / "llama-backend.sh")],
                       capture_output=True, text=True, env=env, timeout=30)
    lines = p.stdout.splitlines() + ["", "", ""]
    return p.returncode, lines[0], lines[1], lines[2], p.stderr


INCLUDE = "-DCMAKE_PROJECT_llama.cpp_INCLUDE=/src/ferrofix/installer/llama-bindings-only.cmake"


def test_installer_builds_with_cuda_when_nvcc_is_on_path(tmp_path):
    rc, backend, args, wheels, err = _choose(tmp_path, _fake_bin(tmp_path, nvcc=True))
    assert rc == 0, err
    assert backend == "cuda" and wheels == "/cache/ferrofix/wheels/cuda"
    argv = shlex.split(args)  # as scikit-build-core splits CMAKE_ARGS
    assert "-DGGML_CUDA=on" in argv and "-DLLAVA_BUILD=OFF" in argv and INCLUDE in argv
    assert "-DGGML_AVX2=ON" in argv and "-DGGML_NATIVE=OFF" in argv


def test_installer_builds_for_the_cpu_with_nvcc_but_no_gpu(tmp_path):
    """A CUDA toolkit without an NVIDIA GPU (this machine: /usr/local/bin/nvcc, no device, no cuBLAS):
    the CPU build, said on stderr."""
    if Path("/dev/nvidiactl").exists():
        pytest.skip("this machine has an NVIDIA driver")
    rc, backend, args, wheels, err = _choose(tmp_path, _fake_bin(tmp_path, nvcc=True, gpu=False))
    assert (rc, backend, wheels) == (0, "cpu", "/cache/ferrofix/wheels") and "CUDA" not in args
    assert "no NVIDIA GPU" in err


def test_installer_falls_back_to_the_cpu_when_an_automatic_gpu_build_fails():
    sh = (ROOT / "installer" / "install.sh").read_text()
    assert "building for the CPU instead" in sh and 'backend=cpu' in sh


def test_installer_builds_for_the_cpu_without_nvcc(tmp_path):
    rc, backend, args, wheels, err = _choose(tmp_path, _fake_bin(tmp_path))
    assert rc == 0, err
    assert backend == "cpu" and wheels == "/cache/ferrofix/wheels"  # where the CPU wheel always was
    argv = shlex.split(args)
    assert not any("CUDA" in a or "METAL" in a for a in argv)
    assert argv == ["-DGGML_NATIVE=OFF", "-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON",
                    "-DGGML_BMI2=ON", "-DLLAVA_BUILD=OFF", INCLUDE]


def test_installer_builds_with_avx512_where_the_cpu_has_it(tmp_path):
    """AVX-512 (F, CD, VL, DQ, BW, and the VBMI/VNNI/BF16 extensions present) in its own wheel directory,
    so that the AVX2 wheel an earlier installer cached is not reused; AMX stays off."""
    rc, backend, args, wheels, err = _choose(tmp_path, _fake_bin(tmp_path), cpuinfo=AVX512)
    assert rc == 0, err
    assert backend == "cpu" and wheels == "/cache/ferrofix/wheels/cpu-avx512"
    argv = shlex.split(args)
    assert argv == ["-DGGML_NATIVE=OFF", "-DGGML_AVX=ON", "-DGGML_AVX2=ON", "-DGGML_FMA=ON", "-DGGML_F16C=ON",
                    "-DGGML_BMI2=ON", "-DGGML_AVX512=ON", "-DGGML_AVX512_VBMI=ON", "-DGGML_AVX512_VNNI=ON",
                    "-DGGML_AVX512_BF16=ON", "-DLLAVA_BUILD=OFF", INCLUDE]
    # AVX-512 F without BW (Knights Landing) is not enough for ggml's -DGGML_AVX512
    rc, backend, args, wheels, err = _choose(tmp_path, _fake_bin(tmp_path),
                                             cpuinfo=AVX512.replace(" avx512bw", ""))
    assert "AVX512" not in args and wheels == "/cache/ferrofix/wheels"
    # the user's CMAKE_ARGS are followed as they are, and their build keeps the plain CPU wheel directory
    rc, backend, args, wheels, err = _choose(tmp_path, _fake_bin(tmp_path), cmake_args="-DGGML_NATIVE=ON",
                                             cpuinfo=AVX512)
    assert "AVX512" not in args and wheels == "/cache/ferrofix/wheels"


def test_installer_builds_with_metal_on_macos(tmp_path):
    rc, backend, args, wheels, err = _choose(tmp_path, _fake_bin(tmp_path, system="Darwin", machine="arm64"))
    assert rc == 0, err
    assert backend == "metal" and wheels == "/cache/ferrofix/wheels/metal"
    assert shlex.split(args) == ["-DGGML_METAL=on", "-DLLAVA_BUILD=OFF", INCLUDE]
    rc, backend, _args, wheels, _err = _choose(tmp_path, _fake_bin(tmp_path, system="Darwin", machine="x86_64"),
                                               cmake_args="-DGGML_METAL=OFF")
    assert backend == "cpu" and wheels == "/cache/ferrofix/wheels"


def test_installer_follows_the_users_choice(tmp_path):
    with_nvcc = _fake_bin(tmp_path, nvcc=True)
    rc, backend, args, wheels, _ = _choose(tmp_path, with_nvcc, forced="cpu")
    assert (rc, backend, wheels) == (0, "cpu", "/cache/ferrofix/wheels") and "CUDA" not in args
    rc, backend, args, wheels, _ = _choose(tmp_path, _fake_bin(tmp_path), forced="vulkan")
    assert backend == "vulkan" and "-DGGML_VULKAN=on" in shlex.split(args) and wheels.endswith("/wheels/vulkan")
    # the user's own CMAKE_ARGS turn CUDA on: followed, not repeated, and no AVX2 defaults added
    rc, backend, args, wheels, _ = _choose(tmp_path, _fake_bin(tmp_path, machine="x86_64"),
                                           cmake_args="-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=89")
    assert backend == "cuda" and wheels.endswith("/wheels/cuda")
    assert shlex.split(args) == ["-DGGML_CUDA=ON", "-DCMAKE_CUDA_ARCHITECTURES=89", "-DLLAVA_BUILD=OFF", INCLUDE]
    rc, _b, _a, _w, err = _choose(tmp_path, with_nvcc, forced="opencl")
    assert rc == 2 and "FERROFIX_LLAMA_BACKEND" in err


def test_install_scripts_use_the_backend_choice():
    sh = (ROOT / "installer" / "install.sh").read_text()
    assert subprocess.run([shutil.which("bash"), "-n", str(ROOT / "installer" / "install.sh")]).returncode == 0
    assert 'source "$here/installer/llama-backend.sh"' in sh and 'llama_wheel_dir "$cache" "$build"' in sh
    assert 'llama_build "$backend"' in sh
    assert 'llama_cmake_args "$backend" "$here"' in sh and ".ferrofix-llama-backend" in sh
    ps1 = (ROOT / "installer" / "install.ps1").read_text()
    assert "Get-Command nvcc" in ps1 and "-DGGML_CUDA=on" in ps1 and 'Join-Path $Cache "wheels\\$Backend"' in ps1
