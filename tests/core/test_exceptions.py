"""
Tests for the error tree and the one error mapping, on real `httpx.Response` objects.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import httpx
import pytest
from hypothesis import given, strategies as st

import amigochat_sdk._exceptions as exceptions_module
from amigochat_sdk._exceptions import (
    STATUS_ERRORS,
    AmigoChatError,
    APIConnectionError,
    APIDecodeError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CloudflareBlockedError,
    InternalServerError,
    NotAcceptableError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    StreamDecodeError,
    StreamInterruptedError,
    StreamServerError,
    UnprocessableEntityError,
    make_status_error,
    status_error_class,
)
from amigochat_sdk._messages import (
    error_from_event,
    extract_message,
    is_quota_message,
    next_quota_reset,
    redact,
)

URL = "https://api.amigochat.io/v1/chat/completions"
UTC = dt.timezone.utc
QUOTA = (
    "Amigo, your balance is not enough to make the request, wait until 12 UTC or upgrade your plan"
)
RAY = "8d2b5c4a1f2e3d4c"
# Trimmed from a real Cloudflare block page; the padding stands in for its kilobytes of CSS.
CLOUDFLARE_PAGE = f"""<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<head>
<title>Attention Required! | Cloudflare</title>
<meta charset="UTF-8" />
<style>{"body {{ margin: 0 }} " * 300}</style>
<script>if (!navigator.cookieEnabled) {{ window.addEventListener('DOMContentLoaded', f); }}</script>
</head>
<body>
  <div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper">
    <h1 data-translate="block_headline">Sorry, you have been blocked</h1>
    <h2 class="cf-subheadline">You are unable to access amigochat.io</h2>
    <span class="cf-footer-item">Cloudflare Ray ID: <strong class="font-semibold">{RAY}</strong>
    </span>
  </div></div>
</body>
</html>
"""


def response(
    status: int,
    content: bytes | str = b"",
    content_type: str | None = "application/json",
    **headers: str,
) -> httpx.Response:
    raw = content.encode() if isinstance(content, str) else content
    all_headers = {k.replace("_", "-"): v for k, v in headers.items()}
    if content_type:
        all_headers["content-type"] = content_type
    request = httpx.Request("POST", URL, headers={"authorization": "Bearer sk-live-secret-key"})
    return httpx.Response(status, headers=all_headers, content=raw, request=request)


def error_for(
    status: int,
    content: object = b"",
    content_type: str | None = "application/json",
    **headers: str,
) -> APIStatusError:
    raw = content if isinstance(content, (bytes, str)) else json.dumps(content)
    resp = response(status, raw, content_type, **headers)
    return make_status_error(resp, resp.content)


# --- the tree ---------------------------------------------------------------------------------


def defined_exceptions() -> dict[str, type[BaseException]]:
    return {
        name: obj
        for name, obj in vars(exceptions_module).items()
        if isinstance(obj, type)
        and issubclass(obj, BaseException)
        and obj.__module__ in (exceptions_module.__name__, "amigochat_sdk")
    }


def docstring_tree() -> list[tuple[str, str | None]]:
    """Return (class, parent) pairs read from the drawing in the module docstring."""
    doc = exceptions_module.__doc__ or ""
    drawing = doc.split("```")[1]
    pairs: list[tuple[str, str | None]] = []
    stack: list[str] = []
    for line in drawing.splitlines():
        found = re.match(r"^([\s│├└─]*)([A-Za-z]\w+)", line)
        if not found:
            continue
        depth = len(found.group(1)) // 4
        del stack[depth:]
        pairs.append((found.group(2), stack[-1] if stack else None))
        stack.append(found.group(2))
    return pairs


def test_the_docstring_tree_names_every_exception_class() -> None:
    drawn = [name for name, _ in docstring_tree()]
    assert len(drawn) == len(set(drawn))
    assert set(drawn) == set(defined_exceptions())


def test_the_docstring_tree_matches_the_real_bases() -> None:
    classes = defined_exceptions()
    for name, parent in docstring_tree():
        if parent is None:
            assert classes[name].__bases__ == (Exception,)
        else:
            assert classes[parent] in classes[name].__bases__, name
    assert StreamDecodeError.__bases__ == (APIStreamError, APIDecodeError)


def test_every_class_has_a_docstring_and_is_exported() -> None:
    for name, cls in defined_exceptions().items():
        assert cls.__doc__ and cls.__doc__.strip(), name
        assert name in exceptions_module.__all__
        assert issubclass(cls, AmigoChatError)
    public = {n for n in vars(exceptions_module) if not n.startswith("_")}
    assert set(exceptions_module.__all__) <= public


def test_every_mapped_status_has_its_own_class() -> None:
    assert sorted(STATUS_ERRORS) == [400, 401, 403, 404, 406, 409, 422, 429]
    assert len(set(STATUS_ERRORS.values())) == len(STATUS_ERRORS)
    for status, cls in STATUS_ERRORS.items():
        assert issubclass(cls, APIStatusError) and cls is not APIStatusError
        assert status_error_class(status) is cls
        assert type(error_for(status, {"message": "x"})) is cls


@pytest.mark.parametrize("status", [500, 501, 502, 503, 504, 520, 599])
def test_5xx_maps_to_internal_server_error(status: int) -> None:
    assert status_error_class(status) is InternalServerError
    assert type(error_for(status, {"message": "x"})) is InternalServerError


@pytest.mark.parametrize("status", [402, 405, 408, 410, 418, 451, 600, 302])
def test_other_statuses_map_to_the_base_class(status: int) -> None:
    assert type(error_for(status, {"message": "x"})) is APIStatusError


# --- body shapes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "cls", "message"),
    [
        (403, {"message": "Forbidden", "statusCode": 403}, PermissionDeniedError, "Forbidden"),
        (
            406,
            {"message": "not implemented", "error": "Not Acceptable", "statusCode": 406},
            NotAcceptableError,
            "not implemented",
        ),
        (
            501,
            {"error": "An error occurred while processing the completion"},
            InternalServerError,
            "An error occurred while processing the completion",
        ),
        (
            400,
            {
                "message": ["model must be a string", "messages should not be empty"],
                "error": "Bad Request",
                "statusCode": 400,
            },
            BadRequestError,
            "model must be a string; messages should not be empty",
        ),
        (
            404,
            {
                "error": {
                    "message": "The model `nope` does not exist.",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "model_not_found",
                }
            },
            NotFoundError,
            "The model `nope` does not exist.",
        ),
        (401, {"detail": "Not authenticated"}, AuthenticationError, "Not authenticated"),
        (
            422,
            {"detail": [{"loc": ["body", "model"], "msg": "field required", "type": "missing"}]},
            UnprocessableEntityError,
            "body.model: field required",
        ),
        (
            500,
            {"message": "Error handling AIML chat completion stream"},
            InternalServerError,
            "Error handling AIML chat completion stream",
        ),
        (
            400,
            {"error": {"type": "invalid_request_error"}},
            BadRequestError,
            "invalid_request_error",
        ),
        (400, {"foo": 1}, BadRequestError, '{"foo": 1}'),
        (400, {"message": 42, "statusCode": 400}, BadRequestError, "42"),
        (400, ["a", "b"], BadRequestError, "a; b"),
        (400, "a JSON string", BadRequestError, "a JSON string"),
    ],
)
def test_json_bodies(status: int, body: object, cls: type[APIStatusError], message: str) -> None:
    error = error_for(status, body)
    assert type(error) is cls
    assert error.message == f"Error code: {status} - {message}"
    assert str(error) == error.message
    assert error.body == body
    assert error.status_code == status


def test_openai_error_from_a_recorded_401() -> None:
    body = (
        '{\n    "error": {\n        "message": "Incorrect API key provided: '
        '\\u003cnot-a-r****key\\u003e.",\n        "type": "invalid_request_error",\n'
        '        "param": null,\n        "code": "invalid_api_key"\n    }\n}\n'
    )
    error = error_for(401, body, "application/json; charset=utf-8", x_request_id="55f4f12f")
    assert isinstance(error, AuthenticationError)
    assert error.message == "Error code: 401 - Incorrect API key provided: <not-a-r****key>."
    assert error.request_id == "55f4f12f"
    assert error.request is not None and error.request.url == URL
    assert error.retry_after is None


def test_request_id_falls_back_to_the_request_id_header() -> None:
    assert error_for(500, {"message": "x"}, request_id="abc").request_id == "abc"


def test_rate_limit_carries_retry_after() -> None:
    body = {"error": {"code": "RateLimitReached", "message": "Slow down."}}
    error = error_for(429, body, retry_after="7")
    assert isinstance(error, RateLimitError) and not isinstance(error, QuotaExceededError)
    assert error.retry_after == 7.0
    assert error_for(429, body, retry_after="1", retry_after_ms="0").retry_after == 0.0


def test_plain_text_body_is_one_truncated_line() -> None:
    error = error_for(502, "upstream connect error\nor disconnect/reset", "text/plain")
    assert error.message == "Error code: 502 - upstream connect error or disconnect/reset"
    long = error_for(500, "x" * 10_000, "text/plain")
    assert len(long.message) <= len("Error code: 500 - ") + 500
    assert long.body == "x" * 10_000


def test_malformed_json_is_read_as_text() -> None:
    error = error_for(500, '{"message": "cut off', "application/json")
    assert error.message == 'Error code: 500 - {"message": "cut off'
    assert error.body == '{"message": "cut off'


def test_empty_body() -> None:
    assert extract_message(b"", None) == ("", None)
    assert extract_message(b"  \r\n", "application/json") == ("", None)
    error = error_for(502, b"", None)
    assert type(error) is InternalServerError
    assert error.message == "Error code: 502 - Bad Gateway (empty body)"
    assert error.body is None
    assert error_for(599, b"", None).message == "Error code: 599 - empty body"


def test_invalid_utf8_is_replaced() -> None:
    message, body = extract_message(b'{"message": "caf\xe9 \xff"}', "application/json")
    assert message == "caf\ufffd \ufffd"
    assert body == {"message": "caf\ufffd \ufffd"}
    message, _ = extract_message(b"\xff\xfe oops \xc3", "text/plain")
    assert message == "\ufffd\ufffd oops \ufffd"


def test_a_utf8_bom_is_ignored() -> None:
    assert extract_message(b'\xef\xbb\xbf{"error": "x"}', None) == ("x", {"error": "x"})


# --- HTML -------------------------------------------------------------------------------------


def test_cloudflare_block_page() -> None:
    error = error_for(403, CLOUDFLARE_PAGE, "text/html; charset=UTF-8")
    assert isinstance(error, CloudflareBlockedError)
    assert isinstance(error, PermissionDeniedError)
    assert error.message == f"Error code: 403 - Blocked by Cloudflare bot protection (Ray ID {RAY})"
    assert "<" not in error.message and "\n" not in error.message
    assert error.ray_id == RAY
    assert error.body == CLOUDFLARE_PAGE.strip()


def test_cloudflare_ray_header_wins_and_any_status_counts() -> None:
    error = error_for(503, CLOUDFLARE_PAGE, "text/html", cf_ray="8e1225a16c283d93-SIN")
    assert isinstance(error, CloudflareBlockedError)
    assert error.status_code == 503
    assert error.ray_id == "8e1225a16c283d93"
    assert error.message.endswith("(Ray ID 8e1225a16c283d93)")


def test_cloudflare_page_without_ray_id_or_content_type() -> None:
    page = "<html><head><title>Attention Required! | Cloudflare</title></head></html>"
    error = error_for(403, page, None)
    assert isinstance(error, CloudflareBlockedError)
    assert error.message == "Error code: 403 - Blocked by Cloudflare bot protection"
    assert error.ray_id is None


def test_cloudflare_challenge_page() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
        '<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>'
    )
    assert isinstance(error_for(403, page, "text/html"), CloudflareBlockedError)


def test_any_403_html_page_behind_cloudflare_is_a_block() -> None:
    page = "<html><head><title>403 Forbidden</title></head><body>nope</body></html>"
    error = error_for(403, page, "text/html", server="cloudflare", cf_ray="8e1225a16c283d93-SIN")
    assert isinstance(error, CloudflareBlockedError)
    assert error.ray_id == "8e1225a16c283d93"
    # Without any sign of Cloudflare the same page is an ordinary 403.
    plain = error_for(403, page, "text/html")
    assert type(plain) is PermissionDeniedError
    assert plain.message == "Error code: 403 - 403 Forbidden"


def test_a_cloudflare_5xx_page_is_a_server_error_not_a_block() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>amigochat.io | 502: Bad gateway</title></head>"
        "<body>Cloudflare Ray ID: <strong>8e1225a16c283d93</strong></body></html>"
    )
    error = error_for(502, page, "text/html", server="cloudflare", cf_ray="8e1225a16c283d93")
    assert type(error) is InternalServerError
    assert error.message == "Error code: 502 - amigochat.io | 502: Bad gateway"


def test_generic_html_is_summarised_by_its_title() -> None:
    page = (
        "<html>\r\n<head><title>502 Bad  Gateway &amp; co</title></head>\r\n<body>\r\n"
        "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    error = error_for(502, page, "text/html")
    assert type(error) is InternalServerError
    assert error.message == "Error code: 502 - 502 Bad Gateway & co"


def test_html_without_title_gives_a_short_text_excerpt() -> None:
    page = (
        "<!doctype html><html><body><script>var secret = 1;</script><style>p{}</style>"
        "<p>Service   is\n down</p>" + "<p>more words here</p>" * 100 + "</body></html>"
    )
    message, body = extract_message(page.encode(), None)
    assert message.startswith("Service is down more words here")
    assert len(message) <= 200
    assert "<" not in message and "secret" not in message
    assert body == page


def test_html_with_nothing_visible_is_not_called_empty() -> None:
    assert extract_message(b"<html><script>x()</script></html>", None)[0] == (
        "HTML page without text"
    )


@pytest.mark.parametrize(
    "page",
    [
        "<html>" + "<script" * 40_000,
        "<html>" + "<" * 200_000,
        "<html>" + "<title" * 40_000,
        "<html><!--" + "<!--" * 50_000,
        "<html>Ray ID: " + "<b " * 60_000,
        "Bearer " * 30_000,
    ],
)
def test_hostile_bodies_are_read_in_linear_time(page: str) -> None:
    # A quadratic pattern would take minutes here; a linear one takes milliseconds.
    started = time.perf_counter()
    message, _ = extract_message(page.encode(), "text/html")
    assert len(message) <= 500
    assert time.perf_counter() - started < 5


# --- quota ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (400, {"message": QUOTA, "statusCode": 400}, "application/json"),
        (403, {"error": QUOTA}, "application/json"),
        (429, {"error": {"message": QUOTA, "type": "quota"}}, "application/json"),
        (500, QUOTA, "text/plain"),
        (201, {"data": {"notice": QUOTA}}, "application/json"),
    ],
)
def test_quota_message_wins_over_the_status(status: int, body: object, content_type: str) -> None:
    error = error_for(status, body, content_type, date="Tue, 30 Jan 2024 21:59:57 GMT")
    assert type(error) is QuotaExceededError
    assert isinstance(error, RateLimitError)
    assert error.status_code == status
    assert error.resets_at == dt.datetime(2024, 1, 31, 12, tzinfo=UTC)
    assert error.message.startswith(f"Error code: {status} - ")
    assert error.message.endswith("(resets 2024-01-31 12:00 UTC)")
    assert "balance is not enough" in error.message


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("Tue, 30 Jan 2024 09:00:00 GMT", dt.datetime(2024, 1, 30, 12, tzinfo=UTC)),
        ("Tue, 30 Jan 2024 12:00:00 GMT", dt.datetime(2024, 1, 31, 12, tzinfo=UTC)),
        ("Wed, 31 Dec 2025 23:59:59 GMT", dt.datetime(2026, 1, 1, 12, tzinfo=UTC)),
        ("Tue, 30 Jan 2024 09:00:00 -0000", dt.datetime(2024, 1, 30, 12, tzinfo=UTC)),
    ],
)
def test_quota_resets_at_follows_the_date_header(date: str, expected: dt.datetime) -> None:
    error = error_for(400, {"message": QUOTA}, date=date)
    assert isinstance(error, QuotaExceededError)
    assert error.resets_at == expected


def test_quota_without_a_date_header_uses_now() -> None:
    before = dt.datetime.now(UTC)
    error = error_for(400, {"message": QUOTA}, date="garbage")
    assert isinstance(error, QuotaExceededError)
    assert error.resets_at.tzinfo is not None
    assert (error.resets_at.hour, error.resets_at.minute, error.resets_at.second) == (12, 0, 0)
    assert before < error.resets_at <= before + dt.timedelta(days=1)


def test_is_quota_message() -> None:
    assert is_quota_message(QUOTA)
    assert is_quota_message("your balance is  not enough")
    assert is_quota_message("please wait until 12:00 UTC")
    assert not is_quota_message("Rate limit reached, retry in 3s")
    assert not is_quota_message("")


def test_next_quota_reset_edges() -> None:
    assert next_quota_reset(dt.datetime(2024, 1, 30, 11, 59, 59, 999999, tzinfo=UTC)) == (
        dt.datetime(2024, 1, 30, 12, tzinfo=UTC)
    )
    # Naive datetimes are taken as UTC; others are converted first.
    assert next_quota_reset(dt.datetime(2024, 1, 30, 12)) == dt.datetime(
        2024, 1, 31, 12, tzinfo=UTC
    )
    tz = dt.timezone(dt.timedelta(hours=5))
    assert next_quota_reset(dt.datetime(2024, 1, 30, 16, tzinfo=tz)) == (
        dt.datetime(2024, 1, 30, 12, tzinfo=UTC)
    )


@given(st.datetimes(timezones=st.just(UTC)))
def test_next_quota_reset_is_the_next_noon(now: dt.datetime) -> None:
    reset = next_quota_reset(now)
    assert now < reset <= now + dt.timedelta(days=1)
    assert (reset.hour, reset.minute, reset.second, reset.microsecond) == (12, 0, 0, 0)


# --- secrets ----------------------------------------------------------------------------------


def test_secrets_echoed_by_the_server_are_redacted() -> None:
    body = {"error": {"message": "Invalid header: Authorization: Bearer sk-secret123456789"}}
    error = error_for(401, body)
    assert "sk-secret" not in str(error)
    assert error.message == "Error code: 401 - Invalid header: Authorization: Bearer [REDACTED]"
    # The request's own Authorization header never appears either.
    assert "sk-live" not in str(error)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer abc.def-ghi", "Bearer [REDACTED]"),
        ("authorization: bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", "authorization: bearer [REDACTED]"),
        ("key sk-proj-AbC123_xyz789 rejected", "key sk-[REDACTED] rejected"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc_DEF", "token [REDACTED]"),
        ("GET /v1?api_key=abc123&x=1", "GET /v1?api_key=[REDACTED]&x=1"),
        ("a task-manager and sk-8 are fine", "a task-manager and sk-8 are fine"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_messages_are_redacted_on_construction() -> None:
    assert APIError("failed with Bearer sk-abcdefgh").message == "failed with Bearer [REDACTED]"
    assert "sk-abcdefgh" not in str(APIConnectionError("Bearer sk-abcdefgh"))


@given(st.text())
def test_redact_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


@given(st.binary(max_size=2000), st.sampled_from([None, "application/json", "text/html"]))
def test_extract_message_never_raises_and_stays_one_short_line(
    body: bytes, content_type: str | None
) -> None:
    message, _ = extract_message(body, content_type)
    assert len(message) <= 500
    assert "\n" not in message and "\r" not in message


# --- in-stream errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "message", "code"),
    [
        (
            {"error": {"message": "Rate limit", "type": "requests", "code": "rate_limit"}},
            "Rate limit",
            "rate_limit",
        ),
        (
            {"error": "Error handling AIML chat completion stream"},
            "Error handling AIML chat completion stream",
            None,
        ),
        ({"message": "overloaded", "statusCode": 529}, "overloaded", 529),
        ({"error": {"message": "m", "code": True}}, "m", None),
        ({"error": {"message": "m"}, "code": 500}, "m", 500),
        ("bare text", "bare text", None),
        ({}, "unknown error", None),
        (None, "unknown error", None),
    ],
)
def test_error_from_event(event: object, message: str, code: str | int | None) -> None:
    assert error_from_event(event) == (message, code)


def test_stream_server_error() -> None:
    event = {"error": {"message": "upstream died", "type": "server_error", "code": "E1"}}
    error = StreamServerError(error=event, text="Hel", chunks=[1, 2])
    assert isinstance(error, APIStreamError)
    assert error.message == "Error in stream: upstream died"
    assert error.error == event["error"]
    assert error.code == "E1"
    assert (error.text, error.chunks, error.partial) == ("Hel", [1, 2], None)
    text_error = StreamServerError("custom", error={"error": "plain"})
    assert text_error.message == "custom"
    assert text_error.error == {"message": "plain"}
    assert text_error.chunks == []


def test_stream_decode_error_has_both_parents() -> None:
    data = '{"choices": [' + "x" * 5000
    error = StreamDecodeError("Malformed JSON in event", data=data, text="so far", partial={})
    assert isinstance(error, APIStreamError) and isinstance(error, APIDecodeError)
    assert error.data == data
    assert (error.text, error.chunks, error.partial) == ("so far", [], {})
    assert error.message.startswith('Malformed JSON in event: \'{"choices": [xxx')
    assert len(error.message) < 600


def test_decode_error_accepts_bytes() -> None:
    error = APIDecodeError("Malformed JSON body", data=b"{\xff")
    assert error.data == "{\ufffd"
    assert APIDecodeError("Event too large").message == "Event too large"


def test_stream_interrupted_error_carries_the_text() -> None:
    error = StreamInterruptedError("Stream ended before [DONE]", text="partial answer")
    assert error.text == "partial answer"
    assert isinstance(error, APIError)


def test_connection_errors_have_default_messages() -> None:
    request = httpx.Request("POST", URL)
    assert APIConnectionError(request=request).message == "Connection error."
    assert APIConnectionError(request=request).request is request
    assert APITimeoutError().message == "Request timed out."
    assert isinstance(APITimeoutError(), APIConnectionError)


def test_response_validation_error() -> None:
    resp = response(201, b'{"choices": 3}')
    error = APIResponseValidationError(response=resp, body={"choices": 3})
    assert (error.status_code, error.body, error.response) == (201, {"choices": 3}, resp)
    assert error.request is resp.request


def test_a_response_without_a_request_still_maps() -> None:
    resp = httpx.Response(404, json={"message": "Cannot POST /v1/nope"})
    error = make_status_error(resp, resp.content)
    assert type(error) is NotFoundError
    assert error.request is None
    assert error.message == "Error code: 404 - Cannot POST /v1/nope"


# --- pickling ---------------------------------------------------------------------------------


def every_kind_of_error() -> list[AmigoChatError]:
    """One instance of every class, built the way the SDK builds it."""
    quota = response(429, json.dumps({"message": QUOTA}), x_request_id="req-q")
    blocked = response(403, CLOUDFLARE_PAGE, "text/html", cf_ray=f"{RAY}-FRA")
    statuses = [
        error_for(status, {"error": {"message": "no"}}, x_request_id="req-s")
        for status in (400, 401, 403, 404, 406, 409, 422, 429, 500, 418)
    ]
    request = response(200).request
    return [
        AmigoChatError("plain"),
        exceptions_module.InvalidInputError("The header 'x' in extra_headers holds a line break"),
        exceptions_module.MissingExtraError("the reference server needs the server extra"),
        exceptions_module.ClientClosedError("This client is closed"),
        APIError("base", request=request, body={"a": 1}),
        APIConnectionError("dropped", request=request),
        APITimeoutError(request=request),
        *statuses,
        make_status_error(quota, quota.content),
        make_status_error(blocked, blocked.content),
        APIResponseValidationError(response=response(200, b"[1]"), body=[1]),
        APIDecodeError("bad JSON", data=b"{", request=request),
        APIStreamError("stream", text="abc", request=request),
        StreamInterruptedError("cut", text="Hel", request=request),
        StreamServerError(error={"error": {"message": "boom", "code": 7}}, text="x"),
        StreamDecodeError("malformed", data="{", text="so far", request=request),
        exceptions_module.StructuredOutputError(
            "no", raw="[]", errors=[{"type": "model_type"}], attempts=[{"strategy": "prompt"}]
        ),
        exceptions_module.LengthFinishReasonError("cut", completion={"choices": []}),
        exceptions_module.ContentFilterFinishReasonError("filtered"),
        exceptions_module.ToolRunError("run", messages=[{"role": "user", "content": "hi"}]),
        exceptions_module.MaxStepsExceededError("steps", messages=[]),
        exceptions_module.ToolExecutionError("raised", messages=[], name="f", tool_call_id="c"),
    ]


def test_every_error_round_trips_through_pickle_without_the_key() -> None:
    import pickle

    errors = every_kind_of_error()
    kinds = {type(error) for error in errors}
    assert kinds == set(defined_exceptions().values())
    for error in errors:
        data = pickle.dumps(error)
        assert b"sk-live-secret-key" not in data, type(error)
        copy = pickle.loads(data)
        assert type(copy) is type(error)
        assert str(copy) == str(error)
        assert copy.args == error.args
        for name in (
            "message",
            "status_code",
            "body",
            "request_id",
            "retry_after",
            "text",
            "data",
            "code",
            "error",
            "resets_at",
            "raw",
            "errors",
            "attempts",
            "completion",
            "messages",
        ):
            assert getattr(copy, name, None) == getattr(error, name, None), (type(error), name)
        request = getattr(error, "request", None)
        if request is not None:
            assert isinstance(copy, APIError) and copy.request is not None
            assert copy.request.url == request.url
            assert "authorization" not in copy.request.headers
    ray = next(e for e in errors if isinstance(e, CloudflareBlockedError))
    assert pickle.loads(pickle.dumps(ray)).ray_id == RAY
