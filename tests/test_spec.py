"""
The OpenAPI spec and the models generated from it.

- The spec is valid OpenAPI 3.1.
- Every example in it, wherever it sits, is found by a generic walk of the document and checked
  against both the spec's own schema and the generated models (an example the checks cannot place
  fails, so a new one is never silently skipped).
- Response models are open (unknown fields and enum values parse); request models are closed.
- `amigochat_sdk.types` exports every generated class, and the generated file has not drifted.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from pydantic import BaseModel, ValidationError

import amigochat_sdk.types as amigo_types
from amigochat_sdk._sse import SSEDecoder
from amigochat_sdk.types import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ImageGenerationRequest,
    StreamErrorEvent,
    _generated as generated,
)

REPO = Path(__file__).resolve().parents[1]
SPEC_PATH = REPO / "openapi" / "amigochat.yaml"
GENERATED_PATH = REPO / "amigochat_sdk" / "types" / "_generated.py"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
REQUEST_MODELS = {
    "/chat/completions": ChatCompletionRequest,
    "/images/generations": ImageGenerationRequest,
}


@functools.cache
def spec() -> dict[str, Any]:
    document = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_spec_is_valid_openapi_3_1() -> None:
    assert str(spec()["openapi"]).startswith("3.1.")
    validate(spec(), cls=OpenAPIV31SpecValidator)


# ---------------------------------------------------------------- finding every example


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _get(pointer: str) -> Any:
    node: Any = spec()
    for part in pointer.lstrip("#/").split("/") if pointer.strip("#/") else []:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _resolve(node: Any, pointer: str) -> tuple[Any, str]:
    """
    Follow `$ref`s; return the object and the pointer where it is written.
    """
    while isinstance(node, dict) and "$ref" in node:
        pointer = str(node["$ref"])
        assert pointer.startswith("#/"), f"only local $refs are supported: {pointer}"
        node = _get(pointer)
    return node, pointer.lstrip("#")


def _walk(node: Any, pointer: str = "", names: bool = False) -> Iterator[str]:
    """
    The pointer of every `example` and of every entry of every `examples`, anywhere.
    `names` is true inside `properties`, whose keys are property names, not keywords.
    """
    if isinstance(node, list):
        for i, item in enumerate(node):
            yield from _walk(item, f"{pointer}/{i}")
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        here = f"{pointer}/{_escape(str(key))}"
        if not names and key == "example":
            yield here
        elif not names and key == "examples" and isinstance(value, dict):
            yield from (f"{here}/{_escape(str(name))}" for name in value)
        elif not names and key == "examples":
            yield here  # a JSON Schema `examples` list inside a schema
        else:
            yield from _walk(value, here, names=not names and key == "properties")


@dataclass(frozen=True)
class Example:
    pointer: str  # where the value is written
    value: Any
    where: str  # "request", "response", "parameter" or "header"
    media_type: str = ""
    schema: Any = None  # the media type's schema (unresolved), if any
    path: str = ""  # the operation's path, for request bodies


def _examples_of(holder: dict[str, Any], pointer: str, **info: Any) -> Iterator[Example]:
    if "example" in holder:
        yield Example(f"{pointer}/example", holder["example"], **info)
    for name, entry in (holder.get("examples") or {}).items():
        site = f"{pointer}/examples/{_escape(name)}"
        resolved, written = _resolve(entry, site)
        assert "value" in resolved, f"{site}: an example needs an inline `value`"
        yield Example(site, resolved["value"], **info)
        if written != site:
            yield Example(written, resolved["value"], **info)


def _content_examples(
    holder: dict[str, Any], pointer: str, where: str, path: str
) -> Iterator[Example]:
    for media_type, media in (holder.get("content") or {}).items():
        yield from _examples_of(
            media,
            f"{pointer}/content/{_escape(media_type)}",
            where=where,
            media_type=media_type,
            schema=media.get("schema"),
            path=path,
        )


@functools.cache
def placed_examples() -> dict[str, Example]:
    """
    Every example reachable from an operation, keyed by the pointer where it is written.
    """
    found: dict[str, Example] = {}

    def add(examples: Iterator[Example]) -> None:
        for example in examples:
            found.setdefault(example.pointer, example)

    for path, item in spec()["paths"].items():
        item_pointer = f"/paths/{_escape(path)}"
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            op_pointer = f"{item_pointer}/{method}"
            parameters = [
                (p, f"{item_pointer}/parameters/{i}")
                for i, p in enumerate(item.get("parameters", []))
            ]
            parameters += [
                (p, f"{op_pointer}/parameters/{i}")
                for i, p in enumerate(operation.get("parameters", []))
            ]
            for parameter, pointer in parameters:
                parameter, pointer = _resolve(parameter, pointer)
                add(_examples_of(parameter, pointer, where="parameter"))
            if "requestBody" in operation:
                body, pointer = _resolve(operation["requestBody"], f"{op_pointer}/requestBody")
                add(_content_examples(body, pointer, "request", path))
            for status, response in operation.get("responses", {}).items():
                response, pointer = _resolve(response, f"{op_pointer}/responses/{status}")
                for name, header in (response.get("headers") or {}).items():
                    header, header_pointer = _resolve(header, f"{pointer}/headers/{_escape(name)}")
                    add(_examples_of(header, header_pointer, where="header"))
                add(_content_examples(response, pointer, "response", path))
    return found


def test_every_example_is_placed() -> None:
    everywhere = set(_walk(spec()))
    placed = set(placed_examples())
    assert everywhere, "the walk found no examples"
    assert sorted(everywhere - placed) == [], "examples no test can place (unused or in a schema)"
    assert placed <= everywhere


def test_the_spec_has_examples_of_every_kind() -> None:
    kinds = {(e.where, e.media_type) for e in placed_examples().values()}
    assert kinds >= {
        ("request", "application/json"),
        ("response", "application/json"),
        ("response", "text/event-stream"),
        ("response", "text/html"),
        ("parameter", ""),
        ("header", ""),
    }


def _id(example: Example) -> str:
    return example.pointer


def _placed(*wheres: str) -> list[Example]:
    return sorted(
        (e for e in placed_examples().values() if e.where in wheres), key=lambda e: e.pointer
    )


# ---------------------------------------------------------------- checking each example


def _schema_validator(schema: Any) -> OAS31Validator:
    # Local `$ref`s ("#/components/...") resolve inside this root document.
    return OAS31Validator({**schema, "components": spec()["components"]})


def _models_for(schema: Any) -> list[type[BaseModel]]:
    """
    The generated models for a schema: its `$ref` (class name = schema name) or its alternatives.
    """
    if "$ref" in schema:
        model = getattr(amigo_types, str(schema["$ref"]).rsplit("/", 1)[1])
        assert isinstance(model, type) and issubclass(model, BaseModel)
        return [model]
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    assert alternatives, f"no model for schema {schema}"
    return [m for s in alternatives for m in _models_for(s)]


def _validate_json(value: Any, models: list[type[BaseModel]]) -> BaseModel:
    """
    Validate as the SDK does (from JSON bytes) with the first model that accepts the value, and
    check that nothing was dropped on the way.
    """
    raw = json.dumps(value)
    errors: list[str] = []
    for model in models:
        try:
            parsed = model.model_validate_json(raw)
        except ValidationError as error:
            errors.append(f"{model.__name__}: {error}")
            continue
        assert parsed.model_dump(mode="json", exclude_unset=True) == value
        return parsed
    raise AssertionError("\n".join(errors))


def _sse_events(text: str) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    body = text.encode("utf-8")
    events = decoder.decode(body) + decoder.flush()
    assert decoder.pending == "", "an event is not terminated by a blank line"
    return [(e.event, e.data) for e in events]


@pytest.mark.parametrize("example", _placed("request"), ids=_id)
def test_request_example(example: Example) -> None:
    assert example.media_type == "application/json"
    _schema_validator(example.schema).validate(example.value)
    models = _models_for(example.schema)
    assert models == [REQUEST_MODELS[example.path]]
    _validate_json(example.value, models)


@pytest.mark.parametrize("example", _placed("response"), ids=_id)
def test_response_example(example: Example) -> None:
    _schema_validator(example.schema).validate(example.value)
    if example.media_type == "application/json":
        _validate_json(example.value, _models_for(example.schema))
    elif example.media_type == "text/event-stream":
        assert isinstance(example.value, str)
        event_schema = example.schema["x-event-schema"]
        assert _models_for(event_schema) == [ChatCompletionChunk]
        events = _sse_events(example.value)
        assert events
        for i, (event, data) in enumerate(events):
            if data == "[DONE]":
                assert i == len(events) - 1, "[DONE] before the end"
            elif event == "error":
                assert i == len(events) - 1, "an error event ends the stream"
                _validate_json(json.loads(data), [StreamErrorEvent])
            else:
                assert event == "message"
                _validate_json(json.loads(data), [ChatCompletionChunk])
                _schema_validator(event_schema).validate(json.loads(data))
        assert events[-1][1] == "[DONE]" or events[-1][0] == "error"
    elif example.media_type == "text/html":
        assert isinstance(example.value, str)
    else:
        pytest.fail(f"no check for {example.media_type}")


@pytest.mark.parametrize("example", _placed("parameter", "header"), ids=_id)
def test_parameter_and_header_examples_are_strings(example: Example) -> None:
    assert isinstance(example.value, str), f"{example.value!r} is not a string: quote it"


def test_request_schemas_by_path() -> None:
    for path, model in REQUEST_MODELS.items():
        schema = spec()["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        assert _models_for(schema["schema"]) == [model]


def test_the_wrapped_completion_is_only_an_envelope() -> None:
    (wrapped,) = [e for e in _placed("response") if e.pointer.endswith("/examples/wrapped")]
    with pytest.raises(ValidationError):
        ChatCompletion.model_validate(wrapped.value)


# ---------------------------------------------------------------- forward compatibility

CHUNK = {
    "id": "chatcmpl-x",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "gpt-4o-mini",
    "x_trace": {"region": "eu"},
    "choices": [
        {
            "index": 0,
            "delta": {"role": "critic", "content": "Hi", "reasoning": "because"},
            "finish_reason": "tokens_exhausted",
            "moderation": "ok",
        }
    ],
}


def test_chunk_keeps_unknown_fields_and_values() -> None:
    chunk = ChatCompletionChunk.model_validate_json(json.dumps(CHUNK))
    assert chunk.model_extra == {"x_trace": {"region": "eu"}}
    choice = chunk.choices[0]
    assert choice.model_extra == {"moderation": "ok"}
    assert choice.delta.model_extra == {"reasoning": "because"}
    assert choice.delta.role == "critic"
    assert choice.finish_reason == "tokens_exhausted"
    assert type(choice.finish_reason) is str
    assert chunk.model_dump(mode="json", exclude_unset=True) == CHUNK


def test_completion_keeps_unknown_fields_and_values() -> None:
    data = {
        "id": "chatcmpl-y",
        "object": "chat.completion",
        "choices": [
            {
                "index": 0,
                "message": {"role": "critic", "content": "Hi", "annotations": []},
                "finish_reason": "tokens_exhausted",
                "moderation": "ok",
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2, "cost": 0.1},
        "x_trace": "abc",
    }
    completion = ChatCompletion.model_validate_json(json.dumps(data))
    assert completion.model_extra == {"x_trace": "abc"}
    choice = completion.choices[0]
    assert choice.model_extra == {"moderation": "ok"}
    assert choice.message.model_extra == {"annotations": []}
    assert choice.message.role == "critic"
    assert choice.finish_reason == "tokens_exhausted"
    assert type(choice.finish_reason) is str
    assert completion.usage is not None and completion.usage.model_extra == {"cost": 0.1}
    assert completion.model_dump(mode="json", exclude_unset=True) == data


def test_known_enum_values_are_plain_strings() -> None:
    chunk = ChatCompletionChunk.model_validate(
        {"choices": [{"delta": {"role": "assistant"}, "finish_reason": "stop"}]}
    )
    assert chunk.choices[0].finish_reason == "stop"
    assert type(chunk.choices[0].finish_reason) is str
    assert chunk.choices[0].delta.role == "assistant"


# ---------------------------------------------------------------- strict requests

MESSAGES = [{"role": "user", "content": "Hello"}]


def _error_locations(error: pytest.ExceptionInfo[ValidationError]) -> list[tuple[Any, ...]]:
    return [tuple(e["loc"]) for e in error.value.errors()]


def test_misspelt_parameter_is_rejected() -> None:
    with pytest.raises(ValidationError, match="temprature") as error:
        ChatCompletionRequest.model_validate(
            {"model": "gpt-4o-mini", "messages": MESSAGES, "temprature": 0.3}
        )
    assert ("temprature",) in _error_locations(error)
    assert {e["type"] for e in error.value.errors()} == {"extra_forbidden"}


def test_unknown_field_in_a_message_is_rejected() -> None:
    with pytest.raises(ValidationError, match="nmae") as error:
        ChatCompletionRequest.model_validate(
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi", "nmae": "x"}]}
        )
    assert any(loc[0] == "messages" and loc[-1] == "nmae" for loc in _error_locations(error))


def test_unknown_image_parameter_is_rejected() -> None:
    with pytest.raises(ValidationError, match="sise") as error:
        ImageGenerationRequest.model_validate({"prompt": "A fox", "sise": "1024x1024"})
    assert ("sise",) in _error_locations(error)


def test_empty_messages_are_rejected() -> None:
    with pytest.raises(ValidationError) as error:
        ChatCompletionRequest.model_validate({"model": "gpt-4o-mini", "messages": []})
    assert _error_locations(error) == [("messages",)]
    assert error.value.errors()[0]["type"] == "too_short"


SEED_DEFAULTS = {
    "frequency_penalty": 0,
    "max_tokens": 4000,
    "presence_penalty": 0,
    "temperature": 0.5,
    "top_p": 0.95,
    "stream": False,
}


def test_seed_defaults_are_the_model_defaults() -> None:
    request = ChatCompletionRequest.model_validate({"model": "gpt-4o-mini", "messages": MESSAGES})
    assert {name: getattr(request, name) for name in SEED_DEFAULTS} == SEED_DEFAULTS
    assert type(request.stream) is bool
    assert request.model_fields_set == {"model", "messages"}


def test_model_defaults_match_the_spec_defaults() -> None:
    properties = spec()["components"]["schemas"]["ChatCompletionRequest"]["properties"]
    in_spec = {name: p["default"] for name, p in properties.items() if "default" in p}
    assert in_spec == SEED_DEFAULTS
    fields = ChatCompletionRequest.model_fields
    assert {name: fields[name].default for name in in_spec} == SEED_DEFAULTS


# ---------------------------------------------------------------- the generated module


def test_types_exports_every_generated_class() -> None:
    classes = {
        name: obj
        for name, obj in vars(generated).items()
        # Skip pydantic's parametrized helpers (`RootModel[...]`), registered here too.
        if isinstance(obj, type) and obj.__module__ == generated.__name__ and name.isidentifier()
    }
    assert classes
    for name, cls in classes.items():
        assert name in amigo_types.__all__, f"amigochat_sdk.types does not export {name}"
        assert getattr(amigo_types, name) is cls
    for name in amigo_types.__all__:
        assert hasattr(amigo_types, name), f"__all__ names missing {name}"
    assert len(set(amigo_types.__all__)) == len(amigo_types.__all__)


def test_every_object_schema_has_a_model() -> None:
    schemas = spec()["components"]["schemas"]
    objects = {name for name, schema in schemas.items() if schema.get("type") == "object"}
    assert objects
    assert sorted(objects - set(amigo_types.__all__)) == []


def test_generated_file_header_and_no_timestamp() -> None:
    text = GENERATED_PATH.read_text(encoding="utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# Generated from openapi/amigochat.yaml")
    assert "do not edit" in first.lower()
    assert "timestamp" not in text.lower()
    assert not re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text)


# ---------------------------------------------------------------- drift (a few seconds)


def _drift_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "openapi", root / "openapi")
    (root / "amigochat_sdk" / "types").mkdir(parents=True)
    shutil.copy2(GENERATED_PATH, root / "amigochat_sdk" / "types" / "_generated.py")
    (root / "scripts").mkdir()
    shutil.copy2(REPO / "scripts" / "generate", root / "scripts" / "generate")
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def _generate_check(root: Path) -> subprocess.CompletedProcess[str]:
    # No `.venv` in the tree, so the script finds datamodel-codegen (and ruff) on PATH: put the
    # running interpreter's bin dir first. Not resolved: a venv's python is a symlink.
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": os.pathsep.join([bin_dir, os.environ.get("PATH", "")])}
    assert shutil.which("datamodel-codegen", path=env["PATH"]), "datamodel-codegen is not installed"
    return subprocess.run(
        ["sh", "scripts/generate", "--check"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_generate_check_catches_drift(tmp_path: Path) -> None:
    """
    Slow-ish (runs the generator twice, a few seconds) but part of the default run.
    """
    root = _drift_tree(tmp_path)
    clean = _generate_check(root)
    assert clean.returncode == 0, (
        f"--check fails on an unchanged tree:\n{clean.stdout}{clean.stderr}"
    )
    assert "Generated models match" in clean.stdout

    spec_path = root / "openapi" / "amigochat.yaml"
    document = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    properties = document["components"]["schemas"]["ChatCompletion"]["properties"]
    properties["drift_probe"] = {"type": "string"}
    spec_path.write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )

    drifted = _generate_check(root)
    assert drifted.returncode != 0
    assert "+    drift_probe: str | None = None" in drifted.stdout  # the generator really ran
    assert "out of date" in drifted.stderr
