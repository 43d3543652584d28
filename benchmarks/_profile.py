"""
`scripts/bench --profile CASE`: one case under cProfile, in this process.

Rule: for finding where time goes, never for numbers: cProfile slows Python code several times
over, and C code (pydantic-core, json) not at all, so the split it shows is skewed towards
Python. Read call counts and the ranking, not the seconds.
"""

from __future__ import annotations

import cProfile
import io
import pstats

from ._child import CASES
from ._measure import Params

__all__ = ["profile"]


def profile(case: str, params: Params, top: int = 30) -> int:
    if case not in CASES:
        print(f"unknown case {case!r}; choose from: {', '.join(CASES)}")
        return 2
    profiler = cProfile.Profile()
    result = profiler.runcall(CASES[case], params)
    print(f"{case}: {result['value']:,.0f} {result['unit']} under cProfile ({result['count']:,})")
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(top)
        print(out.getvalue())
    return 0
