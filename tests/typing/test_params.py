"""
The typed messages: a type checker rejects a misspelt key or role, plain dicts still run, and
the TypedDicts say what the spec's request models say, key by key.

`test_mypy_strict_accepts_this_file` runs `mypy --strict` on this file: every `# type:
ignore[...]` below must be needed (strict mode reports unused ones), which proves that each of
those lines is a type error.
"""

from __future__ import annotations

from typing import Any, get_args, get_type_hints

import httpx
import pydantic
import pytest
from typing_extensions import is_typeddict

from amigochat_sdk import Client, types as t
from amigochat_sdk.types import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionToolMessageParam,
    ChatCompletionUserMessageParam,
)
from tests.typing.helpers import assert_mypy_strict_accepts

MODEL = "gpt-4o-mini"

WELL_TYPED: list[ChatCompletionMessageParam] = [
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is this?"},
            {
                "type": "image_url",
                "image_url": {"url": "https://cdn.test/cat.png", "detail": "low"},
            },
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "42"},
    {"role": "user", "content": "Thanks", "name": "ann"},
]


def misspelt_messages_are_type_errors(client: Client) -> None:  # pragma: no cover
    """Never called: each marked line must fail the type check."""
    client.chat.completions.create(
        model=MODEL,
        messages=[{"rol": "user", "contnt": "hi"}],  # type: ignore[list-item]
    )
    client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "usr", "content": "hi"}],  # type: ignore[list-item]
    )
    client.chat.completions.parse(
        model=MODEL,
        messages=[{"role": "user", "contnt": "hi"}],  # type: ignore[list-item]
        response_format=int,
    )
    client.chat.completions.run_tools(
        model=MODEL,
        messages=[{"role": "user"}],  # type: ignore[list-item]
        tools=[],
    )
    user: ChatCompletionUserMessageParam = {"role": "user", "content": 3}  # type: ignore[typeddict-item]
    tool: ChatCompletionToolMessageParam = {"role": "tool", "content": "x"}  # type: ignore[typeddict-item]
    del user, tool


def test_mypy_strict_accepts_this_file() -> None:
    assert_mypy_strict_accepts(__file__)


def test_typed_messages_are_plain_dicts_on_the_wire() -> None:
    sent: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.read())
        message = {"index": 0, "message": {"role": "assistant", "content": "Hi"}}
        return httpx.Response(200, json={"object": "chat.completion", "choices": [message]})

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with Client(base_url="http://test/v1", http_client=http, api_key="k") as client:
        reply = client.chat.completions.create(model=MODEL, messages=WELL_TYPED)
    assert reply.choices[0].message.content == "Hi"
    body = pydantic.TypeAdapter(dict[str, Any]).validate_json(sent[0])
    assert body["messages"][2]["content"][1]["image_url"] == {
        "url": "https://cdn.test/cat.png",
        "detail": "low",
    }
    assert body["messages"][3]["tool_calls"][0]["function"] == {"name": "f", "arguments": "{}"}


PAIRS = [
    (t.ChatCompletionSystemMessageParam, t.SystemMessageParam),
    (t.ChatCompletionDeveloperMessageParam, t.DeveloperMessageParam),
    (t.ChatCompletionUserMessageParam, t.UserMessageParam),
    (ChatCompletionAssistantMessageParam, t.AssistantMessageParam),
    (t.ChatCompletionToolMessageParam, t.ToolMessageParam),
    (t.ChatCompletionContentPartTextParam, t.TextContentPart),
    (t.ChatCompletionContentPartImageParam, t.ImageContentPart),
    (t.ImageURL, t.ImageUrl),
    (t.ChatCompletionMessageToolCallDict, t.ChatCompletionMessageToolCallParam),
    (t.FunctionCallDict, t.FunctionCallParam),
]


@pytest.mark.parametrize(("typed_dict", "model"), PAIRS, ids=lambda p: p.__name__)
def test_each_typed_dict_has_the_keys_of_its_spec_model(
    typed_dict: Any, model: type[pydantic.BaseModel]
) -> None:
    assert is_typeddict(typed_dict)
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    assert typed_dict.__required_keys__ == required
    assert typed_dict.__required_keys__ | typed_dict.__optional_keys__ == set(model.model_fields)


def test_the_message_union_covers_every_role_of_the_spec() -> None:
    members = get_args(ChatCompletionMessageParam)
    roles = {get_args(get_type_hints(member)["role"])[0] for member in members}
    assert roles == {"system", "developer", "user", "assistant", "tool"}
