"""
Error answers and a retry, replayed from cassettes: the typed errors, and how many requests went.
"""

from __future__ import annotations

import json

import pytest

from amigochat_sdk import AuthenticationError, BadRequestError, NotFoundError
from tests.cassettes import checks
from tests.cassettes.conftest import OpenCassette
from tests.cassettes.recording import SERVER_KEY, WRONG_KEY
from tests.e2e.helpers import reply_to
from tests.flavors import user

pytestmark = pytest.mark.anyio


async def test_400_validation_error(open_cassette: OpenCassette) -> None:
    async with open_cassette("error_400_validation") as recorded:
        with pytest.raises(BadRequestError) as caught:
            # `extra_body` is sent unvalidated: the server is the one to refuse it.
            await recorded.api.create(messages=user(), extra_body={"temperature": "hot"})
    error = caught.value
    assert error.status_code == 400
    assert error.body == {
        "message": ["temperature: Input should be a valid number"],
        "error": "Bad Request",
        "statusCode": 400,
    }
    assert "temperature: Input should be a valid number" in error.message
    assert error.request_id == "req_1"
    [request] = recorded.api.sent  # not retried
    assert json.loads(request.content)["temperature"] == "hot"


async def test_404_unknown_model(open_cassette: OpenCassette) -> None:
    async with open_cassette("error_404_unknown_model") as recorded:
        with pytest.raises(NotFoundError) as caught:
            await recorded.api.create(model="no-such-model", messages=user())
    error = caught.value
    assert error.status_code == 404
    assert isinstance(error.body, dict)
    assert error.body["error"]["code"] == "model_not_found"
    assert "The model `no-such-model` does not exist" in error.message
    [request] = recorded.api.sent
    # A model the catalog does not know goes out as given, without a persona id.
    checks.chat_body(request, messages=user(), stream=False, model="no-such-model", persona=None)


async def test_api_key_accepted(open_cassette: OpenCassette) -> None:
    async with open_cassette("auth_accepted") as recorded:
        reply = await recorded.api.create(messages=user())
    assert reply.choices[0].message.content == reply_to()
    checks.api_headers(recorded.api.sent[0], api_key=SERVER_KEY, accept="application/json")


async def test_401_wrong_api_key(open_cassette: OpenCassette) -> None:
    async with open_cassette("auth_rejected_401") as recorded:
        with pytest.raises(AuthenticationError) as caught:
            await recorded.api.create(messages=user())
    error = caught.value
    assert error.status_code == 401
    assert "Incorrect API key provided" in error.message
    assert WRONG_KEY not in str(error) and WRONG_KEY not in repr(recorded.api.client)
    [request] = recorded.api.sent
    checks.api_headers(request, api_key=WRONG_KEY, accept="application/json")


async def test_429_then_201(open_cassette: OpenCassette) -> None:
    async with open_cassette("retry_429_then_201") as recorded:
        api = recorded.api
        reply = await api.create(messages=user())
    assert reply.choices[0].message.content == reply_to()
    assert [recorded.stored(i)["status"]["code"] for i in (0, 1)] == [429, 201]
    assert recorded.stored(0)["headers"]["retry-after"] == ["0"]
    first, second = api.sent
    assert first.content == second.content  # the same body, the same chatId
    uuids = [first.headers["x-device-uuid"], second.headers["x-device-uuid"]]
    assert uuids[0] == api.client._config.device_uuid and uuids[1] != uuids[0]
    assert all(checks.is_uuid4(value) for value in uuids)
