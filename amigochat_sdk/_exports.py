"""
Helpers for the public names: they show as `amigochat_sdk.X`, not as the private module, and a
package can load them on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["lazy", "public"]


def public(namespace: dict[str, Any], names: Iterable[str]) -> None:
    """
    Give the classes among `names` the module `amigochat_sdk`, as httpx does, so reprs and
    tracebacks say `amigochat_sdk.RateLimitError` (where users import it from).
    """
    for name in names:
        value = namespace[name]
        if isinstance(value, type):
            value.__module__ = "amigochat_sdk"


def lazy(
    package: str, namespace: dict[str, Any], homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """
    A package's `__getattr__` and `__dir__` (PEP 562) that import each name in `homes` (name ->
    relative module) on first use and keep it, so importing the package itself stays cheap.
    """

    def getattr_(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home, package), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted({*namespace, *homes})

    return getattr_, dir_
