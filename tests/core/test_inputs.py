"""
The edge checks: header values the SDK can send, and JSON both ways, with no I/O.
"""

from __future__ import annotations

import math

import pytest

from amigochat_sdk._exceptions import InvalidInputError
from amigochat_sdk._inputs import check_api_key, check_headers, dump_json, parse_json


@pytest.mark.parametrize("value", ["", "web", "1.0.45", "a b\tc", "Bearer x.y-z_~+/=", b"raw"])
def test_sendable_header_values_pass(value: str | bytes) -> None:
    check_headers({"x-ok": value}, "extra_headers")


@pytest.mark.parametrize(
    ("value", "fault"),
    [
        ("a\nb", "holds a line break"),
        ("a\rb", "holds a line break"),
        ("trailing\n", "holds a line break"),
        ("caf\u00e9", "holds a character that is not ASCII"),
        ("trail ", "starts or ends with whitespace"),
        ("tail\t", "starts or ends with whitespace"),
        ("a\x00b", "holds a control character"),
        ("a\x7fb", "holds a control character"),
    ],
)
def test_unsendable_header_values_are_named_not_shown(value: str, fault: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        check_headers({"x-secret": f"s3cr3t{value}"}, "extra_headers")
    assert str(info.value).startswith(
        f"The value of the header 'x-secret' in extra_headers {fault}"
    )
    assert "s3cr3t" not in str(info.value)
    with pytest.raises(InvalidInputError, match=f"^The API key {fault}"):
        check_api_key(f"s3cr3t{value}")


@pytest.mark.parametrize("name", ["", "bad name", "x:y", "caf\u00e9"])
def test_header_names_must_be_tokens(name: str) -> None:
    with pytest.raises(InvalidInputError, match="A header name in default_headers is not"):
        check_headers({name: "v"}, "default_headers")


def test_a_header_value_of_another_type_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="'x-n' in extra_headers is a int, not a string"):
        check_headers({"x-n": 5}, "extra_headers")


def test_dump_json_refuses_what_json_cannot_express() -> None:
    assert dump_json({"a": [1, 0.5, None]}, "extra_body") == '{"a":[1,0.5,null]}'
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(InvalidInputError, match=r"^extra_body holds NaN or Infinity"):
            dump_json({"a": {"b": value}}, "extra_body")
    with pytest.raises(InvalidInputError, match=r"^extra_body cannot be encoded as JSON"):
        dump_json({"a": object()}, "extra_body")
    nested: list[object] = []
    deepest = nested
    for _ in range(100_000):
        deepest.append([])
        deepest = deepest[0]  # type: ignore[assignment]
    with pytest.raises(InvalidInputError, match=r"^extra_body cannot be encoded as JSON"):
        dump_json({"a": nested}, "extra_body")


def test_parse_json_raises_only_value_error() -> None:
    assert parse_json(b'{"a": [1]}') == {"a": [1]}
    with pytest.raises(ValueError, match="nested too deep"):
        parse_json(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(ValueError):
        parse_json(b"{")
