"""A stream cut inside an event: WHATWG drops the event, and the error shows what it held."""

import httpx
import pytest

from amigochat_sdk import Client, StreamInterruptedError

BODY = (
    b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
    b'data: {"choices":[{"index":0,"delta":{"content":"b"},"finish_reason":"stop"}]}\n'
)


def test_an_unfinished_last_event_is_dropped_but_shown_in_the_error() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(
            200, content=BODY, headers={"content-type": "text/event-stream"}
        )
    )
    client = Client(http_client=httpx.Client(transport=transport), base_url="http://t/v1")
    seen: list[str] = []
    with pytest.raises(StreamInterruptedError) as info:
        for text in client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], stream=True
        ).text():
            seen.append(text)
    assert seen == ["a"]
    assert info.value.text == "a"
    assert '"content":"b"' in str(info.value)
