"""The OpenAI-compatible backend (`llm.OpenAIEngine`, the `openai` package) against a real local HTTP
server that speaks the chat-completions API (`conftest.ScriptedOpenAI`): streamed answers, usage, the
request's options, a stop that ends a long answer at once, the hard time limit, and errors as
ModelError."""

from __future__ import annotations

import time

import pytest

from conftest import serve_http
from ferrofix.errors import CheckCancelledError, ModelError
from ferrofix.llm import OpenAIEngine

ASK = [{"role": "system", "content": "You fix Rust."}, {"role": "user", "content": "Fix E0382."}]


def test_a_streamed_answer_is_put_together_with_its_usage(openai_server):
    text = "Add `.clone()` where the value is moved: `let w = v.clone();` " * 4
    model = openai_server(lambda req: text)
    engine = OpenAIEngine(model.url, "qwen", api_key="k")
    c = engine.chat(ASK, max_tokens=64, temperature=0.2, seed=7, stop=["```"],
                    json_schema={"type": "object"})
    assert c.text == text and (c.prompt_tokens, c.completion_tokens) == (100, 30) and c.elapsed_ms >= 0
    req = model.requests[0]
    assert req["stream"] is True and req["stream_options"] == {"include_usage": True}
    assert (req["model"], req["max_tokens"], req["temperature"], req["seed"], req["stop"]) == ("qwen", 64, 0.2, 7, ["```"])
    assert req["response_format"]["json_schema"]["schema"] == {"type": "object"}
    assert req["messages"] == ASK


def test_chat_n_asks_once_per_answer_with_its_own_seed(openai_server):
    model = openai_server(lambda req: f"answer {req['seed']}")
    answers = OpenAIEngine(model.url).chat_n(ASK, 3, seed=10)
    assert [a.text for a in answers] == ["answer 10", "answer 11", "answer 12"]


def test_a_stop_ends_a_long_answer_at_once_and_the_server_sees_the_connection_go(openai_server):
    """2,000 characters streamed 16 at a time, 50 ms apart (~6 s): a stop after 0.5 s returns within
    a fraction of a second, and the server's next write fails (the answer is not produced to its end)."""
    model = openai_server(lambda req: "x" * 2000, piece_delay_s=0.05)
    t0 = time.monotonic()
    with pytest.raises(CheckCancelledError):
        OpenAIEngine(model.url).chat(ASK, should_stop=lambda: time.monotonic() - t0 > 0.5)
    assert time.monotonic() - t0 < 1.5
    deadline = time.monotonic() + 5
    while model.dropped == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert model.dropped == 1


def test_a_stop_while_waiting_for_the_first_token(openai_server):
    model = openai_server(lambda req: "late", delay_s=30)
    t0 = time.monotonic()
    with pytest.raises(CheckCancelledError):
        OpenAIEngine(model.url).chat(ASK, should_stop=lambda: time.monotonic() - t0 > 0.3)
    assert time.monotonic() - t0 < 2


def test_the_time_limit_is_hard(openai_server):
    model = openai_server(lambda req: "y" * 2000, piece_delay_s=0.05)
    t0 = time.monotonic()
    with pytest.raises(ModelError, match="no complete answer within 1 s"):
        OpenAIEngine(model.url, timeout_s=1).chat(ASK)
    assert time.monotonic() - t0 < 3


def test_http_errors_and_no_server_are_model_errors():
    from http.server import BaseHTTPRequestHandler
    calls = []

    class Refuses(BaseHTTPRequestHandler):
        def do_POST(self):
            calls.append(1)
            body = b'{"error": {"message": "model not loaded", "type": "invalid_request_error"}}'
            self.send_response(400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = serve_http(Refuses)
    try:
        with pytest.raises(ModelError, match="HTTP 400.*model not loaded"):
            OpenAIEngine(f"http://127.0.0.1:{server.server_port}/v1").chat(ASK)
        assert len(calls) == 1  # a 400 is not retried
    finally:
        server.shutdown()
    with pytest.raises(ModelError, match="cannot reach the model server"):
        OpenAIEngine("http://127.0.0.1:9/v1", max_retries=0, timeout_s=5).chat(ASK)


def test_a_server_error_is_retried_then_answered(openai_server):
    """A 503 (a server still loading its model) is retried by the package; the second try answers."""
    from http.server import BaseHTTPRequestHandler
    import json

    from conftest import send_chat_answer
    tries = []

    class Busy(BaseHTTPRequestHandler):
        def do_POST(self):
            req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            tries.append(1)
            if len(tries) == 1:
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.send_header("Retry-After", "0")
                self.end_headers()
                return
            send_chat_answer(self, req, "ready now")

    server = serve_http(Busy)
    try:
        assert OpenAIEngine(f"http://127.0.0.1:{server.server_port}/v1").chat(ASK).text == "ready now"
        assert len(tries) == 2
    finally:
        server.shutdown()


def test_a_server_that_does_not_stream_is_a_clear_error():
    from http.server import BaseHTTPRequestHandler

    class Plain(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b'{"choices": [{"message": {"role": "assistant", "content": "hi"}}]}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = serve_http(Plain)
    try:
        with pytest.raises(ModelError, match="no streamed answer"):
            OpenAIEngine(f"http://127.0.0.1:{server.server_port}/v1").chat(ASK)
    finally:
        server.shutdown()
