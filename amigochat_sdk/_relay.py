"""
Flows made of chat flows: run one `chat_flow` inside a bigger flow, seeing what it hands over.

Rule: the inner flow's commands pass through untouched, so the drivers cannot tell a composed
flow from a plain one; only `Ready` and the batches of chunks meant for the user go through the
caller's `view`, which returns what to hand over instead (`None`: nothing). No I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ._core import RECEIVE, Flow, Ready

__all__ = ["relay"]

T = TypeVar("T")


def relay(inner: Flow[T], view: Callable[[Any], Any]) -> Flow[T]:
    """
    `yield from inner`, with `view` applied to its `Ready` and to its batches (a list means
    "hand over, then reply with the next bytes"; a tuple "hand over, reply `None`").
    """
    reply: Any = None
    error: BaseException | None = None
    try:
        while True:
            try:
                item = inner.send(reply) if error is None else inner.throw(error)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            error = None
            kind = type(item)
            if kind is Ready or kind is list or kind is tuple:
                shown = view(item)
                if shown is None:
                    if kind is list:
                        shown = RECEIVE  # the inner flow still wants the next bytes
                    else:
                        reply = None
                        continue
                item = shown
            try:
                reply = yield item
            except GeneratorExit:
                raise
            except BaseException as exc:  # a transport error for the inner flow to handle
                error = exc
    finally:
        inner.close()
