"""
The tool runner on both clients against the reference server: parallel calls, a tool that
raises, arguments that do not validate, `max_steps`, the streamed variant, and tool calls
parsed by `parse()`.
"""

from __future__ import annotations

from typing import Any, Literal

import anyio
import pytest
from pydantic import BaseModel

from amigochat_sdk import (
    AsyncClient,
    MaxStepsExceededError,
    ToolExecutionError,
    pydantic_function_tool,
)
from amigochat_sdk.testing import ReferenceServer
from amigochat_sdk.types import (
    ContentDeltaEvent,
    ContentDoneEvent,
    ToolCallArgumentsDeltaEvent,
    ToolCallDoneEvent,
    ToolResultEvent,
)
from tests.e2e.helpers import Api
from tests.e2e.typed import parse, run_tools, run_tools_stream
from tests.flavors import MODEL, user

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

ASK = user("What is the weather and the time for Paris?")
ran: list[str] = []


def get_weather(city: str, unit: Literal["C", "F"] = "C") -> str:
    """
    The current weather in a city.

    Args:
        city: the city's name
        unit: the temperature unit
    """
    ran.append("get_weather")
    return f"sunny, 21 {unit} in {city}"


def get_time(city: str) -> dict[str, str]:
    """The local time in a city."""
    ran.append("get_time")
    return {"city": city, "time": "12:00"}


def failing_weather(city: str) -> str:
    """The current weather in a city."""
    raise ValueError(f"no data for {city}")


FINAL = (
    'The tools said: get_weather: "sunny, 21 C in Paris"; '
    'get_time: "{"city":"Paris","time":"12:00"}".'
)


@pytest.fixture(autouse=True)
def forget_runs() -> None:
    ran.clear()


async def test_parallel_calls_run_and_their_results_go_back(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    result = await run_tools(api, messages=ASK, tools=[get_weather, get_time])
    assert result.content == FINAL
    assert result.steps == 2 and len(amigochat_server.requests) == 2
    assert sorted(ran) == ["get_time", "get_weather"]
    _, assistant, weather, time, final = result.messages
    assert [c["function"]["name"] for c in assistant["tool_calls"]] == ["get_weather", "get_time"]
    assert assistant["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris", "unit": "C"}'
    assert weather == {"role": "tool", "tool_call_id": "call_1", "content": "sunny, 21 C in Paris"}
    assert time == {
        "role": "tool",
        "tool_call_id": "call_2",
        "content": '{"city":"Paris","time":"12:00"}',
    }
    assert final == {"role": "assistant", "content": FINAL}
    sent = amigochat_server.requests[1].json["messages"]
    assert sent == result.messages[:-1]
    calls = result.completion.choices[0].message
    assert calls.tool_calls is None


async def test_the_tools_are_sent_strict_with_their_docstrings(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    await run_tools(api, messages=ASK, tools=[get_weather, get_time])
    weather = amigochat_server.requests[0].json["tools"][0]["function"]
    assert weather["name"] == "get_weather" and weather["strict"] is True
    assert weather["description"] == "The current weather in a city."
    parameters = weather["parameters"]
    assert parameters["required"] == ["city", "unit"]
    assert parameters["properties"]["city"]["description"] == "the city's name"
    assert parameters["properties"]["unit"]["enum"] == ["C", "F"]


async def test_async_tools_run_concurrently(amigochat_async_client: AsyncClient) -> None:
    both_started = anyio.Event()
    started: list[str] = []

    async def meet(name: str) -> None:
        # Each call waits for the other: run one after the other, the first would time out.
        started.append(name)
        if len(started) == 2:
            both_started.set()
        with anyio.fail_after(5):
            await both_started.wait()

    async def get_weather(city: str) -> str:
        """The weather."""
        await meet("weather")
        return "sunny"

    async def get_time(city: str) -> str:
        """The time."""
        await meet("time")
        return "noon"

    result = await amigochat_async_client.chat.completions.run_tools(
        model=MODEL, messages=ASK, tools=[get_weather, get_time]
    )
    assert result.content == 'The tools said: get_weather: "sunny"; get_time: "noon".'
    assert sorted(started) == ["time", "weather"]


async def test_a_raising_tool_reports_its_error_to_the_model(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    tools = [pydantic_function_tool(Weather, function=lambda w: failing_weather(w.city))]
    result = await run_tools(api, messages=user("weather for Rome"), tools=tools)
    error = "Error: ValueError: no data for Rome"
    assert result.messages[2] == {"role": "tool", "tool_call_id": "call_1", "content": error}
    assert result.content == f'The tools said: Weather: "{error}".'
    assert len(amigochat_server.requests) == 2


async def test_tool_errors_may_be_formatted_or_raised(api: Api) -> None:
    messages = user("weather for Rome")
    result = await run_tools(
        api,
        messages=messages,
        tools=[failing_weather],
        tool_errors=lambda exc: f"unavailable ({exc})",
    )
    assert result.messages[2]["content"] == "unavailable (no data for Rome)"
    with pytest.raises(ToolExecutionError) as caught:
        await run_tools(api, messages=messages, tools=[failing_weather], tool_errors="raise")
    assert isinstance(caught.value.__cause__, ValueError)
    assert caught.value.name == "failing_weather" and caught.value.tool_call_id == "call_1"
    assert [m["role"] for m in caught.value.messages] == ["user", "assistant"]


async def test_arguments_that_do_not_validate_go_back_unrun(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    amigochat_server.faults.push("bad-tool-arguments")
    result = await run_tools(api, messages=user("weather for Rome"), tools=[get_weather])
    assert ran == []
    content = result.messages[2]["content"]
    assert content.startswith("Error: the arguments of get_weather do not validate: (arguments)")
    assert "Call it again." in content
    assert len(amigochat_server.requests) == 2


async def test_max_steps_raises_with_the_transcript(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    with pytest.raises(MaxStepsExceededError) as caught:
        await run_tools(api, messages=ASK, tools=[get_weather], tool_choice="required", max_steps=3)
    assert len(amigochat_server.requests) == 3
    roles = [m["role"] for m in caught.value.messages]
    assert roles == ["user"] + ["assistant", "tool"] * 3
    assert "max_steps=3" in str(caught.value)
    assert ran == ["get_weather"] * 3


async def test_the_streamed_runner_shows_every_step(
    api: Api, amigochat_server: ReferenceServer
) -> None:
    events, result = await run_tools_stream(api, messages=ASK, tools=[get_weather, get_time])
    pieces = [e for e in events if isinstance(e, ToolCallArgumentsDeltaEvent)]
    assert {e.name for e in pieces} == {"get_weather", "get_time"}
    assert len([e for e in pieces if e.index == 0]) > 2  # arguments arrive in several pieces
    assert pieces[-1].partial == {"city": "Paris"}
    done = [e for e in events if isinstance(e, ToolCallDoneEvent)]
    assert [(e.id, e.name) for e in done] == [("call_1", "get_weather"), ("call_2", "get_time")]
    assert done[0].parsed_arguments.city == "Paris"
    results = [e for e in events if isinstance(e, ToolResultEvent)]
    assert [(r.tool_call_id, r.is_error) for r in results] == [("call_1", False), ("call_2", False)]
    text = "".join(e.delta for e in events if isinstance(e, ContentDeltaEvent))
    assert text == FINAL
    assert events[-1] == ContentDoneEvent(FINAL, None)
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("ToolResultEvent") < kinds.index("ContentDeltaEvent")
    assert result.content == FINAL and result.steps == 2
    assert len(amigochat_server.requests) == 2
    assert all(r.json["stream"] for r in amigochat_server.requests)


class Weather(BaseModel):
    """The current weather in a city."""

    city: str


async def test_parse_parses_tool_calls(api: Api) -> None:
    tool = pydantic_function_tool(Weather, name="get_weather")
    result = await parse(
        api, messages=user("weather for Rome, please"), response_format=Weather, tools=[tool]
    )
    message = result.choices[0].message
    assert message.parsed is None and message.tool_calls is not None
    assert message.tool_calls[0].function.parsed_arguments == Weather(city="Rome")


async def test_a_named_tool_choice_is_honoured(api: Api) -> None:
    result = await parse(
        api,
        messages=user("Hello for Oslo"),
        response_format=Weather,
        tools=[get_weather, get_time],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    [call] = result.choices[0].message.tool_calls or []
    arguments: Any = call.function.parsed_arguments
    assert call.function.name == "get_time" and arguments.city == "Oslo"
