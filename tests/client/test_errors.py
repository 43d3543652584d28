"""
Error statuses and retries as a user of either client sees them.
"""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from amigochat_sdk import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CloudflareBlockedError,
    ConflictError,
    InternalServerError,
    NotAcceptableError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    UnprocessableEntityError,
)
from tests.client.helpers import (
    DONE,
    Api,
    chunk_event,
    completion_data,
    json_response,
    response,
    sse_response,
)

pytestmark = pytest.mark.anyio

QUOTA = (
    "Amigo, your balance is not enough to make the request, wait until 12 UTC or upgrade your plan"
)
CLOUDFLARE_PAGE = b"""<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<html class="no-js" lang="en-US">
<head>
<title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" />
<script>if (!navigator.cookieEnabled) { window.addEventListener('DOMContentLoaded', f); }</script>
</head>
<body>
<div id="cf-wrapper">
  <h1 data-translate="block_headline">Sorry, you have been blocked</h1>
  <h2 class="cf-subheadline">You are unable to access amigochat.io</h2>
  <p>This website is using a security service to protect itself from online attacks.</p>
  <span class="cf-footer-item">Cloudflare Ray ID: <strong>8d2b5c4a1f2e3d4c</strong></span>
</div>
</body>
</html>
"""
NGINX_PAGE = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center>"
NGINX_PAGE += (
    b"<h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>"
)


def body(data: object) -> bytes:
    return json.dumps(data).encode()


ERROR_CASES = [
    pytest.param(
        400,
        body(
            {
                "message": ["model must be a string", "messages should not be empty"],
                "error": "Bad Request",
                "statusCode": 400,
            }
        ),
        "application/json",
        {},
        BadRequestError,
        "model must be a string; messages should not be empty",
        id="400-nestjs-list",
    ),
    pytest.param(
        401,
        body(
            {
                "error": {
                    "message": "Invalid token",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "invalid_api_key",
                }
            }
        ),
        "application/json",
        {},
        AuthenticationError,
        "Invalid token",
        id="401-openai-nested",
    ),
    pytest.param(
        403,
        b'{"message":"Forbidden","statusCode":403}',
        "application/json; charset=utf-8",
        {},
        PermissionDeniedError,
        "Forbidden",
        id="403-nestjs",
    ),
    pytest.param(
        403,
        CLOUDFLARE_PAGE,
        "text/html; charset=UTF-8",
        {"cf-ray": "8d2b5c4a1f2e3d4c-FRA", "server": "cloudflare"},
        CloudflareBlockedError,
        "Blocked by Cloudflare bot protection (Ray ID 8d2b5c4a1f2e3d4c)",
        id="403-cloudflare-html",
    ),
    pytest.param(
        404,
        b'{"detail": "Not Found"}',
        "application/json",
        {},
        NotFoundError,
        "Not Found",
        id="404-detail",
    ),
    pytest.param(
        406,
        b'{"message":"not implemented","error":"Not Acceptable","statusCode":406}',
        "application/json",
        {},
        NotAcceptableError,
        "not implemented",
        id="406-nestjs",
    ),
    pytest.param(
        409,
        b'{"error": "conflict"}',
        "application/json",
        {},
        ConflictError,
        "conflict",
        id="409-error-text",
    ),
    pytest.param(
        422,
        body({"detail": [{"loc": ["body", "model"], "msg": "field required", "type": "missing"}]}),
        "application/json",
        {},
        UnprocessableEntityError,
        "body.model: field required",
        id="422-detail-list",
    ),
    pytest.param(
        429,
        body({"error": {"message": "Rate limit reached", "type": "requests"}}),
        "application/json",
        {},
        RateLimitError,
        "Rate limit reached",
        id="429-openai",
    ),
    pytest.param(
        501,
        b'{"error":"An error occurred while processing the completion"}',
        "application/json",
        {},
        InternalServerError,
        "An error occurred while processing the completion",
        id="501-error-text",
    ),
    pytest.param(
        502,
        NGINX_PAGE,
        "text/html",
        {},
        InternalServerError,
        "502 Bad Gateway",
        id="502-html",
    ),
    pytest.param(
        500,
        b"",
        None,
        {},
        InternalServerError,
        "Internal Server Error (empty body)",
        id="500-empty",
    ),
    pytest.param(
        418,
        b"I'm a teapot",
        "text/plain",
        {},
        APIStatusError,
        "I'm a teapot",
        id="418-text",
    ),
]


@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize(
    ("status", "content", "content_type", "headers", "error_class", "message"), ERROR_CASES
)
async def test_error_status_maps_to_class_and_one_line_message(
    flavor: str,
    streamed: bool,
    status: int,
    content: bytes,
    content_type: str | None,
    headers: dict[str, str],
    error_class: type[APIStatusError],
    message: str,
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # Split the body too: an error body is read whole whatever its reads.
        pieces = [content[i : i + 7] for i in range(0, len(content), 7)]
        return response(status, pieces, content_type=content_type, headers=headers)

    api = Api(flavor, handler, max_retries=0)
    with pytest.raises(APIStatusError) as info:
        if streamed:
            await api.stream()
        else:
            await api.create()
    error = info.value
    assert type(error) is error_class
    assert str(error) == f"Error code: {status} - {message}"
    assert error.message == str(error)
    assert "\n" not in str(error)
    assert error.status_code == status
    assert error.response is api.responses[0]
    assert error.request is api.requests[0]
    if content_type and "json" in content_type:
        assert error.body == json.loads(content)
    assert len(api.requests) == 1


async def test_cloudflare_block_page_gives_its_ray_id(flavor: str) -> None:
    api = Api(
        flavor,
        lambda request: response(403, [CLOUDFLARE_PAGE], content_type="text/html"),
        max_retries=0,
    )
    with pytest.raises(CloudflareBlockedError) as info:
        await api.create()
    assert info.value.ray_id == "8d2b5c4a1f2e3d4c"
    assert isinstance(info.value, PermissionDeniedError)


@pytest.mark.parametrize("status", [400, 429, 500])
async def test_quota_message_is_quota_exceeded_with_resets_at_and_no_retry(
    flavor: str, status: int, sleeps: list[float]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        data = {"message": QUOTA, "statusCode": status}
        return json_response(status, data, headers={"date": "Tue, 18 Aug 2026 09:30:00 GMT"})

    api = Api(flavor, handler)  # default max_retries=2: still a single attempt
    with pytest.raises(QuotaExceededError) as info:
        await api.create()
    assert isinstance(info.value, RateLimitError)
    assert info.value.resets_at.isoformat() == "2026-08-18T12:00:00+00:00"
    assert QUOTA in str(info.value)
    assert "2026-08-18 12:00" in str(info.value)
    assert len(api.requests) == 1
    assert sleeps == []


async def test_2xx_carrying_an_error_body_is_an_error(flavor: str) -> None:
    api = Api(
        flavor,
        lambda request: json_response(201, {"error": "Error handling AIML chat completion stream"}),
    )
    with pytest.raises(APIStatusError) as info:
        await api.create()
    assert "Error handling AIML chat completion stream" in str(info.value)


# --- retries ------------------------------------------------------------------------------------


async def test_503_then_201_is_retried_once(flavor: str, sleeps: list[float]) -> None:
    statuses = iter([503, 201])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(statuses)
        if status == 503:
            return json_response(503, {"error": {"message": "overloaded"}})
        return json_response(201, completion_data("Finally"))

    api = Api(flavor, handler, device_uuid="first-device")
    completion = await api.create()
    assert completion.choices[0].message.content == "Finally"
    assert len(api.requests) == 2
    assert len(sleeps) == 1
    assert 0.375 <= sleeps[0] <= 0.5  # 0.5 s less up to 25% jitter
    first, second = (request.headers["x-device-uuid"] for request in api.requests)
    assert first == "first-device"
    assert uuid.UUID(second).version == 4
    assert api.requests[0].content == api.requests[1].content
    assert api.responses[0].is_closed


async def test_stream_request_is_retried_before_the_first_event(
    flavor: str, sleeps: list[float]
) -> None:
    replies = iter(
        [
            json_response(502, {"error": "bad gateway"}),
            sse_response(chunk_event("Hi", role="assistant", finish="stop"), DONE),
        ]
    )
    api = Api(flavor, lambda request: next(replies))
    stream = await api.stream()
    assert await stream.text() == ["Hi"]
    assert len(api.requests) == 2
    assert len(sleeps) == 1


async def test_stream_dropped_before_the_first_event_is_retried(
    flavor: str, sleeps: list[float]
) -> None:
    attempts: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            drop = httpx.RemoteProtocolError("peer closed connection", request=request)
            return sse_response(b'data: {"id": "chatcmpl-1", "cho', error=drop)
        return sse_response(chunk_event("Hello", role="assistant", finish="stop"), DONE)

    api = Api(flavor, handler)
    assert await (await api.stream()).text() == ["Hello"]
    assert len(api.requests) == 2
    assert api.responses[0].is_closed


async def test_429_retry_after_is_slept_on(flavor: str, sleeps: list[float]) -> None:
    replies = iter(
        [
            json_response(429, {"error": {"message": "slow down"}}, headers={"retry-after": "2"}),
            json_response(201, completion_data()),
        ]
    )
    api = Api(flavor, lambda request: next(replies))
    await api.create()
    assert sleeps == [2.0]


async def test_retry_after_too_long_raises_at_once(flavor: str, sleeps: list[float]) -> None:
    api = Api(
        flavor,
        lambda request: json_response(
            429, {"error": {"message": "slow down"}}, headers={"retry-after": "120"}
        ),
    )
    with pytest.raises(RateLimitError) as info:
        await api.create()
    assert info.value.retry_after == 120.0
    assert sleeps == []
    assert len(api.requests) == 1


async def test_retries_exhausted_on_5xx(flavor: str, sleeps: list[float]) -> None:
    api = Api(flavor, lambda request: json_response(503, {"error": {"message": "overloaded"}}))
    with pytest.raises(InternalServerError) as info:
        await api.create()
    assert str(info.value) == "Error code: 503 - overloaded"
    assert len(api.requests) == 3
    assert len(sleeps) == 2
    assert all(response.is_closed for response in api.responses)


@pytest.mark.parametrize(
    ("exception", "error_class"),
    [
        (httpx.ConnectError("connection refused"), APIConnectionError),
        (httpx.ConnectTimeout("timed out"), APITimeoutError),
        (httpx.ReadTimeout("timed out"), APITimeoutError),
    ],
)
async def test_transport_errors_are_retried_then_mapped(
    flavor: str,
    sleeps: list[float],
    exception: httpx.TransportError,
    error_class: type[APIConnectionError],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exception

    api = Api(flavor, handler, max_retries=1)
    with pytest.raises(APIConnectionError) as info:
        await api.create()
    assert type(info.value) is error_class
    assert info.value.__cause__ is exception
    assert "http://test/v1/chat/completions" in str(info.value)
    assert len(api.requests) == 2
    assert len(sleeps) == 1


async def test_connect_error_twice_then_success(flavor: str, sleeps: list[float]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if len(api.requests) < 3:
            raise httpx.ConnectError("connection refused")
        return json_response(201, completion_data("Third time lucky"))

    api = Api(flavor, handler)
    completion = await api.create()
    assert completion.choices[0].message.content == "Third time lucky"
    assert len(sleeps) == 2
    assert len({request.headers["x-device-uuid"] for request in api.requests}) == 3


async def test_a_stream_false_answer_read_as_events_that_drops_is_retried(flavor: str) -> None:
    dropped = httpx.ReadError("connection reset")
    replies = iter(
        [
            sse_response(chunk_event("Hel"), error=dropped),
            sse_response(chunk_event("Hel"), chunk_event("lo", finish="stop"), DONE),
        ]
    )
    api = Api(flavor, lambda request: next(replies))
    completion = await api.create()
    assert completion.choices[0].message.content == "Hello"
    assert len(api.requests) == 2  # nothing had reached the user: retried, not raised


async def test_a_stream_false_answer_that_keeps_dropping_is_a_connection_error(
    flavor: str,
) -> None:
    api = Api(
        flavor,
        lambda request: sse_response(chunk_event("Hel"), error=httpx.ReadError("reset")),
        max_retries=1,
    )
    with pytest.raises(APIConnectionError, match="reset"):
        await api.create()
    assert len(api.requests) == 2
