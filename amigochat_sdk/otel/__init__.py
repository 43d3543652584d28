"""
OpenTelemetry tracing for the SDK's calls, in the manner of
`opentelemetry-instrumentation-openai-v2`: one CLIENT span per call, with the GenAI semantic
conventions' attributes.

```python
from amigochat_sdk.otel import AmigoChatInstrumentor

AmigoChatInstrumentor().instrument(tracer_provider=provider)
```

Needs the `otel` extra: `pip install 'amigochat-sdk[otel]'`.
"""

from __future__ import annotations

try:
    import opentelemetry.trace  # noqa: F401
except ImportError:  # the extra is missing: say which one, as the other extras do
    from .._exceptions import MissingExtraError

    raise MissingExtraError(
        "amigochat_sdk.otel needs OpenTelemetry: pip install 'amigochat-sdk[otel]'"
    ) from None

from ._instrumentor import AmigoChatInstrumentor as AmigoChatInstrumentor

__all__ = ["AmigoChatInstrumentor"]
