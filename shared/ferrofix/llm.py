"""The local LLM engine: one interface, a llama-cpp-python backend and an OpenAI-compatible backend.

- `LlamaCppEngine`: a GGUF file run in process by llama-cpp-python (`verbose=False`, explicit `n_ctx`
  and `n_threads`), loaded lazily on first use, one instance per model path per process, calls
  serialised by a lock.
- `OpenAIEngine`: any server speaking the OpenAI chat-completions API (llama-server, Ollama, LM Studio,
  LlamaEdge), through the `openai` package, streamed so that a stop ends an answer at once.
- `ScriptedEngine`: a deterministic test double that answers from a list or a function.

GPU offload: `backend_info()` names the llama.cpp backend of this process ("CPU", "CUDA", "Metal",
"Vulkan", …); `LlamaCppEngine(gpu_layers=-1)` offloads all layers when that backend is a GPU, none
otherwise (`gpu_layers_in_effect`).

Several answers to one prompt: `chat_n(messages, n, ...)` samples `n` answers. `LlamaCppEngine` decodes
them as `n` sequences of one llama.cpp batch that share the prompt's KV cache (decode on a CPU is
memory-bound, so a batch of 4 costs little more than one sequence: see bench/engine_speed.py); the
other engines answer one after the other.

Prompt-lookup drafts: `LlamaCppEngine` checks, in each decoding step of an answer, the tokens that
followed the latest earlier occurrence of the answer's last few tokens in the prompt or the answer
(`LookupDrafts`), and keeps those the sampler would have picked. Repair answers copy the prompt's code
(SEARCH blocks, rewritten items), so several tokens pass per step (bench/lookup_decoding.py).

Structured output: `chat(..., json_schema=S)` asks the backend to constrain the answer to the JSON
schema `S` (llama.cpp turns it into a grammar; OpenAI servers take `response_format`). Every answer is
parsed and validated by the caller anyway; `chat_json` does that and retries.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from .errors import CheckCancelledError, ContextOverflowError, ModelAnswerError, ModelError

Message = dict[str, str]  # {"role": "system"|"user"|"assistant", "content": str}


@dataclass(frozen=True, slots=True)
class Completion:
    """A model answer: its text, prompt and completion sizes in tokens, and wall time in ms.
    `cached_tokens`: the prompt's tokens whose KV cells an earlier prompt left (not read again; OpenAI's
    `usage.prompt_tokens_details.cached_tokens`)."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    elapsed_ms: int = 0
    cached_tokens: int = 0


class Engine(Protocol):
    """What the repair loop needs from a model: a name, getting ready, and chat completions."""

    name: str

    def load(self) -> object:
        """Get ready to answer, now rather than on the first `chat` (a model in process loads its
        weights; idempotent; a server or a script has nothing to load). Raises ModelError when it cannot."""
        ...

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
             seed: int | None = None, stop: Sequence[str] | None = None,
             json_schema: dict[str, Any] | None = None,
             should_stop: Callable[[], bool] | None = None) -> Completion:
        """Answer a chat. `should_stop()` is polled while the answer is produced (per token or every
        50 ms); when it returns True the call ends with CheckCancelledError. Raises ModelError when the
        backend fails (load error, HTTP error)."""
        ...

    def chat_n(self, messages: Sequence[Message], n: int, *, max_tokens: int = 512, temperature: float = 0.8,
               seed: int = 0, should_stop: Callable[[], bool] | None = None) -> list[Completion]:
        """`n` sampled answers to one chat (seeds `seed`, `seed + 1`, …). The prompt's tokens and the
        wall time are counted once, on the first answer (the others carry 0), so sums stay true.
        Cancellation and errors as in `chat`."""
        ...


#: Held while llama-cpp-python loads a model: `Llama(verbose=False)` points fds 1 and 2 at /dev/null for the
#: load and restores what it saved (`_utils.suppress_stdout_stderr`), so two loads at once in two threads
#: (the model loading in the background while the knowledge base loads its embedding model) could leave
#: stdout pointing at /dev/null — a `fix --json` then printed nothing.
LOAD_LOCK = threading.Lock()


def _default_threads() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


# -- which llama.cpp backend runs the model -------------------------------------------------------------
#: ggml's `enum ggml_backend_dev_type` (ggml-backend.h): the device kinds that take offloaded layers.
_DEV_GPU, _DEV_IGPU = 1, 2


@dataclass(frozen=True, slots=True)
class BackendInfo:
    """The llama.cpp build in this process and the devices it found.

    `name`: the backend model layers are offloaded to — the ggml backend registry's name of the first
    GPU device ("CUDA", "Metal", "Vulkan", "ROCm", "SYCL", …), or "CPU" when there is none (a CPU-only
    build, or a GPU build on a machine without a usable GPU); `gpu_offload`: layers can go to a GPU
    (llama.cpp's `llama_supports_gpu_offload()`, and a GPU device in ggml's registry); `devices`: every
    ggml device as "NAME (description)", e.g. "CUDA0 (NVIDIA GeForce RTX 4060 Laptop GPU)",
    "CPU (Intel(R) Core(TM) i7)"; `system_info`: `llama_print_system_info()` (one line of
    "BACKEND : FEATURE = value | …")."""

    name: str
    gpu_offload: bool
    devices: tuple[str, ...] = ()
    system_info: str = ""

    def to_json(self) -> dict[str, Any]:
        """The fields as a JSON-ready dict (`devices` a list)."""
        return {"backend": self.name, "gpu_offload": self.gpu_offload, "devices": list(self.devices),
                "system_info": self.system_info}


def _ggml_devices() -> list[tuple[str, str, int, str]]:
    """(device name, description, ggml device type, backend registry name) for every device ggml has
    registered, through ggml's C API on the `libggml` llama-cpp-python loads (a handle of our own, so
    that the prototypes set here do not touch the bindings'). Raises OSError/AttributeError when the
    library or a function is missing (very old bindings)."""
    import ctypes

    from llama_cpp import _ggml
    lib = ctypes.CDLL(_ggml.libggml._name)
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for fn, args, res in (("ggml_backend_dev_count", [], ctypes.c_size_t),
                          ("ggml_backend_dev_get", [ctypes.c_size_t], vp),
                          ("ggml_backend_dev_name", [vp], cp), ("ggml_backend_dev_description", [vp], cp),
                          ("ggml_backend_dev_type", [vp], ctypes.c_int),
                          ("ggml_backend_dev_backend_reg", [vp], vp), ("ggml_backend_reg_name", [vp], cp)):
        f = getattr(lib, fn)
        f.argtypes, f.restype = args, res
    out = []
    for i in range(lib.ggml_backend_dev_count()):
        dev = lib.ggml_backend_dev_get(i)
        if not dev:
            continue
        reg = lib.ggml_backend_dev_backend_reg(dev)
        out.append(((lib.ggml_backend_dev_name(dev) or b"").decode("utf-8", "replace"),
                    (lib.ggml_backend_dev_description(dev) or b"").decode("utf-8", "replace"),
                    int(lib.ggml_backend_dev_type(dev)),
                    (lib.ggml_backend_reg_name(reg) if reg else b"").decode("utf-8", "replace")))
    return out


def _backend_from_system_info(system_info: str, gpu_offload: bool) -> str:
    """The offload backend named in `llama_print_system_info()` ("CUDA : ARCHS = 890 | … | CPU : SSE3 = 1 |
    …"): the first backend there that is not the CPU or a helper (BLAS, RPC); "GPU" when llama.cpp can
    offload but names none; "CPU" when it cannot offload."""
    import re
    if not gpu_offload:
        return "CPU"
    names = re.findall(r"(?:^|\|)\s*([A-Za-z][\w-]*) : ", system_info)
    return next((n for n in names if n.upper() not in ("CPU", "BLAS", "RPC", "ACCELERATE")), "GPU")


_backend_cache: BackendInfo | None = None


def backend_info() -> BackendInfo:
    """Which llama.cpp backend runs models in this process (see BackendInfo); computed once per process.

    The name comes from ggml's device registry (the first GPU or integrated-GPU device's backend), else
    from `llama_print_system_info()`. Raises ModelError when llama-cpp-python is not installed."""
    global _backend_cache
    if _backend_cache is not None:
        return _backend_cache
    try:
        import llama_cpp
    except ImportError as e:  # pragma: no cover - a dependency of the package
        raise ModelError(f"llama-cpp-python is not installed: {e}") from e
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    sysinfo = (llama_cpp.llama_print_system_info() or b"").decode("utf-8", "replace").strip().rstrip("|").strip()
    try:
        devs = _ggml_devices()
    except (OSError, AttributeError, ImportError):  # bindings without the ggml library or its device API
        devs = []
    gpus = [reg or name for name, _desc, kind, reg in devs if kind in (_DEV_GPU, _DEV_IGPU)]
    if devs:  # the registry answers: offload needs a GPU device (not only, say, the RPC backend built in)
        name, offload = (gpus[0], offload) if gpus else ("CPU", False)
    else:
        name = _backend_from_system_info(sysinfo, offload)
    _backend_cache = BackendInfo(name, offload, tuple(f"{n} ({d})" if d else n for n, d, _k, _r in devs), sysinfo)
    return _backend_cache


def gpu_layers_in_effect(setting: int, info: BackendInfo | None = None) -> int:
    """The `n_gpu_layers` llama.cpp gets for the `llm.gpu_layers` setting: -1 (automatic) → -1 (all
    layers) when the build can offload to a GPU, else 0; n ≥ 0 → n, but 0 when it cannot offload (a
    CPU-only build runs every layer on the CPU whatever it is asked). -1 in the result means all layers.
    `info` defaults to `backend_info()`. Raises ValueError for a setting below -1."""
    if setting < -1:
        raise ValueError(f"gpu_layers must be -1 (automatic) or a number of layers ≥ 0, not {setting}")
    offload = (info or backend_info()).gpu_offload
    return (-1 if setting == -1 else setting) if offload else 0


def describe_backend(gpu_layers: int, info: BackendInfo | None = None) -> str:
    """One line for people: the backend and the layers it runs for the `llm.gpu_layers` setting, e.g.
    "CPU (llama.cpp without GPU offload)", "CUDA: all layers on the GPU", "Metal: 20 layers on the GPU",
    "CUDA: CPU only (gpu_layers = 0)". `info` defaults to `backend_info()`; ValueError as in
    `gpu_layers_in_effect`."""
    info = info or backend_info()
    n = gpu_layers_in_effect(gpu_layers, info)
    if not info.gpu_offload:
        return f"{info.name} (llama.cpp without GPU offload)"
    if n == 0:
        return f"{info.name}: CPU only (gpu_layers = 0)"
    return f"{info.name}: {'all layers' if n == -1 else f'{n} layers'} on the GPU"


def _shared_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """How many leading items `a` and `b` have in common."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


class LookupDrafts:
    """Drafts for prompt-lookup decoding (`LlamaCppEngine._decode`) over a growing token list.

    `draft(k)`: up to `k` tokens that followed the latest earlier occurrence of the list's last
    `n` tokens, trying `n` = 3 and then 2 (llama.cpp's `examples/lookup` tries n-grams of several sizes
    the same way); [] when neither occurs earlier. `push(t)` appends a token. An index of n-gram →
    where its latest occurrence ended keeps both O(k)."""

    SIZES = (3, 2)

    def __init__(self, tokens: Sequence[int]) -> None:
        self.tokens: list[int] = []
        self._after: dict[tuple[int, ...], int] = {}
        for t in tokens:
            self.push(t)

    def push(self, t: int) -> None:
        """Append `t` (a token id)."""
        toks = self.tokens
        toks.append(t)
        end = len(toks) - 1  # the n-grams ending just before `t` are now followed by it
        for n in self.SIZES:
            if end >= n:
                self._after[tuple(toks[end - n:end])] = end

    def copy(self) -> "LookupDrafts":
        """An independent copy (the tokens and the index)."""
        other = LookupDrafts(())
        other.tokens, other._after = list(self.tokens), dict(self._after)
        return other

    def draft(self, k: int) -> list[int]:
        """Up to `k` (≥ 0) tokens that followed the latest earlier occurrence of the last n-gram."""
        if k <= 0:
            return []
        toks = self.tokens
        for n in self.SIZES:
            if len(toks) > n and (at := self._after.get(tuple(toks[-n:]))) is not None:
                return toks[at:at + k]
        return []


def _sampler_chain(temperature: float, seed: int):
    """A llama.cpp sampler chain (free it with `llama_sampler_free`): greedy at `temperature` 0, else
    llama-cpp-python's defaults — top-k 40, top-p 0.95, min-p 0.05, `temperature`, seed `seed`."""
    import llama_cpp as lc
    chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())
    if temperature == 0:
        lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_greedy())
        return chain
    for smpl in (lc.llama_sampler_init_top_k(40), lc.llama_sampler_init_top_p(0.95, 1),
                 lc.llama_sampler_init_min_p(0.05, 1), lc.llama_sampler_init_temp(temperature),
                 lc.llama_sampler_init_dist(seed & 0xFFFFFFFF)):
        lc.llama_sampler_chain_add(chain, smpl)
    return chain


class LlamaCppEngine:
    """A GGUF model run in process by llama-cpp-python.

    `n_ctx` is the context window in tokens, `n_threads` the CPU threads, `gpu_layers` the layers to
    offload to the GPU (the `llm.gpu_layers` setting: -1 = automatic, all layers when the llama.cpp
    build has a usable GPU backend, else 0; resolved by `gpu_layers_in_effect` when the model loads,
    the result in `n_gpu_layers`), `n_seq_max` the sequences
    `chat_n` decodes in one batch (the context is made with llama.cpp's unified KV cache, so the
    sequences share the prompt's cells and together fit in `n_ctx`), `draft_tokens` the most tokens a
    step of an answer drafts by prompt lookup (`_decode`; 0 = one token per step, and `chat` through
    llama-cpp-python's own loop), `kept_prompts` how many earlier prompts keep their KV cells in
    sequences of their own for a later prompt that starts the same way (`_read_prompt`). The model
    loads on the first
    `chat` (or `load()`); load errors (missing or corrupt file) raise ModelError. Instances are shared
    per (path, n_ctx, gpu_layers) through `LlamaCppEngine.shared`.
    """

    _instances: dict[tuple[str, int, int], "LlamaCppEngine"] = {}
    _instances_lock = threading.Lock()

    def __init__(self, model_path: Path, *, n_ctx: int = 8192, n_threads: int | None = None,
                 embedding: bool = False, n_seq_max: int = 4, gpu_layers: int = -1,
                 draft_tokens: int = 8, kept_prompts: int = 3) -> None:
        self.model_path = Path(model_path)
        self.kept_prompts = 0 if embedding else max(0, kept_prompts)
        self._kept: list[tuple[int, list[int]]] = []  # (sequence id, tokens held), the latest used last
        self.draft_tokens = max(0, draft_tokens)
        self.name = self.model_path.stem
        self.n_ctx = n_ctx
        self.n_seq_max = 1 if embedding else max(1, n_seq_max)
        self.n_threads = n_threads or _default_threads()
        self.embedding = embedding
        self.gpu_layers = gpu_layers
        self.n_gpu_layers: int | None = None  # what llama.cpp was given (-1 = all layers), once loaded
        self._llm = None
        self._formatter = None
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()

    @classmethod
    def shared(cls, model_path: Path, *, n_ctx: int = 8192, n_threads: int | None = None,
               gpu_layers: int = -1) -> "LlamaCppEngine":
        """The process-wide engine for this model file, context size (tokens) and `gpu_layers` setting
        (-1 = automatic; see the class)."""
        key = (str(Path(model_path).resolve()), n_ctx, gpu_layers)
        with cls._instances_lock:
            eng = cls._instances.get(key)
            if eng is None:
                eng = cls._instances[key] = cls(model_path, n_ctx=n_ctx, n_threads=n_threads,
                                                gpu_layers=gpu_layers)
            return eng

    def load(self):
        """Load the model now (idempotent; a call while another thread loads waits for it). Raises
        ModelError for a missing, non-GGUF or corrupt file."""
        if self._llm is not None:
            return self._llm
        with self._load_lock:
            if self._llm is None:
                self._load()
            return self._llm

    def _load(self) -> None:
        """`load`'s work; `_llm` is set last, once the model is ready."""
        if not self.model_path.is_file():
            raise ModelError(f"model file not found: {self.model_path}")
        with open(self.model_path, "rb") as f:
            if f.read(4) != b"GGUF":
                raise ModelError(f"{self.model_path}: not a GGUF file (bad magic)")
        try:
            from llama_cpp import Llama
        except ImportError as e:  # pragma: no cover - a dependency of the package
            raise ModelError(f"llama-cpp-python is not installed: {e}") from e
        try:
            n_gpu_layers = gpu_layers_in_effect(self.gpu_layers)
        except ValueError as e:
            raise ModelError(f"{self.model_path}: {e}") from e
        try:
            with LOAD_LOCK:
                llm = Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                            n_threads_batch=self.n_threads, n_gpu_layers=n_gpu_layers,
                            embedding=self.embedding, verbose=False)
        except Exception as e:  # llama.cpp reports corrupt files as ValueError/RuntimeError
            raise ModelError(f"{self.model_path}: cannot load model ({e})") from e
        self.n_gpu_layers = n_gpu_layers
        if not self.embedding:
            if self.n_seq_max > 1 or self.kept_prompts:
                self._parallel_context(llm)
            self._restore_prefix(llm)
        self._llm = llm

    def _parallel_context(self, llm) -> None:
        """Replace llama-cpp-python's context (made for one sequence; its `Llama` takes no `n_seq_max`)
        by one for `n_seq_max` + `kept_prompts` sequences over a unified KV cache of `n_ctx` cells, on the
        same weights. `Llama`'s own calls keep using sequence 0. A failure keeps the one-sequence context
        (no batches, no kept prompts)."""
        import contextlib

        from llama_cpp import _internals
        params = llm.context_params
        old = (params.n_seq_max, params.kv_unified)
        params.n_seq_max, params.kv_unified = self.n_seq_max + self.kept_prompts, True
        try:
            ctx = _internals.LlamaContext(model=llm._model, params=params, verbose=False)
        except Exception:  # not enough memory for the larger compute buffers: stay with one sequence
            params.n_seq_max, params.kv_unified = old
            self.n_seq_max, self.kept_prompts = 1, 0
            return
        llm._ctx.close()
        llm._ctx = llm._stack.enter_context(contextlib.closing(ctx))

    # -- the prompt-prefix state: a new process skips re-reading the shared start of every prompt --------
    def _state_path(self) -> Path:
        import hashlib

        import llama_cpp

        from .cargo import cache_dir
        st = self.model_path.stat()
        key = (f"{self.model_path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{self.n_ctx}|{llama_cpp.__version__}"
               f"|seq{self.n_seq_max}+{self.kept_prompts}")
        base = Path(os.environ.get("FERROFIX_LLM_STATE_DIR") or cache_dir() / "llm-states")
        return base / f"{self.model_path.stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz"

    def _restore_prefix(self, llm) -> None:
        """Load the KV-cache state the last process saved after its first answer (under the cache dir's
        `llm-states/`, or `FERROFIX_LLM_STATE_DIR`). llama-cpp-python then
        re-reads only the part of the next prompt after the longest common prefix (the system prompt and
        the worked example are the same in every repair prompt: ~300 tokens, ~7 s at 45 tokens/s).
        A missing, stale or unreadable state is ignored (and deleted)."""
        import ctypes

        import llama_cpp
        import numpy as np
        path = self._state_path()
        try:
            with np.load(path) as z:
                ids, n, data = z["input_ids"], int(z["n_tokens"]), z["state"].tobytes()
            if ids.shape != llm.input_ids.shape or not 0 < n <= self.n_ctx:
                raise ValueError("state of another shape")
            buf = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            if llama_cpp.llama_state_set_data(llm._ctx.ctx, buf, len(data)) != len(data):
                raise ValueError("llama.cpp refused the state")
            for seq in range(1, self.n_seq_max + self.kept_prompts):  # the saving process's kept prompts
                llama_cpp.llama_memory_seq_rm(llm._ctx.memory, seq, -1, -1)
            llm.input_ids = ids.copy()
            llm.n_tokens = n
            self._kept = []
        except FileNotFoundError:
            return
        except Exception:  # a state from another build or a damaged file: start cold
            path.unlink(missing_ok=True)
            llm.reset()
        self._saved_prefix = False

    def _save_prefix(self, llm) -> None:
        """After this process's first answer, keep its KV-cache state for the next process (bytes of the
        state: ~28 KB per token for a 1.5B model; written atomically, at most once per process)."""
        import ctypes

        import llama_cpp
        import numpy as np
        if getattr(self, "_saved_prefix", False):
            return
        self._saved_prefix = True
        try:
            size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
            buf = (ctypes.c_uint8 * int(size))()
            n = llama_cpp.llama_state_get_data(llm._ctx.ctx, buf, size)
            path = self._state_path()
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
            np.savez(tmp, input_ids=llm.input_ids, n_tokens=np.int64(llm.n_tokens),
                     state=np.frombuffer(bytes(buf)[: int(n)], dtype=np.uint8))
            os.replace(tmp, path)
        except Exception:  # a cache: never fail an answer over it
            pass

    def close(self) -> None:
        """Free the model's memory."""
        with self._lock:
            if self._llm is not None:
                self._llm.close()
                self._llm = None
                self._kept = []

    def count_tokens(self, text: str) -> int:
        """Number of tokens `text` takes in this model's vocabulary."""
        llm = self.load()
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
             seed: int | None = None, stop: Sequence[str] | None = None,
             json_schema: dict[str, Any] | None = None,
             should_stop: Callable[[], bool] | None = None) -> Completion:
        """`Engine.chat`. Without a schema or stop strings (repair's answers) the answer is decoded by
        `_decode`, with prompt-lookup drafts (`draft_tokens`); else by llama-cpp-python's
        `create_chat_completion`, its logits processor polling `should_stop`."""
        with self._lock:
            llm = self.load()
            t0 = time.monotonic()
            if json_schema is None and not stop and self.draft_tokens and llm.metadata.get("tokenizer.chat_template"):
                return self._answers(llm, messages, 1, max_tokens, temperature, seed or 0, should_stop)[0]
            self._forget_kept()  # llama-cpp-python's loop counts on the whole cache for its prompt
            kwargs: dict[str, Any] = {}
            if json_schema is not None:
                kwargs["response_format"] = {"type": "json_object", "schema": json_schema}
            stopped = False
            if should_stop is not None:
                from llama_cpp import LogitsProcessorList
                eos = llm.token_eos()

                def check(_ids, scores):
                    # llama-cpp-python ≥ 0.3.x runs logits processors inside a ctypes sampler callback,
                    # which swallows exceptions: stop by leaving end-of-generation the only choice.
                    nonlocal stopped
                    if stopped or should_stop():
                        stopped = True
                        scores[:] = -float("inf")
                        scores[eos] = 0.0
                    return scores
                kwargs["logits_processor"] = LogitsProcessorList([check])
            try:
                out = llm.create_chat_completion(
                    messages=list(messages), max_tokens=max_tokens, temperature=temperature,
                    top_k=1 if temperature == 0 else 40, seed=seed if seed is not None else 0,
                    stop=list(stop) if stop else None, **kwargs)
                if stopped:
                    raise _Stopped()
            except _Stopped:
                raise CheckCancelledError(f"{self.name}: stopped") from None
            except ValueError as e:  # prompt longer than n_ctx, among others
                if "context window" in str(e):
                    raise ContextOverflowError(f"{self.name}: {e}") from e
                raise ModelError(f"{self.name}: {e}") from e
            self._save_prefix(llm)
            usage = out.get("usage") or {}
            return Completion(out["choices"][0]["message"].get("content") or "",
                              usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0),
                              int((time.monotonic() - t0) * 1000))

    def chat_n(self, messages: Sequence[Message], n: int, *, max_tokens: int = 512, temperature: float = 0.8,
               seed: int = 0, should_stop: Callable[[], bool] | None = None) -> list[Completion]:
        """`n` answers sampled in one batch (`Engine.chat_n`), decoded by `_decode`: n sequences over the
        prompt's shared KV cells, one `llama_decode` per step for all of them, each with its own sampler
        chain (top-k 40, top-p 0.95, min-p 0.05, `temperature`, seed `seed + i`: llama-cpp-python's
        defaults) and its prompt-lookup drafts. Sequences end at an end-of-generation token or
        `max_tokens`, capped so that all of them fit in `n_ctx`. Afterwards sequence 0 holds the
        prompt only, as after `chat`. More than `n_seq_max` answers
        take several batches; `n` calls of `chat` stand in when the model has no chat template.
        Raises ContextOverflowError when the prompt leaves no room for `n` answers."""
        if n <= 0:
            return []
        with self._lock:
            llm = self.load()
        template = llm.metadata.get("tokenizer.chat_template")
        if n == 1 or self.n_seq_max == 1 or not template:
            return [self.chat(messages, max_tokens=max_tokens, temperature=temperature, seed=seed + i,
                              should_stop=should_stop) for i in range(n)]
        if n > self.n_seq_max:  # batches of n_seq_max
            out: list[Completion] = []
            for first in range(0, n, self.n_seq_max):
                out += self.chat_n(messages, min(self.n_seq_max, n - first), max_tokens=max_tokens,
                                   temperature=temperature, seed=seed + first, should_stop=should_stop)
            return out
        with self._lock:
            return self._answers(llm, messages, n, max_tokens, temperature, seed, should_stop)

    def _answers(self, llm, messages: Sequence[Message], n: int, max_tokens: int, temperature: float, seed: int,
                 should_stop: Callable[[], bool] | None) -> list[Completion]:
        """`n` answers to `messages` decoded by `_decode` (the caller holds the lock), each with at most
        `max_tokens`, capped so that all fit in `n_ctx`; the prompt's tokens and the wall time counted
        on the first. Raises ContextOverflowError when the prompt leaves no room for `n` answers."""
        t0 = time.monotonic()
        tokens = self._prompt_tokens(llm, messages)
        kept = self._make_room(tokens, len(tokens) + n * max_tokens + self.draft_tokens)
        room = (self.n_ctx - len(tokens) - kept) // n
        if room < 1:
            raise ContextOverflowError(f"{self.name}: the prompt ({len(tokens)} tokens) leaves no room in the "
                                       f"context window ({self.n_ctx} tokens) for {n} answers")
        outs, cached = self._decode(llm, tokens, n, min(max_tokens, room), temperature, seed, should_stop)
        self._save_prefix(llm)
        ms = int((time.monotonic() - t0) * 1000)
        return [Completion(llm.detokenize(o).decode("utf-8", "replace"), len(tokens) if i == 0 else 0, len(o),
                           ms if i == 0 else 0, cached if i == 0 else 0) for i, o in enumerate(outs)]

    def _prompt_tokens(self, llm, messages: Sequence[Message]) -> list[int]:
        """The chat `messages` as the GGUF's chat template writes them, tokenized as llama-cpp-python's
        chat handler does (the template compiled once)."""
        if self._formatter is None:
            from llama_cpp import llama_chat_format
            model = llm._model
            self._formatter = llama_chat_format.Jinja2ChatFormatter(
                template=llm.metadata["tokenizer.chat_template"], eos_token=model.token_get_text(llm.token_eos()),
                bos_token=model.token_get_text(llm.token_bos()))
        prompt = self._formatter(messages=list(messages))
        return llm.tokenize(prompt.prompt.encode("utf-8"), add_bos=not prompt.added_special, special=True)

    def _read_prompt(self, llm, tokens: list[int]) -> tuple[int, int]:
        """Evaluate `tokens` but the last on sequence 0 (the caller decodes the last with the answer),
        reading only what follows the longest prefix they share with the prompt sequence 0 holds or
        with a kept prompt. Before sequence 0 is cut back, its prompt is kept in a sequence of its own
        (`kept_prompts` of them, the least recently used given up first; in the unified KV cache the
        cells are shared, not copied), and a kept prompt that shares more is copied onto sequence 0
        (`llama_memory_seq_cp`) — llama.cpp server's prompt cache does the same across its slots.
        Repair asks by turns prompts that differ soon after the system prompt (search/replace, item
        rewrite, without the examples, compiler feedback): without this every turn re-read its whole
        prompt, 300-600 tokens, 4-7 s on 2 cores. Keeps llama-cpp-python's prefix cache (`input_ids`,
        `n_tokens`) true for sequence 0. Returns the position of the last token and the number of
        tokens reused."""
        import llama_cpp as lc
        mem = llm._ctx.memory
        want = tokens[:-1]
        held = llm._input_ids.tolist()
        keep = _shared_prefix(held, want)
        source, shared = None, keep  # the kept prompt that shares more than sequence 0, if any
        for entry in self._kept:
            if (n := _shared_prefix(entry[1], want)) > shared:
                source, shared = entry, n
        if keep < len(held):
            self._keep_prompt(llm, held, avoid=source)
        if source is not None:
            seq, kept = source
            keep = shared
            lc.llama_memory_seq_rm(mem, 0, -1, -1)
            lc.llama_memory_seq_cp(mem, seq, 0, 0, keep)
            llm.input_ids[:keep] = kept[:keep]
            llm.n_tokens = keep
            self._kept.remove(source)
            self._kept.append(source)
        elif keep < llm.n_tokens:
            lc.llama_memory_seq_rm(mem, 0, keep, -1)
            llm.n_tokens = keep
        if keep < len(want):
            llm.eval(want[keep:])
        return len(want), keep

    def _keep_prompt(self, llm, held: list[int], avoid: tuple[int, list[int]] | None) -> None:
        """Keep the prompt `held` (sequence 0's tokens) in a sequence of its own, unless a kept prompt
        starts with it; kept prompts it starts with give up their sequence to it, and when all
        `kept_prompts` are taken the least recently used other than `avoid` is given up."""
        import llama_cpp as lc
        if not self.kept_prompts or not held or any(_shared_prefix(k, held) == len(held) for _, k in self._kept):
            return
        for entry in [e for e in self._kept if _shared_prefix(e[1], held) == len(e[1])]:
            self._give_up(entry)
        others = [e for e in self._kept if e is not avoid]
        if len(self._kept) >= self.kept_prompts:
            if not others:
                return
            self._give_up(others[0])
        used = {seq for seq, _ in self._kept}
        seq = next(q for q in range(self.n_seq_max, self.n_seq_max + self.kept_prompts) if q not in used)
        lc.llama_memory_seq_cp(llm._ctx.memory, 0, seq, 0, len(held))
        self._kept.append((seq, held))

    def _give_up(self, entry: tuple[int, list[int]]) -> None:
        """Free a kept prompt's sequence (its cells, unless another sequence shares them)."""
        import llama_cpp as lc
        lc.llama_memory_seq_rm(self._llm._ctx.memory, entry[0], -1, -1)
        self._kept.remove(entry)

    def _forget_kept(self) -> None:
        """Give up every kept prompt."""
        for entry in list(self._kept):
            self._give_up(entry)

    def _make_room(self, tokens: list[int], cells: int) -> int:
        """Give up kept prompts, least recently used first, until `cells` KV cells fit beside them in
        `n_ctx`; returns the cells the rest still hold apart from `tokens`' prefix (an upper bound)."""
        def held() -> int:
            return sum(len(k) - _shared_prefix(k, tokens) for _, k in self._kept)
        while self._kept and cells + held() > self.n_ctx:
            self._give_up(self._kept[0])
        return held()

    def _decode(self, llm, tokens: list[int], n: int, max_tokens: int, temperature: float, seed: int,
                should_stop: Callable[[], bool] | None) -> tuple[list[list[int]], int]:
        """`n` answers to the prompt `tokens` (1 for `chat`, several for `chat_n`): the generated token ids
        of each, end-of-generation excluded, at most `max_tokens` each, and the prompt's tokens whose KV
        cells were reused (`_read_prompt`).

        The sequences are llama.cpp's `examples/batched`: the prompt is evaluated once on sequence 0
        (`_read_prompt`), its KV cells are shared with sequences 1…n-1 (`llama_memory_seq_cp`), and
        every step decodes all unfinished sequences in one `llama_decode`, each with its own sampler
        chain (`_sampler_chain(temperature, seed + i)`).

        Each step of a sequence also checks a draft (prompt-lookup decoding: Saxena, "Prompt Lookup
        Decoding", 2023; llama.cpp's `examples/lookup`): the tokens that followed the latest earlier
        occurrence of the sequence's last n-gram (`LookupDrafts`), up to `draft_tokens` shared among the
        unfinished sequences. The drafted tokens are kept as long as they are what the sampler picks at
        their place, and the first it does not pick is replaced by its pick. Every token is thus still
        drawn from the model's distribution given the tokens before it (a draft that is one sequence of
        tokens needs no rejection step): the answers are those without drafts, up to the float
        differences between a batch of several tokens and one. A repair answer mostly copies the
        prompt's code (a SEARCH block, an item rewritten whole), so several tokens pass per step, whose
        cost on a CPU grows little with a few more tokens (bench/lookup_decoding.py).

        Afterwards sequence 0 holds the prompt only (and the kept prompts theirs). Raises
        CheckCancelledError when `should_stop()` turns True (polled once per step), ModelError when
        llama.cpp fails; a full KV cache ends the answers where they are."""
        import llama_cpp as lc
        ctx = llm._ctx
        mem = ctx.memory
        start, cached = self._read_prompt(llm, tokens)
        for s in range(1, n):
            lc.llama_memory_seq_cp(mem, 0, s, 0, start)
        batch = lc.llama_batch_init(n + self.draft_tokens, 0, n)
        chains = []
        vocab = llm._model.vocab
        try:
            chains = [_sampler_chain(temperature, seed + s) for s in range(n)]
            prompt_drafts = LookupDrafts(tokens)
            drafts = [prompt_drafts.copy() for _ in range(n)]
            outs: list[list[int]] = [[] for _ in range(n)]
            last, pos = [tokens[-1]] * n, [start] * n
            active = list(range(n))
            while active:
                if should_stop is not None and should_stop():
                    raise CheckCancelledError(f"{self.name}: stopped")
                share = self.draft_tokens // len(active)
                plan: list[tuple[int, list[int]]] = []
                j = 0
                for s in active:
                    draft = drafts[s].draft(min(share, max_tokens - len(outs[s]) - 1, self.n_ctx - pos[s] - 2))
                    for i, t in enumerate([last[s]] + draft):
                        batch.token[j], batch.pos[j], batch.n_seq_id[j], batch.logits[j] = t, pos[s] + i, 1, True
                        batch.seq_id[j][0] = s
                        j += 1
                    plan.append((s, draft))
                batch.n_tokens = j
                rc = lc.llama_decode(ctx.ctx, batch)
                if rc != 0:
                    if rc == 1:  # no KV cells left: the answers end here
                        break
                    raise ModelError(f"{self.name}: llama_decode returned {rc}")
                going = []
                j = 0
                for s, draft in plan:
                    ended = False
                    for i in range(len(draft) + 1):
                        t = lc.llama_sampler_sample(chains[s], ctx.ctx, j + i)
                        if lc.llama_vocab_is_eog(vocab, t):
                            ended = True
                            break
                        outs[s].append(t)
                        drafts[s].push(t)
                        if len(outs[s]) >= max_tokens:
                            ended = True
                            break
                        if i == len(draft) or draft[i] != t:
                            break
                    j += len(draft) + 1
                    if not ended:
                        # cells up to pos + i hold tokens whose successors are known; the rest were drafts
                        lc.llama_memory_seq_rm(mem, s, pos[s] + i + 1, -1)
                        last[s], pos[s] = outs[s][-1], pos[s] + i + 1
                        going.append(s)
                active = going
            return outs, cached
        finally:
            for chain in chains:
                lc.llama_sampler_free(chain)
            lc.llama_batch_free(batch)
            for s in range(1, n):
                lc.llama_memory_seq_rm(mem, s, -1, -1)
            lc.llama_memory_seq_rm(mem, 0, start, -1)
            llm.n_tokens = start


class OpenAIEngine:
    """A model behind an OpenAI-compatible `/v1/chat/completions` endpoint (llama-server, Ollama,
    LM Studio's server, LlamaEdge), through the `openai` package.

    `base_url` like `http://127.0.0.1:8080/v1`; `model` is the server's model name; `api_key` optional
    (local servers ignore it; the package needs one, so "not-needed" is sent); `timeout_s` is a hard
    limit on one whole answer (seconds); `max_retries`: the package's retries of a failed connection,
    a 408/409/429 or a 5xx (with its backoff). Answers are streamed (`stream=True`, usage from
    `stream_options.include_usage`), so `should_stop()` ends an answer between two tokens: the
    connection is closed and the server stops generating. HTTP and connection failures, and a server
    that sends no stream, raise ModelError; a stop raises CheckCancelledError.
    """

    def __init__(self, base_url: str, model: str = "default", *, api_key: str | None = None,
                 timeout_s: float = 120.0, max_retries: int = 2) -> None:
        import openai  # imported here: ~0.3 s, and only this backend needs it
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.name = model
        self.timeout_s = timeout_s
        self._openai = openai
        self._client = openai.OpenAI(base_url=self.base_url, api_key=api_key or "not-needed",
                                     timeout=timeout_s, max_retries=max_retries)

    def load(self) -> None:
        """Nothing to load: the server holds the model (`Engine.load`)."""

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
             seed: int | None = None, stop: Sequence[str] | None = None,
             json_schema: dict[str, Any] | None = None,
             should_stop: Callable[[], bool] | None = None) -> Completion:
        """`Engine.chat` over a streamed chat completion (see the class)."""
        args: dict[str, Any] = {"model": self.model, "messages": list(messages), "max_tokens": max_tokens,
                                "temperature": temperature, "stream": True,
                                "stream_options": {"include_usage": True}}
        if seed is not None:
            args["seed"] = seed
        if stop:
            args["stop"] = list(stop)
        if json_schema is not None:
            args["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "answer", "schema": json_schema, "strict": True}}
        t0 = time.monotonic()
        box: dict[str, Any] = {"parts": [], "chunks": 0, "usage": None}
        ended = threading.Event()

        def run() -> None:  # the stream is read in a daemon thread so that a stop or the limit ends the wait
            try:
                stream = self._client.chat.completions.create(**args)
                box["stream"] = stream
                with stream:
                    for chunk in stream:
                        if ended.is_set():
                            break
                        box["chunks"] += 1
                        if getattr(chunk, "usage", None) is not None:
                            box["usage"] = chunk.usage
                        for choice in chunk.choices or ():
                            if choice.delta is not None and choice.delta.content:
                                box["parts"].append(choice.delta.content)
            except BaseException as e:  # handed to the caller
                box["err"] = e

        worker = threading.Thread(target=run, daemon=True, name="ferrofix-openai")
        worker.start()
        while worker.is_alive():
            worker.join(0.05)
            if not worker.is_alive():
                break
            if should_stop is not None and should_stop():
                self._abandon(box, ended)
                raise CheckCancelledError(f"{self.name}: stopped")
            if time.monotonic() - t0 > self.timeout_s:
                self._abandon(box, ended)
                raise ModelError(f"{self.base_url}: no complete answer within {self.timeout_s:g} s")
        if "err" in box:
            raise self._error(box["err"])
        if not box["chunks"]:
            raise ModelError(f"{self.base_url}: the server sent no streamed answer "
                             "(it must support `stream: true` chat completions)")
        text = "".join(box["parts"])
        usage = box["usage"]
        return Completion(text, getattr(usage, "prompt_tokens", 0) or 0,
                          getattr(usage, "completion_tokens", 0) or len(box["parts"]),
                          int((time.monotonic() - t0) * 1000))

    def chat_n(self, messages: Sequence[Message], n: int, *, max_tokens: int = 512, temperature: float = 0.8,
               seed: int = 0, should_stop: Callable[[], bool] | None = None) -> list[Completion]:
        """`n` answers, one request each (`Engine.chat_n`; servers differ in whether they honour the
        API's `n`)."""
        return [self.chat(messages, max_tokens=max_tokens, temperature=temperature, seed=seed + i,
                          should_stop=should_stop) for i in range(n)]

    @staticmethod
    def _abandon(box: dict[str, Any], ended: threading.Event) -> None:
        """End a stream from outside its thread: the reader stops at the next chunk, and the response
        is closed now so that the server sees the connection go."""
        ended.set()
        stream = box.get("stream")
        if stream is not None:
            try:
                stream.close()
            except Exception:  # closing under the reader's feet; the reader ends either way
                pass

    def _error(self, e: BaseException) -> BaseException:
        """The package's exception as our ModelError (the original chained)."""
        o = self._openai
        if isinstance(e, o.APIStatusError):
            msg = f"{self.base_url}: HTTP {e.status_code}"
            detail = getattr(e, "message", "") or ""
            err = ModelError(f"{msg} ({detail[:200]})" if detail else msg)
        elif isinstance(e, o.APIConnectionError):  # includes APITimeoutError
            err = ModelError(f"{self.base_url}: cannot reach the model server ({e})")
        elif isinstance(e, (o.OpenAIError, ValueError)):  # a stream event with an error, a malformed chunk
            err = ModelError(f"{self.base_url}: the server answered something that is not a chat completion ({e})")
        else:
            return e
        err.__cause__ = e
        return err


class _Stopped(Exception):
    """Raised inside llama.cpp's sampling loop to end a generation early."""


class ScriptedEngine:
    """A deterministic test double: answers come from `answers` in order (cycling the last one), or
    from `fn(messages) -> str`. Records every request in `requests`."""

    def __init__(self, answers: Sequence[str] | Callable[[Sequence[Message]], str], name: str = "scripted"):
        self.name = name
        self._answers = answers
        self._i = 0
        self.requests: list[list[Message]] = []

    def load(self) -> None:
        """Nothing to load (`Engine.load`)."""

    def chat(self, messages: Sequence[Message], *, max_tokens: int = 512, temperature: float = 0.0,
             seed: int | None = None, stop: Sequence[str] | None = None,
             json_schema: dict[str, Any] | None = None,
             should_stop: Callable[[], bool] | None = None) -> Completion:
        if should_stop is not None and should_stop():
            raise CheckCancelledError(f"{self.name}: stopped")
        self.requests.append(list(messages))
        if callable(self._answers):
            text = self._answers(messages)
        else:
            text = self._answers[min(self._i, len(self._answers) - 1)] if self._answers else ""
            self._i += 1
        return Completion(text, sum(len(m["content"]) // 4 for m in messages), len(text) // 4, 0)

    def chat_n(self, messages: Sequence[Message], n: int, *, max_tokens: int = 512, temperature: float = 0.8,
               seed: int = 0, should_stop: Callable[[], bool] | None = None) -> list[Completion]:
        """`n` answers from the script, in order (`Engine.chat_n`); each is one entry of `requests`."""
        return [self.chat(messages, max_tokens=max_tokens, temperature=temperature, seed=seed + i,
                          should_stop=should_stop) for i in range(n)]


def parse_json_answer(text: str) -> Any:
    """The JSON value in a model answer: the whole text, or the first fenced ```json block, or the
    outermost {...}. Control characters inside strings (a raw newline in a `"code"` value, which models
    write and llama.cpp's JSON grammar lets through) are kept as they are (`json.loads(strict=False)`).
    Raises ModelAnswerError when none parses."""
    candidates = [text.strip()]
    if "```" in text:
        for block in text.split("```")[1::2]:
            candidates.append(block.split("\n", 1)[1] if block.startswith(("json", "JSON")) else block)
    if "{" in text and "}" in text:
        candidates.append(text[text.index("{"): text.rindex("}") + 1])
    for c in candidates:
        try:
            return json.loads(c, strict=False)
        except (json.JSONDecodeError, ValueError):
            continue
    raise ModelAnswerError(f"model answer is not JSON: {text[:80]!r}")


def chat_json(engine: Engine, messages: Sequence[Message], schema: dict[str, Any],
              validate: Callable[[Any], Any], *, retries: int = 2, max_tokens: int = 512) -> Any:
    """Ask for a JSON answer constrained by `schema`, parse it and pass it through `validate` (which
    returns the typed value or raises ValueError/TypeError/KeyError). Tries `1 + retries` times (the
    retries sample at temperature 0.7) and raises ModelAnswerError if no answer validates."""
    last = ""
    for attempt in range(1 + retries):
        c = engine.chat(messages, max_tokens=max_tokens, temperature=0.0 if attempt == 0 else 0.7,
                        seed=attempt, json_schema=schema)
        last = c.text
        try:
            return validate(parse_json_answer(c.text))
        except (ModelAnswerError, ValueError, TypeError, KeyError):
            continue
    raise ModelAnswerError(f"{engine.name} answered invalid JSON {1 + retries} times (last: {last[:60]!r})")
