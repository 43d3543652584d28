"""
The connection pool of a client and of its `with_options` copies: one httpx client, made anew
in a forked child, refused once closed.

Rule: the SDK never sends on a connection another process holds. After `os.fork()` a child
shares its parent's sockets; a request on one would interleave with the parent's bytes. So
each pool remembers the fork generation it was made in, and a pool the SDK made is replaced
(never closed: closing would shut the parent's sockets) the first time the child uses it. An
`http_client` the user gave is theirs: it is used as given.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Generic, TypeVar

import httpx

from ._exceptions import ClientClosedError

__all__ = ["Pool"]

H = TypeVar("H", httpx.Client, httpx.AsyncClient)

_generation = 0


def _forked() -> None:
    global _generation
    _generation += 1


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forked)


class Pool(Generic[H]):
    """One httpx client; `factory` makes it (again), `None` for one the user gave."""

    __slots__ = ("_closed", "_generation", "_http", "factory")

    _http: H
    factory: Callable[[], H] | None

    def __init__(self, http: H, factory: Callable[[], H] | None) -> None:
        self._http = http
        self.factory = factory
        self._generation = _generation
        self._closed = False

    @property
    def owned(self) -> bool:
        """Whether the SDK made the httpx client (and closes it)."""
        return self.factory is not None

    def get(self) -> H:
        """The httpx client to send with, in this process; `ClientClosedError` once closed."""
        if self._closed or self._http.is_closed:
            raise ClientClosedError(
                "This client is closed: make a new one (or use it inside `with` until done)"
            )
        if self._generation != _generation and self.factory is not None:
            self._http = self.factory()  # the parent's connections stay the parent's
            self._generation = _generation
        return self._http

    @property
    def http(self) -> H:
        """The httpx client as it is, for settings (headers, timeout); not for sending."""
        return self._http

    def mark_closed(self) -> None:
        """No more requests through this pool."""
        self._closed = True
