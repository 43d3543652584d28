"""
The keywords of the chat calls (`create`, `parse`, `run_tools`), and the call they make.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias, TypedDict

import httpx

from .._chat_flow import build_chat_call
from .._constants import NOT_GIVEN
from .._core import Call, Config
from .._inputs import to_timeout
from ..types import (
    AssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionNamedToolChoice,
    ChatCompletionToolParam,
    DeveloperMessageParam,
    ResponseFormat,
    StreamOptions,
    SystemMessageParam,
    ToolMessageParam,
    UserMessageParam,
)

__all__ = ["BaseChatParams", "ChatParams", "MessageParam", "build_call"]

#: A message as a dict (`{"role": "user", "content": "Hi"}`) or as a request model from `types`.
MessageParam: TypeAlias = (
    ChatCompletionMessageParam
    | SystemMessageParam
    | DeveloperMessageParam
    | UserMessageParam
    | AssistantMessageParam
    | ToolMessageParam
)


class BaseChatParams(TypedDict, total=False):
    """
    The optional keywords of every chat call (`create`, `parse`, `run_tools`): the spec's
    request fields, in Python's spelling. Omitted ones take the seed's defaults
    (`frequency_penalty=0`, `max_tokens=4000`, `presence_penalty=0`, `temperature=0.5`,
    `top_p=0.95`).
    """

    persona_id: str | None
    """The service's persona; looked up in the catalog when omitted. An explicit one wins."""
    chat_id: str | None
    """The conversation id; a fresh UUID4 when omitted."""
    frequency_penalty: float
    max_tokens: int
    presence_penalty: float
    temperature: float
    top_p: float
    stop: str | list[str] | None
    n: int | None
    seed: int | None
    user: str | None
    tool_choice: str | ChatCompletionNamedToolChoice | Mapping[str, Any] | None
    parallel_tool_calls: bool | None
    logprobs: bool | None
    top_logprobs: int | None
    stream_options: StreamOptions | Mapping[str, Any] | None
    extra_headers: Mapping[str, str] | None
    """Headers added to this request only."""
    extra_body: Mapping[str, Any] | None
    """JSON fields merged into the body unvalidated: for fields the spec does not know yet."""
    timeout: float | httpx.Timeout | None
    """This request's timeout instead of the client's; `None` turns it off."""
    first_chunk_timeout: float | None
    """This request's `first_chunk_timeout` (see `ClientOptions`); `None` turns it off."""
    stream_idle_timeout: float | None
    """This request's `stream_idle_timeout` (see `ClientOptions`); `None` turns it off."""


class ChatParams(BaseChatParams, total=False):
    """The keywords of `create()`: `BaseChatParams`, and the wire's answer format and tools."""

    response_format: ResponseFormat | Mapping[str, Any] | None
    tools: Iterable[ChatCompletionToolParam | Mapping[str, Any]] | None


_LIMITS = ("first_chunk_timeout", "stream_idle_timeout")
_CALL_KEYS = ("persona_id", "chat_id", "extra_headers", "extra_body", "timeout", *_LIMITS)


def build_call(
    config: Config,
    model: str,
    messages: Iterable[MessageParam],
    stream: bool,
    params: Mapping[str, Any],
) -> Call:
    """The call for a chat request, from `create()`'s arguments."""
    timeout = params.get("timeout", NOT_GIVEN)
    body = {k: v for k, v in params.items() if k not in _CALL_KEYS}
    if isinstance(body.get("tools"), Iterable):
        body["tools"] = list(body["tools"])
    call = build_chat_call(
        config,
        model=model,
        messages=messages,
        stream=stream,
        persona_id=params.get("persona_id"),
        chat_id=params.get("chat_id"),
        params=body,
        extra_headers=params.get("extra_headers"),
        extra_body=params.get("extra_body"),
        timeout=to_timeout(timeout),
    )
    limits = {k: params[k] for k in _LIMITS if k in params}
    return dataclasses.replace(call, **limits) if limits else call
