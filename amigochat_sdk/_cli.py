"""
The `amigochat` command (also `python -m amigochat_sdk`): chat, image, models and serve.

Rule: stdout carries only the answer (text, JSON lines, saved paths, the table); progress,
hints and errors go to stderr. Every failure ends as one `error: ...` line and an exit code:
1 for API and I/O errors, 2 for usage, 130 for Ctrl-C, 141 (silently) when the reader of stdout
goes away. A traceback appears only with `--debug`. The command uses the public client API
only, so what it does, a program can do too.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn, TextIO

import httpx

from ._catalog import (
    DEFAULT_IMAGE_MODEL,
    DEFAULT_MODEL,
    Kind,
    close_models,
    list_models,
    resolve_model,
)
from ._client import Client
from ._constants import API_KEY_ENV, BASE_URL_ENV, DEFAULT_TIMEOUT
from ._exceptions import AmigoChatError, InvalidInputError, NotFoundError
from ._saving import ImageNames
from ._streaming import Stream
from ._version import __version__
from .testing._command import add_serve_arguments, serve_command
from .types import ChatCompletion, ChatCompletionChunk

__all__ = ["main"]

EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 1, 2, 130, 141

_EPILOG = f"""\
examples:
  amigochat chat "Write a haiku about rivers"
  echo "Summarise this" | amigochat chat --model gpt-4o -
  amigochat chat                      (interactive, when stdin is a terminal; /help)
  amigochat image "A futuristic cityscape" -n 2 -o out/
  amigochat --local chat "hello"      (offline, against the reference server)

environment: {API_KEY_ENV}, {BASE_URL_ENV}"""


class UsageError(Exception):
    """A mistake on the command line: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


class _Out:
    """stdout, remembering whether the last text left a line open."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.open_line = False

    def write(self, text: str) -> None:
        if text:
            # Noted first: a Ctrl-C may land between the write and the next statement.
            self.open_line = not text.endswith("\n")
            self.stream.write(text)
            self.stream.flush()

    def line(self, text: str) -> None:
        self.write(text + "\n")

    def end_line(self) -> None:
        if self.open_line:
            self.write("\n")


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    # Accepted before and after the command; the subcommand's copies default to "not given",
    # so they never overwrite a value given before the command.
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument("--base-url", default=default(None), help=f"API base URL (${BASE_URL_ENV})")
    group.add_argument("--api-key", default=default(None), help=f"API key (${API_KEY_ENV})")
    group.add_argument("--timeout", type=float, default=default(None), help="seconds")
    group.add_argument("--max-retries", type=int, default=default(None), metavar="N")
    group.add_argument(
        "--local",
        action="store_true",
        default=default(False),
        help="start the reference server in-process and use it (no network)",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log requests and retries to stderr; show tracebacks",
    )


def _parser() -> _Parser:
    parser = _Parser(
        prog="amigochat",
        description="Chat with AmigoChat models and generate images from the command line.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"amigochat-sdk {__version__}")
    _global_options(parser, suppress=False)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    chat = commands.add_parser("chat", help="chat with a model (streams the reply)")
    chat.add_argument("prompt", nargs="?", help="the message; '-' reads stdin; none: interactive")
    chat.add_argument("-m", "--model", default=DEFAULT_MODEL, help=f"model ({DEFAULT_MODEL})")
    chat.add_argument("-s", "--system", help="a system message")
    chat.add_argument("--persona-id", help="the service's persona (the catalog's by default)")
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--max-tokens", type=int, metavar="N")
    chat.add_argument("--top-p", type=float)
    chat.add_argument("--frequency-penalty", type=float)
    chat.add_argument("--presence-penalty", type=float)
    chat.add_argument("--stop", action="append", metavar="TEXT", help="stop sequence (repeatable)")
    chat.add_argument("--seed", type=int)
    chat.add_argument("--no-stream", action="store_true", help="wait for the whole reply")
    chat.add_argument("--json", action="store_true", help="print raw chunks as JSON lines")
    _global_options(chat, suppress=True)

    image = commands.add_parser("image", help="generate images and save them")
    image.add_argument("prompt", help="what to draw; '-' reads stdin")
    image.add_argument("-o", "--output", default=".", help="file or directory (.)")
    image.add_argument("-n", type=int, default=1, help="how many images (1)")
    image.add_argument(
        "-m", "--model", default=DEFAULT_IMAGE_MODEL, help=f"({DEFAULT_IMAGE_MODEL})"
    )
    image.add_argument("--size", help="WIDTHxHEIGHT, e.g. 1024x1024")
    image.add_argument("--persona-id", help="the service's persona (the catalog's by default)")
    _global_options(image, suppress=True)

    models = commands.add_parser("models", help="list the models the SDK knows")
    models.add_argument("--kind", choices=["chat", "image"], help="only this kind")
    models.add_argument("--json", action="store_true", help="one JSON object per line")
    _global_options(models, suppress=True)

    serve = commands.add_parser(
        "serve",
        help="run the reference server until Ctrl-C (as python -m amigochat_sdk.testing)",
        description="Serve the reference AmigoChat API on loopback, with fault injection.",
    )
    add_serve_arguments(serve)
    return parser


def _read_prompt(prompt: str | None) -> str:
    text = sys.stdin.read() if prompt in (None, "-") else prompt
    text = (text or "").strip()
    if not text:
        raise UsageError("the prompt is empty")
    return text


@contextlib.contextmanager
def _client(args: argparse.Namespace, progress: _Progress | None = None) -> Iterator[Client]:
    """A `Client` as the options say; with `--local`, on a reference server started here."""
    with contextlib.ExitStack() as stack:
        options: dict[str, Any] = {"base_url": args.base_url, "api_key": args.api_key}
        if args.timeout is not None:
            options["timeout"] = args.timeout
        if args.max_retries is not None:
            options["max_retries"] = args.max_retries
        if args.local:
            options["base_url"] = stack.enter_context(_local_server()).url
        if progress is not None:
            # Downloads report their bytes through a response hook on our own pool.
            http = httpx.Client(
                timeout=DEFAULT_TIMEOUT,  # not httpx's 5 s: the client adopts this one
                follow_redirects=True,
                event_hooks={"response": [progress.hook]},
            )
            options["http_client"] = stack.enter_context(http)
        yield stack.enter_context(Client(**options))


def _local_server() -> Any:
    from .testing import serve  # MissingExtraError without the `server` extra

    return serve()


_CHAT_KNOBS = (
    "persona_id",
    "temperature",
    "max_tokens",
    "top_p",
    "frequency_penalty",
    "presence_penalty",
    "stop",
    "seed",
)


def _chat_params(args: argparse.Namespace) -> dict[str, Any]:
    return {name: getattr(args, name) for name in _CHAT_KNOBS if getattr(args, name) is not None}


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C during a reply; `text` is what had arrived. Outside a chat it is a Ctrl-C."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def _reply(client: Client, args: argparse.Namespace, messages: list[Any], out: _Out) -> str:
    """Send the conversation, print the answer as it arrives, and return its text."""
    params = _chat_params(args)
    stream: Stream[ChatCompletionChunk] | None = None
    try:
        if args.no_stream:
            completion: ChatCompletion = client.chat.completions.create(
                model=args.model, messages=messages, **params
            )
            text = (completion.choices[0].message.content or "") if completion.choices else ""
            if args.json:
                out.line(completion.model_dump_json(exclude_none=True))
            else:
                out.write(text)
                out.end_line()
            return text
        stream = client.chat.completions.create(
            model=args.model, messages=messages, stream=True, **params
        )
        with stream:
            if args.json:
                for chunk in stream:
                    out.line(chunk.model_dump_json(exclude_none=True))
            else:
                for piece in stream.text():
                    out.write(piece)
                out.end_line()
            return stream.text_so_far
    except KeyboardInterrupt:
        raise _Interrupted(stream.text_so_far if stream is not None else "") from None


def _check_model(args: argparse.Namespace, kind: Kind) -> None:
    """
    Before anything is sent: a name the catalog does not know (unless `--persona-id` vouches
    for it), or a model of the other kind, is a usage error saying what to type instead.
    """
    try:
        found = resolve_model(args.model, args.persona_id, kind=kind)
    except ValueError:
        close = close_models(args.model)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        raise UsageError(
            f"unknown model {args.model!r}.{hint} `amigochat models` lists the models; "
            "--persona-id ID sends an unlisted one anyway"
        ) from None
    if found.kind != kind:
        command = "image -m {} PROMPT" if found.kind == "image" else "chat -m {} PROMPT"
        makes = "makes images" if found.kind == "image" else "is a chat model"
        raise UsageError(
            f"{args.model} {makes}: use `amigochat {command.format(args.model)}` "
            f"(`amigochat models --kind {kind}` lists the {kind} models)"
        )


def _chat(args: argparse.Namespace, out: _Out) -> int:
    _check_model(args, "chat")
    interactive = args.prompt is None and sys.stdin.isatty()
    system = [{"role": "system", "content": args.system}] if args.system else []
    if not interactive:
        messages = [*system, {"role": "user", "content": _read_prompt(args.prompt)}]
        with _client(args) as client:
            _reply(client, args, messages, out)
        return 0
    with _client(args) as client:
        return _interactive(client, args, system, out)


_COMMANDS = """\
/help          this list
/reset         forget the conversation (the system message stays)
/exit, /quit   leave (so do Ctrl-D and Ctrl-C at an empty prompt)
//text         send "/text" (a message that starts with a slash)
Ctrl-C during a reply stops it; the conversation keeps what arrived."""


def _interactive(client: Client, args: argparse.Namespace, system: list[Any], out: _Out) -> int:
    readline: Any = None
    with contextlib.suppress(ImportError):
        import readline  # line editing and history for input()
    print(f"Chatting with {args.model}. /help lists the commands; Ctrl-D quits.", file=sys.stderr)
    messages = list(system)
    # input() writes its prompt to stdout; keep stdout clean when it is not the terminal.
    prompt = "> " if sys.stdout.isatty() else ""
    while True:
        if not prompt:
            sys.stderr.write("> ")
            sys.stderr.flush()
        try:
            line = input(prompt).strip()
        except EOFError:
            sys.stderr.write("\n")
            return 0
        except KeyboardInterrupt:
            sys.stderr.write("\n")
            if readline is not None and readline.get_line_buffer().strip():
                continue  # Ctrl-C on a typed line drops the line, as a shell does
            return 0
        if not line:
            continue
        if line.startswith("/") and not line.startswith("//"):
            if line in ("/exit", "/quit"):
                return 0
            if line == "/reset":
                messages = list(system)
                print("The conversation is forgotten.", file=sys.stderr)
            elif line == "/help":
                print(_COMMANDS, file=sys.stderr)
            else:
                print(f"unknown command {line.split()[0]}; /help lists them", file=sys.stderr)
            continue
        messages.append({"role": "user", "content": line[1:] if line.startswith("//") else line})
        try:
            text = _reply(client, args, messages, out)
        except _Interrupted as stop:
            out.end_line()
            print("(stopped)", file=sys.stderr)
            if stop.text:
                messages.append({"role": "assistant", "content": stop.text})
            else:
                messages.pop()
            continue
        except AmigoChatError as exc:
            messages.pop()  # forget the failed turn, keep talking
            out.end_line()
            _report(exc, args.debug)
            continue
        messages.append({"role": "assistant", "content": text})


class _Progress:
    """Download progress on stderr: a bar on a terminal, and always a final line."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.index = self.count = 0
        self.done = self.size = self.total = 0
        self.drawn = 0.0
        self.started = time.monotonic()

    def hook(self, response: httpx.Response) -> None:
        if response.request.method == "GET" and isinstance(response.stream, httpx.SyncByteStream):
            self.done, self.size = 0, int(response.headers.get("content-length") or 0)
            response.stream = _Counted(response.stream, self)

    def advance(self, nbytes: int) -> None:
        self.done += nbytes
        if self.tty and (time.monotonic() - self.drawn > 0.05 or self.done >= self.size):
            self.drawn = time.monotonic()
            width = 24
            filled = width * self.done // self.size if self.size else width
            bar = "#" * filled + "-" * (width - filled)
            pct = f"{100 * self.done // self.size:3d}%" if self.size else ""
            self.stream.write(
                f"\rimage {self.index + 1}/{self.count} [{bar}] {pct} {_kb(self.done)}\x1b[K"
            )
            self.stream.flush()

    def saved(self, nbytes: int) -> None:
        self.total += nbytes
        self.index += 1

    def clear(self) -> None:
        """Take the bar off the line, so that what follows starts clean."""
        if self.tty and self.drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.drawn = 0.0

    def finish(self) -> None:
        self.clear()
        seconds = time.monotonic() - self.started
        s = "" if self.index == 1 else "s"
        self.stream.write(f"saved {self.index} image{s} ({_kb(self.total)}) in {seconds:.2f}s\n")
        self.stream.flush()


class _Counted(httpx.SyncByteStream):
    def __init__(self, inner: httpx.SyncByteStream, progress: _Progress) -> None:
        self.inner, self.progress = inner, progress

    def __iter__(self) -> Iterator[bytes]:
        for data in self.inner:
            self.progress.advance(len(data))
            yield data

    def close(self) -> None:
        self.inner.close()


def _kb(nbytes: int) -> str:
    return f"{nbytes / 1024:.1f} kB" if nbytes < 1024 * 1024 else f"{nbytes / 2**20:.1f} MB"


def _image(args: argparse.Namespace, out: _Out) -> int:
    _check_model(args, "image")
    prompt = _read_prompt(args.prompt)
    if args.n < 1:
        raise UsageError("-n must be at least 1")
    progress = _Progress(sys.stderr)
    with _client(args, progress) as client:
        progress.started = time.monotonic()
        result = client.images.generate(
            prompt, model=args.model, n=args.n, size=args.size, persona_id=args.persona_id
        )
        if not result.data:
            raise AmigoChatError("the service answered with no image")
        progress.count = len(result.data)
        names = ImageNames(args.output, prompt)
        try:
            for image in result.data:
                data = client.images.fetch(image)
                progress.clear()
                path = names.write(data)
                progress.saved(len(data))
                out.line(str(path))
        finally:
            progress.clear()
        progress.finish()
    return 0


def _models(args: argparse.Namespace, out: _Out) -> int:
    rows = [m for m in list_models() if args.kind in (None, m.kind)]
    if args.json:
        for m in rows:
            entry = {"model": m.name, "kind": m.kind, "persona_id": m.persona_id}
            out.line(json.dumps({**entry, "aliases": list(m.aliases)}))
        return 0
    table = [("MODEL", "KIND", "PERSONA ID", "ALIASES")]
    table += [(m.name, m.kind, m.persona_id, ", ".join(m.aliases)) for m in rows]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        out.line("  ".join([*cells, row[3]]).rstrip())
    return 0


def _serve(args: argparse.Namespace, out: _Out) -> int:
    given = [
        flag
        for flag, value in (
            ("--base-url", args.base_url),
            ("--local", args.local),
            ("--timeout", args.timeout),
            ("--max-retries", args.max_retries),
        )
        if value not in (None, False)
    ]
    if given:
        raise UsageError(f"serve does not take {', '.join(given)} (see: amigochat serve --help)")
    return serve_command(args)


def _base_url_hint(exc: BaseException) -> str:
    """A 404 from a base URL without `/v1` most likely means the `/v1` is missing."""
    request = getattr(exc, "request", None)
    if not isinstance(exc, NotFoundError) or request is None:
        return ""
    path = request.url.path
    for endpoint in ("/chat/completions", "/images/generations"):
        if path.endswith(endpoint) and not path.endswith("/v1" + endpoint):
            base = request.url.copy_with(path=path[: -len(endpoint)] + "/v1", query=None)
            return f" (the base URL has no /v1: try --base-url {base})"
    return ""


def _report(exc: BaseException, debug: bool) -> None:
    if debug:
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    if isinstance(exc, (AmigoChatError, UsageError)):
        message = str(exc) + _base_url_hint(exc)
    else:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    print(f"error: {' '.join(message.split())}", file=sys.stderr, flush=True)


def _quiet_stdout() -> None:
    # The reader went away: point stdout at /dev/null so the exit-time flush cannot fail.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    out = _Out(sys.stdout)
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
        debug = args.debug
        if debug:
            logging.basicConfig(stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s")
            logging.getLogger("amigochat_sdk").setLevel(logging.DEBUG)
        if args.local and args.base_url:
            raise UsageError("--local and --base-url exclude each other")
        commands = {"chat": _chat, "image": _image, "models": _models, "serve": _serve}
        return commands[args.command](args, out)
    except KeyboardInterrupt:
        with contextlib.suppress(BrokenPipeError):
            out.end_line()
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
    except UsageError as exc:
        out.end_line()
        _report(exc, debug)
        return EXIT_USAGE
    except Exception as exc:
        with contextlib.suppress(BrokenPipeError):
            out.end_line()
        _report(exc, debug)
        # A parameter the request model rejects is a usage error; a key that cannot be sent
        # is not.
        rejected = isinstance(exc, InvalidInputError) and exc.errors
        return EXIT_USAGE if rejected else EXIT_ERROR
