"""
The reference AmigoChat server as an ASGI app (Starlette): routes, request checks and replies.

Rule: requests are checked the way the NestJS service checks them, every body is built from the
generated models, and every `/v1` response leaves through `FaultyResponse`.

A `/v1` request is handled in this order: it is logged; its fault is chosen (the
`x-amigochat-fault` header, else the queue) and an error fault answers at once; the API key is
checked (when `api_key` is set); the body must be JSON (else 400, a NestJS body whose `message` is
a string, as body-parser says it); the fields are checked against the request model (else 400, a
NestJS list of messages), unknown top-level keys being ignored unless `reject_unknown_fields`;
the model must be known, or its persona (else 404, OpenAI `model_not_found`), and of the
endpoint's kind (else 400). The server knows model ids and persona ids, not the SDK's aliases.
"""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, get_args

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

import amigochat_sdk
from amigochat_sdk._catalog import DEFAULT_IMAGE_MODEL
from amigochat_sdk.types import (
    ChatCompletionEnvelope,
    ChatCompletionRequest,
    Image,
    ImageGenerationRequest,
    ImagesResponse,
    ImageUrlResponse,
)

from ._bodies import Reply, event_reply, fault_reply, json_reply, nest_error, openai_error
from ._checks import kind_of, model_not_found, validate
from ._faults import Fault, FaultQueue
from ._images import ImageKey, image_id, parse_size, render_png
from ._replies import completion, draft, stream_chunks
from ._state import ChatShape, ImageShape, RecordedRequest, RequestLog, ServerOptions
from ._wire import DropHook, FaultyResponse

__all__ = ["ReferenceApp", "create_app", "find_spec"]

_Produce = Callable[[Request, bytes, Fault, int], Reply]
_MAX_FILES = 4096
_DISCARD_FACTOR = 8  # how much of a too-large body is read and dropped before answering 413


def find_spec(explicit: str | None = None) -> Path | None:
    """
    The OpenAPI file: `explicit`, else one shipped in this package, else the repository's.
    """
    here = Path(__file__).resolve().parent
    candidates = [Path(explicit)] if explicit else []
    candidates += [here / "openapi.yaml", here.parent.parent / "openapi" / "amigochat.yaml"]
    return next((path for path in candidates if path.is_file()), None)


def _plain(reply: Reply) -> Response:
    return Response(reply.body, reply.status, media_type=reply.content_type)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """
    The body, or `None` when it is over `limit` bytes. The rest of a large body is read and
    dropped (up to a bound), so the client gets to read the 413 instead of a reset connection.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit * _DISCARD_FACTOR:
        return None  # refused without reading; the connection will not be reused
    parts: list[bytes] = []
    size = 0
    async for part in request.stream():
        size += len(part)
        if size <= limit:
            parts.append(part)
        elif parts:
            parts.clear()  # over the limit: drop what was kept, read on to the end
        if size > limit * _DISCARD_FACTOR:
            break
    return b"".join(parts) if size <= limit else None


class ReferenceApp:
    """
    The ASGI app, with the state a test drives: `options`, `faults` and `requests`.

    ```python
    app = create_app(json_shape="wrapped")
    app.faults.push("status=503")
    ```
    """

    def __init__(self, options: ServerOptions | None = None, **overrides: Any) -> None:
        self.options = replace(options or ServerOptions(), **overrides)
        self._initial = replace(self.options)
        self.faults = FaultQueue()
        self.requests = RequestLog()
        #: Set by the server that runs the app, so faults can drop connections.
        self.drop_connection: DropHook | None = None
        #: Set by the server when it stops: pauses end and their connections are dropped.
        self.closing = threading.Event()
        self._numbers = itertools.count(1)
        self._files: dict[str, ImageKey] = {}
        routes = [
            Route("/v1/chat/completions", self._chat_endpoint, methods=["POST"]),
            Route("/v1/images/generations", self._images_endpoint, methods=["POST"]),
            Route("/v1/files/{name}.png", self._file_endpoint, methods=["GET"]),
            Route("/openapi.yaml", self._spec_endpoint, methods=["GET"]),
            Route("/health", self._health_endpoint, methods=["GET"]),
        ]
        handlers = {404: self._not_found, 405: self._not_allowed}
        self._app = Starlette(routes=routes, exception_handlers=handlers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._app(scope, receive, send)

    def reset(self) -> None:
        """
        Forget faults and logged requests, and restore the options the app was made with.
        """
        self.faults.clear()
        self.requests.clear()
        self.options = replace(self._initial)

    # ------------------------------------------------------------------ the /v1 pipeline

    async def _v1(self, request: Request, produce: _Produce, *, auth: bool = True) -> Response:
        try:
            body = await _read_body(request, self.options.max_body_size)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        if body is None:
            limit = self.options.max_body_size
            too_large = nest_error(413, f"request entity too large (more than {limit} bytes)")
            return _plain(too_large)
        headers: dict[str, str] = {}
        for name, value in request.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        path = request.url.path
        self.requests.append(
            RecordedRequest(
                request.method,
                path,
                headers,
                body,
                request.url.query,
                peer=(request.client.host, request.client.port) if request.client else None,
            )
        )
        number = next(self._numbers)
        spec = request.headers.get("x-amigochat-fault")
        fault = Fault()
        try:
            fault = Fault.parse(spec) if spec is not None else self.faults.take(path) or Fault()
        except ValueError as exc:
            reply = nest_error(400, [f"x-amigochat-fault: {exc}"])
        else:
            if fault.is_error:
                reply = fault_reply(fault, number)
            elif auth and not self._authorized(request):
                message = "Incorrect API key provided."
                reply = openai_error(
                    401, message, type="invalid_request_error", code="invalid_api_key"
                )
            else:
                reply = produce(request, body, fault, number)
        return FaultyResponse(
            reply,
            fault,
            request_id=f"req_{number}",
            drop=self.drop_connection,
            closing=self.closing,
        )

    def _authorized(self, request: Request) -> bool:
        key = self.options.api_key
        return key is None or request.headers.get("authorization") == f"Bearer {key}"

    def _status(self, fault: Fault) -> int:
        if fault.status is not None and fault.status < 300:
            return fault.status
        return self.options.success_status

    # ------------------------------------------------------------------ chat

    async def _chat_endpoint(self, request: Request) -> Response:
        return await self._v1(request, self._chat)

    def _chat(self, request: Request, body: bytes, fault: Fault, number: int) -> Reply:
        checked = validate(ChatCompletionRequest, body, strict=self.options.reject_unknown_fields)
        if isinstance(checked, Reply):
            return checked
        kind = kind_of(checked.model, checked.personaId)
        if kind is None:
            return model_not_found(checked.model)
        if kind == "image":
            return nest_error(400, [f"model {checked.model} makes images: use /images/generations"])
        shape = request.headers.get("x-amigochat-shape", self.options.json_shape)
        if shape not in get_args(ChatShape):
            return nest_error(400, [f"x-amigochat-shape must be one of {get_args(ChatShape)}"])
        size = request.headers.get("x-amigochat-chunk-size", str(self.options.chunk_size))
        if not size.isdigit() or int(size) < 1:
            return nest_error(400, ["x-amigochat-chunk-size must be a positive integer"])
        form = checked.response_format
        if fault.reject_json_schema and form is not None and form.type == "json_schema":
            message = "response_format of type json_schema is not supported by this model"
            return nest_error(400, [message])
        drafted, ident, created = draft(checked, fault), f"chatcmpl-{number}", int(time.time())
        if checked.stream or shape == "sse":
            asked = checked.stream_options is not None and checked.stream_options.include_usage
            chunks = stream_chunks(
                drafted,
                id=ident,
                created=created,
                model=checked.model,
                chunk_size=int(size),
                include_usage=self.options.include_usage or bool(asked),
            )
            return event_reply(self._status(fault), chunks)
        made = completion(drafted, id=ident, created=created, model=checked.model)
        wrapped = ChatCompletionEnvelope(message=made) if shape == "wrapped" else made
        return json_reply(self._status(fault), wrapped)

    # ------------------------------------------------------------------ images

    async def _images_endpoint(self, request: Request) -> Response:
        return await self._v1(request, self._images)

    def _images(self, request: Request, body: bytes, fault: Fault, number: int) -> Reply:
        checked = validate(ImageGenerationRequest, body, strict=self.options.reject_unknown_fields)
        if isinstance(checked, Reply):
            return checked
        model = checked.model or (None if checked.personaId else DEFAULT_IMAGE_MODEL)
        kind = kind_of(model, checked.personaId)
        if kind is None:
            return model_not_found(model)
        if kind == "chat":
            return nest_error(400, [f"model {model} is a chat model: use /chat/completions"])
        shape = request.headers.get("x-amigochat-shape", self.options.image_shape)
        if shape not in get_args(ImageShape):
            return nest_error(400, [f"x-amigochat-shape must be one of {get_args(ImageShape)}"])
        width, height = parse_size(checked.size)
        origin = f"{request.url.scheme}://{request.url.netloc}"
        count = checked.n or 1
        keys = [(checked.prompt, index, width, height) for index in range(count)]
        urls = [f"{origin}/v1/files/{self._remember(key)}.png" for key in keys]
        if shape == "image-url":
            return json_reply(self._status(fault), ImageUrlResponse(imageUrl=urls[0]))
        images = []
        for index, (key, url) in enumerate(zip(keys, urls, strict=True)):
            revised = f"{checked.prompt} (image {index + 1} of {count})"
            if checked.response_format == "b64_json":
                data = base64.b64encode(render_png(key)).decode()
                images.append(Image(b64_json=data, revised_prompt=revised))
            else:
                images.append(Image(url=url, revised_prompt=revised))
        return json_reply(
            self._status(fault), ImagesResponse(created=int(time.time()), data=images)
        )

    def _remember(self, key: ImageKey) -> str:
        name = image_id(key)
        self._files[name] = key
        while len(self._files) > _MAX_FILES:
            del self._files[next(iter(self._files))]
        return name

    async def _file_endpoint(self, request: Request) -> Response:
        return await self._v1(request, self._file, auth=False)

    def _file(self, request: Request, body: bytes, fault: Fault, number: int) -> Reply:
        key = self._files.get(request.path_params["name"])
        if key is None:
            return nest_error(404, f"File {request.path_params['name']}.png not found")
        return Reply(200, "image/png", render_png(key))

    # ------------------------------------------------------------------ the rest

    async def _spec_endpoint(self, request: Request) -> Response:
        path = find_spec(self.options.spec_path)
        if path is None:
            return _plain(nest_error(404, "The OpenAPI file is not shipped with this install"))
        return Response(path.read_bytes(), media_type="application/yaml")

    async def _health_endpoint(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "version": amigochat_sdk.__version__})

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return _plain(nest_error(404, f"Cannot {request.method} {request.url.path}"))

    async def _not_allowed(self, request: Request, exc: Exception) -> Response:
        response = _plain(nest_error(405, f"Cannot {request.method} {request.url.path}"))
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response


def create_app(options: ServerOptions | None = None, **overrides: Any) -> ReferenceApp:
    """
    A reference app, to serve with any ASGI server; `overrides` are `ServerOptions` fields.
    Faults that drop connections need `ReferenceServer` (or `python -m amigochat_sdk.testing`).
    """
    return ReferenceApp(options, **overrides)
