"""
`AmigoChat`: the seed provider's class, names and behaviour, running on `AsyncClient`.

Rule: moving seed code over means changing one import and nothing else.

```python no-run
# before: from g4f.Provider import AmigoChat
from amigochat_sdk.provider import AmigoChat

async for chunk in AmigoChat.create_async_generator(model="gpt-4o-mini", messages=messages):
    print(chunk, end="")
```

What changes under the same names: requests go through `AsyncClient`, so `AMIGOCHAT_BASE_URL`
and `AMIGOCHAT_API_KEY` apply, errors are the SDK's typed errors (`amigochat_sdk.APIError` and
its subclasses), and a failed attempt is retried only before the first piece of text reaches
the caller (the seed restarted the whole request, which could print a reply twice). The models,
persona ids and aliases come from the SDK's catalog (`amigochat_sdk._catalog`), not a copy.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast
from urllib.parse import urljoin

from ._catalog import ALIASES, CHAT_MODELS, DEFAULT_MODEL, IMAGE_MODELS
from ._client import AsyncClient
from ._constants import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from .types import ChatCompletionMessageParam

__all__ = ["AmigoChat", "AsyncResult", "ImageResponse", "Messages", "ModelNotSupportedError"]

#: The seed's type name: a list of OpenAI-style message dicts.
Messages = Sequence[Mapping[str, Any]]

_API = DEFAULT_BASE_URL


class ModelNotSupportedError(ValueError):
    """Raised by `AmigoChat.get_model` for a name that is neither a model nor an alias."""


class ImageResponse:
    """
    Generated images as the seed yielded them: `image_urls` and the `prompt` they answer.
    `str()` gives the Markdown that g4f printed for images.
    """

    def __init__(self, image_urls: str | list[str], prompt: str = "", **options: Any) -> None:
        self.image_urls = [image_urls] if isinstance(image_urls, str) else list(image_urls)
        self.prompt = prompt
        self.options = options

    # g4f's spelling of the same two fields.
    @property
    def images(self) -> list[str]:
        return self.image_urls

    @property
    def alt(self) -> str:
        return self.prompt

    def __str__(self) -> str:
        alt = " ".join(self.prompt.replace("[", "(").replace("]", ")").split())
        lines = [f"[![#{i} {alt}]({url})]({url})" for i, url in enumerate(self.image_urls, 1)]
        body = "\n".join(lines)
        return f"\n<!-- generated images start -->\n{body}\n<!-- generated images end -->\n"

    def __repr__(self) -> str:
        return f"ImageResponse(image_urls={self.image_urls!r}, prompt={self.prompt!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImageResponse):
            return NotImplemented
        return (self.image_urls, self.prompt) == (other.image_urls, other.prompt)

    __hash__ = None  # type: ignore[assignment]


#: The seed's type name for what `create_async_generator` yields.
AsyncResult = AsyncIterator[str | ImageResponse | None]


def _text(content: object) -> str:
    """A message's text: the string, or the text parts of a list joined by spaces."""
    if isinstance(content, str):
        return content
    if isinstance(content, Sequence):
        parts = [p.get("text") for p in content if isinstance(p, Mapping)]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def _prompt(messages: Messages) -> str:
    """The last user message's text (the seed took the last message, whoever sent it)."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return _text(message.get("content"))
    return _text(messages[-1].get("content")) if messages else ""


class AmigoChat:
    """
    The seed's provider: class attributes and classmethods only, as g4f providers are.
    """

    url: ClassVar[str] = "https://amigochat.io/chat/"
    chat_api_endpoint: ClassVar[str] = f"{_API}/chat/completions"
    image_api_endpoint: ClassVar[str] = f"{_API}/images/generations"
    # The seed said False (the service blocked it); with the SDK's handling it works.
    working: ClassVar[bool] = True
    supports_stream: ClassVar[bool] = True
    supports_system_message: ClassVar[bool] = True
    supports_message_history: ClassVar[bool] = True

    default_model: ClassVar[str] = DEFAULT_MODEL
    chat_models: ClassVar[list[str]] = list(CHAT_MODELS)
    image_models: ClassVar[list[str]] = list(IMAGE_MODELS)
    models: ClassVar[list[str]] = [*CHAT_MODELS, *IMAGE_MODELS]
    model_aliases: ClassVar[dict[str, str]] = {k: v for k, v in ALIASES.items() if k != v}

    @classmethod
    def get_model(cls, model: str, **kwargs: Any) -> str:
        """
        The model to send for a name, as g4f's `ProviderModelMixin`: empty gives
        `default_model`, an alias gives its target (aliases win, so `gpt-4o` means
        `gpt-4o-2024-11-20`, as the seed sent), a model gives itself, and anything else raises
        `ModelNotSupportedError` (a `ValueError`) naming the model.
        """
        if not model:
            return cls.default_model
        if model in cls.model_aliases:
            return cls.model_aliases[model]
        if model in cls.models:
            return model
        raise ModelNotSupportedError(
            f"Model is not supported: {model!r} in: {cls.__name__}. "
            f"Valid models: {', '.join(cls.models)}"
        )

    @classmethod
    def get_personaId(cls, model: str) -> str:
        """
        The persona id of a model (not an alias), or `ValueError` as the seed raised.
        """
        if model in cls.chat_models:
            return CHAT_MODELS[model]
        if model in cls.image_models:
            return IMAGE_MODELS[model]
        raise ValueError(f"Unknown model: {model}")

    @staticmethod
    def generate_chat_id() -> str:
        """Generate a chat ID in format: 8-4-4-4-12 hexadecimal digits"""
        return str(uuid.uuid4())

    @classmethod
    def _base_url(cls) -> str | None:
        # Seed code that pointed the endpoint elsewhere keeps working; otherwise the client
        # decides (AMIGOCHAT_BASE_URL, else the service).
        suffix = "/chat/completions"
        if cls.chat_api_endpoint != f"{_API}{suffix}" and cls.chat_api_endpoint.endswith(suffix):
            return cls.chat_api_endpoint[: -len(suffix)]
        return None

    @classmethod
    async def create_async_generator(
        cls,
        model: str,
        messages: Messages,
        proxy: str | None = None,
        stream: bool = False,
        timeout: int = 300,
        frequency_penalty: float = 0,
        max_tokens: int = 4000,
        presence_penalty: float = 0,
        temperature: float = 0.5,
        top_p: float = 0.95,
        **kwargs: Any,
    ) -> AsyncResult:
        """
        Yield the reply as text pieces for a chat model (one piece with `stream=False`), or one
        `ImageResponse` for an image model (`None` if the answer held no image, as the seed).

        Errors are the SDK's: `amigochat_sdk.APIStatusError` and friends before the reply, an
        `amigochat_sdk.APIStreamError` (carrying the text so far) if a stream breaks mid-way.
        `kwargs` may hold `api_key`; other keys are ignored, as the seed ignored them.
        """
        model = cls.get_model(model)
        persona_id = cls.get_personaId(model)
        client = AsyncClient(
            api_key=kwargs.get("api_key"),
            base_url=cls._base_url(),
            timeout=timeout,
            proxy=proxy,
        )
        async with client:
            if model in cls.image_models:
                prompt = _prompt(messages)
                result = await client.images.generate(prompt, model=model, persona_id=persona_id)
                urls = [urljoin(client.base_url + "/", i.url) for i in result.data if i.url]
                urls += [f"data:image/png;base64,{i.b64_json}" for i in result.data if i.b64_json]
                yield ImageResponse(urls, prompt) if urls else None
                return
            params: dict[str, Any] = {
                "persona_id": persona_id,
                "chat_id": cls.generate_chat_id(),
                "frequency_penalty": frequency_penalty,
                "max_tokens": max_tokens,
                "presence_penalty": presence_penalty,
                "temperature": temperature,
                "top_p": top_p,
            }
            # g4f's messages are untyped dicts; the request model validates them.
            wire = cast("list[ChatCompletionMessageParam]", list(messages))
            if not stream:
                reply = await client.chat.completions.create(model=model, messages=wire, **params)
                content = reply.choices[0].message.content if reply.choices else None
                if content:
                    yield content
                return
            chunks = await client.chat.completions.create(
                model=model, messages=wire, stream=True, **params
            )
            async with chunks:
                async for piece in chunks.text():
                    yield piece
