"""
`AmigoChatInstrumentor`: one span per call with the GenAI attributes, attempts as events,
streams ended with their span, content only on request; on both clients over a mock transport.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from amigochat_sdk import AsyncClient, AsyncStream, Client, RateLimitError, Stream
from amigochat_sdk._resources.chat import AsyncCompletions, Completions
from amigochat_sdk._resources.images import AsyncImages, Images
from amigochat_sdk.otel import AmigoChatInstrumentor
from amigochat_sdk.types import ChatCompletionMessageParam

MODEL = "gpt-4o-mini"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello"}]
COMPLETION = {
    "id": "c1",
    "object": "chat.completion",
    "model": "gpt-4o-mini-2024",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
}
CHUNKS = [
    {
        "id": "s1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini-2024",
        "choices": [{"index": 0, "delta": {"content": "Hi"}}],
    },
    {
        "id": "s1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o-mini-2024",
        "choices": [{"index": 0, "delta": {"content": " there"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    },
]
SSE_BODY = "".join(f"data: {json.dumps(c)}\n\n" for c in CHUNKS).encode() + b"data: [DONE]\n\n"
CAPTURE = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"


def server(statuses: list[int]) -> Callable[[httpx.Request], httpx.Response]:
    """Answers with `statuses` in turn (then 200)."""
    sent: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        status = statuses[len(sent)] if len(sent) < len(statuses) else 200
        sent.append(status)
        if status != 200:
            return httpx.Response(status, json={"error": {"message": "busy"}})
        if request.url.path.endswith("/images/generations"):
            return httpx.Response(200, json={"data": [{"url": "https://x/1.png"}]})
        if request.headers["accept"] == "text/event-stream":
            headers = {"content-type": "text/event-stream"}
            return httpx.Response(200, headers=headers, content=SSE_BODY)
        return httpx.Response(200, json=COMPLETION)

    return handle


def sync_client(statuses: list[int] | None = None, **options: Any) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(server(statuses or [])))
    options.setdefault("max_retries", 2)
    return Client(base_url="http://test:8080/v1", http_client=http, max_retry_after=0, **options)


def async_client(statuses: list[int] | None = None, **options: Any) -> AsyncClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(server(statuses or [])))
    options.setdefault("max_retries", 2)
    return AsyncClient(
        base_url="http://test:8080/v1", http_client=http, max_retry_after=0, **options
    )


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries wait no time."""
    monkeypatch.setattr("amigochat_sdk._retry.backoff_delay", lambda *_: 0.0)
    monkeypatch.delenv(CAPTURE, raising=False)


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """The finished spans of an instrumented SDK; uninstrumented after the test."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    AmigoChatInstrumentor().instrument(tracer_provider=provider)
    yield exporter
    AmigoChatInstrumentor().uninstrument()


def only_span(exporter: InMemorySpanExporter) -> ReadableSpan:
    (span,) = exporter.get_finished_spans()
    return span


def attrs(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})


def events(span: ReadableSpan, name: str) -> list[dict[str, Any]]:
    return [dict(e.attributes or {}) for e in span.events if e.name == name]


def assert_chat_success(span: ReadableSpan, output_tokens: int = 2) -> None:
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    a = attrs(span)
    assert a["gen_ai.operation.name"] == "chat"
    assert a["gen_ai.system"] == a["gen_ai.provider.name"] == "amigochat"
    assert a["gen_ai.request.model"] == MODEL
    assert a["gen_ai.response.model"] == "gpt-4o-mini-2024"
    assert a["gen_ai.usage.input_tokens"] == 5
    assert a["gen_ai.usage.output_tokens"] == output_tokens
    assert a["gen_ai.response.finish_reasons"] == ("stop",)
    assert (a["server.address"], a["server.port"]) == ("test", 8080)
    assert a["amigochat.retries"] == 0
    assert events(span, "amigochat.attempt") == [{"attempt.number": 1}]
    assert "gen_ai.input.messages" not in a and "gen_ai.output.messages" not in a


def test_a_sync_call_is_one_span_with_the_genai_attributes(
    exporter: InMemorySpanExporter,
) -> None:
    client = sync_client()
    client.chat.completions.create(
        model=MODEL, messages=MESSAGES, temperature=0.5, max_tokens=10, top_p=0.9
    )
    span = only_span(exporter)
    assert_chat_success(span)
    a = attrs(span)
    assert a["gen_ai.response.id"] == "c1"
    assert a["gen_ai.request.temperature"] == 0.5
    assert a["gen_ai.request.max_tokens"] == 10
    assert a["gen_ai.request.top_p"] == 0.9


@pytest.mark.anyio
async def test_an_async_call_is_one_span(exporter: InMemorySpanExporter) -> None:
    async with async_client() as client:
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    span = only_span(exporter)
    assert_chat_success(span)
    assert "gen_ai.request.temperature" not in attrs(span)


def test_a_sync_stream_ends_its_span_when_exhausted(exporter: InMemorySpanExporter) -> None:
    client = sync_client()
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert exporter.get_finished_spans() == ()
    assert [c.choices[0].delta.content for c in stream] == ["Hi", " there"]
    span = only_span(exporter)
    assert_chat_success(span, output_tokens=3)
    assert attrs(span)["gen_ai.response.time_to_first_chunk"] >= 0
    assert stream.get_final_completion().choices[0].message.content == "Hi there"
    assert stream.response_info.retries == 0  # forwarded to the stream
    assert len(exporter.get_finished_spans()) == 1


def test_a_traced_stream_is_still_a_stream(exporter: InMemorySpanExporter) -> None:
    stream = sync_client().chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert isinstance(stream, Stream)
    assert not isinstance(stream, AsyncStream)
    stream.close()


@pytest.mark.anyio
async def test_a_traced_async_stream_is_still_an_async_stream(
    exporter: InMemorySpanExporter,
) -> None:
    async with async_client() as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        assert isinstance(stream, AsyncStream)
        assert not isinstance(stream, Stream)
        await stream.aclose()


def test_a_sync_stream_through_text_and_with(exporter: InMemorySpanExporter) -> None:
    client = sync_client()
    with client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True) as s:
        assert "".join(s.text()) == "Hi there"
    span = only_span(exporter)
    assert_chat_success(span, output_tokens=3)
    assert "gen_ai.response.time_to_first_chunk" in attrs(span)


def test_a_closed_stream_ends_its_span(exporter: InMemorySpanExporter) -> None:
    client = sync_client()
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    next(stream)
    stream.close()
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.UNSET
    assert "gen_ai.response.time_to_first_chunk" in attrs(span)


@pytest.mark.anyio
async def test_an_async_stream_ends_its_span(exporter: InMemorySpanExporter) -> None:
    async with async_client() as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        async with stream:
            texts = [c.choices[0].delta.content async for c in stream]
        assert texts == ["Hi", " there"]
        span = only_span(exporter)
        assert_chat_success(span, output_tokens=3)
        assert attrs(span)["gen_ai.response.time_to_first_chunk"] >= 0

        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        completion = await stream.get_final_completion()
        assert completion.choices[0].message.content == "Hi there"
        assert len(exporter.get_finished_spans()) == 2


def test_a_retried_call_has_one_event_per_attempt(exporter: InMemorySpanExporter) -> None:
    sync_client([503]).chat.completions.create(model=MODEL, messages=MESSAGES)
    span = only_span(exporter)
    assert events(span, "amigochat.attempt") == [{"attempt.number": 1}, {"attempt.number": 2}]
    assert attrs(span)["amigochat.retries"] == 1


@pytest.mark.anyio
async def test_a_retried_async_stream(exporter: InMemorySpanExporter) -> None:
    async with async_client([503]) as client:
        stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
        await stream.get_final_completion()
    span = only_span(exporter)
    assert len(events(span, "amigochat.attempt")) == 2
    assert attrs(span)["amigochat.retries"] == 1


def test_a_failure_is_an_error_span(exporter: InMemorySpanExporter) -> None:
    client = sync_client([429], max_retries=0)
    with pytest.raises(RateLimitError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "RateLimitError"
    assert [e.name for e in span.events] == ["amigochat.attempt", "exception"]


@pytest.mark.anyio
async def test_an_async_failure_is_an_error_span(exporter: InMemorySpanExporter) -> None:
    async with async_client([429], max_retries=0) as client:
        with pytest.raises(RateLimitError):
            await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    span = only_span(exporter)
    assert span.status.status_code is StatusCode.ERROR
    assert attrs(span)["error.type"] == "RateLimitError"


def test_images_generate_is_one_span(exporter: InMemorySpanExporter) -> None:
    sync_client().images.generate("a cat", model="dall-e-3")
    span = only_span(exporter)
    assert span.name == "image_generation dall-e-3"
    a = attrs(span)
    assert a["gen_ai.operation.name"] == "image_generation"
    assert a["gen_ai.request.model"] == "dall-e-3"
    assert a["amigochat.retries"] == 0
    assert "gen_ai.input.messages" not in a


@pytest.mark.anyio
async def test_async_images_generate_is_one_span(exporter: InMemorySpanExporter) -> None:
    async with async_client([503]) as client:
        await client.images.generate("a cat")
    span = only_span(exporter)
    assert span.name == "image_generation flux-pro/v1.1"
    assert attrs(span)["amigochat.retries"] == 1


def test_content_is_recorded_only_when_asked(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sync_client()
    monkeypatch.setenv(CAPTURE, "true")
    client.chat.completions.create(model=MODEL, messages=iter(MESSAGES))
    a = attrs(only_span(exporter))
    assert json.loads(a["gen_ai.input.messages"]) == MESSAGES
    assert json.loads(a["gen_ai.output.messages"]) == [{"role": "assistant", "content": "Hi"}]

    exporter.clear()
    monkeypatch.setenv(CAPTURE, "false")
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert "gen_ai.input.messages" not in attrs(only_span(exporter))


def test_uninstrument_restores_the_methods(exporter: InMemorySpanExporter) -> None:
    AmigoChatInstrumentor().instrument()  # a second time: a no-op
    client = sync_client()
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(exporter.get_finished_spans()) == 1
    AmigoChatInstrumentor().uninstrument()
    assert not AmigoChatInstrumentor().is_instrumented_by_opentelemetry
    for owner, name in [
        (Completions, "create"),
        (AsyncCompletions, "create"),
        (Images, "generate"),
        (AsyncImages, "generate"),
    ]:
        assert not hasattr(vars(owner)[name], "__wrapped__"), owner
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert len(exporter.get_finished_spans()) == 1


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60
    )


def test_importing_the_sdk_does_not_load_opentelemetry() -> None:
    done = run_python(
        "import sys, amigochat_sdk; amigochat_sdk.Client;"
        "print(any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    assert done.stdout.strip() == "False", done.stderr


def test_without_opentelemetry_the_import_names_the_extra() -> None:
    done = run_python(
        "import sys; sys.modules['opentelemetry'] = None\n"
        "import amigochat_sdk\n"
        "try:\n"
        "    import amigochat_sdk.otel\n"
        "except amigochat_sdk.MissingExtraError as exc:\n"
        "    print(exc)\n"
    )
    assert "pip install 'amigochat-sdk[otel]'" in done.stdout, done.stderr
