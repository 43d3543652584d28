"""
A reference AmigoChat server on loopback, with fault injection, in the spirit of stripe-mock and
moto: for the demo and the CLI's offline mode, for recording cassettes, for fault tests, and for
users who test their own code without a network.

```python
from amigochat_sdk.testing import serve

with serve() as server:                      # a free port on 127.0.0.1, in a background thread
    server.faults.push("status=429;retry-after=1")
    client = Client(base_url=server.url)     # http://127.0.0.1:PORT/v1
    ...
    print(server.requests.last.headers["x-device-uuid"])
```

Or from a shell: `python -m amigochat_sdk.testing --port 0` prints its URL and serves until
Ctrl-C. The fault grammar is in `amigochat_sdk.testing._faults`; the pytest fixtures
(`amigochat_server`, `amigochat_client`, `amigochat_async_client`) load by themselves.

Names are imported on first use, so that this package costs nothing to import (the pytest plugin
lives here) and needs the `server` extra (starlette, uvicorn) only when a server is made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._exports import lazy

if TYPE_CHECKING:
    from ._app import ReferenceApp, create_app, find_spec
    from ._bodies import QUOTA_MESSAGE, UPSTREAM_MESSAGE
    from ._faults import Fault, FaultQueue
    from ._instances import instance
    from ._server import ReferenceServer, run, serve
    from ._state import RecordedRequest, RequestLog, ServerOptions
    from ._wire import ConnectionDroppedError

__all__ = [
    "QUOTA_MESSAGE",
    "SERVER_EXTRA_MESSAGE",
    "UPSTREAM_MESSAGE",
    "ConnectionDroppedError",
    "Fault",
    "FaultQueue",
    "RecordedRequest",
    "ReferenceApp",
    "ReferenceServer",
    "RequestLog",
    "ServerOptions",
    "create_app",
    "find_spec",
    "instance",
    "run",
    "serve",
]

_HOMES = {
    "QUOTA_MESSAGE": "._bodies",
    "UPSTREAM_MESSAGE": "._bodies",
    "ConnectionDroppedError": "._wire",
    "Fault": "._faults",
    "FaultQueue": "._faults",
    "RecordedRequest": "._state",
    "ReferenceApp": "._app",
    "ReferenceServer": "._server",
    "RequestLog": "._state",
    "ServerOptions": "._state",
    "create_app": "._app",
    "find_spec": "._app",
    "instance": "._instances",
    "run": "._server",
    "serve": "._server",
}

#: What a missing `server` extra says, wherever it is found missing.
SERVER_EXTRA_MESSAGE = (
    "the reference server needs the server extra: pip install 'amigochat-sdk[server]'"
)
_SERVER_EXTRA = frozenset({"starlette", "uvicorn", "h11"})

_load, __dir__ = lazy(__name__, globals(), _HOMES)


def __getattr__(name: str) -> Any:
    try:
        return _load(name)
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in _SERVER_EXTRA:
            raise
        from .._exceptions import MissingExtraError  # here: the pytest plugin imports us

        # One line and no chained traceback: the fix is the message.
        raise MissingExtraError(SERVER_EXTRA_MESSAGE) from None
