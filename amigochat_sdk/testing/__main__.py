"""
`python -m amigochat_sdk.testing`: serve the reference AmigoChat API until Ctrl-C.

The first line on stdout is the base URL (`http://127.0.0.1:PORT/v1`), flushed at once, so a
script can start the server with `--port 0` and read where it went.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._server import run
from ._state import ServerOptions


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m amigochat_sdk.testing",
        description="Serve the reference AmigoChat API on loopback, with fault injection.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (8000)")
    parser.add_argument("--api-key", help="require `authorization: Bearer KEY`")
    parser.add_argument(
        "--shape",
        choices=["plain", "wrapped", "sse"],
        default="plain",
        help="the answer to stream=false (plain)",
    )
    parser.add_argument("--image-shape", choices=["data", "image-url"], default="data")
    parser.add_argument("--chunk-size", type=int, default=4, help="characters per chunk (4)")
    parser.add_argument("--include-usage", action="store_true", help="usage chunk in every stream")
    parser.add_argument(
        "--reject-unknown-fields", action="store_true", help="400 for unknown request fields"
    )
    parser.add_argument(
        "--max-body-size",
        type=int,
        default=ServerOptions.max_body_size,
        help="largest request body in bytes; larger ones get a 413 (10 MiB)",
    )
    parser.add_argument(
        "--log-level",
        choices=["critical", "error", "warning", "info", "debug"],
        help="let uvicorn log (access log included) at this level",
    )
    args = parser.parse_args(argv)
    try:
        options = ServerOptions(
            api_key=args.api_key,
            json_shape=args.shape,
            image_shape=args.image_shape,
            chunk_size=args.chunk_size,
            include_usage=args.include_usage,
            reject_unknown_fields=args.reject_unknown_fields,
            max_body_size=args.max_body_size,
        )
    except ValueError as exc:
        parser.error(str(exc))
    try:
        run(
            options,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
            on_ready=lambda url: print(url, flush=True),
        )
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it handled, once it has shut down
        pass
    except OSError as exc:
        print(f"error: cannot serve on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
