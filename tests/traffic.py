"""
Load the recorded HTTP traffic in `tests/traffic/` as plain responses.

Rule: bodies come out as the bytes a client reads after content decoding. A `!!binary` body is
gunzipped when it is gzip; `Content-Encoding`, `Content-Length` and `Transfer-Encoding`
describe how the recording was framed on the wire, not these bytes, so they are dropped (one
cassette records a stale `Content-Encoding: gzip` on a decoded body, another a `Content-Length`
that no longer matches its body). `to_httpx()` then builds a response whose headers agree with
its bytes.

Three cassette dialects are read:

- vcrpy: `interactions[].response.{status: {code}, headers, body: {string}}`
- vcrpy's older httpx format: `interactions[].response.{status_code, headers, content}`
- Ruby VCR: `http_interactions[].response.{status: {code}, headers, body: {encoding, string}}`
  (or `body: {base64_string}`)
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

__all__ = [
    "RecordedResponse",
    "cassette_files",
    "load",
    "load_all",
    "load_file",
    "traffic_dir",
]

_GZIP_MAGIC = b"\x1f\x8b"
_FRAMING_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class RecordedResponse:
    """
    One recorded interaction: the response as a client sees it, plus what was sent.
    """

    name: str  # the cassette's file name, e.g. "otel_stream_gpt4.yaml"
    index: int  # the interaction's position in the cassette
    status: int
    headers: list[tuple[str, str]]  # as recorded, minus the framing headers (see module doc)
    body: bytes  # decoded
    request_body: bytes | None
    request_path: str  # the URL path, without the query

    @property
    def content_type(self) -> str:
        """
        The media type, lower-cased and without parameters (`""` when none was recorded).
        """
        for key, value in self.headers:
            if key.lower() == "content-type":
                return value.split(";", 1)[0].strip().lower()
        return ""

    def to_httpx(self, request: httpx.Request | None = None) -> httpx.Response:
        """
        A real, already-read `httpx.Response` holding exactly `body`.
        """
        return httpx.Response(self.status, headers=self.headers, content=self.body, request=request)


class _CassetteLoader(yaml.SafeLoader):
    """
    `yaml.SafeLoader` that also reads Ruby's `!binary` and treats any other unknown tag (Ruby's
    `!ruby/...`, say) as if it were absent.
    """


def _construct_ruby_binary(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> bytes:
    return base64.b64decode("".join(str(loader.construct_scalar(node)).split()))


def _construct_untagged(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    assert isinstance(node, yaml.ScalarNode)
    return loader.construct_scalar(node)


_CassetteLoader.add_constructor("!binary", _construct_ruby_binary)
_CassetteLoader.add_constructor(None, _construct_untagged)


def traffic_dir() -> Path:
    """
    `tests/traffic/`, beside this module; a missing folder is an error, never a skip.
    """
    path = Path(__file__).resolve().parent / "traffic"
    if not path.is_dir():
        raise FileNotFoundError(f"recorded traffic not found at {path}")
    return path


def cassette_files() -> list[Path]:
    """
    Every cassette in the traffic folder, sorted by name.
    """
    return sorted(p for p in traffic_dir().iterdir() if p.suffix in _SUFFIXES and p.is_file())


def load_all() -> list[RecordedResponse]:
    """
    Every interaction of every cassette.
    """
    return [response for path in cassette_files() for response in load_file(path)]


def load(name: str) -> list[RecordedResponse]:
    """
    The interactions of one cassette, named by file name or by stem.
    """
    for path in cassette_files():
        if name in (path.name, path.stem):
            return load_file(path)
    raise FileNotFoundError(f"no cassette named {name!r} in {traffic_dir()}")


def load_file(path: Path) -> list[RecordedResponse]:
    """
    The interactions of the cassette at `path`, in any of the three dialects.
    """
    document = yaml.load(path.read_bytes(), Loader=_CassetteLoader)
    if not isinstance(document, dict):
        raise ValueError(f"{path.name}: not a cassette")
    interactions = document.get("interactions", document.get("http_interactions"))
    if not isinstance(interactions, list):
        raise ValueError(f"{path.name}: no `interactions` or `http_interactions` list")
    return [_response(path.name, i, item) for i, item in enumerate(interactions)]


def _response(name: str, index: int, interaction: dict[str, Any]) -> RecordedResponse:
    request: dict[str, Any] = interaction.get("request") or {}
    response: dict[str, Any] = interaction["response"]
    status = response["status"]["code"] if "status" in response else response["status_code"]
    raw = _headers(response.get("headers"))
    body = _bytes(response["body"] if "body" in response else response.get("content"))
    codings = [v.strip().lower() for k, v in raw if k.lower() == "content-encoding"]
    for coding in codings:
        if coding in ("gzip", "x-gzip"):
            if body[:2] == _GZIP_MAGIC:
                body = gzip.decompress(body)
        elif coding != "identity":
            raise ValueError(f"{name}: cannot decode Content-Encoding {coding!r}")
    if "parsed_body" in request:  # pydantic-ai's serializer stores the request as data
        request_body: bytes | None = json.dumps(request["parsed_body"]).encode()
    else:
        request_body = _bytes(request.get("body")) if request.get("body") is not None else None
    return RecordedResponse(
        name=name,
        index=index,
        status=int(status),
        headers=[(k, v) for k, v in raw if k.lower() not in _FRAMING_HEADERS],
        body=body,
        request_body=request_body,
        request_path=urlsplit(str(request.get("uri", ""))).path,
    )


def _headers(recorded: dict[str, Any] | None) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in (recorded or {}).items():
        values = value if isinstance(value, list) else [value]
        pairs.extend((str(key), str(v)) for v in values)
    return pairs


def _bytes(body: Any) -> bytes:
    """
    A recorded body as bytes: a string, `!!binary` bytes, `None`, or a Ruby/vcrpy `body` mapping.
    """
    if isinstance(body, dict):
        if "base64_string" in body:
            return base64.b64decode("".join(str(body["base64_string"]).split()))
        body = body.get("string")
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    raise TypeError(f"unexpected body of type {type(body).__name__}")
