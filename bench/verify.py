"""Bundle verification throughput vs. plain hashlib.sha256 over the same bytes, in one run.

    .venv/bin/python bench/verify.py [--repeat N]

For bundles of about 1, 10 and 50 MB it times, over the same ``.sapp`` bytes:

- ``sha256``: ``hashlib.sha256(data)`` — the reference;
- ``verify``: ``verify_bundle`` (all seven steps: ZIP structure, names and sizes, signature,
  statement, SHA-256 of every entry, inflating deflated entries, manifest);
- ``launch``: ``open_installed`` — reading the installed file from disk, ``verify``, and the
  identity check against the registry (the check before every launch);
- ``install``: ``verify`` plus the whole-file digest recorded at install (a second pass).

Content: ``binary`` (random bytes, like images, fonts, wasm) and ``text`` (generated
JavaScript-like text), packed the default way (stored), and ``text --deflate`` (deflated about
4x, so verification also inflates it). MB/s are over the ``.sapp`` bytes. Each figure is the
best of N runs.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from superapp.bundles import (
    TrustStore,
    install_bundle,
    open_installed,
    pack_bundle,
    remove_app,
    verify_bundle,
)
from superapp.core.paths import Paths

MB = 1_000_000
APP_ID = "com.example.bench"
WORDS = [
    *[
        "const",
        "let",
        "function",
        "return",
        "await",
        "async",
        "callNative",
        "storage",
        "get",
        "set",
        "key",
        "value",
    ],
    *[
        "if",
        "else",
        "for",
        "of",
        "in",
        "new",
        "Promise",
        "then",
        "catch",
        "document",
        "querySelector",
        "click",
    ],
    *[
        "true",
        "false",
        "null",
        "undefined",
        "=>",
        "{",
        "}",
        "(",
        ")",
        ";",
        ",",
        ".",
        "=",
        "+",
        "-",
        "*",
        "/",
        "<",
        ">",
        "[",
        "]",
        "'notes'",
        "0",
        "1",
        "42",
    ],
]


def _binary(size: int) -> dict[str, bytes]:
    chunk = 1 * MB
    return {
        f"assets/blob{i:03}.bin": os.urandom(min(chunk, size - i * chunk))
        for i in range(-(-size // chunk))
    }


def _text(size: int) -> dict[str, bytes]:
    rng = random.Random(7)
    files: dict[str, bytes] = {}
    chunk = 1 * MB
    for i in range(-(-size // chunk)):
        n = min(chunk, size - i * chunk)
        words: list[str] = []
        length = 0
        while length < n:
            w = rng.choice(WORDS)
            words.append(w)
            length += len(w) + 1
        files[f"js/module{i:03}.js"] = " ".join(words).encode()[:n]
    return files


def _app(payload: dict[str, bytes]) -> dict[str, bytes]:
    doc = {"app_id": APP_ID, "name": "Bench", "version": {"name": "1", "code": 1}}
    return {"manifest.json": json.dumps(doc).encode(), "index.html": b"<p>bench</p>", **payload}


def _install_check(data: bytes, trust: TrustStore) -> str:
    return verify_bundle(data, trust).digest


def _best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    key = Ed25519PrivateKey.generate()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = Paths(root / "data", root / "state", root / "config", root / "cache")
        paths.ensure()
        trust = TrustStore(paths)
        trust.add(key.public_key(), "bench")
        for kind, make, deflate in (
            ("binary", _binary, False),
            ("text", _text, False),
            ("text --deflate", _text, True),
        ):
            for size in (1 * MB, 10 * MB, 50 * MB):
                data = pack_bundle(_app(make(size)), key, deflate=deflate)
                install_bundle(paths, data)
                raw = _best(partial(hashlib.sha256, data), args.repeat)
                ver = _best(partial(verify_bundle, data, trust), args.repeat)
                launch = _best(partial(open_installed, paths, APP_ID), args.repeat)
                inst = _best(partial(_install_check, data, trust), args.repeat)
                remove_app(paths, APP_ID)
                mb = len(data) / MB
                rows.append(
                    f"| {size // MB} MB {kind} | {mb:.1f} | {mb / raw:,.0f} | {mb / ver:,.0f} | "
                    f"**{raw / ver:.2f}** | {raw / launch:.2f} | {raw / inst:.2f} | "
                    f"{ver * 1000:.1f} | {launch * 1000:.1f} |"
                )
    print(
        f"### Bundle verification ({datetime.now(UTC):%Y-%m-%d}, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, best of {args.repeat})"
    )
    print()
    print(
        "| bundle | .sapp MB | sha256 MB/s | verify MB/s | verify ÷ sha256 "
        "| launch ÷ sha256 | install ÷ sha256 | verify ms | launch ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(row)
    return 0


if __name__ == "__main__":
    sys.exit(main())
