"""
What the clients put on the wire: the body, the headers, the options, and never the API key
anywhere else.
"""

from __future__ import annotations

import logging
import pickle
import uuid
from typing import Any

import httpx
import pytest

from amigochat_sdk import (
    APIError,
    AsyncClient,
    Client,
    InternalServerError,
    InvalidInputError,
    StreamServerError,
)
from tests.client.helpers import (
    MESSAGES,
    Api,
    chunk_event,
    completion_data,
    event,
    json_response,
    sse_response,
)

pytestmark = pytest.mark.anyio

SDK_UA_PREFIX = "amigochat-sdk/"


def ok(request: httpx.Request) -> httpx.Response:
    return json_response(201, completion_data())  # a JSON answer suits `stream=True` too


# --- the body ----------------------------------------------------------------------------------


async def test_body_carries_the_seed_defaults_and_the_catalog_persona(flavor: str) -> None:
    api = Api(flavor, ok)
    await api.create()
    body = api.recorder.body()
    chat_id = body.pop("chatId")
    assert uuid.UUID(chat_id).version == 4
    assert body == {
        "messages": MESSAGES,
        "model": "gpt-4o-mini",
        "personaId": "amigo",
        "frequency_penalty": 0,
        "max_tokens": 4000,
        "presence_penalty": 0,
        "stream": False,
        "temperature": 0.5,
        "top_p": 0.95,
    }
    request = api.recorder.request
    assert request.method == "POST"
    assert request.url == "http://test/v1/chat/completions"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"

    await api.create()
    assert api.recorder.body()["chatId"] != chat_id  # a fresh conversation per call


async def test_stream_body_says_stream_true(flavor: str) -> None:
    api = Api(flavor, ok)
    await (await api.stream()).all()
    assert api.recorder.body()["stream"] is True
    assert api.recorder.request.headers["accept"] == "text/event-stream"


@pytest.mark.parametrize(
    ("kwargs", "model", "persona"),
    [
        ({"model": "gpt-4o-mini", "persona_id": "my-persona"}, "gpt-4o-mini", "my-persona"),
        ({"model": "claude-3-5-haiku-latest"}, "claude-3-5-haiku-latest", "3-5-haiku"),
        (
            {"model": "claude-3.5-sonnet"},
            "claude-3-5-sonnet-20241022",
            "clude-claude-3-5-sonnet-20241022",
        ),
        ({"model": "brand-new-model-2027"}, "brand-new-model-2027", None),
        ({"model": "brand-new-model-2027", "persona_id": "fresh"}, "brand-new-model-2027", "fresh"),
    ],
    ids=["explicit-persona-wins", "catalog", "alias", "unknown-model", "unknown-with-persona"],
)
async def test_model_and_persona(
    flavor: str, kwargs: dict[str, Any], model: str, persona: str | None
) -> None:
    api = Api(flavor, ok)
    await api.create(**kwargs)
    body = api.recorder.body()
    assert body["model"] == model
    assert body.get("personaId") == persona
    assert ("personaId" in body) is (persona is not None)


async def test_explicit_parameters_chat_id_extra_body_and_extra_headers(flavor: str) -> None:
    api = Api(flavor, ok)
    await api.create(
        chat_id="chat-42",
        temperature=0.1,
        max_tokens=50,
        stop=["\n\n"],
        seed=7,
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
        tool_choice="auto",
        extra_body={"webSearch": True, "top_p": 0.5},
        extra_headers={"x-trace-id": "trace-1"},
    )
    body = api.recorder.body()
    assert body["chatId"] == "chat-42"
    assert body["temperature"] == 0.1
    assert body["max_tokens"] == 50
    assert body["stop"] == ["\n\n"]
    assert body["seed"] == 7
    assert body["tools"] == [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
    assert body["tool_choice"] == "auto"
    assert body["webSearch"] is True  # merged unvalidated
    assert body["top_p"] == 0.5  # and it wins over the validated value
    assert api.recorder.request.headers["x-trace-id"] == "trace-1"

    await api.create()
    assert "x-trace-id" not in api.recorder.request.headers  # that call only


async def test_per_call_timeout_reaches_the_transport(flavor: str) -> None:
    api = Api(flavor, ok, timeout=60.0)
    await api.create()
    assert api.recorder.request.extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 60.0
    )
    await api.create(timeout=12.5)
    assert api.recorder.request.extensions["timeout"] == dict.fromkeys(
        ("connect", "read", "write", "pool"), 12.5
    )
    await api.create(timeout=httpx.Timeout(5.0, read=90.0))
    assert api.recorder.request.extensions["timeout"] == {
        "connect": 5.0,
        "read": 90.0,
        "write": 5.0,
        "pool": 5.0,
    }
    await (await api.stream(timeout=3.0)).all()
    assert api.recorder.request.extensions["timeout"]["connect"] == 3.0


# --- misspelt and invalid parameters never reach the wire --------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temprature": 0.3},
        {"temperature": 5},
        {"max_tokens": 0},
        {"top_p": "high"},
        {"messages": "Hello"},
        {"response_format": {"type": "xml"}},
    ],
    ids=["misspelt", "temperature-5", "max-tokens-0", "top-p-str", "messages-str", "format"],
)
@pytest.mark.parametrize("streamed", [False, True], ids=["create", "stream"])
async def test_bad_chat_parameters_are_rejected_before_sending(
    flavor: str, kwargs: dict[str, Any], streamed: bool
) -> None:
    api = Api(flavor, ok)
    with pytest.raises(InvalidInputError) as caught:
        if streamed:
            await api.stream(**kwargs)
        else:
            await api.create(**kwargs)
    assert api.requests == []
    assert str(caught.value).startswith(("Invalid request parameters: ", "messages must be"))
    assert pickle.loads(pickle.dumps(caught.value)).errors == caught.value.errors


@pytest.mark.parametrize(
    "kwargs",
    [{"sizee": "1024x1024"}, {"size": "big"}, {"n": 0}, {"response_format": "gif"}],
    ids=["misspelt", "size", "n-0", "format"],
)
async def test_bad_image_parameters_are_rejected_before_sending(
    flavor: str, kwargs: dict[str, Any]
) -> None:
    (field,) = kwargs
    api = Api(flavor, ok)
    with pytest.raises(InvalidInputError, match=rf"^Invalid request parameters: {field}: "):
        await api.generate("A cat", **kwargs)
    with pytest.raises(InvalidInputError, match=r"^Invalid request parameters: prompt: "):
        await api.generate("")  # an empty prompt too
    assert api.requests == []


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_misspelt_client_option_is_a_type_error(client_class: type[Client | AsyncClient]) -> None:
    options: dict[str, Any] = {"api_kye": "secret"}
    with pytest.raises(TypeError):
        client_class(**options)


# --- headers and the environment ---------------------------------------------------------------


async def test_device_headers(flavor: str) -> None:
    api = Api(flavor, ok, device_uuid="my-device")
    await api.create()
    headers = api.recorder.request.headers
    assert headers["x-device-uuid"] == "my-device"
    assert headers["x-device-platform"] == "web"
    assert headers["x-device-version"] == "1.0.45"
    assert headers["x-device-language"] == "en-US"

    api = Api(flavor, ok, device_platform="ios", device_version="1.1.11", device_language="id")
    await api.create()
    await api.create()
    first, second = (request.headers for request in api.requests)
    assert (first["x-device-platform"], first["x-device-version"]) == ("ios", "1.1.11")
    assert first["x-device-language"] == "id"
    assert uuid.UUID(first["x-device-uuid"]).version == 4
    assert first["x-device-uuid"] == second["x-device-uuid"]  # one device per client


async def test_default_headers_are_sent(flavor: str) -> None:
    api = Api(flavor, ok, default_headers={"x-app": "demo"})
    await api.create()
    assert api.recorder.request.headers["x-app"] == "demo"


async def test_user_agent_names_the_sdk(flavor: str) -> None:
    api = Api(flavor, ok)
    await api.create()
    user_agent = api.recorder.request.headers["user-agent"]
    assert user_agent.startswith(SDK_UA_PREFIX), user_agent


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_user_agent_names_the_sdk_with_the_clients_own_pool(
    client_class: type[Client | AsyncClient],
) -> None:
    client = client_class()
    assert client._config.headers["user-agent"].startswith(SDK_UA_PREFIX)


async def test_authorization_only_when_a_key_is_set(flavor: str) -> None:
    api = Api(flavor, ok, api_key="sk-test-0123456789")
    await api.create()
    assert api.recorder.request.headers["authorization"] == "Bearer sk-test-0123456789"

    for key in (None, ""):
        api = Api(flavor, ok, api_key=key)
        await api.create()
        assert "authorization" not in api.recorder.request.headers


async def test_environment_variables_are_honoured(
    flavor: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AMIGOCHAT_API_KEY", "env-key-123")
    monkeypatch.setenv("AMIGOCHAT_BASE_URL", "http://env.test/api/v2/")
    api = Api(flavor, ok, base_url=None)
    await api.create()
    request = api.recorder.request
    assert request.url == "http://env.test/api/v2/chat/completions"
    assert request.headers["authorization"] == "Bearer env-key-123"

    api = Api(flavor, ok, api_key="explicit-key", base_url="http://explicit.test/v1")
    await api.create()
    request = api.recorder.request
    assert request.url == "http://explicit.test/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer explicit-key"


def test_the_default_base_url() -> None:
    assert Client().base_url == "https://api.amigochat.io/v1"
    assert AsyncClient().base_url == "https://api.amigochat.io/v1"


# --- the API key stays secret ------------------------------------------------------------------

KEYS = [
    pytest.param("sk-amigo-0123456789abcdef", id="sk-key"),
    pytest.param("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ", id="jwt"),
    pytest.param(
        "amigo_live_4f9c2b7e1d0a",
        id="opaque",
    ),
]


def echo_key_handler(key: str) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        message = (
            f"Incorrect API key provided: {key}. Header was {request.headers['authorization']}"
        )
        return json_response(401, {"error": {"message": message, "code": "invalid_api_key"}})

    return handler


@pytest.mark.parametrize("key", KEYS)
async def test_api_key_never_in_error_messages_even_when_echoed(flavor: str, key: str) -> None:
    api = Api(flavor, echo_key_handler(key), api_key=key)
    with pytest.raises(APIError) as info:
        await api.create()
    assert api.recorder.request.headers["authorization"] == f"Bearer {key}"
    assert key not in str(info.value)
    assert key not in repr(info.value)
    assert key not in info.value.message


@pytest.mark.parametrize("key", KEYS)
async def test_api_key_never_in_stream_error_messages(flavor: str, key: str) -> None:
    error = {"error": {"message": f"upstream rejected token {key}"}}
    pieces = [chunk_event("Hi", role="assistant"), event(error, name="error")]
    api = Api(flavor, lambda request: sse_response(*pieces), api_key=key)
    stream = await api.stream()
    with pytest.raises(StreamServerError) as info:
        await stream.all()
    assert key not in str(info.value)


@pytest.mark.parametrize(
    "key",
    [
        "sk-amigo-0123456789abcdef",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        "amigo_live_4f9c2b7e1d0a",
    ],
)
async def test_api_key_never_in_transport_error_messages(flavor: str, key: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"proxy refused: authorization: Bearer {key}")

    api = Api(flavor, handler, api_key=key, max_retries=0)
    with pytest.raises(APIError) as info:
        await api.create()
    assert key not in str(info.value)


@pytest.mark.parametrize(
    "key",
    [
        "sk-amigo-0123456789abcdef",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ",
        "amigo_live_4f9c2b7e1d0a",
    ],
)
async def test_api_key_never_in_repr_or_debug_logs(
    flavor: str, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, the SDK's included
    caplog.set_level(logging.DEBUG, logger="amigochat_sdk")
    replies = iter(
        [
            json_response(503, {"error": {"message": "overloaded"}}),
            json_response(201, completion_data()),
            json_response(400, {"error": {"message": "bad"}}),
        ]
    )
    api = Api(flavor, lambda request: next(replies), api_key=key)
    assert key not in repr(api.client)
    assert key not in str(api.client)
    assert key not in repr(api.client._config)
    await api.create()
    with pytest.raises(APIError):
        await api.create()
    sdk_records = [r for r in caplog.records if r.name.startswith("amigochat_sdk")]
    assert sdk_records, "expected the SDK to log its attempts at DEBUG"
    for record in caplog.records:
        assert key not in record.getMessage()
    assert key not in caplog.text


# --- with_options --------------------------------------------------------------------------------


async def test_with_options_returns_a_changed_copy_sharing_the_pool(
    flavor: str, sleeps: list[float]
) -> None:
    replies = iter(
        [
            json_response(503, {"error": {"message": "overloaded"}}),  # original: no retries
            json_response(503, {"error": {"message": "overloaded"}}),  # copy: retried
            json_response(201, completion_data("from the copy")),
            json_response(201, completion_data("original again")),
        ]
    )
    api = Api(flavor, lambda request: next(replies), api_key="key-1", max_retries=0)
    original = api.client
    copy = original.with_options(max_retries=1, default_headers={"x-copy": "yes"})
    assert type(copy) is type(original)
    assert copy is not original
    assert (copy.max_retries, original.max_retries) == (1, 0)
    assert copy._http is original._http  # one pool
    assert copy.api_key == "key-1"
    assert copy.base_url == original.base_url

    with pytest.raises(InternalServerError):
        await api.create()
    api.client = copy
    assert (await api.create()).choices[0].message.content == "from the copy"
    assert len(sleeps) == 1
    headers = api.requests[-1].headers
    assert headers["x-copy"] == "yes"
    assert headers["authorization"] == "Bearer key-1"

    await api.close()  # closing a copy leaves the shared pool open
    api.client = original
    assert (await api.create()).choices[0].message.content == "original again"
    assert "x-copy" not in api.requests[-1].headers


async def test_with_options_can_change_the_key(flavor: str) -> None:
    api = Api(flavor, ok, api_key="key-1")
    api.client = api.client.with_options(api_key="key-2")
    await api.create()
    assert api.recorder.request.headers["authorization"] == "Bearer key-2"


@pytest.mark.parametrize("client_class", [Client, AsyncClient])
def test_with_options_keeps_the_sdk_user_agent(client_class: type[Client | AsyncClient]) -> None:
    copy = client_class().with_options(max_retries=0)
    user_agent = copy._config.headers["user-agent"]
    assert user_agent.startswith(SDK_UA_PREFIX), user_agent
