"""
`Client` and `AsyncClient`: the options resolved once, a connection pool, and the resources.

Rule: a client decides nothing about a call. It resolves its options into a `Config`, owns the
httpx client, and gives each resource a runner (`_drivers.py`), which drives the flows.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import platform
import random
import uuid
from collections.abc import Mapping, Sequence
from functools import cached_property
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, cast

import httpx
from typing_extensions import Self, Unpack

from ._constants import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_BASE_URL,
    DEFAULT_DEVICE_LANGUAGE,
    DEFAULT_DEVICE_PLATFORM,
    DEFAULT_DEVICE_VERSION,
    DEFAULT_MAX_EVENT_SIZE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_AFTER,
    DEFAULT_TIMEOUT,
    NOT_GIVEN,
)
from ._core import Config
from ._drivers import AsyncRunner, Runner
from ._exceptions import MissingExtraError
from ._exports import public
from ._hooks import Hook
from ._inputs import check_api_key, check_headers, to_timeout
from ._logs import setup_logging
from ._messages import add_secret
from ._pools import Pool
from ._retry import RetryPolicy
from ._version import __version__

if TYPE_CHECKING:
    from ._resources.chat import AsyncChat, Chat
    from ._resources.images import AsyncImages, Images

__all__ = ["AsyncClient", "Client", "ClientOptions"]


@functools.cache
def _httpx_defaults() -> httpx.Headers:
    """The headers every httpx client starts with (`python-httpx/…` agent and friends)."""
    # A mock transport and no environment: no SSL context, no proxies, nothing slow.
    with httpx.Client(transport=httpx.MockTransport(lambda _: httpx.Response(200))) as client:
        return client.headers


# httpx's own 5 s default is too short for a model that thinks; only a chosen timeout counts.
_HTTPX_DEFAULT_TIMEOUT = httpx.Timeout(5.0)


class ClientOptions(TypedDict, total=False):
    """
    The options of `Client` and `AsyncClient`; every one may be omitted.
    """

    api_key: str | None
    """The API key; `AMIGOCHAT_API_KEY` when omitted. Optional: the service serves anonymous
    clients too. It is sent as `authorization: Bearer ...` and never shown in reprs or logs."""
    base_url: str | httpx.URL | None
    """`AMIGOCHAT_BASE_URL`, else `https://api.amigochat.io/v1`."""
    timeout: float | httpx.Timeout | None
    """Seconds, or an `httpx.Timeout`. Its `read` part is the longest silence allowed between
    two network reads: a stream's idle timeout. Default: connect 10 s, read 300 s."""
    max_retries: int
    """Retries after the first attempt (2: three attempts, as the seed made)."""
    max_retry_after: float
    """A server-asked wait longer than this (60 s) is not slept on: the error is raised at
    once with `retry_after` set."""
    first_chunk_timeout: float | None
    """The longest wait from sending a streamed request to its first chunk, headers included
    (off by default). Expiring, it is retried like any timeout; it does not bound later gaps
    (that is `stream_idle_timeout`)."""
    stream_idle_timeout: float | None
    """The longest wait between two chunks of an answer read as an event stream; comments
    (`: ping` keep-alives) and empty events do not count, so a proxy's pings cannot keep a
    stalled model alive. Default: the read timeout; `None` turns it off. Before the first
    chunk it is retried like any timeout; after it, `StreamInterruptedError`."""
    deadline: float | None
    """A total budget per call in seconds, retries and their waits included (off by default)."""
    max_event_size: int
    """The most bytes one server-sent event may hold (16 MiB): a bigger one ends the stream
    with `StreamDecodeError` instead of eating memory."""
    default_headers: Mapping[str, str] | None
    """Headers sent with every request."""
    device_uuid: str | None
    """`x-device-uuid` of the first attempt (random when omitted); retries use fresh ones."""
    device_platform: str
    """`x-device-platform` (`web`)."""
    device_version: str
    """`x-device-version` (`1.0.45`, the seed's)."""
    device_language: str
    """`x-device-language` (`en-US`)."""
    proxy: str | httpx.Proxy | None
    """A proxy URL for every request."""
    http_client: httpx.Client | httpx.AsyncClient | None
    """Your own httpx client (sync for `Client`, async for `AsyncClient`); its headers and
    timeout are the defaults, and `close()` leaves it open."""
    http2: bool
    """Speak HTTP/2 where the server offers it (needs `amigochat-sdk[http2]`); off by default."""
    hooks: Sequence[Hook] | None
    """Hooks per attempt (`Hook`): they see each attempt's request, then its response or
    error, and may ask for a retry."""


class _BaseClient:
    """Settings shared by both clients; see `ClientOptions` for what each option means."""

    _options: ClientOptions
    _config: Config
    _http_class: type[httpx.Client] | type[httpx.AsyncClient]
    _pool: Pool[Any]
    _runner_class: type[Runner] | type[AsyncRunner]
    _runner: Any

    def __init__(self, **options: Unpack[ClientOptions]) -> None:
        unknown = sorted(set(options) - set(ClientOptions.__annotations__))
        if unknown:
            raise TypeError(f"unknown option(s) {', '.join(unknown)}; see ClientOptions")
        self._setup(options, None)

    def _setup(self, options: ClientOptions, pool: Pool[Any] | None, shares: bool = False) -> None:
        setup_logging()
        self._options = options
        #: A `with_options` copy on its parent's pool: closing it leaves the pool open.
        self._shares_pool = shares
        api_key = options.get("api_key")
        if api_key is None:
            api_key = os.environ.get(API_KEY_ENV) or None
        base_url = options.get("base_url") or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        base = str(base_url).rstrip("/")
        headers = {
            "user-agent": f"amigochat-sdk/{__version__} python/{platform.python_version()}",
            "x-device-platform": options.get("device_platform", DEFAULT_DEVICE_PLATFORM),
            "x-device-version": options.get("device_version", DEFAULT_DEVICE_VERSION),
            "x-device-language": options.get("device_language", DEFAULT_DEVICE_LANGUAGE),
        }
        http_client = options.get("http_client")
        default_timeout = DEFAULT_TIMEOUT
        if http_client is not None:
            # Only what the user set: httpx's own defaults must not replace the SDK's agent.
            headers.update(
                (k, v) for k, v in http_client.headers.items() if _httpx_defaults().get(k) != v
            )
            if http_client.timeout != _HTTPX_DEFAULT_TIMEOUT:
                default_timeout = http_client.timeout
        headers.update(options.get("default_headers") or {})
        secret = None
        if api_key:
            # Refused here, before a transport error can echo it in a message or traceback.
            check_api_key(api_key)
            headers["authorization"] = f"Bearer {api_key}"
            secret = add_secret(api_key)
        device_uuid = options.get("device_uuid") or str(uuid.uuid4())
        check_headers(
            {**headers, "x-device-uuid": device_uuid},
            "the client's headers (default_headers, http_client or a device option)",
        )
        self.api_key = api_key
        self.base_url = base
        self.max_retries = options.get("max_retries", DEFAULT_MAX_RETRIES)
        self._config = Config(
            base_url=base,
            timeout=to_timeout(options.get("timeout", NOT_GIVEN), default_timeout),
            policy=RetryPolicy(
                max_retries=self.max_retries,
                max_retry_after=options.get("max_retry_after", DEFAULT_MAX_RETRY_AFTER),
            ),
            headers=headers,
            device_uuid=device_uuid,
            first_chunk_timeout=options.get("first_chunk_timeout"),
            stream_idle_timeout=options.get("stream_idle_timeout", NOT_GIVEN),
            deadline=options.get("deadline"),
            max_event_size=options.get("max_event_size", DEFAULT_MAX_EVENT_SIZE),
            rng=random.Random(),
            hooks=tuple(options.get("hooks") or ()),
            secret=secret,
        )
        if pool is None:
            pool = self._pool_for(options, http_client)
        self._pool = pool
        self._owns_http = pool.owned and not self._shares_pool
        # What this client learns about each model (the structured-output strategy that
        # works) lives beside the frozen settings: per client, never global.
        self._runner = self._runner_class(self._config, pool, {})

    def _pool_for(self, options: ClientOptions, http: Any) -> Pool[Any]:
        http_class = self._http_class
        if http is not None:
            if not isinstance(http, http_class):
                raise TypeError(
                    f"{type(self).__name__} needs an httpx.{http_class.__name__} as http_client"
                )
            return Pool(http, None)
        http2 = options.get("http2", False)
        # httpx would only fail at the first request: say it here, with what to install.
        if http2 and importlib.util.find_spec("h2") is None:
            raise MissingExtraError(
                "http2=True needs the h2 package: pip install 'amigochat-sdk[http2]'"
            )
        timeout, proxy = self._config.timeout, options.get("proxy")

        def factory() -> Any:
            return http_class(proxy=proxy, timeout=timeout, follow_redirects=True, http2=http2)

        return Pool(factory(), factory)

    def with_options(self, **changes: Unpack[ClientOptions]) -> Self:
        """
        A copy with some options changed, sharing this client's connection pool (which
        stays this client's to close), unless `changes` gives another `http_client`,
        `proxy` or `http2`.
        """
        merged = cast(ClientOptions, {**self._options, **changes})
        if {"http_client", "proxy", "http2"} & set(changes):
            return type(self)(**merged)
        return self._copy(merged, self._pool)

    @classmethod
    def _copy(cls, options: ClientOptions, pool: Pool[Any]) -> Self:
        clone = cls.__new__(cls)
        cls._setup(clone, options, pool, shares=True)
        return clone

    @property
    def _http(self) -> Any:
        return self._pool.http

    @property
    def timeout(self) -> httpx.Timeout:
        """The default timeout of every request."""
        return self._config.timeout

    def __repr__(self) -> str:
        key = "set" if self.api_key else "none"
        return f"<{type(self).__name__} base_url={self.base_url!r} api_key={key}>"


class Client(_BaseClient):
    """
    A synchronous AmigoChat client.

    ```python
    from amigochat_sdk import Client

    with Client() as client:  # AMIGOCHAT_API_KEY and AMIGOCHAT_BASE_URL from the environment
        reply = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "Hello"}]
        )
        print(reply.choices[0].message.content)
    ```

    Every option is described in `ClientOptions`.
    """

    _http_class = httpx.Client
    _runner_class = Runner
    _runner: Runner

    @cached_property
    def chat(self) -> Chat:
        """Chat completions: `client.chat.completions.create(...)`."""
        from ._resources.chat import Chat

        return Chat(self._runner)

    @cached_property
    def images(self) -> Images:
        """Image generation and download: `client.images.generate(...)`."""
        from ._resources.images import Images

        return Images(self._runner)

    def close(self) -> None:
        """
        Close the connection pool (unless it came from `http_client`, or this client is a
        `with_options` copy); a call after it raises `ClientClosedError`.
        """
        if not self._shares_pool:
            self._pool.mark_closed()
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncClient(_BaseClient):
    """
    An asynchronous AmigoChat client (asyncio or trio, through anyio); options as `Client`.

    ```python
    async with AsyncClient() as client:
        stream = await client.chat.completions.create(model="gpt-4o-mini", messages=msgs,
                                                      stream=True)
        async for chunk in stream:
            print(chunk.choices[0].delta.content or "", end="")
    ```
    """

    _http_class = httpx.AsyncClient
    _runner_class = AsyncRunner
    _runner: AsyncRunner

    @cached_property
    def chat(self) -> AsyncChat:
        """Chat completions: `await client.chat.completions.create(...)`."""
        from ._resources.chat import AsyncChat

        return AsyncChat(self._runner)

    @cached_property
    def images(self) -> AsyncImages:
        """Image generation and download: `await client.images.generate(...)`."""
        from ._resources.images import AsyncImages

        return AsyncImages(self._runner)

    async def close(self) -> None:
        """
        Close the connection pool (unless it came from `http_client`, or this client is a
        `with_options` copy); a call after it raises `ClientClosedError`.
        """
        if not self._shares_pool:
            self._pool.mark_closed()
        if self._owns_http:
            await self._http.aclose()

    async def aclose(self) -> None:
        """The same as `close()`."""
        await self.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


public(globals(), ["AsyncClient", "Client"])
