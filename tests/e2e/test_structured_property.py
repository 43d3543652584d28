"""
For generated pydantic models (nested, optional, enums, lists), the reference server's answer
to `parse()` validates into the model, streamed and not, and both agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import pydantic
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from amigochat_sdk import Client
from amigochat_sdk.testing import ReferenceServer
from tests.flavors import MODEL, user
from tests.generated_models import models

pytestmark = pytest.mark.e2e

Strategy = Literal["json_schema", "json_object", "prompt"]
STRATEGIES: list[Strategy] = ["json_schema", "json_object", "prompt"]


@pytest.fixture(scope="module")
def client(amigochat_session_server: ReferenceServer) -> Iterator[Client]:
    with Client(base_url=amigochat_session_server.url, max_retries=0) as made:
        yield made


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(models(), st.sampled_from(STRATEGIES))
def test_the_server_answer_parses_into_the_model(
    client: Client, model: type[pydantic.BaseModel], strategy: Strategy
) -> None:
    completions = client.chat.completions
    parsed = completions.parse(
        model=MODEL, messages=user(), response_format=model, structured=strategy, max_repairs=0
    )
    answer = parsed.choices[0].message.parsed
    assert isinstance(answer, model)
    with completions.parse(
        model=MODEL,
        messages=user(),
        response_format=model,
        structured=strategy,
        max_repairs=0,
        stream=True,
    ) as stream:
        streamed = stream.until_done().choices[0].message.parsed
    assert streamed == answer
