"""
The fault grammar and the fault queue, without a server.
"""

from __future__ import annotations

import threading

import pytest

from amigochat_sdk.testing import Fault, FaultQueue


def test_parse_every_directive() -> None:
    spec = (
        "status=429; body=json; message=slow%20down; retry-after=2; retry-after-date=5;"
        "retry-after-ms=1500; should-retry=false; header=x-a: b; content-type=text/html%3B x=1;"
        "slow-first-byte=0.5; close-after=3; eof-after=4; error-event-after=5; malformed-after=6;"
        "stall-after=2:0.25; huge-event=100; invalid-utf8; crlf; split-writes=3; times=2"
    )
    assert Fault.parse(spec) == Fault(
        status=429,
        body="nest",
        message="slow down",
        retry_after="2",
        retry_after_date=5.0,
        retry_after_ms="1500",
        should_retry=False,
        headers=(("x-a", "b"),),
        content_type="text/html; x=1",
        slow_first_byte=0.5,
        close_after=3,
        eof_after=4,
        error_event_after=5,
        malformed_after=6,
        stall_after=(2, 0.25),
        huge_event=100,
        invalid_utf8=True,
        line_ending="\r\n",
        split_writes=3,
        times=2,
    )


@pytest.mark.parametrize(
    ("spec", "fault"),
    [
        ("", Fault()),
        ("cloudflare", Fault(cloudflare=True)),
        ("QUOTA", Fault(quota=True)),
        ("close-before-headers", Fault(close_before_headers=True)),
        ("cr", Fault(line_ending="\r")),
        ("split-writes", Fault(split_writes=1)),
        ("body=html", Fault(body="html")),
        ("status=200", Fault(status=200)),
    ],
)
def test_parse_flags_and_defaults(spec: str, fault: Fault) -> None:
    assert Fault.parse(spec) == fault


@pytest.mark.parametrize(
    "spec",
    [
        "nonsense",
        "status",
        "status=99",
        "status=abc",
        "body=xml",
        "cloudflare=1",
        "close-after=-1",
        "stall-after=3",
        "slow-first-byte=inf",
        "should-retry=maybe",
        "header=novalue",
        "huge-event=0",
        "times=0",
    ],
)
def test_parse_rejects_bad_directives(spec: str) -> None:
    with pytest.raises(ValueError, match="invalid fault directive"):
        Fault.parse(spec)


def test_is_error() -> None:
    assert not Fault.parse("status=200;close-after=1").is_error
    for spec in ("status=503", "cloudflare", "quota", "body=text"):
        assert Fault.parse(spec).is_error


def test_queue_serves_in_order_with_times_and_paths() -> None:
    queue = FaultQueue()
    queue.push("status=500", times=2, path="/images/generations")
    queue.push(Fault(status=503))
    queue.push("status=429;times=2")
    assert queue.take("/v1/chat/completions") == Fault(status=503)
    assert queue.take("/v1/images/generations") == Fault(status=500)
    assert queue.take("/v1/chat/completions") == Fault(status=429)
    assert queue.take("/v1/images/generations") == Fault(status=500)
    assert queue.take("/v1/images/generations") == Fault(status=429)
    assert queue.take("/v1/chat/completions") is None
    assert len(queue) == 0


def test_queue_always_until_cleared() -> None:
    queue = FaultQueue()
    queue.always("status=503", path="/v1/chat/completions")
    assert [queue.take("/v1/chat/completions") for _ in range(3)] == [Fault(status=503)] * 3
    assert queue.take("/v1/images/generations") is None
    queue.clear()
    assert queue.take("/v1/chat/completions") is None


def test_queue_is_safe_across_threads() -> None:
    queue = FaultQueue()
    queue.push("status=503", times=1000)
    taken: list[Fault | None] = []

    def worker() -> None:
        for _ in range(300):
            taken.append(queue.take("/v1/chat/completions"))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(fault is not None for fault in taken) == 1000


def test_push_rejects_zero_times() -> None:
    with pytest.raises(ValueError):
        FaultQueue().push("status=503", times=0)
