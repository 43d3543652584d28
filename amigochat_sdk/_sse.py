"""
Incremental Server-Sent Events decoder.

Rule: bytes in, events out; no I/O. `SSEDecoder.decode()` takes one network read and returns the
events it completed; the caller owns the socket. Parsing follows the WHATWG HTML "event stream
interpretation" exactly: lines end in CRLF, LF or CR (never `\\x85`, `\\u2028`, ...), one leading
BOM is dropped, UTF-8 is decoded with U+FFFD replacement, and an event is dispatched only by a
blank line, so an unterminated last event is never delivered (see `SSEDecoder.pending`).

Speed: this is the streaming hot path. Each read costs a few C-level passes (`replace` only if it
holds a CR, one `split`), `data:` lines skip field parsing, and text is decoded once per event.
The syntax uses only ASCII bytes (CR, LF, `:`, space), which never occur inside a multi-byte UTF-8
sequence, so parsing bytes gives the same result as decoding the whole stream first. A partial
line is kept as a list of pieces, so a huge event arriving a byte at a time costs O(n), not O(n^2).
"""

from __future__ import annotations

from typing import NoReturn

from ._constants import DEFAULT_MAX_EVENT_SIZE

__all__ = ["EventTooLargeError", "SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


class ServerSentEvent:
    """
    One dispatched event.

    `event` is the `event:` field or `"message"`; `data` is the `data:` lines joined with `"\\n"`;
    `id` is the last event ID in force when the event was dispatched (`""` if never set); `retry`
    is the reconnection time in milliseconds if this event's own block set a valid one, else `None`.
    """

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self, event: str = "message", data: str = "", id: str = "", retry: int | None = None
    ) -> None:
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry

    def __repr__(self) -> str:
        return (
            f"ServerSentEvent(event={self.event!r}, data={self.data!r}, id={self.id!r}, "
            f"retry={self.retry!r})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.event, self.data, self.id, self.retry) == (
            other.event,
            other.data,
            other.id,
            other.retry,
        )


class EventTooLargeError(ValueError):
    """
    Raised when one event grows past `max_event_size` bytes.

    An event's size is the bytes of its `data` lines so far (whole lines, field name included,
    line ends excluded) plus the line being read, whatever its field. Counting whole lines makes
    the verdict independent of how the stream was split into reads.
    """

    def __init__(
        self, limit: int, head: str = "", events: list[ServerSentEvent] | None = None
    ) -> None:
        super().__init__(f"server-sent event larger than max_event_size ({limit} bytes)")
        self.limit = limit
        #: The first 500 bytes of the event, decoded, to show what it was.
        self.head = head
        #: The events the failing read completed before the oversized one, in order.
        self.events: list[ServerSentEvent] = events or []

    def __reduce__(self) -> tuple[type[EventTooLargeError], tuple[int, str]]:
        return (type(self), (self.limit, self.head))


class SSEDecoder:
    """
    Turns a byte stream into `ServerSentEvent`s, one network read at a time.

    ```python
    decoder = SSEDecoder()
    for chunk in response.iter_bytes():
        for event in decoder.decode(chunk):
            handle(event)
    decoder.flush()  # end of stream: an unterminated event is dropped, see `pending`
    ```

    Two stages, as in httpx-sse: `_lines` frames bytes into lines (BOM, CR/LF/CRLF, the
    unterminated tail) and `_fields` turns lines into events. When an event exceeds
    `max_event_size`, `EventTooLargeError` is raised at once; its `events` are the events this
    read completed before it, so nothing before the oversized event is lost.
    """

    def __init__(self, max_event_size: int = DEFAULT_MAX_EVENT_SIZE) -> None:
        self._limit = max_event_size
        self._head: bytes | None = b""  # bytes seen while a leading BOM is still possible
        self._trailing_cr = False  # the last read ended in CR, so a leading LF is its CRLF's
        self._tail: list[bytes] = []  # pieces of the unterminated last line
        self._tail_len = 0
        self._data: list[bytes] = []  # `data` values of the current event
        self._data_len = 0  # bytes of the current event's `data` lines, as received
        self._event = ""
        self._id = ""  # the last event ID buffer
        self._committed_id = ""  # the buffer as of the last blank line
        self._retry: int | None = None  # set by the current event's block
        self._reconnection_time: int | None = None
        self._error: EventTooLargeError | None = None
        self._idle = False  # see `decode`

    def decode(self, data: bytes) -> list[ServerSentEvent]:
        """
        Feed one read; return the events it completed (possibly `[]`).
        """
        if self._error is not None:
            raise self._error
        try:
            lines = self._lines(data)
            if lines:
                return self._fields(lines)
            if self._data_len + self._tail_len > self._limit:
                self._fail([], self._data + self._tail)
            return []
        finally:
            # Whether nothing is pending (no partial line, event, id or retry, no error):
            # kept as a flag because `payloads()` asks it on every read.
            self._idle = (
                self._head is None
                and not self._tail
                and not self._data
                and not self._event
                and self._retry is None
                and self._id == self._committed_id
                and not self._trailing_cr
                and self._error is None
            )

    def _lines(self, data: bytes) -> list[bytes]:
        # Framing: the complete lines of this read, the first one joined to what earlier
        # reads left unterminated; the new unterminated rest becomes the tail.
        if self._head is not None:
            head = self._head + data
            if len(head) < 3 and _BOM.startswith(head):
                self._head = head
                return []
            self._head = None
            data = head[3:] if head[:3] == _BOM else head
        if self._trailing_cr and data:
            self._trailing_cr = False
            if data[0] == 10:
                data = data[1:]
        if 13 in data:  # int membership is a memchr; b"\r" in data is far slower
            self._trailing_cr = data[-1] == 13
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = data.split(b"\n")
        last = lines.pop()
        if lines and self._tail:
            self._tail.append(lines[0])
            lines[0] = b"".join(self._tail)
            self._tail = []
            self._tail_len = 0
        if last:
            self._tail.append(last)
            self._tail_len += len(last)
        return lines

    def _fields(self, lines: list[bytes]) -> list[ServerSentEvent]:
        # Field handling, per WHATWG. An event's size counts whole lines, so the verdict does
        # not depend on where reads were split.
        limit = self._limit
        size = self._data_len
        events: list[ServerSentEvent] = []
        parts = self._data
        etype, last_id, retry = self._event, self._id, self._retry
        for line in lines:
            if not line:
                if parts:
                    raw = parts[0] if len(parts) == 1 else b"\n".join(parts)
                    text = raw.decode("utf-8", "replace")
                    events.append(ServerSentEvent(etype or "message", text, last_id, retry))
                    parts = []
                etype, retry, size, self._committed_id = "", None, 0, last_id
            elif line[:5] == b"data:":
                n = len(line)
                size += n
                if size > limit:
                    self._fail(events, [*parts, line])
                parts.append(line[6:] if n > 5 and line[5] == 32 else line[5:])
            elif size + len(line) > limit:
                self._fail(events, [line])
            else:  # a comment (leading ":") has the empty field name, which matches nothing
                name, colon, value = line.partition(b":")
                if colon and value[:1] == b" ":
                    value = value[1:]
                if name == b"data":  # only "data" with no colon gets here
                    size += len(line)
                    parts.append(value)
                elif name == b"event":
                    etype = value.decode("utf-8", "replace")
                elif name == b"id":
                    if b"\0" not in value:
                        last_id = value.decode("utf-8", "replace")
                elif name == b"retry" and value.isdigit():
                    try:
                        retry = self._reconnection_time = int(value)
                    except ValueError:  # over int()'s digit limit: no sane delay, so ignore
                        pass
        self._data, self._data_len = parts, size
        self._event, self._id, self._retry = etype, last_id, retry
        if size + self._tail_len > limit:
            self._fail(events, [*parts, *self._tail])
        return events

    def payloads(self, data: bytes) -> list[bytes] | None:
        """
        The fast path of the commonest reads: when the decoder holds nothing and `data` is
        whole `data: ...` events of one line each (LF line ends), perhaps followed by the start
        of the next, return those events' data as bytes, buffering the start of the next as
        `decode()` would. Otherwise return `None` having consumed nothing: call `decode()`.
        An event with empty data is left to `decode()` too, so a payload is never `b""`.
        """
        if not self._idle or not data:
            return None
        # One event in one read, tested without `find` (its argument parsing costs more than
        # the scan): byte tests, then memchr over the payload that is sliced out anyway.
        if data[:6] == b"data: " and data[-1] == 10 and data[-2] == 10:
            payload = data[6:-2]
            if 10 not in payload and 13 not in payload and payload:
                return [payload] if len(data) - 2 <= self._limit else None
        if 13 in data:
            return None
        limit = self._limit
        end = data.rfind(b"\n\n")
        if end < 0:
            return None
        rest = data[end + 2 :]
        if len(rest) > limit:
            return None
        pieces = data[:end].split(b"\n\n")
        for piece in pieces:
            if piece[:6] != b"data: " or 10 in piece or len(piece) > limit or len(piece) == 6:
                return None
        if rest:
            self.decode(rest)  # no blank line in it, so it only buffers
        return [piece[6:] for piece in pieces]

    def flush(self) -> list[ServerSentEvent]:
        """
        Signal end of stream. Always returns `[]`: per WHATWG an event with no closing blank line
        is discarded. Read `pending` afterwards to report or salvage it. An `EventTooLargeError`
        was raised when it happened, so it is not raised again here.
        """
        return []

    @property
    def pending(self) -> str:
        """
        What the undispatched event holds, as text: its data buffer as WHATWG defines it (each
        `data` value followed by `"\\n"`), then the raw unterminated last line, if any.

        For `b"data: a\\ndata: {\\"b"` that is `'a\\ndata: {"b'`; `""` means nothing is pending.
        Other fields (`event`, `id`) are not included. Bytes are decoded with replacement, so a
        character cut off by the end of the read shows as U+FFFD.
        """
        tail = self._head or b"".join(self._tail)
        if self._data:
            tail = b"\n".join(self._data) + b"\n" + tail
        return tail.decode("utf-8", "replace")

    @property
    def last_event_id(self) -> str:
        """
        The stream's last event ID string: the `id` in force at the last blank line (WHATWG
        updates it even when no event is dispatched). Send it as `Last-Event-ID` to resume.
        """
        return self._committed_id

    @property
    def reconnection_time(self) -> int | None:
        """
        The latest valid `retry` value seen anywhere in the stream, in milliseconds, else `None`.
        Unlike `ServerSentEvent.retry`, this keeps a `retry` sent in a block with no data.
        """
        return self._reconnection_time

    def _fail(self, events: list[ServerSentEvent], pieces: list[bytes]) -> NoReturn:
        # Drop the oversized event's buffers (keeping its start, to show in the error) and
        # raise at once, handing over the events completed before it.
        head = bytearray()
        for piece in pieces:
            head += piece[: 500 - len(head)]
            if len(head) >= 500:
                break
        if head[:5] == b"data:":  # an unterminated line still carries its field name
            head = head[6:] if head[5:6] == b" " else head[5:]
        self._error = EventTooLargeError(self._limit, head.decode("utf-8", "replace"))
        self._data, self._tail, self._data_len, self._tail_len = [], [], 0, 0
        raise EventTooLargeError(self._limit, self._error.head, events)
