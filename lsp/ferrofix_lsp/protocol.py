"""The JSON-RPC side of the server: pygls' `LanguageServerProtocol`, announcing UTF-16 positions and
answering every request (see `FerrofixProtocol`)."""

from __future__ import annotations

import logging
from typing import Any

import attrs
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams, JsonRpcInvalidRequest
from pygls.protocol import (JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage,
                            LanguageServerProtocol, lsp_method)

from . import framing

log = logging.getLogger("ferrofix_lsp")


class FerrofixProtocol(LanguageServerProtocol):
    """pygls' protocol, announcing UTF-16 positions whatever the client offers (all our conversions
    count UTF-16 code units, the LSP default), and answering every request: pygls raised from
    `structure_message` inside its reader loop, so a request whose params did not fit the method's
    lsprotocol type was never answered, and an internal error's answer carried the traceback."""

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        if params.capabilities.general is not None:
            params.capabilities.general.position_encodings = None
        return (yield from super().lsp_initialize(params))

    def to_json(self, obj: Any) -> Any:
        """An lsprotocol object as its JSON value (pygls' cattrs converter: the one place it is used)."""
        return self._converter.unstructure(obj)

    def from_json(self, value: Any, cls: type) -> Any:
        """A JSON value as an lsprotocol `cls`. Raises cattrs' errors for a value that does not fit."""
        return self._converter.structure(value, cls)

    def structure_message(self, data: Any) -> Any:
        """A message's JSON value as its lsprotocol (or pygls) object, as pygls does; what cannot be
        one becomes a `framing.Rejected`: InvalidRequest, or InvalidParams with cattrs' one-line why."""
        if not isinstance(data, dict) or "jsonrpc" not in data:
            return data  # as pygls: the objects inside a message stay dicts
        if (problem := framing.message_problem(data)) is not None:
            return framing.Rejected.of(data, JsonRpcInvalidRequest(problem))
        method = data.get("method")
        if method is not None:
            cls = self.get_message_type(method) or (JsonRPCRequestMessage if "id" in data else JsonRPCNotification)
            if "id" in data and not any(f.name == "id" for f in attrs.fields(cls)):
                return framing.Rejected.of(data, JsonRpcInvalidRequest(f"{method} is a notification, not a request"))
        elif "error" in data:
            cls = types.ResponseErrorMessage
        else:
            cls = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
        try:
            return self.from_json(data, cls)
        except Exception as e:
            return framing.Rejected.of(data, JsonRpcInvalidParams(f"{method or 'response'}: {framing.describe(e)}"))

    def handle_message(self, message: Any) -> None:
        """pygls' dispatch. A `Rejected`, a value that is not a message, or a request after `shutdown` is
        logged in one line instead, and its error answers the request (when it has a usable id) or fails
        our request that a malformed response answers."""
        if not isinstance(message, framing.Rejected):
            if not attrs.has(type(message)):
                message = framing.Rejected.of(message, JsonRpcInvalidRequest(
                    f"not a JSON-RPC message: {framing.shorten(message)}"))
            elif self._shutdown and hasattr(message, "id") and getattr(message, "method", None) is not None:
                message = framing.Rejected(JsonRpcInvalidRequest(f"{message.method}: the server is shutting down"),
                                           request_id=message.id)
            else:
                return super().handle_message(message)
        if message.request_id is None:
            log.warning("%s", message.error.message)
        else:
            log.warning("request %r: %s", message.request_id, message.error.message)
        error = message.error.to_response_error()
        if message.request_id is not None:
            self._send_response(message.request_id, error=error)
        elif message.response_id in self._request_futures:
            self._handle_response(message.response_id, error=error)

    def _send_handler_result(self, future, *, msg_id) -> None:
        """pygls' answer with a handler's result; a JsonRpcException the handler raised (the client's
        mistake, such as InvalidParams) is logged in one line, not with a traceback."""
        if future.cancelled() or not isinstance(exc := future.exception(), JsonRpcException):
            return super()._send_handler_result(future, msg_id=msg_id)
        self._request_futures.pop(msg_id, None)
        log.warning("request %r: %s", msg_id, exc.message)
        self._send_response(msg_id, error=exc.to_response_error())

    def _send_response(self, msg_id, result: Any = None, error: types.ResponseError | None = None) -> None:
        """pygls' answer, without the traceback pygls puts into an internal error's `data` (it logged it
        to stderr): the client gets the exception's one line."""
        if error is not None and error.code == JsonRpcInternalError.CODE:
            error = types.ResponseError(error.code, error.message.strip().split("\n", 1)[0])
        super()._send_response(msg_id, result, error)
