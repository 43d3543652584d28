"""
Reading a chat answer: the one loop that turns a body into chunks, `[DONE]` or an error.

Rule: the response decides, not the request. JSON (plain or wrapped in `message`) and an event
stream are both accepted for `stream=True` and `stream=False` alike, as PROTOCOL.md says the
service has sent each. The same bytes give the same result however they were split into
reads: every read goes through `ChatReader.run`, and the end of a body through the SSE
decoder's `flush()`. Time is decided here too: each read gets the most it may wait (the
deadline, `first_chunk_timeout` until the first chunk, `stream_idle_timeout` between chunks,
comments and empty events not counting). No I/O, as in `_core`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pydantic

from ._accumulate import ChatAccumulator
from ._constants import MAX_BODY_SIZE
from ._core import RECEIVE, Attempts, Close, Flow, LastHandOver, Receive, read_body
from ._exceptions import (
    APIDecodeError,
    APIResponseValidationError,
    StreamDecodeError,
    StreamInterruptedError,
    StreamServerError,
    cloudflare_error,
)
from ._inputs import parse_json
from ._json import load_json, validate_body
from ._messages import extract_message
from ._sse import EventTooLargeError, SSEDecoder
from .types import ChatCompletion, ChatCompletionChunk

__all__ = ["ChatReader", "open_answer", "parse_completion", "read_whole"]

_validate_chunk = ChatCompletionChunk.__pydantic_validator__.validate_json
_SSE_STARTS = (b"data", b"event", b"id", b"retry", b":")


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


_INF = float("inf")
_SNIFF = 65536  # bytes of an unparseable body kept for its error message
#: What is read after `[DONE]` before the connection is given back, else it is closed.
_DRAIN_BYTES, _DRAIN_SECONDS = 65536, 0.1


class ChatReader:
    """
    One answer read as an event stream: `run` is the only loop that turns its bytes into
    chunks, `[DONE]` or an error, for `stream=True` and `stream=False`, whatever the reads.
    """

    def __init__(self, response: httpx.Response, attempts: Attempts) -> None:
        self.response = response
        self.attempts = attempts
        self.acc = ChatAccumulator()
        self.decoder = SSEDecoder(attempts.config.max_event_size)
        self.items: list[Any] = []  # decoded, not yet handled: payload bytes or events
        self.chunks: list[ChatCompletionChunk] = []  # handled, not yet handed over
        self.too_large: EventTooLargeError | None = None
        self.done = self.eof = False
        self.json_only = False  # a body that can no longer be events (see `run`)
        self.error: Exception | None = None
        content_type = response.headers.get("content-type", "")
        self.content_type = content_type
        self.labelled = "event-stream" in content_type
        # Until the first event, the start of the body: it may still turn out to be JSON.
        self.head: list[bytes] | None = []
        self.head_size = 0
        self.start = b""  # the body's first non-blank byte, once seen
        now = attempts.config.clock()
        idle = attempts.stream_idle_timeout
        self.idle = _INF if idle is None else idle
        self.idle_at = now + self.idle
        first = attempts.first_chunk_timeout
        self.first_at = _INF if first is None else attempts.sent_at + first

    def feed(self, data: bytes) -> None:
        """Decode a whole body into `items`."""
        try:
            self.items = list(self.decoder.decode(data))
        except EventTooLargeError as exc:
            self.items, self.too_large = list(exc.events), exc

    def run(self, stream: bool, first: bool) -> Flow[ChatCompletion | None]:
        """
        Read until the answer ends (`[DONE]`, an error, the end of the body) or, with `first`,
        until its first chunk. With `stream`, hand each read's chunks over as a list (the driver
        replies with the next read). Returns a `ChatCompletion` if the body was JSON after all.
        Once chunks reached the user (`stream`, not `first`), a transport error is final: it
        becomes a `StreamInterruptedError` (or `StreamDecodeError`) carrying what arrived.
        """
        try:
            attempts, decoder, acc = self.attempts, self.decoder, self.acc
            clock, request = attempts.config.clock, self.response.request
            deadline_at = _INF if attempts.deadline_at is None else attempts.deadline_at
            fixed = _INF if attempts.read_timeout is None else attempts.read_timeout
            fast, add, chunks, idle = decoder.payloads, acc.add, self.chunks, self.idle
            items, self.items = self.items, []
            if chunks or acc.count:
                self.first_at = _INF  # the first chunk has come: only `idle` bounds a wait
            while True:
                for item in items:  # the one place where events become chunks
                    if type(item) is bytes:  # a plain `data:` event, from the fast path
                        # A chunk starts with "{": one byte tells (a payload is never empty),
                        # without startswith's argument parsing on every chunk.
                        if item[0] == 91 and item.startswith(b"[DONE]"):
                            self.done = True
                            break
                        payload: str | bytes = item
                    else:
                        if item.event != "message":
                            if item.event == "error":
                                self.error = _server_error(item.data, acc, request)
                                break
                            continue  # an event type this API does not define
                        text = item.data
                        if text.startswith("[DONE]"):
                            self.done = True
                            break
                        if not text:
                            continue
                        payload = text
                    try:
                        chunk = _validate_chunk(payload)
                    except pydantic.ValidationError as exc:
                        payload, outcome = _as_text(payload, exc, acc, request)
                        if not isinstance(outcome, ChatCompletionChunk):
                            self.error = outcome
                            break
                        chunk = outcome
                    if chunk.error is not None:
                        self.error = _server_error(payload, acc, request)
                        break
                    add(chunk, payload)
                    chunks.append(chunk)
                if self.head is not None and items:
                    self.head = None  # an event: this is an event stream
                if self.too_large is not None and not self.done and self.error is None:
                    big = self.too_large
                    self.error = _decode_error(str(big), big.head, acc, request)
                if self.done or self.error is not None or self.eof or (first and chunks):
                    return None
                now = clock()
                if chunks:  # content came: the idle wait starts again, exactly `idle` long
                    self.idle_at = now + idle
                    left = deadline_at - now
                    if left > idle:  # not `min()`, which parses keywords on every read
                        left = idle
                else:
                    left = min(self.idle_at, self.first_at, deadline_at) - now
                if left <= 0:
                    raise httpx.ReadTimeout(self._expired(now), request=request)
                try:
                    if left < fixed:
                        if chunks and stream:
                            yield LastHandOver(chunks)
                        data: bytes = yield Receive(left)
                    else:
                        data = yield (chunks if chunks and stream else RECEIVE)
                except httpx.ReadTimeout as exc:
                    raise httpx.ReadTimeout(self._expired(clock()), request=request) from exc
                chunks = self.chunks = []
                if not data:
                    self.eof = True
                    items = decoder.flush()  # always [] (WHATWG drops an unterminated event)
                    if self.head is not None:
                        return self._not_events()
                    self.done = _pending_done(decoder.pending)
                    continue
                if self.head is not None and self._sniff(data):
                    body = b"".join(self.head)
                    rest = yield from read_body(self.response, attempts, MAX_BODY_SIZE - len(body))
                    return parse_completion(self.response, body + rest)
                if self.json_only:
                    items = []
                    continue
                payloads = fast(data)
                if payloads is not None:
                    items = payloads
                    continue
                try:
                    items = decoder.decode(data)
                except EventTooLargeError as exc:
                    items, self.too_large = exc.events, exc
                    if self.head is not None and not items and self.start in _JSON_STARTS:
                        # Too long for an event, but it may be JSON: read it whole as JSON.
                        self.json_only, self.too_large = True, None
        except httpx.RequestError as exc:
            if not stream or first:
                raise  # nothing reached the user: the retry loop decides
            raise self._broken(exc) from exc

    def _broken(self, exc: httpx.RequestError) -> Exception:
        acc, request = self.acc, self.response.request
        if isinstance(exc, httpx.DecodingError):
            return _decode_error(f"The stream cannot be decoded: {exc}", "", acc, request)
        what = "timed out" if isinstance(exc, httpx.TimeoutException) else "was interrupted"
        return StreamInterruptedError(
            f"The stream {what} after {acc.count} chunks: {exc}",
            text=acc.text,
            chunks=acc.chunks,
            partial=acc.completion(),
            request=request,
        )

    def _sniff(self, data: bytes) -> bool:
        # Keep the start of a body that has shown no event yet; say whether it is JSON that
        # is not labelled as an event stream (then read it as JSON, not as events).
        if not self.start:
            data = data.lstrip()
            self.start = data[:1]
            if not self.start:
                return False  # blank so far: nothing worth keeping
        assert self.head is not None
        if self.start in _JSON_STARTS:
            self.head.append(data)
            self.head_size += len(data)
            if self.head_size > MAX_BODY_SIZE:
                raise APIDecodeError(
                    f"The response body is larger than {MAX_BODY_SIZE} bytes",
                    request=self.response.request,
                )
            return not self.labelled
        if self.head_size < _SNIFF:
            self.head.append(data[: _SNIFF - self.head_size])
            self.head_size += len(self.head[-1])
        return False

    def _not_events(self) -> ChatCompletion:
        # The body ended without a single event: JSON, an unlabelled page, or nothing.
        body = b"".join(self.head or ())
        if self.start in _JSON_STARTS:  # JSON labelled as an event stream
            return parse_completion(self.response, body)
        if blocked := cloudflare_error(self.response, body):
            raise blocked
        if body and not self.labelled and not body.startswith(_SSE_STARTS):
            message, parsed = extract_message(body, self.content_type)
            raise APIResponseValidationError(
                f"The response holds neither JSON nor server-sent events: {message}",
                response=self.response,
                body=parsed,
            )
        raise httpx.RemoteProtocolError(
            "The server closed the stream before sending any event", request=self.response.request
        )

    def _expired(self, now: float) -> str:
        # Which limit a read ran into: the nearest one.
        attempts = self.attempts
        deadline_at = _INF if attempts.deadline_at is None else attempts.deadline_at
        nearest = min(self.idle_at, self.first_at, deadline_at)
        if nearest == deadline_at:
            return "The call's total deadline expired"
        if nearest == self.first_at:
            return f"No chunk within first_chunk_timeout={attempts.first_chunk_timeout:g}s"
        return f"No chunk within stream_idle_timeout={self.idle:g}s"

    def finish(self, stream: bool) -> Flow[ChatCompletion | None]:
        """After `run`: the chunks still to hand over, then the error, or the result."""
        acc, request = self.acc, self.response.request
        if self.chunks and stream:
            yield LastHandOver(self.chunks)  # what came in the same read as [DONE] or an error
            self.chunks = []
        if self.error is not None:
            raise self.error
        if self.done:
            yield from self._drain()
        elif not acc.finished:
            # The event-stream rules drop an event the stream did not finish; say what it held.
            left = self.decoder.pending.strip()
            dropped = f"; it ended inside an event, which was dropped: {left[:200]!r}"
            dropped = dropped if left else ""
            raise StreamInterruptedError(
                f"The stream ended without [DONE] after {acc.count} chunks, "
                f"before every choice had a finish_reason: the answer is truncated{dropped}",
                text=acc.text,
                chunks=acc.chunks,
                partial=acc.completion(),
                request=request,
            )
        return None if stream else acc.completion()

    def _drain(self) -> Flow[None]:
        # The answer is complete at [DONE]. Read on only what costs nothing (servers end the
        # body right after it), so that the connection goes back to the pool; a body that goes
        # on, or does not end at once, is closed instead.
        clock, size = self.attempts.config.clock, 0
        until = clock() + _DRAIN_SECONDS
        if self.attempts.deadline_at is not None:
            until = min(until, self.attempts.deadline_at)
        try:
            while size <= _DRAIN_BYTES and not self.eof:
                left = until - clock()
                if left <= 0:
                    break
                data = yield Receive(left)
                if not data:
                    return
                size += len(data)
        except httpx.RequestError:
            pass  # the answer is complete; a connection that fails now is simply not reused
        yield Close(self.response)


_JSON_STARTS = (b"{", b"[")


def open_answer(response: httpx.Response, attempts: Attempts) -> Flow[ChatReader | ChatCompletion]:
    """
    Read until the first chunk (or the whole JSON body). Runs inside the retry scope.
    """
    reader = ChatReader(response, attempts)
    if "json" in reader.content_type:
        body = yield from read_body(response, attempts)
        if body.lstrip()[:1] in _JSON_STARTS:
            return parse_completion(response, body)
        reader.feed(body)
        if not reader.items and reader.too_large is None:
            return parse_completion(response, body)
        reader.head = None  # an event stream labelled as JSON; the body is all read
    completion = yield from reader.run(stream=False, first=True)
    if reader.error is not None and not reader.chunks:
        raise reader.error  # before any chunk: the call fails, as a whole
    return reader if completion is None else completion


def read_whole(response: httpx.Response, attempts: Attempts) -> Flow[ChatCompletion]:
    """A `stream=False` answer, read whole inside the retry scope: nothing reached the user."""
    opened = yield from open_answer(response, attempts)
    if isinstance(opened, ChatCompletion):
        return opened
    reader: ChatReader = opened
    yield from reader.run(stream=False, first=False)
    completion = yield from reader.finish(stream=False)
    assert completion is not None
    return completion


def _as_text(
    payload: str | bytes,
    exc: pydantic.ValidationError,
    acc: ChatAccumulator,
    request: httpx.Request,
) -> tuple[str, ChatCompletionChunk | Exception]:
    # A fast-path payload that fails as bytes is tried again as text: invalid UTF-8 is then
    # replaced, as the general path does, so the verdict does not depend on the path taken.
    if isinstance(payload, str):
        return payload, _chunk_error(exc, payload, acc, request)
    text = payload.decode("utf-8", "replace")
    try:
        return text, _validate_chunk(text)
    except pydantic.ValidationError as again:
        return text, _chunk_error(again, text, acc, request)


def _decode_error(
    message: str, data: str, acc: ChatAccumulator, request: httpx.Request
) -> StreamDecodeError:
    return StreamDecodeError(
        message,
        data=data,
        text=acc.text,
        chunks=acc.chunks,
        partial=acc.completion(),
        request=request,
    )


def _pending_done(pending: str) -> bool:
    """
    Whether the unterminated rest of a stream is `[DONE]`: servers that close right after it
    often leave out the blank line, or even the line end.
    """
    tail = pending.strip()
    if tail.startswith("data:"):
        tail = tail[5:].lstrip(" ")
    return tail.startswith("[DONE]")


def _server_error(
    data: str | bytes, acc: ChatAccumulator, request: httpx.Request
) -> StreamServerError:
    try:
        error: object = parse_json(data)
    except ValueError:
        error = data if isinstance(data, str) else data.decode("utf-8", "replace")
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
    return _decode_error(what, data, acc, request)
