"""
Image generation: the request body, the answer in any of its shapes, and image downloads.

Rule: every answer becomes an `ImagesResponse`; the 2025 `{"imageUrl": ...}` shape is
normalised to `data=[Image(url=...)]`. Downloads reuse the retry flow, and the API key is sent
only to the API's own origin (scheme, host and port), never to wherever an image URL points.
No I/O here, as in `_core`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from ._catalog import DEFAULT_IMAGE_MODEL
from ._core import (
    Attempts,
    Call,
    Config,
    Flow,
    read_body,
    retrying,
)
from ._exceptions import APIDecodeError, InvalidInputError, cloudflare_error
from ._json import build_json_call, load_json, validate_body
from ._meta import attach
from .types import Image, ImageGenerationRequest, ImagesResponse

__all__ = ["build_image_call", "download_flow", "image_flow", "parse_images"]


def build_image_call(
    config: Config,
    *,
    prompt: str,
    model: str | None,
    persona_id: str | None,
    chat_id: str | None,
    params: Mapping[str, Any],
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
    timeout: httpx.Timeout | None,
) -> Call:
    """
    Validate the arguments against the spec's request model and build the call.
    """
    body: dict[str, Any] = {
        "prompt": prompt,
        "model": model or DEFAULT_IMAGE_MODEL,
        **{k: v for k, v in params.items() if v is not None},
    }
    if chat_id:
        body["chatId"] = chat_id
    return build_json_call(
        config,
        "/images/generations",
        ImageGenerationRequest,
        body,
        kind="image",
        persona_id=persona_id,
        extra_headers=extra_headers,
        extra_body=extra_body,
        timeout=timeout,
    )


def parse_images(response: httpx.Response, body: bytes) -> ImagesResponse:
    """
    Read an image answer: `{"data": [...]}` or `{"imageUrl": "..."}`.
    """
    data = load_json(response, body, "data", "imageUrl")
    if isinstance(data, dict) and "data" not in data and isinstance(data.get("imageUrl"), str):
        return ImagesResponse(data=[Image(url=data["imageUrl"])], **_extra(data, "imageUrl"))
    return validate_body(ImagesResponse, data, response, "an images response")


def _extra(data: dict[str, Any], *skip: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in skip and k != "data"}


def image_flow(config: Config, call: Call) -> Flow[ImagesResponse]:
    """
    Generate images, retrying as the rule allows.
    """
    attempts = Attempts(config, call)
    body = yield from retrying(attempts, lambda response: read_body(response, attempts))
    assert attempts.last_response is not None  # set by `retrying` before any body is read
    return attach(parse_images(attempts.last_response, body), attempts.info())


def decode_b64(image: Image) -> bytes:
    """
    The bytes of a `b64_json` image, or `APIDecodeError` if they are not valid base64.
    """
    data = image.b64_json or ""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise APIDecodeError("The image's b64_json is not valid base64", data=data[:100]) from None


def download_flow(config: Config, image: Image, timeout: httpx.Timeout | None) -> Flow[bytes]:
    """
    The bytes of one image: decoded from `b64_json`, or fetched from its `url` with retries.
    """
    if image.b64_json:
        return decode_b64(image)
    if not image.url:
        raise InvalidInputError("This image has neither a url nor b64_json")
    url = urljoin(config.base_url + "/", image.url)
    if url.startswith("data:"):
        return decode_b64(Image(b64_json=url.partition(",")[2]))
    anonymous = _origin(url) != _origin(config.base_url)
    call = Call("GET", url, timeout=timeout, accept="image/*", anonymous=anonymous)
    attempts = Attempts(config, call)
    body = yield from retrying(attempts, lambda response: read_body(response, attempts))
    response = attempts.last_response
    assert response is not None  # set by `retrying` before any body is read
    if body[:1] == b"<" or "html" in response.headers.get("content-type", ""):
        if blocked := cloudflare_error(response, body):
            raise blocked
    return body


def _origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port, the default port spelled out: where the key may go."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no origin matches it
        return scheme, "", -1
    return scheme, (parts.hostname or ""), port or _DEFAULT_PORTS.get(scheme)


_DEFAULT_PORTS = {"http": 80, "https": 443}
