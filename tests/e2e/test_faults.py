"""
The retry rule and the stream life cycle on a real socket, against the reference server's faults.

Retries happen only before the first byte of an answer reaches the user, and only for what may
pass (5xx, 429, 408/409, dropped or silent connections); after that, an error carries exactly
the text already handed over, and nothing is sent again. `server.requests` counts the attempts.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

import httpx
import pytest

from amigochat_sdk import (
    APIDecodeError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CloudflareBlockedError,
    InternalServerError,
    NotFoundError,
    QuotaExceededError,
    RateLimitError,
    StreamDecodeError,
    StreamInterruptedError,
    StreamServerError,
)
from amigochat_sdk.testing import UPSTREAM_MESSAGE, ReferenceServer
from amigochat_sdk.testing._wire import INVALID_UTF8
from tests.e2e.conftest import MakeApi
from tests.e2e.helpers import PIECE, Api, distinct, reply_to, text_of_events
from tests.flavors import HTTPX_LEAVES_ITS_GENERATORS_OPEN

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

REPLY = reply_to()
EVENTS = 2 + -(-len(REPLY) // PIECE)  # role chunk, content pieces, finish chunk


def attempts(server: ReferenceServer) -> int:
    return len(server.requests)


def assert_fresh_uuids(server: ReferenceServer) -> None:
    uuids = [request.headers["x-device-uuid"] for request in server.requests]
    assert distinct(uuids), uuids
    assert all(uuid.UUID(value).version == 4 for value in uuids)


# ---------------------------------------------------------------- retried before the first byte

RETRIED = [
    pytest.param("status=500;body=json;retry-after=0", id="500-json"),
    pytest.param("status=502;body=html;retry-after=0", id="502-html"),
    pytest.param("status=503;body=empty;retry-after=0", id="503-empty"),
    pytest.param("status=504;body=text;retry-after=0", id="504-text"),
    pytest.param("status=429;body=openai;retry-after=0", id="429"),
    pytest.param("status=408;retry-after=0", id="408"),
    pytest.param("status=400;should-retry=true;retry-after=0", id="400-should-retry-true"),
    pytest.param("close-before-headers", id="close-before-headers"),
    pytest.param("close-after=0", id="closed-before-first-event"),
]


@pytest.mark.parametrize("spec", RETRIED)
async def test_retried_then_streamed_once(
    amigochat_server: ReferenceServer, api: Api, spec: str
) -> None:
    amigochat_server.faults.push(spec)
    stream = await api.stream()
    assert await stream.read() == REPLY
    assert attempts(amigochat_server) == 2
    assert_fresh_uuids(amigochat_server)
    assert api.busy() == []


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param("status=500;body=json;retry-after=0", id="500-json"),
        pytest.param("close-before-headers", id="close-before-headers"),
        pytest.param("close-after=20", id="closed-mid-json-body"),
    ],
)
async def test_retried_then_completed(
    amigochat_server: ReferenceServer, api: Api, spec: str
) -> None:
    amigochat_server.faults.push(spec)
    completion = await api.create()
    assert completion.choices[0].message.content == REPLY
    assert attempts(amigochat_server) == 2
    assert_fresh_uuids(amigochat_server)


async def test_every_retry_has_a_fresh_device_uuid(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    first = str(uuid.uuid4())
    api = make_api(device_uuid=first, max_retries=2)
    amigochat_server.faults.push("status=503;retry-after=0", times=2)
    assert (await api.create()).choices[0].message.content == REPLY
    uuids = [request.headers["x-device-uuid"] for request in amigochat_server.requests]
    assert len(uuids) == 3 and uuids[0] == first
    assert_fresh_uuids(amigochat_server)
    assert api.device_uuids() == uuids  # what the client sent is what the server saw


async def test_retries_stop_at_max_retries(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(max_retries=1)
    amigochat_server.faults.always("status=503;retry-after=0")
    with pytest.raises(InternalServerError) as caught:
        await api.create()
    assert caught.value.status_code == 503
    assert attempts(amigochat_server) == 2


# ---------------------------------------------------------------- Retry-After, really waited


@pytest.mark.slow
async def test_retry_after_seconds_is_waited(amigochat_server: ReferenceServer, api: Api) -> None:
    amigochat_server.faults.push("status=429;retry-after=1")
    started = time.monotonic()
    assert await (await api.stream()).read() == REPLY
    elapsed = time.monotonic() - started
    assert 0.95 <= elapsed < 2.0, elapsed
    assert attempts(amigochat_server) == 2


@pytest.mark.slow
async def test_retry_after_http_date_is_waited(amigochat_server: ReferenceServer, api: Api) -> None:
    # The date has whole seconds, so "2 s from now" is a wait of 1 to 2 s.
    amigochat_server.faults.push("status=503;retry-after-date=2")
    started = time.monotonic()
    assert (await api.create()).choices[0].message.content == REPLY
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 2.8, elapsed
    assert attempts(amigochat_server) == 2


async def test_retry_after_beyond_max_raises_at_once(
    amigochat_server: ReferenceServer, api: Api
) -> None:
    amigochat_server.faults.push("status=429;retry-after=120")
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        await api.stream()
    assert time.monotonic() - started < 0.5
    assert caught.value.retry_after == pytest.approx(120, abs=1)
    assert attempts(amigochat_server) == 1


# ---------------------------------------------------------------- never retried

NOT_RETRIED = [
    pytest.param("status=400;retry-after=0", BadRequestError, id="400"),
    pytest.param("status=401;body=openai;retry-after=0", AuthenticationError, id="401"),
    pytest.param("status=404;body=openai;retry-after=0", NotFoundError, id="404"),
    pytest.param("quota;retry-after=0", QuotaExceededError, id="quota-400"),
    pytest.param("quota;status=429;retry-after=0", QuotaExceededError, id="quota-429"),
    pytest.param("cloudflare;retry-after=0", CloudflareBlockedError, id="cloudflare"),
    pytest.param("status=503;should-retry=false", InternalServerError, id="503-should-retry-false"),
]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize(("spec", "error"), NOT_RETRIED)
async def test_not_retried(
    amigochat_server: ReferenceServer, api: Api, spec: str, error: type[Exception], stream: bool
) -> None:
    amigochat_server.faults.push(spec)
    started = time.monotonic()
    with pytest.raises(error):
        await (api.stream() if stream else api.create())
    assert time.monotonic() - started < 0.5
    assert attempts(amigochat_server) == 1
    assert api.busy() == []


async def test_wrong_api_key_on_a_protected_server(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    amigochat_server.options = replace(amigochat_server.options, api_key="e2e-server-key")
    with pytest.raises(AuthenticationError) as caught:
        await make_api(api_key="e2e-wrong-key").create()
    assert caught.value.status_code == 401
    assert "e2e-wrong-key" not in str(caught.value)
    assert attempts(amigochat_server) == 1
    completion = await make_api(api_key="e2e-server-key").create()
    assert completion.choices[0].message.content == REPLY


async def test_cleanly_cut_json_body_is_a_decode_error(
    amigochat_server: ReferenceServer, api: Api
) -> None:
    # A body the server declares complete (content-length) is not worth a retry.
    amigochat_server.faults.push("eof-after=20")
    with pytest.raises(APIDecodeError):
        await api.create()
    assert attempts(amigochat_server) == 1


# ---------------------------------------------------------------- after the first byte: no retry


@pytest.mark.parametrize("k", [1, 3, 8])
async def test_drop_mid_stream_keeps_the_text_once(
    amigochat_server: ReferenceServer, api: Api, k: int
) -> None:
    amigochat_server.faults.push(f"close-after={k}")
    stream = await api.stream()
    with pytest.raises(StreamInterruptedError) as caught:
        await stream.read()
    expected = text_of_events(k)
    assert caught.value.text == "".join(stream.seen) == expected
    assert len(caught.value.chunks) == len(stream.chunks) == k
    assert attempts(amigochat_server) == 1
    assert api.busy() == []


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_error_event_mid_stream(amigochat_server: ReferenceServer, api: Api) -> None:
    amigochat_server.faults.push("error-event-after=3")
    stream = await api.stream()
    with pytest.raises(StreamServerError) as caught:
        await stream.read()
    assert caught.value.text == "".join(stream.seen) == text_of_events(3)
    assert caught.value.error["message"] == UPSTREAM_MESSAGE
    assert UPSTREAM_MESSAGE in str(caught.value)
    assert attempts(amigochat_server) == 1


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_malformed_event_mid_stream(amigochat_server: ReferenceServer, api: Api) -> None:
    amigochat_server.faults.push("malformed-after=3")
    stream = await api.stream()
    with pytest.raises(StreamDecodeError) as caught:
        await stream.read()
    assert caught.value.data == "{not json"
    assert "{not json" in str(caught.value)
    assert caught.value.text == "".join(stream.seen) == text_of_events(3)
    assert attempts(amigochat_server) == 1


async def test_eof_without_done_is_truncated(amigochat_server: ReferenceServer, api: Api) -> None:
    amigochat_server.faults.push("eof-after=3")
    stream = await api.stream()
    with pytest.raises(StreamInterruptedError, match="truncated") as caught:
        await stream.read()
    assert caught.value.text == "".join(stream.seen) == text_of_events(3)
    assert attempts(amigochat_server) == 1


async def test_stall_mid_stream_times_out(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=httpx.Timeout(2.0, read=0.25))
    amigochat_server.faults.push("stall-after=3:3")
    stream = await api.stream()
    started = time.monotonic()
    with pytest.raises(StreamInterruptedError, match="timed out") as caught:
        await stream.read()
    assert 0.2 <= time.monotonic() - started < 1.0
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert caught.value.text == "".join(stream.seen) == text_of_events(3)
    assert attempts(amigochat_server) == 1
    assert api.busy() == []


# ---------------------------------------------------------------- first_chunk_timeout


async def test_first_chunk_timeout_retries_slow_headers(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=2.0, first_chunk_timeout=0.2)
    amigochat_server.faults.push("slow-first-byte=1")
    started = time.monotonic()
    assert await (await api.stream()).read() == REPLY
    assert time.monotonic() - started < 1.5  # 0.2 s timeout, < 0.5 s backoff, then the answer
    assert attempts(amigochat_server) == 2
    assert_fresh_uuids(amigochat_server)


async def test_first_chunk_timeout_retries_silence_before_first_event(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=2.0, first_chunk_timeout=0.2)
    amigochat_server.faults.push("stall-after=0:0.7")
    assert await (await api.stream()).read() == REPLY
    assert attempts(amigochat_server) == 2


async def test_idle_timeout_before_first_event_retries(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    # Without first_chunk_timeout, the idle (read) timeout covers the same silence.
    api = make_api(timeout=httpx.Timeout(2.0, read=0.2))
    amigochat_server.faults.push("stall-after=0:1")
    assert await (await api.stream()).read() == REPLY
    assert attempts(amigochat_server) == 2
    assert_fresh_uuids(amigochat_server)


async def test_first_chunk_timeout_without_retries_is_a_timeout_error(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=2.0, first_chunk_timeout=0.2, max_retries=0)
    amigochat_server.faults.push("slow-first-byte=2")
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await api.stream()
    assert time.monotonic() - started < 0.6
    assert attempts(amigochat_server) == 1


# ---------------------------------------------------------------- odd but valid bytes


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_huge_event_beyond_max_event_size(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=2.0, max_event_size=1024)
    amigochat_server.faults.push("huge-event=4096")
    with pytest.raises(StreamDecodeError, match="max_event_size"):
        # The role chunk and the huge one may share a read: then `create` itself raises.
        await (await api.stream()).read()
    assert attempts(amigochat_server) == 1
    assert api.busy() == []


@HTTPX_LEAVES_ITS_GENERATORS_OPEN
async def test_huge_event_error_shows_the_start_of_the_event(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=2.0, max_event_size=1024)
    amigochat_server.faults.push("huge-event=4096")
    with pytest.raises(StreamDecodeError) as caught:
        await (await api.stream()).read()
    assert caught.value.data.startswith('{"id":')


async def test_big_event_within_max_event_size(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=2.0, max_event_size=1024)
    amigochat_server.faults.push("huge-event=512")
    assert await (await api.stream()).read() == "x" * 512 + REPLY


async def test_invalid_utf8_becomes_replacement_characters(
    amigochat_server: ReferenceServer, api: Api
) -> None:
    amigochat_server.faults.push("invalid-utf8")
    text = await (await api.stream()).read()
    assert text == INVALID_UTF8.decode("utf-8", "replace") + REPLY
    assert "\ufffd" in text


@pytest.mark.parametrize("spec", ["crlf", "cr", "split-writes", "split-writes=7"])
async def test_framing_variants_give_the_same_stream(
    amigochat_server: ReferenceServer, api: Api, spec: str
) -> None:
    amigochat_server.faults.push(spec)
    stream = await api.stream()
    assert await stream.read() == REPLY
    assert len(stream.chunks) == EVENTS
    assert attempts(amigochat_server) == 1


@pytest.mark.parametrize(
    "content_type", ["text/plain", "text/html%3B charset=utf-8", "application/octet-stream"]
)
async def test_event_stream_under_another_content_type_is_parsed(
    amigochat_server: ReferenceServer, api: Api, content_type: str
) -> None:
    amigochat_server.faults.push(f"content-type={content_type}")
    assert await (await api.stream()).read() == REPLY
    assert attempts(amigochat_server) == 1


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
async def test_event_stream_labelled_json_is_parsed(
    amigochat_server: ReferenceServer, api: Api, stream: bool
) -> None:
    amigochat_server.faults.push("content-type=application/json", path="/chat/completions")
    if stream:
        assert await (await api.stream()).read() == REPLY
    else:
        amigochat_server.options = replace(amigochat_server.options, json_shape="sse")
        assert (await api.create()).choices[0].message.content == REPLY
    assert attempts(amigochat_server) == 1


async def test_json_labelled_event_stream_is_parsed(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    # The reader keeps a body that starts with `{` and shows no event; when it ends without
    # one, it is read as the JSON it is (`ChatReader._not_events`), however the reads split it.
    # With a second fault queued and a retry allowed, one attempt shows nothing was retried.
    api = make_api(timeout=2.0, max_retries=1)
    amigochat_server.faults.push("content-type=text/event-stream", times=2)
    completion = await api.create()
    assert completion.choices[0].message.content == REPLY
    assert attempts(amigochat_server) == 1


# ---------------------------------------------------------------- deadline


async def test_deadline_bounds_retries(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=2.0, max_retries=10, deadline=0.6)
    amigochat_server.faults.always("status=503;retry-after=0.2")
    started = time.monotonic()
    with pytest.raises(InternalServerError):
        await api.create()
    assert time.monotonic() - started < 0.6 + 0.25
    assert 2 <= attempts(amigochat_server) <= 3  # at 0, 0.2 and 0.4 s; 0.6 s is past it


async def test_deadline_bounds_a_stalled_stream(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=5.0, deadline=0.3)
    amigochat_server.faults.push("stall-after=2:3")
    started = time.monotonic()
    stream = await api.stream()
    with pytest.raises(StreamInterruptedError) as caught:
        await stream.read()
    assert time.monotonic() - started < 0.3 + 0.3
    assert caught.value.text == text_of_events(2)
    assert attempts(amigochat_server) == 1


async def test_deadline_bounds_slow_headers(
    amigochat_server: ReferenceServer, make_api: MakeApi
) -> None:
    api = make_api(timeout=5.0, deadline=0.3, max_retries=5)
    amigochat_server.faults.always("slow-first-byte=3")
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        await api.create()
    assert time.monotonic() - started < 0.3 + 0.3
