"""
From a reply and a fault to bytes on the socket: event-stream framing and the faults that act on
the connection (delays, cuts, drops, inserted events, odd line endings, split writes).

Rule: every `/v1` response goes out through `FaultyResponse`; nothing else writes to the socket.
Dropping a connection needs the server's help (`DropHook`), because ASGI cannot close a socket:
`_server.py` provides it under uvicorn; elsewhere a drop raises `ConnectionDroppedError`.
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable

import anyio
import anyio.lowlevel
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from amigochat_sdk.types import ErrorObject, StreamErrorEvent

from ._bodies import UPSTREAM_MESSAGE, Reply, dump
from ._faults import Fault

__all__ = ["INVALID_UTF8", "ConnectionDroppedError", "DropHook", "FaultyResponse"]

INVALID_UTF8 = b"\xc3\x28\xa0\xa1\xff"  # a broken 2-byte sequence, lone continuations, 0xFF
_PLACEHOLDER = "@@invalid-utf8@@"
_DROP_GRACE = 5.0  # seconds to wait for the server to report a dropped connection
_POLL = 0.05  # how often a pause looks whether the server is stopping

#: Closes the connection of an ASGI scope; returns False when it cannot.
DropHook = Callable[[Scope], bool]


class ConnectionDroppedError(RuntimeError):
    """
    Raised when a fault asks to drop the connection but the ASGI server offers no way to: the
    app runs outside `ReferenceServer`, so the server is left to end the exchange.
    """


Action = bytes | float  # bytes to write, or seconds to pause


def _event_actions(reply: Reply, fault: Fault) -> tuple[list[Action], bool]:
    assert reply.events is not None
    chunks, tail = reply.events[:-1], reply.events[-1:]
    inserted = []
    if fault.huge_event is not None and reply.chunk_factory is not None:
        inserted.append([b"data: " + reply.chunk_factory("x" * fault.huge_event)])
    if fault.invalid_utf8 and reply.chunk_factory is not None:
        data = reply.chunk_factory(_PLACEHOLDER).replace(_PLACEHOLDER.encode(), INVALID_UTF8)
        inserted.append([b"data: " + data])
    chunks[1:1] = inserted
    if fault.malformed_after is not None:
        chunks.insert(fault.malformed_after, [b"data: {not json"])
    if fault.error_event_after is not None:
        error = ErrorObject(
            message=fault.message or UPSTREAM_MESSAGE, type="server_error", param=None, code=None
        )
        chunks = chunks[: fault.error_event_after]
        tail = [[b"event: error", b"data: " + dump(StreamErrorEvent(error=error))]]
    for cut in (fault.eof_after, fault.close_after):
        if cut is not None:
            chunks, tail = chunks[:cut], []
    eol = fault.line_ending.encode()
    actions: list[Action] = [eol.join(lines) + eol + eol for lines in chunks + tail]
    if fault.stall_after is not None and fault.stall_after[0] <= len(actions):
        actions.insert(fault.stall_after[0], fault.stall_after[1])
    return actions, fault.close_after is not None


def _body_actions(body: bytes, fault: Fault) -> list[Action]:
    end = len(body) if fault.close_after is None else min(fault.close_after, len(body))
    if fault.stall_after is not None and fault.stall_after[0] <= end:
        at, seconds = fault.stall_after
        return [body[:at], seconds, body[at:end]]
    return [body[:end]]


def _fault_headers(fault: Fault) -> list[tuple[str, str]]:
    headers = []
    if fault.retry_after is not None:
        headers.append(("retry-after", fault.retry_after))
    if fault.retry_after_date is not None:
        when = time.time() + fault.retry_after_date
        headers.append(("retry-after", email.utils.formatdate(when, usegmt=True)))
    if fault.retry_after_ms is not None:
        headers.append(("retry-after-ms", fault.retry_after_ms))
    if fault.should_retry is not None:
        headers.append(("x-should-retry", str(fault.should_retry).lower()))
    return headers + list(fault.headers)


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


class FaultyResponse(Response):
    """
    Sends a `Reply` with a `Fault` carried out on the wire; stops early if the client leaves.
    Pauses end early, dropping the connection, once `closing` is set (the server is stopping).
    """

    def __init__(
        self,
        reply: Reply,
        fault: Fault,
        *,
        request_id: str,
        drop: DropHook | None,
        closing: threading.Event | None = None,
    ) -> None:
        super().__init__(status_code=reply.status)
        self.reply, self.fault, self.drop = reply, fault, drop
        self.closing = closing or threading.Event()
        headers = [("x-request-id", request_id)]
        content_type = fault.content_type or reply.content_type
        if content_type is not None:
            headers.append(("content-type", content_type))
        if reply.events is None:
            body = reply.body if fault.eof_after is None else reply.body[: fault.eof_after]
            headers.append(("content-length", str(len(body))))
            self.actions, must_close = _body_actions(body, fault), fault.close_after is not None
        else:
            self.actions, must_close = _event_actions(reply, fault)
        self.must_close = must_close or fault.close_before_headers
        headers += reply.headers + _fault_headers(fault)
        self.raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cannot_drop = False
        async with anyio.create_task_group() as group:
            group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
            if await self._write(send):
                if self.drop is not None and self.drop(scope):
                    with anyio.move_on_after(_DROP_GRACE):
                        await anyio.sleep_forever()  # until the disconnect cancels the group
                else:
                    cannot_drop = True
            group.cancel_scope.cancel()
        if cannot_drop:
            raise ConnectionDroppedError("a fault asked to drop the connection")

    async def _pause(self, seconds: float) -> bool:
        """
        Sleep; return False at once if the server starts closing meanwhile.
        """
        deadline = anyio.current_time() + seconds
        while (left := deadline - anyio.current_time()) > 0:
            if self.closing.is_set():
                return False
            await anyio.sleep(min(left, _POLL))
        return True

    async def _write(self, send: Send) -> bool:
        """
        Write the response; return whether the connection must now be dropped.
        """
        if self.fault.slow_first_byte and not await self._pause(self.fault.slow_first_byte):
            return True
        if self.fault.close_before_headers:
            return True
        start = {"type": "http.response.start", "status": self.status_code}
        await send({**start, "headers": self.raw_headers})
        size = self.fault.split_writes
        for action in self.actions:
            if not isinstance(action, bytes):
                if not await self._pause(action):
                    return True
                continue
            pieces = (
                [action]
                if size is None
                else [action[i : i + size] for i in range(0, len(action), size)]
            )
            for piece in pieces:
                if piece:
                    await send({"type": "http.response.body", "body": piece, "more_body": True})
                    await anyio.lowlevel.checkpoint()  # let a disconnect be noticed
        if self.must_close:
            return True
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return False
