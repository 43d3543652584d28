"""
Human messages from error bodies of every shape, and the redaction of secrets.

Rule: server text is untrusted. Every pattern here runs in linear time, and every message that
leaves is one line, redacted (`Bearer …`, `sk-…`, JWTs and the keys clients were given) and
cut to a few hundred characters: HTML is summarised by its title, never quoted whole.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import json
import re
import weakref
from collections.abc import Mapping

import httpx

__all__ = [
    "Secret",
    "add_secret",
    "cloudflare_block",
    "error_from_event",
    "extract_message",
    "is_quota_message",
    "next_quota_reset",
    "quota_reset",
    "ray_id",
    "redact",
    "truncate",
]

_SECRETS = (
    (re.compile(r"\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*", re.I), r"\1 [REDACTED]"),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"), "sk-[REDACTED]"),
    (re.compile(r"\beyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), "[REDACTED]"),
    (re.compile(r"\b(api[_-]?key|access[_-]?token)=[^&\s\"']+", re.I), r"\1=[REDACTED]"),
    # Credential headers as httpcore logs them (`(b'cookie', b'...')`) or a dict shows them.
    (
        re.compile(
            r"(b?['\"](?:set-cookie|cookie|(?:proxy-)?authorization)['\"]\s*[:,]\s*b?)(['\"])"
            r"(?:(?!\2).)*",
            re.I,
        ),
        r"\1\2[REDACTED]",
    ),
    # ... and as header lines (`Cookie: a=b`), to the end of the line.
    (
        re.compile(
            r"\b((?:set-)?cookie|(?:proxy-)?authorization)(\s*:[ \t]*)(?![ \t]|bearer\s)[^\r\n]+",
            re.I,
        ),
        r"\1\2[REDACTED]",
    ),
)
_QUOTA = re.compile(r"balance\s+is\s+not\s+enough|wait\s+until\s+12(:00)?\s*UTC", re.I)
# `[^<>]` stops a scan at the next tag, and an unclosed script or comment swallows the rest
# (`\Z`) instead of being rescanned: linear time whatever the page.
_HTML_TAG = re.compile(r"<(!doctype html|html|head|body|title)\b", re.I)
_TITLE = re.compile(r"<title[^<>]*>([^<]*)", re.I)
_INVISIBLE = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)|<!--.*?(?:-->|\Z)", re.I | re.S)
_TAG = re.compile(r"<[^<>]*>")
_CLOUDFLARE_BLOCK = re.compile(
    r"you have been blocked|attention required! \| cloudflare"
    r"|used cloudflare to restrict access|/cdn-cgi/challenge-platform/"
    r"|<title>\s*just a moment\.\.\.\s*</title>",
    re.I,
)
_RAY_IN_PAGE = re.compile(r"Ray ID:\s*(?:<[^<>]*>\s*)*([0-9a-f]{8,32})\b", re.I)
_RAY_HEADER = re.compile(r"[0-9A-Za-z]{1,32}")


class Secret:
    """A secret that `redact` hides, whatever its shape, for as long as this object lives."""

    __slots__ = ("__weakref__", "value")

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Secret('[REDACTED]')"


# The keys of the clients alive in this process, weakly: a multi-tenant server that makes a
# client per user must not keep every key it ever saw, nor pay for them in every message.
_KNOWN_SECRETS: weakref.WeakValueDictionary[str, Secret] = weakref.WeakValueDictionary()


def add_secret(secret: str) -> Secret | None:
    """
    Make `redact` hide `secret` while the returned object lives (clients keep it in their
    settings); `None` for a secret too short to hide without mangling ordinary text.
    """
    if len(secret) < 4:
        return None
    held = _KNOWN_SECRETS.get(secret)
    if held is None:
        held = _KNOWN_SECRETS[secret] = Secret(secret)
    return held


def redact(text: str) -> str:
    """
    Replace anything that looks like a credential (`Bearer …`, `sk-…`, a JWT) and the API key
    of every live client with a mark.
    """
    for secret in list(_KNOWN_SECRETS.keys()):
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


def truncate(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str, limit: int) -> str:
    # Redact before cutting, so a token split by the cut cannot escape the pattern.
    return truncate(" ".join(redact(text).split()), limit)


def is_quota_message(text: str) -> bool:
    """Return whether `text` is AmigoChat's daily quota message ("balance is not enough …")."""
    return _QUOTA.search(text) is not None


def next_quota_reset(now: dt.datetime) -> dt.datetime:
    """Return the first 12:00 UTC strictly after `now` (a naive `now` is taken as UTC)."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=dt.timezone.utc)
    now = now.astimezone(dt.timezone.utc)
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    return noon if noon > now else noon + dt.timedelta(days=1)


def _json_message(value: object, depth: int = 0) -> str:
    # Known shapes, most specific first: OpenAI {"error": {...}}, NestJS {"message": str | list,
    # "error", "statusCode"}, {"error": "text"}, FastAPI {"detail": str | [{"loc", "msg"}]}.
    if depth > 8 or value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(m for m in (_json_message(v, depth + 1) for v in value) if m)
    if not isinstance(value, dict):
        return json.dumps(value)
    error = value.get("error")
    if isinstance(error, dict) and (nested := _json_message(error, depth + 1)):
        return nested
    if isinstance(value.get("msg"), str) and isinstance(value.get("loc"), list):
        return f"{'.'.join(map(str, value['loc']))}: {value['msg']}"
    for key in ("message", "error", "detail", "msg", "error_description", "type", "code"):
        if key in value and (found := _json_message(value[key], depth + 1)):
            return found
    return ""


def ray_id(page: str, cf_ray_header: str = "") -> str | None:
    """Cloudflare's id of a block: from the `cf-ray` header, else as the page prints it."""
    # The header ("8d2b5c4a1f2e3d4c-FRA") is the surest source; block pages also print the id.
    found = _RAY_HEADER.match(cf_ray_header) or _RAY_IN_PAGE.search(page)
    return found.group(found.lastindex or 0) if found else None


def _cloudflare_message(ray_id: str | None) -> str:
    suffix = f" (Ray ID {ray_id})" if ray_id else ""
    return f"Blocked by Cloudflare bot protection{suffix}"


def _html_message(page: str) -> str:
    if _CLOUDFLARE_BLOCK.search(page):
        return _cloudflare_message(ray_id(page))
    title = _TITLE.search(page)
    if title and (summary := _one_line(html.unescape(title.group(1)), 200)):
        return summary
    text = _one_line(html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", page))), 200)
    return text or "HTML page without text"


def _is_html(text: str, content_type: str | None) -> bool:
    if "html" in (content_type or "").lower():
        return True
    # Comments may come first (Cloudflare's pages open with IE conditionals): look a bit ahead.
    return text.startswith("<") and _HTML_TAG.search(text, 0, 1024) is not None


def extract_message(body: bytes, content_type: str | None) -> tuple[str, object]:
    """
    Return a one-line, redacted message from an error body, and the parsed body.

    The parsed body is the JSON value when the body is JSON, else the text, else `None` (empty
    body, for which the message is `""`). HTML is summarised by its title, never quoted whole.
    """
    text = body.decode("utf-8", "replace").lstrip("\ufeff").strip()
    if not text:
        return "", None
    if text[0] in '{["' or "json" in (content_type or "").lower():
        try:
            parsed: object = json.loads(text)
        except (ValueError, RecursionError):
            pass
        else:
            message = _json_message(parsed) or json.dumps(parsed, ensure_ascii=False)
            return _one_line(message, 500), parsed
    if _is_html(text, content_type):
        return _html_message(text), text
    return _one_line(text, 500), text


def error_from_event(error: object) -> tuple[str, str | int | None]:
    """
    Return the message and code of an in-stream error: `{"error": {...}}`, `{"error": "text"}`,
    `{"message": ...}` or a bare string.
    """
    message = _one_line(_json_message(error), 500) or "unknown error"
    sources = [error.get("error"), error] if isinstance(error, dict) else []
    codes = [s.get("code", s.get("statusCode")) for s in sources if isinstance(s, dict)]
    code = next((c for c in codes if isinstance(c, (str, int)) and not isinstance(c, bool)), None)
    return message, code


def quota_reset(response: httpx.Response) -> dt.datetime:
    """When the daily quota comes back: the next 12:00 UTC after the response's `Date`."""
    # The server's Date header, not the local clock, says which day's noon comes next.
    try:
        now = email.utils.parsedate_to_datetime(response.headers.get("date", ""))
    except (TypeError, ValueError, IndexError, OverflowError):
        now = dt.datetime.now(dt.timezone.utc)
    return next_quota_reset(now)


def cloudflare_block(parsed: object, status: int, headers: Mapping[str, str]) -> str | None:
    """
    The one-line message for a Cloudflare block page (any status, or a 403 HTML page that
    Cloudflare served), else `None`. `parsed` is the body as `extract_message` returned it.
    """
    if not isinstance(parsed, str) or not _is_html(parsed, headers.get("content-type")):
        return None
    server = headers.get("server", "").lower()
    from_cloudflare = "cf-ray" in headers or "cloudflare" in server
    if _CLOUDFLARE_BLOCK.search(parsed) or (status == 403 and from_cloudflare):
        return _cloudflare_message(ray_id(parsed, headers.get("cf-ray", "")))
    return None
