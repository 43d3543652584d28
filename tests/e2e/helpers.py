"""
One face for `Client` and `AsyncClient` on a real socket, so that each scenario is written once.

`Api(flavor, **options)` is a `tests.flavors.FlavorApi` on the options given. It keeps every
request the client sent (`sent`, through httpx event hooks, so the headers and body are what
went on the wire) and the local port of every response's connection (`ports`), and it can look
into the client's httpcore connection pool. The cassette tests use it too, with vcrpy in the way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from amigochat_sdk import AsyncStream, Client, Stream
from amigochat_sdk.types import ChatCompletionChunk
from tests.flavors import FlavorApi, StreamHandle as BaseStreamHandle

PIECE = 4  # the reference server's characters per content chunk


def reply_to(text: str = "Hello", messages: int = 1) -> str:
    """The reference server's deterministic answer to a conversation."""
    return f'You said: "{text}". This conversation has {messages} message(s).'


def text_of_events(count: int, text: str = "Hello") -> str:
    """
    The content carried by the first `count` events of a reference stream: a role chunk with
    empty content, then the reply in pieces of `PIECE` characters.
    """
    return reply_to(text)[: PIECE * max(count - 1, 0)]


class StreamHandle(BaseStreamHandle):
    """
    `Stream` or `AsyncStream` behind one set of coroutines. `seen` holds every content piece of
    the first choice handed to the user, in order, even when the stream ends in an error.
    """

    def __init__(
        self, stream: Stream[ChatCompletionChunk] | AsyncStream[ChatCompletionChunk]
    ) -> None:
        super().__init__(stream)
        self.seen: list[str] = []
        self.chunks: list[ChatCompletionChunk] = []

    async def next(self) -> ChatCompletionChunk | None:
        """The next chunk, or `None` at the end; kept in `chunks` and `seen`."""
        chunk = await super().next()
        if chunk is not None:
            self.chunks.append(chunk)
            for choice in chunk.choices:
                if choice.index == 0 and choice.delta.content:
                    self.seen.append(choice.delta.content)
        return chunk

    async def read(self) -> str:
        """Read to the end; return the text seen (also on the way to an error, in `seen`)."""
        while await self.next() is not None:
            pass
        return "".join(self.seen)


def _local_port(response: httpx.Response) -> int | None:
    stream = response.extensions.get("network_stream")
    if stream is None:  # a replayed cassette has no socket
        return None
    address = stream.get_extra_info("client_addr")
    return None if address is None else int(address[1])


class Api(FlavorApi[StreamHandle]):
    """
    A client of one flavor; see the module docstring.
    """

    handle = StreamHandle

    def __init__(self, flavor: str, **options: Any) -> None:
        super().__init__(flavor, **options)
        self.sent: list[httpx.Request] = []
        self.ports: list[int | None] = []
        if isinstance(self.client, Client):
            self.client._http.event_hooks = {
                "request": [self.sent.append],
                "response": [lambda r: self.ports.append(_local_port(r))],
            }
        else:

            async def on_request(request: httpx.Request) -> None:
                self.sent.append(request)

            async def on_response(response: httpx.Response) -> None:
                self.ports.append(_local_port(response))

            self.client._http.event_hooks = {"request": [on_request], "response": [on_response]}

    # ------------------------------------------------------------------ what was sent

    def body(self, index: int = -1) -> Any:
        """The JSON body of a sent request (the last by default)."""
        return json.loads(self.sent[index].content)

    def device_uuids(self) -> list[str]:
        return [request.headers["x-device-uuid"] for request in self.sent]

    # ------------------------------------------------------------------ the connection pool

    def connections(self) -> list[Any]:
        """The httpcore connections in the client's pool."""
        pool: Any = getattr(self.client._http._transport, "_pool")  # noqa: B009 - private
        return list(pool.connections)

    def busy(self) -> list[Any]:
        """Connections still serving a response: neither idle in the pool nor closed."""
        return [c for c in self.connections() if not (c.is_idle() or c.is_closed())]


def distinct(values: Sequence[object]) -> bool:
    return len(set(values)) == len(values)
