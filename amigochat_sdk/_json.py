"""
JSON calls: a request body checked by the spec's model, and a 2xx JSON body read back.

Rule: nothing unvalidated is sent (except `extra_body`, by request), and nothing unvalidated is
returned: a body that is not the expected shape is `APIResponseValidationError`, one that is an
error in disguise is mapped like an error status. No I/O here, as in `_core`.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._catalog import Kind, resolve_model
from ._core import Call, Config
from ._exceptions import (
    APIDecodeError,
    APIResponseValidationError,
    InvalidInputError,
    cloudflare_error,
    make_status_error,
)
from ._inputs import check_headers, dump_json, parse_json

if TYPE_CHECKING:
    import pydantic

__all__ = ["build_json_call", "load_json", "validate_body"]

log = logging.getLogger("amigochat_sdk")

M = TypeVar("M", bound="pydantic.BaseModel")


def build_json_call(
    config: Config,
    path: str,
    model_class: type[pydantic.BaseModel],
    body: dict[str, Any],
    *,
    kind: Kind,
    persona_id: str | None,
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
    timeout: httpx.Timeout | None,
    accept: str = "application/json",
) -> Call:
    """
    A POST of `body`, validated by the spec's request model before anything is sent.

    The catalog supplies `model` and `personaId`: an explicit persona id wins, and a model it
    does not know is sent as given, without a persona id (as some clients did), never refused.
    `extra_body` is merged in unvalidated, for fields the spec does not know yet.
    """
    try:
        resolved = resolve_model(body["model"], persona_id, kind=kind)
        body["model"], persona_id = resolved.model, resolved.persona_id
    except ValueError:
        log.debug("model %r is not in the catalog; sending it as given", body["model"])
    if persona_id:
        body["personaId"] = persona_id
    body.setdefault("chatId", str(uuid.uuid4()))
    content = _validate_request(model_class, body).model_dump_json(exclude_none=True)
    if extra_body:
        content = dump_json({**json.loads(content), **extra_body}, "extra_body")
    if extra_headers:
        check_headers(extra_headers, "extra_headers")
    return Call(
        "POST",
        config.base_url + path,
        body=content.encode(),
        headers=extra_headers or {},
        timeout=timeout,
        accept=accept,
    )


def _validate_request(model_class: type[M], body: dict[str, Any]) -> M:
    from pydantic import ValidationError  # loaded already by `model_class`

    try:
        return model_class.model_validate(body)
    except ValidationError as exc:
        # Without the values: a message or prompt is not for error messages and logs.
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        reasons = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
            for error in errors[:5]
        )
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise InvalidInputError(
            f"Invalid request parameters: {reasons}{more}", errors=list(errors)
        ) from None


def load_json(response: httpx.Response, body: bytes, *shape_keys: str) -> Any:
    """
    Parse a 2xx JSON body. A body that holds none of `shape_keys` but looks like an error
    (`error`, `detail`, or a NestJS `message`) is mapped like any error status.
    """
    try:
        data = parse_json(body)
    except ValueError:
        blocked = cloudflare_error(response, body)
        if blocked is not None:
            raise blocked from None
        raise APIDecodeError(
            "The response is not valid JSON", data=body, request=response.request
        ) from None
    if isinstance(data, dict) and not any(key in data for key in shape_keys):
        # A NestJS `message` is text or a list; a dict there is the completion wrapper.
        if "error" in data or "detail" in data or isinstance(data.get("message"), (str, list)):
            raise make_status_error(response, body)
    return data


def validate_body(model: type[M], data: Any, response: httpx.Response, what: str) -> M:
    """
    `data` as `model`, or `APIResponseValidationError` saying the response is not `what`.
    """
    from pydantic import ValidationError  # loaded already by whoever owns `model`

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise APIResponseValidationError(
            f"The response is not {what}: {exc.errors()[0]['msg']}", response=response, body=data
        ) from None
