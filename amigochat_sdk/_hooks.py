"""
Hooks per attempt: user code that sees each attempt's request before it is sent, and its
response or error after, inside the retry loop.

Rule: hooks are called by the request flow (`_core.retrying`) through the driver, so they are
written once for both clients; a hook method may be a plain function or a coroutine function
(the latter on `AsyncClient` only). The retry rule stays in `_retry`: a hook can *ask* for a
retry, and gets one only within `max_retries` and the deadline.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._exports import public

if TYPE_CHECKING:
    import httpx

    from ._exceptions import APIConnectionError, APIDecodeError

__all__ = ["Attempt", "Hook", "Retry", "install", "installed", "uninstall"]


@dataclass(frozen=True)
class Attempt:
    """One attempt of a call, as a hook sees it."""

    number: int
    """1 for the first attempt, 2 for the first retry, ..."""
    request: httpx.Request
    """The request of this attempt. `before_request` may change its headers."""
    elapsed: float
    """Seconds since the call started, retries and their waits included."""


@dataclass(frozen=True)
class Retry:
    """
    What `after_response` or `after_error` returns to ask for another attempt: after `delay`
    seconds, or after the SDK's own backoff when `None`. Granted within `max_retries` and the
    deadline; past them the call goes on as if no hook had asked.
    """

    delay: float | None = None


class Hook:
    """
    A hook per attempt, given to a client as `hooks=[...]`. Override what you need; each
    method may be `async def` on `AsyncClient`. What a method raises fails the call with that
    error (the response is closed first).

    ```python
    class CountAttempts(Hook):
        def __init__(self) -> None:
            self.seen: list[int] = []

        def after_response(self, response, attempt):
            self.seen.append(response.status_code)
            return None

    client = Client(hooks=[CountAttempts()])
    ```
    """

    def before_request(self, request: httpx.Request, attempt: Attempt) -> Awaitable[None] | None:
        """Called before each attempt is sent."""
        return None

    def after_response(
        self, response: httpx.Response, attempt: Attempt
    ) -> Retry | Awaitable[Retry | None] | None:
        """
        Called when an attempt's response headers arrive, whatever the status (its body is
        not read yet). Return `Retry()` to ask for another attempt.
        """
        return None

    def after_error(
        self, error: APIConnectionError | APIDecodeError, attempt: Attempt
    ) -> Retry | Awaitable[Retry | None] | None:
        """
        Called when an attempt fails without a response (a connection error or a timeout,
        as the SDK error it maps to), retried or not. Return `Retry()` to ask for another.
        """
        return None


# Hooks every client runs, after its own: how an instrumentor (`amigochat_sdk.otel`) sees
# the calls of clients it did not make. A tuple, replaced whole, so a reader never sees it
# change under it.
_INSTALLED: tuple[Hook, ...] = ()


def install(hook: Hook) -> None:
    """Run `hook` on every call of every client, after the clients' own hooks."""
    global _INSTALLED
    _INSTALLED = (*_INSTALLED, hook)


def uninstall(hook: Hook) -> None:
    """Stop running a hook given to `install`."""
    global _INSTALLED
    _INSTALLED = tuple(h for h in _INSTALLED if h is not hook)


def installed() -> tuple[Hook, ...]:
    """The hooks given to `install`, in order."""
    return _INSTALLED


public(globals(), ["Attempt", "Hook", "Retry"])
