"""
Image generation replayed from cassettes, with the image downloads through the same client.
"""

from __future__ import annotations

import pytest

from amigochat_sdk.testing._images import image_id, render_png
from tests.cassettes import checks
from tests.cassettes.conftest import OpenCassette, live_too

pytestmark = pytest.mark.anyio

PROMPT = "A lighthouse at dusk"
PNG = b"\x89PNG\r\n\x1a\n"


def expected_png(prompt: str = PROMPT) -> bytes:
    return render_png((prompt, 0, 64, 64))  # the reference server's default size


@live_too
async def test_url_then_fetch(open_cassette: OpenCassette) -> None:
    async with open_cassette("image_url_and_fetch") as recorded:
        api = recorded.api
        images = await api.generate(PROMPT)
        [image] = images.data
        assert image.url is not None
        data = await api.fetch(image)
    assert data.startswith(PNG)
    generate, fetch = api.sent
    checks.image_body(generate, prompt=PROMPT)
    checks.api_headers(generate, api_key=recorded.api_key, accept="application/json")
    assert fetch.method == "GET" and fetch.url == image.url
    if recorded.reference:
        assert image.url == f"{recorded.base_url}/files/{image_id((PROMPT, 0, 64, 64))}.png"
        assert image.revised_prompt == f"{PROMPT} (image 1 of 1)"
        assert data == expected_png()
        # The image lives on the API's own host, so the key and device headers go along.
        checks.api_headers(fetch, api_key=recorded.api_key, accept="image/*")
        assert recorded.stored(1)["headers"]["content-type"] == ["image/png"]


async def test_b64_json(open_cassette: OpenCassette) -> None:
    async with open_cassette("image_b64_json") as recorded:
        api = recorded.api
        images = await api.generate(PROMPT, response_format="b64_json")
        [image] = images.data
        data = await api.fetch(image)  # decoded locally: no request, the cassette has one
    assert image.url is None and image.b64_json
    assert data == expected_png()
    [request] = api.sent
    checks.image_body(request, prompt=PROMPT, response_format="b64_json")


async def test_image_url_shape(open_cassette: OpenCassette) -> None:
    async with open_cassette("image_url_shape") as recorded:
        api = recorded.api
        images = await api.generate(PROMPT)
        [image] = images.data
        data = await api.fetch(image)
    stored = recorded.stored_body(0)
    assert stored.startswith(b'{"imageUrl":"http://amigochat.test/v1/files/')
    assert image.url == f"{recorded.base_url}/files/{image_id((PROMPT, 0, 64, 64))}.png"
    assert data == expected_png()
    assert [request.method for request in api.sent] == ["POST", "GET"]
