"""
A stream gives its HTTP response back on every way out: exhaustion, `break` and `close()`,
leaving a `with` block, an exception, and garbage collection.
"""

from __future__ import annotations

import gc
import itertools
import warnings
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from amigochat_sdk import (
    AsyncStream,
    Client,
    InternalServerError,
    Stream,
    StreamInterruptedError,
    StreamServerError,
)
from amigochat_sdk.types import ChatCompletionChunk
from tests.client.helpers import (
    DONE,
    MESSAGES,
    Api,
    Pieces,
    chunk_event,
    completion_data,
    event,
    json_response,
    sse_response,
)

pytestmark = pytest.mark.anyio


def long_stream(request: httpx.Request) -> httpx.Response:
    pieces = [chunk_event("", role="assistant")]
    pieces += [chunk_event(f"word{i} ") for i in range(20)]
    pieces += [chunk_event(finish="stop"), DONE]
    return sse_response(*pieces)


def body_of(api: Api) -> Pieces:
    """The body stream the transport handed out (httpx wraps it; the recorder kept the reply)."""
    [reply] = api.responses
    stream = reply.stream
    inner = getattr(stream, "_stream", stream)
    assert isinstance(inner, Pieces)
    return inner


async def test_closed_after_exhaustion(flavor: str) -> None:
    api = Api(flavor, long_stream)
    stream = await api.stream()
    assert not stream.response.is_closed
    chunks = await stream.all()
    assert len(chunks) == 22
    assert stream.response.is_closed
    assert api.responses[0].is_closed
    assert body_of(api).closed


async def test_break_then_close(flavor: str) -> None:
    api = Api(flavor, long_stream)
    stream = await api.stream()
    first = await stream.next()
    assert first is not None
    assert not stream.response.is_closed  # still open while the user may read on
    await stream.close()
    assert stream.response.is_closed
    assert body_of(api).closed
    assert body_of(api).delivered < 23  # closing does not read the rest
    assert await stream.next() is None  # a closed stream is simply over
    await stream.close()  # and closing twice is harmless


@pytest.mark.parametrize("flavor", ["trio"])
async def test_closing_early_finalizes_the_body(flavor: str) -> None:
    # trio warns about each async generator collected unfinished: the driver must close the
    # body iterator it opened, not leave it to the collector, when the stream closes early.
    api = Api(flavor, long_stream)
    stream = await api.stream()
    assert await stream.next() is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        await stream.close()
        del stream
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


async def test_final_completion_after_close_holds_what_arrived(flavor: str) -> None:
    api = Api(flavor, long_stream)
    stream = await api.stream()
    for _ in range(3):
        await stream.next()
    await stream.close()
    final = await stream.final()
    assert final.choices[0].message.content == "word0 word1 "
    assert final.choices[0].finish_reason is None


async def test_closed_on_leaving_a_with_block(flavor: str) -> None:
    api = Api(flavor, long_stream)
    async with await api.stream() as stream:
        await stream.next()
        await stream.next()
        assert not stream.response.is_closed
    assert stream.response.is_closed
    assert body_of(api).closed


async def test_closed_when_the_user_raises_inside_with(flavor: str) -> None:
    api = Api(flavor, long_stream)
    with pytest.raises(KeyError):
        async with await api.stream() as stream:
            await stream.next()
            raise KeyError("user code failed")
    assert stream.response.is_closed


async def test_closed_when_the_stream_raises(flavor: str) -> None:
    pieces = [chunk_event("Hi", role="assistant"), event({"error": "boom"}, name="error"), DONE]
    api = Api(flavor, lambda request: sse_response(*pieces))
    stream = await api.stream()
    with pytest.raises(StreamServerError):
        await stream.all()  # no `with`, no close(): the SDK's error path closes it
    assert stream.response.is_closed
    assert body_of(api).closed


async def test_closed_when_the_connection_drops(flavor: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        drop = httpx.ReadError("reset", request=request)
        return sse_response(chunk_event("Hi", role="assistant"), error=drop)

    api = Api(flavor, handler)
    stream = await api.stream()
    with pytest.raises(StreamInterruptedError):
        await stream.all()
    assert stream.response.is_closed


async def test_non_streamed_calls_close_their_response(flavor: str) -> None:
    replies = iter(
        [
            json_response(201, completion_data()),
            sse_response(chunk_event("Hi", role="assistant", finish="stop"), DONE),
            json_response(500, {"error": "down"}),
        ]
    )
    api = Api(flavor, lambda request: next(replies), max_retries=0)
    await api.create()
    await api.create()
    with pytest.raises(InternalServerError):
        await api.create()
    assert [reply.is_closed for reply in api.responses] == [True, True, True]


async def test_error_status_on_a_stream_closes_the_response(flavor: str) -> None:
    api = Api(flavor, lambda request: json_response(500, {"error": "down"}), max_retries=0)
    with pytest.raises(InternalServerError):
        await api.stream()
    assert api.responses[0].is_closed


async def test_stream_exposes_headers_and_request_id(flavor: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        reply = long_stream(request)
        reply.headers["x-request-id"] = "req_123"
        return reply

    api = Api(flavor, handler)
    stream = await api.stream()
    assert stream.stream.request_id == "req_123"
    assert stream.stream.headers["content-type"] == "text/event-stream"
    await stream.close()


def sync_stream(api: Api) -> Stream[ChatCompletionChunk]:
    assert isinstance(api.client, Client)
    return api.client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)


def test_sync_stream_closed_by_garbage_collection() -> None:
    api = Api("sync", long_stream)
    stream = sync_stream(api)
    next(stream)
    response = stream.response
    assert not response.is_closed
    del stream
    gc.collect()
    assert response.is_closed


def _words(chunks: list[ChatCompletionChunk]) -> list[str | None]:
    return [chunk.choices[0].delta.content for chunk in chunks]


def test_sync_stream_is_an_iterator_and_context_manager() -> None:
    stream = sync_stream(Api("sync", long_stream))
    assert isinstance(stream, Iterator)
    # `next()` and `for` take from one sequence (a `for` loop runs the driver itself).
    got = [next(stream)]
    for chunk in stream:
        got.append(chunk)
        break
    got += [next(stream), *itertools.islice(stream, 1)]
    assert _words(got) == ["", "word0 ", "word1 ", "word2 "]
    with stream as same:
        assert same is stream
    assert stream.response.is_closed
    assert list(stream) == []
    with pytest.raises(StopIteration):
        next(stream)


@pytest.mark.parametrize("flavor", ["asyncio", "trio"])
async def test_async_stream_aclose_and_close(flavor: str) -> None:
    for method in ("aclose", "close"):
        api = Api(flavor, long_stream)
        stream = (await api.stream()).stream
        assert isinstance(stream, AsyncStream)
        assert isinstance(stream, AsyncIterator)
        got = [await stream.__anext__()]
        async for chunk in stream:  # the same sequence as `__anext__()`
            got.append(chunk)
            break
        got.append(await anext(stream))
        assert _words(got) == ["", "word0 ", "word1 "]
        await getattr(stream, method)()
        assert stream.response.is_closed
        with pytest.raises(StopAsyncIteration):
            await stream.__anext__()
