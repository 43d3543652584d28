"""
`amigochat_sdk.provider.AmigoChat`: the seed's own examples run with only the import changed,
against the reference server, and gain the SDK's retries and errors.
"""

from __future__ import annotations

import ast
import contextlib
import io
import re
import uuid
from collections.abc import Awaitable
from typing import Any

import anyio
import pytest

from amigochat_sdk import ALIASES, CHAT_MODELS, IMAGE_MODELS, BadRequestError, StreamServerError
from amigochat_sdk.provider import AmigoChat, ImageResponse, ModelNotSupportedError
from amigochat_sdk.testing import ReferenceServer
from tests.flavors import HTTPX_LEAVES_ITS_GENERATORS_OPEN

REPLY = 'You said: "{}". This conversation has {} message(s).'

# The usage examples of the seed document (seeds/AmigoChat.md), verbatim. Only the import at the
# top is new: `from g4f.Provider import AmigoChat` becomes the line below.
IMPORT = "from amigochat_sdk.provider import AmigoChat\n"

SEED_GET_PERSONA_ID = """\
# Пример вызова функции get_personaId
persona_id = AmigoChat.get_personaId('gpt-4o-mini')
print(persona_id)  # Вывод: amigo

persona_id = AmigoChat.get_personaId('flux-pro/v1.1')
print(persona_id)  # Вывод: flux-1-1-pro
"""

SEED_GENERATE_CHAT_ID = """\
# Пример вызова функции generate_chat_id
chat_id = AmigoChat.generate_chat_id()
print(chat_id)  # Вывод: например, 'a1b2c3d4-e5f6-7890-1234-567890abcdef'
"""

SEED_CREATE_ASYNC_GENERATOR = """\
# Пример использования create_async_generator для генерации текста
model = 'gpt-4o-mini'
messages = [{'role': 'user', 'content': 'Hello, how are you?'}]
async for chunk in AmigoChat.create_async_generator(model=model, messages=messages):
    print(chunk, end='')

# Пример использования create_async_generator для генерации изображения
model = 'flux-pro/v1.1'
messages = [{'role': 'user', 'content': 'A futuristic cityscape'}]
async for image_response in AmigoChat.create_async_generator(model=model, messages=messages):
    if image_response:
        print(image_response.image_urls)
"""


def run_seed_example(source: str, backend: str = "asyncio") -> tuple[str, dict[str, Any]]:
    """Run a snippet as written (top-level `async for` included); return stdout and globals."""
    code = compile(IMPORT + source, "seed-example", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, Any] = {"__name__": "__seed__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = eval(code, namespace)
        if result is not None:  # a coroutine, when the snippet awaits

            async def finish(pending: Awaitable[None]) -> None:
                await pending

            anyio.run(finish, result, backend=backend)
    return out.getvalue(), namespace


async def collect(model: str, content: str = "Hello", **options: Any) -> list[Any]:
    messages = [{"role": "user", "content": content}]
    return [
        item
        async for item in AmigoChat.create_async_generator(
            model=model, messages=messages, **options
        )
    ]


@pytest.fixture
def server(amigochat_server: ReferenceServer, monkeypatch: pytest.MonkeyPatch) -> ReferenceServer:
    monkeypatch.setenv("AMIGOCHAT_BASE_URL", amigochat_server.url)
    return amigochat_server


def test_seed_get_persona_id_example() -> None:
    out, _ = run_seed_example(SEED_GET_PERSONA_ID)
    assert out == "amigo\nflux-1-1-pro\n"
    assert AmigoChat.get_personaId("gpt-4o-mini") == "amigo"
    assert AmigoChat.get_personaId("flux-pro/v1.1") == "flux-1-1-pro"


def test_seed_generate_chat_id_example() -> None:
    out, namespace = run_seed_example(SEED_GENERATE_CHAT_ID)
    assert str(uuid.UUID(namespace["chat_id"])) == out.strip()
    assert uuid.UUID(out.strip()).version == 4


@pytest.mark.e2e
@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_seed_create_async_generator_example(server: ReferenceServer, backend: str) -> None:
    out, namespace = run_seed_example(SEED_CREATE_ASYNC_GENERATOR, backend)

    text, urls = out.split("\n", 1)[0], namespace["image_response"].image_urls
    assert text.startswith(REPLY.format("Hello, how are you?", 1))
    assert out == REPLY.format("Hello, how are you?", 1) + repr(urls) + "\n"
    [url] = urls
    assert url.startswith(server.url + "/files/") and url.endswith(".png")
    assert isinstance(namespace["image_response"], ImageResponse)
    assert namespace["image_response"].prompt == "A futuristic cityscape"
    chat, image = server.requests[0].json, server.requests[1].json
    assert (chat["model"], chat["personaId"], chat["stream"]) == ("gpt-4o-mini", "amigo", False)
    assert image == {
        "prompt": "A futuristic cityscape",
        "model": "flux-pro/v1.1",
        "personaId": "flux-1-1-pro",
        "chatId": image["chatId"],
    }


def test_class_attributes_come_from_the_catalog() -> None:
    assert AmigoChat.url == "https://amigochat.io/chat/"
    assert AmigoChat.chat_api_endpoint == "https://api.amigochat.io/v1/chat/completions"
    assert AmigoChat.image_api_endpoint == "https://api.amigochat.io/v1/images/generations"
    assert AmigoChat.supports_stream and AmigoChat.supports_system_message
    assert AmigoChat.supports_message_history and AmigoChat.working
    assert AmigoChat.default_model == "gpt-4o-mini"
    assert AmigoChat.chat_models == list(CHAT_MODELS)
    assert AmigoChat.image_models == list(IMAGE_MODELS)
    assert AmigoChat.models == AmigoChat.chat_models + AmigoChat.image_models
    assert AmigoChat.model_aliases == {k: v for k, v in ALIASES.items() if k != v}
    assert AmigoChat.model_aliases["claude-3.5-sonnet"] == "claude-3-5-sonnet-20241022"


@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("", "gpt-4o-mini"),
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gpt-4o", "gpt-4o-2024-11-20"),  # an alias wins over the model of the same name
        ("flux-dev", "flux/dev"),
        ("recraft-v3", "recraft-v3"),
    ],
)
def test_get_model(name: str, model: str) -> None:
    assert AmigoChat.get_model(name) == model


def test_get_model_refuses_unknown_names() -> None:
    with pytest.raises(ModelNotSupportedError, match="'gpt-5-turbo'"):
        AmigoChat.get_model("gpt-5-turbo")
    with pytest.raises(ValueError):
        AmigoChat.get_model("gpt-5-turbo")


def test_get_persona_id() -> None:
    assert AmigoChat.get_personaId("gpt-4o") == "summarizer"  # the seed's table, no alias
    assert (
        AmigoChat.get_personaId("claude-3-5-sonnet-20241022") == "clude-claude-3-5-sonnet-20241022"
    )
    with pytest.raises(ValueError, match="gpt-5"):
        AmigoChat.get_personaId("gpt-5")
    with pytest.raises(ValueError):
        AmigoChat.get_personaId("claude-3.5-sonnet")  # an alias, not a model


def test_image_response() -> None:
    single = ImageResponse("https://x/a.png", "A [red] cat")
    assert single.image_urls == single.images == ["https://x/a.png"]
    assert single.alt == "A [red] cat"
    assert "[![#1 A (red) cat](https://x/a.png)](https://x/a.png)" in str(single)
    assert str(single).startswith("\n<!-- generated images start -->\n")
    assert ImageResponse(["u1", "u2"], "p") == ImageResponse(["u1", "u2"], "p")
    assert str(ImageResponse(["u1", "u2"], "p")).count("[![#") == 2


@pytest.mark.e2e
@pytest.mark.anyio
async def test_stream_yields_pieces_with_the_seed_defaults(server: ReferenceServer) -> None:
    pieces = await collect("gpt-4o", stream=True)

    assert len(pieces) > 3 and all(isinstance(p, str) and p for p in pieces)
    assert "".join(pieces) == REPLY.format("Hello", 1)
    body = server.requests.last.json
    assert (body["model"], body["personaId"]) == ("gpt-4o-2024-11-20", "gpt")
    defaults: dict[str, Any] = {"frequency_penalty": 0, "max_tokens": 4000, "presence_penalty": 0}
    defaults |= {"temperature": 0.5, "top_p": 0.95, "stream": True}
    assert {k: body[k] for k in defaults} == defaults
    assert uuid.UUID(body["chatId"]).version == 4


@pytest.mark.e2e
@pytest.mark.anyio
async def test_knobs_and_api_key_reach_the_request(server: ReferenceServer) -> None:
    pieces = await collect(
        "gpt-4o-mini", max_tokens=3, temperature=0.1, top_p=0.2, api_key="sk-seed", web_search=True
    )

    assert pieces == ['You said: "Hello".']  # cut at three words: max_tokens reached the server
    request = server.requests.last
    assert request.headers["authorization"] == "Bearer sk-seed"
    assert (request.json["temperature"], request.json["top_p"]) == (0.1, 0.2)
    assert "web_search" not in request.json  # unknown keywords are ignored, as the seed did


@pytest.mark.e2e
@pytest.mark.anyio
async def test_image_prompt_is_the_last_user_message(server: ReferenceServer) -> None:
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": "Draw something"},
        {"role": "assistant", "content": "What?"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "A red"}, {"type": "text", "text": "fox"}],
        },
    ]
    [response] = [r async for r in AmigoChat.create_async_generator("flux-dev", messages)]

    assert isinstance(response, ImageResponse)
    assert response.prompt == "A red fox"
    assert server.requests.last.json["model"] == "flux/dev"
    assert server.requests.last.json["personaId"] == "flux-dev"


@pytest.mark.e2e
@pytest.mark.anyio
async def test_retry_before_the_first_chunk_repeats_nothing(server: ReferenceServer) -> None:
    server.faults.push("close-after=0")  # headers, then the connection drops: no event yet

    pieces = await collect("gpt-4o-mini", stream=True)

    assert "".join(pieces) == REPLY.format("Hello", 1)
    assert len(server.requests) == 2
    ids = {r.headers["x-device-uuid"] for r in server.requests}
    assert len(ids) == 2  # a fresh device id for the retry, as the seed made


@HTTPX_LEAVES_ITS_GENERATORS_OPEN  # the body is closed before its end, on trio
@pytest.mark.e2e
@pytest.mark.anyio
async def test_an_error_mid_stream_raises_after_the_text(server: ReferenceServer) -> None:
    server.faults.push("error-event-after=3;message=upstream fell over")
    pieces: list[Any] = []

    with pytest.raises(StreamServerError, match="upstream fell over") as caught:
        async for piece in AmigoChat.create_async_generator(
            "gpt-4o-mini", [{"role": "user", "content": "Hello"}], stream=True
        ):
            pieces.append(piece)

    assert "".join(pieces) == caught.value.text == "You said"
    assert len(server.requests) == 1  # never restarted: the seed would have printed it twice


@pytest.mark.e2e
@pytest.mark.anyio
async def test_status_errors_are_the_sdks(server: ReferenceServer) -> None:
    server.faults.push("status=400;message=Bad persona")
    with pytest.raises(BadRequestError, match="Bad persona"):
        await collect("gpt-4o-mini")
    assert len(server.requests) == 1


@pytest.mark.e2e
@pytest.mark.anyio
async def test_an_overridden_endpoint_is_honoured(
    amigochat_server: ReferenceServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(AmigoChat, "chat_api_endpoint", amigochat_server.url + "/chat/completions")
    assert await collect("gpt-4o-mini") == [REPLY.format("Hello", 1)]
    assert re.fullmatch(r"/v1/chat/completions", amigochat_server.requests.last.path)
