"""
The events of a typed stream, made from the chunks a chat flow hands over.

Rule: a `StreamView` sees each batch of chunks once (through `_relay.relay`) and turns the first
choice's content and tool-call deltas into events; partial answers come from pydantic's partial
JSON validation (`AnswerType.partial`), never from a parser of our own. Validating the whole
snapshot is the cost, so it happens at most once a batch (a network read), and only once the
snapshot grew by a 32nd since the last time: O(n) in all, not O(n²). No I/O.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pydantic_core

from ._accumulate import ChatAccumulator
from ._core import Ready
from ._meta import ResponseInfo, attach
from ._schema import AnswerType
from ._tools import Toolbox
from .types import (
    ChatCompletion,
    ChatCompletionChunk,
    ContentDeltaEvent,
    ToolCallArgumentsDeltaEvent,
    ToolCallDoneEvent,
)

__all__ = ["StreamView"]


class StreamView:
    """
    Watches one streamed attempt: hands over `Ready` only if `show_ready` (the first attempt
    of a stream), and every batch of chunks as a batch of events.
    """

    def __init__(
        self, answer: AnswerType[Any] | None, toolbox: Toolbox | None, show_ready: bool
    ) -> None:
        self.answer, self.toolbox, self.show_ready = answer, toolbox, show_ready
        self.acc: ChatAccumulator | None = None
        self.info: ResponseInfo | None = None
        self.snapshot = ""
        self.parsed: Any = None
        self.partial: Any = None
        self._validated = 0  # the snapshot's length when it was last validated
        self.calls: dict[int, list[str]] = {}  # index -> [name, arguments]

    def __call__(self, item: Any) -> Any:
        if type(item) is Ready:
            self.acc, self.info = item.state, item.info
            return item if self.show_ready else None
        events: list[Any] = []
        for chunk in item:
            self._events(chunk, events)
        size = len(self.snapshot)
        if self.answer is not None and size - self._validated > self._validated // 32:
            self._validated = size
            parsed, self.partial = self.answer.partial(self.snapshot)
            if parsed is not None:
                self.parsed = parsed
            last = max(i for i, e in enumerate(events) if isinstance(e, ContentDeltaEvent))
            events[last] = dataclasses.replace(
                events[last], parsed=self.parsed, partial=self.partial
            )
        return type(item)(events)

    def _events(self, chunk: ChatCompletionChunk, events: list[Any]) -> None:
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            text = delta.content or choice.text
            if text:
                self.snapshot += text
                events.append(ContentDeltaEvent(text, self.snapshot, self.parsed, self.partial))
            for call in delta.tool_calls or ():
                state = self.calls.setdefault(call.index, ["", ""])
                function = call.function
                if function is None:
                    continue
                state[0] += function.name or ""
                if function.arguments:
                    state[1] += function.arguments
                    events.append(
                        ToolCallArgumentsDeltaEvent(
                            call.index, state[0], function.arguments, state[1], _partial(state[1])
                        )
                    )

    def completion(self) -> ChatCompletion:
        """The attempt's answer, assembled from its chunks."""
        assert self.acc is not None and self.info is not None  # a stream opens with Ready
        return attach(self.acc.completion(), self.info)

    def tool_calls_done(self, completion: ChatCompletion) -> list[ToolCallDoneEvent]:
        """One event per tool call of the first choice, with its parsed arguments."""
        if not completion.choices:
            return []
        calls = completion.choices[0].message.tool_calls or []
        toolbox = self.toolbox
        return [
            ToolCallDoneEvent(
                index,
                call.id,
                call.function.name,
                call.function.arguments,
                toolbox.parse(call.function.name, call.function.arguments) if toolbox else None,
            )
            for index, call in enumerate(calls)
        ]


def _partial(arguments: str) -> Any:
    try:
        return pydantic_core.from_json(arguments, allow_partial="trailing-strings")
    except ValueError:
        return None
