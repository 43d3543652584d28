"""
Chat completions: the request body, and the flow of a whole call.

Rule: a `stream=False` answer is read whole inside the retry scope (nothing of it reached the
user, so a drop is retried); a stream is retried only until its first chunk (see
`_core.retrying`), and everything after it is final: an error then carries what was received,
and text is never repeated or dropped. Reading an answer is `_chat_read`'s. No I/O here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import httpx

from ._accumulate import ChatAccumulator
from ._chat_read import open_answer, parse_completion, read_whole
from ._core import (
    Attempts,
    Call,
    Config,
    Flow,
    LastHandOver,
    Ready,
    retrying,
)
from ._exceptions import InvalidInputError
from ._json import build_json_call
from ._meta import attach
from .types import ChatCompletion, ChatCompletionChunk, ChatCompletionRequest

__all__ = ["build_chat_call", "chat_flow", "parse_completion"]

log = logging.getLogger("amigochat_sdk")


def build_chat_call(
    config: Config,
    *,
    model: str,
    messages: Iterable[Any],
    stream: bool,
    persona_id: str | None,
    chat_id: str | None,
    params: Mapping[str, Any],
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
    timeout: httpx.Timeout | None,
) -> Call:
    """
    Validate the user's arguments against the spec's request model and build the call.
    """
    if isinstance(messages, (str, bytes, Mapping)):
        # `list()` would make a string into letters and a dict into its keys.
        raise InvalidInputError("messages must be a list of messages, not a single value")
    body: dict[str, Any] = {
        "messages": messages if isinstance(messages, list) else list(messages),
        "model": model,
        "stream": stream,
        **{k: v for k, v in params.items() if v is not None},
    }
    if chat_id:
        body["chatId"] = chat_id
    return build_json_call(
        config,
        "/chat/completions",
        ChatCompletionRequest,
        body,
        kind="chat",
        persona_id=persona_id,
        extra_headers=extra_headers,
        extra_body=extra_body,
        timeout=timeout,
        accept="text/event-stream" if stream else "application/json",
    )


def _as_chunk(completion: ChatCompletion) -> ChatCompletionChunk:
    """One chunk carrying a whole completion, for a JSON answer to `stream=True`."""
    choices = []
    for choice in completion.choices:
        message = choice.message
        delta: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.refusal is not None:
            delta["refusal"] = message.refusal
        if message.tool_calls:
            delta["tool_calls"] = [
                {"index": i, **call.model_dump(exclude_none=True)}
                for i, call in enumerate(message.tool_calls)
            ]
        choices.append(
            {"index": choice.index, "delta": delta, "finish_reason": choice.finish_reason}
        )
    return ChatCompletionChunk.model_validate(
        {
            **completion.model_dump(exclude={"choices", "object"}),
            "object": "chat.completion.chunk",
            "choices": choices,
        }
    )


def chat_flow(config: Config, call: Call, stream: bool) -> Flow[Any]:
    """
    The whole chat call. Without `stream`, returns the assembled `ChatCompletion`. With it,
    yields `Ready`, then each read's chunks as a `HandOver` (the driver hands them over, then
    replies with the next bytes of the body) or, last of all, as a `LastHandOver`.
    """
    attempts = Attempts(config, call)
    if not stream:
        completion = yield from retrying(attempts, lambda response: read_whole(response, attempts))
        return attach(completion, attempts.info())
    opened = yield from retrying(attempts, lambda response: open_answer(response, attempts))
    if isinstance(opened, ChatCompletion):
        acc = ChatAccumulator()
        assert attempts.last_response is not None  # set by `retrying` before any read
        yield Ready(attempts.last_response, acc, attempts.info())
        whole = _as_chunk(opened)
        acc.add(whole)
        yield LastHandOver((whole,))
        return opened
    yield Ready(opened.response, opened.acc, attempts.info())
    yield from opened.run(stream=True, first=False)
    return (yield from opened.finish(stream=True))
