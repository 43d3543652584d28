"""
The request flows driven by hand, as httpx's `tests/test_auth.py` drives `auth_flow`.

A flow yields commands (`Send`, `RECEIVE`, `Sleep`, `Close`) and values for the user (`Ready`,
chunks); the test answers each one with `.send()` or `.throw()`. No socket is opened and no test
sleeps: `Sleep` is only recorded, and the clock is a fake one that the test moves.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from amigochat_sdk import (
    APIConnectionError,
    APITimeoutError,
    BadRequestError,
    InternalServerError,
    QuotaExceededError,
    RateLimitError,
    StreamInterruptedError,
)
from amigochat_sdk._chat_flow import build_chat_call, chat_flow
from amigochat_sdk._core import (
    RECEIVE,
    Attempts,
    Call,
    Close,
    Config,
    Flow,
    Ready,
    Receive,
    Send,
    Sleep,
    read_body,
    retrying,
)
from amigochat_sdk._image_flow import build_image_call, image_flow
from amigochat_sdk._retry import RetryPolicy
from amigochat_sdk.types import ChatCompletion, ChatCompletionChunk, ImagesResponse

BASE_URL = "http://test/v1"
DEVICE = "00000000-0000-4000-8000-000000000000"
JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}
QUOTA = (
    "Amigo, your balance is not enough to make the request, wait until 12 UTC or upgrade your plan"
)


class FakeClock:
    """A monotonic clock that moves only when the test (or a recorded `Sleep`) moves it."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_config(
    *,
    max_retries: int = 2,
    deadline: float | None = None,
    clock: FakeClock | None = None,
    first_chunk_timeout: float | None = None,
    timeout: float = 30.0,
) -> Config:
    return Config(
        base_url=BASE_URL,
        timeout=httpx.Timeout(timeout),
        policy=RetryPolicy(max_retries=max_retries),
        headers={"user-agent": "amigochat-sdk/test", "x-device-platform": "web"},
        device_uuid=DEVICE,
        first_chunk_timeout=first_chunk_timeout,
        deadline=deadline,
        clock=clock or FakeClock(),
        rng=random.Random(0),
    )


def chat_call(config: Config, *, stream: bool = False) -> Call:
    return build_chat_call(
        config,
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hello"}],
        stream=stream,
        persona_id=None,
        chat_id=None,
        params={},
        extra_headers=None,
        extra_body=None,
        timeout=None,
    )


def image_call(config: Config) -> Call:
    return build_image_call(
        config,
        prompt="A futuristic cityscape",
        model=None,
        persona_id=None,
        chat_id=None,
        params={},
        extra_headers=None,
        extra_body=None,
        timeout=None,
    )


#: The first two waits of the default policy under `make_config`'s `random.Random(0)`: 0.5 s and
#: 1 s, each less up to 25% of jitter (the generator's first draws are 0.8444 and 0.7580). Written
#: out, so that a change to the policy or to the order of draws shows here.
FIRST_BACKOFF = 0.39444726855936896
SECOND_BACKOFF = 0.8105113992649244


def completion_body(content: str = "Hello!") -> bytes:
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
        }
    ).encode()


def chunk_event(content: str, finish: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def error_body(message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "server_error"}}).encode()


def respond(
    flow: Flow[Any], command: object, status: int, *, headers: Any = None, body: bytes = b""
) -> object:
    """
    Answer a `Send` with a response whose body is `body`, answer the reads, and return the
    flow's next command (or let its `StopIteration` or error escape).
    """
    assert isinstance(command, Send)
    response = httpx.Response(status, headers=headers, request=command.request)
    assert is_read(flow.send(response))
    if body:
        assert is_read(flow.send(body))
    return flow.send(b"")


def is_read(command: object) -> bool:
    """A read: `RECEIVE` (the response's read timeout) or a `Receive` with a shorter one."""
    return command is RECEIVE or isinstance(command, Receive)


# --- a small recording driver, for the long retry sequences ----------------------------------


@dataclass
class Reply:
    """One scripted answer to a `Send`: a status, headers and a body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


Answer = Reply | httpx.TransportError


@dataclass
class Played:
    log: list[Any]  # "send", ("sleep", seconds), "close", "ready", a chunk's content
    requests: list[httpx.Request]
    result: Any = None
    error: BaseException | None = None


def play(flow: Flow[Any], answers: Sequence[Answer], clock: FakeClock | None = None) -> Played:
    """
    Carry out the flow's commands with scripted answers and record what it asked for. A `Sleep`
    only moves the fake clock. Fails if the flow sends more requests than there are answers.
    """
    played = Played(log=[], requests=[])
    pending = list(answers)
    body: list[bytes] = []
    try:
        command = next(flow)
        while True:
            if isinstance(command, Send):
                played.log.append("send")
                played.requests.append(command.request)
                assert pending, "the flow sent one request more than the script expected"
                answer = pending.pop(0)
                if isinstance(answer, httpx.TransportError):
                    command = flow.throw(answer)
                    continue
                body = [answer.body] if answer.body else []
                reply: Any = httpx.Response(
                    answer.status, headers=answer.headers, request=command.request
                )
            elif command is RECEIVE or isinstance(command, Receive):
                reply = body.pop(0) if body else b""
            elif isinstance(command, Sleep):
                played.log.append(("sleep", command.seconds))
                if clock is not None:
                    clock.now += command.seconds
                reply = None
            elif isinstance(command, Close):
                played.log.append("close")
                reply = None
            elif isinstance(command, Ready):
                played.log.append("ready")
                reply = None
            else:
                # A read's chunks: a list is handed over, then answered with the next bytes;
                # a tuple (the last ones) is answered with None.
                assert isinstance(command, (list, tuple)), command
                for chunk in command:
                    assert isinstance(chunk, ChatCompletionChunk)
                    played.log.append(chunk.choices[0].delta.content)
                if isinstance(command, list):
                    reply = body.pop(0) if body else b""
                else:
                    reply = None
            command = flow.send(reply)
    except StopIteration as stop:
        played.result = stop.value
    except Exception as exc:
        played.error = exc
    assert not pending, f"{len(pending)} scripted answers were never asked for"
    return played


# --- the first request ------------------------------------------------------------------------


def test_chat_flow_sends_one_request_then_returns_the_completion() -> None:
    config = make_config()
    flow = chat_flow(config, chat_call(config), stream=False)

    command = next(flow)
    assert isinstance(command, Send)
    request = command.request
    assert request.method == "POST"
    assert request.url == "http://test/v1/chat/completions"
    assert request.headers["x-device-uuid"] == DEVICE
    assert request.headers["x-device-platform"] == "web"
    assert request.headers["user-agent"] == "amigochat-sdk/test"
    assert request.headers["accept"] == "application/json"
    assert request.headers["content-type"] == "application/json"
    assert request.extensions["timeout"] == {"connect": 30, "read": 30, "write": 30, "pool": 30}
    body = json.loads(request.content)
    assert body["model"] == "gpt-4o-mini"
    assert body["personaId"] == "amigo"
    assert body["stream"] is False

    with pytest.raises(StopIteration) as stop:
        respond(flow, command, 201, headers=JSON, body=completion_body("Hi there"))
    completion = stop.value.value
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == "Hi there"


def test_503_then_201_sleeps_one_backoff_and_returns() -> None:
    config = make_config()
    flow = chat_flow(config, chat_call(config), stream=False)

    first = next(flow)
    assert isinstance(first, Send)
    sleep = respond(flow, first, 503, headers=JSON, body=error_body("overloaded"))
    assert isinstance(sleep, Sleep)
    assert sleep.seconds == pytest.approx(FIRST_BACKOFF)
    second = flow.send(None)
    assert isinstance(second, Send)
    with pytest.raises(StopIteration) as stop:
        respond(flow, second, 201, headers=JSON, body=completion_body())
    assert stop.value.value.choices[0].message.content == "Hello!"


def test_429_with_retry_after_2_sleeps_exactly_2_seconds() -> None:
    config = make_config()
    played = play(
        chat_flow(config, chat_call(config), stream=False),
        [
            Reply(429, {"retry-after": "2"}, error_body("slow down")),
            Reply(201, JSON, completion_body()),
        ],
    )
    assert played.error is None
    assert played.log == ["send", ("sleep", 2.0), "send"]
    assert isinstance(played.result, ChatCompletion)


def test_retry_after_ms_wins_over_retry_after() -> None:
    config = make_config()
    headers = {"retry-after": "7", "retry-after-ms": "250"}
    played = play(
        chat_flow(config, chat_call(config), stream=False),
        [Reply(429, headers), Reply(201, JSON, completion_body())],
    )
    assert played.log == ["send", ("sleep", 0.25), "send"]


def test_retry_after_120_raises_rate_limit_error_at_once_without_sleeping() -> None:
    config = make_config()
    flow = chat_flow(config, chat_call(config), stream=False)
    command = next(flow)
    with pytest.raises(RateLimitError) as info:
        respond(flow, command, 429, headers={"retry-after": "120"}, body=error_body("slow down"))
    assert info.value.retry_after == 120.0
    assert info.value.status_code == 429
    with pytest.raises(StopIteration):
        next(flow)  # the flow is over: no Sleep, no second Send


def test_x_should_retry_false_on_503_is_not_retried() -> None:
    config = make_config()
    played = play(
        chat_flow(config, chat_call(config), stream=False),
        [Reply(503, {"x-should-retry": "false", **JSON}, error_body("down"))],
    )
    assert played.log == ["send"]
    assert isinstance(played.error, InternalServerError)
    assert played.error.status_code == 503


def test_x_should_retry_true_on_400_is_retried() -> None:
    config = make_config()
    played = play(
        chat_flow(config, chat_call(config), stream=False),
        [Reply(400, {"x-should-retry": "true"}), Reply(201, JSON, completion_body())],
    )
    assert played.log == ["send", ("sleep", pytest.approx(FIRST_BACKOFF)), "send"]
    assert isinstance(played.result, ChatCompletion)


@pytest.mark.parametrize("status", [400, 429, 500, 503])
def test_quota_message_raises_quota_exceeded_and_is_never_retried(status: int) -> None:
    config = make_config()
    nest = json.dumps({"message": QUOTA, "statusCode": status}).encode()
    played = play(
        chat_flow(config, chat_call(config), stream=False),
        [Reply(status, {"date": "Wed, 19 Aug 2026 14:34:22 GMT", **JSON}, nest)],
    )
    assert played.log == ["send"]
    assert isinstance(played.error, QuotaExceededError)
    assert played.error.resets_at.isoformat() == "2026-08-20T12:00:00+00:00"


def test_400_raises_bad_request_error_without_retrying() -> None:
    config = make_config()
    body = json.dumps({"message": ["model must be a string"], "statusCode": 400}).encode()
    played = play(chat_flow(config, chat_call(config), stream=False), [Reply(400, JSON, body)])
    assert played.log == ["send"]
    assert isinstance(played.error, BadRequestError)
    assert str(played.error) == "Error code: 400 - model must be a string"


def test_connect_error_twice_then_success() -> None:
    config = make_config()
    flow = chat_flow(config, chat_call(config), stream=False)

    first = next(flow)
    assert isinstance(first, Send)
    sleep = flow.throw(httpx.ConnectError("connection refused", request=first.request))
    assert isinstance(sleep, Sleep)
    assert sleep.seconds == pytest.approx(FIRST_BACKOFF)
    second = flow.send(None)
    assert isinstance(second, Send)
    sleep = flow.throw(httpx.ConnectError("connection refused", request=second.request))
    assert isinstance(sleep, Sleep)
    assert sleep.seconds == pytest.approx(SECOND_BACKOFF)
    third = flow.send(None)
    assert isinstance(third, Send)
    with pytest.raises(StopIteration) as stop:
        respond(flow, third, 201, headers=JSON, body=completion_body())
    assert isinstance(stop.value.value, ChatCompletion)


def test_connect_errors_exhaust_the_retries_into_api_connection_error() -> None:
    config = make_config(max_retries=2)
    refused = httpx.ConnectError("connection refused")
    played = play(chat_flow(config, chat_call(config), stream=False), [refused] * 3)
    assert played.log == [
        "send",
        ("sleep", pytest.approx(FIRST_BACKOFF)),
        "send",
        ("sleep", pytest.approx(SECOND_BACKOFF)),
        "send",
    ]
    assert type(played.error) is APIConnectionError
    assert played.error.__cause__ is refused
    assert "connection refused" in str(played.error)


def test_a_timeout_that_exhausts_the_retries_is_an_api_timeout_error() -> None:
    config = make_config(max_retries=1)
    played = play(
        chat_flow(config, chat_call(config), stream=False),
        [httpx.ConnectTimeout("slow"), httpx.ReadTimeout("slow")],
    )
    assert played.log == ["send", ("sleep", pytest.approx(FIRST_BACKOFF)), "send"]
    assert isinstance(played.error, APITimeoutError)


def test_5xx_exhausts_the_retries_into_internal_server_error() -> None:
    config = make_config(max_retries=2)
    played = play(
        chat_flow(config, chat_call(config), stream=False),
        [Reply(503, JSON, error_body("overloaded"))] * 3,
    )
    assert [entry for entry in played.log if entry == "send"] == ["send"] * 3
    assert [entry[1] for entry in played.log if isinstance(entry, tuple)] == pytest.approx(
        [FIRST_BACKOFF, SECOND_BACKOFF]
    )
    assert isinstance(played.error, InternalServerError)
    assert str(played.error) == "Error code: 503 - overloaded"


def test_max_retries_0_makes_exactly_one_attempt() -> None:
    config = make_config(max_retries=0)
    played = play(chat_flow(config, chat_call(config), stream=False), [Reply(503)])
    assert played.log == ["send"]
    assert isinstance(played.error, InternalServerError)


def test_every_retry_sends_a_fresh_device_uuid() -> None:
    config = make_config(max_retries=3)
    played = play(
        chat_flow(config, chat_call(config), stream=False),
        [
            Reply(503),
            httpx.ConnectError("refused"),
            Reply(502),
            Reply(201, JSON, completion_body()),
        ],
    )
    devices = [request.headers["x-device-uuid"] for request in played.requests]
    assert devices[0] == DEVICE
    assert len(set(devices)) == 4
    for device in devices[1:]:
        assert uuid.UUID(device).version == 4
    # The body, chat id included, is the same on every attempt: only the device changes.
    assert len({request.content for request in played.requests}) == 1


# --- streams: retried before the first event, final after it ---------------------------------


def test_stream_dropped_before_the_first_event_is_retried() -> None:
    config = make_config()
    flow = chat_flow(config, chat_call(config, stream=True), stream=True)

    first = next(flow)
    assert isinstance(first, Send)
    assert first.request.headers["accept"] == "text/event-stream"
    dropped = httpx.Response(200, headers=SSE, request=first.request)
    assert flow.send(dropped) is RECEIVE
    # Half an event arrives, then the connection drops: nothing reached the user yet.
    assert flow.send(b'data: {"id": "chatcmpl-1", "choi') is RECEIVE
    close = flow.throw(httpx.ReadError("connection reset", request=first.request))
    assert isinstance(close, Close)
    assert close.response is dropped
    sleep = flow.send(None)
    assert isinstance(sleep, Sleep)
    assert sleep.seconds == pytest.approx(FIRST_BACKOFF)

    second = flow.send(None)
    assert isinstance(second, Send)
    assert second.request.headers["x-device-uuid"] != DEVICE
    response = httpx.Response(200, headers=SSE, request=second.request)
    assert flow.send(response) is RECEIVE
    ready = flow.send(chunk_event("Hel") + chunk_event("lo", finish="stop"))
    assert isinstance(ready, Ready)
    assert ready.response is response
    # The read's chunks come as one list; the driver hands them over, then sends more bytes.
    first_chunk, second_chunk = flow.send(None)
    assert isinstance(first_chunk, ChatCompletionChunk)
    assert first_chunk.choices[0].delta.content == "Hel"
    assert isinstance(second_chunk, ChatCompletionChunk)
    assert second_chunk.choices[0].delta.content == "lo"
    # After [DONE] the flow reads on to the end of the body, so the connection is reused,
    # but only for as long as that costs nothing.
    drain = flow.send(b"data: [DONE]\n\n")
    assert isinstance(drain, Receive)
    assert drain.timeout == pytest.approx(0.1)
    with pytest.raises(StopIteration) as stop:
        flow.send(b"")
    # A stream returns nothing: its accumulator assembles the answer if someone asks.
    assert stop.value.value is None
    assert ready.state.completion().choices[0].message.content == "Hello"


def test_stream_ending_before_any_event_is_retried() -> None:
    config = make_config()
    played = play(
        chat_flow(config, chat_call(config, stream=True), stream=True),
        [Reply(200, SSE, b": keep-alive\n\n"), Reply(200, SSE, chunk_event("Hi", "stop"))],
    )
    assert played.error is None
    delay = pytest.approx(FIRST_BACKOFF)
    assert played.log == ["send", "close", ("sleep", delay), "send", "ready", "Hi"]


def test_stream_with_no_event_within_first_chunk_timeout_is_retried() -> None:
    clock = FakeClock()
    config = make_config(first_chunk_timeout=5.0, clock=clock)
    flow = chat_flow(config, chat_call(config, stream=True), stream=True)

    first = next(flow)
    assert isinstance(first, Send)
    assert first.request.extensions["timeout"]["read"] == 5.0  # headers must come in time too
    read = flow.send(httpx.Response(200, headers=SSE, request=first.request))
    assert isinstance(read, Receive)
    assert read.timeout == 5.0  # each read until the first chunk is cut to what is left
    # Later gaps are the read timeout's: the body's reads get it back once the headers came.
    assert first.request.extensions["timeout"]["read"] == 30.0
    clock.now = 6.0
    close = flow.send(b": still thinking\n\n")
    assert isinstance(close, Close)
    assert isinstance(flow.send(None), Sleep)
    assert isinstance(flow.send(None), Send)


def test_stream_dropped_after_the_first_event_raises_with_what_was_received() -> None:
    config = make_config()
    flow = chat_flow(config, chat_call(config, stream=True), stream=True)

    send = next(flow)
    assert isinstance(send, Send)
    assert flow.send(httpx.Response(200, headers=SSE, request=send.request)) is RECEIVE
    assert isinstance(flow.send(chunk_event("Hel")), Ready)
    [first_chunk] = flow.send(None)
    assert isinstance(first_chunk, ChatCompletionChunk)
    assert flow.send(b'data: {"choices": [{"delta": {"content": "lo w') is RECEIVE

    with pytest.raises(StreamInterruptedError) as info:
        flow.throw(httpx.ReadError("connection reset", request=send.request))
    error = info.value
    assert error.text == "Hel"
    assert error.chunks == [first_chunk]
    assert isinstance(error.partial, ChatCompletion)
    assert error.partial.choices[0].message.content == "Hel"
    assert error.partial.choices[0].finish_reason is None
    assert isinstance(error.__cause__, httpx.ReadError)
    with pytest.raises(StopIteration):
        next(flow)  # over: no Close, no Sleep, and above all no second Send


def test_stream_eof_without_done_and_unfinished_choice_is_interrupted() -> None:
    config = make_config()
    played = play(
        chat_flow(config, chat_call(config, stream=True), stream=True),
        [Reply(200, SSE, chunk_event("Hel") + chunk_event("lo"))],
    )
    assert played.log == ["send", "ready", "Hel", "lo"]
    assert isinstance(played.error, StreamInterruptedError)
    assert played.error.text == "Hello"


# --- the deadline -----------------------------------------------------------------------------


def test_a_retry_that_would_overrun_the_deadline_is_not_made() -> None:
    clock = FakeClock()
    config = make_config(deadline=10.0, clock=clock)
    flow = chat_flow(config, chat_call(config), stream=False)

    first = next(flow)
    assert isinstance(first, Send)
    clock.now = 9.9  # the first attempt took almost the whole budget
    with pytest.raises(InternalServerError):
        respond(flow, first, 503, headers=JSON, body=error_body("overloaded"))
    with pytest.raises(StopIteration):
        next(flow)


def test_a_retry_that_fits_the_deadline_is_made_with_the_timeout_cut_to_what_is_left() -> None:
    clock = FakeClock()
    config = make_config(deadline=10.0, clock=clock, timeout=30.0)
    flow = chat_flow(config, chat_call(config), stream=False)

    first = next(flow)
    assert isinstance(first, Send)
    assert set(first.request.extensions["timeout"].values()) == {10.0}
    clock.now = 4.0
    sleep = respond(flow, first, 503)
    assert isinstance(sleep, Sleep)
    clock.now += sleep.seconds
    second = flow.send(None)
    assert isinstance(second, Send)
    left = 10.0 - clock.now
    assert first.request.extensions["timeout"] is not second.request.extensions["timeout"]
    assert second.request.extensions["timeout"]["read"] == pytest.approx(left)


def test_retry_after_longer_than_the_deadline_left_raises_at_once() -> None:
    clock = FakeClock()
    config = make_config(deadline=10.0, clock=clock)
    flow = chat_flow(config, chat_call(config), stream=False)
    first = next(flow)
    clock.now = 9.0  # 1 s left, and the server asks for 2
    with pytest.raises(RateLimitError) as info:
        respond(flow, first, 429, headers={"retry-after": "2"}, body=error_body("slow down"))
    assert info.value.retry_after == 2.0
    with pytest.raises(StopIteration):
        next(flow)


def test_connect_error_near_the_deadline_is_not_retried() -> None:
    clock = FakeClock()
    config = make_config(deadline=1.0, clock=clock)
    flow = chat_flow(config, chat_call(config), stream=False)
    first = next(flow)
    assert isinstance(first, Send)
    clock.now = 0.9
    with pytest.raises(APIConnectionError):
        flow.throw(httpx.ConnectError("refused", request=first.request))


# --- images and the bare retry loop ------------------------------------------------------------


def test_image_flow_retries_then_reads_data_urls() -> None:
    config = make_config()
    body = json.dumps({"created": 1, "data": [{"url": "https://cdn.test/a.png"}]}).encode()
    played = play(image_flow(config, image_call(config)), [Reply(502), Reply(201, JSON, body)])
    assert played.log == ["send", ("sleep", pytest.approx(FIRST_BACKOFF)), "send"]
    request = played.requests[0]
    assert request.url == "http://test/v1/images/generations"
    sent = json.loads(request.content)
    assert (sent["model"], sent["personaId"]) == ("flux-pro/v1.1", "flux-1-1-pro")
    assert isinstance(played.result, ImagesResponse)
    assert played.result.data[0].url == "https://cdn.test/a.png"


def test_image_flow_normalises_image_url() -> None:
    config = make_config()
    flow = image_flow(config, image_call(config))
    command = next(flow)
    with pytest.raises(StopIteration) as stop:
        respond(flow, command, 201, headers=JSON, body=b'{"imageUrl": "https://cdn.test/b.png"}')
    result = stop.value.value
    assert isinstance(result, ImagesResponse)
    assert [image.url for image in result.data] == ["https://cdn.test/b.png"]


def test_retrying_returns_what_consume_returns_and_retries_a_read_error() -> None:
    config = make_config()
    call = Call("GET", "http://test/v1/anything")
    attempts = Attempts(config, call)
    flow = retrying(attempts, lambda response: read_body(response, attempts))

    first = next(flow)
    assert isinstance(first, Send)
    response = httpx.Response(200, request=first.request)
    assert flow.send(response) is RECEIVE
    assert flow.send(b"par") is RECEIVE
    close = flow.throw(httpx.RemoteProtocolError("peer closed", request=first.request))
    assert isinstance(close, Close)
    assert close.response is response
    assert isinstance(flow.send(None), Sleep)
    second = flow.send(None)
    assert isinstance(second, Send)
    with pytest.raises(StopIteration) as stop:
        respond(flow, second, 200, body=b"whole body")
    assert stop.value.value == b"whole body"
