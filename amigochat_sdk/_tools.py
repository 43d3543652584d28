"""
Tools from code: a typed function or a pydantic model becomes a tool definition, the model's
arguments are validated against it, and the function is called with them.

Rule: every tool has an arguments model (the pydantic model itself, or one made from the
function's signature), so one validation and one schema path serve both. Running a tool is the
only I/O-like step of the tool runner; it lives in `execute` / `aexecute` at the bottom, the one
place where the sync and async clients differ.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, get_type_hints

import pydantic
import pydantic_core

from ._core import RunTools
from ._exports import public
from ._schema import strict_schema

__all__ = [
    "BoundCall",
    "FunctionTool",
    "ToolOutcome",
    "Toolbox",
    "aexecute",
    "as_tool",
    "execute",
    "function_tool",
    "pydantic_function_tool",
    "result_text",
]

_ARG_LINE = re.compile(r"^\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")


@dataclass(frozen=True)
class FunctionTool:
    """
    A tool: its `name`, `description`, the `arguments` model that validates what the model
    sends, and the `function` that runs it (`None` for a tool made from a model alone).
    """

    name: str
    description: str | None
    arguments: type[pydantic.BaseModel]
    function: Callable[..., Any] | None = None
    strict: bool = True
    #: Whether `function` takes the arguments model itself rather than its fields.
    takes_model: bool = False

    def param(self) -> dict[str, Any]:
        """The tool as the request's `tools` entry; strict when its schema allows."""
        return self._param

    @functools.cached_property
    def _param(self) -> dict[str, Any]:  # built once: a schema costs more than a request
        schema = self.arguments.model_json_schema()
        strict = strict_schema(schema) if self.strict else None
        function: dict[str, Any] = {"name": self.name, "parameters": strict or schema}
        if self.description:
            function["description"] = self.description
        if strict is not None:
            function["strict"] = True
        return {"type": "function", "function": function}

    def parse(self, arguments: str) -> pydantic.BaseModel:
        """The arguments validated; `pydantic.ValidationError` when they do not validate."""
        return self.arguments.model_validate_json(arguments or "{}")

    def bind(self, parsed: pydantic.BaseModel) -> BoundCall:
        """The call of the function with `parsed`: the model itself, or its fields by name."""
        if self.function is None:
            raise TypeError(f"tool {self.name!r} has no function to run")
        if self.takes_model:
            return BoundCall(self.function, (parsed,), {})
        kwargs = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        return BoundCall(self.function, (), kwargs)


@dataclass(frozen=True)
class BoundCall:
    """A tool's function with its arguments, ready to run."""

    function: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]

    def __call__(self) -> Any:
        return self.function(*self.args, **self.kwargs)


def _is_model(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, pydantic.BaseModel)


def _describe(doc: str | None) -> tuple[str | None, dict[str, str]]:
    """The first paragraph of a docstring, and the parameters its `Args:` section describes."""
    if not doc:
        return None, {}
    text = inspect.cleandoc(doc)
    summary = text.split("\n\n", 1)[0].replace("\n", " ").strip() or None
    params: dict[str, str] = {}
    section = re.split(r"^(?:Args|Arguments|Parameters):\s*$", text, maxsplit=1, flags=re.M)
    if len(section) == 2:
        for line in section[1].splitlines():
            found = _ARG_LINE.match(line)
            if found:
                params[found.group(1)] = found.group(2).strip()
            elif line.strip() and not line.startswith((" ", "\t")):
                break
    return summary, params


def function_tool(
    function: Callable[..., Any],
    *,
    name: str | None = None,
    description: str | None = None,
    strict: bool = True,
) -> FunctionTool:
    """
    A tool from a typed function: its name, its docstring's first paragraph (and `Args:`
    lines as parameter descriptions), and its parameters with their types and defaults.
    """
    summary, documented = _describe(function.__doc__)
    hints = get_type_hints(function, include_extras=True)
    fields: dict[str, Any] = {}
    for param in inspect.signature(function).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool {function.__name__!r}: *args and **kwargs cannot be described")
        default = ... if param.default is param.empty else param.default
        info = pydantic.Field(default, description=documented.get(param.name))
        fields[param.name] = (hints.get(param.name, Any), info)
    tool_name = name or function.__name__
    model = pydantic.create_model(f"{tool_name}_arguments", **fields)
    return FunctionTool(tool_name, description or summary, model, function, strict)


def pydantic_function_tool(
    model: type[pydantic.BaseModel],
    *,
    name: str | None = None,
    description: str | None = None,
    function: Callable[[Any], Any] | None = None,
) -> FunctionTool:
    """
    A tool whose arguments are `model` (name and description from the class); `function`, if
    given, runs it with the validated model.
    """
    summary, _ = _describe(model.__doc__)
    return FunctionTool(
        name or model.__name__, description or summary, model, function, takes_model=True
    )


def as_tool(value: Any) -> FunctionTool | Mapping[str, Any]:
    """What the user passed as a tool: a `FunctionTool`, a model, a function, or a raw dict."""
    if isinstance(value, FunctionTool):
        return value
    if isinstance(value, Mapping):
        return value
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(exclude_none=True)  # a `ChatCompletionToolParam`
    if _is_model(value) or callable(value):
        try:
            return _made_tool(value)
        except TypeError as exc:
            if "unhashable" not in str(exc):
                raise
            return function_tool(value)
    raise TypeError(f"not a tool: {value!r} (a function, a pydantic model or a tool dict)")


@functools.lru_cache(maxsize=256)
def _made_tool(value: Any) -> FunctionTool:
    # The same functions come back call after call; their schema is worth keeping.
    return pydantic_function_tool(value) if _is_model(value) else function_tool(value)


@dataclass(frozen=True)
class ToolOutcome:
    """What running one tool gave: its return value, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


class Toolbox:
    """The tools of one request, by name."""

    def __init__(self, tools: Iterable[Any]) -> None:
        self.entries = [as_tool(tool) for tool in tools]
        self.by_name = {t.name: t for t in self.entries if isinstance(t, FunctionTool)}

    def params(self) -> list[dict[str, Any]]:
        """The request's `tools`."""
        return [t.param() if isinstance(t, FunctionTool) else dict(t) for t in self.entries]

    def parse(self, name: str, arguments: str) -> Any:
        """The validated arguments of a call of `name`, `None` when they do not validate."""
        tool = self.by_name.get(name)
        if tool is None:
            return None
        try:
            return tool.parse(arguments)
        except pydantic.ValidationError:
            return None


def result_text(value: Any) -> str:
    """A tool's return value as the text sent back: strings as they are, anything else as JSON."""
    if isinstance(value, str):
        return value
    try:
        return pydantic_core.to_json(value).decode()
    except pydantic_core.PydanticSerializationError:
        return json.dumps(str(value))


def _run(call: BoundCall) -> ToolOutcome:
    try:
        return ToolOutcome(value=call())
    except Exception as exc:
        return ToolOutcome(error=exc)


def execute(command: RunTools) -> list[ToolOutcome]:
    """Run the calls one after the other (the sync client)."""
    outcomes = []
    for call in command.calls:
        if inspect.iscoroutinefunction(call.function):
            outcomes.append(ToolOutcome(error=TypeError("an async tool needs AsyncClient")))
        else:
            outcomes.append(_run(call))
    return outcomes


async def aexecute(command: RunTools) -> list[ToolOutcome]:
    """Run the calls concurrently (the async client): coroutines as tasks, functions in threads."""
    import anyio
    import anyio.to_thread

    outcomes: list[ToolOutcome] = [ToolOutcome()] * len(command.calls)

    async def one(index: int, call: Callable[[], Any]) -> None:
        try:
            value = call()
            if inspect.isawaitable(value):
                value = await value
            outcomes[index] = ToolOutcome(value=value)
        except Exception as exc:
            outcomes[index] = ToolOutcome(error=exc)

    def threaded(call: BoundCall) -> Callable[[], Any]:
        return lambda: anyio.to_thread.run_sync(call)

    async with anyio.create_task_group() as group:
        for index, call in enumerate(command.calls):
            is_async = inspect.iscoroutinefunction(call.function)
            group.start_soon(one, index, call if is_async else threaded(call))
    return outcomes


public(globals(), ["FunctionTool"])
