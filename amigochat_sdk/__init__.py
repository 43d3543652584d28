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
from ._constants import DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, NOT_GIVEN, NotGiven
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
    InternalServerError,
    NotAcceptableError,
    NotFoundError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    StreamDecodeError,
    StreamInterruptedError,
    StreamServerError,
    UnprocessableEntityError,
)
from ._streaming import AsyncStream, Stream
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
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "CHAT_MODELS",
    "Client",
    "CloudflareBlockedError",
    "ConflictError",
    "DEFAULT_BASE_URL",
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MODEL",
    "DEFAULT_TIMEOUT",
    "IMAGE_MODELS",
    "InternalServerError",
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
    "UnprocessableEntityError",
    "__version__",
    "is_image_model",
    "list_models",
    "resolve_model",
]

# Tracebacks and reprs show `amigochat_sdk.RateLimitError`, not a private module path.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith("amigochat_sdk._"):
        _obj.__module__ = "amigochat_sdk"
del _name, _obj
