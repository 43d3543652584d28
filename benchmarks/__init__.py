"""
The benchmark suite: `scripts/bench` (or `python -m benchmarks`) runs it; BENCHMARKS.md explains
the method and keeps the latest results.

Layout: `_traffic` builds the bytes every response replays, `_server` serves them from a separate
process, `_child` runs one client case per fresh process (`_stream_cases`, `_call_cases`),
`_runner` interleaves the cases and `_report` prints the table and the target checks. This package
is not part of the wheel, and nothing here is imported by `amigochat_sdk`.
"""
