"""
The benchmark server: a minimal HTTP/1.1 server on `asyncio.start_server` that replays
pre-built bytes.

Rule: do as little as possible per event, so the server is never what a benchmark measures.
Every response body is built once (`_traffic`); a stream costs one `transport.write` per event
(one chunk of chunked encoding each) and waits only when the client falls behind. It counts
what it sends and the CPU time it uses, and answers `GET /_stats` with both, so the runner can
show how busy the server was while each client ran.

Routes: `POST /v1/chat/completions` answers `201` with `text/event-stream` if the JSON body has
`"stream": true` (the chunk count comes from the `x-bench-chunks` header), else a small JSON
`chat.completion`; `GET /_stats`. Keep-alive and pipelining work (requests on one connection are
answered in order); request bodies come with `Content-Length` or chunked encoding.

Run `python -m benchmarks._server [--port N] [--prebuild N,N]`: it builds the streams of the
given chunk counts (any other count is built on its first request), prints `PORT <n>` once it
listens, and exits when its standard input closes (so it never outlives the runner).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time

from ._traffic import CHUNKS_HEADER, DEFAULT_CHUNKS, completion_body, stream_pieces

__all__ = ["main", "serve"]

_HIGH_WATER = 256 * 1024  # bytes buffered in the transport before waiting for the client
_MAX_HEAD = 64 * 1024

_STREAM_HEAD = (
    b"HTTP/1.1 201 Created\r\n"
    b"content-type: text/event-stream; charset=utf-8\r\n"
    b"transfer-encoding: chunked\r\n"
    b"cache-control: no-cache\r\n"
    b"x-request-id: req_bench\r\n"
    b"\r\n"
)


def _fixed(status: bytes, content_type: bytes, body: bytes) -> bytes:
    head = b"HTTP/1.1 %b\r\ncontent-type: %b\r\ncontent-length: %d\r\n" % (
        status,
        content_type,
        len(body),
    )
    return head + b"x-request-id: req_bench\r\n\r\n" + body


_COMPLETION = _fixed(b"201 Created", b"application/json", completion_body())
_NOT_FOUND = _fixed(b"404 Not Found", b"application/json", b'{"error":{"message":"not found"}}')
_BAD_REQUEST = _fixed(b"400 Bad Request", b"application/json", b'{"error":{"message":"bad"}}')


class _Stats:
    connections = 0
    requests = 0
    streams = 0
    events = 0
    last_stream = (0, 0.0, 0.0)  # events, server CPU seconds, wall seconds


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", ""):
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0"))
    return await reader.readexactly(length) if length else b""


def _parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return method, path, version, headers


def _wants_stream(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("stream") is True


async def _send_stream(writer: asyncio.StreamWriter, n: int) -> None:
    pieces = stream_pieces(n)
    cpu, start = time.process_time(), time.perf_counter()
    transport = writer.transport
    write, buffered = transport.write, transport.get_write_buffer_size
    write(_STREAM_HEAD)
    for piece in pieces:
        write(piece)  # one write per event: what a real server does when it flushes each one
        if buffered() > _HIGH_WATER:
            await writer.drain()
    await writer.drain()
    # The CPU this response cost: the runner divides it by the client's time for the stream.
    _Stats.last_stream = (n, time.process_time() - cpu, time.perf_counter() - start)
    _Stats.events += n
    _Stats.streams += 1


def _stats_response() -> bytes:
    stats = {
        "cpu": time.process_time(),
        "connections": _Stats.connections,
        "requests": _Stats.requests,
        "streams": _Stats.streams,
        "events": _Stats.events,
        "last_stream": _Stats.last_stream,
    }
    return _fixed(b"200 OK", b"application/json", json.dumps(stats).encode())


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.transport.set_write_buffer_limits(high=_HIGH_WATER)
    _Stats.connections += 1
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            try:
                method, path, version, headers = _parse_head(head)
                body = await _read_body(reader, headers)
            except (ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                writer.write(_BAD_REQUEST)
                return
            _Stats.requests += 1
            if method == "POST" and path == "/v1/chat/completions":
                if _wants_stream(body):
                    await _send_stream(writer, int(headers.get(CHUNKS_HEADER, DEFAULT_CHUNKS)))
                else:
                    writer.write(_COMPLETION)
            elif method == "GET" and path == "/_stats":
                writer.write(_stats_response())
            else:
                writer.write(_NOT_FOUND)
            if headers.get("connection", "").lower() == "close" or version == "HTTP/1.0":
                return
            if writer.transport.get_write_buffer_size() > _HIGH_WATER:
                await writer.drain()
    except ConnectionError:
        return
    finally:
        writer.close()


async def serve(port: int, ready: threading.Event | None = None) -> None:
    """Serve on 127.0.0.1:`port` (0: any free port) forever, printing `PORT <n>`."""
    server = await asyncio.start_server(_handle, "127.0.0.1", port, backlog=1024, limit=_MAX_HEAD)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def _exit_when_stdin_closes() -> None:
    sys.stdin.read()
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--prebuild", default=str(DEFAULT_CHUNKS), help="chunk counts to build before listening"
    )
    args = parser.parse_args()
    for n in args.prebuild.split(","):
        stream_pieces(int(n))
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    try:
        asyncio.run(serve(args.port))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
