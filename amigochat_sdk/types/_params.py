"""
The messages of a chat request as TypedDicts, under the names openai-python users know.

They type what users write by hand (`{"role": "user", "content": "Hi"}`), so an IDE completes
the keys and a type checker rejects a misspelt one. At run time they are plain dicts, validated
by the request models generated from the spec (`UserMessageParam`, ...); a test keeps the two
in step, key by key.
"""

# No `from __future__ import annotations`: `Required[...]` must be seen when the class is made.
from collections.abc import Iterable
from typing import Literal, TypeAlias

from typing_extensions import Required, TypedDict

__all__ = [
    "ChatCompletionAssistantMessageParam",
    "ChatCompletionContentPartImageParam",
    "ChatCompletionContentPartParam",
    "ChatCompletionContentPartTextParam",
    "ChatCompletionDeveloperMessageParam",
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCallDict",
    "ChatCompletionSystemMessageParam",
    "ChatCompletionToolMessageParam",
    "ChatCompletionUserMessageParam",
    "FunctionCallDict",
    "ImageURL",
]


class ChatCompletionContentPartTextParam(TypedDict, total=False):
    """A text part of a message's content."""

    type: Required[Literal["text"]]
    text: Required[str]


class ImageURL(TypedDict, total=False):
    """Where an image part's image is: an https URL or a `data:image/...;base64,` URL."""

    url: Required[str]
    detail: Literal["auto", "low", "high"] | None


class ChatCompletionContentPartImageParam(TypedDict, total=False):
    """An image part of a user message's content."""

    type: Required[Literal["image_url"]]
    image_url: Required[ImageURL]


ChatCompletionContentPartParam: TypeAlias = (
    ChatCompletionContentPartTextParam | ChatCompletionContentPartImageParam
)
"""A part of a user message's content: text or an image."""


class ChatCompletionSystemMessageParam(TypedDict, total=False):
    """Instructions from the system."""

    role: Required[Literal["system"]]
    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    name: str | None


class ChatCompletionDeveloperMessageParam(TypedDict, total=False):
    """Instructions from the developer (the newer name for the system role)."""

    role: Required[Literal["developer"]]
    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    name: str | None


class ChatCompletionUserMessageParam(TypedDict, total=False):
    """What the user says: text, or parts of text and images."""

    role: Required[Literal["user"]]
    content: Required[str | Iterable[ChatCompletionContentPartParam]]
    name: str | None


class FunctionCallDict(TypedDict):
    """The function an assistant's tool call names, with its arguments as a JSON string."""

    name: str
    arguments: str


class ChatCompletionMessageToolCallDict(TypedDict):
    """A tool call the assistant made, as sent back in the conversation."""

    id: str
    type: Literal["function"]
    function: FunctionCallDict


class ChatCompletionAssistantMessageParam(TypedDict, total=False):
    """An earlier answer of the model, sent back as part of the conversation."""

    role: Required[Literal["assistant"]]
    content: str | Iterable[ChatCompletionContentPartTextParam] | None
    name: str | None
    refusal: str | None
    tool_calls: Iterable[ChatCompletionMessageToolCallDict] | None


class ChatCompletionToolMessageParam(TypedDict, total=False):
    """The result of a tool call, answering the assistant's call with that id."""

    role: Required[Literal["tool"]]
    content: Required[str | Iterable[ChatCompletionContentPartTextParam]]
    tool_call_id: Required[str]


ChatCompletionMessageParam: TypeAlias = (
    ChatCompletionSystemMessageParam
    | ChatCompletionDeveloperMessageParam
    | ChatCompletionUserMessageParam
    | ChatCompletionAssistantMessageParam
    | ChatCompletionToolMessageParam
)
"""A message of a chat request, as a dict."""
