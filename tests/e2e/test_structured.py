"""
Structured outputs on both clients against the reference server: every strategy, every
fallback and every repair, proven by the number of requests each took, and the per-client
memory of what worked proven the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from amigochat_sdk import (
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    StructuredOutputError,
)
from amigochat_sdk.testing import ReferenceServer
from amigochat_sdk.types import AttemptEvent, ContentDeltaEvent, ContentDoneEvent
from tests.e2e.conftest import MakeApi
from tests.e2e.helpers import Api
from tests.e2e.typed import parse, parse_stream

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


class Address(BaseModel):
    street: str
    zip_code: str = Field(min_length=5, max_length=5)


class City(BaseModel):
    name: str
    population: int = Field(ge=1000)
    kind: Literal["capital", "town"]
    address: Address | None = None
    tags: list[str] = []


EXPECTED = City(
    name="text",
    population=1000,
    kind="capital",
    address=Address(street="text", zip_code="textx"),
    tags=["text", "text 2"],
)


def formats(server: ReferenceServer) -> list[str | None]:
    """The `response_format` type of every request the server received."""
    return [(r.json.get("response_format") or {}).get("type") for r in server.requests]


def instructed(server: ReferenceServer, index: int) -> bool:
    first = server.requests[index].json["messages"][0]
    return first["role"] == "system" and '"population"' in first["content"]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("strategy", "sent"),
    [("json_schema", "json_schema"), ("json_object", "json_object"), ("prompt", None)],
)
async def test_each_strategy_takes_one_request(
    api: Api, amigochat_server: ReferenceServer, strategy: str, sent: str | None, stream: bool
) -> None:
    if stream:
        events, result = await parse_stream(api, response_format=City, structured=strategy)
        assert isinstance(events[-1], ContentDoneEvent) and events[-1].parsed == EXPECTED
    else:
        result = await parse(api, response_format=City, structured=strategy)
    assert result.choices[0].message.parsed == EXPECTED
    assert formats(amigochat_server) == [sent]
    assert instructed(amigochat_server, 0) == (strategy != "json_schema")


async def test_json_schema_is_sent_strict(api: Api, amigochat_server: ReferenceServer) -> None:
    await parse(api, response_format=City, structured="json_schema")
    form = amigochat_server.requests.last.json["response_format"]
    assert form["json_schema"]["name"] == "City" and form["json_schema"]["strict"] is True
    schema = form["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name", "population", "kind", "address", "tags"]


async def test_a_refused_json_schema_falls_back_once_then_is_remembered(
    make_api: MakeApi, amigochat_server: ReferenceServer
) -> None:
    amigochat_server.faults.always("reject-json-schema")
    api = make_api()
    first = await parse(api, response_format=City)
    assert first.choices[0].message.parsed == EXPECTED
    assert formats(amigochat_server) == ["json_schema", "json_object"]
    await parse(api, response_format=City)
    await parse(api, response_format=City)
    assert formats(amigochat_server) == ["json_schema", "json_object", "json_object", "json_object"]
    # What was learned belongs to that client: another one pays the fallback once itself.
    await parse(make_api(), response_format=City)
    assert len(amigochat_server.requests) == 6


async def test_an_ignored_response_format_falls_back_to_json_mode(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    amigochat_server.faults.push("ignore-response-format")
    result = await parse(api, response_format=City)
    assert result.choices[0].message.parsed == EXPECTED
    assert formats(amigochat_server) == ["json_schema", "json_object"]
    await parse(api, response_format=City)
    assert formats(amigochat_server)[2:] == ["json_object"]


async def test_json_mode_refused_too_falls_back_to_the_prompt(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    amigochat_server.faults.push("reject-json-schema")
    amigochat_server.faults.push("status=400;message=response_format json_object is not supported")
    result = await parse(api, response_format=City)
    assert result.choices[0].message.parsed == EXPECTED
    assert formats(amigochat_server) == ["json_schema", "json_object", None]
    assert instructed(amigochat_server, 2)
    await parse(api, response_format=City)
    assert formats(amigochat_server)[3:] == [None]


async def test_a_backend_that_never_answers_json(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    amigochat_server.faults.always("ignore-response-format")
    with pytest.raises(StructuredOutputError) as caught:
        await parse(api, response_format=City)
    # Three strategies, then one repair of the last one; every attempt is in the error.
    assert formats(amigochat_server) == ["json_schema", "json_object", None, None]
    error = caught.value
    assert [a["strategy"] for a in error.attempts] == [
        "json_schema",
        "json_object",
        "prompt",
        "prompt",
    ]
    assert error.raw.startswith('You said: "')
    assert error.errors == []
    assert "is not JSON" in str(error)


async def test_another_4xx_is_not_a_fallback(api: Api, amigochat_server: ReferenceServer) -> None:
    from amigochat_sdk import BadRequestError

    amigochat_server.faults.push("status=400;message=messages must not be empty")
    with pytest.raises(BadRequestError):
        await parse(api, response_format=City)
    assert len(amigochat_server.requests) == 1


@pytest.mark.parametrize("fault", ["invalid-json", "schema-violation"])
async def test_a_reply_that_does_not_validate_is_repaired_once(
    api: Api, amigochat_server: ReferenceServer, fault: str
) -> None:
    amigochat_server.faults.push(fault)
    result = await parse(api, response_format=City, structured="json_schema")
    assert result.choices[0].message.parsed == EXPECTED
    assert len(amigochat_server.requests) == 2
    *_, bad, repair = amigochat_server.requests[1].json["messages"]
    assert bad["role"] == "assistant"
    assert (
        repair["role"] == "user" and "Reply again with the corrected JSON only" in repair["content"]
    )
    assert ("is not valid JSON" in repair["content"]) == (fault == "invalid-json")


@pytest.mark.parametrize("stream", [False, True])
async def test_without_repairs_the_error_carries_the_validation_errors(
    api: Api, amigochat_server: ReferenceServer, stream: bool
) -> None:
    amigochat_server.faults.push("schema-violation")
    with pytest.raises(StructuredOutputError) as caught:
        if stream:
            await parse_stream(api, response_format=City, structured="json_schema", max_repairs=0)
        else:
            await parse(api, response_format=City, structured="json_schema", max_repairs=0)
    assert len(amigochat_server.requests) == 1
    assert caught.value.raw == "[]"
    assert caught.value.errors[0]["type"] == "model_type"
    assert len(caught.value.attempts) == 1


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(
    ("reason", "error"),
    [("length", LengthFinishReasonError), ("content_filter", ContentFilterFinishReasonError)],
)
async def test_a_cut_or_filtered_reply_is_not_repaired(
    api: Api, amigochat_server: ReferenceServer, reason: str, error: type[Exception], stream: bool
) -> None:
    amigochat_server.faults.push(f"finish={reason}")
    with pytest.raises(error) as caught:
        if stream:
            await parse_stream(api, response_format=City)
        else:
            await parse(api, response_format=City)
    assert len(amigochat_server.requests) == 1
    assert caught.value.completion.choices[0].finish_reason == reason  # type: ignore[attr-defined]


async def test_a_refusal(api: Api, amigochat_server: ReferenceServer) -> None:
    amigochat_server.faults.push("refuse")
    message = (await parse(api, response_format=City)).choices[0].message
    assert message.parsed is None and message.refusal == "I can't help with that."
    assert len(amigochat_server.requests) == 1


@dataclasses.dataclass
class Point:
    x: int
    y: float


class Pair(TypedDict):
    left: str
    right: bool


TWO_ADDRESSES = [
    Address(street="text", zip_code="textx"),
    Address(street="text 2", zip_code="text "),
]


@pytest.mark.parametrize(
    ("answer", "expected", "wrapped"),
    [
        (list[Address], TWO_ADDRESSES, True),
        (Point, Point(x=1, y=1.5), False),
        (Pair, {"left": "text", "right": True}, False),
        (Literal["yes", "no"], "yes", True),
        (int, 1, True),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
async def test_any_type_pydantic_validates(
    api: Api,
    amigochat_server: ReferenceServer,
    answer: Any,
    expected: Any,
    wrapped: bool,
    stream: bool,
) -> None:
    if stream:
        _, result = await parse_stream(api, response_format=answer)
    else:
        result = await parse(api, response_format=answer)
    assert result.choices[0].message.parsed == expected
    # A root that is not an object travels as `{"value": ...}`: backends want an object.
    form = amigochat_server.requests.last.json["response_format"]["json_schema"]["schema"]
    assert form["type"] == "object" and (form["required"] == ["value"]) == wrapped


async def test_streamed_partial_objects_grow_to_the_answer(
    make_api: MakeApi, amigochat_server: ReferenceServer
) -> None:
    api = make_api()
    events, result = await parse_stream(api, response_format=City, structured="json_schema")
    deltas = [e for e in events if isinstance(e, ContentDeltaEvent)]
    assert len(deltas) > 10
    assert "".join(d.delta for d in deltas) == deltas[-1].snapshot
    partials = [d.parsed for d in deltas if d.parsed is not None]
    # The first partial object comes once the required fields are in; the optional ones
    # (address, then tags) fill in afterwards, strings growing as they arrive.
    assert isinstance(partials[0], City) and partials[0].address is None
    assert any(p.address is not None and p.tags == [] for p in partials)
    tags = [p.tags for p in partials]
    assert ["te"] in tags and ["text", "te"] in tags  # 4 characters a chunk
    assert partials[-1] == EXPECTED
    assert deltas[0].partial == {} and deltas[-1].partial == EXPECTED.model_dump()
    assert isinstance(events[-1], ContentDoneEvent) and events[-1].parsed == EXPECTED
    assert result.choices[0].message.parsed == EXPECTED
    assert result.choices[0].message.content == deltas[-1].snapshot


async def test_a_streamed_fallback_and_repair_announce_each_new_attempt(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    amigochat_server.faults.push("reject-json-schema")
    amigochat_server.faults.push("schema-violation")
    events, result = await parse_stream(api, response_format=City)
    attempts = [e for e in events if isinstance(e, AttemptEvent)]
    # The refusal came before anything streamed: only the repair is announced.
    assert attempts == [AttemptEvent("json_object", "repair")]
    assert formats(amigochat_server) == ["json_schema", "json_object", "json_object"]
    assert result.choices[0].message.parsed == EXPECTED
