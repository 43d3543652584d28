"""
One helper for the public names: they show as `amigochat_sdk.X`, not as the private module.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["public"]


def public(namespace: dict[str, Any], names: Iterable[str]) -> None:
    """
    Give the classes among `names` the module `amigochat_sdk`, as httpx does, so reprs and
    tracebacks say `amigochat_sdk.RateLimitError` (where users import it from).
    """
    for name in names:
        value = namespace[name]
        if isinstance(value, type):
            value.__module__ = "amigochat_sdk"
