"""
A hostile server on a loopback socket: it answers each connection with bytes written by hand,
so a test decides every byte of the status line, headers and body, and when each is written.

Its loops are bounded: at most `connections` connections, each read and written under a
timeout, and the thread stops on `close()`.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType

#: What to write: bytes, or a pause in seconds.
Action = bytes | float
#: From the raw request (head and body) to what to write back.
Script = Callable[[bytes], Sequence[Action]]

_TIMEOUT = 10.0


def http_response(
    status: int,
    body: bytes,
    content_type: str = "application/json",
    headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A whole HTTP/1.1 response that closes its connection."""
    head = [f"HTTP/1.1 {status} Hostile", f"content-type: {content_type}"]
    head += [f"content-length: {len(body)}", "connection: close"]
    head += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return data
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        piece = conn.recv(65536)
        if not piece:
            break
        body += piece
    return head + b"\r\n\r\n" + body


class HostileServer:
    """
    Serves `script` on `127.0.0.1`, one request per connection. `requests` holds each raw
    request received; `url` is the base URL of an API at `/v1`.
    """

    def __init__(self, script: Script, connections: int = 16) -> None:
        self.script = script
        self.requests: list[bytes] = []
        self._left = connections
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    @property
    def url(self) -> str:
        return self.origin + "/v1"

    def _serve(self) -> None:
        deadline = time.monotonic() + 120
        while self._left > 0 and not self._stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self._left -= 1
            with conn:
                conn.settimeout(_TIMEOUT)
                try:
                    self._answer(conn)
                except OSError:
                    pass  # the client went away: that is its right

    def _answer(self, conn: socket.socket) -> None:
        request = _read_request(conn)
        self.requests.append(request)
        for action in self.script(request):
            if isinstance(action, bytes):
                conn.sendall(action)
            elif self._stop.wait(action):
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=_TIMEOUT)
        self._sock.close()

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
