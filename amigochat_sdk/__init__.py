"""
amigochat-sdk: a fast, typed Python SDK for the AmigoChat API.

```python
from amigochat_sdk import Client

client = Client()
reply = client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
)
print(reply.choices[0].message.content)
```
"""

from typing import TYPE_CHECKING

from ._exports import lazy
from ._version import __version__

if TYPE_CHECKING:
    from ._catalog import (
        ALIASES,
        CHAT_MODELS,
        DEFAULT_IMAGE_MODEL,
        DEFAULT_MODEL,
        IMAGE_MODELS,
        ModelInfo,
        ResolvedModel,
        is_image_model,
        list_models,
        resolve_model,
    )
    from ._client import AsyncClient, Client
    from ._constants import (
        DEFAULT_BASE_URL,
        DEFAULT_MAX_RETRIES,
        DEFAULT_TIMEOUT,
        NOT_GIVEN,
        NotGiven,
    )
    from ._event_stream import AsyncEventStream, EventStream
    from ._exceptions import (
        STATUS_ERRORS,
        AmigoChatError,
        APIConnectionError,
        APIDecodeError,
        APIError,
        APIResponseValidationError,
        APIStatusError,
        APIStreamError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        CloudflareBlockedError,
        ConflictError,
        ContentFilterFinishReasonError,
        InternalServerError,
        InvalidInputError,
        LengthFinishReasonError,
        MaxStepsExceededError,
        MissingExtraError,
        NotAcceptableError,
        NotFoundError,
        PermissionDeniedError,
        QuotaExceededError,
        RateLimitError,
        StreamDecodeError,
        StreamInterruptedError,
        StreamServerError,
        StructuredOutputError,
        ToolExecutionError,
        ToolRunError,
        UnprocessableEntityError,
    )
    from ._streaming import AsyncStream, Stream
    from ._tools import FunctionTool, function_tool, pydantic_function_tool
    from ._version import __version__

__all__ = [
    "ALIASES",
    "APIConnectionError",
    "APIDecodeError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AmigoChatError",
    "AsyncClient",
    "AsyncEventStream",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "CHAT_MODELS",
    "Client",
    "CloudflareBlockedError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "DEFAULT_BASE_URL",
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "EventStream",
    "FunctionTool",
    "IMAGE_MODELS",
    "InternalServerError",
    "InvalidInputError",
    "LengthFinishReasonError",
    "MaxStepsExceededError",
    "MissingExtraError",
    "ModelInfo",
    "NOT_GIVEN",
    "NotAcceptableError",
    "NotFoundError",
    "NotGiven",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "ResolvedModel",
    "STATUS_ERRORS",
    "Stream",
    "StreamDecodeError",
    "StreamInterruptedError",
    "StreamServerError",
    "StructuredOutputError",
    "ToolExecutionError",
    "ToolRunError",
    "UnprocessableEntityError",
    "__version__",
    "function_tool",
    "is_image_model",
    "list_models",
    "pydantic_function_tool",
    "resolve_model",
]

# Public names are imported on first use (PEP 562): `import amigochat_sdk` stays cheap, and
# httpx, pydantic and the generated models load only when something needs them.
_LAZY = {
    "ALIASES": "._catalog",
    "APIConnectionError": "._exceptions",
    "APIDecodeError": "._exceptions",
    "APIError": "._exceptions",
    "APIResponseValidationError": "._exceptions",
    "APIStatusError": "._exceptions",
    "APIStreamError": "._exceptions",
    "APITimeoutError": "._exceptions",
    "AmigoChatError": "._exceptions",
    "AsyncClient": "._client",
    "AsyncEventStream": "._event_stream",
    "AsyncStream": "._streaming",
    "AuthenticationError": "._exceptions",
    "BadRequestError": "._exceptions",
    "CHAT_MODELS": "._catalog",
    "Client": "._client",
    "CloudflareBlockedError": "._exceptions",
    "ConflictError": "._exceptions",
    "ContentFilterFinishReasonError": "._exceptions",
    "DEFAULT_BASE_URL": "._constants",
    "DEFAULT_IMAGE_MODEL": "._catalog",
    "DEFAULT_MAX_RETRIES": "._constants",
    "DEFAULT_MODEL": "._catalog",
    "DEFAULT_TIMEOUT": "._constants",
    "EventStream": "._event_stream",
    "FunctionTool": "._tools",
    "IMAGE_MODELS": "._catalog",
    "InternalServerError": "._exceptions",
    "InvalidInputError": "._exceptions",
    "LengthFinishReasonError": "._exceptions",
    "MaxStepsExceededError": "._exceptions",
    "MissingExtraError": "._exceptions",
    "ModelInfo": "._catalog",
    "NOT_GIVEN": "._constants",
    "NotAcceptableError": "._exceptions",
    "NotFoundError": "._exceptions",
    "NotGiven": "._constants",
    "PermissionDeniedError": "._exceptions",
    "QuotaExceededError": "._exceptions",
    "RateLimitError": "._exceptions",
    "ResolvedModel": "._catalog",
    "STATUS_ERRORS": "._exceptions",
    "Stream": "._streaming",
    "StreamDecodeError": "._exceptions",
    "StreamInterruptedError": "._exceptions",
    "StreamServerError": "._exceptions",
    "StructuredOutputError": "._exceptions",
    "ToolExecutionError": "._exceptions",
    "ToolRunError": "._exceptions",
    "UnprocessableEntityError": "._exceptions",
    "function_tool": "._tools",
    "is_image_model": "._catalog",
    "list_models": "._catalog",
    "pydantic_function_tool": "._tools",
    "resolve_model": "._catalog",
}


__getattr__, __dir__ = lazy(__name__, globals(), _LAZY)
