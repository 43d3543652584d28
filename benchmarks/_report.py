"""
The results as tables, ratios and the issue's target checks.

Rule: every number printed is a median of the samples of one case in this run; a ratio between
two clients is the median of their per-round ratios (each round runs every case once, so a
round's two samples met the same machine load); never compare with numbers from another run.
Beside wall-clock rates, the client process's CPU time per chunk is shown: on a shared machine
it swings far less than wall time.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from importlib import metadata
from typing import Any

from ._measure import STREAM_REPEATS

__all__ = ["IMPORT_MODULES", "machine", "report"]

IMPORT_MODULES = ("httpx", "openai", "amigochat_sdk")
_PACKAGES = (
    "amigochat-sdk",
    "httpx",
    "httpcore",
    "h11",
    "httpx-sse",
    "openai",
    "httpx2",
    "httpcore2",
    "pydantic",
    "pydantic-core",
    "anyio",
)
_LABELS = {
    "socket": "socket reader (server max)",
    "httpx-bytes": "httpx iter_bytes (floor)",
    "httpx-lines": "httpx iter_lines + json.loads",
    "httpx-sse": "httpx-sse + json.loads",
    "httpx-post": "httpx post + .json() (floor)",
    "httpx-bytes-close": "httpx aiter_bytes, close at [DONE] (ref.)",
    "openai": "openai",
    "amigochat_sdk": "amigochat_sdk",
}
_SERVER_HEADROOM = 1.5  # the server's top speed must beat the fastest client by this much


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "unknown"
    memory = "unknown"
    try:
        with open("/proc/cpuinfo") as file:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in file if ln.startswith("model name")), cpu
            )
        with open("/proc/meminfo") as file:
            kib = int(next(ln for ln in file if ln.startswith("MemTotal")).split()[1])
            memory = f"{kib / 1024**2:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = {}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return {
        "sdk_source": _source(),
        "nproc": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "packages": versions,
    }


def _source() -> str:
    """The commit the SDK was measured at, and whether its files differed from it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "amigochat_sdk"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
    except OSError:
        return "unknown"
    return f"{head or 'unknown'}" + (f" + {len(changed)} changed files" if changed else "")


class _Results:
    def __init__(self, results: dict[str, Any]) -> None:
        self.samples: dict[str, list[dict[str, Any]]] = results["samples"]

    def median(self, case: str, key: str = "value") -> float | None:
        values = [sample[key] for sample in self.samples.get(case, []) if key in sample]
        return statistics.median(values) if values else None

    def ratios(self, case: str, base: str, key: str = "value") -> list[float]:
        """`case / base` in each round both ran (for CPU time, pass `key="cpu_per"`)."""
        bases = {s.get("round"): s for s in self.samples.get(base, [])}
        out = []
        for sample in self.samples.get(case, []):
            other = bases.get(sample.get("round"))
            if other is None:
                continue
            if key == "cpu_per":  # CPU per unit: the base's over the case's, higher is better
                mine, theirs = _cpu_per(sample), _cpu_per(other)
                if mine and theirs:
                    out.append(theirs / mine)
            elif sample.get(key) and other.get(key):
                out.append(sample[key] / other[key])
        return out

    def ratio(self, case: str, base: str, key: str = "value") -> float | None:
        """The median of the per-round ratios."""
        values = self.ratios(case, base, key)
        return statistics.median(values) if values else None

    def cpu_us(self, case: str) -> float | None:
        """The median client CPU time per chunk or request, in microseconds."""
        values = [v for v in map(_cpu_per, self.samples.get(case, [])) if v]
        return statistics.median(values) * 1e6 if values else None


def _added(r: _Results, case: str) -> float | None:
    """The median RSS growth of `case` over its timed round, KiB."""
    grown = [
        x["rss_peak_kb"] - x["rss_start_kb"] for x in r.samples.get(case, []) if "rss_peak_kb" in x
    ]
    return float(statistics.median(grown)) if grown else None


def _cpu_per(sample: dict[str, Any]) -> float | None:
    if not sample.get("count") or "cpu_seconds" not in sample:
        return None
    return float(sample["cpu_seconds"]) / float(sample["count"])


def _num(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _ratio(value: float | None, base: float | None) -> float | None:
    return None if value is None or not base else value / base


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    return lines


def _pair_table(r: _Results, group: str, clients: list[str], floor: str) -> list[str]:
    """Rates and their ratio to the floor; then CPU time per unit and its ratio (floor/case)."""
    rows = []
    for client in clients:
        row = [_LABELS[client]]
        for mode in ("sync", "async"):
            case, base = f"{group}.{client}.{mode}", f"{group}.{floor}.{mode}"
            row += [_num(r.median(case)), _x(r.ratio(case, base))]
        for mode in ("sync", "async"):
            case, base = f"{group}.{client}.{mode}", f"{group}.{floor}.{mode}"
            row += [_num(r.cpu_us(case), 1), _x(r.ratio(case, base, "cpu_per"))]
        rows.append(row)
    header = ["client", "sync", "vs floor", "async", "vs floor"]
    header += ["CPU us sync", "vs floor", "CPU us async", "vs floor"]
    return _table(header, rows)


def _check(
    name: str, value: float | None, limit: float, detail: str, most: bool = False
) -> dict[str, Any]:
    if value is None:
        return {"name": name, "status": "SKIP", "detail": "not measured in this run"}
    passed = value <= limit if most else value >= limit
    target = f"{'<=' if most else '>='} {limit:.0%}"
    return {
        "name": name,
        "status": "PASS" if passed else "FAIL",
        "value": value,
        "limit": limit,
        "detail": f"{detail} = {value:.1%} (target {target})",
    }


def _server_check(r: _Results) -> tuple[list[str], dict[str, Any]]:
    """
    The server is not the bottleneck if, during every client's stream, it was idle most of the
    time: the CPU it spent on that one response (it measures that itself) over the client's
    time for the stream must stay under 1 / `_SERVER_HEADROOM`.
    """
    name = "server is not the bottleneck"
    socket = "stream.socket.sync"
    rates = {
        case: r.median(case) or 0.0
        for case, samples in r.samples.items()
        if case.startswith("stream.") and case != socket and samples
    }
    if not rates:
        return [], {"name": name, "status": "SKIP", "detail": "no stream case ran"}
    fastest = max(rates, key=lambda case: rates[case])
    busy = {case: r.median(case, "server_busy") or 0.0 for case in rates}
    busiest = max(busy, key=lambda case: busy[case])
    lines = []
    top = r.median(socket)
    if top is not None:
        per_event = r.median(socket, "server_us_per_event") or 0.0
        lines.append(
            f"  server alone with a socket reader: {top:,.0f} chunks/s, {per_event:.2f} us CPU "
            f"per event, busy {r.median(socket, 'server_busy') or 0:.0%}; "
            f"{top / rates[fastest]:.1f}x the fastest client"
        )
    lines.append(
        f"  server busy during the fastest client's stream ({fastest}, {rates[fastest]:,.0f} "
        f"chunks/s): {busy[fastest]:.0%}; during the busiest ({busiest}): {busy[busiest]:.0%}"
    )
    limit = 1 / _SERVER_HEADROOM
    return lines, {
        "name": name,
        "status": "PASS" if busy[busiest] <= limit else "FAIL",
        "value": busy[busiest],
        "limit": limit,
        "detail": f"the server was busy at most {busy[busiest]:.0%} of any client's stream "
        f"(target <= {limit:.0%}, i.e. {_SERVER_HEADROOM}x headroom)",
    }


def report(results: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The printed report and the list of checks."""
    r = _Results(results)
    s = results["settings"]
    m = results["machine"]
    out: list[str] = [
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, {m['python']}; "
        f"amigochat_sdk at {m['sdk_source']}; rounds: {s['rounds']}, imports: {s['imports']}",
        "",
    ]
    out.append(
        f"Streaming: one stream of {s['chunks']:,} chunks, the fastest of {STREAM_REPEATS} "
        "in each sample, chunks/s (medians)"
    )
    clients = ["httpx-bytes", "httpx-lines", "httpx-sse", "openai", "amigochat_sdk"]
    out += _pair_table(r, "stream", clients, "httpx-bytes")
    socket = r.median("stream.socket.sync")
    out.append(f"  {_LABELS['socket']}: {_num(socket)} chunks/s")
    server_lines, server_check = _server_check(r)
    out += server_lines
    out.append("")
    out.append(f"Request overhead: {s['requests']} sequential non-stream completions, requests/s")
    out += _pair_table(r, "requests", ["httpx-post", "openai", "amigochat_sdk"], "httpx-post")
    out.append("")
    out.append(
        f"Concurrency: {s['streams']} async streams x {s['per_stream']} chunks on one client"
    )
    # The floor keeps its connections alive, as the SDK does. The variant that closes at
    # [DONE] shows what httpcore's pool housekeeping costs (see BENCHMARKS.md).
    floor = "concurrency.httpx-bytes.async"
    floor_rate, floor_rss = r.median(floor), r.median(floor, "rss_peak_kb")
    rows = []
    for client in ("httpx-bytes", "httpx-bytes-close", "openai", "amigochat_sdk"):
        case = f"concurrency.{client}.async"
        rate, peak = r.median(case), r.median(case, "rss_peak_kb")
        start = r.median(case, "rss_start_kb")
        growth = None if peak is None or start is None else peak - start
        held = r.median(case, "traced_peak_kb")
        rows.append(
            [
                _LABELS[client].replace("iter_bytes (floor)", "aiter_bytes"),
                _num(rate),
                _x(r.ratio(case, floor)),
                _num(held and held / 1024, 2),
                _x(r.ratio(case, floor, "traced_peak_kb")),
                _num(peak and peak / 1024, 1),
                _x(_ratio(peak, floor_rss)),
                _num(growth and growth / 1024, 1),
                _num(r.median(case, "server_connections")),
            ]
        )
    header = ["client", "chunks/s", "vs floor", "held MiB", "vs floor", "peak RSS MiB"]
    header += ["vs floor", "growth MiB", "conns"]
    out += _table(header, rows)
    closing = _ratio(r.median("concurrency.httpx-bytes-close.async"), floor_rate)
    if closing is not None and closing > 2:
        out.append(
            f"  Closing each response at [DONE] (a new connection per stream) is {closing:.1f}x "
            "faster here:"
        )
        out.append(
            "  httpcore 1.0's pool spends O(idle x all connections) per request on housekeeping"
        )
        out.append("  (encode/httpcore#1035), and only clients that keep connections alive pay it.")
    out.append("")
    out.append("Import time: perf_counter around `import X` in a fresh process, ms (medians)")
    rows = [[m, _num(r.median(f"import.{m}"), 1)] for m in IMPORT_MODULES]
    out += _table(["module", "ms"], rows)
    out.append("")

    sdk_vs_openai = []
    for group in ("stream", "requests", "concurrency"):
        for mode in ("sync", "async"):
            times = _ratio(
                r.median(f"{group}.amigochat_sdk.{mode}"), r.median(f"{group}.openai.{mode}")
            )
            if times is not None:
                sdk_vs_openai.append(f"{group} {mode} {times:.2f}x")
    if sdk_vs_openai:
        out.append("amigochat_sdk vs openai: " + ", ".join(sdk_vs_openai))
        out.append("")

    def ratio(case: str, base: str, key: str = "value") -> float | None:
        return r.ratio(case, base, key)

    checks = [server_check]
    for mode in ("sync", "async"):
        sdk, base = f"stream.amigochat_sdk.{mode}", f"stream.httpx-bytes.{mode}"
        cpu = ratio(sdk, base, "cpu_per")
        checks.append(
            _check(
                f"streaming {mode} >= 60% of httpx iter_bytes (median of per-round ratios)",
                ratio(sdk, base),
                0.60,
                f"amigochat_sdk {_num(r.median(sdk))} chunks/s vs {_num(r.median(base))}; "
                f"by client CPU time {_x(cpu)}; per round "
                + ", ".join(f"{v:.2f}" for v in r.ratios(sdk, base))
                + "; by CPU "
                + ", ".join(f"{v:.2f}" for v in r.ratios(sdk, base, "cpu_per"))
                + "; wall",
            )
        )
    checks.append(
        _check(
            "request overhead >= 85% of httpx post+json",
            ratio("requests.amigochat_sdk.sync", "requests.httpx-post.sync"),
            0.85,
            f"amigochat_sdk {_num(r.median('requests.amigochat_sdk.sync'))} requests/s vs "
            f"{_num(r.median('requests.httpx-post.sync'))}",
        )
    )
    sdk = "concurrency.amigochat_sdk.async"
    checks.append(
        _check(
            f"{s['streams']} concurrent streams >= 80% of httpx async chunks/s",
            ratio(sdk, floor),
            0.80,
            f"amigochat_sdk {_num(r.median(sdk))} chunks/s vs {_num(floor_rate)}; per round "
            + ", ".join(f"{v:.2f}" for v in r.ratios(sdk, floor))
            + "; wall",
        )
    )
    checks.append(
        _check(
            f"{s['streams']} concurrent streams peak RSS <= 1.3x httpx",
            ratio(sdk, floor, "rss_peak_kb"),
            1.30,
            f"amigochat_sdk {_num((r.median(sdk, 'rss_peak_kb') or 0) / 1024, 1)} MiB vs "
            f"{_num((floor_rss or 0) / 1024, 1)} MiB",
            most=True,
        )
    )
    sdk_added, floor_added = _added(r, sdk), _added(r, floor)
    sdk_held, floor_held = r.median(sdk, "traced_peak_kb"), r.median(floor, "traced_peak_kb")
    checks.append(
        _check(
            f"memory added while {s['streams']} streams run <= 1.2x what httpx adds",
            ratio(sdk, floor, "traced_peak_kb"),
            1.20,
            f"amigochat_sdk {_num(sdk_held and sdk_held / 1024, 2)} MiB vs httpx "
            f"{_num(floor_held and floor_held / 1024, 2)} MiB held at the peak of a round "
            "(tracemalloc, medians); per round "
            + ", ".join(f"{v:.2f}" for v in r.ratios(sdk, floor, "traced_peak_kb"))
            + f"; RSS growth {_num(sdk_added and sdk_added / 1024, 1)} MiB vs "
            f"{_num(floor_added and floor_added / 1024, 1)} MiB",
            most=True,
        )
    )
    checks.append(
        _check(
            "import amigochat_sdk <= 30% of import openai",
            ratio("import.amigochat_sdk", "import.openai"),
            0.30,
            f"{_num(r.median('import.amigochat_sdk'), 1)} ms vs "
            f"{_num(r.median('import.openai'), 1)} ms",
            most=True,
        )
    )
    out.append("Targets (issues 7 and 11):")
    out += [f"  {c['status']}  {c['name']}: {c['detail']}" for c in checks]
    errors = results.get("errors", [])
    if errors:
        first = errors[0]
        out.append(
            f"ERRORS: {len(errors)} samples failed; first: {first['case']}: {first['error']}"
        )
    else:
        out.append("Every sample received every chunk and every reply it asked for.")
    load = results.get("load_average", {})
    out.append(
        f"Wall time: {results.get('wall_seconds', 0):.0f} s; load average (1 min) at start "
        f"{load.get('start', [0])[0]:.2f}, at end {load.get('end', [0])[0]:.2f} "
        f"on {results['machine']['nproc']} CPUs (other work on the machine skews every number)"
    )
    return "\n".join(out), checks
