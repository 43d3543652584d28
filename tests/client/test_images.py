"""
`client.images`: generate in every answer shape, then fetch and save through the same client.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path

import httpx
import pytest

from amigochat_sdk import NotFoundError
from amigochat_sdk.types import Image, ImagesResponse
from tests.client.helpers import Api, json_response, response

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
OTHER_PNG = b"\x89PNG\r\n\x1a\n" + b"other"
CDN = "https://cdn.example.net/images"
KEY = "sk-images-0123456789"


def images_api(flavor: str, answer: object, **options: object) -> Api:
    """A server that answers `images/generations` with `answer` and serves two PNGs."""

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        if url == "http://test/v1/images/generations":
            return json_response(201, answer)
        if url in (f"{CDN}/1.png", "http://test/files/1.png"):
            # In pieces, so a download is assembled from several reads.
            return response(200, [PNG[:5], PNG[5:100], PNG[100:]], content_type="image/png")
        if url == f"{CDN}/2.png":
            return response(200, [OTHER_PNG], content_type="image/png")
        return json_response(404, {"error": {"message": f"no such image: {request.url.path}"}})

    return Api(flavor, handler, api_key=KEY, **options)


async def test_generate_reads_data_urls_and_sends_the_catalog_persona(flavor: str) -> None:
    answer = {
        "created": 1705664481,
        "data": [{"url": f"{CDN}/1.png", "revised_prompt": "A calm cat, photographed"}],
    }
    api = images_api(flavor, answer)
    result = await api.generate("A cat")
    assert isinstance(result, ImagesResponse)
    assert result.created == 1705664481
    assert result.data[0].url == f"{CDN}/1.png"
    assert result.data[0].revised_prompt == "A calm cat, photographed"
    request = api.recorder.request
    assert request.method == "POST"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = json.loads(request.content)
    assert uuid.UUID(body.pop("chatId")).version == 4
    assert body == {"prompt": "A cat", "model": "flux-pro/v1.1", "personaId": "flux-1-1-pro"}


async def test_generate_with_explicit_model_and_parameters(flavor: str) -> None:
    api = images_api(flavor, {"data": [{"url": f"{CDN}/1.png"}]})
    await api.generate(
        "A dog", model="dall-e-3", n=2, size="1024x1024", response_format="url", chat_id="c-1"
    )
    body = api.recorder.body()
    assert body == {
        "prompt": "A dog",
        "model": "dall-e-3",
        "personaId": "dalle-three",
        "chatId": "c-1",
        "n": 2,
        "size": "1024x1024",
        "response_format": "url",
    }
    await api.generate("A dog", model="some-new-image-model", persona_id="image-generator")
    body = api.recorder.body()
    assert (body["model"], body["personaId"]) == ("some-new-image-model", "image-generator")


async def test_generate_reads_b64_json_and_fetch_decodes_it(flavor: str) -> None:
    answer = {"data": [{"b64_json": base64.b64encode(PNG).decode()}]}
    api = images_api(flavor, answer)
    result = await api.generate("A cat", response_format="b64_json")
    assert result.data[0].url is None
    assert await api.fetch(result.data[0]) == PNG
    assert len(api.requests) == 1  # decoding needs no request


async def test_image_url_answer_is_normalised(flavor: str) -> None:
    api = images_api(flavor, {"imageUrl": f"{CDN}/1.png"})
    result = await api.generate("A cat")
    assert [image.url for image in result.data] == [f"{CDN}/1.png"]
    assert await api.fetch(result.data[0]) == PNG


async def test_fetch_from_another_host_never_sends_the_api_key(flavor: str) -> None:
    api = images_api(flavor, {})
    assert await api.fetch(Image(url=f"{CDN}/1.png")) == PNG
    download = api.recorder.request
    assert download.method == "GET"
    assert download.url == f"{CDN}/1.png"
    assert "authorization" not in download.headers
    assert not any(name.startswith("x-device-") for name in download.headers)
    assert KEY not in str(download.headers.raw)


async def test_fetch_from_the_api_host_is_authorised(flavor: str) -> None:
    api = images_api(flavor, {})
    assert await api.fetch(Image(url="/files/1.png")) == PNG  # relative to the API's host
    download = api.recorder.request
    assert download.url == "http://test/files/1.png"
    assert download.headers["authorization"] == f"Bearer {KEY}"


async def test_fetch_of_a_data_url(flavor: str) -> None:
    api = images_api(flavor, {})
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert await api.fetch(Image(url=url)) == PNG
    assert api.requests == []


async def test_fetch_of_a_missing_image_is_not_found(flavor: str) -> None:
    api = images_api(flavor, {})
    with pytest.raises(NotFoundError) as info:
        await api.fetch(Image(url=f"{CDN}/gone.png"))
    assert "no such image: /images/gone.png" in str(info.value)


async def test_fetch_retries_a_failed_download(flavor: str, sleeps: list[float]) -> None:
    replies = iter([json_response(503, {"error": "busy"}), response(200, [PNG])])
    api = Api(flavor, lambda request: next(replies))
    assert await api.fetch(Image(url=f"{CDN}/1.png")) == PNG
    assert len(api.requests) == 2
    assert len(sleeps) == 1


async def test_save_one_image_to_a_path(flavor: str, tmp_path: Path) -> None:
    api = images_api(flavor, {"data": [{"url": f"{CDN}/1.png"}]})
    result = await api.generate("A cat")
    target = tmp_path / "cat.png"
    assert await api.save(result, target) == [target]
    assert target.read_bytes() == PNG


async def test_save_into_a_folder(flavor: str, tmp_path: Path) -> None:
    api = images_api(flavor, {"data": [{"url": f"{CDN}/1.png"}]})
    result = await api.generate("A cat")
    assert await api.save(result.data[0], tmp_path) == [tmp_path / "image.png"]
    assert (tmp_path / "image.png").read_bytes() == PNG
    # Saved again: a new name, nothing overwritten.
    assert await api.save(result.data[0], tmp_path) == [tmp_path / "image-2.png"]


async def test_save_several_images(flavor: str, tmp_path: Path) -> None:
    answer = {
        "data": [
            {"url": f"{CDN}/1.png"},
            {"url": f"{CDN}/2.png"},
            {"b64_json": base64.b64encode(b"third").decode()},
        ]
    }
    api = images_api(flavor, answer)
    result = await api.generate("Three cats", n=3)
    paths = await api.save(result, tmp_path / "cats.png")
    assert paths == [tmp_path / "cats.png", tmp_path / "cats-2.png", tmp_path / "cats-3.png"]
    assert [path.read_bytes() for path in paths] == [PNG, OTHER_PNG, b"third"]

    paths = await api.save(list(result.data), f"{tmp_path / 'out'}/")  # made, as a folder
    assert [path.name for path in paths] == ["image.png", "image-2.png", "image-3.bin"]


async def test_save_names_a_jpeg_jpg_and_overwrites_nothing(flavor: str, tmp_path: Path) -> None:
    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 16
    answer = {"data": [{"b64_json": base64.b64encode(jpeg).decode()}]}
    api = images_api(flavor, answer)
    result = await api.generate("A cat")
    (tmp_path / "cat.jpg").write_bytes(b"mine")
    assert await api.save(result, tmp_path / "cat.png") == [tmp_path / "cat-2.jpg"]
    assert (tmp_path / "cat.jpg").read_bytes() == b"mine"
    assert (tmp_path / "cat-2.jpg").read_bytes() == jpeg
