"""
The SDK's main job, end to end and offline: `scripts/demo`, or `python -m examples.demo`.

It starts the reference server in this process (no network, no API key) and uses the SDK as an
application would: a completion, a reply streamed as it arrives, a retried failure, a stream that
breaks mid-way, five concurrent async streams, and an image saved to disk. It ends with a summary.
`--keep` keeps the image; otherwise its temporary folder is removed at the end.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import anyio

from amigochat_sdk import APIStreamError, AsyncClient, Client
from amigochat_sdk.testing import ReferenceServer, serve

MODEL = "gpt-4o-mini"


def say(title: str) -> None:
    print(f"\n== {title}", flush=True)


class Tally:
    """What the demo did, for the summary."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.completions = self.streams = self.chunks = self.characters = 0
        self.image_bytes = 0
        self.timings: dict[str, float] = {}

    def time(self, name: str, since: float) -> float:
        self.timings[name] = seconds = time.perf_counter() - since
        return seconds


def completion(client: Client, tally: Tally) -> None:
    say("1. A completion")
    start = time.perf_counter()
    reply = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello, how are you?"}]
    )
    print(reply.choices[0].message.content)
    assert reply.usage is not None
    print(f"({reply.usage.total_tokens} tokens, {tally.time('completion', start) * 1000:.0f} ms)")
    tally.completions += 1


def streamed(client: Client, tally: Tally) -> None:
    say("2. A streamed reply, printed as it arrives")
    start = time.perf_counter()
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "Tell me about streaming."},
    ]
    with client.chat.completions.create(model=MODEL, messages=messages, stream=True) as stream:
        for chunk in stream:
            tally.chunks += 1
            for choice in chunk.choices:
                text = choice.delta.content or ""
                tally.characters += len(text)
                print(text, end="", flush=True)
    print(
        f"\n({len(stream.get_final_completion().choices)} choice, {tally.chunks} chunks, "
        f"{tally.time('stream', start) * 1000:.0f} ms)"
    )
    tally.streams += 1


def retried(client: Client, server: ReferenceServer, tally: Tally) -> None:
    say("3. A failure the SDK retries by itself")
    server.faults.push("status=503;retry-after=0")  # the next request fails once
    before = len(server.requests)
    reply = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Are you there?"}]
    )
    print(reply.choices[0].message.content)
    print(f"({len(server.requests) - before} requests: a 503, then the answer)")
    tally.completions += 1


def broken(client: Client, server: ReferenceServer, tally: Tally) -> None:
    say("4. A stream that breaks mid-way raises, and keeps what arrived")
    server.faults.push("error-event-after=4;message=upstream model failure")
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "A long story"}], stream=True
    )
    with stream:
        try:
            for text in stream.text():
                print(text, end="", flush=True)
        except APIStreamError as exc:
            print(f"\n{type(exc).__name__}: {exc} (text so far: {exc.text!r})")
    tally.streams += 1


async def concurrent(url: str, server: ReferenceServer, tally: Tally, count: int = 5) -> None:
    say(f"5. {count} async streams at once")
    # Each reply pauses half a second mid-way, as a slow model does: together they take about
    # half a second, not `count` halves.
    server.faults.push("stall-after=3:0.5", times=count)
    start = time.perf_counter()

    async def one(index: int) -> None:
        messages = [{"role": "user", "content": f"Question {index}"}]
        stream = await client.chat.completions.create(model=MODEL, messages=messages, stream=True)
        async with stream:
            async for _chunk in stream:
                tally.chunks += 1
        tally.characters += len(stream.text_so_far)
        elapsed = time.perf_counter() - start
        print(f"[{index}] {stream.text_so_far} ({elapsed * 1000:.0f} ms)", flush=True)
        tally.streams += 1

    async with AsyncClient(base_url=url) as client, anyio.create_task_group() as group:
        for index in range(1, count + 1):
            group.start_soon(one, index)
    tally.time("concurrent", start)
    print(f"({count} streams in {tally.timings['concurrent']:.2f} s)")


def image(client: Client, folder: Path, tally: Tally) -> Path:
    say("6. An image, generated and saved")
    start = time.perf_counter()
    result = client.images.generate("A futuristic cityscape", model="flux-pro/v1.1")
    [path] = client.images.save(result, folder / "cityscape.png")
    data = path.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    tally.image_bytes += len(data)
    print(
        f"{result.data[0].url}\n-> {path} ({len(data)} bytes, "
        f"{tally.time('image', start) * 1000:.0f} ms)"
    )
    return path


def main(argv: list[str]) -> int:
    keep = "--keep" in argv
    tally = Tally()
    folder = Path(tempfile.mkdtemp(prefix="amigochat-demo-"))
    try:
        with serve() as server, Client(base_url=server.url) as client:
            print(f"Reference server on {server.url} (in this process, no network)")
            completion(client, tally)
            streamed(client, tally)
            retried(client, server, tally)
            broken(client, server, tally)
            anyio.run(concurrent, server.url, server, tally)
            saved = image(client, folder, tally)
            requests = len(server.requests)
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)
    say("Summary")
    print(f"requests served:     {requests}")
    print(f"completions:         {tally.completions}")
    print(
        f"streams:             {tally.streams} ({tally.chunks} chunks, "
        f"{tally.characters} characters)"
    )
    print(
        f"images saved:        1 ({tally.image_bytes} bytes)"
        + (f" in {saved.parent}" if keep else " (removed; --keep keeps it)")
    )
    print(f"concurrent streams:  5 in {tally.timings['concurrent']:.2f} s")
    print(f"total time:          {time.perf_counter() - tally.started:.2f} s")
    print("Demo complete.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
