"""
What the public calls return, as a type checker sees it.

`test_mypy_strict_accepts_this_file` runs `mypy --strict` on this file: every `assert_type`
below must hold, and every `# type: ignore[...]` must be needed (strict mode reports unused
ones), which proves that a misspelt keyword is a type error. The same functions also run
against a mock transport, so the declared types are the ones that come back.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from typing_extensions import assert_type

from amigochat_sdk import AsyncClient, AsyncStream, Client, Stream
from amigochat_sdk.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    Image,
    ImagesResponse,
)
from tests.typing.helpers import assert_mypy_strict_accepts

MODEL = "gpt-4o-mini"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello"}]


def sync_calls(client: Client, flag: bool) -> None:
    completions = client.chat.completions
    assert_type(completions.create(model=MODEL, messages=MESSAGES), ChatCompletion)
    assert_type(completions.create(model=MODEL, messages=MESSAGES, stream=False), ChatCompletion)
    stream = completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert_type(stream, Stream[ChatCompletionChunk])
    assert_type(next(stream), ChatCompletionChunk)
    assert_type(stream.text(), Iterator[str])
    assert_type(stream.get_final_completion(), ChatCompletion)
    with completions.create(model=MODEL, messages=MESSAGES, stream=True) as managed:
        assert_type(managed, Stream[ChatCompletionChunk])
    either = completions.create(model=MODEL, messages=MESSAGES, stream=flag)
    assert_type(either, ChatCompletion | Stream[ChatCompletionChunk])
    images = client.images.generate("A cat")
    assert_type(images, ImagesResponse)
    assert_type(client.images.fetch(Image(b64_json="AAAA")), bytes)


async def async_calls(client: AsyncClient, flag: bool) -> None:
    completions = client.chat.completions
    assert_type(await completions.create(model=MODEL, messages=MESSAGES), ChatCompletion)
    completion = await completions.create(model=MODEL, messages=MESSAGES, stream=False)
    assert_type(completion, ChatCompletion)
    stream = await completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert_type(stream, AsyncStream[ChatCompletionChunk])
    assert_type(await stream.__anext__(), ChatCompletionChunk)
    assert_type(stream.text(), AsyncIterator[str])
    assert_type(await stream.get_final_completion(), ChatCompletion)
    async with await completions.create(model=MODEL, messages=MESSAGES, stream=True) as managed:
        assert_type(managed, AsyncStream[ChatCompletionChunk])
    either = await completions.create(model=MODEL, messages=MESSAGES, stream=flag)
    assert_type(either, ChatCompletion | AsyncStream[ChatCompletionChunk])
    if isinstance(either, AsyncStream):
        await either.aclose()  # opened and never read: closed here, not by the collector
    assert_type(await client.images.generate("A cat"), ImagesResponse)
    assert_type(await client.images.fetch(Image(b64_json="AAAA")), bytes)


async def typos_are_type_errors(client: Client, aclient: AsyncClient) -> None:  # pragma: no cover
    """Never called: each line must fail the type check, or its `ignore` is reported unused."""
    client.chat.completions.create(model=MODEL, messages=MESSAGES, temprature=0.3)  # type: ignore[call-overload]
    client.chat.completions.create(model=MODEL, messages=MESSAGES, stream="yes")  # type: ignore[call-overload]
    client.images.generate("A cat", sizee="1024x1024")  # type: ignore[call-arg]
    await aclient.images.generate("A cat", n="two")  # type: ignore[arg-type]
    Client(api_kye="secret")  # type: ignore[call-arg]
    AsyncClient(max_retries="3")  # type: ignore[arg-type]


def handler(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/images/generations"):
        return httpx.Response(201, json={"data": [{"url": "https://cdn.test/1.png"}]})
    choice = {"index": 0, "delta": {"content": "Hi"}, "finish_reason": "stop"}
    if request.headers["accept"] == "text/event-stream":
        chunk = json.dumps({"object": "chat.completion.chunk", "choices": [choice]})
        body = f"data: {chunk}\n\ndata: [DONE]\n\n".encode()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    message = {"index": 0, "message": {"role": "assistant", "content": "Hi"}}
    return httpx.Response(201, json={"object": "chat.completion", "choices": [message]})


@pytest.mark.parametrize("flag", [False, True])
def test_sync_types_hold_at_run_time(flag: bool) -> None:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    sync_calls(Client(base_url="http://test/v1", http_client=http), flag)


@pytest.mark.anyio
@pytest.mark.parametrize("flag", [False, True])
async def test_async_types_hold_at_run_time(flag: bool) -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    await async_calls(AsyncClient(base_url="http://test/v1", http_client=http), flag)


def test_mypy_strict_accepts_this_file() -> None:
    assert_mypy_strict_accepts(__file__)
