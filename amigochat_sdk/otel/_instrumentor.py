"""
`AmigoChatInstrumentor`: wraps the public call methods of the resources, and installs one hook
per attempt, so each call is one CLIENT span and each attempt an event on it.

Rule: only public names of the SDK are read (results, `response_info`, the stream's public
methods, the hook API), so the instrumentor survives a change of the SDK's inner workings.
Message content is recorded only when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is
true, as the GenAI conventions ask: prompts may hold what must not leave the process.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from types import TracebackType
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider

from .._catalog import DEFAULT_IMAGE_MODEL
from .._hooks import Attempt, Hook, install, uninstall
from .._meta import response_info
from .._resources.chat import AsyncCompletions, Completions
from .._resources.images import AsyncImages, Images
from .._streaming import AsyncStream, Stream
from .._version import __version__
from ..types import ChatCompletion, ImagesResponse

__all__ = ["AmigoChatInstrumentor"]

SYSTEM = "amigochat"
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"

# The request keywords recorded, by their GenAI attribute.
_REQUEST_ATTRIBUTES = {
    "temperature": "gen_ai.request.temperature",
    "max_tokens": "gen_ai.request.max_tokens",
    "top_p": "gen_ai.request.top_p",
}


def _capture_content() -> bool:
    return os.environ.get(CAPTURE_ENV, "").strip().lower() == "true"


def _to_json(value: Any) -> str:
    # Messages may hold pydantic models or other objects: `str` them rather than fail the call.
    return json.dumps(value, default=str, ensure_ascii=False)


# The span of the call running in this context, so a hook adds its events to that span only,
# never to a span of the user's that happens to be current around an untraced call.
_ACTIVE: weakref.WeakSet[Span] = weakref.WeakSet()


def _current_call_span() -> Span | None:
    span = trace.get_current_span()
    return span if span in _ACTIVE else None


class _AttemptHook(Hook):
    """One event per attempt on the call's span, and the server it went to."""

    def before_request(self, request: Any, attempt: Attempt) -> None:
        span = _current_call_span()
        if span is None:
            return None
        span.add_event("amigochat.attempt", {"attempt.number": attempt.number})
        url = request.url
        if url.host:
            span.set_attribute("server.address", url.host)
        port = url.port or {"https": 443, "http": 80}.get(url.scheme)
        if port is not None:
            span.set_attribute("server.port", port)
        return None

    def after_error(self, error: Exception, attempt: Attempt) -> None:
        span = _current_call_span()
        if span is not None:
            span.add_event(
                "amigochat.attempt.error",
                {"attempt.number": attempt.number, "error.type": type(error).__qualname__},
            )
        return None


def _start(tracer: Tracer, operation: str, model: str, params: Mapping[str, Any]) -> Span:
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": operation,
        "gen_ai.system": SYSTEM,
        "gen_ai.provider.name": SYSTEM,
        "gen_ai.request.model": model,
    }
    for key, name in _REQUEST_ATTRIBUTES.items():
        value = params.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            attributes[name] = value
    span = tracer.start_span(f"{operation} {model}", kind=SpanKind.CLIENT, attributes=attributes)
    _ACTIVE.add(span)
    return span


def _fail(span: Span, error: BaseException) -> None:
    span.set_attribute("error.type", type(error).__qualname__)
    span.set_status(Status(StatusCode.ERROR, str(error)))
    span.record_exception(error)
    span.end()


def _completed(span: Span, completion: ChatCompletion, retries: int | None) -> None:
    """Set what the answer tells, and end the span."""
    if completion.model:
        span.set_attribute("gen_ai.response.model", completion.model)
    if completion.id:
        span.set_attribute("gen_ai.response.id", completion.id)
    usage = completion.usage
    if usage is not None:
        if usage.prompt_tokens is not None:
            span.set_attribute("gen_ai.usage.input_tokens", usage.prompt_tokens)
        if usage.completion_tokens is not None:
            span.set_attribute("gen_ai.usage.output_tokens", usage.completion_tokens)
    reasons = tuple(str(c.finish_reason) for c in completion.choices if c.finish_reason)
    if reasons:
        span.set_attribute("gen_ai.response.finish_reasons", reasons)
    if retries is not None:
        span.set_attribute("amigochat.retries", retries)
    if _capture_content():
        output = [{"role": "assistant", "content": c.message.content} for c in completion.choices]
        span.set_attribute("gen_ai.output.messages", _to_json(output))
    span.end()


def _retries(result: Any) -> int | None:
    info = response_info(result)
    return None if info is None else info.retries


def _images_done(span: Span, result: ImagesResponse) -> None:
    retries = _retries(result)
    if retries is not None:
        span.set_attribute("amigochat.retries", retries)
    span.end()


class _Ending:
    """Ends a stream's span once, whichever way the stream ends (or when it is collected)."""

    def __init__(self, span: Span, started: float) -> None:
        self.span = span
        self.started = started
        self.first_chunk = False
        self.ended = False

    def chunk(self) -> None:
        if not self.first_chunk:
            self.first_chunk = True
            elapsed = time.monotonic() - self.started
            self.span.set_attribute("gen_ai.response.time_to_first_chunk", elapsed)

    def ok(self, completion: ChatCompletion, retries: int | None) -> None:
        if not self.ended:
            self.ended = True
            _completed(self.span, completion, retries)

    def error(self, error: BaseException) -> None:
        if not self.ended:
            self.ended = True
            _fail(self.span, error)

    def abandon(self) -> None:
        if not self.ended:
            self.ended = True
            self.span.end()


class TracedStream:
    """
    A `Stream` whose span ends with it: at exhaustion, `close()`, the end of a `with` block,
    an error, or garbage collection. Everything else is the stream's own.
    """

    def __init__(self, stream: Stream[Any], ending: _Ending) -> None:
        self._stream = stream
        self._ending = ending
        self._finalizer = weakref.finalize(self, ending.abandon)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @property  # type: ignore[misc]
    def __class__(self) -> type[Any]:
        # `isinstance(s, Stream)` holds for a traced stream as for the stream it wraps (as
        # wrapt's proxies do it), so instrumenting a program does not change what it sees.
        return type(self._stream)

    def _done(self) -> None:
        # Exhausted: the final completion is assembled already, no read happens.
        self._ending.ok(self._stream.get_final_completion(), self._stream.response_info.retries)

    def __iter__(self) -> TracedStream:
        return self

    def __next__(self) -> Any:
        try:
            chunk = next(self._stream)
        except StopIteration:
            self._done()
            raise
        except BaseException as exc:
            self._ending.error(exc)
            raise
        self._ending.chunk()
        return chunk

    def text(self) -> Iterator[str]:
        """The stream's `text()`, traced."""
        try:
            for text in self._stream.text():
                self._ending.chunk()
                yield text
        except BaseException as exc:
            self._ending.error(exc)
            raise
        self._done()

    def get_final_completion(self) -> ChatCompletion:
        """The stream's `get_final_completion()`, traced."""
        try:
            completion = self._stream.get_final_completion()
        except BaseException as exc:
            self._ending.error(exc)
            raise
        self._ending.ok(completion, self._stream.response_info.retries)
        return completion

    def close(self) -> None:
        """Close the stream and end its span with what arrived."""
        self._stream.close()
        self._done()

    def __enter__(self) -> TracedStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncTracedStream:
    """An `AsyncStream` whose span ends with it; as `TracedStream`."""

    def __init__(self, stream: AsyncStream[Any], ending: _Ending) -> None:
        self._stream = stream
        self._ending = ending
        self._finalizer = weakref.finalize(self, ending.abandon)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    @property  # type: ignore[misc]
    def __class__(self) -> type[Any]:
        return type(self._stream)  # as `TracedStream.__class__`

    async def _done(self) -> None:
        completion = await self._stream.get_final_completion()
        self._ending.ok(completion, self._stream.response_info.retries)

    def __aiter__(self) -> AsyncTracedStream:
        return self

    async def __anext__(self) -> Any:
        try:
            chunk = await self._stream.__anext__()
        except StopAsyncIteration:
            await self._done()
            raise
        except BaseException as exc:
            self._ending.error(exc)
            raise
        self._ending.chunk()
        return chunk

    async def text(self) -> AsyncIterator[str]:
        """The stream's `text()`, traced."""
        try:
            async for text in self._stream.text():
                self._ending.chunk()
                yield text
        except BaseException as exc:
            self._ending.error(exc)
            raise
        await self._done()

    async def get_final_completion(self) -> ChatCompletion:
        """The stream's `get_final_completion()`, traced."""
        try:
            completion = await self._stream.get_final_completion()
        except BaseException as exc:
            self._ending.error(exc)
            raise
        self._ending.ok(completion, self._stream.response_info.retries)
        return completion

    async def aclose(self) -> None:
        """Close the stream and end its span with what arrived."""
        await self._stream.aclose()
        await self._done()

    async def close(self) -> None:
        """The same as `aclose()`."""
        await self.aclose()

    async def __aenter__(self) -> AsyncTracedStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _chat_span(tracer: Tracer, kwargs: dict[str, Any]) -> Span:
    span = _start(tracer, "chat", str(kwargs.get("model")), kwargs)
    if _capture_content():
        # A generator of messages would be spent by the dump: the SDK gets the list instead.
        messages = kwargs["messages"] = list(kwargs.get("messages") or ())
        span.set_attribute("gen_ai.input.messages", _to_json(messages))
    return span


def _image_span(tracer: Tracer, prompt: str, kwargs: Mapping[str, Any]) -> Span:
    model = kwargs.get("model") or DEFAULT_IMAGE_MODEL
    span = _start(tracer, "image_generation", str(model), kwargs)
    if _capture_content():
        span.set_attribute("gen_ai.input.messages", _to_json([{"role": "user", "content": prompt}]))
    return span


@contextlib.contextmanager
def _calling(span: Span) -> Iterator[None]:
    """`span` current while the SDK's call runs (the attempt hook finds it); failed on error."""
    try:
        with trace.use_span(span, end_on_exit=False, record_exception=False):
            yield
    except BaseException as exc:
        _fail(span, exc)
        raise


def _wrap_create(tracer: Tracer, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create(self: Completions, *args: Any, **kwargs: Any) -> Any:
        span = _chat_span(tracer, kwargs)
        started = time.monotonic()
        with _calling(span):
            result = original(self, *args, **kwargs)
        if isinstance(result, Stream):
            return TracedStream(result, _Ending(span, started))
        _completed(span, result, _retries(result))
        return result

    return create


def _wrap_acreate(tracer: Tracer, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def create(self: AsyncCompletions, *args: Any, **kwargs: Any) -> Any:
        span = _chat_span(tracer, kwargs)
        started = time.monotonic()
        with _calling(span):
            result = await original(self, *args, **kwargs)
        if isinstance(result, AsyncStream):
            return AsyncTracedStream(result, _Ending(span, started))
        _completed(span, result, _retries(result))
        return result

    return create


def _wrap_generate(tracer: Tracer, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def generate(self: Images, prompt: str, **kwargs: Any) -> Any:
        span = _image_span(tracer, prompt, kwargs)
        with _calling(span):
            result = original(self, prompt, **kwargs)
        _images_done(span, result)
        return result

    return generate


def _wrap_agenerate(tracer: Tracer, original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    async def generate(self: AsyncImages, prompt: str, **kwargs: Any) -> Any:
        span = _image_span(tracer, prompt, kwargs)
        with _calling(span):
            result = await original(self, prompt, **kwargs)
        _images_done(span, result)
        return result

    return generate


_TARGETS: tuple[tuple[type, str, Callable[[Tracer, Callable[..., Any]], Callable[..., Any]]], ...]
_TARGETS = (
    (Completions, "create", _wrap_create),
    (AsyncCompletions, "create", _wrap_acreate),
    (Images, "generate", _wrap_generate),
    (AsyncImages, "generate", _wrap_agenerate),
)


# What `instrument()` replaced, kept per process, not per instance: the methods it wraps are
# the classes' own, so two instrumentors must share one state (as `BaseInstrumentor` does).
_ORIGINALS: dict[tuple[type, str], Any] = {}
_HOOKS: list[Hook] = []


class AmigoChatInstrumentor:
    """
    Traces the SDK's calls with OpenTelemetry. The state is the process's, as with
    `BaseInstrumentor`: `instrument()` twice is a no-op, `uninstrument()` undoes it.
    """

    @property
    def is_instrumented_by_opentelemetry(self) -> bool:
        """Whether `instrument()` is in effect."""
        return bool(_ORIGINALS)

    def instrument(self, *, tracer_provider: TracerProvider | None = None, **_: Any) -> None:
        """Trace every call of every client, with `tracer_provider` (the global one if None)."""
        if _ORIGINALS:
            return
        tracer = trace.get_tracer(__name__, __version__, tracer_provider)
        for owner, name, wrap in _TARGETS:
            original = owner.__dict__[name]
            _ORIGINALS[owner, name] = original
            setattr(owner, name, wrap(tracer, original))
        hook = _AttemptHook()
        _HOOKS.append(hook)
        install(hook)

    def uninstrument(self, **_: Any) -> None:
        """Restore the original methods and remove the hook."""
        for (owner, name), original in _ORIGINALS.items():
            setattr(owner, name, original)
        _ORIGINALS.clear()
        while _HOOKS:
            uninstall(_HOOKS.pop())
