"""
One client case in a fresh process: `python -m benchmarks._child CASE --port N [...]`.

Rule: the child prints exactly one JSON line on stdout, the case's result or `{"error": ...}`,
and exits non-zero on error. It imports only the standard library before the case runs, so the
case's client library is the only one in the process.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Callable
from typing import Any

from ._call_cases import CALL_CASES
from ._measure import Params
from ._stream_cases import STREAM_CASES

__all__ = ["CASES", "main"]

CASES: dict[str, Callable[[Params], dict[str, Any]]] = {**STREAM_CASES, **CALL_CASES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run one benchmark case.")
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=Params.chunks)
    parser.add_argument("--requests", type=int, default=Params.requests)
    parser.add_argument("--streams", type=int, default=Params.streams)
    parser.add_argument("--per-stream", type=int, default=Params.per_stream)
    args = parser.parse_args(argv)
    params = Params(args.port, args.chunks, args.requests, args.streams, args.per_stream)
    try:
        result = CASES[args.case](params)
    except Exception as exc:
        traceback.print_exc()
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        return 1
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
