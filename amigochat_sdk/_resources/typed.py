"""
`client.chat.completions.parse(...)` and `.run_tools(...)`: argument handling only; the flows
in `_structured.py` and `_tool_runner.py` decide the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from typing_extensions import Unpack

from .._drivers import AsyncRunner, Runner
from .._event_stream import AsyncEventStream, EventStream
from .._schema import AnswerType
from .._structured import Strategy, TypedCall, structured_flow
from .._tool_runner import ToolErrors, tools_flow
from .._tools import Toolbox
from ..types import ParsedChatCompletion, ToolRunResult
from .params import BaseChatParams, MessageParam, build_call

if TYPE_CHECKING:
    from .._core import Flow

__all__ = ["AsyncTypedCompletions", "TypedCompletions"]

T = TypeVar("T")


def _typed(
    runner: Runner | AsyncRunner,
    model: str,
    messages: Iterable[MessageParam],
    tools: Iterable[Any] | None,
    params: Mapping[str, Any],
) -> TypedCall:
    config = runner.config
    toolbox = Toolbox(tools) if tools else None
    wire_tools = toolbox.params() if toolbox else None

    def build(messages: list[Any], response_format: Any, stream: bool) -> Any:
        body = {**params, "response_format": response_format, "tools": wire_tools}
        return build_call(config, model, messages, stream, body)

    return TypedCall(model, list(messages), build, toolbox)


def _parse_flow(
    runner: Runner | AsyncRunner,
    model: str,
    messages: Iterable[MessageParam],
    response_format: Any,
    structured: Strategy,
    max_repairs: int,
    tools: Iterable[Any] | None,
    stream: bool,
    params: Mapping[str, Any],
) -> Flow[ParsedChatCompletion[Any]]:
    if max_repairs < 0:
        raise ValueError("max_repairs must be 0 or more")
    typed = _typed(runner, model, messages, tools, params)
    return structured_flow(
        runner.config,
        typed,
        AnswerType.of(response_format),
        strategy=structured,
        max_repairs=max_repairs,
        learned=runner.learned,
        stream=stream,
    )


def _tools_flow(
    runner: Runner | AsyncRunner,
    model: str,
    messages: Iterable[MessageParam],
    tools: Iterable[Any],
    max_steps: int,
    tool_errors: ToolErrors,
    stream: bool,
    params: Mapping[str, Any],
) -> Flow[ToolRunResult]:
    if max_steps < 1:
        raise ValueError("max_steps must be at least 1")
    typed = _typed(runner, model, messages, tools, params)
    return tools_flow(
        runner.config, typed, max_steps=max_steps, tool_errors=tool_errors, stream=stream
    )


class TypedCompletions:
    """Typed answers on `client.chat.completions`: `parse()` and `run_tools()`."""

    _runner: Runner

    @overload
    def parse(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        response_format: type[T],
        structured: Strategy = "auto",
        max_repairs: int = 1,
        tools: Iterable[Any] | None = None,
        stream: Literal[False] = False,
        **params: Unpack[BaseChatParams],
    ) -> ParsedChatCompletion[T]: ...
    @overload
    def parse(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        response_format: type[T],
        structured: Strategy = "auto",
        max_repairs: int = 1,
        tools: Iterable[Any] | None = None,
        stream: Literal[True],
        **params: Unpack[BaseChatParams],
    ) -> EventStream[ParsedChatCompletion[T]]: ...
    def parse(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        response_format: type[T],
        structured: Strategy = "auto",
        max_repairs: int = 1,
        tools: Iterable[Any] | None = None,
        stream: bool = False,
        **params: Unpack[BaseChatParams],
    ) -> ParsedChatCompletion[T] | EventStream[ParsedChatCompletion[T]]:
        """
        A completion whose `choices[i].message.parsed` is a `response_format` (a pydantic
        model, a dataclass, a `TypedDict`, a list: any type pydantic validates).

        `structured` picks how the answer is asked for: `"json_schema"` (strict
        `response_format`), `"json_object"` (JSON mode, the schema in a system message),
        `"prompt"` (the system message alone), or `"auto"`: the strongest the backend honours,
        remembered per model by this client. A reply that does not validate is asked for again
        with its errors, `max_repairs` times, before `StructuredOutputError`. `tools` (functions,
        pydantic models or tool dicts) are offered too; their calls get `parsed_arguments`.
        With `stream=True`, an `EventStream` of partial answers as the JSON grows.
        """
        flow = _parse_flow(
            self._runner,
            model,
            messages,
            response_format,
            structured,
            max_repairs,
            tools,
            stream,
            params,
        )
        if stream:
            return EventStream.open(self._runner.stream(flow))
        parsed: ParsedChatCompletion[T] = self._runner.run(flow)
        return parsed

    @overload
    def run_tools(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        tools: Iterable[Any],
        max_steps: int = 10,
        tool_errors: ToolErrors = "return",
        stream: Literal[False] = False,
        **params: Unpack[BaseChatParams],
    ) -> ToolRunResult: ...
    @overload
    def run_tools(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        tools: Iterable[Any],
        max_steps: int = 10,
        tool_errors: ToolErrors = "return",
        stream: Literal[True],
        **params: Unpack[BaseChatParams],
    ) -> EventStream[ToolRunResult]: ...
    def run_tools(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        tools: Iterable[Any],
        max_steps: int = 10,
        tool_errors: ToolErrors = "return",
        stream: bool = False,
        **params: Unpack[BaseChatParams],
    ) -> ToolRunResult | EventStream[ToolRunResult]:
        """
        Let the model call `tools` (typed functions, or `function_tool(...)` and
        `pydantic_function_tool(..., function=...)` tools) until it answers without a tool
        call: each call's result, or its error, or why its arguments do not validate, goes
        back to the model. `MaxStepsExceededError` after `max_steps` requests;
        `tool_errors="raise"` raises `ToolExecutionError` when a tool raises. With
        `stream=True`, an `EventStream` of text deltas, tool calls and their results.
        """
        flow = _tools_flow(
            self._runner, model, messages, tools, max_steps, tool_errors, stream, params
        )
        if stream:
            return EventStream.open(self._runner.stream(flow))
        result: ToolRunResult = self._runner.run(flow)
        return result


class AsyncTypedCompletions:
    """Typed answers on `AsyncClient`: as `TypedCompletions`, awaited; tools run concurrently."""

    _runner: AsyncRunner

    @overload
    async def parse(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        response_format: type[T],
        structured: Strategy = "auto",
        max_repairs: int = 1,
        tools: Iterable[Any] | None = None,
        stream: Literal[False] = False,
        **params: Unpack[BaseChatParams],
    ) -> ParsedChatCompletion[T]: ...
    @overload
    async def parse(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        response_format: type[T],
        structured: Strategy = "auto",
        max_repairs: int = 1,
        tools: Iterable[Any] | None = None,
        stream: Literal[True],
        **params: Unpack[BaseChatParams],
    ) -> AsyncEventStream[ParsedChatCompletion[T]]: ...
    async def parse(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        response_format: type[T],
        structured: Strategy = "auto",
        max_repairs: int = 1,
        tools: Iterable[Any] | None = None,
        stream: bool = False,
        **params: Unpack[BaseChatParams],
    ) -> ParsedChatCompletion[T] | AsyncEventStream[ParsedChatCompletion[T]]:
        """A typed answer; as `TypedCompletions.parse`, awaited."""
        flow = _parse_flow(
            self._runner,
            model,
            messages,
            response_format,
            structured,
            max_repairs,
            tools,
            stream,
            params,
        )
        if stream:
            return await AsyncEventStream.open(self._runner.stream(flow))
        parsed: ParsedChatCompletion[T] = await self._runner.run(flow)
        return parsed

    @overload
    async def run_tools(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        tools: Iterable[Any],
        max_steps: int = 10,
        tool_errors: ToolErrors = "return",
        stream: Literal[False] = False,
        **params: Unpack[BaseChatParams],
    ) -> ToolRunResult: ...
    @overload
    async def run_tools(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        tools: Iterable[Any],
        max_steps: int = 10,
        tool_errors: ToolErrors = "return",
        stream: Literal[True],
        **params: Unpack[BaseChatParams],
    ) -> AsyncEventStream[ToolRunResult]: ...
    async def run_tools(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        tools: Iterable[Any],
        max_steps: int = 10,
        tool_errors: ToolErrors = "return",
        stream: bool = False,
        **params: Unpack[BaseChatParams],
    ) -> ToolRunResult | AsyncEventStream[ToolRunResult]:
        """The tool runner; as `TypedCompletions.run_tools`, with parallel calls concurrent."""
        flow = _tools_flow(
            self._runner, model, messages, tools, max_steps, tool_errors, stream, params
        )
        if stream:
            return await AsyncEventStream.open(self._runner.stream(flow))
        result: ToolRunResult = await self._runner.run(flow)
        return result
