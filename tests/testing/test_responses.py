"""
Every answer the reference server gives validates against the generated models, and says what
the protocol notes say the service says.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import httpx
import pytest

from amigochat_sdk.testing import ReferenceServer
from amigochat_sdk.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionEnvelope,
    ErrorResponse,
    ImagesResponse,
    ImageUrlResponse,
    NestErrorBody,
    OpenAIErrorBody,
)
from tests.testing.helpers import chat, data_events

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    },
    {"type": "function", "function": {"name": "get_time"}},
]


def reply(text: str, count: int) -> str:
    return f'You said: "{text}". This conversation has {count} message(s).'


def chunks_of(response: httpx.Response) -> list[ChatCompletionChunk]:
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    data = data_events(response.content)
    assert data[-1] == b"[DONE]"
    return [ChatCompletionChunk.model_validate_json(item) for item in data[:-1]]


def assemble(chunks: list[ChatCompletionChunk]) -> dict[int, str]:
    texts: dict[int, str] = {}
    for chunk in chunks:
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    return texts


def test_plain_completion(http: httpx.Client) -> None:
    body = chat(
        messages=[
            {"role": "system", "content": "Be terse."},
            {
                "role": "user",
                "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "you"}],
            },
        ]
    )
    response = http.post("/chat/completions", json=body)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    completion = ChatCompletion.model_validate_json(response.content)
    assert completion.object == "chat.completion"
    assert completion.model == "gpt-4o-mini"
    assert completion.id is not None and completion.id.startswith("chatcmpl-")
    assert completion.choices[0].message.content == reply("Hi you", 2)
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (4, 9)
    assert completion.usage.total_tokens == 13


def test_wrapped_and_sse_shapes(amigochat_server: ReferenceServer, http: httpx.Client) -> None:
    wrapped = http.post("/chat/completions", json=chat(), headers={"x-amigochat-shape": "wrapped"})
    envelope = ChatCompletionEnvelope.model_validate_json(wrapped.content)
    assert envelope.message.choices[0].message.content == reply("Hello there", 1)
    amigochat_server.options.json_shape = "sse"
    chunks = chunks_of(http.post("/chat/completions", json=chat(stream=False)))
    assert assemble(chunks) == {0: reply("Hello there", 1)}
    plain = http.post("/chat/completions", json=chat(), headers={"x-amigochat-shape": "plain"})
    assert ChatCompletion.model_validate_json(plain.content).object == "chat.completion"


def test_stream_framing_and_usage(http: httpx.Client) -> None:
    response = http.post("/chat/completions", json=chat(stream=True))
    chunks = chunks_of(response)
    first, *content, last = chunks
    assert first.model_dump(exclude_unset=True)["choices"][0]["delta"] == {
        "role": "assistant",
        "content": "",
    }
    assert all(len(c.choices[0].delta.content or "") <= 4 for c in content)
    assert "".join(c.choices[0].delta.content or "" for c in content) == reply("Hello there", 1)
    assert last.choices[0].finish_reason == "stop"
    assert last.model_dump(exclude_unset=True)["choices"][0]["delta"] == {}
    assert len({c.id for c in chunks}) == 1
    with_usage = chunks_of(
        http.post(
            "/chat/completions", json=chat(stream=True, stream_options={"include_usage": True})
        )
    )
    assert with_usage[-1].choices == []
    assert with_usage[-1].usage is not None and with_usage[-1].usage.completion_tokens == 9


def test_chunk_size_option_and_header(
    amigochat_server: ReferenceServer, http: httpx.Client
) -> None:
    response = http.post(
        "/chat/completions", json=chat(stream=True), headers={"x-amigochat-chunk-size": "1"}
    )
    assert len(chunks_of(response)) == len(reply("Hello there", 1)) + 2
    amigochat_server.options.chunk_size = 1000
    amigochat_server.options.include_usage = True
    assert len(chunks_of(http.post("/chat/completions", json=chat(stream=True)))) == 4


def test_n_choices_interleave(http: httpx.Client) -> None:
    chunks = chunks_of(http.post("/chat/completions", json=chat(stream=True, n=3)))
    indexes = [c.choices[0].index for c in chunks]
    assert indexes[:6] == [0, 1, 2, 0, 1, 2]
    assert assemble(chunks) == {i: f"[{i}] " + reply("Hello there", 1) for i in range(3)}
    plain = ChatCompletion.model_validate_json(
        http.post("/chat/completions", json=chat(n=2)).content
    )
    assert [c.message.content for c in plain.choices] == [
        f"[{i}] " + reply("Hello there", 1) for i in range(2)
    ]
    assert plain.usage is not None and plain.usage.completion_tokens == 20


def test_tool_call_streams_in_pieces(http: httpx.Client) -> None:
    body = chat("What is the weather in Paris?", stream=True, tools=TOOLS)
    chunks = chunks_of(http.post("/chat/completions", json=body))
    calls = [c.choices[0].delta.tool_calls for c in chunks if c.choices[0].delta.tool_calls]
    assert calls[0] is not None and calls[0][0].id == "call_1"
    assert calls[0][0].function is not None and calls[0][0].function.name == "get_weather"
    arguments = "".join((call[0].function.arguments or "") for call in calls if call[0].function)
    assert json.loads(arguments) == {"city": "Paris"}
    assert len(calls) > 2
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
    plain = http.post("/chat/completions", json={**body, "stream": False})
    message = ChatCompletion.model_validate_json(plain.content).choices[0].message
    assert message.content is None and message.tool_calls is not None
    assert message.tool_calls[0].function.arguments == '{"city": "Paris"}'


@pytest.mark.parametrize(
    ("fields", "tool"),
    [
        ({"tool_choice": "none"}, None),
        ({"tool_choice": {"type": "function", "function": {"name": "get_time"}}}, "get_time"),
        ({"tool_choice": "required"}, "get_weather"),
    ],
)
def test_tool_choice(http: httpx.Client, fields: dict[str, Any], tool: str | None) -> None:
    body = chat("the weather, please" if tool != "get_weather" else "hi", tools=TOOLS, **fields)
    message = (
        ChatCompletion.model_validate_json(http.post("/chat/completions", json=body).content)
        .choices[0]
        .message
    )
    names = [call.function.name for call in message.tool_calls or []]
    assert names == ([tool] if tool else [])


def test_max_tokens_and_stop(http: httpx.Client) -> None:
    cut = http.post("/chat/completions", json=chat(max_tokens=2)).json()
    assert cut["choices"][0]["message"]["content"] == "You said:"
    assert cut["choices"][0]["finish_reason"] == "length"
    stopped = http.post("/chat/completions", json=chat(stop=["."])).json()
    assert stopped["choices"][0]["message"]["content"] == 'You said: "Hello there"'


def test_persona_lets_unknown_models_through(http: httpx.Client) -> None:
    response = http.post("/chat/completions", json=chat(model="brand-new", personaId="amigo"))
    assert response.status_code == 201
    assert response.json()["model"] == "brand-new"


@pytest.mark.parametrize(
    ("path", "body", "status", "schema"),
    [
        ("/chat/completions", b"{not json", 400, NestErrorBody),
        ("/chat/completions", b"", 400, NestErrorBody),
        ("/chat/completions", b"[1, 2]", 400, NestErrorBody),
        ("/chat/completions", b'{"model": "gpt-4o-mini", "messages": []}', 400, NestErrorBody),
        ("/chat/completions", b'{"model": 5, "messages": [{"role": "user"}]}', 400, NestErrorBody),
        ("/chat/completions", json.dumps(chat(model="gpt-9")).encode(), 404, OpenAIErrorBody),
        ("/chat/completions", json.dumps(chat(model="flux-pro/v1.1")).encode(), 400, NestErrorBody),
        ("/images/generations", b'{"prompt": ""}', 400, NestErrorBody),
        ("/images/generations", b'{"prompt": "x", "model": "gpt-4o-mini"}', 400, NestErrorBody),
        ("/images/generations", b'{"prompt": "x", "model": "nope"}', 404, OpenAIErrorBody),
    ],
)
def test_request_errors(
    http: httpx.Client, path: str, body: bytes, status: int, schema: type[NestErrorBody]
) -> None:
    response = http.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == status
    schema.model_validate_json(response.content)
    ErrorResponse.model_validate_json(response.content)


def test_validation_lists_messages_and_ignores_unknown_keys(http: httpx.Client) -> None:
    bad = http.post("/chat/completions", json={"messages": [], "temperature": "hot"}).json()
    assert bad["statusCode"] == 400 and bad["error"] == "Bad Request"
    assert "model should not be empty" in bad["message"]
    assert len(bad["message"]) == 3
    unknown = http.post("/chat/completions", json=chat(someFutureField=True))
    assert unknown.status_code == 201


def test_api_key(amigochat_server: ReferenceServer, http: httpx.Client) -> None:
    amigochat_server.options.api_key = "sk-test"
    refused = http.post("/chat/completions", json=chat())
    assert refused.status_code == 401
    assert OpenAIErrorBody.model_validate_json(refused.content).error.code == "invalid_api_key"
    allowed = http.post(
        "/chat/completions", json=chat(), headers={"authorization": "Bearer sk-test"}
    )
    assert allowed.status_code == 201


def test_success_status_option(amigochat_server: ReferenceServer, http: httpx.Client) -> None:
    amigochat_server.options.success_status = 200
    assert http.post("/chat/completions", json=chat()).status_code == 200
    assert http.post("/images/generations", json={"prompt": "x"}).status_code == 200


def read_png(data: bytes) -> tuple[int, int, bytes]:
    """
    Check a PNG's signature and every chunk CRC; return its size and its decompressed rows.
    """
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        tag, payload = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(tag + payload) & 0xFFFFFFFF
        chunks[tag] = payload
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour) == (8, 2) and b"IEND" in chunks
    rows = zlib.decompress(chunks[b"IDAT"])
    assert len(rows) == height * (1 + 3 * width)
    return width, height, rows


def test_images_urls_files_and_b64(http: httpx.Client) -> None:
    body = {"prompt": "A fox", "model": "flux-pro/v1.1", "n": 2, "size": "1024x100"}
    response = http.post("/images/generations", json=body)
    assert response.status_code == 201
    images = ImagesResponse.model_validate_json(response.content)
    assert len(images.data) == 2 and images.data[0].revised_prompt is not None
    urls = [image.url for image in images.data]
    assert all(url and url.startswith(str(http.base_url)) for url in urls)
    files = [http.get(str(url)) for url in urls]
    assert [f.headers["content-type"] for f in files] == ["image/png"] * 2
    assert read_png(files[0].content)[:2] == (256, 100)
    assert files[0].content != files[1].content
    again = http.post("/images/generations", json={**body, "response_format": "b64_json"})
    decoded = [
        base64.b64decode(i.b64_json or "")
        for i in ImagesResponse.model_validate_json(again.content).data
    ]
    assert decoded == [f.content for f in files]
    assert http.get("/files/0000.png").status_code == 404


def test_image_url_shape_and_default_model(http: httpx.Client) -> None:
    response = http.post(
        "/images/generations", json={"prompt": "x"}, headers={"x-amigochat-shape": "image-url"}
    )
    url = ImageUrlResponse.model_validate_json(response.content).imageUrl
    assert read_png(http.get(url).content)[:2] == (64, 64)
    persona = http.post(
        "/images/generations", json={"prompt": "x", "personaId": "image-generator", "model": "new"}
    )
    assert persona.status_code == 201


def test_health_spec_and_unknown_routes(amigochat_server: ReferenceServer) -> None:
    origin = amigochat_server.origin
    assert httpx.get(origin + "/health").json()["status"] == "ok"
    spec = httpx.get(origin + "/openapi.yaml")
    assert spec.status_code == 200 and spec.text.startswith("openapi: 3.1.0")
    missing = httpx.get(origin + "/v1/models")
    assert missing.status_code == 404
    assert NestErrorBody.model_validate_json(missing.content).message == "Cannot GET /v1/models"
    wrong = httpx.get(origin + "/v1/chat/completions")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"


def test_spec_may_be_missing(
    amigochat_server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amigochat_sdk.testing import _app

    monkeypatch.setattr(_app, "find_spec", lambda explicit=None: None)
    response = httpx.get(amigochat_server.origin + "/openapi.yaml")
    assert response.status_code == 404
    NestErrorBody.model_validate_json(response.content)


def test_request_log(amigochat_server: ReferenceServer, http: httpx.Client) -> None:
    http.post("/chat/completions", json=chat(), headers={"x-device-uuid": "a"})
    http.post("/chat/completions", json=chat(), headers={"x-device-uuid": "b"})
    assert [r.headers["x-device-uuid"] for r in amigochat_server.requests] == ["a", "b"]
    last = amigochat_server.requests.last
    assert (last.method, last.path, last.json) == ("POST", "/v1/chat/completions", chat())


@pytest.mark.parametrize("shape", ["plain", "wrapped", "sse"])
@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("n", [1, 2])
@pytest.mark.parametrize("text", ["Hello", "And the weather?"])
@pytest.mark.parametrize("usage", [False, True])
def test_every_answer_validates(
    http: httpx.Client, shape: str, stream: bool, n: int, text: str, usage: bool
) -> None:
    body = chat(text, stream=stream, n=n, tools=TOOLS, stream_options={"include_usage": usage})
    response = http.post("/chat/completions", json=body, headers={"x-amigochat-shape": shape})
    assert response.status_code == 201
    calls_tool = "weather" in text
    if stream or shape == "sse":
        chunks = chunks_of(response)
        assert (chunks[-1].usage is not None) == usage
        finishes = [c.choices[0] for c in chunks if c.choices and c.choices[0].finish_reason]
        assert sorted(f.index for f in finishes) == list(range(n))
        assert {f.finish_reason for f in finishes} == {"tool_calls" if calls_tool else "stop"}
        return
    if shape == "wrapped":
        completion = ChatCompletionEnvelope.model_validate_json(response.content).message
    else:
        completion = ChatCompletion.model_validate_json(response.content)
    assert [c.index for c in completion.choices] == list(range(n))
    for choice in completion.choices:
        assert (choice.message.tool_calls is not None) == calls_tool
        assert (choice.message.content is None) == calls_tool
