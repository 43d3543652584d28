"""
Chat completions replayed from cassettes: every answer shape the service has used, and the exact
requests the clients send for them.
"""

from __future__ import annotations

import pytest

from tests.cassettes import checks
from tests.cassettes.conftest import OpenCassette, live_too
from tests.e2e.helpers import reply_to
from tests.flavors import user

pytestmark = pytest.mark.anyio

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@live_too
async def test_completion(open_cassette: OpenCassette) -> None:
    async with open_cassette("chat_completion") as recorded:
        api = recorded.api
        reply = await api.create(messages=user("Hello"))
    content = reply.choices[0].message.content
    assert reply.object == "chat.completion" and reply.choices[0].message.role == "assistant"
    assert content
    if recorded.reference:
        assert content == reply_to("Hello")
        assert reply.choices[0].finish_reason == "stop"
        assert reply.usage is not None and reply.usage.total_tokens == 9
        assert reply.system_fingerprint == "fp_amigochat_reference"
    [request] = api.sent
    assert request.url == f"{recorded.base_url}/chat/completions"
    checks.chat_body(request, messages=user("Hello"), stream=False)
    checks.api_headers(request, api_key=recorded.api_key, accept="application/json")


@live_too
async def test_stream_with_usage(open_cassette: OpenCassette) -> None:
    async with open_cassette("chat_stream_usage") as recorded:
        api = recorded.api
        stream = await api.stream(
            messages=user("Stream it"), stream_options={"include_usage": True}
        )
        text = await stream.read()
        final = await stream.final()
    assert text and final.choices[0].message.content == text
    assert stream.chunks[0].choices[0].delta.role == "assistant"
    if recorded.reference:
        assert text == reply_to("Stream it")
        assert "".join(stream.seen) == text and len(stream.seen) == -(-len(text) // 4)
        assert stream.chunks[-1].choices == []
        assert stream.chunks[-1].usage is not None
        assert final.usage == stream.chunks[-1].usage
        assert final.choices[0].finish_reason == "stop"
        assert recorded.stored(0)["headers"]["content-type"] == ["text/event-stream; charset=utf-8"]
    [request] = api.sent
    checks.chat_body(
        request,
        messages=user("Stream it"),
        stream=True,
        stream_options={"include_usage": True},
    )
    checks.api_headers(request, api_key=recorded.api_key, accept="text/event-stream")


async def test_tool_call_stream(open_cassette: OpenCassette) -> None:
    messages = user("What is the weather in Paris?")
    async with open_cassette("chat_tool_call_stream") as recorded:
        api = recorded.api
        stream = await api.stream(messages=messages, tools=[WEATHER_TOOL])
        assert await stream.read() == ""
        final = await stream.final()
    [choice] = final.choices
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    [call] = choice.message.tool_calls
    assert (call.id, call.type, call.function.name) == ("call_1", "function", "get_weather")
    assert call.function.arguments == '{"city": "Paris"}'
    pieces = [
        tool.function.arguments
        for chunk in stream.chunks
        for part in chunk.choices
        for tool in part.delta.tool_calls or []
        if tool.function is not None and tool.function.arguments
    ]
    assert len(pieces) > 1 and "".join(pieces) == call.function.arguments  # merged by index
    checks.chat_body(api.sent[0], messages=messages, stream=True, tools=[WEATHER_TOOL])


async def test_two_choices_stream(open_cassette: OpenCassette) -> None:
    async with open_cassette("chat_n2_stream") as recorded:
        api = recorded.api
        stream = await api.stream(messages=user("Twice"), n=2)
        assert await stream.read() == f"[0] {reply_to('Twice')}"
        final = await stream.final()
    assert [choice.index for choice in final.choices] == [0, 1]
    assert [choice.message.content for choice in final.choices] == [
        f"[{i}] {reply_to('Twice')}" for i in (0, 1)
    ]
    assert [choice.finish_reason for choice in final.choices] == ["stop", "stop"]
    indexes = [part.index for chunk in stream.chunks for part in chunk.choices]
    assert indexes[:4] == [0, 1, 0, 1]  # the server interleaves the choices
    checks.chat_body(api.sent[0], messages=user("Twice"), stream=True, n=2)


async def test_wrapped_message_shape(open_cassette: OpenCassette) -> None:
    async with open_cassette("chat_wrapped_message") as recorded:
        reply = await recorded.api.create(messages=user("Wrap it"))
    assert reply.choices[0].message.content == reply_to("Wrap it")
    assert reply.id == "chatcmpl-1"
    assert recorded.stored_body(0).startswith(b'{"message":{"id":"chatcmpl-1"')
    checks.chat_body(recorded.api.sent[0], messages=user("Wrap it"), stream=False)


async def test_event_stream_answer_to_stream_false(open_cassette: OpenCassette) -> None:
    async with open_cassette("chat_sse_for_non_stream") as recorded:
        reply = await recorded.api.create(messages=user("No stream, please"))
    assert reply.object == "chat.completion"
    assert reply.choices[0].message.content == reply_to("No stream, please")
    assert reply.choices[0].finish_reason == "stop"
    headers = recorded.stored(0)["headers"]
    assert headers["content-type"] == ["text/event-stream; charset=utf-8"]
    assert recorded.stored_body(0).rstrip().endswith(b"data: [DONE]")
    [request] = recorded.api.sent
    checks.chat_body(request, messages=user("No stream, please"), stream=False)
    checks.api_headers(request, api_key=recorded.api_key, accept="application/json")
