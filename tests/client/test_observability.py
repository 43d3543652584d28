"""
What a call tells about itself: `ResponseInfo` on every result, `with_raw_response`, hooks per
attempt, and a closed client; on both clients over a mock transport.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from amigochat_sdk import (
    APIConnectionError,
    AsyncClient,
    Attempt,
    Client,
    ClientClosedError,
    Hook,
    InvalidInputError,
    ResponseInfo,
    Retry,
    Stream,
    response_info,
)
from amigochat_sdk.types import ChatCompletion, ChatCompletionMessageParam, ImagesResponse

MODEL = "gpt-4o-mini"
MESSAGES: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hello"}]
COMPLETION = {
    "id": "c1",
    "object": "chat.completion",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}}],
}
CHUNK = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "Hi"}}]}
SSE_BODY = f"data: {json.dumps(CHUNK)}\n\ndata: [DONE]\n\n".encode()


def server(statuses: list[int]) -> Callable[[httpx.Request], httpx.Response]:
    """Answers with `statuses` in turn (then 200), each with its request id."""
    sent: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        status = statuses[len(sent)] if len(sent) < len(statuses) else 200
        sent.append(status)
        headers = {"x-request-id": f"req-{len(sent)}", "set-cookie": "sid=secret-cookie"}
        if status != 200:
            return httpx.Response(status, headers=headers, json={"error": {"message": "busy"}})
        if request.url.path.endswith("/images/generations"):
            return httpx.Response(200, headers=headers, json={"data": [{"url": "https://x/1.png"}]})
        if request.headers["accept"] == "text/event-stream":
            headers["content-type"] = "text/event-stream"
            return httpx.Response(200, headers=headers, content=SSE_BODY)
        return httpx.Response(200, headers=headers, json=COMPLETION)

    return handle


def sync_client(handler: Any, **options: Any) -> Client:
    http = httpx.Client(transport=httpx.MockTransport(handler))
    options.setdefault("max_retries", 2)
    return Client(base_url="http://test/v1", http_client=http, max_retry_after=0, **options)


def async_client(handler: Any, **options: Any) -> AsyncClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    options.setdefault("max_retries", 2)
    return AsyncClient(base_url="http://test/v1", http_client=http, max_retry_after=0, **options)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries wait no time: what is measured here is counts, not delays."""
    monkeypatch.setattr("amigochat_sdk._retry.backoff_delay", lambda *_: 0.0)


def test_a_completion_knows_its_response_and_its_retries() -> None:
    client = sync_client(server([503, 503]))
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    info = response_info(completion)
    assert isinstance(info, ResponseInfo)
    assert (info.status_code, info.request_id, info.retries) == (200, "req-3", 2)
    assert info.url == "http://test/v1/chat/completions"
    assert info.elapsed >= 0
    assert completion._request_id == "req-3"


def test_the_info_stays_beside_the_result_not_in_it() -> None:
    client = sync_client(server([]))
    first = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    second = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert first == second  # different request ids, the same wire value
    data = pickle.dumps(first)
    assert b"secret-cookie" not in data and b"req-1" not in data
    assert response_info(pickle.loads(data)) is None
    assert response_info(first.model_copy()) is None
    assert ChatCompletion.model_validate(COMPLETION)._request_id is None


def test_raw_response_on_the_sync_client() -> None:
    client = sync_client(server([503]))
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert (raw.status_code, raw.request_id, raw.retries) == (200, "req-2", 1)
    assert raw.headers["set-cookie"] == "sid=secret-cookie"
    assert raw.http_response.status_code == 200
    completion = raw.parse()
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == "Hi"

    streamed = client.chat.completions.with_raw_response.create(
        model=MODEL, messages=MESSAGES, stream=True
    )
    assert streamed.request_id == "req-3"
    stream = streamed.parse()
    assert isinstance(stream, Stream)
    assert "".join(stream.text()) == "Hi"

    images = client.images.with_raw_response.generate("A cat")
    assert images.request_id == "req-4"
    assert isinstance(images.parse(), ImagesResponse)
    assert response_info(images.parse()) is images.info


@pytest.mark.anyio
async def test_raw_response_and_metadata_on_the_async_client() -> None:
    client = async_client(server([500, 502]))
    raw = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert (raw.request_id, raw.retries) == ("req-3", 2)
    stream = await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)
    assert (stream.response_info.request_id, stream.response_info.retries) == ("req-4", 0)
    assert response_info(stream) is stream.response_info
    assert stream.request_id == "req-4"
    final = await stream.get_final_completion()
    assert final.choices[0].message.content == "Hi"
    images = await client.images.generate("A cat")
    assert images._request_id == "req-5"
    await client.close()


def test_a_stream_counts_its_retries() -> None:
    client = sync_client(server([429]))
    with client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True) as stream:
        assert (stream.response_info.retries, stream.request_id) == (1, "req-2")
        assert stream.get_final_completion().choices[0].message.content == "Hi"


class Recorder(Hook):
    def __init__(self, ask: Callable[[int], Retry | None] = lambda _: None) -> None:
        self.events: list[tuple[str, int, Any]] = []
        self.ask = ask

    def before_request(self, request: httpx.Request, attempt: Attempt) -> None:
        self.events.append(("request", attempt.number, request.url.path))
        request.headers["x-trace"] = f"attempt-{attempt.number}"

    def after_response(self, response: httpx.Response, attempt: Attempt) -> Retry | None:
        self.events.append(("response", attempt.number, response.status_code))
        return self.ask(response.status_code)

    def after_error(self, error: Any, attempt: Attempt) -> Retry | None:
        self.events.append(("error", attempt.number, type(error).__name__))
        return None


def test_a_hook_sees_each_attempt_once_and_can_change_its_request() -> None:
    seen: list[str] = []
    handle = server([503, 503])

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["x-trace"])
        return handle(request)

    hook = Recorder()
    client = sync_client(handler, hooks=[hook])
    client.chat.completions.create(model=MODEL, messages=MESSAGES)
    path = "/v1/chat/completions"
    assert hook.events == [
        ("request", 1, path),
        ("response", 1, 503),
        ("request", 2, path),
        ("response", 2, 503),
        ("request", 3, path),
        ("response", 3, 200),
    ]
    assert seen == ["attempt-1", "attempt-2", "attempt-3"]


def test_a_hook_asking_for_a_retry_gets_one_within_max_retries() -> None:
    hook = Recorder(ask=lambda status: Retry(delay=0) if status == 200 else None)
    client = sync_client(server([]), hooks=[hook], max_retries=1)
    completion = client.chat.completions.create(model=MODEL, messages=MESSAGES)
    # Asked twice; granted once (max_retries=1), so the second 200 is the answer.
    assert [e for e in hook.events if e[0] == "response"] == [
        ("response", 1, 200),
        ("response", 2, 200),
    ]
    assert completion._request_id == "req-2"
    assert response_info(completion).retries == 1  # type: ignore[union-attr]


def test_a_hook_that_raises_fails_the_call_with_its_error() -> None:
    class Boom(Hook):
        def after_response(self, response: httpx.Response, attempt: Attempt) -> None:
            raise LookupError("policy says no")

    client = sync_client(server([]), hooks=[Boom()])
    with pytest.raises(LookupError, match="policy says no"):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(LookupError, match="policy says no"):
        client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)


def test_a_hook_sees_connection_errors_as_sdk_errors() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    hook = Recorder()
    client = sync_client(refuse, hooks=[hook], max_retries=1)
    with pytest.raises(APIConnectionError):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert [e for e in hook.events if e[0] == "error"] == [
        ("error", 1, "APIConnectionError"),
        ("error", 2, "APIConnectionError"),
    ]


@pytest.mark.anyio
async def test_async_hooks_are_awaited_on_the_async_client() -> None:
    calls: list[int] = []

    class Async(Hook):
        async def after_response(self, response: httpx.Response, attempt: Attempt) -> Retry | None:
            calls.append(response.status_code)
            return None

    client = async_client(server([503]), hooks=[Async(), Recorder()])
    await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    assert calls == [503, 200]


def test_an_async_hook_on_the_sync_client_is_refused_clearly() -> None:
    class Async(Hook):
        async def before_request(self, request: httpx.Request, attempt: Attempt) -> None:
            return None

    client = sync_client(server([]), hooks=[Async()])
    with pytest.raises(InvalidInputError, match="async hooks need AsyncClient"):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)


def test_a_closed_client_says_so() -> None:
    client = sync_client(server([]))
    copy = client.with_options(max_retries=0)
    copy.close()  # a copy leaves its parent's pool open: both still work
    assert copy.chat.completions.create(model=MODEL, messages=MESSAGES)._request_id == "req-1"
    client.close()
    with pytest.raises(ClientClosedError, match="This client is closed"):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(ClientClosedError):
        copy.images.generate("A cat")
    owned = Client(base_url="http://test/v1")  # a pool the SDK made
    owned.close()
    with pytest.raises(ClientClosedError):
        owned.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)


@pytest.mark.anyio
async def test_a_closed_async_client_says_so() -> None:
    async with AsyncClient(base_url="http://test/v1") as client:
        pass
    with pytest.raises(ClientClosedError):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES, stream=True)


def test_http2_without_h2_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from amigochat_sdk import MissingExtraError

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "h2" else real(name, *a)
    )
    with pytest.raises(MissingExtraError, match=r"amigochat-sdk\[http2\]"):
        Client(http2=True)
