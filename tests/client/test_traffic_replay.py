"""
Replay every recorded interaction in `tests/traffic/` through the public clients.

Each response goes out through `httpx.MockTransport`, whole and in small random pieces, to
`Client` and to `AsyncClient` on asyncio and trio. What the SDK hands back is compared with
what an independent reading of the same bytes (plain `json`, line by line) finds.
"""

from __future__ import annotations

import base64
import json
import random
from collections import defaultdict
from typing import Any

import httpx
import pytest

from amigochat_sdk import (
    APIStatusError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
)
from amigochat_sdk.types import ChatCompletion
from tests.client.helpers import Api, Pieces
from tests.traffic import RecordedResponse, cassette_files, load

pytestmark = pytest.mark.anyio

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FILES = [path.name for path in cassette_files()]


# `flavor` comes from tests/conftest.py; `anyio_backend` and the recorded `sleeps` from here.


def kind_of(recorded: RecordedResponse) -> str:
    if recorded.status >= 400:
        return "error"
    if recorded.content_type == "text/event-stream":
        return "stream"
    if recorded.request_path.endswith("/images/generations"):
        return "images"
    assert recorded.request_path.endswith("/chat/completions"), recorded.request_path
    return "completion"


def split(body: bytes, seed: str) -> list[bytes]:
    """`body` in pieces of 1 to 97 bytes, the same ones for the same seed."""
    rng = random.Random(seed)
    pieces = []
    start = 0
    while start < len(body):
        end = start + rng.randint(1, 97)
        pieces.append(body[start:end])
        start = end
    return pieces


def replayer(recorded: RecordedResponse, delivery: str) -> Any:
    """A handler answering every request with the recording, delivered as `delivery` says."""

    def handler(request: httpx.Request) -> httpx.Response:
        original = recorded.to_httpx(request)
        body = recorded.body
        pieces = [body] if delivery == "whole" else split(body, f"{recorded.name}/{request}")
        return httpx.Response(original.status_code, headers=original.headers, stream=Pieces(pieces))

    return handler


# --- what the bytes say, read independently ---------------------------------------------------


def read_stream(body: bytes) -> tuple[dict[int, str], dict[int, dict[int, dict[str, Any]]], Any]:
    """
    Per choice index: the concatenated `delta.content`, the tool calls merged by their index,
    and the last `usage` seen; straight from the `data:` lines with `json`.
    """
    contents: dict[int, str] = defaultdict(str)
    tools: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    usage = None
    for line in body.decode("utf-8").split("\n"):
        line = line.rstrip("\r")
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        chunk = json.loads(data)
        if chunk.get("usage"):
            usage = chunk["usage"]
        for choice in chunk["choices"]:
            index = choice["index"]
            delta = choice.get("delta") or {}
            contents[index] += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                entry = tools[index].setdefault(call["index"], {"id": None, "name": "", "args": ""})
                entry["id"] = call.get("id") or entry["id"]
                function = call.get("function") or {}
                entry["name"] += function.get("name") or ""
                entry["args"] += function.get("arguments") or ""
    return dict(contents), dict(tools), usage


def check_assembled(
    completion: ChatCompletion,
    contents: dict[int, str],
    tools: dict[int, dict[int, dict[str, Any]]],
    usage: Any,
) -> None:
    assert [choice.index for choice in completion.choices] == sorted(contents)
    for choice in completion.choices:
        message = choice.message
        assert (message.content or "") == contents[choice.index]
        expected = tools.get(choice.index, {})
        got = message.tool_calls or []
        assert [(c.id, c.function.name, c.function.arguments) for c in got] == [
            (e["id"], e["name"], e["args"]) for _, e in sorted(expected.items())
        ]
        for call in got:
            json.loads(call.function.arguments)  # every merged argument string is whole JSON
    if usage is None:
        assert completion.usage is None
    else:
        assert completion.usage is not None
        assert completion.usage.model_dump(exclude_none=True, include=set(usage)) == {
            k: v for k, v in usage.items() if v is not None
        }


# --- the replay ---------------------------------------------------------------------------------


async def replay_stream(api: Api, recorded: RecordedResponse) -> None:
    contents, tools, usage = read_stream(recorded.body)
    stream = await api.stream()
    chunks = await stream.all()
    for index, text in contents.items():
        streamed = "".join(
            choice.delta.content or ""
            for chunk in chunks
            for choice in chunk.choices
            if choice.index == index
        )
        assert streamed == text
    check_assembled(await stream.final(), contents, tools, usage)
    assert stream.response.is_closed
    # The same bytes answering `stream=False` assemble into the same completion.
    check_assembled(await api.create(), contents, tools, usage)


async def replay_completion(api: Api, recorded: RecordedResponse) -> None:
    data = json.loads(recorded.body)
    completion = await api.create()
    assert completion.id == data["id"]
    assert completion.choices[0].message.content == data["choices"][0]["message"]["content"]
    assert completion.choices[0].finish_reason == data["choices"][0]["finish_reason"]
    assert completion.usage is not None
    assert completion.usage.total_tokens == data["usage"]["total_tokens"]
    stream = await api.stream()
    assert await stream.text() == [data["choices"][0]["message"]["content"]]


async def replay_images(api: Api, recorded: RecordedResponse) -> None:
    data = json.loads(recorded.body)
    result = await api.generate("A lion in a kitchen")
    assert len(result.data) == len(data["data"])
    for image, item in zip(result.data, data["data"], strict=True):
        assert image.url == item.get("url")
        assert image.revised_prompt == item.get("revised_prompt")
        if item.get("b64_json"):
            content = await api.fetch(image)
            assert content.startswith(PNG_SIGNATURE)
            assert content == base64.b64decode(item["b64_json"])
    assert len(api.requests) == 1


async def replay_error(api: Api, recorded: RecordedResponse, sleeps: list[float]) -> None:
    message = json.loads(recorded.body)["error"]["message"]
    with pytest.raises(APIStatusError) as info:
        await api.create()
    error = info.value
    assert error.status_code == recorded.status
    assert str(error) == f"Error code: {recorded.status} - {message}"
    if recorded.status == 401:
        assert type(error) is AuthenticationError
        assert len(api.requests) == 1
    elif recorded.status == 404:
        assert type(error) is NotFoundError
        assert len(api.requests) == 1
    else:
        assert recorded.status == 429
        assert type(error) is RateLimitError
        headers = httpx.Headers(recorded.headers)
        if "retry-after-ms" in headers:
            wait = float(headers["retry-after-ms"]) / 1000
        else:
            wait = float(headers["retry-after"])
        assert sleeps == [wait]  # the one retry waited exactly as the server asked
        assert error.retry_after == wait
        assert len(api.requests) == 2


@pytest.mark.parametrize("delivery", ["whole", "pieces"])
@pytest.mark.parametrize("name", FILES)
async def test_replay(name: str, delivery: str, flavor: str, sleeps: list[float]) -> None:
    interactions = load(name)
    assert interactions, f"{name} holds no interaction"
    for recorded in interactions:
        sleeps.clear()
        api = Api(flavor, replayer(recorded, delivery), max_retries=1)
        kind = kind_of(recorded)
        if kind == "stream":
            await replay_stream(api, recorded)
        elif kind == "completion":
            await replay_completion(api, recorded)
        elif kind == "images":
            await replay_images(api, recorded)
        else:
            await replay_error(api, recorded, sleeps)


def test_every_kind_is_replayed() -> None:
    kinds = {kind_of(recorded) for name in FILES for recorded in load(name)}
    assert kinds == {"stream", "completion", "images", "error"}
    statuses = {recorded.status for name in FILES for recorded in load(name)}
    assert {401, 404, 429} <= statuses
