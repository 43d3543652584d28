"""
The pieces of typed answers without I/O: tool definitions from functions and models, the strict
schema rule, the answer type's wrapping and partial validation, and the relay of a chat flow.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any, Literal

import httpx
import pydantic
import pytest

from amigochat_sdk import FunctionTool, function_tool, pydantic_function_tool
from amigochat_sdk._core import RECEIVE, Attempts, Call, Config, Ready, RunTools, Send
from amigochat_sdk._relay import relay
from amigochat_sdk._retry import RetryPolicy
from amigochat_sdk._schema import AnswerType, extract_json, strict_schema
from amigochat_sdk._tools import Toolbox, execute, result_text


def forecast(city: str, days: int = 3, unit: Literal["C", "F"] = "C") -> str:
    """
    The forecast for a city.

    More prose that is not the summary.

    Args:
        city: the city's name
        days (int): how many days ahead
    """
    return f"{days} days in {city} ({unit})"


def test_a_function_becomes_a_strict_tool() -> None:
    tool = function_tool(forecast)
    assert (tool.name, tool.description) == ("forecast", "The forecast for a city.")
    function = tool.param()["function"]
    assert function["strict"] is True
    parameters = function["parameters"]
    assert parameters["required"] == ["city", "days", "unit"]
    assert parameters["additionalProperties"] is False
    assert parameters["properties"]["city"]["description"] == "the city's name"
    assert parameters["properties"]["days"]["description"] == "how many days ahead"
    assert parameters["properties"]["unit"]["enum"] == ["C", "F"]
    # The defaults stay in the arguments model: a model that leaves them out still validates.
    parsed = tool.parse('{"city": "Oslo"}')
    assert tool.bind(parsed)() == "3 days in Oslo (C)"


def test_a_tool_that_strict_mode_cannot_express_is_sent_loose() -> None:
    def tag(labels: dict[str, int]) -> None:
        """Tag things."""

    function = function_tool(tag).param()["function"]
    assert "strict" not in function
    assert function["parameters"]["required"] == ["labels"]


def test_names_descriptions_and_strictness_can_be_given() -> None:
    tool = function_tool(forecast, name="weather", description="Weather.", strict=False)
    assert tool.param()["function"]["name"] == "weather"
    assert "strict" not in tool.param()["function"]


def test_star_arguments_cannot_be_described() -> None:
    def anything(*args: int) -> None: ...

    with pytest.raises(TypeError, match="\\*args"):
        function_tool(anything)


class Query(pydantic.BaseModel):
    """Search the catalogue.

    Long text."""

    text: Annotated[str, pydantic.Field(description="what to look for")]
    limit: int = 10


def test_a_model_becomes_a_tool_whose_function_takes_the_model() -> None:
    seen: list[Query] = []
    tool = pydantic_function_tool(Query, function=seen.append)
    assert (tool.name, tool.description) == ("Query", "Search the catalogue.")
    assert tool.param()["function"]["parameters"]["properties"]["text"]["description"]
    tool.bind(tool.parse('{"text": "tea", "limit": 2}'))()
    assert seen == [Query(text="tea", limit=2)]
    with pytest.raises(TypeError, match="no function"):
        pydantic_function_tool(Query).bind(Query(text="x"))


def test_a_toolbox_takes_functions_models_tools_and_dicts() -> None:
    raw = {"type": "function", "function": {"name": "raw"}}
    box = Toolbox([forecast, Query, function_tool(forecast, name="other"), raw])
    assert [p["function"]["name"] for p in box.params()] == ["forecast", "Query", "other", "raw"]
    assert box.parse("Query", '{"text": "x"}') == Query(text="x")
    assert box.parse("Query", '{"text": 1}') is None
    assert box.parse("raw", "{}") is None
    assert isinstance(box.by_name["forecast"], FunctionTool)
    with pytest.raises(TypeError, match="not a tool"):
        Toolbox([42])


def test_results_go_back_as_text() -> None:
    @dataclasses.dataclass
    class Point:
        x: int

    assert result_text("as is") == "as is"
    assert result_text({"a": [1, None]}) == '{"a":[1,null]}'
    assert result_text(Query(text="t")) == '{"text":"t","limit":10}'
    assert result_text(Point(1)) == '{"x":1}'
    assert result_text(object()).startswith('"<object object')


def test_the_sync_executor_runs_in_turn_and_refuses_async_tools() -> None:
    async def later() -> None: ...

    def boom() -> None:
        raise KeyError("k")

    tools = [function_tool(t) for t in (later, boom)]
    outcomes = execute(RunTools([t.bind(t.parse("{}")) for t in tools]))
    assert isinstance(outcomes[0].error, TypeError) and "AsyncClient" in str(outcomes[0].error)
    assert isinstance(outcomes[1].error, KeyError)


def test_strict_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
            "b": {"$ref": "#/$defs/B", "description": "beside a $ref"},
        },
        "$defs": {"B": {"type": "object", "properties": {"c": {"type": "string"}}}},
    }
    strict = strict_schema(schema)
    assert strict is not None
    assert strict["required"] == ["a", "b"] and "default" not in strict["properties"]["a"]
    assert strict["properties"]["b"] == {"$ref": "#/$defs/B"}
    assert strict["$defs"]["B"]["additionalProperties"] is False
    assert "additionalProperties" not in schema  # the original is left alone
    assert strict_schema({"type": "object", "additionalProperties": True}) is None


def test_answers_are_read_from_code_fences() -> None:
    assert extract_json('```json\n{"a": 1}\n```') == '{"a": 1}'
    assert extract_json("```\n[1]\n```  ") == "[1]"
    assert extract_json(' {"a": 1} ') == '{"a": 1}'


def test_an_answer_type_wraps_a_root_that_is_not_an_object() -> None:
    answer = AnswerType[Any](list[int])
    assert answer.wrapped and answer.schema["required"] == ["value"]
    assert answer.validate('{"value": [1, 2]}') == [1, 2]
    assert answer.partial('{"value": [1, 2') == ([1, 2], [1, 2])
    assert answer.partial("") == (None, None)
    assert answer.response_format()["json_schema"]["name"] == "list"
    model = AnswerType[Any](Query)
    assert not model.wrapped
    assert model.partial('{"text": "te') == (Query(text="te"), {"text": "te"})
    assert model.partial('{"limit": 3') == (None, {"limit": 3})
    assert '"text"' in model.instructions()


def test_relay_passes_commands_and_views_batches() -> None:
    request = httpx.Request("POST", "http://test/v1/chat/completions")
    response = httpx.Response(200, request=request)
    config = Config("http://test/v1", httpx.Timeout(1), RetryPolicy(), {}, "device")
    attempts = Attempts(config, Call("POST", str(request.url)))
    attempts.last_response = response
    info = attempts.info()

    def inner() -> Any:
        got = yield Send(request)
        assert got is response
        yield Ready(response, "state", info)
        more = yield ["a", "b"]
        assert more == b"bytes"
        yield ("c",)
        try:
            yield RECEIVE
        except httpx.ReadError:
            return "recovered"

    seen: list[Any] = []

    def view(item: Any) -> Any:
        seen.append(item)
        return None if isinstance(item, tuple) else item

    flow = relay(inner(), view)
    assert type(next(flow)) is Send
    assert type(flow.send(response)) is Ready
    assert flow.send(None) == ["a", "b"]
    # The tuple is viewed but hidden, so the inner flow goes straight on to its read.
    assert flow.send(b"bytes") is RECEIVE
    with pytest.raises(StopIteration) as stop:
        flow.throw(httpx.ReadError("cut"))
    assert stop.value.value == "recovered"
    assert [type(s) for s in seen] == [Ready, list, tuple]


def test_relay_reads_on_for_a_hidden_list() -> None:
    def inner() -> Any:
        data = yield ["x"]
        return data

    flow = relay(inner(), lambda item: None)
    assert next(flow) is RECEIVE
    with pytest.raises(StopIteration) as stop:
        flow.send(b"next")
    assert stop.value.value == b"next"
