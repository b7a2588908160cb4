"""The protocol's input over stdio, read by our own loop instead of pygls' `io_.run_async`, which
matches only `Content-Length: <digits>\\r\\n` and after any other header reads the body as header
lines: one bad frame and the server never answered again, with nothing logged.

A frame is header lines (`Name: value`, `\\r\\n` or `\\n`; names case-insensitive), an empty line, then
`Content-Length` bytes of body. `Content-Length` is required and at most `MAX_BODY` (64 MiB: a bigger
body is a broken client, not a document); `Content-Type` and unknown headers are accepted and ignored.
A framing error is one line on stderr, and the reader resynchronises on the next `Content-Length:`
(bytes glued before one are the rest of a bad frame); no error needs the process to end. A body that is
not JSON is one line on stderr; a JSON value goes to the protocol, which answers a request it cannot take
(`protocol.FerrofixProtocol`, with `Rejected` and `message_problem` below)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from typing import TYPE_CHECKING, Any

import attrs
from cattrs.errors import BaseValidationError
from cattrs.v import transform_error
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

if TYPE_CHECKING:
    from pygls.protocol import JsonRPCProtocol
    from pygls.server import JsonRPCServer

log = logging.getLogger("ferrofix_lsp.framing")

#: The largest body accepted (bytes): a bigger `Content-Length` is a framing error.
MAX_BODY = 64 * 1024 * 1024
#: The longest header line accepted (bytes).
MAX_HEADER_LINE = 8192
#: Bytes read from stdin at a time (what is there, up to this many).
CHUNK = 65536
_MARKER = b"content-length:"
_HEADER = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*?)[ \t]*\r?\n")


def shorten(data: Any, limit: int = 60) -> str:
    """`data` for a log line: its repr (of bytes without the b), at most `limit` characters of it."""
    text = repr(data)[1:] if isinstance(data, bytes) else repr(data)
    return text if len(text) <= limit else text[:limit] + "…"


class FrameReader:
    """Splits a byte stream into message bodies (no I/O: `feed` takes bytes, returns the bodies they
    complete). Framing errors are logged here."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._headers = False  # a header line of the current frame was read
        self._length: int | None = None  # its Content-Length
        self._in_body = False  # the empty line after the headers was read
        self._skipping = False  # after an error: looking for the next Content-Length header

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        bodies: list[bytes] = []
        while self._buf or self._in_body:
            if self._skipping:
                at = self._buf.lower().find(_MARKER)
                if at < 0:  # keep a tail that may be the start of the marker
                    del self._buf[:max(0, len(self._buf) - len(_MARKER) + 1)]
                    break
                del self._buf[:at]
                self._skipping = False
            if self._in_body:
                if len(self._buf) < self._length:
                    break
                bodies.append(bytes(self._buf[:self._length]))
                del self._buf[:self._length]
                self._reset()
                continue
            end = self._buf.find(b"\n")
            if end < 0:
                if len(self._buf) > MAX_HEADER_LINE:
                    del self._buf[:1]  # not to find this line's own marker again
                    self._error(f"a header line longer than {MAX_HEADER_LINE} bytes")
                break
            line = bytes(self._buf[:end + 1])
            del self._buf[:end + 1]
            self._header(line)
        return bodies

    def _header(self, line: bytes) -> None:
        at = line.lower().find(_MARKER, 1)
        if at > 0:  # the rest of a bad frame, or garbage, glued to the next frame's header
            self._buf[:0] = line[at:]
            return self._error(f"garbage before a header: {shorten(line[:at])}", skip=False)
        if not line.strip(b"\r\n"):
            if self._length is not None:
                self._in_body = True
            elif self._headers:
                self._error("a frame with no Content-Length header")
            # else an empty line between frames: tolerated
            return
        m = _HEADER.fullmatch(line)
        if m is None:
            return self._error(f"not a header: {shorten(line)}")
        self._headers = True
        if m.group(1).lower() != b"content-length":
            return  # Content-Type (we read UTF-8 JSON, as does every client) or unknown: ignored
        value = m.group(2)
        if self._length is not None:
            self._error("two Content-Length headers")
        elif not value.isdigit():
            self._error(f"Content-Length {shorten(value)} is not a number of bytes")
        elif int(value) > MAX_BODY:
            self._error(f"Content-Length {int(value)} is over the {MAX_BODY // 2**20} MiB limit")
        else:
            self._length = int(value)

    def _reset(self) -> None:
        self._headers, self._length, self._in_body = False, None, False

    def _error(self, what: str, skip: bool = True) -> None:
        log.error("bad frame: %s; %s", what, "skipping to the next Content-Length header" if skip
                  else "reading on from the Content-Length header after it")
        self._reset()
        self._skipping = skip


def _not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")  # Python reads NaN and Infinity, and would echo them


async def read_messages(stop: threading.Event, read, protocol: JsonRPCProtocol) -> None:
    """Feed what `read()` returns into a `FrameReader` and hand each JSON body to `protocol` until end
    of file; pygls' `run_async` with our framing. A failure while handling one message is logged and the
    next one is read (SystemExit, from `exit`, and BrokenPipeError, the client is gone, end the loop)."""
    frames = FrameReader()
    while not stop.is_set():
        data = await read()
        if not data:
            break
        for body in frames.feed(data):
            try:
                value = json.loads(body, parse_constant=_not_json)
            except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
                log.error("bad frame: the body is not JSON (%s): %s", str(e).splitlines()[0][:100], shorten(body))
                continue
            try:
                protocol.handle_message(protocol.structure_message(value))
            except BrokenPipeError:
                raise
            except Exception:
                log.exception("could not handle a message: %s", shorten(body))


def start_io(server: JsonRPCServer, stdin, stdout) -> None:
    """Serve over `stdin` (anything with `read1(n)`, in the server's thread pool as pygls reads) and
    `stdout`; what pygls' `JsonRPCServer._start_io_async` does, with `read_messages` as the loop."""
    server._stop_event = stop = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))

    async def read() -> bytes:
        return await asyncio.get_running_loop().run_in_executor(server.thread_pool, stdin.read1, CHUNK)

    try:
        asyncio.run(read_messages(stop, read, server.protocol))
    except BrokenPipeError:
        log.error("the connection to the client is lost")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()


# -- messages ----------------------------------------------------------------------------------------

@attrs.define
class Rejected:
    """What the protocol cannot take as a message: the error, and the id of the request to answer with
    it, or of the response whose waiting request fails with it (None when there is no usable id)."""

    error: JsonRpcException
    request_id: int | str | None = None
    response_id: int | str | None = None

    @classmethod
    def of(cls, data: Any, error: JsonRpcException) -> Rejected:
        d = data if isinstance(data, dict) else {}
        msg_id = d.get("id") if usable_id(d.get("id")) else None
        return cls(error, msg_id, None) if "method" in d else cls(error, None, msg_id)


def usable_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def message_problem(data: dict) -> str | None:
    """What makes a JSON object with a `jsonrpc` member not a JSON-RPC 2.0 message, or None."""
    if data["jsonrpc"] != "2.0":
        return f"jsonrpc is {shorten(data['jsonrpc'])}, not '2.0'"
    if "id" in data and not usable_id(data["id"]) and not (data["id"] is None and "error" in data):
        return f"id {shorten(data['id'])} is not an integer or a string"
    if "method" in data:
        return None if isinstance(data["method"], str) else "the method is not a string"
    if "id" not in data or ("result" in data) == ("error" in data):
        return "not a JSON-RPC message: neither a request, a notification nor a response"
    return None


def describe(error: Exception) -> str:
    """One line for a structuring error (cattrs': each problem with its path)."""
    lines = transform_error(error) if isinstance(error, BaseValidationError) else [str(error)]
    text = "; ".join(line.splitlines()[0] for line in lines if line)
    return text if len(text) <= 300 else text[:300] + "…"
