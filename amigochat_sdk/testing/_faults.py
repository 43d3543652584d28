"""
Fault injection: the grammar of fault specs, and the queue of scripted faults.

Rule: this module only parses and stores faults; `_wire.py` carries them out on the socket.

A fault reaches a request in one of two ways: the request header `x-amigochat-fault: <spec>`, or
the server's FIFO queue (`server.faults.push(spec, times=1, path=None)`), which serves the next
matching requests when the header is absent. A spec is `;`-separated directives, `name` or
`name=value`; values are percent-decoded, so `content-type=text/html%3B charset=utf-8` works.

| directive                   | effect                                                             |
| --------------------------- | ------------------------------------------------------------------ |
| `status=N`                  | N >= 300: answer N with an error body instead of the reply;        |
|                             | 2xx: the success status of the normal reply (default 201)          |
| `body=KIND`                 | the error body: `nest` (alias `json`, the default)                 |
|                             | `{"message","error","statusCode"}`, `openai` `{"error": {...}}`,   |
|                             | `simple` `{"error": "..."}`, `detail`, `html` (an nginx page),     |
|                             | `text`, `empty`; without `status=` it means status 500             |
| `message=TEXT`              | the error's message (error bodies and `error-event-after`)         |
| `cloudflare`                | 403 Cloudflare block page (HTML, "Sorry, you have been blocked")   |
| `quota`                     | 400 NestJS body with the daily-quota message                       |
| `retry-after=VALUE`         | header `retry-after: VALUE`, sent as given                         |
| `retry-after-date=SECONDS`  | header `retry-after` as the HTTP date SECONDS from now             |
| `retry-after-ms=VALUE`      | header `retry-after-ms: VALUE`                                     |
| `should-retry=BOOL`         | header `x-should-retry: true` or `false`                           |
| `header=NAME:VALUE`         | any response header (repeatable)                                   |
| `content-type=VALUE`        | the response's content type, whatever the body                     |
| `slow-first-byte=SECONDS`   | wait before the status line                                        |
| `close-before-headers`      | close the TCP connection without any response                      |
| `close-after=K`             | K events (K bytes of a non-stream body), then close the connection |
| `eof-after=K`               | K events (bytes), then a clean end of body without `[DONE]`        |
| `error-event-after=K`       | K events, then `event: error` with `data: {"error": {...}}` and a  |
|                             | clean end without `[DONE]`                                         |
| `malformed-after=K`         | insert `data: {not json` after K events; the stream goes on        |
| `stall-after=K:SECONDS`     | pause SECONDS after K events (bytes)                               |
| `huge-event=BYTES`          | insert, after the role chunk, a chunk with BYTES bytes of content  |
| `invalid-utf8`              | insert, after the role chunk, a chunk holding invalid UTF-8 bytes  |
| `crlf` / `cr`               | event-stream lines end with CRLF / CR instead of LF                |
| `split-writes[=N]`          | every write is cut into writes of N bytes (default 1)              |
| `reject-json-schema`        | 400 (NestJS) to a `response_format` of type `json_schema`          |
| `ignore-response-format`    | answer text as if no `response_format` or schema were asked for    |
| `invalid-json`              | the JSON answer loses its last character                           |
| `schema-violation`          | the JSON answer is `[]`, which no object schema allows             |
| `finish=REASON`             | every choice ends with REASON; `length` also cuts the content (or  |
|                             | the tool arguments) in half                                        |
| `bad-tool-arguments`        | tool calls carry arguments that are not JSON                       |
| `refuse`                    | the assistant refuses (`refusal` set, `content` null)              |
| `times=N`                   | when queued: how many requests it serves (default 1)               |

"Events" are the events of an event stream, inserted ones included, not counting `[DONE]`; the
stream directives apply to event streams (`stream: true`, or the `sse` shape) and, where a count
is bytes, to any other body. Error directives win over the normal reply (`cloudflare` and `quota`
take another status from `status=`); the header directives and timings apply to every response,
the error ones included. Faults act on `/v1` routes only, never on `/health` or `/openapi.yaml`;
`server.faults.always(spec)` keeps one in force until `clear()`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args
from urllib.parse import unquote

__all__ = ["BodyKind", "Fault", "FaultQueue"]

BodyKind = Literal["nest", "openai", "simple", "detail", "html", "text", "empty"]
LineEnding = Literal["\n", "\r\n", "\r"]


@dataclass(frozen=True)
class Fault:
    """
    One scripted misbehaviour; every field is off by default. Build it with `Fault.parse(spec)`
    or by keywords:

    ```python
    Fault.parse("status=429;retry-after=2") == Fault(status=429, retry_after="2")
    ```
    """

    status: int | None = None
    body: BodyKind | None = None
    message: str | None = None
    cloudflare: bool = False
    quota: bool = False
    retry_after: str | None = None
    retry_after_date: float | None = None
    retry_after_ms: str | None = None
    should_retry: bool | None = None
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str | None = None
    slow_first_byte: float = 0.0
    close_before_headers: bool = False
    close_after: int | None = None
    eof_after: int | None = None
    error_event_after: int | None = None
    malformed_after: int | None = None
    stall_after: tuple[int, float] | None = None
    huge_event: int | None = None
    invalid_utf8: bool = False
    line_ending: LineEnding = "\n"
    split_writes: int | None = None
    reject_json_schema: bool = False
    ignore_response_format: bool = False
    invalid_json: bool = False
    schema_violation: bool = False
    finish: str | None = None
    bad_tool_arguments: bool = False
    refuse: bool = False
    times: int | None = None

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """
        Parse a spec such as `"status=503;body=html"`; raise `ValueError` naming a bad directive.
        """
        values: dict[str, Any] = {}
        headers: list[tuple[str, str]] = []
        for part in (p.strip() for p in spec.split(";")):
            if not part:
                continue
            name, sep, raw = part.partition("=")
            name = name.strip().lower()
            value = unquote(raw.strip()) if sep else None
            try:
                if name == "header":
                    key, colon, text = _required(value).partition(":")
                    if not colon or not key.strip():
                        raise ValueError("expected NAME:VALUE")
                    headers.append((key.strip().lower(), text.strip()))
                    continue
                if name not in _DIRECTIVES:
                    raise ValueError("unknown directive")
                field, convert = _DIRECTIVES[name]
                values[field] = convert(value)
            except ValueError as exc:
                raise ValueError(f"invalid fault directive {part!r}: {exc}") from None
        return cls(headers=tuple(headers), **values)

    @property
    def is_error(self) -> bool:
        """
        Whether the fault replaces the reply with an error response.
        """
        has_error_status = self.status is not None and self.status >= 300
        return has_error_status or self.cloudflare or self.quota or self.body is not None


def _required(value: str | None) -> str:
    if value is None or value == "":
        raise ValueError("a value is required")
    return value


def _flag(result: object) -> Callable[[str | None], object]:
    def convert(value: str | None) -> object:
        if value is not None:
            raise ValueError("takes no value")
        return result

    return convert


def _count(value: str | None) -> int:
    number = int(_required(value))
    if number < 0:
        raise ValueError("must not be negative")
    return number


def _seconds(value: str | None) -> float:
    number = float(_required(value))
    if not math.isfinite(number) or number < 0:
        raise ValueError("must be a finite number of seconds, not negative")
    return number


def _status(value: str | None) -> int:
    number = int(_required(value))
    if not 200 <= number <= 599:
        raise ValueError("must be between 200 and 599")
    return number


def _body(value: str | None) -> str:
    kind = {"json": "nest"}.get(_required(value).lower(), _required(value).lower())
    if kind not in get_args(BodyKind):
        raise ValueError(f"expected one of json, {', '.join(get_args(BodyKind))}")
    return kind


def _boolean(value: str | None) -> bool:
    text = _required(value).lower()
    if text not in ("true", "false"):
        raise ValueError("expected true or false")
    return text == "true"


def _stall(value: str | None) -> tuple[int, float]:
    count, colon, seconds = _required(value).partition(":")
    if not colon:
        raise ValueError("expected K:SECONDS")
    return _count(count), _seconds(seconds)


def _positive(value: str | None) -> int:
    number = _count(value)
    if number < 1:
        raise ValueError("must be at least 1")
    return number


def _split(value: str | None) -> int:
    return 1 if value is None else _positive(value)


_DIRECTIVES: dict[str, tuple[str, Callable[[str | None], object]]] = {
    "status": ("status", _status),
    "body": ("body", _body),
    "message": ("message", _required),
    "cloudflare": ("cloudflare", _flag(True)),
    "quota": ("quota", _flag(True)),
    "retry-after": ("retry_after", _required),
    "retry-after-date": ("retry_after_date", _seconds),
    "retry-after-ms": ("retry_after_ms", _required),
    "should-retry": ("should_retry", _boolean),
    "content-type": ("content_type", _required),
    "slow-first-byte": ("slow_first_byte", _seconds),
    "close-before-headers": ("close_before_headers", _flag(True)),
    "close-after": ("close_after", _count),
    "eof-after": ("eof_after", _count),
    "error-event-after": ("error_event_after", _count),
    "malformed-after": ("malformed_after", _count),
    "stall-after": ("stall_after", _stall),
    "huge-event": ("huge_event", _positive),
    "invalid-utf8": ("invalid_utf8", _flag(True)),
    "crlf": ("line_ending", _flag("\r\n")),
    "cr": ("line_ending", _flag("\r")),
    "split-writes": ("split_writes", _split),
    "reject-json-schema": ("reject_json_schema", _flag(True)),
    "ignore-response-format": ("ignore_response_format", _flag(True)),
    "invalid-json": ("invalid_json", _flag(True)),
    "schema-violation": ("schema_violation", _flag(True)),
    "finish": ("finish", _required),
    "bad-tool-arguments": ("bad_tool_arguments", _flag(True)),
    "refuse": ("refuse", _flag(True)),
    "times": ("times", _positive),
}


@dataclass
class _Entry:
    fault: Fault
    remaining: int | None  # None: until cleared
    path: str | None

    def matches(self, path: str) -> bool:
        return self.path is None or path in (self.path, "/v1" + self.path)


class FaultQueue:
    """
    Faults waiting for the next matching requests, first in first out; safe across threads.

    A request takes the first entry whose `path` matches (`None` matches every `/v1` request;
    `/chat/completions` and `/v1/chat/completions` are the same path). The `x-amigochat-fault`
    header, when present, wins and leaves the queue alone.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[_Entry] = []

    def push(
        self, fault: Fault | str, times: int | None = None, *, path: str | None = None
    ) -> None:
        """
        Serve `fault` to the next `times` matching requests (default: the spec's `times`, else 1).
        """
        parsed = Fault.parse(fault) if isinstance(fault, str) else fault
        count = times if times is not None else parsed.times or 1
        if count < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._entries.append(_Entry(replace(parsed, times=None), count, path))

    def always(self, fault: Fault | str, *, path: str | None = None) -> None:
        """
        Serve `fault` to every matching request until `clear()`.
        """
        parsed = Fault.parse(fault) if isinstance(fault, str) else fault
        with self._lock:
            self._entries.append(_Entry(replace(parsed, times=None), None, path))

    def take(self, path: str) -> Fault | None:
        """
        The fault for a request to `path`, counting it as served; `None` if none is waiting.
        """
        with self._lock:
            for index, entry in enumerate(self._entries):
                if entry.matches(path):
                    if entry.remaining is not None:
                        entry.remaining -= 1
                        if entry.remaining == 0:
                            del self._entries[index]
                    return entry.fault
        return None

    def clear(self) -> None:
        """
        Forget every waiting fault.
        """
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
