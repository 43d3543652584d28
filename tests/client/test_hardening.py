"""
Inputs refused before sending, bodies no parser survives, block pages at any status, and the
key kept to the API's own origin: as a user of either client sees them.
"""

from __future__ import annotations

import gc
import math
import pickle

import httpx
import pytest

import amigochat_sdk._messages as messages_module
from amigochat_sdk import (
    AmigoChatError,
    APIDecodeError,
    APIStreamError,
    AsyncClient,
    BadRequestError,
    Client,
    CloudflareBlockedError,
    InvalidInputError,
    StreamDecodeError,
    StreamServerError,
)
from amigochat_sdk.types import Image
from tests.client.helpers import Api, chunk_event, json_response, response, sse_response
from tests.client.test_errors import CLOUDFLARE_PAGE

pytestmark = pytest.mark.anyio

KEY = "amigo-key-0123456789"
DEEP = b"[" * 100_000 + b"]" * 100_000


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"nothing may be sent: {request.method} {request.url}")


# --- inputs refused before anything is sent ---------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["sk-abc\n", "sk-abc\r\nx-evil: 1", "sk-\u00e9t\u00e9", "sk-abc ", "sk-a\x00b"],
)
def test_an_api_key_that_cannot_be_sent_is_refused_without_showing_it(bad: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        Client(api_key=bad)
    assert isinstance(info.value, ValueError)
    assert bad.strip() not in str(info.value)
    assert bad.strip() not in repr(info.value)
    assert str(info.value).startswith("The API key ")
    assert info.value.__cause__ is None and info.value.__context__ is None


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"default_headers": {"x-team": "blue\nx-evil: 1"}}, "'x-team'"),
        ({"default_headers": {"bad header": "v"}}, "header name"),
        ({"device_version": "1.0\r\n"}, "'x-device-version'"),
        ({"device_uuid": "not\nuuid"}, "'x-device-uuid'"),
    ],
)
def test_client_headers_that_cannot_be_sent_are_refused(
    options: dict[str, object], named: str
) -> None:
    with pytest.raises(InvalidInputError, match="header") as info:
        AsyncClient(**options)  # type: ignore[arg-type]
    assert named in str(info.value)
    assert "evil" not in str(info.value) and "\n" not in str(info.value)


async def test_extra_headers_that_cannot_be_sent_are_refused_before_sending(flavor: str) -> None:
    api = Api(flavor, never, api_key=KEY)
    with pytest.raises(InvalidInputError) as info:
        await api.create(extra_headers={"x-trace": "abc\r\nauthorization: Bearer stolen"})
    assert str(info.value) == (
        "The value of the header 'x-trace' in extra_headers holds a line break "
        "(CR or LF; a key read from a file keeps its newline)"
    )
    with pytest.raises(InvalidInputError, match="'x-note' in extra_headers holds a character"):
        await api.generate(extra_headers={"x-note": "caf\u00e9"})
    assert api.requests == []


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
async def test_extra_body_with_nan_or_infinity_is_refused_before_sending(
    flavor: str, value: float
) -> None:
    api = Api(flavor, never)
    with pytest.raises(InvalidInputError, match="extra_body holds NaN or Infinity"):
        await api.create(extra_body={"temperature_schedule": [0.5, value]})
    with pytest.raises(InvalidInputError, match="extra_body holds NaN or Infinity"):
        await api.generate(extra_body={"seed": value})
    assert api.requests == []


# --- bodies no parser survives ----------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json", None])
async def test_deeply_nested_json_is_a_decode_error_everywhere(
    flavor: str, content_type: str | None
) -> None:
    api = Api(flavor, lambda _: response(201, [DEEP], content_type=content_type))
    with pytest.raises(APIDecodeError, match="not valid JSON"):
        await api.create()
    with pytest.raises(APIDecodeError, match="not valid JSON"):
        await api.generate()


async def test_deeply_nested_json_in_an_error_body_keeps_the_status(flavor: str) -> None:
    api = Api(flavor, lambda _: response(400, [DEEP]), max_retries=0)
    with pytest.raises(BadRequestError) as info:
        await api.create()
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        (b"event: error\ndata: " + DEEP + b"\n\n", StreamServerError),
        (b"data: " + DEEP + b"\n\n", StreamDecodeError),
    ],
)
async def test_deeply_nested_json_inside_a_stream_is_a_stream_error(
    flavor: str, tail: bytes, expected: type[APIStreamError]
) -> None:
    api = Api(flavor, lambda _: sse_response(chunk_event("Hi"), tail))
    stream = await api.stream()
    with pytest.raises(expected) as info:
        await stream.all()
    assert info.value.text == "Hi"


async def test_an_image_with_neither_url_nor_b64_json_is_an_sdk_error(flavor: str) -> None:
    api = Api(flavor, never)
    with pytest.raises(InvalidInputError, match="neither a url nor b64_json"):
        await api.fetch(Image())


# --- Cloudflare block pages, whatever the status -----------------------------------------------


@pytest.mark.parametrize("content_type", ["text/html", "application/json", None])
async def test_a_block_page_with_200_is_cloudflare_blocked(
    flavor: str, content_type: str | None
) -> None:
    api = Api(flavor, lambda _: response(200, [CLOUDFLARE_PAGE], content_type=content_type))
    for call in (api.create, api.generate, api.chunks):
        with pytest.raises(CloudflareBlockedError) as info:
            await call()
        assert info.value.ray_id == "8d2b5c4a1f2e3d4c"
        assert info.value.status_code == 200


async def test_a_block_page_served_as_an_image_is_cloudflare_blocked(flavor: str) -> None:
    api = Api(flavor, lambda _: response(200, [CLOUDFLARE_PAGE], content_type="text/html"))
    with pytest.raises(CloudflareBlockedError):
        await api.fetch(Image(url="https://cdn.example.net/1.png"))


# --- the key goes to the API's own origin only -------------------------------------------------


@pytest.mark.parametrize(
    ("url", "authorised"),
    [
        ("https://test/files/1.png", True),
        ("https://test:443/files/1.png", True),
        ("/files/1.png", True),
        ("http://test/files/1.png", False),  # same host, plain http
        ("https://test:8443/files/1.png", False),  # same host, another port
        ("https://test.evil.example/files/1.png", False),
    ],
)
async def test_the_key_goes_only_to_the_api_origin(flavor: str, url: str, authorised: bool) -> None:
    api = Api(
        flavor,
        lambda _: response(200, [b"\x89PNG"], content_type="image/png"),
        api_key=KEY,
        base_url="https://test/v1",
    )
    assert await api.fetch(Image(url=url)) == b"\x89PNG"
    headers = api.recorder.request.headers
    assert ("authorization" in headers) is authorised
    assert (KEY in str(headers.raw)) is authorised


# --- redaction that does not grow with the clients made ----------------------------------------


def test_redaction_holds_only_the_keys_of_live_clients() -> None:
    http = httpx.Client(transport=httpx.MockTransport(never))
    gc.collect()
    before = len(messages_module._KNOWN_SECRETS)
    kept = Client(api_key="tenant-key-kept-000", http_client=http)
    for tenant in range(20_000):
        Client(api_key=f"tenant-key-{tenant:05d}", http_client=http)
    gc.collect()
    assert len(messages_module._KNOWN_SECRETS) == before + 1
    assert messages_module.redact("echo tenant-key-kept-000") == "echo [REDACTED]"
    assert messages_module.redact("echo tenant-key-00042") == "echo tenant-key-00042"
    # The same key shares one entry, which lives as long as any client holding it.
    twin = Client(api_key="tenant-key-kept-000", http_client=http)
    assert len(messages_module._KNOWN_SECRETS) == before + 1
    del kept
    gc.collect()
    assert messages_module.redact("echo tenant-key-kept-000") == "echo [REDACTED]"
    del twin
    gc.collect()
    assert len(messages_module._KNOWN_SECRETS) == before
    http.close()


async def test_a_stream_keeps_its_key_redacted_after_its_client_is_gone(flavor: str) -> None:
    echo = f"your key {KEY} is not allowed".encode()
    body = b'event: error\ndata: {"error": {"message": "' + echo + b'"}}\n\n'
    api = Api(flavor, lambda _: sse_response(chunk_event("Hi"), body), api_key=KEY)
    stream = await api.stream()
    del api
    gc.collect()
    with pytest.raises(StreamServerError) as info:
        await stream.all()
    assert KEY not in str(info.value)
    assert KEY.encode() not in pickle.dumps(info.value)


async def test_everything_raised_here_is_an_sdk_error(flavor: str) -> None:
    # The inputs above, through one client: the class users catch.
    api = Api(flavor, lambda _: json_response(201, {}))
    for bad in ({"extra_headers": {"x": "\n"}}, {"extra_body": {"x": math.nan}}):
        with pytest.raises(AmigoChatError):
            await api.create(**bad)
