"""
`parse` and `run_tools` of either client behind one set of coroutines, for the scenarios that
run on both (through the e2e `Api`).
"""

from __future__ import annotations

from typing import Any

from amigochat_sdk import Client
from amigochat_sdk.types import ParsedChatCompletion, StreamEvent, ToolRunResult
from tests.e2e.helpers import Api
from tests.flavors import MODEL, user

__all__ = ["MODEL", "parse", "parse_stream", "run_tools", "run_tools_stream", "user"]


async def parse(api: Api, **kwargs: Any) -> ParsedChatCompletion[Any]:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("messages", user())
    result: ParsedChatCompletion[Any]
    if isinstance(api.client, Client):
        result = api.client.chat.completions.parse(**kwargs)
    else:
        result = await api.client.chat.completions.parse(**kwargs)
    return result


async def parse_stream(
    api: Api, **kwargs: Any
) -> tuple[list[StreamEvent], ParsedChatCompletion[Any]]:
    kwargs.setdefault("model", MODEL)
    kwargs.setdefault("messages", user())
    if isinstance(api.client, Client):
        with api.client.chat.completions.parse(stream=True, **kwargs) as stream:
            return list(stream), stream.until_done()
    async with await api.client.chat.completions.parse(stream=True, **kwargs) as astream:
        return [event async for event in astream], await astream.until_done()


async def run_tools(api: Api, **kwargs: Any) -> ToolRunResult:
    kwargs.setdefault("model", MODEL)
    result: ToolRunResult
    if isinstance(api.client, Client):
        result = api.client.chat.completions.run_tools(**kwargs)
    else:
        result = await api.client.chat.completions.run_tools(**kwargs)
    return result


async def run_tools_stream(api: Api, **kwargs: Any) -> tuple[list[StreamEvent], ToolRunResult]:
    kwargs.setdefault("model", MODEL)
    if isinstance(api.client, Client):
        with api.client.chat.completions.run_tools(stream=True, **kwargs) as stream:
            return list(stream), stream.until_done()
    async with await api.client.chat.completions.run_tools(stream=True, **kwargs) as astream:
        return [event async for event in astream], await astream.until_done()
