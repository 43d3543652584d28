"""
The one `serve` command, behind both `amigochat serve` and `python -m amigochat_sdk.testing`.

Rule: one set of options, one behaviour. The base URL is the first line on stdout, flushed at
once (so a script can start it with `--port 0` and read where it went); every request served is
one line on stderr; Ctrl-C ends it with exit code 0. Nothing here imports the server's own
dependencies until it runs, so both commands can show `--help` without the `server` extra.
"""

from __future__ import annotations

import argparse
import errno
import logging
import sys
from typing import get_args

from .._constants import BASE_URL_ENV
from ._state import ChatShape, ImageShape, ServerOptions

__all__ = ["add_serve_arguments", "serve_command"]

_LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the server's options to `parser`."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one (8000)")
    parser.add_argument(
        "--api-key",
        # Not given here must not hide a `--api-key` given before the command (see _cli.py).
        default=argparse.SUPPRESS,
        metavar="KEY",
        help="require `authorization: Bearer KEY` (default: any client is served)",
    )
    parser.add_argument(
        "--shape",
        choices=get_args(ChatShape),
        default="plain",
        help="the answer to stream=false (plain)",
    )
    parser.add_argument("--image-shape", choices=get_args(ImageShape), default="data")
    parser.add_argument(
        "--chunk-size", type=int, default=4, metavar="N", help="characters per chunk (4)"
    )
    parser.add_argument("--include-usage", action="store_true", help="usage chunk in every stream")
    parser.add_argument(
        "--reject-unknown-fields", action="store_true", help="400 for unknown request fields"
    )
    parser.add_argument(
        "--max-body-size",
        type=int,
        default=ServerOptions.max_body_size,
        metavar="BYTES",
        help="largest request body; larger ones get a 413 (10 MiB)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.add_argument(
        "--log-level", choices=_LOG_LEVELS, default="warning", help="the server's own log (warning)"
    )


def _log_to_stderr(args: argparse.Namespace) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    levels = {"uvicorn.error": args.log_level.upper(), "uvicorn.access": "INFO"}
    if args.quiet:
        levels["uvicorn.access"] = "WARNING"
    for name, level in levels.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def serve_command(args: argparse.Namespace) -> int:
    """
    Serve as `args` say until Ctrl-C; return the exit code. Errors are one `error: ...` line.
    """
    try:
        options = ServerOptions(
            api_key=getattr(args, "api_key", None),
            json_shape=args.shape,
            image_shape=args.image_shape,
            chunk_size=args.chunk_size,
            include_usage=args.include_usage,
            reject_unknown_fields=args.reject_unknown_fields,
            max_body_size=args.max_body_size,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    from . import SERVER_EXTRA_MESSAGE

    try:
        from ._server import run
    except ModuleNotFoundError:
        print(f"error: {SERVER_EXTRA_MESSAGE}", file=sys.stderr)
        return 1

    def ready(url: str) -> None:
        print(url, flush=True)
        hint = f"{BASE_URL_ENV}={url} amigochat chat hi"
        key = " (with --api-key KEY)" if options.api_key else ""
        print(f"serving until Ctrl-C; try: {hint}{key}", file=sys.stderr, flush=True)

    _log_to_stderr(args)
    try:
        run(options, host=args.host, port=args.port, on_ready=ready, access_log=True)
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it handled, once it has shut down
        pass
    except OSError as exc:
        where = f"{args.host}:{args.port}"
        if exc.errno == errno.EADDRINUSE:
            message = f"port {args.port} is in use on {args.host}: pick another with --port"
        else:
            message = f"cannot serve on {where}: {exc.strerror or exc}"
        print(f"error: {message}", file=sys.stderr)
        return 1
    return 0
