"""
Chat answers in every shape the service has used, streamed and not, through both clients.
"""

from __future__ import annotations

import itertools
import json

import httpx
import pytest

from amigochat_sdk import StreamDecodeError, StreamInterruptedError, StreamServerError
from tests.client.helpers import (
    DONE,
    Api,
    chunk_data,
    chunk_event,
    completion_data,
    event,
    json_response,
    response,
    sse_response,
)

pytestmark = pytest.mark.anyio

USAGE = {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}


def hello_stream() -> list[bytes]:
    return [
        chunk_event("", role="assistant"),
        chunk_event("Hel"),
        chunk_event("lo"),
        chunk_event(finish="stop"),
        DONE,
    ]


def split_at(body: bytes, cuts: list[int]) -> list[bytes]:
    edges = [0, *sorted(set(cuts)), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges) if b > a]


# --- not streamed -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [200, 201])
async def test_json_completion(flavor: str, status: int) -> None:
    api = Api(flavor, lambda request: json_response(status, completion_data("Hi there")))
    completion = await api.create()
    assert completion.choices[0].message.content == "Hi there"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 5
    assert len(api.requests) == 1


async def test_json_completion_wrapped_in_message(flavor: str) -> None:
    api = Api(flavor, lambda request: json_response(201, {"message": completion_data("Wrapped")}))
    completion = await api.create()
    assert completion.id == "chatcmpl-1"
    assert completion.choices[0].message.content == "Wrapped"


async def test_unknown_response_fields_are_kept(flavor: str) -> None:
    data = completion_data("Hi", brand_new_field={"x": 1})
    api = Api(flavor, lambda request: json_response(201, data))
    completion = await api.create()
    assert completion.model_extra == {"brand_new_field": {"x": 1}}


async def test_event_stream_answering_stream_false_is_assembled(flavor: str) -> None:
    pieces = [*hello_stream()[:-1], event({**chunk_data(), "choices": [], "usage": USAGE}), DONE]
    api = Api(flavor, lambda request: sse_response(*pieces, status=201))
    completion = await api.create(stream=False)
    assert completion.object == "chat.completion"
    assert completion.id == "chatcmpl-1"
    assert completion.choices[0].message.role == "assistant"
    assert completion.choices[0].message.content == "Hello"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 12


# --- streamed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", None]
)
async def test_json_answering_stream_true_is_one_chunk(
    flavor: str, content_type: str | None
) -> None:
    body = json.dumps(completion_data("Whole answer")).encode()
    api = Api(flavor, lambda request: response(201, [body], content_type=content_type))
    stream = await api.stream()
    chunks = await stream.all()
    assert len(chunks) == 1
    assert chunks[0].object == "chat.completion.chunk"
    assert chunks[0].choices[0].delta.content == "Whole answer"
    assert chunks[0].choices[0].finish_reason == "stop"
    final = await stream.final()
    assert final.choices[0].message.content == "Whole answer"
    assert final.usage is not None

    api = Api(flavor, lambda request: response(201, [body], content_type=content_type))
    assert await (await api.stream()).text() == ["Whole answer"]


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(b"\n{", id="whitespace-then-json-in-one-read"),
        pytest.param(
            b"\n",
            id="whitespace-alone-in-the-first-read",
        ),
    ],
)
async def test_unlabelled_json_is_sniffed_whatever_the_reads(flavor: str, first: bytes) -> None:
    body = json.dumps(completion_data("Sniffed")).encode()
    rest = body[len(first.strip()) :]
    api = Api(flavor, lambda request: response(201, [first, rest]), max_retries=0)
    completion = await api.create()
    assert completion.choices[0].message.content == "Sniffed"


async def test_stream_chunks_and_text(flavor: str) -> None:
    api = Api(flavor, lambda request: sse_response(*hello_stream()))
    chunks = await api.chunks()
    assert [c.choices[0].delta.content for c in chunks] == ["", "Hel", "lo", None]
    assert api.requests[0].headers["accept"] == "text/event-stream"
    assert json.loads(api.requests[0].content)["stream"] is True

    api = Api(flavor, lambda request: sse_response(*hello_stream()))
    assert await (await api.stream()).text() == ["Hel", "lo"]


UNICODE_BODY = (
    chunk_event("Grüße, ", role="assistant")
    + chunk_event("日本語")
    + chunk_event(" 🎉", finish="stop")
    + DONE
).replace(b"\n", b"\r\n")


def _cuts() -> list[int]:
    body = UNICODE_BODY
    u = body.index("ü".encode())
    ja = body.index("日本語".encode())
    emoji = body.index("🎉".encode())
    crlf = [i + 1 for i in range(len(body)) if body[i : i + 2] == b"\r\n"]
    return [u + 1, ja + 1, ja + 2, ja + 4, emoji + 1, emoji + 3, *crlf]


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param([UNICODE_BODY], id="whole"),
        pytest.param(split_at(UNICODE_BODY, _cuts()), id="inside-utf8-and-crlf"),
        pytest.param(split_at(UNICODE_BODY, list(range(len(UNICODE_BODY)))), id="bytewise"),
    ],
)
async def test_text_survives_any_split(flavor: str, pieces: list[bytes]) -> None:
    assert b"".join(pieces) == UNICODE_BODY
    api = Api(flavor, lambda request: sse_response(*pieces))
    stream = await api.stream()
    assert "".join(await stream.text()) == "Grüße, 日本語 🎉"
    final = await stream.final()
    assert final.choices[0].message.content == "Grüße, 日本語 🎉"
    assert final.choices[0].finish_reason == "stop"


async def test_final_completion_after_partial_iteration(flavor: str) -> None:
    api = Api(flavor, lambda request: sse_response(*hello_stream()))
    stream = await api.stream()
    first = await stream.next()
    second = await stream.next()
    assert first is not None and second is not None
    assert second.choices[0].delta.content == "Hel"
    assert stream.stream.text_so_far == "Hel"
    final = await stream.final()
    assert final.choices[0].message.content == "Hello"
    assert final.choices[0].finish_reason == "stop"
    assert await stream.next() is None


async def test_final_completion_without_iterating(flavor: str) -> None:
    api = Api(flavor, lambda request: sse_response(*hello_stream()))
    stream = await api.stream()
    final = await stream.final()
    assert final.choices[0].message.content == "Hello"
    assert await stream.final() == final  # asking twice gives the same answer


async def test_tool_call_deltas_are_merged(flavor: str) -> None:
    def call(index: int, **function: str) -> dict[str, object]:
        item: dict[str, object] = {"index": index, "function": function}
        if "name" in function:
            item.update(id=f"call_{index}", type="function")
        return item

    pieces = [
        chunk_event(None, role="assistant"),
        chunk_event(tool_calls=[call(0, name="get_weather", arguments="")]),
        chunk_event(tool_calls=[call(0, arguments='{"city":')]),
        chunk_event(tool_calls=[call(1, name="get_time", arguments='{"tz"')]),
        chunk_event(tool_calls=[call(0, arguments=' "Paris"}')]),
        chunk_event(tool_calls=[call(1, arguments=': "UTC"}')]),
        chunk_event(finish="tool_calls"),
        DONE,
    ]
    api = Api(flavor, lambda request: sse_response(*pieces))
    final = await (
        await api.stream(tools=[{"type": "function", "function": {"name": "f"}}])
    ).final()
    calls = final.choices[0].message.tool_calls
    assert calls is not None
    assert [(c.id, c.function.name) for c in calls] == [
        ("call_0", "get_weather"),
        ("call_1", "get_time"),
    ]
    assert [json.loads(c.function.arguments) for c in calls] == [{"city": "Paris"}, {"tz": "UTC"}]
    assert final.choices[0].finish_reason == "tool_calls"
    assert final.choices[0].message.content is None


async def test_usage_chunk(flavor: str) -> None:
    pieces = [*hello_stream()[:-1], event({**chunk_data(), "choices": [], "usage": USAGE}), DONE]
    api = Api(flavor, lambda request: sse_response(*pieces))
    stream = await api.stream(stream_options={"include_usage": True})
    chunks = await stream.all()
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    final = await stream.final()
    assert final.usage is not None
    assert final.usage.total_tokens == 12
    assert api.recorder.body()["stream_options"] == {"include_usage": True}


# --- streams that go wrong --------------------------------------------------------------------


async def test_error_event_mid_stream(flavor: str) -> None:
    error = {"error": {"message": "Error handling AIML chat completion stream", "code": "upstream"}}
    pieces = [chunk_event("Hel", role="assistant"), event(error, name="error")]
    api = Api(flavor, lambda request: sse_response(*pieces))
    stream = await api.stream()
    with pytest.raises(StreamServerError) as info:
        await stream.all()
    assert info.value.text == "Hel"
    assert len(info.value.chunks) == 1
    assert "Error handling AIML chat completion stream" in str(info.value)
    assert info.value.code == "upstream"
    assert info.value.error["message"] == "Error handling AIML chat completion stream"
    assert len(api.requests) == 1  # never retried once text arrived


async def test_chunk_carrying_an_error_object(flavor: str) -> None:
    pieces = [
        chunk_event("Partial", role="assistant"),
        event({"error": {"message": "model overloaded", "type": "server_error"}}),
    ]
    api = Api(flavor, lambda request: sse_response(*pieces))
    stream = await api.stream()
    with pytest.raises(StreamServerError) as info:
        await stream.all()
    assert "model overloaded" in str(info.value)
    assert info.value.text == "Partial"


async def test_malformed_json_event(flavor: str) -> None:
    pieces = [chunk_event("Hi", role="assistant"), b'data: {"choices": [{"delta": \n\n']
    api = Api(flavor, lambda request: sse_response(*pieces))
    stream = await api.stream()
    with pytest.raises(StreamDecodeError) as info:
        await stream.all()
    assert '{"choices": [{"delta": ' in str(info.value)
    assert info.value.data == '{"choices": [{"delta": '
    assert info.value.text == "Hi"


async def test_eof_before_done_with_an_unfinished_choice(flavor: str) -> None:
    pieces = [chunk_event("Hel", role="assistant"), chunk_event("lo")]
    api = Api(flavor, lambda request: sse_response(*pieces))
    stream = await api.stream()
    with pytest.raises(StreamInterruptedError) as info:
        await stream.all()
    assert info.value.text == "Hello"
    assert len(info.value.chunks) == 2
    assert info.value.partial is not None


async def test_eof_before_done_with_every_choice_finished_is_fine(flavor: str) -> None:
    pieces = [chunk_event("Hel", role="assistant"), chunk_event("lo", finish="stop")]
    api = Api(flavor, lambda request: sse_response(*pieces))
    final = await (await api.stream()).final()
    assert final.choices[0].message.content == "Hello"


async def test_connection_dropping_mid_stream(flavor: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        drop = httpx.ReadError("connection reset by peer", request=request)
        return sse_response(chunk_event("Hel", role="assistant"), error=drop)

    api = Api(flavor, handler)
    stream = await api.stream()
    with pytest.raises(StreamInterruptedError) as info:
        await stream.all()
    assert info.value.text == "Hel"
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b"data: [DONE]\n", id="LF"),
        pytest.param(b"data: [DONE]\r\n", id="CRLF"),
        pytest.param(b"data: [DONE]\r", id="CR"),
        pytest.param(
            b"data: [DONE]",
            id="no-line-end",
        ),
    ],
)
async def test_done_without_trailing_blank_line_at_eof(flavor: str, tail: bytes) -> None:
    # The choice never gets a finish_reason: only [DONE] says the answer is complete.
    pieces = [chunk_event("Hel", role="assistant"), chunk_event("lo"), tail]
    api = Api(flavor, lambda request: sse_response(*pieces))
    final = await (await api.stream()).final()
    assert final.choices[0].message.content == "Hello"


async def test_unknown_events_comments_and_fields_are_ignored(flavor: str) -> None:
    pieces = [
        b": keep-alive\n\n",
        b"event: ping\ndata: {}\n\n",
        b"event: metadata\ndata: not json at all\n\n",
        b"id: 7\nretry: 3000\n\n",
        chunk_event("Hel", role="assistant"),
        b": still here\n",
        b"event: ping\ndata: {}\n\n",
        chunk_event("lo", finish="stop"),
        DONE,
    ]
    api = Api(flavor, lambda request: sse_response(*pieces))
    stream = await api.stream()
    assert await stream.text() == ["Hel", "lo"]
