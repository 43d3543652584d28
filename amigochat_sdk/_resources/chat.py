"""
`client.chat.completions.create(...)`: argument handling only; the flow decides the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, Literal, overload

from typing_extensions import Unpack

from .._chat_flow import chat_flow
from .._core import Config, Flow
from .._drivers import AsyncRunner, Runner
from .._streaming import AsyncStream, Stream
from ..types import ChatCompletion, ChatCompletionChunk
from .params import ChatParams, MessageParam, build_call
from .raw import araw, raw
from .typed import AsyncTypedCompletions, TypedCompletions

__all__ = ["AsyncChat", "AsyncCompletions", "Chat", "Completions"]


def _call(
    config: Config,
    model: str,
    messages: Iterable[MessageParam],
    stream: bool,
    params: Mapping[str, Any],
) -> Flow[Any]:
    return chat_flow(config, build_call(config, model, messages, stream, params), stream)


class Completions(TypedCompletions):
    """`client.chat.completions`."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner

    @cached_property
    def with_raw_response(self) -> CompletionsWithRawResponse:
        """The same calls, each returning a `RawResponse` (headers, request id, retries)."""
        return CompletionsWithRawResponse(self)

    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        stream: Literal[False] = False,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion: ...
    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        stream: Literal[True],
        **params: Unpack[ChatParams],
    ) -> Stream[ChatCompletionChunk]: ...
    @overload
    def create(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        stream: bool,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion | Stream[ChatCompletionChunk]: ...
    def create(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        stream: bool = False,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion | Stream[ChatCompletionChunk]:
        """
        Create a chat completion. With `stream=True`, a `Stream` of chunks; else the whole
        `ChatCompletion`, whatever shape the service answered in. See `ChatParams` for the
        other keywords.
        """
        runner = self._runner
        flow = _call(runner.config, model, messages, stream, params)
        if stream:
            return Stream.open(runner.stream(flow, result=False))
        completion: ChatCompletion = runner.run(flow)
        return completion


class AsyncCompletions(AsyncTypedCompletions):
    """`client.chat.completions` on `AsyncClient`."""

    def __init__(self, runner: AsyncRunner) -> None:
        self._runner = runner

    @cached_property
    def with_raw_response(self) -> AsyncCompletionsWithRawResponse:
        """The same calls, each returning a `RawResponse` (headers, request id, retries)."""
        return AsyncCompletionsWithRawResponse(self)

    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        stream: Literal[False] = False,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion: ...
    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        stream: Literal[True],
        **params: Unpack[ChatParams],
    ) -> AsyncStream[ChatCompletionChunk]: ...
    @overload
    async def create(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        stream: bool,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]: ...
    async def create(
        self,
        *,
        model: str,
        messages: Iterable[MessageParam],
        stream: bool = False,
        **params: Unpack[ChatParams],
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """
        Create a chat completion; as `Completions.create`, awaited.
        """
        runner = self._runner
        flow = _call(runner.config, model, messages, stream, params)
        if stream:
            return await AsyncStream.open(runner.stream(flow, result=False))
        completion: ChatCompletion = await runner.run(flow)
        return completion


class CompletionsWithRawResponse:
    """`client.chat.completions.with_raw_response`."""

    def __init__(self, completions: Completions) -> None:
        self.create = raw(completions.create)
        self.parse = raw(completions.parse)


class AsyncCompletionsWithRawResponse:
    """`client.chat.completions.with_raw_response` on `AsyncClient`."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = araw(completions.create)
        self.parse = araw(completions.parse)


class Chat:
    """`client.chat`."""

    def __init__(self, runner: Runner) -> None:
        self.completions = Completions(runner)


class AsyncChat:
    """`client.chat` on `AsyncClient`."""

    def __init__(self, runner: AsyncRunner) -> None:
        self.completions = AsyncCompletions(runner)
