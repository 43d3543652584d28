"""
Request checks, as the NestJS service makes them: JSON first, then the fields, then the model.

Rule: each check returns the validated value or the error `Reply` to send; nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from amigochat_sdk._catalog import CHAT_MODELS, IMAGE_MODELS, Kind
from amigochat_sdk.types import AssistantMessageParam

from ._bodies import Reply, nest_error, openai_error

__all__ = ["kind_of", "model_not_found", "validate"]

_M = TypeVar("_M", bound=BaseModel)
_CHAT_PERSONAS = frozenset(CHAT_MODELS.values())
_IMAGE_PERSONAS = frozenset(IMAGE_MODELS.values()) | {"image-generator"}


def kind_of(model: str | None, persona: str | None) -> Kind | None:
    """
    What a request's model makes: known by its id, else by its persona id; `None` if neither.
    """
    if model in IMAGE_MODELS or (model not in CHAT_MODELS and persona in _IMAGE_PERSONAS):
        return "image"
    if model in CHAT_MODELS or persona in _CHAT_PERSONAS:
        return "chat"
    return None


def _explicit_nulls(value: object, where: str) -> Iterator[str]:
    """
    Where a request sent `null` that the spec does not allow. The generated request models cannot
    tell "optional" from "nullable" (both are `X | None = None`); in the spec only an assistant
    message's `content` and `refusal` may be null.
    """
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _explicit_nulls(item, f"{where}.{index}")
    if not isinstance(value, BaseModel):
        return
    for name in sorted(value.model_fields_set):
        inner, path = getattr(value, name), f"{where}.{name}" if where else name
        nullable = isinstance(value, AssistantMessageParam) and name in ("content", "refusal")
        if inner is None and not nullable:
            yield path
        yield from _explicit_nulls(inner, path)


def _number(text: str) -> float | int:
    """
    A JSON number with a fraction part of zero is an integer to JSON Schema (`5.0` is valid
    where an integer is asked); strict pydantic wants an `int` there.
    """
    value = float(text)
    return int(value) if value.is_integer() else value


def validate(model: type[_M], body: bytes, *, strict: bool) -> _M | Reply:
    if not body.strip():
        body = b"{}"  # NestJS validates a missing body as an empty object
    try:
        data = json.loads(body, parse_float=_number)
    except ValueError as exc:
        return nest_error(400, f"Unexpected token in JSON: {exc}")
    except RecursionError:
        return nest_error(400, "JSON nested too deep")
    if not isinstance(data, dict):
        return nest_error(400, ["request body must be a JSON object"])
    known = {key: value for key, value in data.items() if key in model.model_fields}
    if strict and len(known) < len(data):
        return nest_error(
            400, [f"property {key} should not exist" for key in data if key not in known]
        )
    try:
        checked = model.model_validate_json(json.dumps(known), strict=True)
    except ValidationError as exc:
        messages = [
            ".".join(str(part) for part in error["loc"])
            + (" should not be empty" if error["type"] == "missing" else f": {error['msg']}")
            for error in exc.errors(include_url=False)
        ]
        return nest_error(400, list(dict.fromkeys(messages))[:20] or [str(exc)])
    nulls = [f"{where} should not be null" for where in _explicit_nulls(checked, "")]
    return nest_error(400, nulls) if nulls else checked


def model_not_found(model: str | None) -> Reply:
    message = f"The model `{model}` does not exist"
    return openai_error(
        404, message, type="invalid_request_error", param="model", code="model_not_found"
    )
