"""
The run: start the server, run every case in a fresh process, round robin, and report.

Rule: one server process for the whole run, so every client meets identical traffic, and one
fresh child process per sample, so no client inherits another's imports, caches or memory. The
rounds rotate the order of the cases, so drift (thermal, noisy neighbours) spreads evenly.
With two or more CPUs the server is pinned to one and the clients to another.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from ._child import CASES
from ._measure import Params
from ._report import IMPORT_MODULES, machine, report

__all__ = ["main"]

_CHILD_TIMEOUT = 600.0


@dataclass(frozen=True)
class Settings:
    chunks: int = 20_000
    requests: int = 500
    streams: int = 200
    per_stream: int = 200
    rounds: int = 5
    imports: int = 7


QUICK = Settings(chunks=2_000, requests=100, streams=50, per_stream=50, rounds=3, imports=3)


def _cpus() -> tuple[set[int] | None, set[int] | None]:
    """(server CPUs, client CPUs): one each when there are two or more, else no pinning."""
    try:
        available = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None, None
    if len(available) < 2:
        return None, None
    return {available[0]}, {available[1]}


def _pinned(cpus: set[int] | None) -> Any:
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


@contextmanager
def _server(settings: Settings, cpus: set[int] | None) -> Iterator[int]:
    sizes = sorted({settings.chunks, min(settings.chunks, 200), settings.per_stream, 2})
    command = [sys.executable, "-m", "benchmarks._server", "--prebuild", ",".join(map(str, sizes))]
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, preexec_fn=_pinned(cpus), text=True
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        yield int(line.split()[1])
    finally:
        process.terminate()  # closing its stdin would do too; terminate is quicker
        process.wait(timeout=10)


def _stats(port: int) -> dict[str, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/_stats")
        stats: dict[str, Any] = json.loads(connection.getresponse().read())
        return stats
    finally:
        connection.close()


def _run_case(case: str, params: Params, cpus: set[int] | None) -> dict[str, Any]:
    before = _stats(params.port)
    command = [sys.executable, "-m", "benchmarks._child", case, "--port", str(params.port)]
    command += ["--chunks", str(params.chunks), "--requests", str(params.requests)]
    command += ["--streams", str(params.streams), "--per-stream", str(params.per_stream)]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=_CHILD_TIMEOUT,
            preexec_fn=_pinned(cpus),
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {_CHILD_TIMEOUT:g}s"}
    after = _stats(params.port)
    lines = done.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        result = {"error": f"exit {done.returncode}, no result: {done.stderr.strip()[-2000:]}"}
    if "error" in result:
        result["stderr"] = done.stderr.strip()[-2000:]
        return result
    result["server_cpu_seconds"] = after["cpu"] - before["cpu"]
    result["server_connections"] = after["connections"] - before["connections"] - 1
    if case.startswith("stream."):  # the child's last stream is the timed one
        # The server writes into the kernel's socket buffer, so it can finish long before the
        # client has read everything: its busy share is its CPU over the *client's* time.
        events, cpu, _ = after["last_stream"]
        result["server_us_per_event"] = cpu / events * 1e6
        result["server_busy"] = cpu / result["seconds"]
    return result


def _import_seconds(module: str, cpus: set[int] | None) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=_pinned(cpus),
    )
    return float(done.stdout.strip())


def _rotated(items: list[str], by: int) -> list[str]:
    if not items:
        return items
    by %= len(items)
    return items[by:] + items[:by]


def _selected(only: str | None) -> tuple[list[str], list[str]]:
    cases = list(CASES)
    imports = [f"import.{module}" for module in IMPORT_MODULES]
    if only:
        words = [word.strip() for word in only.split(",") if word.strip()]
        cases = [case for case in cases if any(word in case for word in words)]
        imports = [case for case in imports if any(word in case for word in words)]
    return cases, imports


def run(settings: Settings, only: str | None, log: Any = sys.stderr) -> dict[str, Any]:
    """Run the selected cases; return everything measured (see `report`)."""
    cases, imports = _selected(only)
    server_cpus, client_cpus = _cpus()
    samples: dict[str, list[dict[str, Any]]] = {case: [] for case in cases + imports}
    errors: list[dict[str, Any]] = []
    started, load = time.perf_counter(), os.getloadavg()
    with _server(settings, server_cpus) as port:
        params = Params(
            port, settings.chunks, settings.requests, settings.streams, settings.per_stream
        )
        for round_ in range(settings.rounds if cases else 0):
            for case in _rotated(cases, round_):
                result = _run_case(case, params, client_cpus)
                if "error" in result:
                    errors.append({"case": case, "round": round_, **result})
                    print(f"  round {round_ + 1}: {case}: ERROR {result['error']}", file=log)
                    continue
                samples[case].append({**result, "round": round_})
                print(
                    f"  round {round_ + 1}/{settings.rounds}: {case}: "
                    f"{result['value']:,.0f} {result['unit']}",
                    file=log,
                )
    modules = [case.removeprefix("import.") for case in imports]
    for module in modules:  # once each first: write the bytecode caches
        _import_seconds(module, client_cpus)
    for round_ in range(settings.imports):
        for module in _rotated(modules, round_):
            seconds = _import_seconds(module, client_cpus)
            sample = {"value": seconds * 1000, "unit": "ms", "round": round_}
            samples[f"import.{module}"].append(sample)
        print(f"  imports {round_ + 1}/{settings.imports} done", file=log)
    return {
        "settings": asdict(settings),
        "machine": machine(),
        "pinned": {"server": sorted(server_cpus or []), "clients": sorted(client_cpus or [])},
        "wall_seconds": time.perf_counter() - started,
        "load_average": {"start": load, "end": os.getloadavg()},
        "samples": samples,
        "errors": errors,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description="Benchmark amigochat_sdk against httpx, httpx-sse, openai.",
    )
    parser.add_argument("--quick", action="store_true", help="a smaller run (under a minute)")
    parser.add_argument("--json", metavar="PATH", help="write every sample and the checks here")
    parser.add_argument("--only", metavar="NAME", help="cases whose name contains NAME (a,b: any)")
    parser.add_argument("--rounds", type=int, help="samples per case")
    parser.add_argument("--chunks", type=int, help="chunks in the one-stream cases")
    parser.add_argument("--requests", type=int, help="sequential requests per sample")
    parser.add_argument("--streams", metavar="SxC", help="concurrent streams x chunks each")
    parser.add_argument("--imports", type=int, help="samples per import-time case")
    parser.add_argument("--profile", metavar="CASE", help="profile one case in-process instead")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join([*CASES, *(f"import.{module}" for module in IMPORT_MODULES)]))
        return 0
    settings = QUICK if args.quick else Settings()
    changes: dict[str, int] = {}
    for name in ("rounds", "chunks", "requests", "imports"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.streams:
        streams, _, per_stream = args.streams.partition("x")
        changes["streams"], changes["per_stream"] = int(streams), int(per_stream)
    settings = Settings(**{**asdict(settings), **changes})
    if min(settings.chunks, settings.per_stream) < 2:
        parser.error("a stream needs at least 2 chunks")
    if args.profile:
        from ._profile import profile

        with _server(settings, None) as port:
            params = Params(
                port, settings.chunks, settings.requests, settings.streams, settings.per_stream
            )
            return profile(args.profile, params)
    results = run(settings, args.only)
    text, checks = report(results)
    results["checks"] = checks
    print(text)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(results, file, indent=1)
    return 1 if results["errors"] else 0
