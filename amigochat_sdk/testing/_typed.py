"""
The reference server's typed answers: JSON for a `response_format` (or for a schema given in a
system message), tool calls by a rule a test can steer, and answers that quote tool results.

Rule: pure functions of the validated request and its fault; no I/O, nothing random.

- JSON: a `json_schema` format is answered with `instance(schema)`; `json_object` with an
  instance of the schema found in a system or developer message (`{"reply": <text>}` when there
  is none); no format but such a schema: the instance in a Markdown `json` fence, as models
  asked by prompt alone answer.
- Tools (with `tools` and a `tool_choice` other than `none`): a named `tool_choice` calls that
  tool; otherwise every tool the last user message names is called, as parallel calls in the
  order of `tools` (a tool is named by its name, its name with spaces, or the last word of its
  name, such as "weather" for `get_weather`); `required` calls the first tool when none is
  named. Arguments are `instance(parameters)`, the first string filled with a value quoted in
  the message or the word after "for" or "in".
- After tool results (the last message is a tool's), the answer quotes each of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from amigochat_sdk.types import (
    ChatCompletionNamedToolChoice,
    ChatCompletionRequest,
    TextContentPart,
)

from ._faults import Fault
from ._instances import instance

__all__ = ["json_answer", "schema_in_instructions", "text_of", "tool_calls", "tool_results_text"]

_QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'")
_AFTER = re.compile(r"\b(?:for|in)\s+([A-Z][\w-]*(?:\s+[A-Z][\w-]*)*)")
_SCHEMA_KEYS = ("type", "properties", "$defs", "anyOf", "$ref")


def text_of(content: object) -> str:
    """A message's text: the string, or its text parts joined with a space."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        return " ".join(part.text for part in content if isinstance(part, TextContentPart))
    return ""


def schema_in_instructions(request: ChatCompletionRequest) -> dict[str, Any] | None:
    """The first JSON object that looks like a schema in a system or developer message."""
    decoder = json.JSONDecoder()
    for message in request.messages:
        if message.role not in ("system", "developer"):
            continue
        text = text_of(message.content)
        for start in (i for i, ch in enumerate(text) if ch == "{"):
            try:
                value, _ = decoder.raw_decode(text, start)
            except ValueError:
                continue
            if isinstance(value, dict) and any(key in value for key in _SCHEMA_KEYS):
                return value
    return None


def json_answer(request: ChatCompletionRequest, fault: Fault, said: str) -> str | None:
    """The JSON answer, or `None` when the request asks for none (or the fault ignores it)."""
    if fault.ignore_response_format:
        return None
    form = request.response_format
    fenced = False
    if form is not None and form.type == "json_schema":
        schema: dict[str, Any] | None = (form.json_schema or {}).get("schema", {})
    elif form is not None and form.type == "json_object":
        schema = schema_in_instructions(request)
    else:
        schema, fenced = schema_in_instructions(request), True
        if schema is None:
            return None
    value: Any = {"reply": said} if schema is None else instance(schema)
    if fault.schema_violation:
        value = []
    text = json.dumps(value)
    if fault.invalid_json:
        text = text[:-1]
    return f"```json\n{text}\n```" if fenced else text


def _named(name: str, said: str) -> bool:
    lowered = said.lower()
    words = set(re.findall(r"[a-z0-9_]+", lowered))
    last = name.lower().rsplit("_", 1)[-1]
    return (
        name.lower() in words
        or name.lower().replace("_", " ") in lowered
        or (len(last) >= 4 and last in words)
    )


def _hint(said: str) -> str | None:
    quoted = _QUOTED.search(said)
    if quoted:
        return quoted.group(1) or quoted.group(2)
    after = _AFTER.search(said)
    return after.group(1) if after else None


def tool_calls(request: ChatCompletionRequest, fault: Fault, said: str) -> list[tuple[str, str]]:
    """The `(name, arguments)` of the calls to make, in order; none for a text answer."""
    if not request.tools or request.tool_choice == "none":
        return []
    tools = {tool.function.name: tool.function for tool in request.tools}
    choice = request.tool_choice
    if isinstance(choice, ChatCompletionNamedToolChoice):
        names = [choice.function.name if choice.function.name in tools else next(iter(tools))]
    else:
        last = request.messages[-1]
        user_last = last.role == "user"
        names = [n for n in tools if (user_last or choice == "required") and _named(n, said)]
        if choice == "required" and not names:
            names = [next(iter(tools))]
    if request.parallel_tool_calls is False:
        names = names[:1]
    calls = []
    for name in names:
        schema = tools[name].parameters or {"type": "object", "properties": {}}
        arguments = json.dumps(instance(schema, text=_hint(said)))
        if fault.bad_tool_arguments:
            arguments = arguments[: max(len(arguments) // 2, 1)] + ' "oops'
        calls.append((name, arguments))
    return calls


def tool_results_text(request: ChatCompletionRequest) -> str | None:
    """After tool results, the answer quoting them; `None` when the last message is no tool's."""
    results = []
    for message in reversed(request.messages):
        if message.role != "tool":
            break
        results.append(message)
    if not results:
        return None
    names: dict[str, str] = {}
    for message in request.messages:
        if message.role == "assistant":
            for call in message.tool_calls or ():
                names[call.id] = call.function.name
    quoted = [
        f'{names.get(m.tool_call_id, m.tool_call_id)}: "{text_of(m.content)}"'
        for m in reversed(results)
    ]
    return "The tools said: " + "; ".join(quoted) + "."
