"""
Property-based conformance: schemathesis generates requests from the spec (valid and invalid) and
checks every answer of the reference server against the spec's statuses, content types, headers
and response schemas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hypothesis
import schemathesis
from schemathesis.specs.openapi.checks import response_schema_conformance

from amigochat_sdk.testing import ReferenceServer, find_spec
from amigochat_sdk.types import ChatCompletionChunk
from tests.testing.helpers import data_events

SPEC = find_spec()
assert SPEC is not None and SPEC.parent.name == "openapi", "run from a checkout"
schema = schemathesis.openapi.from_path(Path(SPEC))


def check_event_stream(content: bytes, cut_short: bool) -> None:
    """
    Every `data:` of an event stream is a `ChatCompletionChunk`, and `[DONE]` ends it (unless
    schemathesis stopped reading early, at its `max-stream-events`).

    NOTE: the spec gives `text/event-stream` the schema `type: string` (plus `x-event-schema`);
    schemathesis reads a pre-3.2 event-stream schema as the schema of each parsed event (an
    object), so its schema check cannot pass on any stream: the chunks are checked here instead.
    """
    data = data_events(content)
    if not cut_short:
        assert data.pop() == b"[DONE]"
    for item in data:
        ChatCompletionChunk.model_validate_json(item)


@schema.parametrize()
@hypothesis.settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
    database=None,
)
def test_answers_conform_to_the_spec(
    case: schemathesis.Case[Any], amigochat_server: ReferenceServer
) -> None:
    amigochat_server.options.reject_unknown_fields = True  # the spec's requests are closed
    response = case.call(base_url=amigochat_server.url, timeout=10)
    if response.headers.get("content-type", [""])[0].startswith("text/event-stream"):
        check_event_stream(response.content, response.stream_cut_short)
        case.validate_response(response, excluded_checks=[response_schema_conformance])
    else:
        case.validate_response(response)
