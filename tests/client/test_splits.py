"""
The rule of the read path: for any body and any split of it into network reads, a call gives the
same result: the same chunks in the same order, then the same outcome (success, or the same
public exception class with the same `.text` and `.chunks`), with `stream=True` and
`stream=False`, on `Client` and on `AsyncClient` (asyncio and trio). Everything raised is an
`AmigoChatError`.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from amigochat_sdk import AmigoChatError
from amigochat_sdk._sse import EventTooLargeError, SSEDecoder
from amigochat_sdk.types import ChatCompletion, ChatCompletionChunk
from tests.client.helpers import Api, chunk_data, completion_data, response
from tests.flavors import FLAVORS

LIMIT = 256  # max_event_size, so that an oversized event is cheap to make
TEXTS = ["Hi", " there", "é", "漢字", "👋", "a\u2028b", "", "x" * 40]


def _event(lines: list[bytes], newline: bytes) -> bytes:
    return b"".join(line + newline for line in lines) + newline


def _chunk(text: str, finish: str | None = None) -> bytes:
    return b"data: " + json.dumps(chunk_data(text, finish=finish), ensure_ascii=False).encode()


@st.composite
def event_bodies(draw: st.DrawFn) -> bytes:
    newline = draw(st.sampled_from([b"\n", b"\r", b"\r\n"]))
    kinds = st.sampled_from(
        ["chunk", "chunk", "chunk", "comment", "big", "error", "malformed", "empty", "other", "id"]
    )
    body = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    for kind in draw(st.lists(kinds, max_size=8)):
        if kind == "chunk":
            lines = [_chunk(draw(st.sampled_from(TEXTS)))]
        elif kind == "comment":
            lines = [b": ping"]
        elif kind == "big":
            lines = [b"data: " + b"x" * (LIMIT + 10)]
        elif kind == "error":
            lines = [b"event: error", b'data: {"error": {"message": "boom"}}']
        elif kind == "malformed":
            lines = [b'data: {"choices": [']
        elif kind == "empty":  # data with nothing in it: dispatched, with "" (WHATWG)
            lines = [draw(st.sampled_from([b"data:", b"data: "]))]
        elif kind == "other":
            lines = [b"event: ping", b"data: {}"]
        else:
            lines = [b"id: 7\x00", b"retry: 100", _chunk("with id")]
        body += _event(lines, newline)
    end = draw(st.sampled_from(["done", "finish+done", "finish", "nothing", "partial"]))
    if "finish" in end:
        body += _event([_chunk("", "stop")], newline)
    if "done" in end:
        body += _event([b"data: [DONE]"], newline)
    if end == "partial":
        body += _chunk("cut")[:-5]
    return body


@st.composite
def json_bodies(draw: st.DrawFn) -> bytes:
    size = draw(st.sampled_from([0, 5, 70_000]))  # past the 64 KiB once kept for sniffing
    data: dict[str, Any] = completion_data("y" * size)
    if draw(st.booleans()):
        data = {"message": data}
    return draw(st.sampled_from([b"", b"\n", b" \r\n"])) + json.dumps(data).encode()


@st.composite
def splits(draw: st.DrawFn, body: bytes) -> list[bytes]:
    cuts = sorted(set(draw(st.lists(st.integers(0, len(body)), max_size=6))))
    return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]


def _dump(chunk: ChatCompletionChunk | ChatCompletion) -> Any:
    return chunk.model_dump(mode="json")


async def _outcome(flavor: str, reads: list[bytes], content_type: str | None, stream: bool) -> Any:
    api = Api(
        flavor,
        lambda request: response(200, reads, content_type=content_type),
        max_retries=0,
        max_event_size=LIMIT,
    )
    got: list[Any] = []
    try:
        if stream:
            handle = await api.stream()
            while (chunk := await handle.next()) is not None:
                got.append(_dump(chunk))
            return ("ok", got, _dump(await handle.final()))
        return ("ok", got, _dump(await api.create()))
    except Exception as exc:
        assert isinstance(exc, AmigoChatError), repr(exc)
        chunks = [_dump(chunk) for chunk in getattr(exc, "chunks", [])]
        return (type(exc).__name__, got, getattr(exc, "text", None), chunks)
    finally:
        await api.close()


def _verdicts(reads: list[bytes], content_type: str | None) -> list[Any]:
    results = []
    for stream in (True, False):
        for flavor in FLAVORS:
            backend = "trio" if flavor == "trio" else "asyncio"
            results.append(
                anyio.run(_outcome, flavor, reads, content_type, stream, backend=backend)
            )
    return results


def _check(body: bytes, reads: list[bytes], content_type: str | None) -> list[Any]:
    whole = _verdicts([body], content_type)
    assert whole[:3] == [whole[0]] * 3, "the clients disagree (stream=True)"
    assert whole[3:] == [whole[3]] * 3, "the clients disagree (stream=False)"
    assert _verdicts(reads, content_type) == whole
    return whole


def _events(*events: list[bytes]) -> bytes:
    return b"".join(_event(lines, b"\n") for lines in events)


BIG = [b"data: " + b"x" * (LIMIT + 10)]
DONE = [b"data: [DONE]"]
KNOWN = [
    # An oversized event after a chunk: the error comes at once, whatever the reads.
    pytest.param(_events([_chunk("Hi")], BIG, [_chunk("", "stop")], DONE), "StreamDecodeError"),
    # [DONE] before an oversized event: the answer was complete.
    pytest.param(_events([_chunk("Hi", "stop")], DONE, BIG), "ok"),
    # Invalid UTF-8 in a plain event: replaced, on the fast path as on the general one.
    pytest.param(_events([_chunk("a")[:-40] + b"\xff" + _chunk("a")[-40:]], DONE), "ok"),
    pytest.param(_events([b": ping"], [_chunk("Hi", "stop")], DONE), "ok"),
    pytest.param(_events([_chunk("Hi")]), "StreamInterruptedError"),
]


@pytest.mark.parametrize(("body", "verdict"), KNOWN)
@pytest.mark.parametrize("content_type", ["text/event-stream", "application/json"])
def test_known_bodies_give_their_verdict_at_every_cut(
    body: bytes, verdict: str, content_type: str
) -> None:
    for cut in range(0, len(body) + 1, 7):
        whole = _check(body, [body[:cut], body[cut:]], content_type)
        assert {result[0] for result in whole} == {verdict}, cut


def test_an_event_with_empty_data_is_skipped_alone_in_its_read_or_not() -> None:
    events = [[_chunk("Hi")], [b"data: "], [_chunk("", "stop")], DONE]
    reads = [_events(*events[:1]), _events(*events[1:2]), _events(*events[2:])]
    whole = _check(b"".join(reads), reads, "text/event-stream")
    assert {result[0] for result in whole} == {"ok"}
    whole = _check(b"".join(reads), [reads[0], reads[1] + reads[2]], "text/event-stream")
    assert {result[0] for result in whole} == {"ok"}


_settings = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_settings
@given(st.data(), event_bodies())
def test_an_event_stream_gives_one_verdict_however_it_is_split(
    data: st.DataObject, body: bytes
) -> None:
    verdicts = [
        _check(body, data.draw(splits(body)), content_type)
        for content_type in ("text/event-stream", "application/json", None)
    ]
    try:
        has_events = bool(SSEDecoder(1 << 20).decode(body))
    except EventTooLargeError:  # pragma: no cover - the limit is far above these bodies
        has_events = True
    if has_events:  # an event stream is one whatever its label says
        assert verdicts[1] == verdicts[2] == verdicts[0]


@_settings
@given(st.data(), json_bodies(), st.sampled_from(["text/event-stream", "application/json", None]))
def test_a_json_answer_gives_one_verdict_however_it_is_split(
    data: st.DataObject, body: bytes, content_type: str | None
) -> None:
    whole = _check(body, data.draw(splits(body)), content_type)
    assert {result[0] for result in whole} == {"ok"}
