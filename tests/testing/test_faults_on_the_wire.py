"""
Each fault does what it says on a real socket, as a raw httpx client (no SDK) sees it.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import anyio
import httpx
import pytest

from amigochat_sdk.testing import (
    QUOTA_MESSAGE,
    UPSTREAM_MESSAGE,
    ConnectionDroppedError,
    ReferenceServer,
    create_app,
)
from amigochat_sdk.testing._wire import INVALID_UTF8
from amigochat_sdk.types import (
    ChatCompletionChunk,
    DetailErrorBody,
    NestErrorBody,
    OpenAIErrorBody,
    SimpleErrorBody,
    StreamErrorEvent,
)
from tests.testing.helpers import chat, data_events, dechunk, post_bytes, raw_exchange, split_events

REPLY = 'You said: "Hello there". This conversation has 1 message(s).'
CHUNKS = 2 + -(-len(REPLY) // 4)  # role chunk, content by 4 characters, finish chunk


def stream(
    http: httpx.Client,
    spec: str,
    body: dict[str, Any] | None = None,
    path: str = "/chat/completions",
    method: str = "POST",
) -> tuple[httpx.Response, list[tuple[float, bytes]], Exception | None]:
    """
    POST with a fault; return the response, every read with its arrival time, and the error.
    """
    reads: list[tuple[float, bytes]] = []
    body = chat(stream=True) if body is None else body
    headers = {"x-amigochat-fault": spec, "content-type": "application/json"}
    content = json.dumps(body).encode() if method == "POST" else None
    with http.stream(method, path, content=content, headers=headers) as response:
        try:
            for piece in response.iter_raw():
                reads.append((time.monotonic(), piece))
        except httpx.RemoteProtocolError as exc:
            return response, reads, exc
    return response, reads, None


def joined(reads: list[tuple[float, bytes]]) -> bytes:
    return b"".join(piece for _, piece in reads)


def test_no_fault_stream_is_complete(http: httpx.Client) -> None:
    _, reads, error = stream(http, "")
    data = data_events(joined(reads))
    assert error is None and len(data) == CHUNKS + 1 and data[-1] == b"[DONE]"


@pytest.mark.parametrize("k", [0, 1, 5])
def test_close_after_k_events(http: httpx.Client, k: int) -> None:
    response, reads, error = stream(http, f"close-after={k}")
    assert response.status_code == 201
    assert isinstance(error, httpx.RemoteProtocolError)
    events, pending = split_events(joined(reads))
    assert len(events) == k and pending == b""
    for event in events:
        ChatCompletionChunk.model_validate_json(event["data"])


def test_close_after_k_bytes_of_json(http: httpx.Client) -> None:
    response, reads, error = stream(http, "close-after=10", chat())
    assert isinstance(error, httpx.RemoteProtocolError)
    assert int(response.headers["content-length"]) > 10 and len(joined(reads)) == 10


def test_close_before_headers_gives_no_response(
    amigochat_server: ReferenceServer, http: httpx.Client
) -> None:
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        http.post(
            "/chat/completions", json=chat(), headers={"x-amigochat-fault": "close-before-headers"}
        )
    request = post_bytes(
        "/v1/chat/completions",
        json.dumps(chat()).encode(),
        {"x-amigochat-fault": "close-before-headers"},
    )
    assert raw_exchange(amigochat_server.origin, request) == b""
    assert http.post("/chat/completions", json=chat()).status_code == 201  # the server lives on


def test_eof_after_k_events_ends_cleanly(http: httpx.Client) -> None:
    _, reads, error = stream(http, "eof-after=3")
    events, pending = split_events(joined(reads))
    assert error is None and pending == b""
    assert len(events) == 3 and b"[DONE]" not in joined(reads)


def test_eof_after_k_bytes_of_json(http: httpx.Client) -> None:
    response = http.post(
        "/chat/completions", json=chat(), headers={"x-amigochat-fault": "eof-after=12"}
    )
    assert response.headers["content-length"] == "12" and len(response.content) == 12
    with pytest.raises(ValueError):
        response.json()


def test_error_event_after_k(http: httpx.Client) -> None:
    _, reads, error = stream(http, "error-event-after=2")
    events, _ = split_events(joined(reads))
    assert error is None and len(events) == 3
    assert events[2]["event"] == b"error"
    problem = StreamErrorEvent.model_validate_json(events[2]["data"])
    assert not isinstance(problem.error, str) and problem.error.message == UPSTREAM_MESSAGE
    assert b"[DONE]" not in joined(reads)
    _, reads, _ = stream(http, "error-event-after=0;message=boom")
    assert json.loads(split_events(joined(reads))[0][0]["data"])["error"]["message"] == "boom"


def test_malformed_after_k(http: httpx.Client) -> None:
    _, reads, _ = stream(http, "malformed-after=1")
    data = data_events(joined(reads))
    assert data[1] == b"{not json" and data[-1] == b"[DONE]" and len(data) == CHUNKS + 2
    ChatCompletionChunk.model_validate_json(data[2])


def test_stall_after_k_events(http: httpx.Client) -> None:
    _, reads, _ = stream(http, "stall-after=2:0.3")
    received, stalled_at = b"", None
    for index, (_, piece) in enumerate(reads):
        received += piece
        if stalled_at is None and received.count(b"\n\n") >= 2:
            stalled_at = index
    assert stalled_at is not None and received.count(b"\n\n") == CHUNKS + 1
    assert reads[stalled_at][1].endswith(b"\n\n")
    gap = reads[stalled_at + 1][0] - reads[stalled_at][0]
    assert 0.28 <= gap < 1.5


def test_slow_first_byte(http: httpx.Client) -> None:
    started = time.monotonic()
    response = http.post(
        "/chat/completions", json=chat(), headers={"x-amigochat-fault": "slow-first-byte=0.3"}
    )
    assert response.status_code == 201 and 0.29 <= time.monotonic() - started < 1.5


def test_huge_event(http: httpx.Client) -> None:
    _, reads, _ = stream(http, "huge-event=200000")
    data = data_events(joined(reads))
    assert len(data) == CHUNKS + 2
    huge = ChatCompletionChunk.model_validate_json(data[1])
    assert huge.choices[0].delta.content == "x" * 200000
    assert huge.id == ChatCompletionChunk.model_validate_json(data[0]).id


def test_invalid_utf8(http: httpx.Client) -> None:
    _, reads, _ = stream(http, "invalid-utf8")
    raw = joined(reads)
    assert INVALID_UTF8 in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert data_events(raw)[-1] == b"[DONE]"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("content-type=text/plain", "text/plain"),
        ("content-type=text/html%3B charset=utf-8", "text/html; charset=utf-8"),
    ],
)
def test_wrong_content_type(http: httpx.Client, spec: str, expected: str) -> None:
    response, reads, _ = stream(http, spec)
    assert response.headers["content-type"] == expected
    assert data_events(joined(reads))[-1] == b"[DONE]"


@pytest.mark.parametrize(("spec", "ending"), [("crlf", b"\r\n"), ("cr", b"\r")])
def test_line_endings(http: httpx.Client, spec: str, ending: bytes) -> None:
    _, reads, _ = stream(http, spec)
    raw = joined(reads)
    assert raw.count(ending + ending) == CHUNKS + 1
    if ending == b"\r":
        assert b"\n" not in raw
    else:
        assert raw.count(b"\n") == raw.count(b"\r\n") == raw.count(b"\r")
    assert len(data_events(raw)) == CHUNKS + 1


@pytest.mark.parametrize("size", [1, 5])
def test_split_writes(amigochat_server: ReferenceServer, size: int) -> None:
    headers = {"x-amigochat-fault": f"split-writes={size}", "x-amigochat-chunk-size": "1000"}
    request = post_bytes("/v1/chat/completions", json.dumps(chat(stream=True)).encode(), headers)
    received = raw_exchange(amigochat_server.origin, request)
    head, _, payload = received.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    sizes, body, finished = dechunk(payload)
    assert finished and max(sizes) == size and len(sizes) >= len(body) // size
    assert data_events(body)[-1] == b"[DONE]"


@pytest.mark.parametrize(
    ("body", "content_type", "schema"),
    [
        ("json", "application/json; charset=utf-8", NestErrorBody),
        ("openai", "application/json; charset=utf-8", OpenAIErrorBody),
        ("simple", "application/json; charset=utf-8", SimpleErrorBody),
        ("detail", "application/json; charset=utf-8", DetailErrorBody),
        ("html", "text/html", None),
        ("text", "text/plain; charset=utf-8", None),
        ("empty", None, None),
    ],
)
def test_error_bodies(http: httpx.Client, body: str, content_type: str | None, schema: Any) -> None:
    response = http.post(
        "/chat/completions", json=chat(), headers={"x-amigochat-fault": f"status=503;body={body}"}
    )
    assert response.status_code == 503
    assert response.headers.get("content-type") == content_type
    if schema is not None:
        schema.model_validate_json(response.content)
    if body == "empty":
        assert response.content == b""
    if body == "html":
        assert b"503 Service Unavailable" in response.content


def test_retry_after_headers(http: httpx.Client) -> None:
    spec = "status=429;retry-after=2;retry-after-ms=1500;should-retry=false;header=x-extra:1"
    response = http.post("/chat/completions", json=chat(), headers={"x-amigochat-fault": spec})
    assert response.status_code == 429
    assert response.headers.get_list("retry-after") == ["2"]
    assert response.headers["retry-after-ms"] == "1500"
    assert response.headers["x-should-retry"] == "false"
    assert response.headers["x-extra"] == "1"
    dated = http.post(
        "/chat/completions",
        json=chat(),
        headers={"x-amigochat-fault": "status=503;retry-after-date=5"},
    )
    when = email.utils.parsedate_to_datetime(dated.headers["retry-after"]).timestamp()
    assert dated.headers["retry-after"].endswith(" GMT")
    assert abs(when - (time.time() + 5)) <= 1.5


def test_cloudflare_block_page(http: httpx.Client) -> None:
    response = http.post(
        "/chat/completions", json=chat(), headers={"x-amigochat-fault": "cloudflare"}
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["server"] == "cloudflare" and response.headers["cf-ray"]
    for text in (
        "Attention Required! | Cloudflare",
        "Sorry, you have been blocked",
        "Cloudflare Ray ID",
    ):
        assert text in response.text


def test_quota(http: httpx.Client) -> None:
    response = http.post("/chat/completions", json=chat(), headers={"x-amigochat-fault": "quota"})
    assert response.status_code == 400
    assert NestErrorBody.model_validate_json(response.content).message == QUOTA_MESSAGE
    limited = http.post(
        "/images/generations",
        json={"prompt": "x"},
        headers={"x-amigochat-fault": "quota;status=429;body=openai"},
    )
    assert limited.status_code == 429 and limited.json()["error"]["message"] == QUOTA_MESSAGE


def test_success_status_fault(http: httpx.Client) -> None:
    response, reads, _ = stream(http, "status=200")
    assert response.status_code == 200 and data_events(joined(reads))[-1] == b"[DONE]"


def test_bad_fault_header(http: httpx.Client) -> None:
    response = http.post("/chat/completions", json=chat(), headers={"x-amigochat-fault": "explode"})
    assert response.status_code == 400
    assert "x-amigochat-fault" in NestErrorBody.model_validate_json(response.content).message[0]


def test_queued_faults(amigochat_server: ReferenceServer, http: httpx.Client) -> None:
    amigochat_server.faults.push("status=503", times=2, path="/chat/completions")
    amigochat_server.faults.push("close-before-headers", path="/v1/images/generations")
    header = {"x-amigochat-fault": "status=418"}
    assert http.post("/chat/completions", json=chat(), headers=header).status_code == 418
    assert [http.post("/chat/completions", json=chat()).status_code for _ in range(3)] == [
        503,
        503,
        201,
    ]
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/images/generations", json={"prompt": "x"})
    assert http.post("/images/generations", json={"prompt": "x"}).status_code == 201
    assert len(amigochat_server.requests) == 6


def test_faults_reach_image_files(http: httpx.Client) -> None:
    url = http.post("/images/generations", json={"prompt": "x"}).json()["data"][0]["url"]
    _, reads, error = stream(http, "close-after=20", path=url, method="GET")
    assert isinstance(error, httpx.RemoteProtocolError) and len(joined(reads)) == 20


def test_drop_outside_the_reference_server_raises() -> None:
    app = create_app()

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test/v1") as client:
            ok = await client.post("/chat/completions", json=chat())
            assert ok.status_code == 201
            with pytest.raises(ConnectionDroppedError):
                await client.post(
                    "/chat/completions",
                    json=chat(),
                    headers={"x-amigochat-fault": "close-before-headers"},
                )

    anyio.run(main)
