"""
From Python types to JSON schemas and back: the schema an answer or a tool is asked in, and the
validation of what the model sent.

Rule: pydantic does the work (`TypeAdapter` for schemas, full and partial validation); this module
only decides the shape sent: a root that is not an object is wrapped as `{"value": ...}` (backends
want an object at the root), and a schema is made strict (every property required, no others)
where the backend's strict mode can express it. No I/O.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any, Generic, TypeVar

import pydantic
import pydantic_core
from typing_extensions import TypedDict

__all__ = ["AnswerType", "extract_json", "strict_schema"]

T = TypeVar("T")

_FENCE = re.compile(r"^```[\w-]*\s*\n(.*?)\n?```\s*$", re.DOTALL)
_NAME = re.compile(r"[^a-zA-Z0-9_-]+")


def strict_schema(schema: dict[str, Any]) -> dict[str, Any] | None:
    """
    `schema` for a backend's strict mode (every object closed, every property required), or
    `None` when strict mode cannot express it (a free-form `dict`, an open object).
    """
    result = copy.deepcopy(schema)
    return result if _close(result) else None


def _close(node: Any) -> bool:
    if isinstance(node, list):
        return all(_close(item) for item in node)
    if not isinstance(node, dict):
        return True
    if node.get("type") == "object" or "properties" in node:
        extra = node.get("additionalProperties")
        if extra not in (None, False) or "patternProperties" in node:
            return False
        node["additionalProperties"] = False
        node["required"] = list(node.get("properties", {}))
    if "$ref" in node and len(node) > 1:
        # Strict mode refuses keywords beside `$ref` (pydantic adds a description there).
        for key in [k for k in node if k != "$ref"]:
            del node[key]
    if "default" in node and node["default"] is None:
        del node["default"]  # strict mode has no defaults; the `null` branch says it all
    return all(_close(value) for key, value in node.items() if key not in ("enum", "const"))


def extract_json(text: str) -> str:
    """
    The JSON in a reply: the text itself, or what a Markdown code fence around it holds
    (models asked by prompt alone often fence their answer).
    """
    stripped = text.strip()
    fenced = _FENCE.match(stripped)
    return fenced.group(1).strip() if fenced else stripped


class AnswerType(Generic[T]):
    """
    The type an answer is parsed into (a pydantic model, a dataclass, a `TypedDict`, a list...),
    with the schema it is asked in.
    """

    def __init__(self, tp: Any) -> None:
        self.tp = tp
        self.name = _NAME.sub("_", getattr(tp, "__name__", "") or "answer")[:64] or "answer"
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(tp)
        schema = adapter.json_schema()
        self.wrapped = schema.get("type") != "object"
        if self.wrapped:
            envelope = TypedDict(self.name, {"value": tp})  # type: ignore[misc]  # noqa: UP013
            adapter = pydantic.TypeAdapter(envelope)
            schema = adapter.json_schema()
        self._adapter = adapter
        self.schema: dict[str, Any] = schema
        self.strict = strict_schema(schema)

    @staticmethod
    def of(tp: Any) -> AnswerType[Any]:
        """The answer type of `tp`, made once per type (a schema costs more than a request)."""
        try:
            return _answer_type(tp)
        except TypeError as exc:
            if "unhashable" not in str(exc):
                raise
            return AnswerType(tp)

    def response_format(self) -> dict[str, Any]:
        """The `response_format` of the `json_schema` strategy."""
        return {
            "type": "json_schema",
            "json_schema": {
                "name": self.name,
                "schema": self.strict if self.strict is not None else self.schema,
                "strict": self.strict is not None,
            },
        }

    def instructions(self) -> str:
        """The system message of the `json_object` and `prompt` strategies."""
        return (
            "Answer with a single JSON value and nothing else: no prose, no Markdown. "
            "It must validate against this JSON schema: "
            + json.dumps(self.schema, separators=(",", ":"), sort_keys=True)
        )

    def validate(self, text: str) -> T:
        """The answer in `text`; `pydantic.ValidationError` when it is not JSON of the type."""
        value = self._adapter.validate_json(extract_json(text))
        return value["value"] if self.wrapped else value  # type: ignore[no-any-return]

    def partial(self, text: str) -> tuple[Any, Any]:
        """
        `(parsed, partial)` for an incomplete reply: the value validated as partial JSON (`None`
        when it does not validate yet) and the JSON data parsed so far (`None` if none).
        """
        try:
            data = pydantic_core.from_json(text, allow_partial="trailing-strings")
        except ValueError:
            return None, None
        try:
            value = self._adapter.validate_json(text, experimental_allow_partial="trailing-strings")
        except pydantic.ValidationError:
            return None, _unwrap(data) if self.wrapped else data
        if self.wrapped:
            return (value.get("value") if isinstance(value, dict) else None), _unwrap(data)
        return value, data


def _unwrap(data: Any) -> Any:
    return data.get("value") if isinstance(data, dict) else None


@functools.lru_cache(maxsize=256)
def _answer_type(tp: Any) -> AnswerType[Any]:
    return AnswerType(tp)
