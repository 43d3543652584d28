"""
amigochat-sdk: a fast, typed Python SDK for the AmigoChat API.
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
from ._version import __version__

__all__ = [
    "ALIASES",
    "CHAT_MODELS",
    "DEFAULT_IMAGE_MODEL",
    "DEFAULT_MODEL",
    "IMAGE_MODELS",
    "ModelInfo",
    "ResolvedModel",
    "__version__",
    "is_image_model",
    "list_models",
    "resolve_model",
]
