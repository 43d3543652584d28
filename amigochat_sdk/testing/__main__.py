"""
`python -m amigochat_sdk.testing`: serve the reference AmigoChat API until Ctrl-C; the same
command as `amigochat serve` (see `_command.py`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._command import add_serve_arguments, serve_command


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m amigochat_sdk.testing",
        description="Serve the reference AmigoChat API on loopback, with fault injection.",
    )
    add_serve_arguments(parser)
    return serve_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
