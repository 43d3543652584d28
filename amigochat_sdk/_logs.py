"""
Logging: `AMIGOCHAT_LOG=info|debug` turns on the `amigochat_sdk` logger (as `OPENAI_LOG` does
for openai-python), and every line the SDK or httpx logs is redacted.

Rule: redaction is a filter on the loggers where records are made (`amigochat_sdk`, httpx's
and httpcore's), not on a handler, so it holds whatever handler the application configures;
filters run only for records that pass the level check, so it costs nothing while logging is
off. What is redacted is `_messages.redact`'s rule: the keys of live clients, bearer tokens,
and `authorization` and cookie headers.
"""

from __future__ import annotations

import logging
import os
import sys

from ._messages import redact

__all__ = ["LOG_ENV", "setup_logging"]

LOG_ENV = "AMIGOCHAT_LOG"

# Where records are made: a logger's filters do not apply to its children's records.
_LOGGERS = (
    "amigochat_sdk",
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
)
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with its secrets redacted; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            # A formatted traceback may quote a header value: format it here, redacted.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


_FILTER = RedactingFilter()
_done = False


def setup_logging() -> None:
    """
    Redact every logger the SDK's calls write to, and honour `AMIGOCHAT_LOG` with a stderr
    handler on `amigochat_sdk` (and httpx's logger at `debug`). Once per process.
    """
    global _done
    if _done:
        return
    _done = True
    for name in _LOGGERS:
        logging.getLogger(name).addFilter(_FILTER)
    level = _LEVELS.get(os.environ.get(LOG_ENV, "").strip().lower())
    if level is None:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(asctime)s %(name)s %(levelname)s] %(message)s"))
    names = ("amigochat_sdk", "httpx") if level == logging.DEBUG else ("amigochat_sdk",)
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
        logger.propagate = False  # printed once, not again by the application's root handler
