"""
Deterministic chat replies, built as the generated response models so they cannot drift from the
spec.

Rule: pure functions of the validated request; no I/O, no clock (the caller passes `created`).

The reply to a conversation is `You said: "<last user text>". This conversation has <N>
message(s).`, where the user text joins the text parts of list content with a space. With `n > 1`
each choice is prefixed `[i] `. Tokens are words (`str.split`): prompt tokens count every
message's text, completion tokens every choice's reply. `max_tokens` cuts the reply to that many
words (`finish_reason: "length"`); `stop` cuts it before the first stop sequence. A stream sends
each choice's text in `chunk_size` pieces, but in no more than `MAX_PIECES` pieces: a longer
text gets longer ones.

Tool calls: with `tools`, a `tool_choice` other than `none`, and a last message from the user that
says "weather" (or `tool_choice: "required"` or a named function), each choice calls the chosen
tool (the named one, else the first) with `{"city": "Paris"}`, streamed in pieces by index.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from amigochat_sdk.types import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    ChatCompletionNamedToolChoice,
    ChatCompletionRequest,
    ChoiceDelta,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    CompletionUsage,
    FunctionCall,
    TextContentPart,
)

__all__ = [
    "MAX_PIECES",
    "TOOL_ARGUMENTS",
    "Draft",
    "completion",
    "draft",
    "reply_text",
    "stream_chunks",
]

TOOL_ARGUMENTS = '{"city": "Paris"}'
MAX_PIECES = 4096
_WEATHER = re.compile(r"\bweather\b", re.IGNORECASE)
_WORD = re.compile(r"\S+")
FINGERPRINT = "fp_amigochat_reference"


@dataclass(frozen=True)
class Draft:
    """
    What the server will answer, before it is shaped as a completion or as chunks.
    `texts` and `finish_reasons` have one entry per choice; `tool` names the function that every
    choice calls, if any.
    """

    texts: tuple[str, ...]
    tool: str | None
    finish_reasons: tuple[str, ...]
    usage: CompletionUsage


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(part.text for part in content if isinstance(part, TextContentPart))
    return ""


def reply_text(request: ChatCompletionRequest) -> str:
    """
    The reply to a conversation, before `max_tokens`, `stop` and the `[i] ` prefix.
    """
    said = next((_text(m.content) for m in reversed(request.messages) if m.role == "user"), "")
    return f'You said: "{said}". This conversation has {len(request.messages)} message(s).'


def _tool(request: ChatCompletionRequest) -> str | None:
    if not request.tools or request.tool_choice == "none":
        return None
    names = [tool.function.name for tool in request.tools]
    choice = request.tool_choice
    if isinstance(choice, ChatCompletionNamedToolChoice):
        return choice.function.name if choice.function.name in names else names[0]
    last = request.messages[-1]
    if choice == "required" or (last.role == "user" and _WEATHER.search(_text(last.content))):
        return names[0]
    return None


def _cut(text: str, request: ChatCompletionRequest) -> tuple[str, str]:
    stops = [request.stop] if isinstance(request.stop, str) else request.stop or []
    cuts = [text.find(stop) for stop in stops if stop and stop in text]
    if cuts:
        text = text[: min(cuts)]
    words = list(_WORD.finditer(text))
    if len(words) > request.max_tokens:
        return text[: words[request.max_tokens - 1].end()], "length"
    return text, "stop"


def draft(request: ChatCompletionRequest) -> Draft:
    """
    Decide the answer to a validated request.
    """
    n = request.n or 1
    prompt = sum(len(_text(m.content).split()) for m in request.messages)
    tool = _tool(request)
    if tool is not None:
        completion_tokens = n * len(TOOL_ARGUMENTS.split())
        usage = CompletionUsage(
            prompt_tokens=prompt,
            completion_tokens=completion_tokens,
            total_tokens=prompt + completion_tokens,
        )
        return Draft(("",) * n, tool, ("tool_calls",) * n, usage)
    texts, reasons = [], []
    for index in range(n):
        prefix = f"[{index}] " if n > 1 else ""
        text, reason = _cut(prefix + reply_text(request), request)
        texts.append(text)
        reasons.append(reason)
    completion_tokens = sum(len(text.split()) for text in texts)
    usage = CompletionUsage(
        prompt_tokens=prompt,
        completion_tokens=completion_tokens,
        total_tokens=prompt + completion_tokens,
    )
    return Draft(tuple(texts), None, tuple(reasons), usage)


def _call_id(index: int) -> str:
    return f"call_{index + 1}"


def completion(draft: Draft, *, id: str, created: int, model: str) -> ChatCompletion:
    """
    The answer as a `chat.completion`.
    """
    choices = []
    for index, text in enumerate(draft.texts):
        if draft.tool is None:
            message = ChatCompletionMessage(role="assistant", content=text, refusal=None)
        else:
            call = ChatCompletionMessageToolCall(
                id=_call_id(index),
                type="function",
                function=FunctionCall(name=draft.tool, arguments=TOOL_ARGUMENTS),
            )
            message = ChatCompletionMessage(role="assistant", content=None, tool_calls=[call])
        choices.append(
            ChatCompletionChoice(
                index=index,
                message=message,
                logprobs=None,
                finish_reason=draft.finish_reasons[index],
            )
        )
    return ChatCompletion(
        id=id,
        object="chat.completion",
        created=created,
        model=model,
        choices=choices,
        usage=draft.usage,
        system_fingerprint=FINGERPRINT,
    )


def _pieces(text: str, size: int) -> list[str]:
    # Bigger pieces for a long reply, so a stream's memory grows with its text, not with a
    # chunk object per few characters (a 1 MB message echoed in 4-character chunks took 850 MB).
    size = max(size, -(-len(text) // MAX_PIECES))
    return [text[i : i + size] for i in range(0, len(text), size)]


def _first_delta(draft: Draft, index: int) -> ChoiceDelta:
    if draft.tool is None:
        return ChoiceDelta(role="assistant", content="")
    call = ChoiceDeltaToolCall(
        index=0,
        id=_call_id(index),
        type="function",
        function=ChoiceDeltaFunctionCall(name=draft.tool, arguments=""),
    )
    return ChoiceDelta(role="assistant", content=None, tool_calls=[call])


def _delta(draft: Draft, piece: str) -> ChoiceDelta:
    if draft.tool is None:
        return ChoiceDelta(content=piece)
    function = ChoiceDeltaFunctionCall(arguments=piece)
    return ChoiceDelta(tool_calls=[ChoiceDeltaToolCall(index=0, function=function)])


def stream_chunks(
    draft: Draft, *, id: str, created: int, model: str, chunk_size: int, include_usage: bool
) -> list[ChatCompletionChunk]:
    """
    The answer as `chat.completion.chunk`s: for each choice in turn a role chunk, then the content
    (or tool arguments) in `chunk_size` pieces, interleaved by choice, then a finish chunk with an
    empty delta; then, if asked, a usage chunk with no choices.
    """

    def chunk(
        choices: list[ChatCompletionChunkChoice], usage: CompletionUsage | None = None
    ) -> ChatCompletionChunk:
        made = ChatCompletionChunk(
            id=id,
            object="chat.completion.chunk",
            created=created,
            model=model,
            system_fingerprint=FINGERPRINT,
            choices=choices,
        )
        if usage is not None:
            made.usage = usage  # assigned, so it counts as set and is sent
        return made

    def choice(index: int, delta: ChoiceDelta, reason: str | None) -> ChatCompletionChunk:
        return chunk([ChatCompletionChunkChoice(index=index, delta=delta, finish_reason=reason)])

    n = len(draft.texts)
    pieces = [_pieces(TOOL_ARGUMENTS if draft.tool else text, chunk_size) for text in draft.texts]
    chunks = [choice(i, _first_delta(draft, i), None) for i in range(n)]
    for step in range(max(len(p) for p in pieces)):
        chunks += [
            choice(i, _delta(draft, p[step]), None) for i, p in enumerate(pieces) if step < len(p)
        ]
    chunks += [choice(i, ChoiceDelta(), draft.finish_reasons[i]) for i in range(n)]
    if include_usage:
        chunks.append(chunk([], draft.usage))
    return chunks
