"""
Tests for `amigochat_sdk._sse`.

Every byte stream is fed three ways, as h11's `tr()` does: all at once, one byte at a time, and
split into two reads at every position. All ways must agree, and a reference parser written
straight from the WHATWG text (decode everything, then split lines) checks random streams.
"""

from __future__ import annotations

import json
import pickle
import re
from typing import NamedTuple

import pytest
from hypothesis import given, strategies as st

from amigochat_sdk._sse import EventTooLargeError, ServerSentEvent, SSEDecoder

E = ServerSentEvent


class Outcome(NamedTuple):
    events: list[ServerSentEvent]
    too_large: bool
    pending: str
    last_event_id: str
    reconnection_time: int | None


def feed(reads: list[bytes], max_event_size: int = 1 << 20) -> Outcome:
    decoder = SSEDecoder(max_event_size)
    events: list[ServerSentEvent] = []
    try:
        for read in reads:
            events += decoder.decode(read)
        events += decoder.flush()
    except EventTooLargeError as exc:
        return Outcome(events + exc.events, True, "", "", None)
    return Outcome(events, False, decoder.pending, decoder.last_event_id, decoder.reconnection_time)


def tr(stream: bytes, max_event_size: int = 1 << 20) -> Outcome:
    whole = feed([stream], max_event_size)
    bytewise = [stream[i : i + 1] for i in range(len(stream))]
    assert feed(bytewise, max_event_size) == whole
    # Empty reads in between change nothing.
    assert feed([b"", *(b for piece in bytewise for b in (piece, b""))], max_event_size) == whole
    for i in range(len(stream) + 1):
        assert feed([stream[:i], stream[i:]], max_event_size) == whole, f"split at {i}"
    return whole


def events_of(stream: bytes) -> list[ServerSentEvent]:
    outcome = tr(stream)
    assert not outcome.too_large
    return outcome.events


# --- reference parser: the WHATWG steps, on text, with no attention to speed ---


def reference(stream: bytes) -> Outcome:
    text = stream.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    *lines, unterminated = re.split("\r\n|\r|\n", text)
    events: list[ServerSentEvent] = []
    data = event = last_id = committed = ""
    retry: int | None = None
    reconnection: int | None = None
    for line in lines:
        if line == "":
            committed = last_id
            if data:
                events.append(E(event or "message", data.removesuffix("\n"), last_id, retry))
            data, event, retry = "", "", None
            continue
        if line.startswith(":"):
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data += value + "\n"
        elif name == "event":
            event = value
        elif name == "id" and "\0" not in value:
            last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = reconnection = int(value)
    return Outcome(events, False, data + unterminated, committed, reconnection)


# --- line ends ---


@pytest.mark.parametrize(
    "stream",
    [
        b"data: hello\n\n",
        b"data: hello\r\n\r\n",
        b"data: hello\r\r",
        b"data: hello\r\n\n",
        b"data: hello\n\r",
        b"data: hello\r\r\n",
    ],
)
def test_each_line_end_style(stream: bytes) -> None:
    assert events_of(stream) == [E(data="hello")]


def test_mixed_line_ends() -> None:
    stream = b"data: a\r\ndata: b\rdata: c\n\r\nid: 1\rdata: d\r\n\n"
    assert events_of(stream) == [E(data="a\nb\nc"), E(data="d", id="1")]


def test_cr_then_crlf_is_two_line_ends() -> None:
    # "a" CR ends a line; the CRLF after it is a blank line that dispatches.
    assert events_of(b"data: a\r\r\ndata: b\n\n") == [E(data="a"), E(data="b")]


def test_crlf_split_across_reads_counts_once() -> None:
    # One CRLF ends the data line; a second LF-only line is needed to dispatch.
    assert feed([b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]).events == [E(data="a\nb")]
    assert feed([b"data: a\r", b"", b"\n", b"\r", b"\n"]).events == [E(data="a")]


def test_cr_dispatches_without_waiting_for_next_read() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: a\r\r") == [E(data="a")]
    assert decoder.decode(b"\ndata: b\n\n") == [E(data="b")]


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\x0b", "\x0c", "\x1c", "\x1e"])
def test_only_cr_and_lf_end_lines(char: str) -> None:
    assert events_of(f"data: a{char}b\n\n".encode()) == [E(data=f"a{char}b")]


# --- fields ---


def test_multi_line_data() -> None:
    assert events_of(b"data: a\ndata: b\ndata: c\n\n") == [E(data="a\nb\nc")]


def test_event_id_retry() -> None:
    stream = b"event: update\nid: 42\nretry: 3000\ndata: x\n\n"
    assert events_of(stream) == [E("update", "x", "42", 3000)]


def test_id_with_nul_is_ignored() -> None:
    stream = b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"
    assert events_of(stream) == [E(data="a", id="1"), E(data="b", id="1")]


def test_nul_in_data_is_kept() -> None:
    assert events_of(b"data: a\x00b\n\n") == [E(data="a\x00b")]


@pytest.mark.parametrize(
    "value",
    [b"12a", b"-1", b"+1", b"1.5", b"", b" 100", b"100 ", b"1_000", "\uff15".encode()],
)
def test_retry_must_be_ascii_digits(value: bytes) -> None:
    outcome = tr(b"retry: " + value + b"\ndata: x\n\n")
    assert outcome.events == [E(data="x")]
    assert outcome.reconnection_time is None


def test_retry_beyond_int_digit_limit_does_not_crash() -> None:
    # CPython 3.10.7+ refuses int() on over 4300 digits; such a delay is ignored, not an error.
    assert [e.data for e in tr(b"retry: " + b"9" * 5000 + b"\ndata: x\n\n").events] == ["x"]


def test_retry_leading_zeros() -> None:
    assert events_of(b"retry:0070\ndata: x\n\n") == [E(data="x", retry=70)]


def test_retry_belongs_to_its_block_but_reconnection_time_persists() -> None:
    outcome = tr(b"retry: 100\ndata: a\n\ndata: b\n\nretry: 5\n\ndata: c\n\n")
    assert outcome.events == [E(data="a", retry=100), E(data="b"), E(data="c")]
    assert outcome.reconnection_time == 5


def test_comments_are_ignored() -> None:
    assert events_of(b": hi\ndata: x\n:data: y\n:\n\n") == [E(data="x")]
    assert events_of(b": ping\n\n: ping\r\n\r\n") == []


def test_colon_rules() -> None:
    assert events_of(b"data:x\n\n") == [E(data="x")]
    assert events_of(b"data:  x\n\n") == [E(data=" x")]
    assert events_of(b"data:\tx\n\n") == [E(data="\tx")]
    assert events_of(b"data: a: b:c\n\n") == [E(data="a: b:c")]
    assert events_of(b"event:ping\ndata\n\n") == [E(event="ping")]


def test_field_with_no_colon() -> None:
    assert events_of(b"data\n\n") == [E(data="")]
    assert events_of(b"data\ndata\ndata: x\n\n") == [E(data="\n\nx")]
    assert events_of(b"event: a\nevent\ndata: x\n\n") == [E(data="x")]
    assert events_of(b"id: 1\nid\ndata: x\n\n") == [E(data="x", id="")]


def test_unknown_and_miscased_fields_are_ignored() -> None:
    assert events_of(b"foo: bar\ndata: x\nbaz\n\n") == [E(data="x")]
    assert events_of(b"Data: x\n\n") == []
    assert events_of(b"DATA: x\nEvent: y\nID: 3\ndata: z\n\n") == [E(data="z")]
    assert events_of(b" data: x\n\ndata : y\n\n") == []


def test_empty_data_lines() -> None:
    assert events_of(b"data:\n\n") == [E(data="")]
    assert events_of(b"data: \n\n") == [E(data="")]
    assert events_of(b"data:\ndata:\n\n") == [E(data="\n")]
    assert events_of(b"data: a\ndata:\n\n") == [E(data="a\n")]


def test_block_without_data_is_not_dispatched_and_resets_type() -> None:
    assert events_of(b"event: foo\n\ndata: x\n\n") == [E(data="x")]
    assert events_of(b"event: foo\nid: 1\nretry: 9\n\n") == []
    assert events_of(b"\n\n\ndata: x\n\n\n\n") == [E(data="x")]


def test_id_persists_across_events_until_reset() -> None:
    stream = b"id: 1\ndata: a\n\ndata: b\n\nid: 7\n\ndata: c\n\nid\ndata: d\n\n"
    outcome = tr(stream)
    expected = [E(data="a", id="1"), E(data="b", id="1"), E(data="c", id="7"), E(data="d")]
    assert outcome.events == expected
    assert outcome.last_event_id == ""


def test_last_event_id_updates_only_at_blank_lines() -> None:
    assert tr(b"id: 1\n\nid: 2\ndata: x\n").last_event_id == "1"
    assert tr(b"id: 5\n\n").last_event_id == "5"


# --- BOM and UTF-8 ---


def test_leading_bom_is_stripped() -> None:
    assert events_of(b"\xef\xbb\xbfdata: x\n\n") == [E(data="x")]
    assert feed([b"\xef", b"\xbb", b"\xbfdata: x\n\n"]).events == [E(data="x")]


def test_only_one_bom_is_stripped() -> None:
    # The second BOM makes the field name "\ufeffdata", which is unknown.
    assert events_of(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n") == []


def test_later_bom_is_data() -> None:
    assert events_of(b"data: \xef\xbb\xbfx\n\n") == [E(data="\ufeffx")]
    assert events_of(b"data: a\n\n\xef\xbb\xbfdata: b\n\n") == [E(data="a")]


def test_bom_prefix_that_is_not_a_bom() -> None:
    assert events_of(b"\xef\xbbdata: x\n\ndata: y\n\n") == [E(data="y")]
    assert tr(b"\xef\xbb").pending == "\ufffd"


def test_multibyte_utf8_split_anywhere() -> None:
    text = "Привет 👋"
    stream = f"event: приветствие\nid: ид-👋\ndata: {text}\n\n".encode()
    assert events_of(stream) == [E("приветствие", text, "ид-👋")]


def test_invalid_utf8_becomes_replacement_char() -> None:
    stream = b"event: a\xffb\ndata: x\xe2\x82\ndata: \xacy\xf0\x9f\n\n"
    assert events_of(stream) == [E("a\ufffdb", "x\ufffd\n\ufffdy\ufffd")]


# --- end of stream and `pending` ---


def test_incomplete_event_is_not_dispatched() -> None:
    outcome = tr(b'data: a\n\ndata: b\ndata: {"c')
    assert outcome.events == [E(data="a")]
    assert outcome.pending == 'b\ndata: {"c'


@pytest.mark.parametrize(
    ("stream", "pending"),
    [
        (b"", ""),
        (b"data: a\n\n", ""),
        (b"data: a\n\ndata: b", "data: b"),
        (b"data: a\n", "a\n"),
        (b"data: a\r", "a\n"),
        (b"data: a\ndata:", "a\ndata:"),
        (b"event: x\nid: 1\n", ""),
        (b"event: x\nid: 1", "id: 1"),
        (b": keep-alive", ": keep-alive"),
        (b"data: \xd0\x9f", "data: \u041f"),
    ],
)
def test_pending(stream: bytes, pending: str) -> None:
    assert tr(stream).pending == pending


def test_pending_mid_character_then_completed() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: \xd0") == []
    assert decoder.pending == "data: \ufffd"
    assert decoder.decode(b"\x9f\n\n") == [E(data="\u041f")]
    assert decoder.pending == ""


def test_flush_keeps_pending_readable() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"data: partial") == []
    assert decoder.flush() == []
    assert decoder.pending == "data: partial"


# --- size limit ---


def test_event_at_limit_passes_and_one_byte_more_fails() -> None:
    # Size counts whole data lines: "data: abcd" is 10 bytes.
    assert tr(b"data: abcd\n\n", max_event_size=10).events == [E(data="abcd")]
    assert tr(b"data: abcd\n\n" * 20, max_event_size=10).events == [E(data="abcd")] * 20
    assert tr(b"data: abcde\n\n", max_event_size=10).too_large
    assert tr(b"data: abc\ndata: abc\n\n", max_event_size=18).events == [E(data="abc\nabc")]
    assert tr(b"data: abc\ndata: abc\n\n", max_event_size=17).too_large


def test_long_non_data_line_counts() -> None:
    assert tr(b"data: abc\n: " + b"x" * 20 + b"\n\n", max_event_size=20).too_large
    assert tr(b"data: abc\n\n: " + b"x" * 17 + b"\n\n", max_event_size=20).events == [E(data="abc")]


def test_events_before_the_oversized_one_are_delivered() -> None:
    outcome = tr(b"data: a\n\ndata: " + b"x" * 30 + b"\n\ndata: b\n\n", max_event_size=20)
    assert outcome.events == [E(data="a")]
    assert outcome.too_large


def test_error_is_raised_at_once_with_the_events_before_it_then_repeated() -> None:
    decoder = SSEDecoder(max_event_size=10)
    with pytest.raises(EventTooLargeError) as info:
        decoder.decode(b"data: a\n\ndata: abcdefgh\n")
    assert info.value.events == [E(data="a")]
    assert info.value.head == "abcdefgh"
    with pytest.raises(EventTooLargeError) as info:
        decoder.decode(b"\n")
    assert info.value.events == []
    assert info.value.limit == 10
    assert "10 bytes" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert decoder.flush() == []  # reported once, when it happened
    assert decoder.pending == ""


def test_unterminated_line_in_small_pieces_is_bounded() -> None:
    limit, piece = 64 * 1024, b"x" * 1000
    decoder = SSEDecoder(max_event_size=limit)
    fed = 0
    with pytest.raises(EventTooLargeError):
        decoder.decode(b"data: ")
        for _ in range(10_000):
            fed += len(piece)
            decoder.decode(piece)
    assert limit < fed + 6 <= limit + len(piece)


def test_many_data_lines_are_bounded() -> None:
    decoder = SSEDecoder(max_event_size=1000)
    with pytest.raises(EventTooLargeError):
        for _ in range(200):
            decoder.decode(b"data: 123456789\n")


def test_error_pickles() -> None:
    error = pickle.loads(pickle.dumps(EventTooLargeError(5)))
    assert (error.limit, str(error)) == (5, str(EventTooLargeError(5)))


def test_large_event_one_byte_at_a_time_is_linear() -> None:
    # Guards against re-copying a growing buffer: quadratic work would take minutes here.
    # 64 KiB of one-byte data lines, then a 64 KiB line fed a byte at a time, in one event.
    payload = b"y" * (64 * 1024)
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for byte in [payload[i : i + 1] for i in range(len(payload))]:
        events += decoder.decode(b"data: " + byte + b"\n")
    stream = b"data: " + payload + b"\r\n\r\n"
    for i in range(len(stream)):
        events += decoder.decode(stream[i : i + 1])
    assert [len(e.data) for e in events] == [2 * len(payload) - 1 + len(payload) + 1]


# --- realistic streams ---


def test_done_sentinel() -> None:
    assert events_of(b"data: [DONE]\n\n") == [E(data="[DONE]")]


def test_openai_chunk_stream() -> None:
    chunks = [
        {"id": "c1", "object": "chat.completion.chunk", "choices": [{"delta": {"content": t}}]}
        for t in ["Hel", "lo ", "👋", "\n"]
    ]
    stream = b"".join(b"data: " + json.dumps(c).encode() + b"\n\n" for c in chunks)
    events = events_of(b": OPENROUTER PROCESSING\n\n" + stream + b"data: [DONE]\n\n")
    assert [json.loads(e.data) for e in events[:-1]] == chunks
    assert events[-1] == E(data="[DONE]")


def test_named_event_stream() -> None:
    stream = (
        b'event: message_start\r\ndata: {"type": "message_start"}\r\n\r\n'
        b"event: ping\r\ndata: {}\r\n\r\n"
        b'event: error\r\ndata: {"error":\r\ndata:  "overloaded"}\r\n\r\n'
    )
    assert events_of(stream) == [
        E("message_start", '{"type": "message_start"}'),
        E("ping", "{}"),
        E("error", '{"error":\n "overloaded"}'),
    ]


# --- the class itself ---


def test_event_repr_and_equality() -> None:
    event = E("update", "x", "1", 5)
    assert repr(event) == "ServerSentEvent(event='update', data='x', id='1', retry=5)"
    assert event == E("update", "x", "1", 5)
    assert event != E("update", "x", "1", None)
    assert event != "x"
    assert E() == E("message", "", "", None)


# --- properties ---


def draw_reads(data: st.DataObject, stream: bytes) -> list[bytes]:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    return [stream[a:b] for a, b in zip([0, *cuts], [*cuts, len(stream)], strict=True)]


_line_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"), max_size=12
)
_event = st.tuples(
    st.one_of(st.none(), _line_text.filter(lambda s: s != "")),
    st.lists(_line_text, min_size=1, max_size=3),
    st.one_of(st.none(), _line_text.filter(lambda s: "\0" not in s)),
    st.one_of(st.none(), st.integers(0, 10**6)),
)


@given(st.lists(_event, max_size=6), st.sampled_from(["\n", "\r", "\r\n"]), st.data())
def test_serialised_events_round_trip_in_any_reads(
    spec: list[tuple[str | None, list[str], str | None, int | None]],
    newline: str,
    data: st.DataObject,
) -> None:
    expected, lines, last_id = [], [], ""
    for event, data_lines, id, retry in spec:
        lines += [] if event is None else [f"event: {event}"]
        lines += [] if id is None else [f"id: {id}"]
        lines += [] if retry is None else [f"retry: {retry}"]
        lines += [f"data: {line}" for line in data_lines] + [""]
        last_id = last_id if id is None else id
        expected.append(E(event or "message", "\n".join(data_lines), last_id, retry))
    stream = "".join(line + newline for line in lines).encode()
    reads = draw_reads(data, stream)
    assert feed([stream]).events == expected
    assert feed(reads) == feed([stream])


_tokens = [
    *(b"data", b"event", b"id", b"retry", b"Data", b":", b" ", b"\r", b"\n", b"\r\n", b"\n\n"),
    *(b"x", b"42", b"\x00", b"\t", b"\xef\xbb\xbf", b"\xef", b"\xbb", b"\xff", b"\xd0\x9f"),
    *(b"\xf0\x9f", b"\x91\x8b", b"\xe2\x80\xa8", b"\xc2\x85", b"\x0b"),
]


@given(st.lists(st.sampled_from(_tokens), max_size=40), st.data())
def test_any_bytes_match_the_reference_parser(tokens: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(tokens)
    reads = draw_reads(data, stream)
    expected = reference(stream)
    assert feed([stream]) == expected
    assert feed(reads) == expected


# --- the fast path ---


def feed_fast(reads: list[bytes], limit: int = 16 * 1024 * 1024) -> list[str]:
    """The data of every event, taking `payloads()` where it applies, as the chat flow does."""
    decoder = SSEDecoder(limit)
    out: list[str] = []
    for read in reads:
        payloads = decoder.payloads(read)
        if payloads is None:
            out += [event.data for event in decoder.decode(read) if event.event == "message"]
        else:
            out += [payload.decode("utf-8", "replace") for payload in payloads]
    return out


def feed_slow(reads: list[bytes]) -> list[str]:
    decoder = SSEDecoder()
    return [e.data for read in reads for e in decoder.decode(read) if e.event == "message"]


def test_payloads_take_whole_plain_events_and_buffer_the_rest() -> None:
    decoder = SSEDecoder()
    assert decoder.payloads(b"data: a\n\n") is None  # the first read may start with a BOM
    assert decoder.decode(b"data: a\n\n") == [E(data="a")]
    assert decoder.payloads(b"data: b\n\n") == [b"b"]
    assert decoder.payloads(b"data: c\n\ndata: d\n\ndata: e") == [b"c", b"d"]
    assert decoder.pending == "data: e"
    assert decoder.payloads(b"\n\n") is None  # something is pending: the general path
    assert decoder.decode(b"\n\n") == [E(data="e")]


@pytest.mark.parametrize(
    "read",
    [
        b"data: a\r\n\r\n",  # CR line ends
        b"event: x\ndata: a\n\n",  # another field
        b"data: a\ndata: b\n\n",  # two data lines
        b"data:a\n\n",  # no space after the colon
        b": comment\n\ndata: a\n\n",  # a comment
        b"data: a\n",  # no blank line yet
        b"data: \n\n",  # empty data: an event whose data is ""
        b"data: a\n\ndata: \n\n",  # the same, after a plain event
        b"\n",  # a blank line alone
    ],
)
def test_payloads_leave_everything_else_to_decode(read: bytes) -> None:
    decoder = SSEDecoder()
    decoder.decode(b"data: warm\n\n")
    assert decoder.payloads(read) is None


@given(st.lists(_event, max_size=6), st.sampled_from(["\n", "\r\n"]), st.data())
def test_the_fast_path_decodes_as_the_general_one(
    spec: list[tuple[str | None, list[str], str | None, int | None]],
    newline: str,
    data: st.DataObject,
) -> None:
    lines: list[str] = []
    for event, data_lines, id, retry in spec:
        lines += [] if event is None else [f"event: {event}"]
        lines += [] if id is None else [f"id: {id}"]
        lines += [] if retry is None else [f"retry: {retry}"]
        lines += [f"data: {line}" for line in data_lines] + [""]
    stream = b"data: first\n\n" + "".join(line + newline for line in lines).encode()
    reads = draw_reads(data, stream)
    assert feed_fast(reads) == feed_slow(reads) == feed_slow([stream])
