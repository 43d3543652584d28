"""
The reference server's schema instances, on their own: valid for every schema pydantic emits
(checked with `jsonschema` and by pydantic itself), and the same every time.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings

from amigochat_sdk._schema import strict_schema
from amigochat_sdk.testing._instances import instance
from tests.generated_models import models


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(models())
def test_an_instance_validates_against_the_schema_and_the_model(
    model: type[pydantic.BaseModel],
) -> None:
    schema = model.model_json_schema()
    value = instance(schema)
    jsonschema.validate(value, schema)
    model.model_validate(value)
    assert instance(schema) == value  # deterministic
    strict = strict_schema(schema)
    if strict is not None:  # what a strict backend would be asked for: every field present
        jsonschema.validate(instance(strict), strict)
        model.model_validate(instance(strict))


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer", "exclusiveMinimum": 5, "exclusiveMaximum": 7}, 6),
        ({"type": "integer", "minimum": 11, "multipleOf": 4}, 12),
        ({"type": "integer", "maximum": -3}, -3),
        ({"type": "number", "minimum": 2.5}, 2.5),
        ({"type": "number", "maximum": 0.25}, 0.25),
        ({"type": "string", "minLength": 6}, "textxx"),
        ({"type": "string", "maxLength": 2}, "te"),
        ({"type": "string", "format": "date-time"}, "2024-01-01T12:00:00Z"),
        ({"type": "string", "format": "uuid"}, "00000000-0000-4000-8000-000000000000"),
        ({"enum": ["b", "a"]}, "b"),
        ({"const": 7}, 7),
        ({"anyOf": [{"type": "null"}, {"type": "boolean"}]}, True),
        ({"type": ["null", "integer"]}, 1),
        ({"type": "array", "items": {"type": "integer"}, "minItems": 3}, [1, 2, 3]),
        ({"type": "array", "items": {"type": "integer"}, "maxItems": 0}, []),
        ({"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]}, ["text", 2]),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, {"key": 1}),
        ({"type": "object", "required": ["x"]}, {"x": None}),
    ],
)
def test_bounds_formats_and_branches(schema: dict[str, Any], expected: Any) -> None:
    assert instance(schema) == expected
    jsonschema.validate(instance(schema), schema)


def test_a_text_fills_the_first_plain_string_of_the_root() -> None:
    schema = {
        "type": "object",
        "properties": {
            "unit": {"enum": ["C", "F"]},
            "when": {"type": "string", "format": "date"},
            "nested": {"$ref": "#/$defs/N"},
            "city": {"type": "string", "maxLength": 4},
            "country": {"type": "string"},
        },
        "$defs": {"N": {"type": "object", "properties": {"name": {"type": "string"}}}},
    }
    assert instance(schema, text="Paris") == {
        "unit": "C",
        "when": "2024-01-01",
        "nested": {"name": "text"},
        "city": "Pari",
        "country": "text",
    }


def test_recursive_models_end() -> None:
    class Tree(pydantic.BaseModel):
        label: str
        children: list[Tree] = []
        parent: Tree | None = None

    value = instance(Tree.model_json_schema())
    Tree.model_validate(value)
    depth, node = 0, value
    while node.get("parent"):
        depth, node = depth + 1, node["parent"]
    assert 0 < depth < 20
