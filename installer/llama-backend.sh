# Sourced by installer/install.sh (and by tests/test_gpu_offload.py): which llama.cpp backend to build
# llama-cpp-python with, its CMAKE_ARGS and the wheel-cache directory for it. Only functions here; they
# print their answer on stdout and read the environment (CMAKE_ARGS, FERROFIX_LLAMA_BACKEND, PATH).

# nvidia_gpu_present: true when an NVIDIA GPU is visible (`nvidia-smi -L` lists one, or the driver's
# /dev/nvidiactl exists). A CUDA toolkit without a GPU (a build image, a container) is common: a CUDA
# build there runs nothing faster and may not even link.
nvidia_gpu_present() {
  [[ -e /dev/nvidiactl ]] && return 0
  command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>/dev/null | grep -q '^GPU '
}

# llama_backend: "metal" on macOS, "cuda" when nvcc (the CUDA toolkit's compiler) is on PATH and an
# NVIDIA GPU is present (nvcc alone: "cpu", said on stderr), else "cpu". FERROFIX_LLAMA_BACKEND=cpu|cuda|metal|vulkan chooses instead (e.g. cpu beside a CUDA toolkit,
# or vulkan, which is never chosen automatically); a CMAKE_ARGS that already turns a backend on
# (-DGGML_CUDA=on, -DGGML_METAL=on, -DGGML_VULKAN=on) or Metal off (-DGGML_METAL=off) is followed.
# Returns 2 for an unknown FERROFIX_LLAMA_BACKEND.
llama_backend() {
  local forced="${FERROFIX_LLAMA_BACKEND:-auto}" args
  args="$(printf '%s' "${CMAKE_ARGS:-}" | tr '[:lower:]' '[:upper:]')"
  case "$forced" in
    cpu|cuda|metal|vulkan) echo "$forced"; return 0 ;;
    auto|"") ;;
    *) echo "FERROFIX_LLAMA_BACKEND must be auto, cpu, cuda, metal or vulkan (not $forced)" >&2; return 2 ;;
  esac
  case "$args" in
    *-DGGML_CUDA=ON*|*-DGGML_CUDA=1*) echo cuda; return 0 ;;
    *-DGGML_VULKAN=ON*|*-DGGML_VULKAN=1*) echo vulkan; return 0 ;;
    *-DGGML_METAL=ON*|*-DGGML_METAL=1*) echo metal; return 0 ;;
  esac
  if [[ "$(uname -s)" == Darwin ]]; then
    case "$args" in
      *-DGGML_METAL=OFF*|*-DGGML_METAL=0*) echo cpu ;;
      *) echo metal ;;
    esac
  elif command -v nvcc >/dev/null 2>&1; then
    if nvidia_gpu_present; then
      echo cuda
    else
      echo "nvcc is on PATH but no NVIDIA GPU is visible: building llama.cpp for the CPU" \
           "(FERROFIX_LLAMA_BACKEND=cuda builds for CUDA anyway)" >&2
      echo cpu
    fi
  else
    echo cpu
  fi
}

# llama_avx512_args: the llama.cpp CMake switches for the AVX-512 extensions this CPU has, empty when it
# lacks AVX-512 or is not x86-64 Linux. The flags are the kernel's (/proc/cpuinfo, which lists only what
# the kernel enabled; FERROFIX_CPUINFO reads another file). -DGGML_AVX512=ON compiles with
# -mavx512f/cd/vl/dq/bw (ggml/src/ggml-cpu/CMakeLists.txt), so it needs all five; VBMI, VNNI and BF16 are
# added when present. Measured on a 2-core AVX-512 machine with the default 1.5B Q4_K_M model: prompt
# reading 62 -> 90 tokens/s, decoding unchanged (bench/README.md, "Session 32").
llama_avx512_args() {
  local cpuinfo="${FERROFIX_CPUINFO:-/proc/cpuinfo}" flags f args=""
  [[ "$(uname -s)" == Linux && "$(uname -m)" == x86_64 && -r "$cpuinfo" ]] || return 0
  flags="$(grep -m1 '^flags' "$cpuinfo")"
  flags=" ${flags#*:} "
  for f in avx512f avx512cd avx512vl avx512dq avx512bw; do
    [[ "$flags" == *" $f "* ]] || return 0
  done
  args="-DGGML_AVX512=ON"
  [[ "$flags" == *" avx512vbmi "* ]] && args="$args -DGGML_AVX512_VBMI=ON"
  [[ "$flags" == *" avx512_vnni "* ]] && args="$args -DGGML_AVX512_VNNI=ON"
  [[ "$flags" == *" avx512_bf16 "* ]] && args="$args -DGGML_AVX512_BF16=ON"
  printf '%s\n' "$args"
}

# llama_build BACKEND: the name of the build for BACKEND on this machine, which names its wheel-cache
# directory and the venv's .ferrofix-llama-backend mark: "cpu-avx512" for the CPU build with AVX-512
# (llama_cmake_args adds it when CMAKE_ARGS is empty), else BACKEND. A cache or venv that holds the
# AVX2 build from an earlier installer thus gets the AVX-512 one.
llama_build() {
  if [[ "$1" == cpu && -z "${CMAKE_ARGS:-}" && -n "$(llama_avx512_args)" ]]; then
    echo cpu-avx512
  else
    echo "$1"
  fi
}

# llama_cmake_args BACKEND HERE: the CMAKE_ARGS to build llama-cpp-python with (HERE: the project root).
# The user's CMAKE_ARGS are kept and extended: on x86-64 Linux, when CMAKE_ARGS is empty, the build
# targets AVX2, and AVX-512 where the CPU has it (llama_avx512_args), rather than -march=native
# (llama.cpp's AMX kernels crash where the kernel does not grant AMX tile state); the backend's switch
# (-DGGML_CUDA=on, -DGGML_METAL=on, -DGGML_VULKAN=on) unless CMAKE_ARGS sets it; LLAVA_BUILD=OFF leaves
# out llama.cpp's multimodal library (tools/mtmd: clip and the vision encoders), which ferrofix never
# loads; installer/llama-bindings-only.cmake leaves out libllama-common, which the bindings never load.
llama_cmake_args() {
  local backend="$1" here="$2" args="${CMAKE_ARGS:-}"
  if [[ -z "$args" && "$(uname -s)" == Linux && "$(uname -m)" == x86_64 ]]; then
    args="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
    args="$args $(llama_avx512_args)"
    args="${args% }"
  fi
  case "$backend" in
    cuda) [[ "$args" == *GGML_CUDA* ]] || args="$args -DGGML_CUDA=on" ;;
    metal) [[ "$args" == *GGML_METAL* ]] || args="$args -DGGML_METAL=on" ;;
    vulkan) [[ "$args" == *GGML_VULKAN* ]] || args="$args -DGGML_VULKAN=on" ;;
  esac
  [[ "$args" == *LLAVA_BUILD* ]] || args="$args -DLLAVA_BUILD=OFF"
  [[ "$args" == *LLAMA_BUILD_COMMON* || "$args" == *CMAKE_PROJECT_llama.cpp_INCLUDE* ]] \
    || args="$args '-DCMAKE_PROJECT_llama.cpp_INCLUDE=$here/installer/llama-bindings-only.cmake'"
  printf '%s\n' "${args# }"
}

# llama_wheel_dir CACHE BUILD: where the wheel of BUILD (llama_build) is kept — CACHE/wheels for the AVX2
# CPU build (where earlier installers kept theirs), CACHE/wheels/BUILD for the others (cpu-avx512, cuda,
# metal, vulkan), so that no build picks up another's wheel of the same version (the file names are the
# same).
llama_wheel_dir() {
  if [[ "$2" == cpu ]]; then
    printf '%s\n' "$1/wheels"
  else
    printf '%s\n' "$1/wheels/$2"
  fi
}
