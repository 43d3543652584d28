"""
Runs a reference app on uvicorn: in a background thread (`ReferenceServer`, `serve`) or in the
foreground (`run`, behind `python -m amigochat_sdk.testing`).

Rule: the server binds its socket before it starts, so its URL is known at once, and gives the app
a way to drop connections (uvicorn keeps each connection's transport; ASGI has no such verb).
`stop()` joins the thread, and uvicorn closes the socket: nothing is left behind.
"""

from __future__ import annotations

import contextlib
import functools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import Scope

from ._app import ReferenceApp
from ._faults import FaultQueue
from ._state import RequestLog, ServerOptions

__all__ = ["ReferenceServer", "run", "serve"]


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog until the loop starts accepting
    except BaseException:
        sock.close()
        raise
    return sock


def _origin(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _drop(server: uvicorn.Server, scope: Scope) -> bool:
    """
    Close the TCP connection that carries `scope`, after flushing what was written to it.
    """
    client = scope.get("client")
    for connection in list(server.server_state.connections):
        if client is not None and getattr(connection, "client", None) == tuple(client):
            connection.transport.close()
            return True
    return False


def _make_server(
    app: ReferenceApp, log_level: str | None = None, access_log: bool = False
) -> uvicorn.Server:
    # No log config: uvicorn leaves the loggers as the caller set them up (see _command.py).
    logging: dict[str, Any] = {"log_config": None, "access_log": access_log}
    if log_level is not None:
        logging = {"log_level": log_level}
    config = uvicorn.Config(
        app,
        http="h11",
        ws="none",
        loop="asyncio",
        lifespan="off",
        proxy_headers=False,  # scope["client"] must stay the socket's peer (see _drop)
        server_header=False,
        timeout_graceful_shutdown=1,
        **logging,
    )
    server = uvicorn.Server(config)
    app.drop_connection = functools.partial(_drop, server)
    return server


class ReferenceServer:
    """
    The reference server on a free loopback port, in a background thread.

    ```python
    with ReferenceServer(json_shape="wrapped") as server:
        server.faults.push("status=503;retry-after=1")
        client = Client(base_url=server.url)
        ...
        assert len(server.requests) == 2
    ```

    Keyword arguments other than `host`, `port` and `app` are `ServerOptions` fields.
    """

    def __init__(
        self,
        options: ServerOptions | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        app: ReferenceApp | None = None,
        **overrides: Any,
    ) -> None:
        if app is not None and (options is not None or overrides):
            raise TypeError("pass either app or options, not both")
        self.app = app if app is not None else ReferenceApp(options, **overrides)
        self.host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the server is not running")
        return self._port

    @property
    def origin(self) -> str:
        """
        `http://127.0.0.1:PORT`, where `/health` and `/openapi.yaml` live.
        """
        return _origin(self.host, self.port)

    @property
    def url(self) -> str:
        """
        The API's base URL, `http://127.0.0.1:PORT/v1`, to give a client as `base_url`.
        """
        return self.origin + "/v1"

    @property
    def faults(self) -> FaultQueue:
        return self.app.faults

    @property
    def requests(self) -> RequestLog:
        return self.app.requests

    @property
    def options(self) -> ServerOptions:
        return self.app.options

    @options.setter
    def options(self, value: ServerOptions) -> None:
        self.app.options = value

    def reset(self) -> None:
        """
        Forget faults and logged requests, and restore the options the server was made with.
        """
        self.app.reset()

    def start(self, timeout: float = 10.0) -> ReferenceServer:
        """
        Start serving; return once the server accepts connections.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        sock = _bind(self.host, self._port)
        self._port = sock.getsockname()[1]
        server = _make_server(self.app)
        thread = threading.Thread(
            target=self._run,
            args=(server, sock),
            name=f"amigochat-reference-server-{self._port}",
            daemon=True,  # a forgotten stop() must not hang the interpreter at exit
        )
        self._server, self._thread, self._error = server, thread, None
        self.app.closing.clear()
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError("the reference server did not start") from self._error
            time.sleep(0.002)
        return self

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported by start()
            self._error = exc

    def stop(self, timeout: float = 10.0) -> None:
        """
        Stop serving and join the thread. Responses paused by a fault are cut short (their
        connections dropped); others get about a second to finish.
        """
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self.app.closing.set()
        server.should_exit = True
        thread.join(timeout)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout)
        self._server = self._thread = None
        self.app.drop_connection = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.url if self._server is not None else "stopped"
        return f"<ReferenceServer {where}>"


@contextlib.contextmanager
def serve(
    options: ServerOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    **overrides: Any,
) -> Iterator[ReferenceServer]:
    """
    Run a `ReferenceServer` for the length of a `with` block.

    ```python
    with serve(api_key="sk-test") as server:
        httpx.post(server.url + "/chat/completions", ...)
    ```
    """
    with ReferenceServer(options, host=host, port=port, **overrides) as server:
        yield server


def run(
    options: ServerOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    on_ready: Callable[[str], None] | None = None,
    log_level: str | None = None,
    access_log: bool = False,
    **overrides: Any,
) -> None:
    """
    Serve in the foreground until SIGINT or SIGTERM. `on_ready` gets the base URL once the port
    is bound (port 0 picks a free one); uvicorn logs only when `log_level` is given, and
    `access_log` lets it log each request to the `uvicorn.access` logger's handlers.
    """
    app = ReferenceApp(options, **overrides)
    sock = _bind(host, port)
    server = _make_server(app, log_level, access_log)
    if on_ready is not None:
        on_ready(_origin(host, sock.getsockname()[1]) + "/v1")
    server.run(sockets=[sock])
