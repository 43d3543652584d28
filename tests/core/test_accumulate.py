"""
How streamed chunks add up to one `ChatCompletion`: the only place deltas are combined.
"""

from __future__ import annotations

import json
import tracemalloc
from typing import Any

from amigochat_sdk._accumulate import KEPT_CHUNKS, ChatAccumulator
from amigochat_sdk.types import ChatCompletion, ChatCompletionChunk


def chunk(*choices: dict[str, Any], **fields: Any) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4o-mini",
            "choices": list(choices),
            **fields,
        }
    )


def choice(index: int = 0, finish: str | None = None, **delta: Any) -> dict[str, Any]:
    return {"index": index, "delta": delta, "finish_reason": finish}


def tool_delta(
    index: int, *, id: str | None = None, name: str | None = None, arguments: str | None = None
) -> dict[str, Any]:
    function: dict[str, Any] = {}
    if name is not None:
        function["name"] = name
    if arguments is not None:
        function["arguments"] = arguments
    delta: dict[str, Any] = {"index": index, "function": function}
    if id is not None:
        delta.update(id=id, type="function")
    return delta


def accumulate(*chunks: ChatCompletionChunk) -> ChatAccumulator:
    acc = ChatAccumulator()
    for item in chunks:
        acc.add(item)
    return acc


def test_content_concatenates_and_the_first_chunk_names_the_completion() -> None:
    acc = accumulate(
        chunk(choice(role="assistant", content=""), system_fingerprint="fp_1"),
        chunk(choice(content="Hel")),
        chunk(choice(content="lo")),
        chunk(choice(finish="stop")),
    )
    completion = acc.completion()
    assert isinstance(completion, ChatCompletion)
    assert completion.object == "chat.completion"
    assert (completion.id, completion.created, completion.model) == (
        "chatcmpl-1",
        1700000000,
        "gpt-4o-mini",
    )
    assert completion.system_fingerprint == "fp_1"
    message = completion.choices[0].message
    assert (message.role, message.content) == ("assistant", "Hello")
    assert message.tool_calls is None
    assert completion.choices[0].finish_reason == "stop"
    assert acc.text == "Hello"
    assert len(acc.chunks) == 4


def test_parallel_tool_calls_interleaved_merge_by_index() -> None:
    acc = accumulate(
        chunk(choice(role="assistant", content=None)),
        chunk(choice(tool_calls=[tool_delta(0, id="call_a", name="get_weather", arguments="")])),
        chunk(choice(tool_calls=[tool_delta(1, id="call_b", name="get_time", arguments="")])),
        chunk(choice(tool_calls=[tool_delta(0, arguments='{"city": ')])),
        chunk(choice(tool_calls=[tool_delta(1, arguments='{"zone": "UTC"}')])),
        chunk(choice(tool_calls=[tool_delta(0, arguments='"Paris"}')])),
        chunk(choice(finish="tool_calls")),
    )
    completion = acc.completion()
    message = completion.choices[0].message
    assert message.content is None
    assert message.tool_calls is not None
    calls = [(c.id, c.type, c.function.name, c.function.arguments) for c in message.tool_calls]
    assert calls == [
        ("call_a", "function", "get_weather", '{"city": "Paris"}'),
        ("call_b", "function", "get_time", '{"zone": "UTC"}'),
    ]
    for call in message.tool_calls:
        json.loads(call.function.arguments)
    assert completion.choices[0].finish_reason == "tool_calls"


def test_tool_calls_arriving_out_of_index_order_come_out_sorted() -> None:
    acc = accumulate(
        chunk(choice(tool_calls=[tool_delta(1, id="call_b", name="b", arguments="{}")])),
        chunk(choice(tool_calls=[tool_delta(0, id="call_a", name="a", arguments="{}")])),
    )
    message = acc.completion().choices[0].message
    assert message.tool_calls is not None
    assert [call.id for call in message.tool_calls] == ["call_a", "call_b"]


def test_refusal_concatenates() -> None:
    acc = accumulate(
        chunk(choice(role="assistant", refusal="I can't ")),
        chunk(choice(refusal="help with that.")),
        chunk(choice(finish="stop")),
    )
    message = acc.completion().choices[0].message
    assert message.refusal == "I can't help with that."
    assert message.content == ""
    assert acc.text == ""


def test_two_interleaved_choices_are_assembled_separately() -> None:
    acc = accumulate(
        chunk(choice(0, role="assistant", content="")),
        chunk(choice(1, role="assistant", content="")),
        chunk(choice(1, content="Bon")),
        chunk(choice(0, content="Hel")),
        chunk(choice(0, content="lo")),
        chunk(choice(1, content="jour")),
        chunk(choice(1, finish="stop")),
        chunk(choice(0, finish="length")),
    )
    completion = acc.completion()
    assert [c.index for c in completion.choices] == [0, 1]
    assert [c.message.content for c in completion.choices] == ["Hello", "Bonjour"]
    assert [c.finish_reason for c in completion.choices] == ["length", "stop"]
    assert acc.text == "Hello"


def test_usage_arrives_in_a_chunk_with_no_choices() -> None:
    usage = {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}
    acc = accumulate(
        chunk(choice(content="Hi"), usage=None),
        chunk(choice(finish="stop"), usage=None),
        chunk(usage=usage),
    )
    completion = acc.completion()
    assert completion.usage is not None
    assert completion.usage.total_tokens == 7
    assert completion.usage.prompt_tokens == 5
    assert [c.message.content for c in completion.choices] == ["Hi"]
    assert acc.finished


def test_legacy_text_field_is_content() -> None:
    acc = accumulate(
        chunk({"index": 0, "text": "Hel", "finish_reason": None}),
        chunk({"index": 0, "text": "lo", "finish_reason": "stop"}),
    )
    assert acc.text == "Hello"
    assert acc.completion().choices[0].message.content == "Hello"


def test_legacy_function_call_becomes_tool_call_0() -> None:
    acc = accumulate(
        chunk(choice(role="assistant", function_call={"name": "lookup", "arguments": ""})),
        chunk(choice(function_call={"arguments": '{"q": '})),
        chunk(choice(function_call={"arguments": '"x"}'})),
        chunk(choice(finish="function_call")),
    )
    message = acc.completion().choices[0].message
    assert message.tool_calls is not None
    [call] = message.tool_calls
    assert (call.function.name, call.function.arguments) == ("lookup", '{"q": "x"}')
    assert call.type == "function"


def test_logprobs_concatenate_across_chunks() -> None:
    def with_logprobs(content: str, logprob: float) -> dict[str, Any]:
        token = {"token": content, "logprob": logprob, "bytes": list(content.encode())}
        return {
            "index": 0,
            "delta": {"content": content},
            "logprobs": {"content": [{**token, "top_logprobs": []}]},
            "finish_reason": None,
        }

    acc = accumulate(
        chunk(with_logprobs("Hel", -0.1)),
        chunk(choice(content="")),  # no logprobs in this one
        chunk(with_logprobs("lo", -0.2)),
    )
    logprobs = acc.completion().choices[0].logprobs
    assert logprobs is not None
    assert logprobs.content is not None
    assert [(t.token, t.logprob) for t in logprobs.content] == [("Hel", -0.1), ("lo", -0.2)]


def test_no_logprobs_means_none() -> None:
    acc = accumulate(chunk(choice(content="Hi", finish="stop")))
    assert acc.completion().choices[0].logprobs is None


def test_finished_semantics() -> None:
    acc = ChatAccumulator()
    assert not acc.finished  # nothing arrived at all
    assert acc.text == ""
    assert acc.completion().choices == []

    acc.add(chunk(usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}))
    assert not acc.finished  # a usage chunk carries no choice

    acc.add(chunk(choice(0, content="a"), choice(1, content="b")))
    assert not acc.finished
    acc.add(chunk(choice(0, finish="stop")))
    assert not acc.finished  # choice 1 is still open
    acc.add(chunk(choice(1, finish="length")))
    assert acc.finished
    acc.add(chunk(choice(1, content="")))  # a late empty delta does not reopen it
    assert acc.finished
    assert [c.finish_reason for c in acc.completion().choices] == ["stop", "length"]


def test_text_falls_back_to_the_first_choice_seen_when_there_is_no_choice_0() -> None:
    acc = accumulate(chunk(choice(3, content="three")))
    assert acc.text == "three"


def test_a_partial_completion_can_be_read_at_any_time() -> None:
    acc = accumulate(chunk(choice(role="assistant", content="Hal")))
    partial = acc.completion()
    assert partial.choices[0].message.content == "Hal"
    assert partial.choices[0].finish_reason is None
    acc.add(chunk(choice(content="lo", finish="stop")))
    assert acc.completion().choices[0].message.content == "Hallo"
    assert partial.choices[0].message.content == "Hal"  # earlier snapshots do not change


def test_a_long_stream_keeps_its_whole_text_and_only_its_last_chunks() -> None:
    acc = ChatAccumulator()
    for i in range(KEPT_CHUNKS * 10):
        item = chunk(choice(content=f"{i} "))
        acc.add(item, item.model_dump_json())
    assert acc.count == KEPT_CHUNKS * 10
    assert acc.text == "".join(f"{i} " for i in range(KEPT_CHUNKS * 10))
    kept = [c.choices[0].delta.content for c in acc.chunks]
    assert kept == [f"{i} " for i in range(KEPT_CHUNKS * 9, KEPT_CHUNKS * 10)]
    assert acc.completion().choices[0].message.content == acc.text


def test_what_a_stream_holds_grows_with_its_text_not_its_chunks() -> None:
    # 20,000 chunks of about 200 bytes of JSON each: 4 MB on the wire, 120 kB of text.
    payload = chunk(choice(content="wordy "), system_fingerprint="fp_" + "x" * 100)
    raw = payload.model_dump_json()
    acc = ChatAccumulator()
    acc.add(payload, raw)
    tracemalloc.start()
    try:
        for _ in range(20_000):
            acc.add(ChatCompletionChunk.model_validate_json(raw), raw)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held < 20_000 * 100  # the content strings and list slots, never the JSON
    assert len(acc.text) == 6 * 20_001
