"""
Assembling streamed chunks into one `ChatCompletion`.

Rule: this is the only place that knows how deltas combine: content, refusals and legacy `text`
concatenate; tool calls merge by `index`; the last non-null `finish_reason` and `usage` win.
It does no I/O and never raises on odd input: a bad server gets a best-effort completion.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from .types import ChatCompletion, ChatCompletionChunk

__all__ = ["ChatAccumulator"]


class _ToolCall:
    __slots__ = ("arguments", "id", "name", "type")

    def __init__(self) -> None:
        self.id: str | None = None
        self.type: str | None = None
        self.name: list[str] = []
        self.arguments: list[str] = []


class _Choice:
    __slots__ = ("content", "finish_reason", "logprobs", "refusal", "role", "tool_calls")

    def __init__(self) -> None:
        self.role: str | None = None
        self.content: list[str] = []
        self.refusal: list[str] = []
        self.finish_reason: str | None = None
        self.tool_calls: dict[int, _ToolCall] = {}
        self.logprobs: list[Any] | None = None

    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "role": self.role or "assistant",
            "content": "".join(self.content) if self.content or not self.tool_calls else None,
        }
        if self.refusal:
            message["refusal"] = "".join(self.refusal)
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": call.type or "function",
                    "function": {"name": "".join(call.name), "arguments": "".join(call.arguments)},
                }
                for _, call in sorted(self.tool_calls.items())
            ]
        return message


#: How many of the latest chunks an accumulator keeps whole, as JSON, for `chunks` (and so for
#: a stream error's `.chunks`): enough to show what led up to a failure, while what a long
#: stream holds grows only with its content, never with the wire size of every chunk.
KEPT_CHUNKS = 32
#: The fields of the commonest delta, which carries text and nothing else.
_CONTENT_ONLY = frozenset({"content"})


class ChatAccumulator:
    """
    Collects a stream's chunks; read `text`, `chunks`, `count`, `finished` or `completion()` at
    any time.

    Each chunk is folded as it comes (content and arguments joined, the rest kept once), so a
    stream holds its answer's text, not its chunks: 200 streams of 2,000 chunks would otherwise
    keep some 100 MB of JSON alive. Only the last `KEPT_CHUNKS` chunks are kept whole.
    """

    __slots__ = ("_choices", "_first", "_raw", "count", "usage")

    def __init__(self) -> None:
        self.usage: Any = None
        self._choices: dict[int, _Choice] = {}
        self._first: ChatCompletionChunk | None = None
        # JSON, not models: text costs the garbage collector nothing.
        self._raw: deque[str | bytes] = deque(maxlen=KEPT_CHUNKS)
        #: How many chunks were received.
        self.count = 0

    @property
    def chunks(self) -> list[ChatCompletionChunk]:
        """The last `KEPT_CHUNKS` chunks received, oldest first, parsed again from their JSON."""
        return [ChatCompletionChunk.model_validate_json(raw) for raw in self._raw]

    def add(self, chunk: ChatCompletionChunk, raw: str | bytes | None = None) -> None:
        """Fold one chunk in; `raw` is its JSON (kept for `chunks`), made from it if `None`."""
        self._raw.append(chunk.model_dump_json() if raw is None else raw)
        self.count += 1
        if self._first is None:
            self._first = chunk
        if chunk.usage is not None:
            self.usage = chunk.usage
        states = self._choices
        for choice in chunk.choices:  # the common delta (content only) takes the fewest steps
            # The fields from `__dict__`, where pydantic keeps them: one attribute lookup
            # instead of five, each of which goes through BaseModel's `__getattr__` hook.
            fields = choice.__dict__
            index = fields["index"]
            state = states.get(index)
            if state is None:
                state = states[index] = _Choice()
            delta = fields["delta"]
            content = delta.content
            if content:
                state.content.append(content)
            elif fields["text"]:
                state.content.append(fields["text"])
            if delta.__pydantic_fields_set__ != _CONTENT_ONLY:  # one test for four fields
                if delta.role and state.role is None:
                    state.role = delta.role
                if delta.refusal:
                    state.refusal.append(delta.refusal)
                if delta.tool_calls:
                    _merge_tool_calls(state, delta.tool_calls)
                elif delta.function_call is not None:
                    _merge_function_call(state, delta.function_call)
            logprobs = fields["logprobs"]
            if logprobs is not None and logprobs.content:
                if state.logprobs is None:
                    state.logprobs = []
                state.logprobs.extend(logprobs.content)
            finish_reason = fields["finish_reason"]
            if finish_reason is not None:
                state.finish_reason = finish_reason

    @property
    def text(self) -> str:
        """
        The content received so far for the first choice.
        """
        state = self._choices.get(0) or next(iter(self._choices.values()), None)
        return "".join(state.content) if state is not None else ""

    @property
    def finished(self) -> bool:
        """
        Whether every choice seen has a `finish_reason` (false when no choice arrived at all).
        """
        return bool(self._choices) and all(
            state.finish_reason is not None for state in self._choices.values()
        )

    def completion(self) -> ChatCompletion:
        """
        The `ChatCompletion` these chunks add up to (partial if the stream is not finished).
        """
        first = self._first
        choices = []
        for index, state in sorted(self._choices.items()):
            choice: dict[str, Any] = {
                "index": index,
                "message": state.message(),
                "finish_reason": state.finish_reason,
            }
            if state.logprobs is not None:
                choice["logprobs"] = {"content": state.logprobs}
            choices.append(choice)
        return ChatCompletion.model_validate(
            {
                "id": first.id if first else None,
                "object": "chat.completion",
                "created": first.created if first else None,
                "model": first.model if first else None,
                "choices": choices,
                "usage": self.usage,
                "system_fingerprint": first.system_fingerprint if first else None,
                "service_tier": first.service_tier if first else None,
            }
        )


def _merge_tool_calls(state: _Choice, deltas: list[Any]) -> None:
    for delta in deltas:
        call = state.tool_calls.get(delta.index)
        if call is None:
            call = state.tool_calls[delta.index] = _ToolCall()
        if delta.id:
            call.id = delta.id
        if delta.type:
            call.type = delta.type
        function = delta.function
        if function is not None:
            if function.name:
                call.name.append(function.name)
            if function.arguments:
                call.arguments.append(function.arguments)


def _merge_function_call(state: _Choice, function: Any) -> None:
    """
    The legacy `function_call` delta, kept as tool call 0 so callers read one shape.
    """
    call = state.tool_calls.get(0)
    if call is None:
        call = state.tool_calls[0] = _ToolCall()
    if function.name:
        call.name.append(function.name)
    if function.arguments:
        call.arguments.append(function.arguments)
