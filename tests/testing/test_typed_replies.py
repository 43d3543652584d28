"""
The reference server's typed answers on the wire: JSON for each kind of `response_format`,
parallel tool calls streamed in pieces by index, answers quoting tool results, and the
typed-answer faults.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from amigochat_sdk.types import ChatCompletion, ChatCompletionChunk
from tests.testing.helpers import chat, data_events

SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 3}},
    "required": ["city", "days"],
}
JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "t", "schema": SCHEMA}}
CITY_TOOL = {"type": "object", "properties": {"city": {"type": "string"}}}
TOOLS = [
    {"type": "function", "function": {"name": "get_weather", "parameters": CITY_TOOL}},
    {"type": "function", "function": {"name": "get_time", "parameters": CITY_TOOL}},
    {"type": "function", "function": {"name": "get_news"}},
]
PARALLEL = 'What is the weather and the time for "New York"?'


def message_of(response: httpx.Response) -> Any:
    assert response.status_code == 201, response.text
    return ChatCompletion.model_validate_json(response.content).choices[0]


def chunks_of(response: httpx.Response) -> list[ChatCompletionChunk]:
    events = data_events(response.content)
    assert events[-1] == b"[DONE]"
    return [ChatCompletionChunk.model_validate_json(data) for data in events[:-1]]


def with_instructions(text: str, **fields: Any) -> dict[str, Any]:
    body = chat(text, **fields)
    system = {"role": "system", "content": f"Answer as JSON, this schema: {json.dumps(SCHEMA)}"}
    body["messages"].insert(0, system)
    return body


def test_each_kind_of_response_format(http: httpx.Client) -> None:
    post = http.post
    expected = '{"city": "text", "days": 3}'
    schema = post("/chat/completions", json=chat(response_format=JSON_SCHEMA))
    assert message_of(schema).message.content == expected
    instructed = with_instructions("hi", response_format={"type": "json_object"})
    assert message_of(post("/chat/completions", json=instructed)).message.content == expected
    bare = chat("hi", response_format={"type": "json_object"})
    content = message_of(post("/chat/completions", json=bare)).message.content
    assert json.loads(content) == {"reply": "hi"}
    prompt = message_of(post("/chat/completions", json=with_instructions("hi"))).message.content
    assert prompt == f"```json\n{expected}\n```"


def test_parallel_calls_stream_their_arguments_in_pieces(http: httpx.Client) -> None:
    body = chat(PARALLEL, tools=TOOLS, stream=True)
    chunks = chunks_of(http.post("/chat/completions", json=body))
    first = chunks[0].choices[0].delta.tool_calls or []
    assert [(c.index, c.id, c.function and c.function.name) for c in first] == [
        (0, "call_1", "get_weather"),
        (1, "call_2", "get_time"),
    ]
    pieces: dict[int, list[str]] = {0: [], 1: []}
    for chunk in chunks[1:]:
        for call in chunk.choices[0].delta.tool_calls or []:
            assert call.function is not None and call.function.arguments
            pieces[call.index].append(call.function.arguments)
    assert all(len(p) > 2 for p in pieces.values())
    assert [json.loads("".join(p)) for p in pieces.values()] == [{"city": "New York"}] * 2
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


@pytest.mark.parametrize(
    ("fields", "names"),
    [
        ({}, ["get_weather", "get_time"]),
        ({"parallel_tool_calls": False}, ["get_weather"]),
        ({"tool_choice": "none"}, []),
        ({"tool_choice": {"type": "function", "function": {"name": "get_news"}}}, ["get_news"]),
    ],
)
def test_the_tool_rule(http: httpx.Client, fields: dict[str, Any], names: list[str]) -> None:
    body = chat(PARALLEL, tools=TOOLS, **fields)
    message = message_of(http.post("/chat/completions", json=body)).message
    assert [c.function.name for c in message.tool_calls or []] == names


def test_after_tool_results_the_answer_quotes_them(http: httpx.Client) -> None:
    call = {"id": "c9", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
    body = chat(PARALLEL, tools=TOOLS)
    body["messages"] += [
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "c9", "content": "noon"},
    ]
    choice = message_of(http.post("/chat/completions", json=body))
    assert choice.message.content == 'The tools said: get_time: "noon".'
    assert choice.finish_reason == "stop"


@pytest.mark.parametrize(
    ("fault", "content", "reason"),
    [
        ("invalid-json", '{"city": "text", "days": 3', "stop"),
        ("schema-violation", "[]", "stop"),
        ("finish=length", '{"city": "tex', "length"),
        ("finish=content_filter", '{"city": "text", "days": 3}', "content_filter"),
        (
            "ignore-response-format",
            'You said: "Hello there". This conversation has 1 message(s).',
            "stop",
        ),
    ],
)
def test_answer_faults(http: httpx.Client, fault: str, content: str, reason: str) -> None:
    headers = {"x-amigochat-fault": fault}
    body = chat(response_format=JSON_SCHEMA)
    choice = message_of(http.post("/chat/completions", json=body, headers=headers))
    assert (choice.message.content, choice.finish_reason) == (content, reason)


def test_rejecting_json_schema(http: httpx.Client) -> None:
    headers = {"x-amigochat-fault": "reject-json-schema"}
    refused = http.post(
        "/chat/completions", json=chat(response_format=JSON_SCHEMA), headers=headers
    )
    assert refused.status_code == 400 and "json_schema" in refused.json()["message"][0]
    other = http.post("/chat/completions", json=chat(), headers=headers)
    assert other.status_code == 201


def test_bad_tool_arguments_and_refusals(http: httpx.Client) -> None:
    post = http.post
    headers = {"x-amigochat-fault": "bad-tool-arguments"}
    bad = message_of(post("/chat/completions", json=chat(PARALLEL, tools=TOOLS), headers=headers))
    with pytest.raises(ValueError):
        json.loads(bad.message.tool_calls[0].function.arguments)
    refused = {"x-amigochat-fault": "refuse"}
    plain = message_of(post("/chat/completions", json=chat(), headers=refused)).message
    assert (plain.content, plain.refusal) == (None, "I can't help with that.")
    streamed = chunks_of(post("/chat/completions", json=chat(stream=True), headers=refused))
    text = "".join(c.choices[0].delta.refusal or "" for c in streamed if c.choices)
    assert text == "I can't help with that."
