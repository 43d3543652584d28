"""
The tool runner: send, run the tool calls the model asks for, send their results back, and
repeat until the model answers without a tool call. A flow made of chat flows, like
`_structured.py`, so both clients run it, streamed or not.

Rule: the flow decides everything (which calls run, what goes back for a bad call, when to
stop); running the tools is the one command it yields, `RunTools`, carried out by the
drivers with `_tools.execute` (one after the other) or `_tools.aexecute` (concurrently). A tool
that raises and arguments that do not validate go back to the model as the tool's result. No
I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pydantic

from ._chat_flow import chat_flow
from ._core import Config, Flow, LastHandOver, RunTools
from ._exceptions import MaxStepsExceededError, ToolExecutionError
from ._relay import relay
from ._structured import TypedCall, check_finish, message_dict, to_parsed
from ._tools import BoundCall, FunctionTool, Toolbox, ToolOutcome, result_text
from ._views import StreamView
from .types import ContentDoneEvent, ParsedFunctionToolCall, ToolResultEvent, ToolRunResult

__all__ = ["ToolErrors", "tools_flow"]

#: What to do when a tool raises: send the error back (`"return"`), raise `ToolExecutionError`
#: (`"raise"`), or send back what the callable makes of the exception.
ToolErrors = Literal["return", "raise"] | Callable[[BaseException], str]


def _plan(call: ParsedFunctionToolCall, toolbox: Toolbox) -> BoundCall | str:
    """The call to run, or the text that goes back instead (unknown tool, bad arguments)."""
    name, arguments = call.function.name, call.function.arguments
    tool = toolbox.by_name.get(name)
    if tool is None or tool.function is None:
        known = ", ".join(sorted(n for n, t in toolbox.by_name.items() if t.function)) or "none"
        return f"Error: there is no tool named {name!r} to run (the tools: {known})."
    try:
        parsed = tool.parse(arguments)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(arguments)'}: {e['msg']}"
            for e in exc.errors(include_url=False)[:20]
        )
        return f"Error: the arguments of {name} do not validate: {problems}. Call it again."
    return tool.bind(parsed)


def _assistant(message: Any, ids: list[str]) -> dict[str, Any]:
    turn: dict[str, Any] = {"role": "assistant"}
    if message.content is not None:
        turn["content"] = message.content
    if message.tool_calls:
        turn["tool_calls"] = [
            {
                "id": ident,
                "type": "function",
                "function": {"name": call.function.name, "arguments": call.function.arguments},
            }
            for ident, call in zip(ids, message.tool_calls, strict=True)
        ]
    return turn


def _error_text(error: BaseException, tool_errors: ToolErrors) -> str:
    if callable(tool_errors):
        return tool_errors(error)
    return f"Error: {type(error).__name__}: {error}"


def tools_flow(
    config: Config,
    typed: TypedCall,
    *,
    max_steps: int,
    tool_errors: ToolErrors,
    stream: bool,
) -> Flow[ToolRunResult]:
    """
    The whole `run_tools()` call; returns the `ToolRunResult`. With `stream`, it hands over
    `Ready` once, then the events of every step: content and arguments deltas, a
    `ToolCallDoneEvent` and a `ToolResultEvent` per call, and a `ContentDoneEvent` last.
    """
    toolbox = typed.toolbox or Toolbox(())
    unrunnable = [
        t.name if isinstance(t, FunctionTool) else str(t.get("function", {}).get("name"))
        for t in toolbox.entries
        if not isinstance(t, FunctionTool) or t.function is None
    ]
    if unrunnable:
        raise TypeError(f"run_tools needs a function for every tool: {', '.join(unrunnable)}")
    messages: list[Any] = [message_dict(m) for m in typed.messages]
    for step in range(1, max_steps + 1):
        call = typed.build(messages, None, stream)
        view = StreamView(None, toolbox, show_ready=step == 1)
        if stream:
            yield from relay(chat_flow(config, call, True), view)
            completion = view.completion()
        else:
            completion = yield from chat_flow(config, call, False)
        check_finish(completion)
        parsed = to_parsed(completion, [None] * len(completion.choices), toolbox)
        message = parsed.choices[0].message if parsed.choices else None
        calls = (message.tool_calls or []) if message is not None else []
        ids = [c.id or f"call_{step}_{i}" for i, c in enumerate(calls)]
        messages.append(_assistant(message, ids) if message else {"role": "assistant"})
        if not calls:
            if stream:
                content = message.content if message is not None else None
                yield LastHandOver((ContentDoneEvent(content or "", None),))
            return ToolRunResult(parsed, messages, step)
        plans = [_plan(c, toolbox) for c in calls]
        outcomes: list[ToolOutcome] = yield RunTools([p for p in plans if isinstance(p, BoundCall)])
        ran = iter(outcomes)
        events: list[Any] = view.tool_calls_done(completion) if stream else []
        for ident, tool_call, plan in zip(ids, calls, plans, strict=True):
            name = tool_call.function.name
            if isinstance(plan, str):
                content, is_error = plan, True
            else:
                outcome = next(ran)
                is_error = outcome.error is not None
                if outcome.error is not None and tool_errors == "raise":
                    raise ToolExecutionError(
                        f"Tool {name} raised {type(outcome.error).__name__}: {outcome.error}",
                        messages=messages,
                        name=name,
                        tool_call_id=ident,
                    ) from outcome.error
                if outcome.error is not None:
                    content = _error_text(outcome.error, tool_errors)
                else:
                    content = result_text(outcome.value)
            messages.append({"role": "tool", "tool_call_id": ident, "content": content})
            events.append(ToolResultEvent(ident, name, content, is_error))
        if stream:
            yield LastHandOver(events)
    raise MaxStepsExceededError(
        f"The model still asked for tools after max_steps={max_steps} requests",
        messages=messages,
        completion=parsed,
    )
