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
from ._version import __version__ as __version__

if TYPE_CHECKING:
    # `X as X`: an explicit re-export for type checkers, which cannot read a computed `__all__`.
    from ._catalog import (
        ALIASES as ALIASES,
        CHAT_MODELS as CHAT_MODELS,
        DEFAULT_IMAGE_MODEL as DEFAULT_IMAGE_MODEL,
        DEFAULT_MODEL as DEFAULT_MODEL,
        IMAGE_MODELS as IMAGE_MODELS,
        ModelInfo as ModelInfo,
        ResolvedModel as ResolvedModel,
        is_image_model as is_image_model,
        list_models as list_models,
        resolve_model as resolve_model,
    )
    from ._client import (
        AsyncClient as AsyncClient,
        Client as Client,
    )
    from ._constants import (
        DEFAULT_BASE_URL as DEFAULT_BASE_URL,
        DEFAULT_MAX_RETRIES as DEFAULT_MAX_RETRIES,
        DEFAULT_TIMEOUT as DEFAULT_TIMEOUT,
        NOT_GIVEN as NOT_GIVEN,
        NotGiven as NotGiven,
    )
    from ._event_stream import (
        AsyncEventStream as AsyncEventStream,
        EventStream as EventStream,
    )
    from ._exceptions import (
        STATUS_ERRORS as STATUS_ERRORS,
        AmigoChatError as AmigoChatError,
        APIConnectionError as APIConnectionError,
        APIDecodeError as APIDecodeError,
        APIError as APIError,
        APIResponseValidationError as APIResponseValidationError,
        APIStatusError as APIStatusError,
        APIStreamError as APIStreamError,
        APITimeoutError as APITimeoutError,
        AuthenticationError as AuthenticationError,
        BadRequestError as BadRequestError,
        ClientClosedError as ClientClosedError,
        CloudflareBlockedError as CloudflareBlockedError,
        ConflictError as ConflictError,
        ContentFilterFinishReasonError as ContentFilterFinishReasonError,
        InternalServerError as InternalServerError,
        InvalidInputError as InvalidInputError,
        LengthFinishReasonError as LengthFinishReasonError,
        MaxStepsExceededError as MaxStepsExceededError,
        MissingExtraError as MissingExtraError,
        NotAcceptableError as NotAcceptableError,
        NotFoundError as NotFoundError,
        PermissionDeniedError as PermissionDeniedError,
        QuotaExceededError as QuotaExceededError,
        RateLimitError as RateLimitError,
        StreamDecodeError as StreamDecodeError,
        StreamInterruptedError as StreamInterruptedError,
        StreamServerError as StreamServerError,
        StructuredOutputError as StructuredOutputError,
        ToolExecutionError as ToolExecutionError,
        ToolRunError as ToolRunError,
        UnprocessableEntityError as UnprocessableEntityError,
    )
    from ._hooks import Attempt as Attempt, Hook as Hook, Retry as Retry
    from ._meta import (
        ResponseInfo as ResponseInfo,
        response_info as response_info,
    )
    from ._resources.raw import RawResponse as RawResponse
    from ._streaming import (
        AsyncStream as AsyncStream,
        Stream as Stream,
    )
    from ._tools import (
        FunctionTool as FunctionTool,
        function_tool as function_tool,
        pydantic_function_tool as pydantic_function_tool,
    )

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
    "Attempt": "._hooks",
    "AuthenticationError": "._exceptions",
    "BadRequestError": "._exceptions",
    "CHAT_MODELS": "._catalog",
    "Client": "._client",
    "ClientClosedError": "._exceptions",
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
    "Hook": "._hooks",
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
    "RawResponse": "._resources.raw",
    "ResolvedModel": "._catalog",
    "ResponseInfo": "._meta",
    "Retry": "._hooks",
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
    "response_info": "._meta",
}

__all__ = sorted([*_LAZY, "__version__"])


__getattr__, __dir__ = lazy(__name__, globals(), _LAZY)
