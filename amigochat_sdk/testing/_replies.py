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

JSON answers, tool calls and answers to tool results follow `_typed.py`; the fault's answer
directives (`_faults.py`) act here too. A choice that calls tools has no content; with several
tools each is one call of a parallel batch, streamed in pieces by index.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amigochat_sdk.types import (
    ChatCompletion,
    ChatCompletionChoice,
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChatCompletionMessage,
    ChatCompletionMessageToolCall,
    ChatCompletionRequest,
    ChoiceDelta,
    ChoiceDeltaFunctionCall,
    ChoiceDeltaToolCall,
    CompletionUsage,
    FunctionCall,
)

from ._faults import Fault
from ._typed import json_answer, text_of, tool_calls, tool_results_text

__all__ = ["MAX_PIECES", "REFUSAL", "Draft", "completion", "draft", "reply_text", "stream_chunks"]

REFUSAL = "I can't help with that."
MAX_PIECES = 4096
_WORD = re.compile(r"\S+")
FINGERPRINT = "fp_amigochat_reference"


@dataclass(frozen=True)
class Draft:
    """
    What the server will answer, before it is shaped as a completion or as chunks.
    `texts` and `finish_reasons` have one entry per choice; `calls` are the `(name, arguments)`
    of the tool calls every choice makes, if any; `refusal`, when set, replaces the content.
    """

    texts: tuple[str, ...]
    calls: tuple[tuple[str, str], ...]
    finish_reasons: tuple[str, ...]
    usage: CompletionUsage
    refusal: str | None = None


def _said(request: ChatCompletionRequest) -> str:
    return next((text_of(m.content) for m in reversed(request.messages) if m.role == "user"), "")


def reply_text(request: ChatCompletionRequest) -> str:
    """
    The reply to a conversation, before `max_tokens`, `stop` and the `[i] ` prefix.
    """
    return (
        f'You said: "{_said(request)}". This conversation has {len(request.messages)} message(s).'
    )


def _cut(text: str, request: ChatCompletionRequest) -> tuple[str, str]:
    stops = [request.stop] if isinstance(request.stop, str) else request.stop or []
    cuts = [text.find(stop) for stop in stops if stop and stop in text]
    if cuts:
        text = text[: min(cuts)]
    words = list(_WORD.finditer(text))
    if len(words) > request.max_tokens:
        return text[: words[request.max_tokens - 1].end()], "length"
    return text, "stop"


def _usage(prompt: int, completion_tokens: int) -> CompletionUsage:
    return CompletionUsage(
        prompt_tokens=prompt,
        completion_tokens=completion_tokens,
        total_tokens=prompt + completion_tokens,
    )


def draft(request: ChatCompletionRequest, fault: Fault | None = None) -> Draft:
    """
    Decide the answer to a validated request (and the answer directives of its `fault`).
    """
    fault = fault or Fault()
    n = request.n or 1
    prompt = sum(len(text_of(m.content).split()) for m in request.messages)
    said = _said(request)
    calls = tool_calls(request, fault, said)
    if calls:
        reason = fault.finish or "tool_calls"
        if reason == "length":
            calls = [(name, arguments[: len(arguments) // 2]) for name, arguments in calls]
        tokens = n * sum(len(arguments.split()) for _, arguments in calls)
        return Draft(("",) * n, tuple(calls), (reason,) * n, _usage(prompt, tokens))
    if fault.refuse:
        tokens = n * len(REFUSAL.split())
        return Draft(("",) * n, (), (fault.finish or "stop",) * n, _usage(prompt, tokens), REFUSAL)
    answer = tool_results_text(request) or json_answer(request, fault, said)
    texts, reasons = [], []
    for index in range(n):
        if answer is None:
            prefix = f"[{index}] " if n > 1 else ""
            text, reason = _cut(prefix + reply_text(request), request)
        else:
            text, reason = _cut(answer, request)
        if fault.finish is not None:
            reason = fault.finish
            text = text[: len(text) // 2] if reason == "length" else text
        texts.append(text)
        reasons.append(reason)
    tokens = sum(len(text.split()) for text in texts)
    return Draft(tuple(texts), (), tuple(reasons), _usage(prompt, tokens))


def _call_id(draft: Draft, index: int, k: int) -> str:
    return f"call_{index * len(draft.calls) + k + 1}"


def completion(draft: Draft, *, id: str, created: int, model: str) -> ChatCompletion:
    """
    The answer as a `chat.completion`.
    """
    choices = []
    for index, text in enumerate(draft.texts):
        if draft.calls:
            calls = [
                ChatCompletionMessageToolCall(
                    id=_call_id(draft, index, k),
                    type="function",
                    function=FunctionCall(name=name, arguments=arguments),
                )
                for k, (name, arguments) in enumerate(draft.calls)
            ]
            message = ChatCompletionMessage(role="assistant", content=None, tool_calls=calls)
        elif draft.refusal is not None:
            message = ChatCompletionMessage(role="assistant", content=None, refusal=draft.refusal)
        else:
            message = ChatCompletionMessage(role="assistant", content=text, refusal=None)
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
    if not draft.calls:
        return ChoiceDelta(role="assistant", content="")
    calls = [
        ChoiceDeltaToolCall(
            index=k,
            id=_call_id(draft, index, k),
            type="function",
            function=ChoiceDeltaFunctionCall(name=name, arguments=""),
        )
        for k, (name, _) in enumerate(draft.calls)
    ]
    return ChoiceDelta(role="assistant", content=None, tool_calls=calls)


def _deltas(draft: Draft, text: str, size: int) -> list[ChoiceDelta]:
    if draft.calls:
        return [
            ChoiceDelta(
                tool_calls=[
                    ChoiceDeltaToolCall(index=k, function=ChoiceDeltaFunctionCall(arguments=piece))
                ]
            )
            for k, (_, arguments) in enumerate(draft.calls)
            for piece in _pieces(arguments, size)
        ]
    if draft.refusal is not None:
        return [ChoiceDelta(refusal=piece) for piece in _pieces(draft.refusal, size)]
    return [ChoiceDelta(content=piece) for piece in _pieces(text, size)]


def stream_chunks(
    draft: Draft, *, id: str, created: int, model: str, chunk_size: int, include_usage: bool
) -> list[ChatCompletionChunk]:
    """
    The answer as `chat.completion.chunk`s: for each choice in turn a role chunk, then the
    content (or refusal, or each tool call's arguments in turn) in `chunk_size` pieces,
    interleaved by choice, then a finish chunk with an empty delta; then, if asked, a usage
    chunk with no choices.
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
    pieces = [_deltas(draft, text, chunk_size) for text in draft.texts]
    chunks = [choice(i, _first_delta(draft, i), None) for i in range(n)]
    for step in range(max(len(p) for p in pieces)):
        chunks += [choice(i, p[step], None) for i, p in enumerate(pieces) if step < len(p)]
    chunks += [choice(i, ChoiceDelta(), draft.finish_reasons[i]) for i in range(n)]
    if include_usage:
        chunks.append(chunk([], draft.usage))
    return chunks
