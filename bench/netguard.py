"""Cost of one allowlist decision (``NetPolicy.decide``), in µs, over a realistic URL mix.

The mix is what a mini-app page asks the engine for: mostly its own ``app://`` files, then
its API and CDN hosts, some third-party requests the guard refuses, inline ``data:``/``blob:``
sub-resources, and a few hostile spellings. "warm" repeats hosts (the normaliser's cache is
hot, as during a page load); "cold" gives every request a host never seen before (the worst
case: full IDNA/IPv4 parsing each time). The page-load half of the benchmark (200
sub-resources with and without the guard, real windows) is ``bench/pageload.py``.

The second table is the egress proxy's cost per request (``superapp.net.EgressProxy``): the
same GET to an HTTP server on 127.0.0.1, made directly (a new connection each, as the proxy
does upstream) and through the proxy — forwarded as plain ``http``, or through a ``CONNECT``
tunnel as ``https``/``wss`` would be — and a refused request. Sequential, alternating.

    .venv/bin/python bench/netguard.py [--n 200000] [--requests 1000]

Prints a Markdown table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from superapp.net import EgressProxy, NetPolicy, RequestKind
from superapp.net._host import _cached

APP = "com.example.notes"
ORIGIN = f"app://{APP}"
POLICY = NetPolicy.from_manifest(
    APP,
    ["api.example.com", "*.cdn.example.com", "auth.example.com", "bücher.example", "*.maps.test"],
    allow_http_hosts=["auth.example.com"],
)

K = RequestKind
#: (weight, category, url, kind, top_level)
MIX: list[tuple[int, str, str, RequestKind, bool]] = [
    (30, "own app:// file", f"app://{APP}/js/app.js", K.SCRIPT, False),
    (15, "own app:// file", f"app://{APP}/img/icon-42.png", K.IMAGE, False),
    (10, "own app:// file", f"app://{APP}/css/main.css", K.STYLE, False),
    (12, "allowlisted https", "https://api.example.com/v2/notes?page=3&limit=50", K.FETCH, False),
    (10, "allowlisted https", "https://img.cdn.example.com/a/b/c/photo-123.jpg", K.IMAGE, False),
    (3, "allowlisted https", "wss://api.example.com/live", K.WEBSOCKET, False),
    (5, "refused third party", "https://stats.tracker.test/collect?v=1&t=view", K.BEACON, False),
    (4, "refused third party", "https://fonts.evil.test/css2?family=Roboto", K.STYLE, False),
    (5, "inline data:/blob:", "data:image/svg+xml;utf8,<svg/>", K.IMAGE, False),
    (2, "inline data:/blob:", f"blob:{ORIGIN}/2b1e4c9a-1f0e-4a8e", K.MEDIA, False),
    (1, "hostile spelling", "https://api.example.com@evil.test/", K.FETCH, False),
    (1, "hostile spelling", "https://0x7f.1/", K.FETCH, False),
    (1, "hostile spelling", "https://аpi.example.com/", K.FETCH, False),
    (1, "hostile spelling", "file:///etc/passwd", K.NAVIGATION, True),
]  # fmt: skip


def _time(calls: list[Callable[[], object]]) -> list[float]:
    """Per-call wall time in µs."""
    out: list[float] = []
    clock = time.perf_counter_ns
    for call in calls:
        t0 = clock()
        call()
        out.append((clock() - t0) / 1000)
    return out


def _decider(url: str, kind: RequestKind, top: bool) -> Callable[[], object]:
    def call() -> object:
        return POLICY.decide(url, kind=kind, top_level=top, initiator=ORIGIN)

    return call


def _cold_calls(n: int, rng: random.Random) -> list[Callable[[], object]]:
    hosts = [
        f"https://h{i}-{rng.randrange(10**9)}.cdn.example.com/x.js" if i % 2 else
        f"https://t{i}-{rng.randrange(10**9)}.tracker.test/p.gif"
        for i in range(n)
    ]  # fmt: skip
    return [_decider(u, K.SCRIPT, False) for u in hosts]


def _batched(samples: list[float], size: int = 500) -> float:
    """Median over batches of the mean per call: robust to a preempted CPU (shared machine)."""
    means = [statistics.fmean(samples[i : i + size]) for i in range(0, len(samples), size)]
    return statistics.median(means)


def _row(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"| {name} | {len(samples):,} | {statistics.median(ordered):.2f} | "
        f"{_batched(samples):.2f} | {p99:.2f} |"
    )


def _exchange(port: int, *messages: bytes) -> bytes:
    """Send each message after the previous answer's head; read the last answer to EOF."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        out = b""
        for i, message in enumerate(messages):
            sock.sendall(message)
            if i < len(messages) - 1:
                while b"\r\n\r\n" not in out:
                    out += sock.recv(4096)
                out = b""
        while chunk := sock.recv(65536):
            out += chunk
    return out


def _proxy_table(requests: int) -> list[str]:
    from tests.helpers.recorder import Recorder

    get = b"GET {target} HTTP/1.1\r\nHost: bench.test\r\nConnection: close\r\n\r\n"
    with Recorder() as server:
        policy = NetPolicy.from_manifest(APP, ["bench.test"], ["bench.test"])
        proxy = EgressProxy(policy, lambda *r: None, test_hosts={"bench.test": server.port})
        proxy.start()
        try:
            paths: dict[str, Callable[[], bytes]] = {
                "direct to the server (new connection)": lambda: _exchange(
                    server.port, get.replace(b"{target}", b"/x.txt")
                ),
                "through the proxy, plain http forwarded": lambda: _exchange(
                    proxy.port, get.replace(b"{target}", b"http://bench.test/x.txt")
                ),
                "through the proxy, CONNECT tunnel + request": lambda: _exchange(
                    proxy.port,
                    b"CONNECT bench.test:80 HTTP/1.1\r\nHost: bench.test:80\r\n\r\n",
                    get.replace(b"{target}", b"/x.txt"),
                ),
                "refused by the proxy (not allowlisted)": lambda: _exchange(
                    proxy.port, get.replace(b"{target}", b"http://evil.test/x.txt")
                ),
            }
            for call in paths.values():  # warm up
                for _ in range(50):
                    call()
            samples: dict[str, list[float]] = {name: [] for name in paths}
            for _ in range(requests):
                for name, call in paths.items():
                    t0 = time.perf_counter_ns()
                    call()
                    samples[name].append((time.perf_counter_ns() - t0) / 1000)
        finally:
            proxy.close()
    direct = statistics.median(samples["direct to the server (new connection)"])
    rows = []
    for name, values in samples.items():
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        med = statistics.median(ordered)
        rows.append(f"| {name} | {len(values):,} | {med:.0f} | {p99:.0f} | {med - direct:+.0f} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=200_000, help="decisions in the warm mix")
    parser.add_argument("--cold", type=int, default=20_000, help="decisions with unseen hosts")
    parser.add_argument("--requests", type=int, default=1000, help="requests per proxy path")
    args = parser.parse_args(argv)
    rng = random.Random(5)
    weights = [m[0] for m in MIX]
    picks = rng.choices(MIX, weights=weights, k=args.n)
    calls = [_decider(url, kind, top) for _, _, url, kind, top in picks]
    for call in calls[:2000]:  # warm up caches and the interpreter
        call()
    gc.collect()
    gc.disable()
    try:
        warm = _time(calls)
        _cached.cache_clear()
        cold = _time(_cold_calls(args.cold, rng))
    finally:
        gc.enable()
    by_cat: dict[str, list[float]] = {}
    for (_, cat, *_rest), t in zip(picks, warm, strict=True):
        by_cat.setdefault(cat, []).append(t)

    print(f"### netguard: allowlist decision cost ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")
    print()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{platform.processor() or platform.platform()}; `NetPolicy.decide`, one thread, "
        "time per call including `perf_counter_ns` overhead; batch-median mean = median over "
        "batches of 500 of the mean per call (robust to a preempted, shared CPU)."
    )
    print()
    print("| URL mix | decisions | median µs | batch-median mean µs | p99 µs |")
    print("|---|---:|---:|---:|---:|")
    print(_row("**whole warm mix**", warm))
    for cat in dict.fromkeys(m[1] for m in MIX):
        print(_row(cat, by_cat.get(cat, [0.0])))
    print(_row("cold: every host unseen", cold))
    print()
    print("### egress proxy: cost per request (loopback server, sequential, alternating)")
    print()
    print("| path | requests | median µs | p99 µs | median vs direct µs |")
    print("|---|---:|---:|---:|---:|")
    for row in _proxy_table(args.requests):
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
