"""
`client.images`: generate images, then fetch or save them through the same client.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, TypedDict

import anyio
import httpx
from typing_extensions import Unpack

from .._constants import NOT_GIVEN, NotGiven
from .._core import Config, Flow
from .._drivers import AsyncRunner, Runner
from .._image_flow import build_image_call, download_flow, image_flow
from .._inputs import to_timeout
from .._saving import ImageNames
from ..types import Image, ImagesResponse
from .raw import araw, raw

__all__ = ["AsyncImages", "ImageParams", "Images"]


class ImageParams(TypedDict, total=False):
    """The optional keywords of `generate()`; the spec's request fields, in Python's spelling."""

    model: str | None
    """The image model; `flux-pro/v1.1` when omitted."""
    persona_id: str | None
    """The model's persona; looked up in the catalog when omitted. An explicit one wins."""
    chat_id: str | None
    n: int | None
    size: str | None
    """`WIDTHxHEIGHT`, e.g. `1024x1024`."""
    response_format: Literal["url", "b64_json"] | None
    quality: str | None
    style: str | None
    user: str | None
    extra_headers: Mapping[str, str] | None
    extra_body: Mapping[str, Any] | None
    timeout: float | httpx.Timeout | None
    """This request's timeout instead of the client's; `None` turns it off."""


_CALL_KEYS = ("model", "persona_id", "chat_id", "extra_headers", "extra_body", "timeout")


def _flow(config: Config, prompt: str, params: Mapping[str, Any]) -> Flow[ImagesResponse]:
    timeout = params.get("timeout", NOT_GIVEN)
    call = build_image_call(
        config,
        prompt=prompt,
        model=params.get("model"),
        persona_id=params.get("persona_id"),
        chat_id=params.get("chat_id"),
        params={k: v for k, v in params.items() if k not in _CALL_KEYS},
        extra_headers=params.get("extra_headers"),
        extra_body=params.get("extra_body"),
        timeout=to_timeout(timeout),
    )
    return image_flow(config, call)


def _images(result: ImagesResponse | Image | list[Image]) -> list[Image]:
    if isinstance(result, ImagesResponse):
        return list(result.data)
    return [result] if isinstance(result, Image) else list(result)


class Images:
    """`client.images`."""

    def __init__(self, runner: Runner) -> None:
        self._runner = runner
        #: `generate`, returning a `RawResponse` (headers, request id, retries).
        self.with_raw_response = ImagesWithRawResponse(self)

    def generate(self, prompt: str, **params: Unpack[ImageParams]) -> ImagesResponse:
        """
        Generate images from `prompt`; `{"imageUrl": ...}` answers come back as `data[0].url`.
        """
        return self._runner.run(_flow(self._runner.config, prompt, params))

    def fetch(
        self, image: Image, *, timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN
    ) -> bytes:
        """
        The bytes of one image: `b64_json` decoded, or its `url` downloaded with retries.
        """
        t = to_timeout(timeout)
        return self._runner.run(download_flow(self._runner.config, image, t))

    def save(self, images: ImagesResponse | Image | list[Image], path: str | Path) -> list[Path]:
        """
        Save images to `path` and return the paths written, which may differ from `path`:
        nothing is overwritten (`cat.png` taken: `cat-2.png`), the extension follows each
        image's real format, and a folder (existing, or ending in `/`) gets `image.png`,
        `image-2.png`, ... The rules are in `amigochat_sdk._saving`.
        """
        names = ImageNames(path)
        return [names.write(self.fetch(image)) for image in _images(images)]


class AsyncImages:
    """`client.images` on `AsyncClient`."""

    def __init__(self, runner: AsyncRunner) -> None:
        self._runner = runner
        #: `generate`, returning a `RawResponse` (headers, request id, retries).
        self.with_raw_response = AsyncImagesWithRawResponse(self)

    async def generate(self, prompt: str, **params: Unpack[ImageParams]) -> ImagesResponse:
        """
        Generate images from `prompt`; as `Images.generate`, awaited.
        """
        return await self._runner.run(_flow(self._runner.config, prompt, params))

    async def fetch(
        self, image: Image, *, timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN
    ) -> bytes:
        """
        The bytes of one image; as `Images.fetch`, awaited.
        """
        t = to_timeout(timeout)
        return await self._runner.run(download_flow(self._runner.config, image, t))

    async def save(
        self, images: ImagesResponse | Image | list[Image], path: str | Path
    ) -> list[Path]:
        """
        Save images to `path`; as `Images.save`, awaited.
        """
        names = ImageNames(path)
        return [
            await anyio.to_thread.run_sync(names.write, await self.fetch(image))
            for image in _images(images)
        ]


class ImagesWithRawResponse:
    """`client.images.with_raw_response`."""

    def __init__(self, images: Images) -> None:
        self.generate = raw(images.generate)


class AsyncImagesWithRawResponse:
    """`client.images.with_raw_response` on `AsyncClient`."""

    def __init__(self, images: AsyncImages) -> None:
        self.generate = araw(images.generate)
