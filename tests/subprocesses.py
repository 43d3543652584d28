"""Helpers for tests that start the project's commands as child processes."""

import signal


def restore_sigint() -> None:
    """
    A `preexec_fn` giving the child the default SIGINT handling, so Python turns Ctrl-C into
    `KeyboardInterrupt`. A shell that runs the test suite in the background makes children
    ignore SIGINT, and then a test that sends it would wait in vain.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
