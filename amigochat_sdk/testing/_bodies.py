"""
The bodies the reference server sends, built from the generated models: replies, the error shapes
the service has used (NestJS, OpenAI, `{"error": "..."}`, `{"detail": ...}`), and the pages of
the machines in front of it (Cloudflare's block page, an nginx error page).

Rule: no I/O; a `Reply` is what to send before any fault acts on the wire (`_wire.py`).
"""

from __future__ import annotations

import hashlib
import http
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel

from amigochat_sdk.types import (
    ChatCompletionChunk,
    ChatCompletionChunkChoice,
    ChoiceDelta,
    DetailErrorBody,
    ErrorObject,
    NestErrorBody,
    OpenAIErrorBody,
    SimpleErrorBody,
)

from ._faults import Fault

__all__ = [
    "QUOTA_MESSAGE",
    "SIMPLE_MESSAGE",
    "UPSTREAM_MESSAGE",
    "ChunkFactory",
    "Reply",
    "dump",
    "event_reply",
    "fault_reply",
    "json_reply",
    "nest_error",
    "openai_error",
]

QUOTA_MESSAGE = (
    "Amigo, your balance is not enough to make the request, wait until 12 UTC or upgrade your plan"
)
UPSTREAM_MESSAGE = "Error handling AIML chat completion stream"
SIMPLE_MESSAGE = "An error occurred while processing the completion"

#: The JSON of a content chunk carrying the given text, for events a fault inserts.
ChunkFactory = Callable[[str], bytes]


@dataclass
class Reply:
    """
    A response before faults: a plain `body`, or `events` (each a list of field lines, the last
    being `data: [DONE]`) for an event stream.
    """

    status: int
    content_type: str | None
    body: bytes = b""
    events: list[list[bytes]] | None = None
    chunk_factory: ChunkFactory | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def dump(model: BaseModel) -> bytes:
    """
    A model's JSON with exactly the fields that were set (so `null`s are sent only on purpose).
    """
    return model.model_dump_json(exclude_unset=True).encode()


def json_reply(status: int, model: BaseModel) -> Reply:
    return Reply(status, "application/json; charset=utf-8", dump(model))


def event_reply(status: int, chunks: list[ChatCompletionChunk]) -> Reply:
    """
    An event stream of `chunks` ending with `[DONE]`; inserted chunks copy the first one's ids.
    """
    events = [[b"data: " + dump(chunk)] for chunk in chunks] + [[b"data: [DONE]"]]
    first = chunks[0]

    def factory(text: str) -> bytes:
        choice = ChatCompletionChunkChoice(
            index=0, delta=ChoiceDelta(content=text), finish_reason=None
        )
        extra = ChatCompletionChunk(
            id=first.id,
            object=first.object,
            created=first.created,
            model=first.model,
            choices=[choice],
        )
        return dump(extra)

    headers = [("cache-control", "no-cache")]
    return Reply(status, "text/event-stream; charset=utf-8", b"", events, factory, headers)


def nest_error(status: int, message: str | list[str], *, phrase: bool = True) -> Reply:
    """
    A NestJS error body, with the status phrase as `error` unless `phrase` is false.
    """
    body = NestErrorBody(message=message, statusCode=status)
    if phrase:
        body.error = _phrase(status)
    return json_reply(status, body)


def openai_error(
    status: int, message: str, *, type: str, param: str | None = None, code: str | None = None
) -> Reply:
    error = ErrorObject(message=message, type=type, param=param, code=code)
    return json_reply(status, OpenAIErrorBody(error=error))


def _cloudflare(status: int, ray: str) -> Reply:
    page = (
        '<!DOCTYPE html>\n<html lang="en-US">\n<head><title>Attention Required! | Cloudflare'
        '</title><meta charset="UTF-8" /></head>\n<body><div id="cf-wrapper">\n'
        '<div id="cf-error-details"><h1 data-translate="block_headline">Sorry, you have been '
        "blocked</h1>\n<h2>You are unable to access amigochat.io</h2>\n"
        "<p>This website is using a security service to protect itself from online attacks.</p>\n"
        f'<p>Cloudflare Ray ID: <strong class="font-semibold">{ray}</strong></p>\n'
        "</div></div></body>\n</html>\n"
    )
    headers = [("server", "cloudflare"), ("cf-ray", f"{ray}-AMS")]
    return Reply(status, "text/html; charset=UTF-8", page.encode(), headers=headers)


def fault_reply(fault: Fault, number: int) -> Reply:
    """
    The error response a fault asks for (see the directives `status`, `body`, `message`,
    `cloudflare` and `quota`); `number` makes the Cloudflare Ray ID.
    """
    default = 403 if fault.cloudflare else 400 if fault.quota else 500
    status = fault.status or default
    if fault.cloudflare and fault.body is None:
        return _cloudflare(status, hashlib.blake2b(b"%d" % number, digest_size=8).hexdigest())
    message = fault.message or (QUOTA_MESSAGE if fault.quota else None)
    kind = fault.body or "nest"
    if kind == "nest":
        return nest_error(status, message or _phrase(status), phrase=not fault.quota)
    if kind == "openai":
        error_type, code = "server_error" if status >= 500 else "invalid_request_error", None
        if status == 429:
            error_type, code = "requests", "rate_limit_exceeded"
        return openai_error(status, message or _phrase(status), type=error_type, code=code)
    if kind == "simple":
        return json_reply(status, SimpleErrorBody(error=message or SIMPLE_MESSAGE))
    if kind == "detail":
        return json_reply(status, DetailErrorBody(detail=message or _phrase(status)))
    if kind == "html":
        title = f"{status} {message or _phrase(status)}"
        page = f"<html>\n<head><title>{title}</title></head>\n<body>\n<center><h1>{title}</h1>"
        return Reply(
            status, "text/html", (page + "</center>\n<hr><center>nginx</center>\n").encode()
        )
    if kind == "text":
        return Reply(status, "text/plain; charset=utf-8", (message or _phrase(status)).encode())
    return Reply(status, None)
