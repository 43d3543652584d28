"""
What `parse()` and `run_tools()` return, as a type checker sees it: `parsed` is the asked type.

As in `test_types.py`, `mypy --strict` runs on this file, and the same functions run against a
mock transport, so the declared types are the ones that come back.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from typing_extensions import assert_type

from amigochat_sdk import AsyncClient, AsyncEventStream, Client, EventStream
from amigochat_sdk.types import (
    ChatCompletionMessageParam,
    ParsedChatCompletion,
    StreamEvent,
    ToolRunResult,
)
from tests.typing.helpers import assert_mypy_strict_accepts

MODEL = "gpt-4o-mini"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello"}]
ANSWER = '{"name": "Paris", "population": 2100000}'


class City(BaseModel):
    name: str
    population: int


def lookup(city: str) -> str:
    """Look a city up."""
    return f"{city} is big"


def sync_calls(client: Client) -> None:
    completions = client.chat.completions
    parsed = completions.parse(model=MODEL, messages=MESSAGES, response_format=City)
    assert_type(parsed, ParsedChatCompletion[City])
    assert_type(parsed.choices[0].message.parsed, City | None)
    assert_type(completions.parse(model=MODEL, messages=MESSAGES, response_format=list[int]),
                ParsedChatCompletion[list[int]])  # fmt: skip
    with completions.parse(
        model=MODEL, messages=MESSAGES, response_format=City, stream=True
    ) as stream:
        assert_type(stream, EventStream[ParsedChatCompletion[City]])
        assert_type(next(stream), StreamEvent)
        assert_type(stream.until_done(), ParsedChatCompletion[City])
    result = completions.run_tools(model=MODEL, messages=MESSAGES, tools=[lookup])
    assert_type(result, ToolRunResult)
    assert_type(result.content, str | None)
    runner = completions.run_tools(model=MODEL, messages=MESSAGES, tools=[lookup], stream=True)
    assert_type(runner, EventStream[ToolRunResult])
    assert_type(runner.until_done(), ToolRunResult)
    assert parsed.choices[0].message.parsed == City(name="Paris", population=2100000)


async def async_calls(client: AsyncClient) -> None:
    completions = client.chat.completions
    parsed = await completions.parse(model=MODEL, messages=MESSAGES, response_format=City)
    assert_type(parsed, ParsedChatCompletion[City])
    assert_type(parsed.choices[0].message.parsed, City | None)
    stream = await completions.parse(
        model=MODEL, messages=MESSAGES, response_format=City, stream=True
    )
    assert_type(stream, AsyncEventStream[ParsedChatCompletion[City]])
    assert_type(await stream.until_done(), ParsedChatCompletion[City])
    result = await completions.run_tools(model=MODEL, messages=MESSAGES, tools=[lookup])
    assert_type(result, ToolRunResult)
    runner = await completions.run_tools(
        model=MODEL, messages=MESSAGES, tools=[lookup], stream=True
    )
    assert_type(runner, AsyncEventStream[ToolRunResult])
    assert_type(await runner.until_done(), ToolRunResult)


def typos_are_type_errors(client: Client) -> None:  # pragma: no cover
    """Never called: each line must fail the type check, or its `ignore` is reported unused."""
    client.chat.completions.parse(
        model=MODEL, messages=MESSAGES, response_format=City, structured="xml"
    )  # type: ignore[call-overload]
    client.chat.completions.parse(
        model=MODEL, messages=MESSAGES, response_format=City, max_repair=2
    )  # type: ignore[call-overload]
    client.chat.completions.run_tools(model=MODEL, messages=MESSAGES, tools=[lookup], max_step=2)  # type: ignore[call-overload]


def handler(request: httpx.Request) -> httpx.Response:
    body = json.loads(request.content)
    last = body["messages"][-1]
    message: dict[str, Any]
    if body.get("tools") and last["role"] == "user":
        function = {"name": "lookup", "arguments": '{"city": "Paris"}'}
        call = {"id": "c1", "type": "function", "function": function}
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        reason = "tool_calls"
    else:
        form = body.get("response_format")
        wrapped = form and form["json_schema"]["schema"]["required"] == ["value"]
        content = ('{"value": [1, 2]}' if wrapped else ANSWER) if form else f"It said: {last}"
        message, reason = {"role": "assistant", "content": content}, "stop"
    if request.headers["accept"] == "text/event-stream":
        delta = dict(message)
        if "tool_calls" in delta:
            delta["tool_calls"] = [{"index": 0, **delta["tool_calls"][0]}]
        choice = {"index": 0, "delta": delta, "finish_reason": reason}
        chunk = json.dumps({"object": "chat.completion.chunk", "choices": [choice]})
        stream = f"data: {chunk}\n\ndata: [DONE]\n\n".encode()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=stream)
    choices = [{"index": 0, "message": message, "finish_reason": reason}]
    return httpx.Response(201, json={"object": "chat.completion", "choices": choices})


def test_sync_types_hold_at_run_time() -> None:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    sync_calls(Client(base_url="http://test/v1", http_client=http))


@pytest.mark.anyio
async def test_async_types_hold_at_run_time() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    await async_calls(AsyncClient(base_url="http://test/v1", http_client=http))


def test_mypy_strict_accepts_this_file() -> None:
    assert_mypy_strict_accepts(__file__)
