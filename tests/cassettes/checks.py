"""
Assertions on what a client really sent (captured by `Api.sent`), shared by the cassette tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from amigochat_sdk import __version__

#: What the web app and the seed send when the caller does not say (PROTOCOL.md).
SEED_DEFAULTS = {
    "frequency_penalty": 0.0,
    "max_tokens": 4000,
    "presence_penalty": 0.0,
    "temperature": 0.5,
    "top_p": 0.95,
}


def is_uuid4(value: object) -> bool:
    return isinstance(value, str) and uuid.UUID(value).version == 4


def chat_body(
    request: httpx.Request,
    *,
    messages: Sequence[Mapping[str, object]],
    stream: bool,
    model: str = "gpt-4o-mini",
    persona: str | None = "amigo",
    **extra: Any,
) -> None:
    """
    The body is the seed's: a fresh UUID4 `chatId`, the catalog's persona, the seed defaults.
    """
    body = json.loads(request.content)
    assert is_uuid4(body.pop("chatId"))
    expected = {
        "messages": list(messages),
        "model": model,
        "stream": stream,
        **SEED_DEFAULTS,
        **extra,
    }
    if persona is not None:
        expected["personaId"] = persona
    assert body == expected


def image_body(request: httpx.Request, *, prompt: str, **extra: Any) -> None:
    body = json.loads(request.content)
    assert is_uuid4(body.pop("chatId"))
    assert body == {
        "prompt": prompt,
        "model": "flux-pro/v1.1",
        "personaId": "flux-1-1-pro",
        **extra,
    }


def api_headers(request: httpx.Request, *, api_key: str, accept: str) -> None:
    """
    The device headers the web app sends, the key as a bearer token, and the SDK's agent.
    """
    headers = request.headers
    assert headers["x-device-platform"] == "web"
    assert headers["x-device-version"] == "1.0.45"
    assert headers["x-device-language"] == "en-US"
    assert is_uuid4(headers["x-device-uuid"])
    assert headers["authorization"] == f"Bearer {api_key}"
    assert headers["accept"] == accept
    assert headers["user-agent"].startswith(f"amigochat-sdk/{__version__} python/")
    if request.method == "POST":
        assert headers["content-type"] == "application/json"
