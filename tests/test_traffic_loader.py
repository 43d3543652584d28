"""
The cassette loader in `tests/traffic.py`: every file is read, every dialect is understood, and
bodies come out decoded with headers that agree with them.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest
import yaml

from tests import traffic
from tests.traffic import RecordedResponse, cassette_files, load, load_all, load_file, traffic_dir

REPO = Path(__file__).resolve().parents[1]
FRAMING = {"content-encoding", "content-length", "transfer-encoding"}


def test_traffic_dir_is_inside_the_repo() -> None:
    assert traffic_dir() == REPO / "tests" / "traffic"


def test_missing_folder_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(traffic, "__file__", str(tmp_path / "repo" / "tests" / "traffic.py"))
    with pytest.raises(FileNotFoundError, match="recorded traffic not found"):
        traffic_dir()
    with pytest.raises(FileNotFoundError):
        load_all()


def test_every_file_is_loaded() -> None:
    on_disk = sorted(p.name for p in traffic_dir().iterdir() if p.suffix in (".yaml", ".yml"))
    loaded = load_all()
    assert on_disk, "the traffic folder holds no cassettes"
    assert [p.name for p in cassette_files()] == on_disk
    assert sorted({r.name for r in loaded}) == on_disk
    for name in on_disk:
        indexes = [r.index for r in loaded if r.name == name]
        assert indexes == list(range(len(indexes))), name


def test_the_readme_tables_match_the_folder() -> None:
    readme = (traffic_dir() / "README.md").read_text(encoding="utf-8")
    names = re.findall(r"^\| (\S+\.ya?ml) \|", readme, flags=re.MULTILINE)
    on_disk = sorted(p.name for p in cassette_files())
    assert sorted(names) == sorted(on_disk * 2)  # once in "what", once in "where from"


def test_each_file_is_the_recorded_copy_byte_for_byte() -> None:
    readme = (traffic_dir() / "README.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (\S+\.ya?ml) \| \[\S+\]\(https://github\.com/\S+\) \| `[^`]+` \| `[0-9a-f]{12}` "
        r"\| `([0-9a-f]{40})` \| [^|]+ \|$",
        readme,
        flags=re.MULTILINE,
    )
    assert sorted(name for name, _ in rows) == sorted(p.name for p in cassette_files())
    for name, blob in rows:
        data = (traffic_dir() / name).read_bytes()
        assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == blob, name


@pytest.mark.parametrize("response", load_all(), ids=lambda r: f"{r.name}[{r.index}]")
def test_each_interaction_is_complete(response: RecordedResponse) -> None:
    assert 100 <= response.status <= 599
    assert response.body, "empty body"
    assert response.content_type, "no Content-Type recorded"
    assert not FRAMING & {k.lower() for k, _ in response.headers}
    assert response.request_path.startswith("/")
    assert response.request_body is not None
    json.loads(response.request_body)
    if response.content_type == "application/json":
        json.loads(response.body)  # also proves a gzip body was decoded
    elif response.content_type == "text/event-stream":
        assert response.body.startswith(b"data: ")


@pytest.mark.parametrize("response", load_all(), ids=lambda r: f"{r.name}[{r.index}]")
def test_to_httpx_holds_the_exact_bytes(response: RecordedResponse) -> None:
    resp = response.to_httpx()
    assert resp.status_code == response.status
    assert resp.content == response.body
    assert b"".join(resp.iter_bytes()) == response.body
    assert resp.headers["content-length"] == str(len(response.body))
    assert "content-encoding" not in resp.headers
    assert "transfer-encoding" not in resp.headers
    assert resp.headers["content-type"].startswith(response.content_type)


def test_load_by_file_name_or_stem() -> None:
    by_name = load("otel_stream_gpt4.yaml")
    assert by_name == load("otel_stream_gpt4")
    assert len(by_name) == 1
    with pytest.raises(FileNotFoundError, match="no-such-cassette"):
        load("no-such-cassette")


def test_stale_gzip_header_is_dropped_from_a_decoded_body() -> None:
    (image,) = load("ddtrace_image_b64.yaml")
    assert json.loads(image.body)["data"][0]["b64_json"]
    assert "content-encoding" not in {k.lower() for k, _ in image.headers}


def test_old_httpx_dialect_and_mismatched_content_length() -> None:
    (unauthorized,) = load("ddtrace_401_invalid_key.yaml")
    assert unauthorized.status == 401
    assert json.loads(unauthorized.body)["error"]["code"] == "invalid_api_key"
    (not_found,) = load("otel_404_model_not_found.yaml")  # records content-length 231, body 210
    assert not_found.to_httpx().json()["error"]["code"] == "model_not_found"


def test_ruby_dialect_and_multi_value_headers() -> None:
    (limited,) = load("ruby_llm_azure_429_retry_after.yml")
    assert limited.status == 429
    resp = limited.to_httpx()
    assert resp.headers["retry-after"] == "1"
    assert resp.headers["retry-after-ms"] == "0"
    (chat,) = load("ruby-openai_chat_gpt35.yml")
    assert [v for k, v in chat.headers if k == "Set-Cookie"][1].startswith("_cfuvid=")


def test_request_bodies() -> None:
    first, _ = load("pydantic-ai_stream_tools_2026.yaml")  # stored as `parsed_body` data
    assert first.request_body is not None
    assert json.loads(first.request_body)["model"] == "gpt-4o-mini"
    (chat,) = load("ruby-openai_chat_gpt35.yml")  # Ruby `body: {encoding, string}`
    assert chat.request_body == (
        b'{"model":"gpt-3.5-turbo","messages":[{"role":"user","content":"Hello!"}],"stream":false}'
    )
    assert chat.request_path == "/v1/chat/completions"


# Synthetic cassettes for what the recorded traffic does not hold today.

PAYLOAD = {"id": "chatcmpl-1", "object": "chat.completion", "choices": []}
PAYLOAD_BYTES = json.dumps(PAYLOAD).encode()


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_vcrpy_binary_gzip_body_is_gunzipped(tmp_path: Path) -> None:
    cassette = {
        "interactions": [
            {
                "request": {"body": None, "method": "POST", "uri": "https://x/v1/chat/completions"},
                "response": {
                    "status": {"code": 201, "message": "Created"},
                    "headers": {
                        "Content-Type": ["application/json"],
                        "Content-Encoding": ["gzip"],
                        "Content-Length": ["999"],
                    },
                    "body": {"string": gzip.compress(PAYLOAD_BYTES, mtime=0)},
                },
            }
        ],
        "version": 1,
    }
    text = yaml.safe_dump(cassette)
    assert "!!binary" in text
    (response,) = load_file(_write(tmp_path, "gz.yaml", text))
    assert response.status == 201
    assert response.body == PAYLOAD_BYTES
    assert response.request_body is None
    assert response.headers == [("Content-Type", "application/json")]
    resp = response.to_httpx()
    assert resp.json() == PAYLOAD
    assert resp.headers["content-length"] == str(len(PAYLOAD_BYTES))


def test_old_httpx_binary_content(tmp_path: Path) -> None:
    cassette = {
        "interactions": [
            {
                "request": {
                    "body": "{}",
                    "method": "POST",
                    "uri": "https://x/v1/images/generations",
                },
                "response": {
                    "status_code": 200,
                    "headers": {"content-type": "application/json", "x-num": 7},
                    "content": gzip.compress(PAYLOAD_BYTES, mtime=0),
                },
            }
        ]
    }
    path = _write(tmp_path, "old.yml", yaml.safe_dump(cassette))
    (response,) = load_file(path)
    # No Content-Encoding was recorded, so the bytes are what the server sent.
    assert response.body == gzip.compress(PAYLOAD_BYTES, mtime=0)
    assert response.headers == [("content-type", "application/json"), ("x-num", "7")]
    assert response.request_body == b"{}"
    assert response.request_path == "/v1/images/generations"


RUBY = """\
---
http_interactions:
- request:
    method: post
    uri: https://x/v1/chat/completions?api-version=1
    body:
      encoding: UTF-8
      string: '{"model":"m"}'
    headers: {}
  response:
    status:
      code: 200
      message: !ruby/string:Net::ReadAdapter OK
    headers:
      Content-Type: application/json
      Content-Encoding:
      - gzip
    body:
      encoding: ASCII-8BIT
      base64_string: |
        {b64}
  recorded_at: Sun, 26 Nov 2023 11:45:46 GMT
- request:
    method: post
    uri: https://x/v1/chat/completions
    body: !ruby/hash:ActiveSupport::HashWithIndifferentAccess
      encoding: UTF-8
      string: ''
  response:
    status:
      code: 200
    headers:
      Content-Type:
      - text/event-stream
    body:
      encoding: ASCII-8BIT
      string: !binary |-
        {b64_sse}
recorded_with: VCR 6.1.0
"""


def test_ruby_base64_string_binary_tag_and_unknown_tags(tmp_path: Path) -> None:
    sse = b"data: {}\n\ndata: [DONE]\n\n"
    text = RUBY.replace("{b64}", base64.b64encode(gzip.compress(PAYLOAD_BYTES, mtime=0)).decode())
    text = text.replace("{b64_sse}", base64.b64encode(sse).decode())
    first, second = load_file(_write(tmp_path, "ruby.yml", text))
    assert first.body == PAYLOAD_BYTES
    assert first.headers == [("Content-Type", "application/json")]
    assert first.request_body == b'{"model":"m"}'
    assert first.request_path == "/v1/chat/completions"
    assert second.body == sse
    assert second.content_type == "text/event-stream"
    assert second.request_body == b""
    assert (first.name, first.index, second.index) == ("ruby.yml", 0, 1)


def test_unknown_content_encoding_fails_loudly(tmp_path: Path) -> None:
    cassette = {
        "interactions": [
            {
                "request": {"uri": "https://x/v1/chat/completions"},
                "response": {
                    "status": {"code": 200},
                    "headers": {"Content-Encoding": ["br"]},
                    "body": {"string": b"\x0b\x02\x80"},
                },
            }
        ]
    }
    with pytest.raises(ValueError, match="br"):
        load_file(_write(tmp_path, "br.yaml", yaml.safe_dump(cassette)))


def test_a_file_that_is_not_a_cassette_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="interactions"):
        load_file(_write(tmp_path, "x.yaml", "version: 1\n"))
