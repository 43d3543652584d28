"""
Typed answers: generic subclasses of the generated response models, and the events of a typed
stream. Hand-written, because they add a Python type parameter that no wire spec carries; their
wire fields all come from the generated parents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from ._generated import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    FunctionCall,
)

__all__ = [
    "AttemptEvent",
    "ContentDeltaEvent",
    "ContentDoneEvent",
    "ParsedChatCompletion",
    "ParsedChatCompletionMessage",
    "ParsedChoice",
    "ParsedFunction",
    "ParsedFunctionToolCall",
    "StreamEvent",
    "ToolCallArgumentsDeltaEvent",
    "ToolCallDoneEvent",
    "ToolResultEvent",
    "ToolRunResult",
]

ContentT = TypeVar("ContentT")


class ParsedFunction(FunctionCall):
    """A tool call's function, with `parsed_arguments` validated by the tool's schema."""

    parsed_arguments: object = None


class ParsedFunctionToolCall(ChatCompletionMessageToolCall):
    """A tool call whose `function.parsed_arguments` holds the tool's arguments model."""

    function: ParsedFunction


class ParsedChatCompletionMessage(ChatCompletionMessage, Generic[ContentT]):
    """An assistant message; `parsed` is its content as the asked type (`None` on a refusal)."""

    parsed: ContentT | None = None
    tool_calls: list[ParsedFunctionToolCall] | None = None  # type: ignore[assignment]


class ParsedChoice(ChatCompletionChoice, Generic[ContentT]):
    """A choice whose message is parsed."""

    message: ParsedChatCompletionMessage[ContentT]


class ParsedChatCompletion(ChatCompletion, Generic[ContentT]):
    """
    A `ChatCompletion` whose `choices[i].message.parsed` is the answer as the asked type.
    """

    choices: list[ParsedChoice[ContentT]]  # type: ignore[assignment]


@dataclass(frozen=True)
class ContentDeltaEvent:
    """
    More content arrived. `parsed` is the snapshot validated as partial JSON (the last one that
    validated, `None` before any did); `partial` is the snapshot's JSON as far as it went. Both
    are brought up to date at most once per network read, as the snapshot grows.
    """

    delta: str
    snapshot: str
    parsed: Any = None
    partial: Any = None
    type: Literal["content.delta"] = "content.delta"


@dataclass(frozen=True)
class ContentDoneEvent(Generic[ContentT]):
    """The content is complete; `parsed` is the validated answer (`None` for plain text)."""

    content: str
    parsed: ContentT | None = None
    type: Literal["content.done"] = "content.done"


@dataclass(frozen=True)
class ToolCallArgumentsDeltaEvent:
    """More arguments of tool call `index` arrived; `partial` is them as partial JSON."""

    index: int
    name: str
    arguments_delta: str
    arguments: str
    partial: Any = None
    type: Literal["tool_calls.function.arguments.delta"] = "tool_calls.function.arguments.delta"


@dataclass(frozen=True)
class ToolCallDoneEvent:
    """A tool call is complete; `parsed_arguments` is `None` when its arguments do not validate."""

    index: int
    id: str | None
    name: str
    arguments: str
    parsed_arguments: Any = None
    type: Literal["tool_calls.function.arguments.done"] = "tool_calls.function.arguments.done"


@dataclass(frozen=True)
class ToolResultEvent:
    """The tool runner ran a tool (or refused its arguments); `content` goes back to the model."""

    tool_call_id: str
    name: str
    content: str
    is_error: bool = False
    type: Literal["tool.result"] = "tool.result"


@dataclass(frozen=True)
class AttemptEvent:
    """
    The answer is asked for again (`reason`: a fallback to `strategy`, or a repair); the events
    that follow belong to the new attempt.
    """

    strategy: str
    reason: str
    type: Literal["attempt"] = "attempt"


StreamEvent = (
    ContentDeltaEvent
    | ContentDoneEvent[Any]
    | ToolCallArgumentsDeltaEvent
    | ToolCallDoneEvent
    | ToolResultEvent
    | AttemptEvent
)


@dataclass
class ToolRunResult:
    """
    What `run_tools` ends with: the final `completion` (its tool calls parsed), the whole
    conversation as `messages` (the request's, then each reply and tool result), and `steps`,
    the number of requests it took.
    """

    completion: ParsedChatCompletion[None]
    messages: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 0

    @property
    def content(self) -> str | None:
        """The final answer's text."""
        return self.completion.choices[0].message.content if self.completion.choices else None
