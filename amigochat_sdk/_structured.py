"""
Structured outputs: ask for an answer of a type, by the strongest way the backend honours, and
repair a reply that does not validate. A flow made of chat flows (`_chat_flow.chat_flow`), so
both clients run it, streamed or not.

Rule: the strategies are tried strongest first (`json_schema`, then `json_object`, then
`prompt`); `auto` moves to the next one when the backend refuses a strategy (a 4xx naming the
parameter) or ignores it (the reply is not JSON at all), and remembers per model, in the
client's `learned` dict, the one that worked. A reply that is JSON but does not validate is
repaired (asked again with the errors) up to `max_repairs` times. No I/O.
"""

from __future__ import annotations

import json
from collections.abc import Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pydantic

from ._chat_flow import chat_flow
from ._core import Call, Config, Flow
from ._exceptions import (
    APIStatusError,
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    StructuredOutputError,
)
from ._meta import attach, response_info
from ._relay import relay
from ._schema import AnswerType, extract_json
from ._tools import Toolbox
from ._views import StreamView
from .types import AttemptEvent, ChatCompletion, ContentDoneEvent, ParsedChatCompletion

__all__ = [
    "STRATEGIES",
    "Strategy",
    "TypedCall",
    "check_finish",
    "message_dict",
    "structured_flow",
    "to_parsed",
]

Strategy = Literal["auto", "json_schema", "json_object", "prompt"]
STRATEGIES: tuple[str, ...] = ("json_schema", "json_object", "prompt")
_NOT_REFUSALS = (401, 403, 404, 408, 409, 429)
_PARAMETER_WORDS = ("response_format", "json_schema", "json_object", "structured output")


@dataclass(frozen=True)
class TypedCall:
    """
    A typed call as the user asked for it: the model, the messages, the tools, and `build`,
    which makes each request's `Call` from its messages, `response_format` and `stream`.
    """

    model: str
    messages: Sequence[Any]
    build: Callable[[list[Any], Any, bool], Call]
    toolbox: Toolbox | None = None


def message_dict(message: Any) -> Any:
    """A message as the user gave it, or a request model's message as a dict."""
    if isinstance(message, pydantic.BaseModel):
        return message.model_dump(exclude_none=True)
    return message


def check_finish(completion: ChatCompletion) -> None:
    """Raise for a reply that was cut or filtered: it holds no whole answer to parse."""
    for choice in completion.choices:
        if choice.finish_reason == "length":
            message = 'The reply was cut (finish_reason "length"): raise max_tokens'
            raise LengthFinishReasonError(message, completion=completion)
        if choice.finish_reason == "content_filter":
            message = 'The content filter stopped the reply (finish_reason "content_filter")'
            raise ContentFilterFinishReasonError(message, completion=completion)


def to_parsed(
    completion: ChatCompletion, values: Sequence[Any], toolbox: Toolbox | None
) -> ParsedChatCompletion[Any]:
    """`completion` with each choice's `parsed` value and each tool call's `parsed_arguments`."""
    data = completion.model_dump()
    for choice, value in zip(data["choices"], values, strict=False):
        message = choice["message"]
        message["parsed"] = value
        for call in message.get("tool_calls") or ():
            function = call["function"]
            parsed = toolbox.parse(function["name"], function["arguments"]) if toolbox else None
            function["parsed_arguments"] = parsed
    parsed = ParsedChatCompletion[Any].model_validate(data)
    info = response_info(completion)
    return parsed if info is None else attach(parsed, info)


def _refused(exc: APIStatusError) -> bool:
    """Whether a backend refused the strategy: a 4xx that names the parameter."""
    if not 400 <= exc.status_code < 500 or exc.status_code in _NOT_REFUSALS:
        return False
    text = f"{exc.message} {json.dumps(exc.body, default=str)}".lower()
    return any(word in text for word in _PARAMETER_WORDS)


def _order(strategy: Strategy, learned: str | None) -> list[str]:
    if strategy != "auto":
        return [strategy]
    return list(STRATEGIES[STRATEGIES.index(learned) if learned in STRATEGIES else 0 :])


def _request(
    typed: TypedCall, answer: AnswerType[Any], strategy: str, extra: list[Any], stream: bool
) -> Call:
    messages = [message_dict(m) for m in typed.messages]
    if strategy == "json_schema":
        return typed.build(messages + extra, answer.response_format(), stream)
    instructions = {"role": "system", "content": answer.instructions()}
    response_format = {"type": "json_object"} if strategy == "json_object" else None
    return typed.build([instructions, *messages, *extra], response_format, stream)


@dataclass
class _Failure:
    raw: str
    errors: list[Any]
    is_json: bool


def _check(
    completion: ChatCompletion, answer: AnswerType[Any]
) -> tuple[list[Any], _Failure | None]:
    """Each choice's answer, or the first choice's failure to give one."""
    values: list[Any] = []
    for choice in completion.choices:
        message = choice.message
        if message.refusal is not None or message.tool_calls:
            values.append(None)
            continue
        raw = message.content or ""
        try:
            values.append(answer.validate(raw))
        except pydantic.ValidationError as exc:
            errors = exc.errors(include_url=False)
            is_json = extract_json(raw)[:1] in ("{", "[")
            return values, _Failure(raw, errors if is_json else [], is_json)
    if not completion.choices:
        return values, _Failure("", [], False)
    return values, None


def _repair_message(failure: _Failure) -> dict[str, str]:
    lines = [
        f"- {'.'.join(str(p) for p in error.get('loc', ())) or '(root)'}: {error.get('msg')}"
        for error in failure.errors[:20]
    ]
    problem = "does not validate against the schema:\n" + "\n".join(lines)
    if failure.errors and failure.errors[0].get("type") == "json_invalid":
        problem = "is not valid JSON: " + str(failure.errors[0].get("msg"))
    return {
        "role": "user",
        "content": f"Your last reply {problem}\nReply again with the corrected JSON only.",
    }


def structured_flow(
    config: Config,
    typed: TypedCall,
    answer: AnswerType[Any],
    *,
    strategy: Strategy,
    max_repairs: int,
    learned: MutableMapping[str, str],
    stream: bool,
) -> Flow[ParsedChatCompletion[Any]]:
    """
    The whole `parse()` call; returns the `ParsedChatCompletion`. With `stream`, it hands over
    `Ready` once, then batches of events (`_views.StreamView`), an `AttemptEvent` before each
    new attempt, and a `ContentDoneEvent` last.
    """
    order = _order(strategy, learned.get(typed.model))
    attempts: list[dict[str, Any]] = []
    level, repairs, extra, opened = 0, 0, list[Any](), False
    while True:
        current = order[level]
        call = _request(typed, answer, current, extra, stream)
        view = StreamView(answer, typed.toolbox, show_ready=not opened)
        try:
            if stream:
                yield from relay(chat_flow(config, call, True), view)
                completion = view.completion()
            else:
                completion = yield from chat_flow(config, call, False)
        except APIStatusError as exc:
            if strategy == "auto" and level + 1 < len(order) and _refused(exc):
                attempts.append(
                    {"strategy": current, "raw": "", "errors": [], "error": exc.message}
                )
                level, extra = level + 1, []
                if opened:
                    yield (AttemptEvent(order[level], "refused"),)
                continue
            raise
        opened = opened or view.acc is not None
        check_finish(completion)
        values, failure = _check(completion, answer)
        if failure is None:
            if strategy == "auto":
                learned[typed.model] = current
            if stream:
                first = completion.choices[0].message
                yield (
                    *view.tool_calls_done(completion),
                    ContentDoneEvent(first.content or "", values[0]),
                )
            return to_parsed(completion, values, typed.toolbox)
        attempts.append({"strategy": current, "raw": failure.raw, "errors": failure.errors})
        if not failure.is_json and strategy == "auto" and level + 1 < len(order):
            level, extra, reason = level + 1, [], "ignored"
        elif repairs < max_repairs:
            repairs += 1
            extra = [
                *extra,
                {"role": "assistant", "content": failure.raw},
                _repair_message(failure),
            ]
            reason = "repair"
        else:
            what = "does not validate" if failure.is_json else "is not JSON"
            raise StructuredOutputError(
                f"The reply {what} as {answer.name} after {len(attempts)} attempt(s)"
                f" ({', '.join(a['strategy'] for a in attempts)})",
                raw=failure.raw,
                errors=failure.errors,
                attempts=attempts,
                completion=completion,
            )
        if stream:
            yield (AttemptEvent(order[level], reason),)
