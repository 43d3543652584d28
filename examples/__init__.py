"""Runnable examples of the SDK; `scripts/demo` runs `python -m examples.demo`."""
