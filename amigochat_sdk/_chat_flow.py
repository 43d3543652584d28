"""
Chat completions: the request body, and the flow that turns any answer into chunks.

Rule: the response decides, not the request. JSON (plain or wrapped in `message`) and an event
stream are both accepted for `stream=True` and `stream=False` alike, as PROTOCOL.md says the
service has sent each. Everything before the first event is retried (see `_core.retrying`);
everything after it is final: an error then carries what was received, and text is never
repeated or dropped. No I/O here, as in `_core`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import pydantic

from ._accumulate import ChatAccumulator
from ._core import (
    RECEIVE,
    Attempts,
    Call,
    Close,
    Config,
    Flow,
    LastHandOver,
    Ready,
    read_body,
    retrying,
)
from ._exceptions import (
    APIResponseValidationError,
    StreamDecodeError,
    StreamInterruptedError,
    StreamServerError,
    cloudflare_error,
)
from ._inputs import parse_json
from ._json import build_json_call, load_json, validate_body
from ._messages import extract_message
from ._sse import EventTooLargeError, ServerSentEvent, SSEDecoder
from .types import ChatCompletion, ChatCompletionChunk, ChatCompletionRequest

__all__ = ["build_chat_call", "chat_flow", "parse_completion"]

log = logging.getLogger("amigochat_sdk")

_validate_chunk = ChatCompletionChunk.model_validate_json
_SSE_STARTS = (b"data", b"event", b"id", b"retry", b":")


def build_chat_call(
    config: Config,
    *,
    model: str,
    messages: Iterable[Any],
    stream: bool,
    persona_id: str | None,
    chat_id: str | None,
    params: Mapping[str, Any],
    extra_headers: Mapping[str, str] | None,
    extra_body: Mapping[str, Any] | None,
    timeout: httpx.Timeout | None,
) -> Call:
    """
    Validate the user's arguments against the spec's request model and build the call.
    """
    body: dict[str, Any] = {
        "messages": messages if isinstance(messages, list) else list(messages),
        "model": model,
        "stream": stream,
        **{k: v for k, v in params.items() if v is not None},
    }
    if chat_id:
        body["chatId"] = chat_id
    return build_json_call(
        config,
        "/chat/completions",
        ChatCompletionRequest,
        body,
        kind="chat",
        persona_id=persona_id,
        extra_headers=extra_headers,
        extra_body=extra_body,
        timeout=timeout,
        accept="text/event-stream" if stream else "application/json",
    )


def parse_completion(response: httpx.Response, body: bytes) -> ChatCompletion:
    """
    Read a JSON answer: a `chat.completion`, or one wrapped as `{"message": ...}`.
    """
    try:
        return ChatCompletion.model_validate_json(body)  # the common case, in one step
    except pydantic.ValidationError:
        pass
    data = load_json(response, body, "choices")
    if isinstance(data, dict) and "choices" not in data and isinstance(data.get("message"), dict):
        data = data["message"]
    return validate_body(ChatCompletion, data, response, "a chat.completion")


def _as_chunk(completion: ChatCompletion) -> ChatCompletionChunk:
    """One chunk carrying a whole completion, for a JSON answer to `stream=True`."""
    choices = []
    for choice in completion.choices:
        message = choice.message
        delta: dict[str, Any] = {"role": message.role, "content": message.content}
        if message.refusal is not None:
            delta["refusal"] = message.refusal
        if message.tool_calls:
            delta["tool_calls"] = [
                {"index": i, **call.model_dump(exclude_none=True)}
                for i, call in enumerate(message.tool_calls)
            ]
        choices.append(
            {"index": choice.index, "delta": delta, "finish_reason": choice.finish_reason}
        )
    return ChatCompletionChunk.model_validate(
        {
            **completion.model_dump(exclude={"choices", "object"}),
            "object": "chat.completion.chunk",
            "choices": choices,
        }
    )


def _open(response: httpx.Response, attempts: Attempts) -> Flow[Any]:
    """
    Read until the first event (or the whole JSON body). Runs inside the retry scope.
    """
    content_type = response.headers.get("content-type", "")
    decoder = SSEDecoder(attempts.config.max_event_size)
    if "json" in content_type:
        body = yield from read_body(response)
        if body.lstrip()[:1] in (b"{", b"[") or not (events := decoder.decode(body)):
            return parse_completion(response, body)
        # Event stream labelled as JSON: the body is all read, so the rest is EOF.
        return response, decoder, events
    first_chunk = attempts.config.first_chunk_timeout
    sniffing = "event-stream" not in content_type
    seen = b""
    while True:
        data = yield RECEIVE
        if not data:
            body = seen.lstrip()
            if body[:1] in (b"{", b"["):  # JSON labelled as an event stream
                return parse_completion(response, seen)
            if blocked := cloudflare_error(response, seen):
                raise blocked
            if body and "event-stream" not in content_type and not body.startswith(_SSE_STARTS):
                message, parsed = extract_message(seen, content_type)
                raise APIResponseValidationError(
                    f"The response holds neither JSON nor server-sent events: {message}",
                    response=response,
                    body=parsed,
                )
            raise httpx.RemoteProtocolError(
                "The server closed the stream before sending any event", request=response.request
            )
        if len(seen) < 65536:
            seen += data
        if sniffing:
            # An unlabelled body is JSON if its first non-blank byte opens a JSON value.
            start = seen.lstrip()[:1]
            if start in (b"{", b"["):
                return parse_completion(response, seen + (yield from read_body(response)))
            sniffing = not start
        events = _decode(decoder, data, None, response)
        if events:
            return response, decoder, events
        if first_chunk is not None and attempts.config.clock() - attempts.sent_at > first_chunk:
            raise httpx.ReadTimeout(
                f"No event within first_chunk_timeout={first_chunk:g}s", request=response.request
            )


def _decode(
    decoder: SSEDecoder, data: bytes, acc: ChatAccumulator | None, response: httpx.Response
) -> list[Any]:
    try:
        return decoder.decode(data)
    except EventTooLargeError as exc:
        raise StreamDecodeError(
            str(exc),
            data=exc.head,
            text=acc.text if acc else "",
            chunks=acc.chunks if acc else [],
            partial=acc.completion() if acc else None,
            request=response.request,
        ) from None


def chat_flow(config: Config, call: Call, stream: bool) -> Flow[Any]:
    """
    The whole chat call. Without `stream`, returns the assembled `ChatCompletion`. With it,
    yields `Ready`, then each read's chunks as a `HandOver` (the driver hands them over, then
    replies with the next bytes of the body) or, last of all, as a `LastHandOver`.
    """
    attempts = Attempts(config, call)
    opened = yield from retrying(attempts, lambda response: _open(response, attempts))
    acc = ChatAccumulator()
    if isinstance(opened, ChatCompletion):
        if stream:
            assert attempts.last_response is not None  # set by `retrying` before any read
            yield Ready(attempts.last_response, acc)
            whole = _as_chunk(opened)
            acc.add(whole)
            yield LastHandOver((whole,))
        return opened
    response, decoder, events = opened
    request = response.request
    if stream:
        yield Ready(response, acc)
    chunks, done, error = _read_events(events, acc, stream, request)
    fast = decoder.payloads
    try:
        while not done and error is None:
            # `chunks` is a plain list, which is a `HandOver`: the cheapest one to build.
            data = yield (chunks if chunks and stream else RECEIVE)
            chunks = []
            if not data:
                done = _pending_done(decoder.pending)
                break
            payloads = fast(data)
            if payloads is None:
                events = _decode(decoder, data, acc, response)
                chunks, done, error = _read_events(events, acc, stream, request)
            # The hot path, inline: plain `data` events validated straight from their bytes.
            # Anything unusual goes through `_read_events`, for its error or its text.
            for payload in payloads or ():
                if payload.startswith(b"[DONE]"):
                    done = True
                    break
                try:
                    chunk: ChatCompletionChunk | None = _validate_chunk(payload)
                except pydantic.ValidationError:
                    chunk = None
                if chunk is None or chunk.error is not None:
                    event = ServerSentEvent("message", payload.decode("utf-8", "replace"))
                    more, done, error = _read_events([event], acc, stream, request)
                    chunks += more
                    if done or error is not None:
                        break
                    continue
                if stream:
                    acc.push(payload)
                else:
                    acc.add(chunk, payload)
                chunks.append(chunk)
            if attempts.deadline_at is not None:
                attempts.check_deadline(request)
    except httpx.TransportError as exc:
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "was interrupted"
        raise StreamInterruptedError(
            f"The stream {what} after {acc.count} chunks: {exc}",
            text=acc.text,
            chunks=acc.chunks,
            partial=acc.completion(),
            request=request,
        ) from exc
    if chunks and stream:
        yield LastHandOver(chunks)  # what came in the same read as [DONE] or an error
    if error is not None:
        raise error
    if done:
        # Read on to the end of the body (servers end it right after [DONE]), so that the
        # connection goes back to the pool instead of being dropped.
        yield from _drain(response)
    elif not acc.finished:
        # The event-stream rules drop an event the stream did not finish; say what it held.
        left = decoder.pending.strip()
        dropped = f"; it ended inside an event, which was dropped: {left[:200]!r}" if left else ""
        raise StreamInterruptedError(
            f"The stream ended without [DONE] after {acc.count} chunks, "
            f"before every choice had a finish_reason: the answer is truncated{dropped}",
            text=acc.text,
            chunks=acc.chunks,
            partial=acc.completion(),
            request=request,
        )
    return None if stream else acc.completion()


def _read_events(
    events: list[ServerSentEvent], acc: ChatAccumulator, stream: bool, request: httpx.Request
) -> tuple[list[ChatCompletionChunk], bool, Exception | None]:
    """
    The chunks in `events`, whether `[DONE]` came, and the error that ends the stream, if
    one did (the chunks before it are still delivered first).
    """
    chunks: list[ChatCompletionChunk] = []
    for event in events:
        data = event.data
        if event.event != "message":
            if event.event == "error":
                return chunks, False, _server_error(data, acc, request)
            continue  # an event type this API does not define
        if data.startswith("[DONE]"):
            return chunks, True, None
        if not data:
            continue
        try:
            chunk = _validate_chunk(data)
        except pydantic.ValidationError as exc:
            return chunks, False, _chunk_error(exc, data, acc, request)
        if chunk.error is not None:
            return chunks, False, _server_error(data, acc, request)
        if stream:
            acc.push(data)
        else:
            acc.add(chunk, data)
        chunks.append(chunk)
    return chunks, False, None


def _drain(response: httpx.Response, limit: int = 65536) -> Flow[None]:
    """Read what follows `[DONE]` up to `limit` bytes; close the response if it goes on."""
    size = 0
    try:
        while size <= limit:
            data = yield RECEIVE
            if not data:
                return
            size += len(data)
    except httpx.TransportError:
        pass  # the answer is complete; a connection that fails now is simply not reused
    yield Close(response)


def _pending_done(pending: str) -> bool:
    """
    Whether the unterminated rest of a stream is `[DONE]`: servers that close right after it
    often leave out the blank line, or even the line end.
    """
    tail = pending.strip()
    if tail.startswith("data:"):
        tail = tail[5:].lstrip(" ")
    return tail.startswith("[DONE]")


def _server_error(data: str, acc: ChatAccumulator, request: httpx.Request) -> StreamServerError:
    try:
        error: object = parse_json(data)
    except ValueError:
        error = data
    return StreamServerError(
        error=error, text=acc.text, chunks=acc.chunks, partial=acc.completion(), request=request
    )


def _chunk_error(
    exc: pydantic.ValidationError, data: str, acc: ChatAccumulator, request: httpx.Request
) -> Exception:
    if exc.errors()[0]["type"] != "json_invalid":
        try:
            parsed = parse_json(data)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "error" in parsed:
            return _server_error(data, acc, request)
        what = "An event is not a chat.completion.chunk"
    else:
        what = "An event holds malformed JSON"
    return StreamDecodeError(
        what,
        data=data,
        text=acc.text,
        chunks=acc.chunks,
        partial=acc.completion(),
        request=request,
    )
