"""
Every recorded response in `tests/traffic/` parses with the generated models, through the
SDK's SSE decoder, and the text the models reassemble equals what an independent reading of the
same bytes (plain `json`, line by line) finds.
"""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from typing import Any

import pytest
from pydantic import BaseModel

from amigochat_sdk._sse import ServerSentEvent, SSEDecoder
from amigochat_sdk.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ErrorResponse,
    ImagesResponse,
    OpenAIErrorBody,
    StreamErrorEvent,
)
from tests.traffic import RecordedResponse, load, load_all

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ALL = load_all()


def _kind(response: RecordedResponse) -> str:
    if response.status >= 400:
        return "error"
    if response.content_type == "text/event-stream":
        return "stream"
    if response.content_type == "application/json":
        if response.request_path.endswith("/chat/completions"):
            return "completion"
        if response.request_path.endswith("/images/generations"):
            return "images"
    return "unknown"


def _of(kind: str) -> list[RecordedResponse]:
    return [r for r in ALL if _kind(r) == kind]


def _id(response: RecordedResponse) -> str:
    return f"{response.name}[{response.index}]"


def _assert_round_trip(model: BaseModel, raw: bytes | str) -> None:
    """
    Nothing the server sent is lost: known fields and unknown ones (`model_extra`) dump back.
    """
    assert model.model_dump(mode="json", exclude_unset=True) == json.loads(raw)


def test_every_recorded_response_has_a_kind() -> None:
    assert ALL
    assert [_id(r) for r in ALL if _kind(r) == "unknown"] == []
    for kind in ("stream", "completion", "images", "error"):
        assert _of(kind), f"no recorded {kind} response"


# ---------------------------------------------------------------- streams


def _events(body: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = decoder.decode(body) + decoder.flush()
    assert decoder.pending == ""
    pieces = SSEDecoder()
    split = [e for i in range(0, len(body), 7) for e in pieces.decode(body[i : i + 7])]
    assert split == events, "the events depend on how the bytes were split"
    return events


def _chunks(body: bytes) -> list[ChatCompletionChunk]:
    events = _events(body)
    assert events, "no events"
    assert events[-1].data == "[DONE]"
    chunks = []
    for event in events[:-1]:
        assert event.data != "[DONE]", "[DONE] before the end"
        if event.event == "error":
            StreamErrorEvent.model_validate_json(event.data)
            continue
        assert event.event == "message"
        chunk = ChatCompletionChunk.model_validate_json(event.data)
        _assert_round_trip(chunk, event.data)
        chunks.append(chunk)
    return chunks


def _oracle(body: bytes) -> list[dict[str, Any]]:
    """
    The chunks as plain dicts, read without the SDK: one `data: ` line per event.
    """
    lines = body.decode("utf-8").split("\n")
    return [json.loads(line[6:]) for line in lines if line.startswith("data: {")]


@pytest.mark.parametrize("response", _of("stream"), ids=_id)
def test_stream_chunks_validate_and_reassemble(response: RecordedResponse) -> None:
    chunks = _chunks(response.body)
    expected = _oracle(response.body)
    assert len(chunks) == len(expected)

    text: dict[int, str] = defaultdict(str)
    arguments: dict[tuple[int, int], str] = defaultdict(str)
    for chunk in chunks:
        for choice in chunk.choices:
            text[choice.index] += choice.delta.content or ""
            for call in choice.delta.tool_calls or []:
                if call.function is not None:
                    arguments[choice.index, call.index] += call.function.arguments or ""

    want_text: dict[int, str] = defaultdict(str)
    want_arguments: dict[tuple[int, int], str] = defaultdict(str)
    for data in expected:
        for choice in data["choices"]:
            want_text[choice["index"]] += choice["delta"].get("content") or ""
            for call in choice["delta"].get("tool_calls") or []:
                function = call.get("function") or {}
                want_arguments[choice["index"], call["index"]] += function.get("arguments") or ""

    assert text == want_text
    assert arguments == want_arguments
    assert any(text.values()) or arguments, "the stream carried neither text nor tool calls"
    for merged in arguments.values():
        json.loads(merged)  # the pieces add up to whole JSON arguments


def test_the_classic_stream_says_hello() -> None:
    (response,) = load("ruby-openai_stream_gpt35.yml")
    chunks = _chunks(response.body)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "Hello! How can I assist you today?"
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_parallel_tool_calls_merge_by_index() -> None:
    first, _ = load("openllmetry_stream_parallel_tools.yaml")
    calls: dict[int, str] = defaultdict(str)
    for chunk in _chunks(first.body):
        for call in chunk.choices[0].delta.tool_calls or []:
            assert call.function is not None
            calls[call.index] += call.function.arguments or ""
    assert sorted(calls) == [0, 1]
    cities = sorted(json.loads(args)["location"] for args in calls.values())
    assert cities == ["Boston", "San Francisco"]


def test_final_usage_chunk_has_no_choices() -> None:
    (response,) = load("otel_stream_n2_usage.yaml")
    chunks = _chunks(response.body)
    assert {c.index for chunk in chunks for c in chunk.choices} == {0, 1}
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens > 0


def test_2026_fields_are_kept() -> None:
    for response in load("pydantic-ai_stream_tools_2026.yaml"):
        chunks = _chunks(response.body)
        assert all(c.service_tier == "default" for c in chunks)
        assert any("obfuscation" in (c.model_extra or {}) for c in chunks)


# ---------------------------------------------------------------- JSON answers


@pytest.mark.parametrize("response", _of("completion"), ids=_id)
def test_completion_validates(response: RecordedResponse) -> None:
    completion = ChatCompletion.model_validate_json(response.body)
    _assert_round_trip(completion, response.body)
    data = json.loads(response.body)
    assert "message" not in data  # so it is not mistaken for the wrapped shape
    assert [c.message.content for c in completion.choices] == [
        c["message"]["content"] for c in data["choices"]
    ]
    assert completion.choices[0].message.content


@pytest.mark.parametrize("response", _of("images"), ids=_id)
def test_images_validate(response: RecordedResponse) -> None:
    images = ImagesResponse.model_validate_json(response.body)
    _assert_round_trip(images, response.body)
    assert images.data
    for image in images.data:
        if image.b64_json is not None:
            assert base64.b64decode(image.b64_json, validate=True).startswith(PNG_SIGNATURE)
        else:
            assert image.url is not None
            assert image.url.startswith("https://")


def test_the_b64_image_is_a_png() -> None:
    (response,) = load("ddtrace_image_b64.yaml")
    (image,) = ImagesResponse.model_validate_json(response.body).data
    assert image.b64_json is not None
    png = base64.b64decode(image.b64_json, validate=True)
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b"IHDR"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (256, 256)


def test_the_url_image_keeps_its_revised_prompt() -> None:
    (response,) = load("ruby-openai_image_dalle3_url.yml")
    (image,) = ImagesResponse.model_validate_json(response.body).data
    assert image.revised_prompt
    assert image.url is not None


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("response", _of("error"), ids=_id)
def test_error_body_validates(response: RecordedResponse) -> None:
    error = ErrorResponse.model_validate_json(response.body)
    _assert_round_trip(error, response.body)
    data = json.loads(response.body)
    assert isinstance(error.root, OpenAIErrorBody)
    assert error.root.error.message == data["error"]["message"]
    assert error.root.error.code == data["error"]["code"]


def test_azure_error_keeps_its_extra_field() -> None:
    (response,) = load("ruby_llm_azure_429_retry_after.yml")
    error = ErrorResponse.model_validate_json(response.body).root
    assert isinstance(error, OpenAIErrorBody)
    assert error.error.code == "RateLimitReached"
    assert (error.error.model_extra or {})["details"].startswith("Your requests")
