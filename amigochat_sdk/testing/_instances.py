"""
A deterministic instance of a JSON schema: what the reference server answers to a
`response_format` or a tool call.

Rule: pure and deterministic (the same schema gives the same value), and valid for the subset
pydantic emits: objects (every property, the required and the optional), arrays within their
item counts, `enum` and `const`, `$ref` into `$defs`, `anyOf`/`oneOf` (the first branch that is
not `null`), `allOf` (its first branch), numbers and string lengths within their bounds, and the
common string formats. `pattern` is not honoured. Maintained generators (`hypothesis-jsonschema`,
`jsf`) draw random values, which a test cannot predict; this one stays small instead, and its
tests check every instance against the schema with `jsonschema`.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["instance"]

_FORMATS = {
    "date-time": "2024-01-01T12:00:00Z",
    "date": "2024-01-01",
    "time": "12:00:00Z",
    "duration": "P1D",
    "email": "user@example.com",
    "idn-email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "uri-reference": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "binary": "data",
    "base64": "ZGF0YQ==",
    "json-string": "{}",
}
_MAX_DEPTH = 8  # past this, optional branches take `null` and arrays their fewest items


def instance(schema: Any, *, text: str | None = None) -> Any:
    """
    An instance of `schema`; `text`, if given, fills the first plain string property of the
    root object (a city a user named, say).
    """
    return _Generator(schema if isinstance(schema, dict) else {}, text).make(schema, 0, 0)


class _Generator:
    def __init__(self, root: dict[str, Any], text: str | None) -> None:
        self.root, self.text = root, text

    def resolve(self, ref: str) -> Any:
        node: Any = self.root
        for part in ref.removeprefix("#/").split("/"):
            if part:
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def make(self, schema: Any, depth: int, index: int) -> Any:
        if schema is True or not isinstance(schema, dict):
            return None if depth > 0 else {}
        if "$ref" in schema:
            return self.make(self.resolve(schema["$ref"]), depth + 1, index)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][index % len(schema["enum"])]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = schema[key]
                real = [
                    b for b in branches if not (isinstance(b, dict) and b.get("type") == "null")
                ]
                if not real or (depth > _MAX_DEPTH and len(real) < len(branches)):
                    return None
                return self.make(real[0], depth + 1, index)
        if "allOf" in schema:
            return self.make(schema["allOf"][0], depth + 1, index)
        kind = schema.get("type")
        if isinstance(kind, list):
            kinds = [k for k in kind if k != "null"]
            if not kinds:
                return None
            kind = kinds[0]
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        return getattr(self, f"_{kind}", self._null)(schema, depth, index)

    def _object(self, schema: dict[str, Any], depth: int, index: int) -> Any:
        result: dict[str, Any] = {}
        required = set(schema.get("required", ()))
        text, self.text = self.text, None  # for the first object met: the root's
        for name, sub in schema.get("properties", {}).items():
            if depth > _MAX_DEPTH and name not in required:
                continue
            if text is not None and _plain_string(sub):
                result[name], text = self._fit(sub, text), None
                continue
            result[name] = self.make(sub, depth + 1, index)
        extra = schema.get("additionalProperties")
        if not result and isinstance(extra, dict) and depth <= _MAX_DEPTH:
            result["key"] = self.make(extra, depth + 1, index)
        for name in sorted(required - set(result)):
            result[name] = None  # required but undescribed: any value does
        return result

    def _array(self, schema: dict[str, Any], depth: int, index: int) -> Any:
        prefix = schema.get("prefixItems", [])
        low = schema.get("minItems", 0)
        high = schema.get("maxItems", math.inf)
        count = max(low, len(prefix), 0 if depth > _MAX_DEPTH else min(2, high))
        items = schema.get("items", {})
        return [
            self.make(prefix[i] if i < len(prefix) else items, depth + 1, index + i)
            for i in range(int(min(count, high)))
        ]

    def _string(self, schema: dict[str, Any], depth: int, index: int) -> Any:
        text = _FORMATS.get(schema.get("format", ""))
        if text is not None:
            return text
        return self._fit(schema, f"text {index + 1}" if index else "text")

    @staticmethod
    def _fit(schema: dict[str, Any], text: str) -> str:
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        text = text.ljust(low, "x")
        return text if high is None else text[:high]

    def _integer(self, schema: dict[str, Any], depth: int, index: int) -> Any:
        low, high = _bounds(schema, 1)
        step = schema.get("multipleOf", 1)
        value = math.ceil(max(low, min(high, 1 + index)) / step) * step
        if value > high:
            value = math.floor(high / step) * step
        return int(value)

    def _number(self, schema: dict[str, Any], depth: int, index: int) -> Any:
        low, high = _bounds(schema, 1e-6)
        if "multipleOf" in schema:
            step = schema["multipleOf"]
            value = math.ceil(max(low, min(high, 1.5 + index)) / step) * step
            return float(value if value <= high else math.floor(high / step) * step)
        return float(max(low, min(high, 1.5 + index)))

    def _boolean(self, schema: dict[str, Any], depth: int, index: int) -> Any:
        return index % 2 == 0

    def _null(self, schema: dict[str, Any], depth: int, index: int) -> Any:
        return None


def _bounds(schema: dict[str, Any], gap: float) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    if "minimum" in schema:
        low = schema["minimum"]
    if "exclusiveMinimum" in schema:
        low = max(low, schema["exclusiveMinimum"] + gap)
    if "maximum" in schema:
        high = schema["maximum"]
    if "exclusiveMaximum" in schema:
        high = min(high, schema["exclusiveMaximum"] - gap)
    if high < low:
        high = low
    return low, high


def _plain_string(schema: Any) -> bool:
    return (
        isinstance(schema, dict)
        and schema.get("type") == "string"
        and not {"format", "enum", "const", "pattern"} & set(schema)
    )
