"""The language server's wire protocol (issue 16 item 7), spoken byte by byte to a real
`python -m ferrofix_lsp`: a bad frame is logged in one line and the server carries on; every request
gets an answer (InvalidParams for params or command arguments of the wrong shape, never a hang); no
answer carries a Python traceback."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from test_reliability import RawLsp

ANSWER_S = 10.0
INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR = -32600, -32601, -32602, -32603
FIX, RECORD, EXPLAIN, CHECK = ("ferrofix.server.fixWithAI", "ferrofix.server.recordAccepted",
                               "ferrofix.server.explain", "ferrofix.server.checkWorkspace")


def frame(body: bytes | str, headers: bytes | None = None) -> bytes:
    body = body.encode() if isinstance(body, str) else body
    return (headers if headers is not None else b"Content-Length: %d\r\n\r\n" % len(body)) + body


def message(method: str, params, msg_id: int) -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()


class Lsp(RawLsp):
    """`RawLsp` with the server's stderr in a file and a thread that parses stdout's frames (strictly)
    into a queue; `answer` waits for a response with a time limit and answers the server's requests."""

    def __init__(self, env: dict, log: Path):
        self.log = log
        with log.open("wb") as err:
            self.proc = subprocess.Popen([sys.executable, "-m", "ferrofix_lsp"], env=env, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=err)
        self.next_id = 0
        self.inbox: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        try:
            while True:
                headers = {}
                while (line := out.readline()) not in (b"\r\n", b""):
                    name, sep, value = line.decode("ascii").partition(":")
                    assert sep and line.endswith(b"\r\n"), f"bad header from the server: {line!r}"
                    headers[name.strip().lower()] = value.strip()
                if not line:
                    break
                body = out.read(int(headers["content-length"]))
                self.inbox.put(json.loads(body))
        except Exception as e:  # noqa: BLE001 - handed to the test's thread
            self.inbox.put(e)
        self.inbox.put(None)

    def write(self, data: bytes) -> None:
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def request(self, method: str, params=None, timeout: float = ANSWER_S) -> dict:
        """Send a request and wait for its answer."""
        self.send(method, params, request=True)
        return self.answer(self.next_id, timeout)

    def answer(self, msg_id, timeout: float = ANSWER_S) -> dict:
        """The response to request `msg_id` (the server's own requests on the way are answered null)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                msg = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no answer to request {msg_id} within {timeout} s; stderr:\n{self.stderr()}")
            if msg is None or isinstance(msg, Exception):
                raise AssertionError(f"the server's output ended ({msg!r}, exit code {self.proc.poll()}); "
                                     f"stderr:\n{self.stderr()}")
            if "method" in msg and "id" in msg:
                self.write(frame(json.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": None})))
            elif "method" not in msg and msg.get("id") == msg_id:
                return msg

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def still_serving(self, uri: str) -> None:
        """A valid request is answered, then `shutdown` is, and `exit` ends the process with code 0."""
        assert "result" in self.request("textDocument/hover", hover_params(uri))
        assert self.request("shutdown") == {"jsonrpc": "2.0", "id": self.next_id, "result": None}
        self.send("exit")
        self.proc.stdin.close()
        assert self.proc.wait(15) == 0


def hover_params(uri: str) -> dict:
    return {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}


@pytest.fixture
def workspace(tmp_path) -> Path:
    """A minimal cargo package."""
    root = tmp_path / "hello"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "hello"\nversion = "0.1.0"\nedition = "2021"\n')
    (root / "src" / "main.rs").write_text("fn main() {}\n")
    return root


def started(workspace: Path, log: Path) -> Lsp:
    lsp = Lsp(dict(os.environ), log)
    lsp.start(workspace)
    assert "capabilities" in lsp.answer(1)["result"]
    return lsp


@pytest.fixture
def lsp(workspace, tmp_path, isolated_dirs):
    """An initialized server on `workspace`, checks on save off (no cargo needed for these tests)."""
    Path(os.environ["FERROFIX_CONFIG"]).write_text("[check]\non_save = false\n")
    server = started(workspace, tmp_path / "server.stderr")
    yield server
    if server.proc.poll() is None:
        server.proc.kill()
        server.proc.wait()


@pytest.fixture
def uri(workspace) -> str:
    return (workspace / "src" / "main.rs").as_uri()


def problem_lines(text: str) -> list[str]:
    """The server's own warnings and errors in its stderr (the file watcher's thread may log a shutdown
    race of watchdog's inotify emitter, which is no complaint about the protocol)."""
    return [line for line in text.splitlines()
            if line.startswith(("WARNING", "ERROR")) and " watchdog." not in line]


HOVER = message("textDocument/hover", hover_params("file:///nowhere.rs"), 99)

# (bad bytes, a regex the one logged line must match)
BAD_FRAMES = {
    "length-not-a-number": (frame(HOVER, b"Content-Length: abc\r\n\r\n"), r"Content-Length.*'abc'"),
    "negative-length": (frame(HOVER, b"Content-Length: -5\r\n\r\n"), r"Content-Length.*'-5'"),
    "huge-length": (frame(HOVER, b"Content-Length: 99999999999\r\n\r\n"), r"99999999999.*64 MiB"),
    "no-length": (frame(HOVER, b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"),
                  r"no Content-Length"),
    "not-a-header": (HOVER + b"\r\n", r"not a header"),
    "garbage-before-a-header": (b"garbage", r"garbage before"),
    "length-too-short": (frame(HOVER, b"Content-Length: 10\r\n\r\n"), r"not JSON"),
    "body-not-json": (frame(b"{not json"), r"not JSON"),
    "body-not-utf8": (frame(b'{"a": "\xff\xfe"}'), r"not JSON"),
    "body-too-deep": (frame(b"[" * 100_000 + b"]" * 100_000), r"not JSON"),
    "body-with-nan": (frame(b'{"jsonrpc": "2.0", "id": 98, "method": "shutdown", "params": NaN}'), r"NaN is not JSON"),
    "body-a-list": (frame(b"[]"), r"not a JSON-RPC message"),
    "body-a-number": (frame(b"42"), r"not a JSON-RPC message"),
    "body-an-object": (frame(b'{"hello": "world"}'), r"not a JSON-RPC message"),
    "body-no-method-no-result": (frame(b'{"jsonrpc": "2.0", "id": 5}'), r"not a JSON-RPC message"),
}


@pytest.mark.parametrize("case", BAD_FRAMES)
def test_a_bad_frame_is_logged_in_one_line_and_the_server_carries_on(lsp, uri, case):
    bad, logged = BAD_FRAMES[case]
    lsp.write(bad)
    lsp.still_serving(uri)
    problems = problem_lines(lsp.stderr())
    assert any(re.search(logged, line) for line in problems), problems
    assert "Traceback" not in lsp.stderr()


ACCEPTED = {
    "content-type-after": b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n",
    "content-type-before": b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: %d\r\n\r\n",
    "unknown-header": b"X-Trace: 1\r\nContent-Length: %d\r\n\r\n",
    "lower-case-name": b"content-length: %d\r\n\r\n",
    "no-space": b"Content-Length:%d\r\n\r\n",
}


@pytest.mark.parametrize("case", ACCEPTED)
def test_valid_headers_are_accepted_without_complaint(lsp, uri, case):
    body = message("textDocument/hover", hover_params(uri), 50)
    lsp.write(frame(body, ACCEPTED[case] % len(body)))
    assert lsp.answer(50)["result"] is None
    lsp.still_serving(uri)
    assert not problem_lines(lsp.stderr())


def test_frames_split_anywhere_or_sent_together_are_all_answered(lsp, uri):
    data = b"".join(frame(message("textDocument/hover", hover_params(uri), i)) for i in (60, 61, 62))
    lsp.write(data[:7])
    for i in range(7, len(data), 13):
        time.sleep(0.01)
        lsp.write(data[i:i + 13])
    assert [lsp.answer(i)["result"] for i in (60, 61, 62)] == [None, None, None]
    lsp.write(data)
    assert [lsp.answer(i)["result"] for i in (60, 61, 62)] == [None, None, None]
    lsp.still_serving(uri)
    assert not problem_lines(lsp.stderr())


def assert_error(answer: dict, code: int, message: str | None = None) -> dict:
    error = answer.get("error")
    assert error is not None and error["code"] == code, answer
    assert "\n" not in error["message"] and "Traceback" not in json.dumps(answer), answer
    if message is not None:
        assert error["message"] == message
    return error


MISTYPED = {
    "codeAction-range-a-string": ("textDocument/codeAction", {
        "textDocument": {"uri": "file:///a.rs"}, "range": "x", "context": {"diagnostics": []}}, r"range"),
    "hover-params-a-list": ("textDocument/hover", [], r"text_document|textDocument"),
    "hover-params-missing": ("textDocument/hover", None, r"params"),
    "hover-position-a-string": ("textDocument/hover", {"textDocument": {"uri": "file:///a.rs"}, "position": "x"},
                                r"position"),
    "resolve-no-title": ("codeAction/resolve", {"data": {}}, r"title"),
    "executeCommand-arguments-a-number": ("workspace/executeCommand", {"command": CHECK, "arguments": 5},
                                          r"arguments"),
}


@pytest.mark.parametrize("case", MISTYPED)
def test_params_that_do_not_fit_the_method_get_invalid_params(lsp, uri, case):
    method, params, mentioned = MISTYPED[case]
    error = assert_error(lsp.request(method, params), INVALID_PARAMS)
    assert method in error["message"] and re.search(mentioned, error["message"]), error
    lsp.still_serving(uri)
    assert "Traceback" not in lsp.stderr()


def test_a_request_after_shutdown_gets_invalid_request(lsp, uri):
    assert lsp.request("shutdown")["result"] is None
    assert_error(lsp.request("textDocument/hover", hover_params(uri)), INVALID_REQUEST)
    lsp.send("exit")
    lsp.proc.stdin.close()
    assert lsp.proc.wait(15) == 0


def test_an_unknown_method_gets_method_not_found_and_an_unknown_notification_nothing(lsp, uri):
    lsp.send("ferrofix/noSuchNotification", {"x": 1})
    lsp.send("textDocument/didSave", [])  # a known notification with params that do not fit
    assert_error(lsp.request("ferrofix/noSuchMethod", {}), METHOD_NOT_FOUND)
    lsp.still_serving(uri)
    assert "Traceback" not in lsp.stderr()


@pytest.mark.parametrize("msg", [
    {"jsonrpc": "1.0", "id": 70, "method": "textDocument/hover"},
    {"id": 70, "method": "textDocument/hover"},
    {"jsonrpc": "2.0", "id": 70, "method": 42},
    {"jsonrpc": "2.0", "id": 70, "method": "textDocument/hover", "params": 5},
], ids=["jsonrpc-1.0", "no-jsonrpc", "method-a-number", "params-a-number"])
def test_a_request_that_is_not_valid_json_rpc_still_gets_an_answer(lsp, uri, msg):
    lsp.write(frame(json.dumps(msg)))
    assert_error(lsp.answer(70), INVALID_PARAMS if "params" in msg else INVALID_REQUEST)
    lsp.still_serving(uri)


@pytest.mark.parametrize("command, arguments, message", [
    (FIX, [], f"{FIX} takes (uri, diagnostic)"),
    (FIX, None, f"{FIX} takes (uri, diagnostic)"),
    (FIX, ["file:///a.rs"], f"{FIX} takes (uri, diagnostic)"),
    (FIX, ["file:///a.rs", {"message": "no range"}], f"{FIX} takes (uri, diagnostic)"),
    (FIX, [42, {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 1}},
                "message": "m"}], f"{FIX} takes (uri, diagnostic)"),
    (EXPLAIN, None, f"{EXPLAIN} takes (code[, message])"),
    (EXPLAIN, [], f"{EXPLAIN} takes (code[, message])"),
    (EXPLAIN, [{"code": "E0382"}], f"{EXPLAIN} takes (code[, message])"),
    (RECORD, [], f"{RECORD} takes (record)"),
    (RECORD, ["not a record"], f"{RECORD} takes (record)"),
])
def test_missing_or_mistyped_command_arguments_get_invalid_params_without_a_traceback(lsp, uri, command, arguments,
                                                                                      message):
    params = {"command": command, **({} if arguments is None else {"arguments": arguments})}
    error = assert_error(lsp.request("workspace/executeCommand", params), INVALID_PARAMS, message)
    assert "data" not in error or error["data"] is None
    lsp.still_serving(uri)


def test_an_ai_fix_action_without_its_data_gets_invalid_params(lsp, uri):
    answer = lsp.request("codeAction/resolve", {"title": "Fix with local AI", "data": {"kind": "ai-fix"}})
    assert_error(answer, INVALID_PARAMS, "codeAction/resolve: an ai-fix action's data takes (uri, diagnostic)")
    lsp.still_serving(uri)


def test_an_internal_error_is_answered_without_its_traceback_which_goes_to_stderr(caplog):
    """In process: whatever a handler raises, the answer carries a one-line message and no `data`."""
    from ferrofix_lsp.state import FerrofixServer

    sent: list[bytes] = []

    class Writer:
        def write(self, data: bytes) -> None:
            sent.append(data)

    server = FerrofixServer()
    server.protocol.set_writer(Writer())

    @server.feature("ferrofix/boom")
    def boom(ls, params):
        raise KeyError("diagnostic")

    server.protocol.handle_message(server.protocol.structure_message(
        {"jsonrpc": "2.0", "id": 1, "method": "ferrofix/boom", "params": None}))
    answer = json.loads(sent[-1].split(b"\r\n\r\n", 1)[1])
    assert answer["error"]["code"] == INTERNAL_ERROR and answer["error"]["message"] == "KeyError: 'diagnostic'"
    assert answer["error"].get("data") is None
    assert "Traceback" in caplog.text and "KeyError" in caplog.text


# -- the frame reader on its own: chunking does not matter, garbage costs no valid frame ------------

def _no_marker(data: bytes) -> bool:
    return b"content-length:" not in data.lower()


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(st.tuples(st.binary(max_size=30).filter(_no_marker), st.binary(max_size=30)), max_size=5),
       st.lists(st.integers(1, 40), min_size=1))
def test_the_frame_reader_finds_every_frame_after_any_garbage_in_any_chunks(frames, sizes):
    from ferrofix_lsp.framing import FrameReader

    stream = b"".join(garbage + frame(body) for garbage, body in frames)
    reader, bodies, at, i = FrameReader(), [], 0, 0
    while at < len(stream):
        bodies += reader.feed(stream[at:at + sizes[i % len(sizes)]])
        at, i = at + sizes[i % len(sizes)], i + 1
    assert bodies == [body for _, body in frames]


# -- every request gets an answer, whatever its params ---------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12)


def shaped(fields: dict) -> st.SearchStrategy:
    """Objects with `fields` (each a valid value or arbitrary JSON) and sometimes an extra key."""
    return st.fixed_dictionaries({k: st.one_of(v, JSON) for k, v in fields.items()},
                                 optional={"extra": JSON})


POSITION = st.fixed_dictionaries({"line": st.integers(-3, 3), "character": st.integers(-3, 3)}) | JSON
RANGE = st.fixed_dictionaries({"start": POSITION, "end": POSITION}) | JSON


def requests(uri: str) -> st.SearchStrategy:
    doc = st.just({"uri": uri}) | st.fixed_dictionaries({"uri": JSON})
    diagnostic = shaped({"range": RANGE, "message": st.text(max_size=8), "code": st.just("E0382"),
                         "severity": st.integers(0, 5), "data": JSON})
    return st.one_of(
        st.tuples(st.just("textDocument/hover"), JSON | shaped({"textDocument": doc, "position": POSITION})),
        st.tuples(st.just("textDocument/codeAction"), JSON | shaped({
            "textDocument": doc, "range": RANGE,
            "context": shaped({"diagnostics": st.lists(diagnostic, max_size=2),
                               "only": st.lists(st.sampled_from(["quickfix", ""]))})})),
        st.tuples(st.just("codeAction/resolve"), JSON | shaped({
            "title": st.text(max_size=8), "data": JSON | shaped({"kind": st.just("ai-fix"), "uri": JSON})})),
        st.tuples(st.just("workspace/executeCommand"), JSON | shaped({
            "command": st.sampled_from([FIX, RECORD, EXPLAIN, CHECK]), "arguments": JSON})),
    )


def test_every_request_is_answered_whatever_its_params(workspace, tmp_path):
    lsp = started(workspace, tmp_path / "server.stderr")
    uri = (workspace / "src" / "main.rs").as_uri()
    try:
        @settings(max_examples=50, deadline=None, database=None)
        @given(st.data())
        def one_request(data):
            method, params = data.draw(requests(uri))
            answer = lsp.request(method, params, timeout=5)
            assert ("result" in answer) != ("error" in answer), answer
            if "error" in answer:
                assert answer["error"]["code"] != INTERNAL_ERROR, answer
                assert "Traceback" not in json.dumps(answer), answer
            assert lsp.proc.poll() is None

        one_request()
        assert lsp.request("shutdown") == {"jsonrpc": "2.0", "id": lsp.next_id, "result": None}
        assert "Traceback" not in lsp.stderr()
    finally:
        lsp.proc.kill()
        lsp.proc.wait()
