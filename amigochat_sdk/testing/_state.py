"""
What a reference server knows besides its faults: its options and the log of requests it received.

Rule: plain data, safe to read and change from the test thread while the server thread serves.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

__all__ = ["ChatShape", "ImageShape", "RecordedRequest", "RequestLog", "ServerOptions"]

ChatShape = Literal["plain", "wrapped", "sse"]
ImageShape = Literal["data", "image-url"]


@dataclass
class ServerOptions:
    """
    How the server behaves when a request does not say otherwise.

    - `api_key`: when set, `/v1` POSTs need `authorization: Bearer <api_key>` (else 401).
    - `json_shape`: the answer to `stream: false`: a `plain` `chat.completion`, one `wrapped` as
      `{"message": ...}`, or an `sse` event stream. Header `x-amigochat-shape` overrides it.
    - `image_shape`: `data` (`{"created", "data": [...]}`) or `image-url` (`{"imageUrl": ...}`).
      Header `x-amigochat-shape` overrides it.
    - `chunk_size`: characters per content chunk. Header `x-amigochat-chunk-size` overrides it.
    - `include_usage`: end every stream with a usage chunk, even when not asked.
    - `reject_unknown_fields`: answer 400 (`property X should not exist`, as NestJS's
      `forbidNonWhitelisted` does) to unknown top-level request fields, which are otherwise
      ignored; the spec's request schemas are closed, so conformance tests turn this on.
    - `success_status`: 201 like the real service; some deployments answer 200.
    - `spec_path`: the OpenAPI file served at `/openapi.yaml` (default: found next to the package).
    - `max_body_size`: the largest request body in bytes (10 MiB); a larger one is answered 413
      with a NestJS body ("request entity too large", as body-parser says it) and not logged.
    """

    api_key: str | None = None
    json_shape: ChatShape = "plain"
    image_shape: ImageShape = "data"
    chunk_size: int = 4
    include_usage: bool = False
    reject_unknown_fields: bool = False
    success_status: int = 201
    spec_path: str | None = None
    max_body_size: int = 10 * 1024 * 1024

    def __post_init__(self) -> None:
        if self.json_shape not in get_args(ChatShape):
            raise ValueError(f"json_shape must be one of {get_args(ChatShape)}")
        if self.image_shape not in get_args(ImageShape):
            raise ValueError(f"image_shape must be one of {get_args(ImageShape)}")
        if self.chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        if not 200 <= self.success_status <= 299:
            raise ValueError("success_status must be a 2xx status")
        if self.max_body_size < 0:
            raise ValueError("max_body_size must not be negative")


@dataclass(frozen=True)
class RecordedRequest:
    """
    One request as the server received it: header names are lower case, repeated headers are
    joined with `", "`, and `json` is the parsed body (`None` if the body is not JSON).
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    query: str = ""
    received_at: float = field(default_factory=time.time)
    #: The client's address and port: which connection the request came on.
    peer: tuple[str, int] | None = None

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class RequestLog:
    """
    The requests a server received, oldest first; safe across threads.

    ```python
    assert [r.headers["x-device-uuid"] for r in server.requests]  # one per attempt
    ```
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, request: RecordedRequest) -> None:
        with self._lock:
            self._items.append(request)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    @property
    def last(self) -> RecordedRequest:
        """
        The latest request; `IndexError` if there is none.
        """
        with self._lock:
            return self._items[-1]

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __iter__(self) -> Iterator[RecordedRequest]:
        with self._lock:
            return iter(list(self._items))

    def __repr__(self) -> str:
        with self._lock:
            return f"RequestLog({[f'{r.method} {r.path}' for r in self._items]})"
